using System.Formats.Asn1;
using TaintWatch.Modules;

namespace TaintWatch.Trust;

/// <summary>
/// A module's PKCS#7 (CMS SignedData, RFC 5652 §5) read whole for verification: the encapsulated content type,
/// whether content is attached, the certificates it carries, and every SignerInfo with its signed attributes
/// kept as encoded, as crypto/asymmetric_keys/pkcs7_parser.c keeps them.
/// </summary>
public sealed record Pkcs7Message(string ContentType, bool HasContent, IReadOnlyList<byte[]> Certificates, IReadOnlyList<Pkcs7Signer> Signers)
{
    public const string DataOid = "1.2.840.113549.1.7.1";
    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string ContentTypeAttribute = "1.2.840.113549.1.9.3";
    private const string MessageDigestAttribute = "1.2.840.113549.1.9.4";
    private const string SigningTimeAttribute = "1.2.840.113549.1.9.5";

    private static readonly Asn1Tag Context0 = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag Context1 = new(TagClass.ContextSpecific, 1, isConstructed: true);

    /// <summary>Parses DER; throws <see cref="ModuleFormatException"/> naming what is wrong.</summary>
    public static Pkcs7Message Parse(ReadOnlyMemory<byte> der)
    {
        try
        {
            var outer = new AsnReader(der, AsnEncodingRules.BER);
            var contentInfo = outer.ReadSequence();
            var type = contentInfo.ReadObjectIdentifier();
            if (type != SignedDataOid)
            {
                throw new ModuleFormatException($"PKCS#7 content type is {type}, not signedData");
            }
            var signedData = contentInfo.ReadSequence(Context0).ReadSequence();
            signedData.ReadInteger();
            signedData.ReadSetOf();
            var encap = signedData.ReadSequence();
            var contentType = encap.ReadObjectIdentifier();
            var hasContent = encap.HasData;
            var certificates = new List<byte[]>();
            if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(Context0))
            {
                var set = signedData.ReadSetOf(Context0);
                while (set.HasData)
                {
                    certificates.Add(set.ReadEncodedValue().ToArray());
                }
            }
            if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(Context1))
            {
                signedData.ReadEncodedValue();
            }
            var signers = new List<Pkcs7Signer>();
            var infos = signedData.ReadSetOf();
            while (infos.HasData)
            {
                signers.Add(ParseSigner(infos.ReadSequence()));
            }
            if (signers.Count == 0)
            {
                throw new ModuleFormatException("PKCS#7 signature has no SignerInfo");
            }
            return new Pkcs7Message(contentType, hasContent, certificates, signers);
        }
        catch (Exception e) when (e is AsnContentException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ModuleFormatException($"PKCS#7 signature is not valid DER: {e.Message}", e);
        }
    }

    private static Pkcs7Signer ParseSigner(AsnReader signer)
    {
        signer.ReadInteger();
        SignerId id;
        if (signer.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            id = new SignerId(null, null, signer.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0)));
        }
        else
        {
            var issuerAndSerial = signer.ReadSequence();
            var issuer = issuerAndSerial.ReadEncodedValue().ToArray();
            var serial = issuerAndSerial.ReadIntegerBytes().ToArray();
            id = new SignerId(issuer, serial, null);
        }
        var digestAlgorithm = signer.ReadSequence().ReadObjectIdentifier();
        byte[]? signedAttributes = null;
        byte[]? messageDigest = null;
        string? attributeContentType = null;
        DateTimeOffset? signingTime = null;
        if (signer.PeekTag().HasSameClassAndValue(Context0))
        {
            signedAttributes = signer.PeekEncodedValue().ToArray();
            var attributes = signer.ReadSetOf(Context0);
            while (attributes.HasData)
            {
                var attribute = attributes.ReadSequence();
                var oid = attribute.ReadObjectIdentifier();
                var values = attribute.ReadSetOf();
                switch (oid)
                {
                    case MessageDigestAttribute:
                        messageDigest = values.ReadOctetString();
                        break;
                    case ContentTypeAttribute:
                        attributeContentType = values.ReadObjectIdentifier();
                        break;
                    case SigningTimeAttribute:
                        signingTime = values.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? values.ReadUtcTime() : values.ReadGeneralizedTime();
                        break;
                }
            }
        }
        var signatureAlgorithm = signer.ReadSequence();
        var signatureOid = signatureAlgorithm.ReadObjectIdentifier();
        var parameters = signatureAlgorithm.HasData ? signatureAlgorithm.ReadEncodedValue().ToArray() : null;
        var signature = signer.ReadOctetString();
        return new Pkcs7Signer(id, digestAlgorithm, signedAttributes, messageDigest, attributeContentType, signingTime, signatureOid, parameters, signature);
    }
}

/// <param name="Id">Who signed.</param>
/// <param name="DigestOid">The digest algorithm of the content (and of the signed attributes).</param>
/// <param name="SignedAttributes">The [0] IMPLICIT SET as encoded, tag included; null without signed attributes.</param>
/// <param name="MessageDigest">The messageDigest attribute.</param>
/// <param name="AttributeContentType">The contentType attribute.</param>
/// <param name="SigningTime">The signingTime attribute.</param>
/// <param name="SignatureOid">signatureAlgorithm.</param>
/// <param name="SignatureParameters">Its parameters as encoded (RSASSA-PSS-params), null when absent.</param>
/// <param name="Signature">The signature value.</param>
public sealed record Pkcs7Signer(
    SignerId Id,
    string DigestOid,
    byte[]? SignedAttributes,
    byte[]? MessageDigest,
    string? AttributeContentType,
    DateTimeOffset? SigningTime,
    string SignatureOid,
    byte[]? SignatureParameters,
    byte[] Signature);
