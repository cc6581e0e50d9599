namespace TaintWatch.KernelLog;

/// <summary>One module of a "Modules linked in:" list: "scini(POE)", "foo(OE+)", RHEL 6's "mlx4_en(P)(U)".</summary>
/// <param name="Name">Module name.</param>
/// <param name="Letters">Taint letters, without state marks.</param>
/// <param name="StateMark">'+' loading, '-' unloading.</param>
/// <param name="Unverified">RHEL 6's "(U)" suffix: the module's GPG signature was not verified (unsigned).</param>
public sealed record ModuleListEntry(string Name, string Letters, char? StateMark, bool Unverified);
