using TaintWatch.Tests.Support;
using TaintWatch.Trust;
using static TaintWatch.Tests.Trust.TrustFixtures;

namespace TaintWatch.Tests.Trust;

/// <summary>
/// Module signatures that carry a certificate chain (openssl cms -sign without -nocerts): the verdict the
/// kernel's pkcs7_verify + is_key_on_revocation_list + pkcs7_validate_trust would reach, on OpenSSL-made chains.
/// </summary>
public class CertificateChainTests(ChainMaterial chain) : IClassFixture<ChainMaterial>
{
    [Fact]
    public void A_leaf_carrying_its_intermediate_is_valid_through_a_trusted_CA()
    {
        var v = Verify(chain.SignedModule(chain.IntermediatePem), Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Valid, v.State);
        Assert.Equal(chain.CaPem, v.VerifiedBy);
        Assert.Null(v.Problem);
        Assert.True(v.SignatureChecks);
    }

    [Fact]
    public void The_CA_carried_too_and_trusted_is_valid_and_so_is_a_trusted_intermediate()
    {
        var file = chain.SignedModule(chain.IntermediatePem, chain.CaPem);
        Assert.Equal(VerificationState.Valid, Verify(file, Store(null, chain.CaPem)).State);
        // The first certificate of the chain a trusted source holds ends the walk: here the intermediate.
        var v = Verify(file, Store(null, chain.IntermediatePem));
        Assert.Equal(VerificationState.Valid, v.State);
        Assert.Equal(chain.IntermediatePem, v.VerifiedBy);
    }

