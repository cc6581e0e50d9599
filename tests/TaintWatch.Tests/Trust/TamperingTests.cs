using TaintWatch.Tests.Support;
using TaintWatch.Trust;
using static TaintWatch.Tests.Trust.TrustFixtures;

namespace TaintWatch.Tests.Trust;

/// <summary>What the kernel would refuse or not trust, made from real Debian modules and the corpus's re-signed ones.</summary>
public class TamperingTests
{
    private static readonly Lazy<TrustStore> Debian = new(() => Store());

    private static byte[] DebianModule(string name) =>
        File.ReadAllBytes(Directory.EnumerateFiles(Corpus.ModuleDirectory, name + ".ko", SearchOption.AllDirectories).Single());

    [Fact]
    public void The_genuine_module_is_valid()
    {
        var v = Verify(DebianModule("e1000"), Debian.Value);
        Assert.Equal(VerificationState.Valid, v.State);
        Assert.True(v.SignatureChecks);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.0)]
    [InlineData(0.99)]
    public void One_flipped_byte_anywhere_in_the_module_is_invalid(double where)
    {
        var (module, signature) = Split(DebianModule("e1000"));
        // Byte 20 (e_version) instead of the ELF magic, so the file still reads as a module.
        var offset = Math.Max(20, (int)(module.Length * where));
        module[offset] ^= 0x01;
        var v = Verify(Append(module, signature), Debian.Value);
        Assert.Equal(VerificationState.Invalid, v.State);
        Assert.Contains("not what was signed", v.Problem, StringComparison.Ordinal);
        Assert.False(v.SignatureChecks);
    }

    [Fact]
    public void Another_modules_signature_grafted_on_is_invalid()
    {
        var (e1000, _) = Split(DebianModule("e1000"));
        var (_, loopSignature) = Split(DebianModule("loop"));
        var v = Verify(Append(e1000, loopSignature), Debian.Value);
        Assert.Equal(VerificationState.Invalid, v.State);
        // The key is Debian's own, found in the image: only the maths fails.
        Assert.Equal(Path.Combine(Corpus.Root, "root/boot/vmlinuz-6.1.0-56-amd64"), v.VerifiedBy);
    }

    [Theory]
    [InlineData("e1000-rsa-sha256.ko", "rsa")]
    [InlineData("ext4-rsa-sha512-skid.ko", "rsa")]
    [InlineData("xfs-ecdsa-sha384.ko", "ecdsa")]
    [InlineData("dummy-ecdsa-sha256-skid.ko", "ecdsa")]
    public void Re_signed_with_a_fresh_key_is_untrusted_then_valid_with_that_certificate(string file, string key)
    {
        var bytes = File.ReadAllBytes(Signed(file));
        var untrusted = Verify(bytes, Debian.Value);
        Assert.Equal(VerificationState.Untrusted, untrusted.State);
        Assert.Contains("no trusted source holds the signing key", untrusted.Problem, StringComparison.Ordinal);

        var valid = Verify(bytes, Store(null, Key(key)));
        Assert.Equal(VerificationState.Valid, valid.State);
        Assert.Equal(Key(key), valid.VerifiedBy);
    }

    [Fact]
    public void A_directory_of_keys_is_read_and_the_wrong_key_does_not_verify()
    {
        using var tree = new TempTree();
        File.WriteAllBytes(tree.PathOf("ecdsa.der"), CertificateDer("ecdsa"));
        var store = Store(null, tree.Root);
        Assert.Equal(VerificationState.Valid, Verify(File.ReadAllBytes(Signed("loop-ecdsa-sha256.ko")), store).State);
        Assert.Equal(VerificationState.Untrusted, Verify(File.ReadAllBytes(Signed("loop-rsa-sha256.ko")), store).State);
    }

    [Fact]
    public void A_key_listed_in_dbx_is_revoked()
    {
        using var tree = new TempTree();
        WriteEfiVariable(tree, "dbx", SignatureList(EfiSignatureList.CertX509, CertificateDer("rsa")));
        var store = Store(tree.PathOf("sys"), Key("rsa"));
        Assert.Equal(1, store.Sources.Single(s => s.Kind == TrustSourceKind.Dbx).Certificates);
        var v = Verify(File.ReadAllBytes(Signed("e1000-rsa-sha256.ko")), store);
        Assert.Equal(VerificationState.Revoked, v.State);
        Assert.Equal("dbx", v.VerifiedBy);
    }

    [Fact]
    public void A_certificate_whose_tbs_hash_is_in_MokListXRT_is_revoked()
    {
        using var tree = new TempTree();
        var anchor = TrustAnchor.Create(CertificateDer("ecdsa"), "test");
        // EFI_CERT_X509_SHA256: the TBS hash, then a 16-byte revocation time.
        WriteEfiVariable(tree, "MokListXRT", SignatureList(EfiSignatureList.CertX509Sha256, [.. anchor.TbsSha256, .. new byte[16]]));
        var store = Store(tree.PathOf("sys"), Key("ecdsa"));
        var v = Verify(File.ReadAllBytes(Signed("e1000-ecdsa-sha256.ko")), store);
        Assert.Equal(VerificationState.Revoked, v.State);
        Assert.Contains("TBS SHA-256", v.Problem, StringComparison.Ordinal);
        // The RSA key is not listed: still valid alongside.
        Assert.Equal(VerificationState.Valid, Verify(File.ReadAllBytes(Signed("e1000-rsa-sha256.ko")), Store(tree.PathOf("sys"), Key("rsa"))).State);
    }

    [Fact]
    public void Without_any_readable_key_the_state_is_unknown_and_says_why()
    {
        var paths = new TaintWatch.Kernel.KernelPaths("/nonexistent-proc", "/nonexistent-sys", "/nonexistent-root");
        var store = TrustStoreLoader.Load(new TrustStoreLoader.Options(paths, Corpus.KernelRelease, []));
        var v = Verify(DebianModule("e1000"), store);
        Assert.Equal(VerificationState.Unknown, v.State);
        Assert.Contains("vmlinuz-6.1.0-56-amd64: does not exist", v.Problem, StringComparison.Ordinal);
    }
}
