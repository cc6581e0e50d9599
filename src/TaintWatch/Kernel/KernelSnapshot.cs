namespace TaintWatch.Kernel;

/// <summary>Whether one source of the snapshot could be read; "taint", "release", "modules", "sysfs", "sig_enforce".</summary>
public sealed record SourceStatus(string Collector, string Path, bool Success, string? Problem);

/// <summary>The kernel's taint state at one instant, joined from /proc and /sys.</summary>
/// <param name="Release">/proc/sys/kernel/osrelease.</param>
/// <param name="BootId">/proc/sys/kernel/random/boot_id.</param>
/// <param name="TaintMask">/proc/sys/kernel/tainted, or null when it could not be read.</param>
/// <param name="Table">The taint table used to decode the mask.</param>
/// <param name="TableReason">Why that table was chosen.</param>
/// <param name="ModulesSupported">False when the kernel has no loadable-module support (no /proc/modules).</param>
/// <param name="Modules">Loaded modules, sorted by name.</param>
/// <param name="SigEnforce">sys/module/module/parameters/sig_enforce, or null when absent.</param>
/// <param name="Sources">One entry per source read.</param>
/// <param name="Notes">Disagreements between sources and other facts an operator should know.</param>
public sealed record KernelSnapshot(
    string? Release,
    string? BootId,
    ulong? TaintMask,
    TaintTable Table,
    string TableReason,
    bool ModulesSupported,
    IReadOnlyList<LoadedModule> Modules,
    bool? SigEnforce,
    IReadOnlyList<SourceStatus> Sources,
    IReadOnlyList<string> Notes)
{
    public IReadOnlyList<TaintFlag> SetFlags => TaintMask is ulong mask ? Table.Decode(mask) : [];

    public bool IsTainted => TaintMask is > 0;

    public bool AllSourcesRead => Sources.All(s => s.Success);

    /// <summary>Modules carrying a given letter, for "which module set this bit".</summary>
    public IEnumerable<LoadedModule> ModulesWithLetter(char letter) => Modules.Where(m => m.TaintLetters.Contains(letter, StringComparison.Ordinal));
}
