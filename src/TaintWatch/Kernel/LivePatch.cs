namespace TaintWatch.Kernel;

/// <summary>One object a live patch changes: "vmlinux" or a module, and the functions it replaces there.</summary>
/// <param name="Name">The directory name: vmlinux or the patched module's name.</param>
/// <param name="Functions">Patched functions as the kernel names their directories, "function,sympos".</param>
public sealed record LivePatchObject(string Name, IReadOnlyList<string> Functions);

/// <summary>
/// One live patch as /sys/kernel/livepatch/&lt;patch&gt;/ shows it (kpatch on RHEL). The directory is named after
/// the patch module, which carries the K taint letter.
/// </summary>
/// <param name="Name">The patch (and its module's) name.</param>
/// <param name="Enabled">enabled: whether the patch is applied (or being applied); null when unreadable.</param>
/// <param name="Transition">transition: whether tasks are still being moved to (or off) the patch; null when unreadable.</param>
/// <param name="Objects">What it patches, where the directories are readable.</param>
/// <param name="Problems">Attributes that exist but could not be read or parsed.</param>
public sealed record LivePatch(string Name, bool? Enabled, bool? Transition, IReadOnlyList<LivePatchObject> Objects, IReadOnlyList<string> Problems)
{
    public int FunctionCount => Objects.Sum(o => o.Functions.Count);
}
