namespace TaintWatch.Lifecycle;

/// <summary>
/// What the daemon remembers of the lifecycle during one boot (kept in the state file with the rest): the letters of
/// loaded modules, so that an unloaded one still explains its bits; which bits were already set when watching began;
/// and what was already reported, so that a restart repeats nothing.
/// </summary>
public sealed class LifecycleState
{
    public string BootId { get; set; } = "";

    /// <summary>Loaded module → its taint letters at the last poll.</summary>
    public SortedDictionary<string, string> Letters { get; } = new(StringComparer.Ordinal);

    /// <summary>Letter → modules seen carrying it that have since unloaded (or were loaded and gone between polls).</summary>
    public SortedDictionary<char, SortedSet<string>> UnloadedCarriers { get; } = [];

    /// <summary>Bits set when the first poll of the boot ran, and bits seen going from 0 to 1 while watching.</summary>
    public SortedSet<int> PresentAtStart { get; } = [];
    public SortedSet<int> SetWhileWatching { get; } = [];
    public SortedSet<int> KnownBits { get; } = [];

    public SortedSet<int> ReportedUnexpected { get; } = [];
    public SortedSet<int> ReportedUnexplained { get; } = [];
    public SortedSet<string> ReportedHidden { get; } = new(StringComparer.Ordinal);

    /// <summary>Live patch → "enabled transition" as last seen ("1 0"; "? ?" when unreadable).</summary>
    public SortedDictionary<string, string> LivePatches { get; } = new(StringComparer.Ordinal);

    /// <summary>Live patch → when its current transition was first seen (Unix seconds).</summary>
    public SortedDictionary<string, double> TransitionSince { get; } = new(StringComparer.Ordinal);
    public SortedSet<string> ReportedStuck { get; } = new(StringComparer.Ordinal);

    public void Reset(string bootId)
    {
        BootId = bootId;
        Letters.Clear();
        UnloadedCarriers.Clear();
        PresentAtStart.Clear();
        SetWhileWatching.Clear();
        KnownBits.Clear();
        ReportedUnexpected.Clear();
        ReportedUnexplained.Clear();
        ReportedHidden.Clear();
        LivePatches.Clear();
        TransitionSince.Clear();
        ReportedStuck.Clear();
    }
}
