using TaintWatch.Kernel;
using TaintWatch.Modules;

namespace TaintWatch.Lifecycle;

/// <summary>
/// What one poll knows of the host's lifecycle beyond the taint mask: live patches, the kernel's failure counters, the
/// two module listings compared, each module's origin, and the taint bits the role's policy does not allow or that no
/// module explains. Null means "could not be told" (and its series are absent), never "none".
/// </summary>
/// <param name="LivePatches">Live patches; null when /sys/kernel/livepatch is missing or unreadable.</param>
/// <param name="Counters">warn_count and oops_count.</param>
/// <param name="Listing">The listing comparison; null when it could not be made.</param>
/// <param name="Origins">Module name to origin, for every loaded module with a located (or not) file.</param>
/// <param name="Unexpected">Every set bit with whether the policy allows it; null without a taint: policy.</param>
/// <param name="ModuleBits">Every set module-carried bit (see <see cref="UnexplainedTaint"/>) with whether it is unexplained.</param>
public sealed record LifecycleView(
    IReadOnlyList<LivePatch>? LivePatches,
    KernelCounters Counters,
    ListingMismatch? Listing,
    IReadOnlyDictionary<string, ModuleOrigin> Origins,
    IReadOnlyList<(TaintFlag Flag, bool Unexpected)>? Unexpected,
    IReadOnlyList<(TaintFlag Flag, UnexplainedBit? Unexplained)> ModuleBits);
