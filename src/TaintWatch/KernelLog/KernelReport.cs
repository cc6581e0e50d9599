namespace TaintWatch.KernelLog;

/// <summary>The kinds of kernel reports scan-log separates.</summary>
public enum ReportKind
{
    Warning,
    Bug,
    Oops,
    GeneralProtectionFault,
    Panic,
    SoftLockup,
    HungTask,

    /// <summary>"Watchdog detected hard LOCKUP on cpu N".</summary>
    HardLockup,

    /// <summary>
    /// A "CPU: … Tainted:" line or a "Modules linked in:" list without a WARNING/BUG/Oops header before it: a pasted
    /// or grep'd fragment of a report.
    /// </summary>
    Fragment,

    /// <summary>abrt's "A kernel problem occurred, but your kernel has been tainted (flags:…)" with its "Tainted modules:".</summary>
    Summary,
}

/// <summary>One WARN/BUG/Oops/panic/lockup report found in a log, with what its header lines say.</summary>
public sealed class KernelReport
{
    public required long StartLine { get; init; }
    public required ReportKind Kind { get; set; }
    public required string Header { get; set; }
    public long EndLine { get; set; }
    public int? Cpu { get; set; }
    public int? Pid { get; set; }
    public string? Comm { get; set; }
    public string? Release { get; set; }
    public TaintReading? Taint { get; set; }
    public ModuleList? Modules { get; set; }
    public IReadOnlyList<ModuleListEntry> UnloadedTainted { get; set; } = [];
    public string? RedHatFlags { get; set; }
    public string? Hardware { get; set; }
    public string? PanicMessage { get; set; }
    public bool Ended { get; set; }
}