    [Fact]
    public void Inspect_says_which_trusted_key_ends_the_chain()
    {
        var file = chain.Tree.PathOf("chained.ko");
        File.WriteAllBytes(file, chain.SignedModule(chain.IntermediatePem));
        string[] root = ["-k", Corpus.KernelRelease, "--path.rootfs", Path.Combine(Corpus.Root, "root")];
        var r = Support.Cli.Run(["inspect", "--json", .. root, "--trust.keys", chain.CaPem, file]);
        Assert.Equal(0, r.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Stdout);
        var verification = doc.RootElement[0].GetProperty("signature").GetProperty("verification");
        Assert.Equal("valid", verification.GetProperty("state").GetString());
        Assert.Equal(chain.CaPem, verification.GetProperty("verified_by").GetString());

        var untrusted = Support.Cli.Run(["inspect", .. root, file]);
        Assert.Contains("sig_verified:   untrusted\nsig_verify_problem:signed by \"CN=TaintWatch test leaf signing key\" through 2 certificates", untrusted.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_intermediate_carried_it_is_untrusted()
    {
        var v = Verify(chain.SignedModule(), Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Untrusted, v.State);
        Assert.True(v.SignatureChecks);
        Assert.Contains("TaintWatch test leaf signing key", v.Problem, StringComparison.Ordinal);
        Assert.Contains("neither carried nor held by a trusted source", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void With_the_CA_not_trusted_it_is_untrusted_whether_the_CA_is_carried_or_not()
    {
        var notCarried = Verify(chain.SignedModule(chain.IntermediatePem), Store());
        Assert.Equal(VerificationState.Untrusted, notCarried.State);
        Assert.Contains("through 2 certificates the signature carries, ending at \"CN=TaintWatch test intermediate\"", notCarried.Problem, StringComparison.Ordinal);

        // A self-signed root no trusted source holds ends the search (pkcs7_validate_trust_one: "unknown self-signed").
        var carried = Verify(chain.SignedModule(chain.IntermediatePem, chain.CaPem), Store());
        Assert.Equal(VerificationState.Untrusted, carried.State);
        Assert.Contains("ending at the self-signed \"CN=TaintWatch test chain CA\"", carried.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void With_no_trusted_source_readable_a_carried_chain_is_unknown_not_untrusted()
    {
        // No kernel image, no UEFI, no keys: nobody can say the key is not trusted.
        var nothing = TrustStoreLoader.Load(new TrustStoreLoader.Options(new TaintWatch.Kernel.KernelPaths("/nonexistent-proc", "/nonexistent-sys", "/nonexistent-root"), Corpus.KernelRelease, []));
        Assert.True(nothing.IsEmpty);
        foreach (var file in new[] { chain.SignedModule(chain.IntermediatePem), chain.SignedModule(chain.IntermediatePem, chain.CaPem) })
        {
            var v = Verify(file, nothing);
            Assert.Equal(VerificationState.Unknown, v.State);
            Assert.StartsWith("no trusted key could be read", v.Problem, StringComparison.Ordinal);
            Assert.Contains("CN=TaintWatch test leaf signing key", v.Problem, StringComparison.Ordinal);
            Assert.True(v.SignatureChecks);
        }
        // A changed module is still invalid: the maths needs no trusted source.
        var changed = chain.SignedModule(chain.IntermediatePem);
        changed[4000] ^= 0x01;
        Assert.Equal(VerificationState.Invalid, Verify(changed, nothing).State);
    }

    [Fact]
    public void A_changed_module_is_invalid_under_the_carried_leaf()
    {
        var file = chain.SignedModule(chain.IntermediatePem);
        file[4000] ^= 0x01;
        var v = Verify(file, Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Invalid, v.State);
        Assert.Contains("not what was signed", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_intermediate_in_dbx_revokes_whether_it_is_carried_or_only_named()
    {
        using var tree = new TempTree();
        WriteEfiVariable(tree, "dbx", SignatureList(EfiSignatureList.CertX509, ChainMaterial.Der(chain.IntermediatePem)));
        var store = Store(tree.PathOf("sys"), chain.CaPem);

        var carried = Verify(chain.SignedModule(chain.IntermediatePem), store);
        Assert.Equal(VerificationState.Revoked, carried.State);
        Assert.Equal("dbx", carried.VerifiedBy);
        Assert.Contains("CN=TaintWatch test intermediate", carried.Problem, StringComparison.Ordinal);

        // Not carried: the leaf's authorityKeyIdentifier names it, and the revoked key checks the leaf (is_key_on_revocation_list).
        var named = Verify(chain.SignedModule(), store);
        Assert.Equal(VerificationState.Revoked, named.State);
        Assert.Equal("dbx", named.VerifiedBy);
    }

    [Fact]
    public void An_intermediate_whose_TBS_hash_is_in_MokListXRT_is_revoked()
    {
        using var tree = new TempTree();
        var intermediate = TrustAnchor.Create(ChainMaterial.Der(chain.IntermediatePem), "test");
        WriteEfiVariable(tree, "MokListXRT", SignatureList(EfiSignatureList.CertX509Sha256, [.. intermediate.TbsSha256, .. new byte[16]]));
        var v = Verify(chain.SignedModule(chain.IntermediatePem), Store(tree.PathOf("sys"), chain.CaPem));
        Assert.Equal(VerificationState.Revoked, v.State);
        Assert.Contains("TBS SHA-256", v.Problem, StringComparison.Ordinal);
        Assert.Contains("CN=TaintWatch test intermediate", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tampered_intermediate_is_invalid_where_the_kernel_checks_its_signature_and_untrusted_where_it_never_does()
    {
        var tampered = chain.Tampered(chain.IntermediatePem);

        // CA trusted, not carried: the trusted CA's key must check the intermediate (pkcs7_validate_trust_one → EKEYREJECTED).
        var byTrustedCa = Verify(chain.SignedModule(tampered), Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Invalid, byTrustedCa.State);
        Assert.Equal(chain.CaPem, byTrustedCa.VerifiedBy);
        Assert.Contains("does not check under the trusted key that issued it", byTrustedCa.Problem, StringComparison.Ordinal);

        // CA carried: the link inside the message fails first (pkcs7_verify_sig_chain), trusted or not, even when
        // a trusted source holds the leaf itself.
        var file = chain.SignedModule(tampered, chain.CaPem);
        foreach (var store in new[] { Store(null, chain.CaPem), Store(), Store(null, chain.LeafPem) })
        {
            var v = Verify(file, store);
            Assert.Equal(VerificationState.Invalid, v.State);
            Assert.Contains("does not check under its carried issuer \"CN=TaintWatch test chain CA\"", v.Problem, StringComparison.Ordinal);
        }

        // Nothing trusted and the CA not carried: no key ever checks the intermediate's signature; ENOKEY.
        Assert.Equal(VerificationState.Untrusted, Verify(chain.SignedModule(tampered), Store()).State);
    }

    [Fact]
    public void A_carried_self_signed_certificate_whose_own_signature_fails_refuses_the_whole_signature()
    {
        var v = Verify(chain.SignedModule(chain.IntermediatePem, chain.Tampered(chain.CaPem)), Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Invalid, v.State);
        Assert.Contains("self-signed but its own signature does not check", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_signed_with_a_hash_the_platform_lacks_is_unknown_with_the_reason()
    {
        // The kernel has SHA-224; .NET does not: TaintWatch cannot tell, and says so.
        var (leaf, key, intermediate) = chain.ChainSignedWith("sha224");
        var v = Verify(chain.SignedBy(leaf, key, intermediate), Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Unknown, v.State);
        Assert.True(v.SignatureChecks);
        Assert.Contains("CN=TaintWatch test intermediate sha224", v.Problem, StringComparison.Ordinal);
        Assert.Contains("sha224", v.Problem, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_carried_self_signed_certificate_whose_signature_the_platform_cannot_check_leaves_the_signature_unknown()
    {
        // The kernel refuses the message if that signature fails, and TaintWatch cannot tell whether it does.
        var v = Verify(chain.SignedModule(chain.IntermediatePem, chain.SelfSigned("ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-sha224")), Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Unknown, v.State);
        Assert.Contains("is self-issued", v.Problem, StringComparison.Ordinal);
        Assert.Contains("ecdsa-with-SHA224", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_carried_certificate_with_a_key_the_kernel_cannot_parse_leaves_the_signature_unknown()
    {
        // x509_extract_key_data has no Ed25519: the message fails to parse with ENOPKG, loaded as unverified.
        var v = Verify(chain.SignedModule(chain.IntermediatePem, chain.SelfSigned("ed25519")), Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Unknown, v.State);
        Assert.Contains("1.3.101.112", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_carried_certificate_that_does_not_parse_refuses_the_whole_signature()
    {
        var der = ChainMaterial.Der(chain.IntermediatePem);
        // Still one DER SEQUENCE of the same length, but no certificate inside.
        Array.Fill(der, (byte)0x05, 4, der.Length - 4);
        var signature = chain.SignedModule(chain.IntermediatePem);
        Assert.Equal(VerificationState.Valid, Verify(signature, Store(null, chain.CaPem)).State);
        var v = Verify(ChainMaterial.WithCarried(signature, der), Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Invalid, v.State);
        Assert.Contains("EBADMSG", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Issuers_named_by_issuer_and_serial_must_also_have_the_named_key_id()
    {
        var (leaf, key, intermediate) = chain.ChainNamingIssuerAndSerial();
        var file = chain.SignedBy(leaf, key, intermediate);
        Assert.Equal(VerificationState.Valid, Verify(file, Store(null, chain.CaPem)).State);

        // A trusted certificate with the CA's issuer and serial but another key: find_asymmetric_key rejects it.
        var v = Verify(file, Store(null, chain.ImpostorCa()));
        Assert.Equal(VerificationState.Invalid, v.State);
        Assert.Contains("has another key id", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_carried_self_signed_signer_keeps_the_verdicts_it_has_when_not_carried()
    {
        using var tree = new TempTree();
        var module = ChainMaterial.Module;
        var file = Append(module, OpenSslSign(tree, module, "rsa", "-noattr", "-md", "sha256"));
        var valid = Verify(file, Store(null, Key("rsa")));
        Assert.Equal(VerificationState.Valid, valid.State);
        Assert.Equal(Key("rsa"), valid.VerifiedBy);

        WriteEfiVariable(tree, "dbx", SignatureList(EfiSignatureList.CertX509, CertificateDer("rsa")));
        var revoked = Verify(file, Store(tree.PathOf("sys"), Key("rsa")));
        Assert.Equal(VerificationState.Revoked, revoked.State);
        Assert.Equal("dbx", revoked.VerifiedBy);
        Assert.Equal("the signing key is listed in dbx", revoked.Problem);

        var untrusted = Verify(file, Store());
        Assert.Equal(VerificationState.Untrusted, untrusted.State);
        Assert.Contains("whose certificate the signature carries but no trusted source holds", untrusted.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Certificates_carried_but_not_in_the_chain_change_nothing()
    {
        // The corpus's own self-signed test keys ride along; the walk follows only the leaf's issuers.
        var v = Verify(chain.SignedModule(Key("rsa"), chain.IntermediatePem, Key("ecdsa")), Store(null, chain.CaPem));
        Assert.Equal(VerificationState.Valid, v.State);
    }
}
