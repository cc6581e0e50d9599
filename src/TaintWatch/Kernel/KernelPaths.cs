namespace TaintWatch.Kernel;

/// <summary>
/// Where TaintWatch reads the kernel's state from. Production uses /proc, /sys and /; tests point these at
/// fixture trees (the --path.procfs, --path.sysfs and --path.rootfs flags), as prometheus/procfs does.
/// </summary>
public sealed record KernelPaths(string ProcFs = "/proc", string SysFs = "/sys", string RootFs = "/")
{
    public static KernelPaths Default { get; } = new();

    public string Tainted => Path.Combine(ProcFs, "sys/kernel/tainted");
    public string OsRelease => Path.Combine(ProcFs, "sys/kernel/osrelease");
    public string BootId => Path.Combine(ProcFs, "sys/kernel/random/boot_id");
    public string ProcModules => Path.Combine(ProcFs, "modules");
    public string SysModule => Path.Combine(SysFs, "module");
    public string SigEnforce => Path.Combine(SysFs, "module/module/parameters/sig_enforce");

    /// <summary>&lt;rootfs&gt;/lib/modules/&lt;release&gt;, where module files are found.</summary>
    public string ModuleDirectory(string release) => Path.Combine(RootFs, "lib/modules", release);
}
