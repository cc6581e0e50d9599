namespace TaintWatch.KernelLog;

/// <summary>What a module-related kernel message says happened.</summary>
public enum ModuleLoadEventKind
{
    UnsignedModule,
    OutOfTree,
    ProprietaryLicense,
    InheritedProprietary,
    Staging,
    Livepatch,
    TestModule,
    ForcedLoad,
    TechPreview,
    PartnerSupported,
    SupportRemoved,
    HardwareUnsupported,
    UnprivilegedBpf,
    LoadRejected,
    LockdownRejected,
    UnknownKey,
    BlacklistedKey,
    GpgVerificationFailed,

    /// <summary>RHEL 8.10/9.4+: "Warning: Unmaintained hardware/driver is detected: …" (no longer tested or updated).</summary>
    SupportUnmaintained,

    /// <summary>RHEL 8.10/9.4+: "Warning: Deprecated Driver/Hardware is detected: …" (unmaintained in a future major release).</summary>
    SupportDeprecated,

    /// <summary>RHEL 8.10/9.4+: "Warning: Disabled Hardware is detected: …" (no longer enabled in this release).</summary>
    SupportDisabled,

    /// <summary>Upstream 6.15+: a process used fwctl's mutating debug interface (TAINT_FWCTL, 'J').</summary>
    FwctlDebugWrite,
}

/// <summary>One module-load message found in a log, with the taint letter it implies where there is one.</summary>
/// <param name="Line">Line number in the input (1-based).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Module">Module (or feature) named by the message.</param>
/// <param name="Letter">Taint letter the kernel sets for it in the log's table, or null.</param>
/// <param name="Detail">The licence, the reason, the key…</param>
/// <param name="Text">The message as printed.</param>
public sealed record ModuleLoadEvent(long Line, ModuleLoadEventKind Kind, string? Module, char? Letter, string? Detail, string Text);
