using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TaintWatch.Modules;

namespace TaintWatch.Trust;

/// <summary>
/// One certificate from a trust source, with the identifiers the kernel matches a signature's signer against
/// (crypto/asymmetric_keys/x509_public_key.c: id 0 = raw serial + raw issuer, id 1 = subjectKeyIdentifier).
/// </summary>
public sealed class TrustAnchor
{
    private TrustAnchor(byte[] der, X509Certificate2 certificate, string source, byte[] issuer, byte[] serial, byte[]? subjectKeyId, byte[] tbsSha256)
    {
        Der = der;
        Certificate = certificate;
        Source = source;
        Issuer = issuer;
        Serial = serial;
        SubjectKeyId = subjectKeyId;
        TbsSha256 = tbsSha256;
    }

    private readonly Lock _keyGate = new();
    private RSA? _rsa;
    private ECDsa? _ecdsa;
    private bool _keysLoaded;

    public byte[] Der { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>Where it came from, as sig_verified_by prints it: an image or keys file path, db, MokListRT…</summary>
    public string Source { get; }

    /// <summary>The issuer Name as encoded (DER), compared byte for byte as the kernel does.</summary>
    public byte[] Issuer { get; }

    /// <summary>The serialNumber INTEGER's content bytes as encoded.</summary>
    public byte[] Serial { get; }

    public byte[]? SubjectKeyId { get; }

    /// <summary>SHA-256 of the DER tbsCertificate: what dbx's EFI_CERT_X509_SHA256 entries name ("tbs:" blacklist hashes).</summary>
    public byte[] TbsSha256 { get; }

    public string Subject => Certificate.Subject;

    /// <summary>The hex the kernel puts after the subject in the key's description in /proc/keys: SKID, else serial.</summary>
    public string KernelKeyHex => Convert.ToHexStringLower(SubjectKeyId ?? Serial);

    /// <summary>Parses a DER certificate; throws <see cref="ModuleFormatException"/> when it is not one.</summary>
    public static TrustAnchor Create(byte[] der, string source)
    {
        try
        {
            var certificate = X509CertificateLoader.LoadCertificate(der);
            var reader = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var tbsEncoded = reader.ReadEncodedValue();
            var tbs = new AsnReader(tbsEncoded, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                tbs.ReadEncodedValue();
            }
            var serial = tbs.ReadIntegerBytes().ToArray();
            tbs.ReadEncodedValue(); // signature algorithm
            var issuer = tbs.ReadEncodedValue().ToArray();
            byte[]? skid = null;
            foreach (var extension in certificate.Extensions)
            {
                if (extension is X509SubjectKeyIdentifierExtension s)
                {
                    skid = s.SubjectKeyIdentifierBytes.ToArray();
                }
            }
            return new TrustAnchor(der, certificate, source, issuer, serial, skid, SHA256.HashData(tbsEncoded.Span));
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException)
        {
            throw new ModuleFormatException($"is not a DER X.509 certificate: {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs <paramref name="use"/> with this certificate's public key, decoded once and kept (decoding it per
    /// module cost more than the signature check itself). Under a lock: a key object is not documented as safe to
    /// share between threads, and a check takes tens of microseconds.
    /// </summary>
    public T WithKey<T>(Func<RSA?, ECDsa?, T> use)
    {
        lock (_keyGate)
        {
            if (!_keysLoaded)
            {
                _rsa = Certificate.GetRSAPublicKey();
                _ecdsa = _rsa is null ? Certificate.GetECDsaPublicKey() : null;
                _keysLoaded = true;
            }
            return use(_rsa, _ecdsa);
        }
    }

    public bool Matches(SignerId id) =>
        id.SubjectKeyId is { } skid
            ? SubjectKeyId is not null && skid.AsSpan().SequenceEqual(SubjectKeyId)
            : id.Serial is not null && id.Issuer is not null && id.Serial.AsSpan().SequenceEqual(Serial) && id.Issuer.AsSpan().SequenceEqual(Issuer);
}
