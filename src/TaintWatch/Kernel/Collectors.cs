namespace TaintWatch.Kernel;

/// <summary>
/// The sources TaintWatch reads, as taintwatch_collector_success{collector} names them (docs/metrics.md):
/// declared once here, and checked against the shipped alert rules by a test.
/// </summary>
public static class Collectors
{
    /// <summary>/proc/sys/kernel/osrelease.</summary>
    public const string Release = "release";

    /// <summary>/proc/sys/kernel/tainted.</summary>
    public const string Taint = "taint";

    /// <summary>/proc/modules.</summary>
    public const string Modules = "modules";

    /// <summary>/sys/module/*/{taint,initstate,srcversion,version,notes}.</summary>
    public const string Sysfs = "sysfs";

    /// <summary>/sys/module/module/parameters/sig_enforce.</summary>
    public const string SigEnforce = "sig_enforce";

    /// <summary>The files of loaded modules (their signatures).</summary>
    public const string Signatures = "signatures";

    /// <summary>The expected-modules file.</summary>
    public const string Baseline = "baseline";

    /// <summary>The kernel's module uevents (netlink).</summary>
    public const string Uevents = "uevents";

    /// <summary>The daemon's state file.</summary>
    public const string State = "state";

    /// <summary>The poll itself (an unexpected error).</summary>
    public const string Poll = "poll";

    public static readonly IReadOnlyList<string> All = [Release, Taint, Modules, Sysfs, SigEnforce, Signatures, Baseline, Uevents, State, Poll];
}
