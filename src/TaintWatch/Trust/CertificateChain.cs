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

    // Each signature over a certificate is checked once per message, however many SignerInfos walk past it.
    private readonly Dictionary<(TrustAnchor Issuer, ChainCertificate Signed), (bool? Holds, string? Problem)> _checked = [];

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
    /// pkcs7_find_key: the first carried certificate the signer names by issuer and serial, whatever its key (since
    /// "KEYS: asymmetric: enforce that sig algo matches key algo", a key of another family fails the maths, fatally).
    /// A signer named by SKID never matches: the kernel compares it with the certificates' issuer+serial ids.
    /// </summary>
    public ChainCertificate? FindSigner(SignerId signer) =>
        signer.SubjectKeyId is null && _certificates.Count > 0 ? _byId.GetValueOrDefault(signer.Key) : null;

    /// <summary>Any carried certificate the signer names, SKID included: checked, never trusted for being there.</summary>
    public TrustAnchor? Carrying(SignerId signer) => _certificates.Count == 0 ? null : _certificates.FirstOrDefault(c => c.Anchor.Matches(signer))?.Anchor;

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
            return new SignatureVerification(VerificationState.Revoked, revoked.Key.Source, revoked.Checked is null
                ? $"the signing key is listed in {revoked.Key.Source}"
                : $"\"{revoked.Key.Subject}\", which issued \"{revoked.Checked.Subject}\" in the signature's chain, is listed in {revoked.Key.Source}", true);
        }

        var trusted = FindKey(path, walk.EndsSelfSigned, signerId, store.FindTrusted, moduleSignatureHolds);
        if (trusted is null)
        {
            return new SignatureVerification(VerificationState.Untrusted, null, Untrusted(path, walk.EndsSelfSigned), true);
        }
        var key = trusted.Key;
        if (trusted.Rejected)
        {
            return new SignatureVerification(VerificationState.Invalid, key.Source,
                $"\"{path[^1].Subject}\" names its issuer by serial and by key id, and the trusted certificate with that serial (\"{key.Subject}\", {key.Source}) has another key id, which the kernel refuses (EKEYREJECTED)", true);
        }
        if (trusted.Holds is null)
        {
            return new SignatureVerification(VerificationState.Unknown, null, trusted.Checked is null
                ? trusted.Problem ?? "the signature cannot be checked under the trusted key"
                : $"\"{trusted.Checked.Subject}\" in the signature's chain is signed with an algorithm TaintWatch cannot check ({trusted.Problem})", true);
        }
        if (trusted.Holds == false)
        {
            return new SignatureVerification(VerificationState.Invalid, key.Source, trusted.Checked is null
                ? $"the signature does not check under the trusted copy of its signer's key (\"{key.Subject}\", {key.Source}), which the kernel refuses (EKEYREJECTED)"
                : $"\"{trusted.Checked.Subject}\" in the signature's chain does not check under the trusted key that issued it (\"{key.Subject}\", {key.Source}), which the kernel refuses (EKEYREJECTED)", true);
        }
        if (store.Revocation(key) is { } why)
        {
            return new SignatureVerification(VerificationState.Revoked, key.Source, trusted.Checked is null
                ? "the signing key is revoked: " + why
                : $"the trusted key \"{key.Subject}\" that the signature's chain ends at is revoked: {why}", true);
        }
        return new SignatureVerification(VerificationState.Valid, key.Source, null, true, store.KernelKeys?.Holds(key));
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
            var holds = Checks(issuer.Anchor, x, out var problem);
            if (holds is null)
            {
                return new Walk(path, false, new SignatureVerification(VerificationState.Unknown, null,
                    $"\"{x.Subject}\" in the signature's chain is signed with an algorithm TaintWatch cannot check ({problem})", true));
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
    /// the keyring holds, whose copy must check the signature on the certificate below it (the module's, for the
    /// signer); else, unless the chain ends self-signed, the key its top names as issuer, which must check the top;
    /// else the key the signer names, which must check the module's signature.
    /// </summary>
    private KeyFound? FindKey(List<ChainCertificate> path, bool endsSelfSigned, SignerId signerId, Func<SignerId, TrustAnchor?> find, Func<TrustAnchor, bool?> moduleSignatureHolds)
    {
        for (var i = 0; i < path.Count; i++)
        {
            var x = path[i];
            // find_asymmetric_key(x->id, x->skid): found by issuer+serial, and the SKID must agree when there is one.
            if (find(x.Id) is { } key && (x.Anchor.SubjectKeyId is null || ChainCertificate.Same(key.SubjectKeyId, x.Anchor.SubjectKeyId)))
            {
                return Checking(key, i == 0 ? null : path[i - 1], moduleSignatureHolds);
            }
        }
        if (endsSelfSigned)
        {
            // "unknown self-signed": a root the keyring does not hold ends the search.
            return null;
        }
        var top = path[^1];
        if (top.AuthorityId is not null || top.AuthorityKeyId is not null)
        {
            if (find(top.AuthorityId ?? new SignerId(null, null, top.AuthorityKeyId)) is { } key)
            {
                // Named by both serial and key id: the key found by serial must have that key id too.
                return top.AuthorityId is not null && top.AuthorityKeyId is not null && !ChainCertificate.Same(key.SubjectKeyId, top.AuthorityKeyId)
                    ? new KeyFound(key, top, null, null, Rejected: true)
                    : Checking(key, top, moduleSignatureHolds);
            }
        }
        return find(signerId) is { } direct ? Checking(direct, null, moduleSignatureHolds) : null;
    }

    /// <summary>A key found, and whether it checks <paramref name="signed"/>'s signature (the module's when null).</summary>
    private KeyFound Checking(TrustAnchor key, ChainCertificate? signed, Func<TrustAnchor, bool?> moduleSignatureHolds)
    {
        if (signed is null)
        {
            return new KeyFound(key, null, moduleSignatureHolds(key), null);
        }
        var holds = Checks(key, signed, out var problem);
        return new KeyFound(key, signed, holds, problem);
    }

    private bool? Checks(TrustAnchor issuer, ChainCertificate signed, out string? problem)
    {
        if (!_checked.TryGetValue((issuer, signed), out var result))
        {
            result.Holds = CertificateSignature.Check(issuer, signed, out result.Problem);
            _checked[(issuer, signed)] = result;
        }
        problem = result.Problem;
        return result.Holds;
    }

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
    /// <param name="Checked">The carried certificate whose signature it must check; null for the module's own signature.</param>
    /// <param name="Holds">Whether that signature checks; null when the platform cannot tell.</param>
    /// <param name="Problem">Why it cannot tell.</param>
    /// <param name="Rejected">Found by serial with another key id than the chain names (EKEYREJECTED).</param>
    private sealed record KeyFound(TrustAnchor Key, ChainCertificate? Checked, bool? Holds, string? Problem, bool Rejected = false);
}
