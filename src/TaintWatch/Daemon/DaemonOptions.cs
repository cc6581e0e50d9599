using TaintWatch.Kernel;

namespace TaintWatch.Daemon;

/// <summary>The daemon's settings, from node_exporter-style flags (docs/flags.md).</summary>
public sealed record DaemonOptions(
    IReadOnlyList<string> ListenAddresses,
    string TelemetryPath,
    TimeSpan PollInterval,
    KernelPaths Paths,
    string StateDirectory,
    string LogLevel,
    string LogFormat,
    TaintTable? TableOverride,
    string JournalSocket,
    TimeSpan? ModuleFileInterval = null,
    bool Uevents = true,
    string? BaselineFile = null,
    bool BaselineOptional = false,
    TimeSpan? ModuleFileTimeout = null,
    TimeSpan? LivePatchStuck = null,
    IReadOnlyList<string>? TrustKeys = null)
{
    /// <summary>How long one module file may take to read before it is reported as timed out (default 10 s).</summary>
    public TimeSpan FileTimeout => ModuleFileTimeout ?? Modules.ModuleFileCache.DefaultTimeout;

    /// <summary>How long a live patch may stay in transition before the "stuck" event (default 1 min).</summary>
    public TimeSpan LivePatchStuckAfter => LivePatchStuck ?? TimeSpan.FromMinutes(1);

    /// <summary>How often module files on disk are re-checked when nothing else changed (default 30 s).</summary>
    public TimeSpan FileCheckInterval => ModuleFileInterval ?? TimeSpan.FromSeconds(30);
}
