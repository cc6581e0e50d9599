namespace TaintWatch.Trust;

/// <summary>
/// The certificates a module signature carries, and the kernel's way from the signer through them to a key it
/// trusts. pkcs7_verify_sig_chain (crypto/asymmetric_keys/pkcs7_verify.c) links each certificate to its issuer
/// within the message, checking every link and stopping at a blacklisted one; is_key_on_revocation_list
/// (certs/blacklist.c) and pkcs7_validate_trust_one (pkcs7_trust.c) then look along that chain for the first
/// key a keyring holds, then for the top certificate's issuer, then for the signer itself. Each certificate is
/// visited at most once, so an issuer loop or a long chain ends with a verdict.
/// </summary>
internal sealed class CertificateChain
{
    /// <summary>More than any real signature carries (sign-file carries none); beyond it the verdict is unknown, not a long parse.</summary>
    public const int MaxCertificates = 4096;

    private static readonly CertificateChain Empty = new([]);

    private readonly IReadOnlyList<ChainCertificate> _certificates;
    private readonly Dictionary<string, ChainCertificate> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChainCertificate> _bySkid = new(StringComparer.Ordinal);

    private CertificateChain(IReadOnlyList<ChainCertificate> certificates)
    {
        _certificates = certificates;
        // The kernel takes the first certificate in the message that matches.
        foreach (var c in certificates)
        {
            _byId.TryAdd(c.Id.Key, c);
            if (c.Anchor.SubjectKeyId is { } skid)
            {
                _bySkid.TryAdd(Convert.ToHexString(skid), c);
            }
        }
    }

    /// <summary>Reads every carried certificate; throws <see cref="ChainRefusal"/> where the kernel's parse fails.</summary>
    public static CertificateChain Read(Pkcs7Message message)
    {
        if (message.Certificates.Count == 0)
        {
            return Empty;
        }
        if (message.Certificates.Count > MaxCertificates)
        {
            throw new ChainRefusal(VerificationState.Unknown, $"the signature carries {message.Certificates.Count} certificates; TaintWatch reads at most {MaxCertificates} (sign-file carries none)");
        }
        return new CertificateChain(message.Certificates.Select((der, i) => ChainCertificate.Read(der, i + 1)).ToList());
    }

    /// <summary>
    /// pkcs7_find_key: the carried certificate the signer names by issuer and serial, with a key of the signature's
    /// family. A signer named by SKID never matches (the kernel compares the certificates' issuer+serial ids).
    /// </summary>
    public ChainCertificate? FindSigner(SignerId signer, string family) =>
        signer.SubjectKeyId is null ? _certificates.FirstOrDefault(c => c.Id.Key == signer.Key && c.KeyFamily == family) : null;

    /// <summary>Any carried certificate the signer names, SKID included: checked, never trusted for being there.</summary>
    public TrustAnchor? Carrying(SignerId signer) => _certificates.FirstOrDefault(c => c.Anchor.Matches(signer))?.Anchor;

