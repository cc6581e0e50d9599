namespace TaintWatch.Kernel;

/// <summary>The state column of /proc/modules.</summary>
public enum ModuleLoadState
{
    Live,
    Loading,
    Unloading,
}

/// <summary>One line of /proc/modules, every field kept.</summary>
/// <param name="Name">Kernel module name (underscores, as the kernel spells it).</param>
/// <param name="Size">Total size in bytes.</param>
/// <param name="RefCount">Reference count, or null when the kernel has no CONFIG_MODULE_UNLOAD ("-").</param>
/// <param name="Holders">Modules that use this one; "[permanent]" marks a module that cannot be unloaded.</param>
/// <param name="State">Live, Loading or Unloading.</param>
/// <param name="Address">Load address as printed (zeros unless kallsyms shows values).</param>
/// <param name="TaintLetters">Letters inside the parentheses, without the +/- state marks; empty when none.</param>
/// <param name="StateMark">'+' while loading, '-' while unloading, or null.</param>
public sealed record ProcModuleEntry(
    string Name,
    ulong Size,
    int? RefCount,
    IReadOnlyList<string> Holders,
    ModuleLoadState State,
    string Address,
    string TaintLetters,
    char? StateMark)
{
    public bool IsPermanent => Holders.Contains("[permanent]");
}
