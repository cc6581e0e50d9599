namespace TaintWatch.Modules.Signatures;

/// <summary>
/// signed / unsigned / unknown, as the taintwatch_module_signature_info metric labels it. "unknown" means the
/// file could not be found, read whole or parsed: never "unsigned" for a file TaintWatch could not read.
/// </summary>
public enum SignatureState
{
    Signed,
    Unsigned,
    Unknown,
}
