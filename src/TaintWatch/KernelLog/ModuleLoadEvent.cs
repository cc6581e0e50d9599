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
}

/// <summary>One module-load message found in a log, with the taint letter it implies where there is one.</summary>
/// <param name="Line">Line number in the input (1-based).</param>
/// <param name="Kind">What happened.</param>
/// <param name="Module">Module (or feature) named by the message.</param>
/// <param name="Letter">Taint letter the kernel sets for it in the log's table, or null.</param>
/// <param name="Detail">The licence, the reason, the key…</param>
/// <param name="Text">The message as printed.</param>
public sealed record ModuleLoadEvent(long Line, ModuleLoadEventKind Kind, string? Module, char? Letter, string? Detail, string Text);
