namespace TaintWatch.Watch;

/// <summary>
/// What the daemon has already reported during one boot (docs/state-file.md): the bits it saw set and when first,
/// the modules it knows are loaded, the modules whose file no longer matches, and an outbox of events
/// decided but not yet confirmed written, so that a crash between deciding and writing loses nothing.
/// </summary>
public sealed class WatchState
{
    public string BootId { get; set; } = "";

    /// <summary>Bit number → when the daemon first saw it set (Unix seconds).</summary>
    public SortedDictionary<int, double> Bits { get; } = [];

    public SortedSet<string> Modules { get; } = new(StringComparer.Ordinal);

    public SortedSet<string> MismatchedFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Modules loaded when watching began this boot whose files were still being read then: when reported, they
    /// are reported as present at start, not as loaded since. In memory only (a restart reports them late anyway).
    /// </summary>
    public HashSet<string> PendingAtStart { get; } = new(StringComparer.Ordinal);

    /// <summary>Likewise for modules found at the first poll after a restart: reported as seen late when read.</summary>
    public HashSet<string> PendingLate { get; } = new(StringComparer.Ordinal);

    /// <summary>Loaded modules whose file's signature was reported as no longer verifying (invalid, revoked, untrusted).</summary>
    public SortedSet<string> UnverifiedFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>Events decided and persisted but not yet confirmed sent to the journal.</summary>
    public List<WatchEvent> Outbox { get; } = [];

    /// <summary>False until the first poll of this boot has been recorded.</summary>
    public bool Initialized { get; set; }

    public long Sequence { get; set; }

    /// <summary>Live patches, unloaded taint carriers and what the lifecycle events already reported (issue 17).</summary>
    public Lifecycle.LifecycleState Lifecycle { get; } = new();
}
