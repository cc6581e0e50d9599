using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TaintWatch.Trust;

/// <summary>
/// Decides a module signature's state as the kernel would (kernel/module/signing.c → verify_pkcs7_signature →
/// pkcs7_verify, pkcs7_validate_trust, is_key_on_revocation_list), with the platform's crypto for the maths.
/// </summary>
public static class SignatureVerifier
{
    public static SignatureVerification Verify(SignatureEvidence evidence, TrustStore store)
    {
        if (evidence.Malformed is not null)
        {
            return new SignatureVerification(VerificationState.Invalid, null, evidence.Malformed);
        }
        if (evidence.Unverifiable is not null)
        {
            return SignatureVerification.Unknown(evidence.Unverifiable);
        }
        if (evidence.Legacy is not null)
        {
            return VerifyLegacy(evidence.Legacy, evidence.Digests, store);
        }
        var message = evidence.Message!;
        if (message.ContentType != Pkcs7Message.DataOid)
        {
            return new SignatureVerification(VerificationState.Invalid, null, "the signature's content type is not pkcs7-data, which the kernel refuses (\"Invalid module sig (not pkcs7-data)\")");
        }
        if (message.HasContent)
        {
            return new SignatureVerification(VerificationState.Invalid, null, "the signature carries content of its own instead of signing the module detached, which the kernel refuses");
        }
        // Every SignerInfo must hold (pkcs7_verify fails on the first that does not); one trusted is enough.
        var verdicts = message.Signers.Select(s => VerifySigner(message, s, evidence.Digests, store)).ToList();
        return verdicts.FirstOrDefault(v => v.State == VerificationState.Invalid)
            ?? verdicts.FirstOrDefault(v => v.State == VerificationState.Revoked)
            ?? verdicts.FirstOrDefault(v => v.State == VerificationState.Valid)
            ?? verdicts.FirstOrDefault(v => v.State == VerificationState.Untrusted)
            ?? verdicts[0];
    }

    private static SignatureVerification VerifySigner(Pkcs7Message message, Pkcs7Signer signer, IReadOnlyDictionary<string, byte[]> digests, TrustStore store)
    {
        var hashName = HashNames.FromOid(signer.DigestOid);
        if (hashName is null || !digests.TryGetValue(hashName, out var contentDigest))
        {
            return SignatureVerification.Unknown($"digest algorithm {hashName ?? signer.DigestOid} is not supported here");
        }
        var hash = HashNames.ToAlgorithm(hashName)!.Value;
        var signedDigest = contentDigest;
        if (signer.SignedAttributes is { } attributes)
        {
            if (signer.MessageDigest is null)
            {
                return new SignatureVerification(VerificationState.Invalid, null, "the signed attributes hold no messageDigest");
            }
            if (!CryptographicOperations.FixedTimeEquals(signer.MessageDigest, contentDigest))
            {
                return new SignatureVerification(VerificationState.Invalid, null, "the file is not what was signed: its digest differs from the signature's messageDigest");
            }
            if (signer.AttributeContentType is not null && signer.AttributeContentType != Pkcs7Message.DataOid)
            {
                return new SignatureVerification(VerificationState.Invalid, null, "the signed contentType attribute is not pkcs7-data");
            }
            // The signature covers the attributes re-tagged as a SET (RFC 5652 §5.4; pkcs7_digest).
            var set = (byte[])attributes.Clone();
            set[0] = 0x31;
            signedDigest = HashData(hash, set);
        }
        var scheme = SignatureScheme.From(signer.SignatureOid, signer.SignatureParameters, hash);
        if (scheme.Unsupported is not null)
        {
            return SignatureVerification.Unknown(scheme.Unsupported);
        }

        var trusted = store.FindTrusted(signer.Id);
        var revoked = store.FindRevoked(signer.Id);
        var carried = trusted is null && revoked is null ? CarriedCertificate(message, signer.Id) : null;
        var key = trusted ?? revoked ?? carried;
        if (key is null)
        {
            return store.IsEmpty
                ? SignatureVerification.Unknown("no trusted key could be read: " + DescribeSources(store))
                : new SignatureVerification(VerificationState.Untrusted, null, $"no trusted source holds the signing key ({signer.Id})");
        }
        var checks = scheme.Verify(key, hash, signer.SignedAttributes is null ? contentDigest : signedDigest, signer.SignedAttributes, signer.Signature, out var mathProblem);
        if (checks is null)
        {
            return SignatureVerification.Unknown(mathProblem!);
        }
        if (checks == false)
        {
            return new SignatureVerification(VerificationState.Invalid, key.Source, signer.SignedAttributes is null
                ? "the file is not what was signed: the signature does not match its contents under the signer's key"
                : "the signed attributes' signature does not check under the signer's key");
        }
        if (signer.SigningTime is { } time && (time < key.Certificate.NotBefore.ToUniversalTime() || time > key.Certificate.NotAfter.ToUniversalTime()))
        {
            return new SignatureVerification(VerificationState.Invalid, key.Source, "signed outside the signing certificate's validity (\"Message signed outside of X.509 validity window\")", true);
        }
        if (signer.SignedAttributes is not null && !scheme.IsMlDsa)
        {
            return new SignatureVerification(VerificationState.Invalid, key.Source,
                "the signature checks, but it has signed attributes, which the kernel refuses for module signatures other than ML-DSA (\"Invalid module sig (has authattrs)\")", true);
        }
        if (revoked is not null)
        {
            return new SignatureVerification(VerificationState.Revoked, revoked.Source, $"the signing key is listed in {revoked.Source}", true);
        }
        if (trusted is null)
        {
            return new SignatureVerification(VerificationState.Untrusted, null,
                $"signed by \"{carried!.Subject}\", whose certificate the signature carries but no trusted source holds", true);
        }
        if (store.Revocation(trusted) is { } why)
        {
            return new SignatureVerification(VerificationState.Revoked, trusted.Source, "the signing key is revoked: " + why, true);
        }
        return new SignatureVerification(VerificationState.Valid, trusted.Source, null, true, store.KernelKeys?.Holds(trusted));
    }

