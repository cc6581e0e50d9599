using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TaintWatch.Tests.Support;
using TaintWatch.Trust;
using static TaintWatch.Tests.Trust.TrustFixtures;

namespace TaintWatch.Tests.Trust;

/// <summary>
/// Chains built to make a walker spin: an issuer loop, hundreds of carried certificates. Each ends with a
/// verdict (the timeout only guards against a hang; speed is measured in bench/, not here). Certificates are
/// issued in-process (hundreds of openssl runs would be slow); the signature is openssl cms -sign's.
/// </summary>
public class HostileChainTests
{
    private static readonly DateTimeOffset From = DateTimeOffset.UtcNow.AddDays(-1);
    private static readonly DateTimeOffset To = DateTimeOffset.UtcNow.AddYears(5);

    [Fact(Timeout = 120_000)]
    public async Task An_issuer_loop_ends_untrusted()
    {
        await Task.Run(() =>
        {
            using var tree = new TempTree();
            using var a = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var b = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            // A is issued by B and B by A: each link checks, and the walk comes back to A.
            var certA = Issue("loop A", a, "loop B", b, 1, ca: true);
            var certB = Issue("loop B", b, "loop A", a, 2, ca: true);
            var leaf = Issue("loop leaf", leafKey, "loop A", a, 3, ca: false);
            var file = Sign(tree, leaf, leafKey, [certA, certB]);

            var v = Verify(file, Store());
            Assert.Equal(VerificationState.Untrusted, v.State);
            Assert.Contains("through 3 certificates", v.Problem, StringComparison.Ordinal);

            // Trusting B: the loop is no obstacle to finding it.
            File.WriteAllText(tree.PathOf("b.pem"), certB.ExportCertificatePem());
            Assert.Equal(VerificationState.Valid, Verify(file, Store(null, tree.PathOf("b.pem"))).State);
        });
    }

    [Fact(Timeout = 120_000)]
    public async Task Five_hundred_carried_certificates_in_one_chain_end_with_a_verdict()
    {
        await Task.Run(() =>
        {
            using var tree = new TempTree();
            var keys = Enumerable.Range(0, 501).Select(_ => ECDsa.Create(ECCurve.NamedCurves.nistP256)).ToList();
            try
            {
                // keys[0] is the root; certificate i is issued by i-1; the last (500) signs the module.
                var root = Issue("deep root", keys[0], "deep root", keys[0], 1, ca: true);
                var chain = new List<X509Certificate2>();
                for (var i = 1; i <= 500; i++)
                {
                    chain.Add(Issue($"deep {i}", keys[i], i == 1 ? "deep root" : $"deep {i - 1}", keys[i - 1], i + 1, ca: i < 500));
                }
                // Carried in reverse (root side first), so a walker that looks only ahead would miss every issuer.
                var carried = chain[..^1].AsEnumerable().Reverse().ToList();
                var file = Sign(tree, chain[^1], keys[500], carried);
                File.WriteAllText(tree.PathOf("root.pem"), root.ExportCertificatePem());

                var valid = Verify(file, Store(null, tree.PathOf("root.pem")));
                Assert.Equal(VerificationState.Valid, valid.State);
                Assert.Equal(tree.PathOf("root.pem"), valid.VerifiedBy);

                var untrusted = Verify(file, Store());
                Assert.Equal(VerificationState.Untrusted, untrusted.State);
                Assert.Contains("through 500 certificates", untrusted.Problem, StringComparison.Ordinal);
            }
            finally
            {
                keys.ForEach(k => k.Dispose());
            }
        });
    }

    /// <summary>A certificate for <paramref name="subject"/>'s key, issued (and signed) by the issuer's key, with SKID and AKID.</summary>
    private static X509Certificate2 Issue(string subject, ECDsa subjectKey, string issuer, ECDsa issuerKey, long serial, bool ca)
    {
        var request = new CertificateRequest("CN=" + subject, subjectKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var issuerSkid = new X509SubjectKeyIdentifierExtension(new PublicKey(issuerKey), false).SubjectKeyIdentifierBytes;
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(issuerSkid.Span));
        return request.Create(new X500DistinguishedName("CN=" + issuer), X509SignatureGenerator.CreateForECDsa(issuerKey), From, To, BitConverter.GetBytes(serial).Reverse().SkipWhile(b => b == 0).ToArray());
    }

    private static byte[] Sign(TempTree tree, X509Certificate2 signer, ECDsa key, IEnumerable<X509Certificate2> carried)
    {
        File.WriteAllText(tree.PathOf("signer.pem"), signer.ExportCertificatePem());
        File.WriteAllText(tree.PathOf("signer.key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(tree.PathOf("carried.pem"), string.Join("\n", carried.Select(c => c.ExportCertificatePem())) + "\n");
        File.WriteAllBytes(tree.PathOf("module.bin"), ChainMaterial.Module);
        ChainMaterial.OpenSsl("cms", "-sign", "-binary", "-noattr", "-outform", "DER", "-md", "sha256", "-in", tree.PathOf("module.bin"),
            "-out", tree.PathOf("module.p7s"), "-signer", tree.PathOf("signer.pem"), "-inkey", tree.PathOf("signer.key"),
            "-certfile", tree.PathOf("carried.pem"));
        return Append(ChainMaterial.Module, File.ReadAllBytes(tree.PathOf("module.p7s")));
    }
}
