namespace TaintWatch.Trust;

/// <summary>
/// The kernel's parse of the certificates a signature carries failed, which decides the whole signature:
/// <see cref="VerificationState.Invalid"/> where the kernel refuses it (EBADMSG, EKEYREJECTED),
/// <see cref="VerificationState.Unknown"/> where it lacks the algorithm (ENOPKG: loaded as unverified).
/// </summary>
internal sealed class ChainRefusal(VerificationState state, string problem) : Exception(problem)
{
    public VerificationState State { get; } = state;
}
