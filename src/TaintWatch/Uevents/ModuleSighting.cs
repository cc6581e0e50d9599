using TaintWatch.Kernel;

namespace TaintWatch.Uevents;

/// <summary>
/// A module load or unload announced by the kernel, with what /sys/module/&lt;name&gt; said at that instant: a
/// module unloaded before the next poll still leaves its name, taint letters, srcversion and build-id.
/// </summary>
public sealed record ModuleSighting(string Name, bool Added, SysModuleEntry? Sys, DateTimeOffset At, ulong Sequence)
{
    /// <summary>The module as the kernel showed it when it announced the load (no /proc/modules line: it may be gone).</summary>
    public LoadedModule AsLoadedModule() => new(Name, null, Sys);
}
