using System.Runtime.CompilerServices;

namespace TaintWatch.Trust;

/// <summary>
/// The keys a kernel would accept module signatures from, and the revocations it would apply, gathered from
/// every source (<see cref="TrustStoreLoader"/>). Immutable once built; lookups are safe from any thread.
/// </summary>
public sealed class TrustStore
{
    private readonly Dictionary<string, TrustAnchor> _trusted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TrustAnchor> _revoked = new(StringComparer.Ordinal);
    private readonly HashSet<string> _revokedTbsHashes = new(StringComparer.Ordinal);

    // The daemon keeps each file's evidence until the file changes: its verdict is worked out once per store.
    private readonly ConditionalWeakTable<SignatureEvidence, SignatureVerification> _verdicts = [];

    public TrustStore(IReadOnlyList<TrustSource> sources, IReadOnlyList<TrustAnchor> trusted, IReadOnlyList<TrustAnchor> revoked, IEnumerable<byte[]> revokedTbsHashes, ProcKeys? kernelKeys)
    {
        Sources = sources;
        Trusted = trusted;
        Revoked = revoked;
        KernelKeys = kernelKeys;
        foreach (var a in trusted)
        {
            Index(_trusted, a);
        }
        foreach (var a in revoked)
        {
            Index(_revoked, a);
        }
        foreach (var h in revokedTbsHashes)
        {
            _revokedTbsHashes.Add(Convert.ToHexString(h));
        }
    }

    public IReadOnlyList<TrustSource> Sources { get; }

    public IReadOnlyList<TrustAnchor> Trusted { get; }

    public IReadOnlyList<TrustAnchor> Revoked { get; }

    /// <summary>The running kernel's keys from /proc/keys, when readable and the release is the running one.</summary>
    public ProcKeys? KernelKeys { get; }

    /// <summary>No source gave a single trusted certificate: nothing can be called valid or untrusted.</summary>
    public bool IsEmpty => Trusted.Count == 0;

    public static TrustStore Empty { get; } = new([], [], [], [], null);

    /// <summary>The verdict on a module's signature against this store, remembered for as long as the evidence lives.</summary>
    public SignatureVerification Verify(SignatureEvidence evidence) =>
        _verdicts.GetValue(evidence, e => SignatureVerifier.Verify(e, this));

    /// <summary>The first trusted certificate the signature names (sources in the order they were loaded).</summary>
    public TrustAnchor? FindTrusted(SignerId id) => _trusted.GetValueOrDefault(id.Key);

    /// <summary>A revoked certificate (dbx, MokListXRT, the image's revocation list) the signature names.</summary>
    public TrustAnchor? FindRevoked(SignerId id) => _revoked.GetValueOrDefault(id.Key);

    /// <summary>Whether the certificate is revoked: listed itself, or its TBS hash listed (as x509_get_sig_params checks).</summary>
    public string? Revocation(TrustAnchor anchor)
    {
        if (TbsRevocation(anchor) is { } tbs)
        {
            return tbs.Reason;
        }
        var listed = Revoked.FirstOrDefault(r => r.Der.AsSpan().SequenceEqual(anchor.Der));
        return listed is null ? null : "its certificate is listed in " + listed.Source;
    }

    /// <summary>
    /// Whether the certificate's TBS SHA-256 is listed (the kernel's "tbs:" blacklist hashes, which mark a
    /// certificate blacklisted wherever it appears); Source names the sources that list such hashes.
    /// </summary>
    public (string Source, string Reason)? TbsRevocation(TrustAnchor anchor)
    {
        if (_revokedTbsHashes.Count == 0 || !_revokedTbsHashes.Contains(Convert.ToHexString(anchor.TbsSha256)))
        {
            return null;
        }
        var sources = string.Join(" or ", Sources.Where(s => s.Revokes && s.Hashes > 0).Select(s => s.Name));
        return (sources, "its certificate's TBS SHA-256 is listed in " + sources);
    }

    private static void Index(Dictionary<string, TrustAnchor> index, TrustAnchor anchor)
    {
        index.TryAdd(new SignerId(anchor.Issuer, anchor.Serial, null).Key, anchor);
        if (anchor.SubjectKeyId is not null)
        {
            index.TryAdd(new SignerId(null, null, anchor.SubjectKeyId).Key, anchor);
        }
    }
}
