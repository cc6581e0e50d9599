using TaintWatch.Modules;
using TaintWatch.Tests.Support;
using TaintWatch.Trust;
using static TaintWatch.Tests.Trust.TrustFixtures;

namespace TaintWatch.Tests.Trust;

/// <summary>db and MokListRT as efivarfs and shim's mok-variables show them; the kernel's size checks.</summary>
public class EfiSignatureListTests
{
    [Fact]
    public void A_key_in_db_verifies_and_is_named_by_its_source()
    {
        using var tree = new TempTree();
        WriteEfiVariable(tree, "db", [.. SignatureList(EfiSignatureList.CertSha256, new byte[32]), .. SignatureList(EfiSignatureList.CertX509, CertificateDer("rsa"))]);
        var store = Store(tree.PathOf("sys"));
        var db = store.Sources.Single(s => s.Kind == TrustSourceKind.Db);
        Assert.Equal((1, (string?)null), (db.Certificates, db.Problem));
        var v = Verify(File.ReadAllBytes(Signed("e1000-rsa-sha256.ko")), store);
        Assert.Equal(VerificationState.Valid, v.State);
        Assert.Equal("db", v.VerifiedBy);
    }

    [Fact]
    public void MokListRT_is_read_from_the_mokvar_table_first_across_its_parts()
    {
        using var tree = new TempTree();
        var dir = tree.PathOf("sys/firmware/efi/mok-variables");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "MokListRT"), SignatureList(EfiSignatureList.CertX509, CertificateDer("rsa")));
        File.WriteAllBytes(Path.Combine(dir, "MokListRT1"), SignatureList(EfiSignatureList.CertX509, CertificateDer("ecdsa")));
        var store = Store(tree.PathOf("sys"));
        Assert.Equal(2, store.Sources.Single(s => s.Kind == TrustSourceKind.MokListRT).Certificates);
        var v = Verify(File.ReadAllBytes(Signed("sctp-ecdsa-sha512-skid.ko")), store);
        Assert.Equal((VerificationState.Valid, "MokListRT"), (v.State, v.VerifiedBy));
    }

    [Fact]
    public void Entries_of_every_type_are_read_in_order()
    {
        var data = (byte[])[.. SignatureList(EfiSignatureList.CertSha256, new byte[32], Enumerable.Repeat((byte)1, 32).ToArray()), .. SignatureList(EfiSignatureList.CertX509, CertificateDer("ecdsa"))];
        var entries = EfiSignatureList.Parse(data);
        Assert.Equal(["sha256", "sha256", "x509"], entries.Select(e => EfiSignatureList.TypeName(e.Type)));
        Assert.Equal(CertificateDer("ecdsa"), entries[2].Data);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(27)]
    [InlineData(40)]
    public void A_truncated_list_is_refused_whole_with_a_reason(int keep)
    {
        var data = SignatureList(EfiSignatureList.CertX509, CertificateDer("rsa"));
        var e = Assert.Throws<ModuleFormatException>(() => EfiSignatureList.Parse(data.AsSpan(0, keep)));
        Assert.Contains("EFI signature list", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Absurd_sizes_are_refused()
    {
        var data = SignatureList(EfiSignatureList.CertSha256, new byte[32]);
        data[24] = 0xFF; // SignatureSize no longer divides the list
        Assert.Throws<ModuleFormatException>(() => EfiSignatureList.Parse(data));
        data = SignatureList(EfiSignatureList.CertSha256, new byte[32]);
        data[19] = 0x7F; // SignatureListSize of ~2 GiB
        Assert.Throws<ModuleFormatException>(() => EfiSignatureList.Parse(data));
    }

    [Fact]
    public void A_corrupt_db_variable_gives_no_key_and_says_so()
    {
        using var tree = new TempTree();
        WriteEfiVariable(tree, "db", [1, 2, 3]);
        var db = Store(tree.PathOf("sys")).Sources.Single(s => s.Kind == TrustSourceKind.Db);
        Assert.Equal(0, db.Certificates);
        Assert.Contains("truncated", db.Problem, StringComparison.Ordinal);
    }
}
