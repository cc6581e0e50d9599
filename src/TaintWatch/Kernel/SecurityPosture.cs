namespace TaintWatch.Kernel;

/// <summary>
/// What stands between an unsigned module and the kernel on this host. Each state is a word for metrics
/// and reports; "unknown" means the file exists but could not be read (never guessed as off), "unsupported"
/// that this firmware or kernel does not have the feature.
/// </summary>
/// <param name="SecureBoot">enabled, disabled, unsupported (not UEFI, or no SecureBoot variable) or unknown.</param>
/// <param name="Lockdown">none, integrity, confidentiality, unsupported (no lockdown LSM) or unknown.</param>
/// <param name="SigEnforce">on, off, unsupported (kernel without module signing) or unknown.</param>
/// <param name="Problems">Why anything is unknown, for logs and reports.</param>
public sealed record SecurityPosture(string SecureBoot, string Lockdown, string SigEnforce, IReadOnlyList<string> Problems)
{
    public const string Unknown = "unknown";
    public const string Unsupported = "unsupported";
}
