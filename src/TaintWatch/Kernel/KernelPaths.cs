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

    /// <summary>Present on UEFI machines only.</summary>
    public string Efi => Path.Combine(SysFs, "firmware/efi");

    /// <summary>The SecureBoot variable of the EFI global-variable GUID through efivarfs: 4 bytes of attributes, then the value.</summary>
    public string SecureBootVariable => Path.Combine(SysFs, "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c");

    /// <summary>The same variable through the older sysfs interface (CONFIG_EFI_VARS): the value alone.</summary>
    public string LegacySecureBootVariable => Path.Combine(SysFs, "firmware/efi/vars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c/data");

    public string SecurityFs => Path.Combine(SysFs, "kernel/security");

    /// <summary>"none [integrity] confidentiality": the selected mode in brackets (kernel 5.4+, RHEL 8+).</summary>
    public string Lockdown => Path.Combine(SysFs, "kernel/security/lockdown");

    /// <summary>One directory per live patch (kernel/livepatch, Documentation/ABI/testing/sysfs-kernel-livepatch).</summary>
    public string LivePatch => Path.Combine(SysFs, "kernel/livepatch");

    /// <summary>How many WARNs and oopses the kernel has seen this boot (6.2+, and stable backports such as 6.1.y).</summary>
    public string WarnCount => Path.Combine(SysFs, "kernel/warn_count");
    public string OopsCount => Path.Combine(SysFs, "kernel/oops_count");

    /// <summary>&lt;rootfs&gt;/lib/modules/&lt;release&gt;, where module files are found.</summary>
    public string ModuleDirectory(string release) => Path.Combine(RootFs, "lib/modules", release);
}