    private static SignatureVerification VerifyLegacy(LegacyX509Signature legacy, IReadOnlyDictionary<string, byte[]> digests, TrustStore store)
    {
        if (legacy.Algorithm != 1)
        {
            return SignatureVerification.Unknown("the legacy X.509 form names a DSA signature, which no kernel verifies");
        }
        if (!digests.TryGetValue(legacy.Hash, out var digest))
        {
            return SignatureVerification.Unknown($"digest algorithm {legacy.Hash} is not supported here");
        }
        // The signature is one MPI: a 2-byte big-endian byte count, then the bytes (kernel 3.10 mod_extract_mpi_array).
        var data = legacy.Data;
        if (data.Length < 3 || ((data[0] << 8) | data[1]) != data.Length - 2)
        {
            return new SignatureVerification(VerificationState.Invalid, null, "the legacy X.509 signature is not one length-prefixed MPI");
        }
        var id = new SignerId(null, null, legacy.KeyId);
        var revoked = store.FindRevoked(id);
        var key = store.FindTrusted(id) ?? revoked;
        if (key is null)
        {
            return store.IsEmpty
                ? SignatureVerification.Unknown("no trusted key could be read: " + DescribeSources(store))
                : new SignatureVerification(VerificationState.Untrusted, null, $"no trusted source holds the signing key \"{legacy.Signer}\" ({id})");
        }
        var hash = HashNames.ToAlgorithm(legacy.Hash)!.Value;
        var holds = key.WithKey((rsa, _) => rsa?.VerifyHash(digest, data.AsSpan(2), hash, RSASignaturePadding.Pkcs1));
        if (holds is null)
        {
            return new SignatureVerification(VerificationState.Invalid, key.Source, "the key the legacy signature names is not an RSA key");
        }
        if (holds == false)
        {
            return new SignatureVerification(VerificationState.Invalid, key.Source, "the file is not what was signed: the signature does not match its contents under the signer's key");
        }
        if (revoked is not null || store.Revocation(key) is not null)
        {
            return new SignatureVerification(VerificationState.Revoked, key.Source, "the signing key is revoked", true);
        }
        return new SignatureVerification(VerificationState.Valid, key.Source, null, true, store.KernelKeys?.Holds(key));
    }

    /// <summary>The signer's certificate when the signature carries it (openssl cms -sign without -nocerts).</summary>
    private static TrustAnchor? CarriedCertificate(Pkcs7Message message, SignerId id)
    {
        foreach (var der in message.Certificates)
        {
            try
            {
                var anchor = TrustAnchor.Create(der, "the signature's own certificates");
                if (anchor.Matches(id))
                {
                    return anchor;
                }
            }
            catch (TaintWatch.Modules.ModuleFormatException)
            {
                // A carried certificate that does not parse cannot be the signer's; the kernel refuses the whole
                // message, which the parse would have caught first.
            }
        }
        return null;
    }

    internal static string DescribeSources(TrustStore store) =>
        store.Sources.Count == 0 ? "no sources" : string.Join("; ", store.Sources.Where(s => s.Problem is not null && !s.Revokes).Select(s => $"{s.Name}: {s.Problem}").DefaultIfEmpty("no source holds a certificate"));

    private static byte[] HashData(HashAlgorithmName hash, byte[] data)
    {
        using var h = IncrementalHash.CreateHash(hash);
        h.AppendData(data);
        return h.GetHashAndReset();
    }

    /// <summary>The signature algorithm of a SignerInfo, as the kernel's pkcs7_sig_note_pkey_algo reads it.</summary>
    private sealed record SignatureScheme(string Family, RSASignaturePadding? Padding, string? Unsupported, bool IsMlDsa = false)
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
            problem = null;
            var certificate = key.Certificate;
            switch (Family)
            {
                case "rsa":
                    {
                        // A key of another type cannot have made the signature: the maths fails, as pkcs7_find_key
                        // leaves a key of another algorithm unmatched.
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
}
