namespace TaintWatch.Trust;

/// <summary>The verdict on one module's signature.</summary>
/// <param name="State">valid, invalid, untrusted, revoked or unknown.</param>
/// <param name="VerifiedBy">The source holding the key: the kernel image path, db, MokListRT, a keys file; for
/// revoked, the revoking source. Null when no source holds it.</param>
/// <param name="Problem">Why it is not valid, in words; null when valid.</param>
/// <param name="SignatureChecks">Whether the signature's maths was checked and holds (with a trusted key, or a
/// certificate carried in the signature), whatever the state.</param>
/// <param name="KernelHoldsKey">For valid: whether the running kernel's /proc/keys lists the key; null when not known.</param>
public sealed record SignatureVerification(VerificationState State, string? VerifiedBy, string? Problem, bool SignatureChecks = false, bool? KernelHoldsKey = null)
{
    /// <summary>The word sig_verified prints and the metric label carries.</summary>
    public string StateName => State.ToString().ToLowerInvariant();

    public static SignatureVerification Unknown(string problem) => new(VerificationState.Unknown, null, problem);

    /// <summary>
    /// For a loaded module whose file cannot be read: the kernel's own verdict. It sets E (TAINT_UNSIGNED_MODULE)
    /// for a module it loaded unsigned or signed by a key it does not hold; a bad signature is never loaded.
    /// </summary>
    public static SignatureVerification FromKernel(bool taintedE) => taintedE
        ? new(VerificationState.Untrusted, "running kernel", "the kernel marked it E: unsigned, or signed by a key it does not hold (its file could not be read)")
        : new(VerificationState.Valid, "running kernel", null);
}
