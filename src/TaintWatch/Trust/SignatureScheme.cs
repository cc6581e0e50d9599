using System.Formats.Asn1;
using System.Security.Cryptography;

namespace TaintWatch.Trust;

/// <summary>The signature algorithm of a SignerInfo, as the kernel's pkcs7_sig_note_pkey_algo reads it.</summary>
internal sealed record SignatureScheme(string Family, RSASignaturePadding? Padding, string? Unsupported, bool IsMlDsa = false)
{
    public static SignatureScheme From(string oid, byte[]? parameters, HashAlgorithmName hash) => oid switch
    {
        "1.2.840.113549.1.1.1" or "1.2.840.113549.1.1.5" or "1.2.840.113549.1.1.11" or "1.2.840.113549.1.1.12"
            or "1.2.840.113549.1.1.13" => new("rsa", RSASignaturePadding.Pkcs1, null),
        "1.2.840.113549.1.1.10" => Pss(parameters, hash),
        "1.2.840.10045.2.1" or "1.2.840.10045.4.1" or "1.2.840.10045.4.3.2" or "1.2.840.10045.4.3.3"
            or "1.2.840.10045.4.3.4" => new("ecdsa", null, null),
        "2.16.840.1.101.3.4.3.17" or "2.16.840.1.101.3.4.3.18" or "2.16.840.1.101.3.4.3.19" => MLDsa.IsSupported
            ? new("ml-dsa", null, null, IsMlDsa: true)
            : new("ml-dsa", null, "ML-DSA not supported by this OpenSSL", IsMlDsa: true),
        _ => new(oid, null, $"signature algorithm {Modules.Signatures.Pkcs7SignerInfo.SignatureAlgorithmName(oid)} ({oid}) is not one the kernel verifies module signatures with"),
    };

    /// <summary>
    /// A certificate's signatureAlgorithm, whose OID names the hash as well (x509_note_sig_algo); null hash for
    /// ML-DSA, which signs the TBS itself. An algorithm left out here is one the platform cannot check.
    /// </summary>
    public static SignatureScheme ForCertificate(string oid, byte[]? parameters, out HashAlgorithmName? hash)
    {
        var name = oid switch
        {
            "1.2.840.113549.1.1.5" or "1.2.840.10045.4.1" => "sha1",
            "1.2.840.113549.1.1.11" or "1.2.840.10045.4.3.2" => "sha256",
            "1.2.840.113549.1.1.12" or "1.2.840.10045.4.3.3" => "sha384",
            "1.2.840.113549.1.1.13" or "1.2.840.10045.4.3.4" => "sha512",
            "1.2.840.113549.1.1.10" => PssHashName(parameters),
            _ => null,
        };
        hash = name is null ? null : HashNames.ToAlgorithm(name);
        if (oid is "2.16.840.1.101.3.4.3.17" or "2.16.840.1.101.3.4.3.18" or "2.16.840.1.101.3.4.3.19")
        {
            return From(oid, parameters, default);
        }
        return hash is { } h
            ? From(oid, parameters, h)
            : new(oid, null, $"certificate signature algorithm {CertificateAlgorithmName(oid)} ({oid}) is not one TaintWatch can check");
    }

    private static string CertificateAlgorithmName(string oid) => oid switch
    {
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.10045.4.3.1" => "ecdsa-with-SHA224",
        "1.2.840.113549.1.1.10" => "RSASSA-PSS with an unsupported hash",
        _ => Modules.Signatures.Pkcs7SignerInfo.SignatureAlgorithmName(oid),
    };

