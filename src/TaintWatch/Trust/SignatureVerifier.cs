using System.Security.Cryptography;

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
        // The kernel parses every carried certificate with the message: one it refuses refuses the signature.
        CertificateChain chain;
        try
        {
            chain = CertificateChain.Read(message);
        }
        catch (ChainRefusal refusal)
        {
            return new SignatureVerification(refusal.State, null, refusal.Message);
        }
        // Every SignerInfo must hold (pkcs7_verify fails on the first that does not); one trusted is enough.
        var verdicts = message.Signers.Select(s => NotUntrustedWithoutKeys(VerifySigner(chain, s, evidence.Digests, store), store)).ToList();
        return verdicts.FirstOrDefault(v => v.State == VerificationState.Invalid)
            ?? verdicts.FirstOrDefault(v => v.State == VerificationState.Revoked)
            ?? verdicts.FirstOrDefault(v => v.State == VerificationState.Valid)
            ?? verdicts.FirstOrDefault(v => v.State == VerificationState.Untrusted)
            ?? verdicts[0];
    }

    /// <summary>
    /// "untrusted" means no trusted source holds the key; when no source could be read at all that is not known,
    /// even where the signature checks under a certificate it carries itself: unknown, with both reasons.
    /// </summary>
    private static SignatureVerification NotUntrustedWithoutKeys(SignatureVerification verdict, TrustStore store) =>
        verdict.State == VerificationState.Untrusted && store.IsEmpty
            ? verdict with { State = VerificationState.Unknown, Problem = $"no trusted key could be read ({DescribeSources(store)}); {verdict.Problem}" }
            : verdict;

    private static SignatureVerification VerifySigner(CertificateChain chain, Pkcs7Signer signer, IReadOnlyDictionary<string, byte[]> digests, TrustStore store)
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
        if (chain.FindSigner(signer.Id) is { } carriedSigner)
        {
            return VerifyThroughChain(chain, carriedSigner, signer, scheme, hash, signedDigest, store);
        }

        var trusted = store.FindTrusted(signer.Id);
        var revoked = store.FindRevoked(signer.Id);
        var carried = trusted is null && revoked is null ? chain.Carrying(signer.Id) : null;
        var key = trusted ?? revoked ?? carried;
        if (key is null)
        {
            return store.IsEmpty
                ? SignatureVerification.Unknown("no trusted key could be read: " + DescribeSources(store))
                : new SignatureVerification(VerificationState.Untrusted, null, $"no trusted source holds the signing key ({signer.Id})");
        }
        if (RefusedUnder(key, signer, scheme, hash, signedDigest) is { } refused)
        {
            return refused;
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

    /// <summary>
    /// The signer's certificate is carried (pkcs7_verify_one): the module's signature is checked under it, then
    /// the chain above it decides whom the kernel would trust (<see cref="CertificateChain"/>).
    /// </summary>
    private static SignatureVerification VerifyThroughChain(CertificateChain chain, ChainCertificate carried, Pkcs7Signer signer, SignatureScheme scheme, HashAlgorithmName hash, byte[] digest, TrustStore store)
    {
        return RefusedUnder(carried.Anchor, signer, scheme, hash, digest)
            ?? chain.Decide(carried, signer.Id, store, k => scheme.Verify(k, hash, digest, signer.SignedAttributes, signer.Signature, out _));
    }

    /// <summary>
    /// What the kernel refuses once it has the signer's key (public_key_verify_signature, then pkcs7_verify_one's
    /// validity and authattrs checks): null when the module's signature checks and stands under it.
    /// </summary>
    private static SignatureVerification? RefusedUnder(TrustAnchor key, Pkcs7Signer signer, SignatureScheme scheme, HashAlgorithmName hash, byte[] digest)
    {
        var checks = scheme.Verify(key, hash, digest, signer.SignedAttributes, signer.Signature, out var mathProblem);
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
        return signer.SignedAttributes is not null && !scheme.IsMlDsa
            ? new SignatureVerification(VerificationState.Invalid, key.Source,
                "the signature checks, but it has signed attributes, which the kernel refuses for module signatures other than ML-DSA (\"Invalid module sig (has authattrs)\")", true)
            : null;
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

    internal static string DescribeSources(TrustStore store) =>
        store.Sources.Count == 0 ? "no sources" : string.Join("; ", store.Sources.Where(s => s.Problem is not null && !s.Revokes).Select(s => $"{s.Name}: {s.Problem}").DefaultIfEmpty("no source holds a certificate"));

    private static byte[] HashData(HashAlgorithmName hash, byte[] data)
    {
        using var h = IncrementalHash.CreateHash(hash);
        h.AppendData(data);
        return h.GetHashAndReset();
    }
}