    /// <summary>
    /// The verdict once the module's signature has checked under the carried signer's key: the chain within the
    /// message, then the revocation keyring, then the trusted keys. <paramref name="moduleSignatureHolds"/> checks
    /// the module's signature under another key.
    /// </summary>
    public SignatureVerification Decide(ChainCertificate signer, SignerId signerId, TrustStore store, Func<TrustAnchor, bool?> moduleSignatureHolds)
    {
        var walk = WalkWithinMessage(signer, store);
        if (walk.Verdict is { } refused)
        {
            return refused;
        }
        var path = walk.Path;

        // is_key_on_revocation_list: the same search in the .blacklist keyring; a key found that checks revokes.
        if (FindKey(path, walk.EndsSelfSigned, signerId, store.FindRevoked, moduleSignatureHolds) is { Holds: true } revoked)
        {
            return new SignatureVerification(VerificationState.Revoked, revoked.Key.Source, revoked.Below is null || revoked.Below == signer && revoked.IsCopyOfBelow
                ? $"the signing key is listed in {revoked.Key.Source}"
                : $"\"{revoked.Key.Subject}\", which {Describe(revoked)} in the signature's chain, is listed in {revoked.Key.Source}", true);
        }

        var trusted = FindKey(path, walk.EndsSelfSigned, signerId, store.FindTrusted, moduleSignatureHolds);
        if (trusted is null)
        {
            return new SignatureVerification(VerificationState.Untrusted, null, Untrusted(path, walk.EndsSelfSigned), true);
        }
        if (trusted.Rejected)
        {
            return new SignatureVerification(VerificationState.Invalid, trusted.Key.Source,
                $"\"{path[^1].Subject}\" names its issuer by serial and by key id, and the trusted certificate with that serial (\"{trusted.Key.Subject}\", {trusted.Key.Source}) has another key id, which the kernel refuses (EKEYREJECTED)", true);
        }
        if (trusted.Holds is null)
        {
            return SignatureVerification.Unknown(trusted.Problem ?? "the trusted key's signature in the chain cannot be checked here");
        }
        if (trusted.Holds == false)
        {
            return new SignatureVerification(VerificationState.Invalid, trusted.Key.Source, trusted.Below is null || trusted.IsCopyOfBelow && trusted.Below == signer
                ? $"the signature does not check under the trusted copy of its signer's key (\"{trusted.Key.Subject}\", {trusted.Key.Source}), which the kernel refuses (EKEYREJECTED)"
                : $"\"{trusted.Key.Subject}\" from {trusted.Key.Source} {Describe(trusted)} in the signature's chain, but its signature there does not check under that trusted key, which the kernel refuses (EKEYREJECTED)", true);
        }
        if (store.Revocation(trusted.Key) is { } why)
        {
            return new SignatureVerification(VerificationState.Revoked, trusted.Key.Source, trusted.Below == signer && trusted.IsCopyOfBelow
                ? "the signing key is revoked: " + why
                : $"the trusted key \"{trusted.Key.Subject}\" that the signature's chain ends at is revoked: {why}", true);
        }
        return new SignatureVerification(VerificationState.Valid, trusted.Key.Source, null, true, store.KernelKeys?.Holds(trusted.Key));
    }

    /// <summary>pkcs7_verify_sig_chain: signer → issuer → … while the issuer is carried, each link checked.</summary>
    private Walk WalkWithinMessage(ChainCertificate signer, TrustStore store)
    {
        var path = new List<ChainCertificate> { signer };
        var seen = new HashSet<ChainCertificate> { signer };
        var x = signer;
        while (true)
        {
            // x509->blacklisted: the certificate's TBS hash is in the blacklist (dbx, MokListXRT "tbs:" hashes).
            if (store.TbsRevocation(x.Anchor) is { } why)
            {
                return new Walk(path, false, new SignatureVerification(VerificationState.Revoked, why.Source, x == signer
                    ? "the signing key is revoked: " + why.Reason
                    : $"\"{x.Subject}\", certificate {x.Index} of the signature's chain, is revoked: {why.Reason}", true));
            }
            if (x.SelfSigned)
            {
                return new Walk(path, true, null);
            }
            ChainCertificate? issuer = null;
            if (x.AuthorityId is { } id)
            {
                if (_byId.TryGetValue(id.Key, out issuer) && x.AuthorityKeyId is not null && !ChainCertificate.Same(issuer.Anchor.SubjectKeyId, x.AuthorityKeyId))
                {
                    return new Walk(path, false, new SignatureVerification(VerificationState.Invalid, ChainCertificate.Source,
                        $"\"{x.Subject}\" names its issuer by serial and by key id, and the carried certificate with that serial (\"{issuer.Subject}\") has another key id, which the kernel refuses (\"X.509 chain contains auth-skid nonmatch\")", true));
                }
            }
            else if (x.AuthorityKeyId is { } keyId)
            {
                _bySkid.TryGetValue(Convert.ToHexString(keyId), out issuer);
            }
            // No carried issuer: the top of the chain. Seen before: a loop, which the kernel stops at too.
            if (issuer is null || !seen.Add(issuer))
            {
                return new Walk(path, false, null);
            }
            var holds = CertificateSignature.Check(issuer.Anchor, x, out var problem);
            if (holds is null)
            {
                return new Walk(path, false, SignatureVerification.Unknown($"\"{x.Subject}\" in the signature's chain is signed with an algorithm TaintWatch cannot check ({problem})"));
            }
            if (holds == false)
            {
                return new Walk(path, false, new SignatureVerification(VerificationState.Invalid, ChainCertificate.Source,
                    $"\"{x.Subject}\", certificate {x.Index} of the signature's chain, does not check under its carried issuer \"{issuer.Subject}\", which the kernel refuses (EKEYREJECTED)", true));
            }
            path.Add(issuer);
            x = issuer;
        }
    }

