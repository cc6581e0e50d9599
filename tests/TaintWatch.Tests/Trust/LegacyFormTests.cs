using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TaintWatch.Tests.Support;
using TaintWatch.Trust;
using static TaintWatch.Tests.Trust.TrustFixtures;

namespace TaintWatch.Tests.Trust;

/// <summary>
/// RHEL 7's early appended form (id_type X509: signer name and SKID in clear, then one length-prefixed RSA
/// PKCS#1 signature, as kernel 3.10's mod_verify_sig reads it), RHEL 5/6 GPG, and what inspect prints for them.
/// </summary>
public class LegacyFormTests
{
    /// <summary>[module][signer][SKID][u16 length][RSA signature][algo 1, hash 4, id_type 1, lengths, sig_len][magic].</summary>
    private static byte[] LegacySign(byte[] module, string key)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(Key(key)));
        var anchor = TrustAnchor.Create(CertificateDer(key), key);
        var signature = rsa.SignData(module, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var signer = Encoding.UTF8.GetBytes("TaintWatch test module signing key");
        byte[] mpi = [(byte)(signature.Length >> 8), (byte)signature.Length, .. signature];
        var info = new byte[12];
        info[0] = 1; // RSA
        info[1] = 4; // sha256 in the kernel's pkey_hash_algo order
        info[2] = 1; // X509
        info[3] = (byte)signer.Length;
        info[4] = (byte)anchor.SubjectKeyId!.Length;
        BinaryPrimitives.WriteUInt32BigEndian(info.AsSpan(8), (uint)mpi.Length);
        return [.. module, .. signer, .. anchor.SubjectKeyId, .. mpi, .. info, .. "~Module signature appended~\n"u8];
    }

    [Fact]
    public void The_legacy_form_verifies_with_the_key_its_SKID_names_and_a_changed_byte_does_not()
    {
        var file = LegacySign(File.ReadAllBytes(Signed("e1000-unsigned.ko")), "rsa");
        var store = Store(null, Key("rsa"));
        var v = Verify(file, store);
        Assert.Equal((VerificationState.Valid, Key("rsa")), (v.State, v.VerifiedBy));
        file[4096] ^= 0x04;
        Assert.Equal(VerificationState.Invalid, Verify(file, store).State);
        Assert.Equal(VerificationState.Untrusted, Verify(LegacySign(File.ReadAllBytes(Signed("e1000-unsigned.ko")), "rsa"), Store()).State);
    }

    [Fact]
    public void Inspect_prints_the_verdict_after_modinfos_fields_and_in_json()
    {
        var fixture = Path.Combine(Repo.Root, "tests/fixtures/modules");
        var r = Support.Cli.Run("inspect", "-k", Corpus.KernelRelease, "--path.rootfs", Path.Combine(Corpus.Root, "root"),
            Path.Combine(fixture, "rhel7-x509-signed.ko"), Path.Combine(fixture, "rhel6-gpg-signed.ko"), Signed("e1000-rsa-sha256.ko"));
        Assert.Equal(0, r.ExitCode);
        var blocks = r.Stdout.Split("filename:", StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("sig_verified:   untrusted\nsig_verify_problem:no trusted source holds the signing key \"Red Hat Enterprise Linux kernel signing key\"", blocks[0], StringComparison.Ordinal);
        Assert.Contains("sig_verified:   unknown\nsig_verify_problem:not verified: RHEL 5/6 GPG signatures", blocks[1], StringComparison.Ordinal);
        // After every field modinfo prints (parm lines included), before TaintWatch's own.
        Assert.True(blocks[2].IndexOf("sig_verified:", StringComparison.Ordinal) > blocks[2].LastIndexOf("parm:", StringComparison.Ordinal));

        r = Support.Cli.Run("inspect", "--json", "-k", Corpus.KernelRelease, "--path.rootfs", Path.Combine(Corpus.Root, "root"), "--trust.keys", Key("rsa"), Signed("e1000-rsa-sha256.ko"));
        using var doc = JsonDocument.Parse(r.Stdout);
        var verification = doc.RootElement[0].GetProperty("signature").GetProperty("verification");
        Assert.Equal("valid", verification.GetProperty("state").GetString());
        Assert.Equal(Key("rsa"), verification.GetProperty("verified_by").GetString());
        Assert.True(verification.GetProperty("signature_checks").GetBoolean());
    }

    [Fact]
    public void Inspect_all_counts_signatures_by_state_and_names_each_trust_source()
    {
        var r = Support.Cli.Run("inspect", "--all", "-k", Corpus.KernelRelease, "--path.rootfs", Path.Combine(Corpus.Root, "root"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("4023 signatures verified: 4023 valid, 0 invalid, 0 untrusted, 0 revoked, 0 unknown", r.Stdout, StringComparison.Ordinal);
        Assert.Contains($"kernel_image {Path.Combine(Corpus.Root, "root/boot/vmlinuz-6.1.0-56-amd64")}: 1 trusted certificates", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_modinfo_stays_modinfos_output_without_verification()
    {
        var r = Support.Cli.Run("inspect", "--modinfo", "-k", Corpus.KernelRelease, "--path.rootfs", Path.Combine(Corpus.Root, "root"), Signed("e1000-rsa-sha256.ko"));
        Assert.Equal(Corpus.Run("modinfo", Signed("e1000-rsa-sha256.ko")), r.Stdout);
    }
}
