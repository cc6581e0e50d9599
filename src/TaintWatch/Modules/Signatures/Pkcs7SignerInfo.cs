using System.Formats.Asn1;
using System.Numerics;

namespace TaintWatch.Modules.Signatures;

/// <summary>
/// The first SignerInfo of a module's PKCS#7 (CMS SignedData) signature: who signed, with which key, digest
/// and signature value (RFC 5652 §5.3, as the kernel's scripts/sign-file.c writes it). Read with System.Formats.Asn1 (in the box, DER rules).
/// </summary>
public sealed record Pkcs7SignerInfo(
    byte[]? IssuerCommonName,
    byte[]? SerialNumber,
    byte[]? SubjectKeyIdentifier,
    string DigestAlgorithmOid,
    string SignatureAlgorithmOid,
    byte[] EncryptedDigest,
    bool HasAuthenticatedAttributes)
{
    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string CommonNameOid = "2.5.4.3";

    public static Pkcs7SignerInfo Parse(byte[] der)
    {
        try
        {
            var contentInfo = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
            var contentType = contentInfo.ReadObjectIdentifier();
            if (contentType != SignedDataOid)
            {
                throw new ModuleFormatException($"PKCS#7 content type is {contentType}, not signedData");
            }
            var signedData = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)).ReadSequence();
            signedData.ReadInteger(); // version
            signedData.ReadSetOf(); // digestAlgorithms
            signedData.ReadSequence(); // encapContentInfo (detached: no content)
            if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                signedData.ReadEncodedValue(); // certificates
            }
            if (signedData.HasData && signedData.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
            {
                signedData.ReadEncodedValue(); // crls
            }
            var signerInfos = signedData.ReadSetOf();
            if (!signerInfos.HasData)
            {
                throw new ModuleFormatException("PKCS#7 signature has no SignerInfo");
            }
            return ParseSignerInfo(signerInfos.ReadSequence());
        }
        catch (AsnContentException e)
        {
            throw new ModuleFormatException($"PKCS#7 signature is not valid DER: {e.Message}", e);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new ModuleFormatException($"PKCS#7 signature is not valid DER: {e.Message}", e);
        }
    }

    private static Pkcs7SignerInfo ParseSignerInfo(AsnReader signer)
    {
        signer.ReadInteger(); // version: 1 = issuerAndSerialNumber, 3 = subjectKeyIdentifier
        byte[]? commonName = null, serial = null, keyIdentifier = null;
        var sidTag = signer.PeekTag();
        if (sidTag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            keyIdentifier = signer.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
        }
        else
        {
            var issuerAndSerial = signer.ReadSequence();
            commonName = ReadCommonName(issuerAndSerial.ReadSequence());
            serial = Magnitude(issuerAndSerial.ReadIntegerBytes().ToArray());
        }
        var digestAlgorithm = signer.ReadSequence().ReadObjectIdentifier();
        var hasAuthAttributes = false;
        if (signer.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            signer.ReadEncodedValue();
            hasAuthAttributes = true;
        }
        var signatureAlgorithm = signer.ReadSequence().ReadObjectIdentifier();
        var encryptedDigest = signer.ReadOctetString();
        return new Pkcs7SignerInfo(commonName, serial, keyIdentifier, digestAlgorithm, signatureAlgorithm, encryptedDigest, hasAuthAttributes);
    }

    /// <summary>
    /// The value of the first commonName in the issuer Name, as raw string bytes (what kmod prints as "signer").
    /// Without a CN, kmod ends its loop on the last attribute and prints that value; so do we.
    /// </summary>
    private static byte[]? ReadCommonName(AsnReader name)
    {
        byte[]? last = null;
        while (name.HasData)
        {
            var rdn = name.ReadSetOf();
            while (rdn.HasData)
            {
                var attribute = rdn.ReadSequence();
                var type = attribute.ReadObjectIdentifier();
                var value = attribute.ReadEncodedValue();
                last = StringContents(value);
                if (type == CommonNameOid)
                {
                    return last;
                }
            }
        }
        return last;
    }

    /// <summary>
    /// The content bytes of an attribute value, whatever its type, as OpenSSL keeps them in an ASN1_STRING.
    /// (The typed readers throw ArgumentException for a universal tag that is not a string: afl++ found a
    /// signer whose CN was an INTEGER.)
    /// </summary>
    private static byte[] StringContents(ReadOnlyMemory<byte> encoded)
    {
        AsnDecoder.ReadEncodedValue(encoded.Span, AsnEncodingRules.BER, out var offset, out var length, out _);
        return encoded.Slice(offset, length).ToArray();
    }

    /// <summary>The serial as OpenSSL's BN_bn2bin gives it: big-endian magnitude, no leading zeros.</summary>
    private static byte[] Magnitude(byte[] twosComplement)
    {
        var value = BigInteger.Abs(new BigInteger(twosComplement, isUnsigned: false, isBigEndian: true));
        return value.IsZero ? [] : value.ToByteArray(isUnsigned: true, isBigEndian: true);
    }

    /// <summary>Short names for digest OIDs, as OpenSSL prints them; the dotted OID otherwise.</summary>
    public static string DigestName(string oid) => oid switch
    {
        "1.2.840.113549.2.4" => "md4",
        "1.2.840.113549.2.5" => "md5",
        "1.3.14.3.2.26" => "sha1",
        "1.3.36.3.2.1" => "rmd160",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        "2.16.840.1.101.3.4.2.4" => "sha224",
        "1.2.156.10197.1.401" => "sm3",
        "2.16.840.1.101.3.4.2.8" => "sha3-256",
        "2.16.840.1.101.3.4.2.9" => "sha3-384",
        "2.16.840.1.101.3.4.2.10" => "sha3-512",
        _ => oid,
    };

    /// <summary>The public-key family of a signature-algorithm OID (rsaEncryption, ecdsa-with-SHA384…).</summary>
    public static string SignatureAlgorithmName(string oid) => oid switch
    {
        "1.2.840.113549.1.1.1" or "1.2.840.113549.1.1.5" or "1.2.840.113549.1.1.11" or "1.2.840.113549.1.1.12"
            or "1.2.840.113549.1.1.13" or "1.2.840.113549.1.1.14" or "1.2.840.113549.1.1.10" => "rsa",
        "1.2.840.10045.2.1" or "1.2.840.10045.4.1" or "1.2.840.10045.4.3.1" or "1.2.840.10045.4.3.2"
            or "1.2.840.10045.4.3.3" or "1.2.840.10045.4.3.4" => "ecdsa",
        "1.3.101.112" => "ed25519",
        "1.3.101.113" => "ed448",
        "1.2.156.10197.1.501" => "sm2",
        _ => oid,
    };
}
