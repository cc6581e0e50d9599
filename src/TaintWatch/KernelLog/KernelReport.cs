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

    /// <summary>A "CPU: … Tainted:" line without a WARNING/BUG/Oops header before it (a pasted fragment).</summary>
    Fragment,
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
