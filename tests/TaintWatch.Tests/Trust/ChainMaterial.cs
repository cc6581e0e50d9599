using System.Diagnostics;
using System.Formats.Asn1;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Trust;

/// <summary>
/// A certificate chain made with the openssl CLI, as a site's PKI would make one: an RSA CA (self-signed), an
/// ECDSA P-384 intermediate it issues, an ECDSA P-256 leaf the intermediate issues (SKID and AKID keyid, as
/// openssl's defaults), and a corpus module signed by the leaf with `openssl cms -sign -binary -noattr`.
/// Made once per test class; files in a temporary directory.
/// </summary>
public sealed class ChainMaterial : IDisposable
{
    private const string Config = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = unused
        [ca]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always
        [ca_by_serial]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always,issuer:always
        [leaf_by_serial]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always,issuer:always
        [leaf]
        basicConstraints = critical,CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = codeSigning
        subjectKeyIdentifier = hash
        authorityKeyIdentifier = keyid:always
        """;

    public ChainMaterial()
    {
        File.WriteAllText(Tree.PathOf("openssl.cnf"), Config);
        OpenSsl("req", "-x509", "-config", Tree.PathOf("openssl.cnf"), "-extensions", "ca", "-newkey", "rsa:2048", "-nodes",
            "-keyout", Tree.PathOf("ca.key"), "-out", CaPem, "-subj", "/CN=TaintWatch test chain CA", "-days", "3650", "-set_serial", "1");
        Issue("intermediate", "/CN=TaintWatch test intermediate", "ec", "ec_paramgen_curve:P-384", "ca", CaPem, Tree.PathOf("ca.key"), "2");
        Issue("leaf", "/CN=TaintWatch test leaf signing key", "ec", "ec_paramgen_curve:P-256", "leaf", IntermediatePem, Tree.PathOf("intermediate.key"), "3");
    }

    public TempTree Tree { get; } = new();

    public string CaPem => Tree.PathOf("ca.pem");

    public string IntermediatePem => Tree.PathOf("intermediate.pem");

    public string LeafPem => Tree.PathOf("leaf.pem");

    public static byte[] Module => File.ReadAllBytes(TrustFixtures.Signed("e1000-unsigned.ko"));

    /// <summary>The module signed by the leaf, carrying the leaf's certificate and <paramref name="alsoCarried"/> (PEM files).</summary>
    public byte[] SignedModule(params string[] alsoCarried) => SignedBy(LeafPem, Tree.PathOf("leaf.key"), alsoCarried);

    /// <summary>The module signed by a key, carrying its certificate and <paramref name="alsoCarried"/> (PEM files).</summary>
    public byte[] SignedBy(string certificatePem, string keyPem, params string[] alsoCarried)
    {
        var name = Guid.NewGuid().ToString("N");
        var input = Tree.PathOf(name + ".bin");
        var output = Tree.PathOf(name + ".p7s");
        var module = Module;
        File.WriteAllBytes(input, module);
        string[] carried = [];
        if (alsoCarried.Length > 0)
        {
            var bundle = Tree.PathOf(name + "-certs.pem");
            File.WriteAllText(bundle, string.Concat(alsoCarried.Select(File.ReadAllText)));
            carried = ["-certfile", bundle];
        }
        OpenSsl(["cms", "-sign", "-binary", "-noattr", "-outform", "DER", "-md", "sha256", "-in", input, "-out", output,
            "-signer", certificatePem, "-inkey", keyPem, .. carried]);
        return TrustFixtures.Append(module, File.ReadAllBytes(output));
    }

    /// <summary>A copy of a PEM certificate with the last byte of its signature flipped: same ids, same key, a bad signature.</summary>
    public string Tampered(string pem)
    {
        var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(
            TaintWatch.Trust.KeyFiles.Certificates(File.ReadAllBytes(pem)).Single());
        var der = certificate.RawData;
        der[^1] ^= 0x01;
        var path = Tree.PathOf("tampered-" + Path.GetFileName(pem));
        File.WriteAllText(path, System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE", der) + "\n");
        return path;
    }

    /// <summary>A signed module file whose CMS carries <paramref name="der"/> as one more certificate, whatever it holds.</summary>
    public static byte[] WithCarried(byte[] file, byte[] der)
    {
        var (module, signature) = TrustFixtures.Split(file);
        var contentInfo = new AsnReader(signature, AsnEncodingRules.DER).ReadSequence();
        var type = contentInfo.ReadObjectIdentifier();
        var signedData = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
        var certificatesTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(type);
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            using (writer.PushSequence())
            {
                for (var i = 0; i < 3; i++)
                {
                    writer.WriteEncodedValue(signedData.ReadEncodedValue().Span); // version, digestAlgorithms, encapContentInfo
                }
                using (writer.PushSetOf(certificatesTag))
                {
                    if (signedData.PeekTag().HasSameClassAndValue(certificatesTag))
                    {
                        var certificates = signedData.ReadSetOf(certificatesTag);
                        while (certificates.HasData)
                        {
                            writer.WriteEncodedValue(certificates.ReadEncodedValue().Span);
                        }
                    }
                    writer.WriteEncodedValue(der);
                }
                while (signedData.HasData)
                {
                    writer.WriteEncodedValue(signedData.ReadEncodedValue().Span);
                }
            }
        }
        return TrustFixtures.Append(module, writer.Encode());
    }

    public static byte[] Der(string pem) => TaintWatch.Trust.KeyFiles.Certificates(File.ReadAllBytes(pem)).Single();

    public void Dispose() => Tree.Dispose();

    /// <summary>
    /// A leaf under a second intermediate, which the CA signs with <paramref name="digest"/>; returns the leaf's
    /// certificate and key and the intermediate's certificate (PEM paths).
    /// </summary>
    public (string Leaf, string LeafKey, string Intermediate) ChainSignedWith(string digest)
    {
        var name = "intermediate-" + digest;
        Issue(name, "/CN=TaintWatch test intermediate " + digest, "ec", "ec_paramgen_curve:P-256", "ca", CaPem, Tree.PathOf("ca.key"), "4", "-" + digest);
        Issue("leaf-" + digest, "/CN=TaintWatch test leaf under " + digest, "ec", "ec_paramgen_curve:P-256", "leaf", Tree.PathOf(name + ".pem"), Tree.PathOf(name + ".key"), "5");
        return (Tree.PathOf($"leaf-{digest}.pem"), Tree.PathOf($"leaf-{digest}.key"), Tree.PathOf(name + ".pem"));
    }

    /// <summary>
    /// A leaf under a third intermediate whose authorityKeyIdentifiers name the issuer by issuer and serial as
    /// well as by key id (openssl's keyid:always,issuer:always).
    /// </summary>
    public (string Leaf, string LeafKey, string Intermediate) ChainNamingIssuerAndSerial()
    {
        Issue("intermediate-by-serial", "/CN=TaintWatch test intermediate by serial", "ec", "ec_paramgen_curve:P-256", "ca_by_serial", CaPem, Tree.PathOf("ca.key"), "6");
        Issue("leaf-by-serial", "/CN=TaintWatch test leaf by serial", "ec", "ec_paramgen_curve:P-256", "leaf_by_serial", Tree.PathOf("intermediate-by-serial.pem"), Tree.PathOf("intermediate-by-serial.key"), "7");
        return (Tree.PathOf("leaf-by-serial.pem"), Tree.PathOf("leaf-by-serial.key"), Tree.PathOf("intermediate-by-serial.pem"));
    }

    /// <summary>A self-signed CA with the real CA's subject and serial but another key.</summary>
    public string ImpostorCa()
    {
        var path = Tree.PathOf("impostor-ca.pem");
        OpenSsl("req", "-x509", "-config", Tree.PathOf("openssl.cnf"), "-extensions", "ca", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", Tree.PathOf("impostor-ca.key"), "-out", path, "-subj", "/CN=TaintWatch test chain CA", "-days", "3650", "-set_serial", "1");
        return path;
    }

    /// <summary>A self-signed certificate with a key of <paramref name="algorithm"/> (openssl -newkey), PEM path.</summary>
    public string SelfSigned(string algorithm, params string[] options)
    {
        var name = string.Join('-', [algorithm, .. options.Select(o => o.TrimStart('-'))]);
        var path = Tree.PathOf(name + "-self-signed.pem");
        OpenSsl(["req", "-x509", "-config", Tree.PathOf("openssl.cnf"), "-extensions", "ca", "-newkey", algorithm, "-nodes",
            "-keyout", Tree.PathOf(name + ".key"), "-out", path, "-subj", "/CN=TaintWatch test " + name, "-days", "3650", .. options]);
        return path;
    }

    private void Issue(string name, string subject, string algorithm, string parameters, string extensions, string issuerPem, string issuerKey, string serial, string digest = "-sha256")
    {
        OpenSsl("req", "-new", "-config", Tree.PathOf("openssl.cnf"), "-newkey", algorithm, "-pkeyopt", parameters, "-nodes",
            "-keyout", Tree.PathOf(name + ".key"), "-out", Tree.PathOf(name + ".csr"), "-subj", subject);
        OpenSsl("x509", "-req", "-in", Tree.PathOf(name + ".csr"), "-CA", issuerPem, "-CAkey", issuerKey, "-set_serial", serial, digest,
            "-days", "3650", "-extfile", Tree.PathOf("openssl.cnf"), "-extensions", extensions, "-out", Tree.PathOf(name + ".pem"));
    }

    internal static void OpenSsl(params string[] arguments)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"openssl {string.Join(' ', arguments)} failed: {error}{output.Result}");
    }
}
