using TaintWatch.Tests.Support;
using TaintWatch.Trust;
using static TaintWatch.Tests.Trust.TrustFixtures;

namespace TaintWatch.Tests.Trust;

/// <summary>
/// Signatures made here with `openssl cms -sign` over a real module: RSA PKCS#1 v1.5, RSASSA-PSS, ECDSA, with and
/// without signed attributes, with the signer's certificate carried or not.
/// </summary>
public class OpenSslSignatureTests
{
    private static byte[] Unsigned => File.ReadAllBytes(Signed("e1000-unsigned.ko"));

    [Theory]
    [InlineData("rsa", "sha256")]
    [InlineData("rsa", "sha512")]
    [InlineData("ecdsa", "sha256")]
    [InlineData("ecdsa", "sha384")]
    public void Without_signed_attributes_as_sign_file_makes_them_valid(string key, string hash)
    {
        using var tree = new TempTree();
        var module = Unsigned;
        var file = Append(module, OpenSslSign(tree, module, key, "-noattr", "-nocerts", "-md", hash));
        var v = Verify(file, Store(null, Key(key)));
        Assert.Equal(VerificationState.Valid, v.State);
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("sha384")]
    public void RSASSA_PSS_is_valid(string hash)
    {
        using var tree = new TempTree();
        var module = Unsigned;
        var signature = OpenSslSign(tree, module, "rsa", "-noattr", "-nocerts", "-md", hash, "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:digest");
        var file = Append(module, signature);
        Assert.Equal(VerificationState.Valid, Verify(file, Store(null, Key("rsa"))).State);
        file[100] ^= 0x80;
        Assert.Equal(VerificationState.Invalid, Verify(file, Store(null, Key("rsa"))).State);
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ecdsa")]
    public void Signed_attributes_check_out_but_are_refused_as_the_kernel_refuses_them(string key)
    {
        using var tree = new TempTree();
        var module = Unsigned;
        var file = Append(module, OpenSslSign(tree, module, key, "-nocerts", "-md", "sha256"));
        var v = Verify(file, Store(null, Key(key)));
        // messageDigest matched and the signature over the DER SET of attributes holds...
        Assert.True(v.SignatureChecks);
        // ...but pkcs7_verify() refuses authenticated attributes on module signatures other than ML-DSA.
        Assert.Equal(VerificationState.Invalid, v.State);
        Assert.Contains("has authattrs", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void With_signed_attributes_a_changed_file_fails_the_messageDigest()
    {
        using var tree = new TempTree();
        var module = Unsigned;
        var file = Append(module, OpenSslSign(tree, module, "rsa", "-nocerts", "-md", "sha256"));
        file[5000] ^= 0x01;
        var v = Verify(file, Store(null, Key("rsa")));
        Assert.Equal(VerificationState.Invalid, v.State);
        Assert.Contains("messageDigest", v.Problem, StringComparison.Ordinal);
        Assert.False(v.SignatureChecks);
    }

    [Fact]
    public void A_certificate_carried_in_the_signature_is_not_trusted_for_being_there()
    {
        using var tree = new TempTree();
        var module = Unsigned;
        var file = Append(module, OpenSslSign(tree, module, "ecdsa", "-noattr", "-md", "sha256"));
        var v = Verify(file, Store());
        Assert.Equal(VerificationState.Untrusted, v.State);
        Assert.True(v.SignatureChecks);
        Assert.Contains("TaintWatch test module signing key", v.Problem, StringComparison.Ordinal);
    }
}