    /// <summary>The hashAlgorithm of RSASSA-PSS-params; SHA-1 when absent (RFC 4055), null when unreadable.</summary>
    private static string? PssHashName(byte[]? parameters)
    {
        try
        {
            if (parameters is null)
            {
                return "sha1";
            }
            var p = new AsnReader(parameters, AsnEncodingRules.DER).ReadSequence();
            return p.HasData && p.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0))
                ? HashNames.FromOid(p.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence().ReadObjectIdentifier())
                : "sha1";
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    /// <summary>RSASSA-PSS-params (RFC 4055): the hash and MGF1 hash must be the content digest's, the salt its length.</summary>
    private static SignatureScheme Pss(byte[]? parameters, HashAlgorithmName hash)
    {
        var pssHash = "1.3.14.3.2.26";
        var mgfHash = "1.3.14.3.2.26";
        var salt = 20;
        try
        {
            if (parameters is not null)
            {
                var p = new AsnReader(parameters, AsnEncodingRules.DER).ReadSequence();
                if (p.HasData && p.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
                {
                    pssHash = p.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence().ReadObjectIdentifier();
                }
                if (p.HasData && p.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
                {
                    var mgf = p.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1)).ReadSequence();
                    mgf.ReadObjectIdentifier();
                    mgfHash = mgf.ReadSequence().ReadObjectIdentifier();
                }
                if (p.HasData && p.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
                {
                    var explicitSalt = p.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 2));
                    salt = explicitSalt.TryReadInt32(out var s) ? s : -1;
                }
            }
        }
        catch (AsnContentException)
        {
            return new("rsa-pss", null, "the RSASSA-PSS parameters are not valid DER");
        }
        var name = HashNames.FromOid(pssHash);
        if (name is null || HashNames.ToAlgorithm(name) != hash || HashNames.FromOid(mgfHash) != name)
        {
            return new("rsa-pss", null, "RSASSA-PSS with a hash or MGF1 hash other than the content digest's is not supported");
        }
        var hashLength = hash == HashAlgorithmName.SHA256 ? 32 : hash == HashAlgorithmName.SHA384 ? 48 : hash == HashAlgorithmName.SHA512 ? 64 : -2;
        if (salt != hashLength)
        {
            return new("rsa-pss", null, $"RSASSA-PSS with a {salt}-byte salt (not the digest length) is not supported by the platform's crypto");
        }
        return new("rsa", RSASignaturePadding.Pss, null);
    }

    /// <summary>True when the maths holds, false when not, null (with a reason) when it cannot be checked.</summary>
    public bool? Verify(TrustAnchor key, HashAlgorithmName hash, byte[] digest, byte[]? signedAttributes, byte[] signature, out string? problem)
    {
        try
        {
            return VerifyWithKey(key, hash, digest, signedAttributes, signature, out problem);
        }
        catch (CryptographicException)
        {
            // A key that does not decode (a hostile certificate carried in the signature) checks nothing.
            problem = null;
            return false;
        }
    }

    private bool? VerifyWithKey(TrustAnchor key, HashAlgorithmName hash, byte[] digest, byte[]? signedAttributes, byte[] signature, out string? problem)
    {
        problem = null;
        var certificate = key.Certificate;
        switch (Family)
        {
            case "rsa":
                {
                    // A key of another type cannot have made the signature: the maths fails, as
                    // public_key_verify_signature rejects a key of another algorithm (EKEYREJECTED).
                    var padding = Padding!;
                    return key.WithKey((rsa, _) => rsa?.VerifyHash(digest, signature, hash, padding) ?? false);
                }
            case "ecdsa":
                return key.WithKey((_, ec) => ec?.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence) ?? false);
            case "ml-dsa":
                {
                    if (signedAttributes is null)
                    {
                        problem = "ML-DSA over the whole module (without signed attributes) is not verified by TaintWatch";
                        return null;
                    }
                    // ML-DSA is marked experimental in .NET 10 (SYSLIB5006); it is used only where the platform offers it.
#pragma warning disable SYSLIB5006
                    using var mlDsa = certificate.GetMLDsaPublicKey();
#pragma warning restore SYSLIB5006
                    if (mlDsa is null)
                    {
                        problem = "the signature is ML-DSA but the signer's key is not";
                        return false;
                    }
                    var set = (byte[])signedAttributes.Clone();
                    set[0] = 0x31;
                    return mlDsa.VerifyData(set, signature);
                }
            default:
                problem = Unsupported;
                return null;
        }
    }
}