    /// <summary>
    /// pkcs7_validate_trust_one against one keyring (<paramref name="find"/>): the first certificate of the chain
    /// the keyring holds (its copy must check the signature on the certificate below, or the module's for the
    /// signer); else, unless the chain ends self-signed, the key its top names as issuer; else the signer's own id.
    /// </summary>
    private static KeyFound? FindKey(List<ChainCertificate> path, bool endsSelfSigned, SignerId signerId, Func<SignerId, TrustAnchor?> find, Func<TrustAnchor, bool?> moduleSignatureHolds)
    {
        for (var i = 0; i < path.Count; i++)
        {
            var x = path[i];
            // find_asymmetric_key(x->id, x->skid): found by issuer+serial, and the SKID must agree when there is one.
            if (find(x.Id) is { } key && (x.Anchor.SubjectKeyId is null || ChainCertificate.Same(key.SubjectKeyId, x.Anchor.SubjectKeyId)))
            {
                if (i == 0)
                {
                    return new KeyFound(key, x, true, moduleSignatureHolds(key), null);
                }
                return new KeyFound(key, x, true, CertificateSignature.Check(key, path[i - 1], out var why), why);
            }
        }
        var top = path[^1];
        if (!endsSelfSigned && (top.AuthorityId is not null || top.AuthorityKeyId is not null))
        {
            var key = find(top.AuthorityId ?? new SignerId(null, null, top.AuthorityKeyId));
            if (key is not null)
            {
                if (top.AuthorityId is not null && top.AuthorityKeyId is not null && !ChainCertificate.Same(key.SubjectKeyId, top.AuthorityKeyId))
                {
                    return new KeyFound(key, top, false, false, null, Rejected: true);
                }
                return new KeyFound(key, top, false, CertificateSignature.Check(key, top, out var why), why);
            }
        }
        if (endsSelfSigned)
        {
            // "unknown self-signed": a root the keyring does not hold ends the search.
            return null;
        }
        return find(signerId) is { } direct ? new KeyFound(direct, null, false, moduleSignatureHolds(direct), null) : null;
    }

    private static string Describe(KeyFound found) => found.IsCopyOfBelow
        ? $"is certificate {found.Below!.Index}"
        : $"issued \"{found.Below!.Subject}\"";

    private static string Untrusted(List<ChainCertificate> path, bool endsSelfSigned)
    {
        var signer = path[0];
        var top = path[^1];
        if (endsSelfSigned)
        {
            return path.Count == 1
                ? $"signed by \"{signer.Subject}\", whose certificate the signature carries but no trusted source holds"
                : $"signed by \"{signer.Subject}\" through {path.Count} certificates the signature carries, ending at the self-signed \"{top.Subject}\", which no trusted source holds";
        }
        var issuer = top.AuthorityKeyId is { } keyId ? "keyIdentifier " + Convert.ToHexStringLower(keyId)
            : top.AuthorityId is { } id ? id.ToString()
            : "\"" + top.Anchor.Certificate.Issuer + "\"";
        return path.Count == 1
            ? $"signed by \"{signer.Subject}\", whose certificate the signature carries; its issuer ({issuer}) is neither carried nor held by a trusted source"
            : $"signed by \"{signer.Subject}\" through {path.Count} certificates the signature carries, ending at \"{top.Subject}\", whose issuer ({issuer}) is neither carried nor held by a trusted source";
    }

    /// <summary>The chain within the message, or the verdict that ended it.</summary>
    private sealed record Walk(List<ChainCertificate> Path, bool EndsSelfSigned, SignatureVerification? Verdict);

    /// <param name="Key">The keyring's certificate.</param>
    /// <param name="Below">The carried certificate it is a copy of, or whose issuer it is; null for the signer's id matched directly.</param>
    /// <param name="IsCopyOfBelow">The keyring holds <paramref name="Below"/> itself (else its issuer).</param>
    /// <param name="Holds">Whether the signature it must check does.</param>
    /// <param name="Problem">Why that signature cannot be checked, when it cannot.</param>
    /// <param name="Rejected">Found by serial with another SKID than the chain names (EKEYREJECTED).</param>
    private sealed record KeyFound(TrustAnchor Key, ChainCertificate? Below, bool IsCopyOfBelow, bool? Holds, string? Problem, bool Rejected = false);
}
