namespace TaintWatch.Kernel;

/// <summary>A module-carried taint bit that is set while nothing TaintWatch can see carries it, and what it can tell of why.</summary>
public sealed record UnexplainedBit(TaintFlag Flag, string Reason);

/// <summary>
/// Taint nobody explains. Some bits are only ever set by loading a module, and the kernel then also marks that module
/// with the letter (add_taint_module): P, F, O, E, C, K, X, and RHEL's module letters (T/t Technology Preview, RHEL 5's
/// U unsigned). Such a bit set with no loaded module carrying its letter, no live patch (for K) and no carrier seen
/// unloading this boot points at a module that hid itself, or one gone before TaintWatch started.
/// Upstream T (RANDSTRUCT) is not in the list: the kernel sets it from boot on randstruct builds, with no module.
/// </summary>
public static class UnexplainedTaint
{
    /// <summary>Letters each family prints per module (reference/kernel-facts.md §4: per-module letters by release), limited to the module-set bits.</summary>
    public static string ModuleLetters(TaintTable table) => table.Id switch
    {
        "rhel5" => "PFUT",
        "rhel6" => "PFCT",
        "rhel7.0" => "POFC",
        "rhel7.3" => "POFCETK", // K is not printed per module there: the live patch directory explains it
        "rhel8.0" => "PFCOEKXt",
        _ => "PFCOEKX",
    };

    /// <param name="loaded">The modules loaded now, with their letters.</param>
    /// <param name="livePatches">Names of live patches (each is a module carrying K).</param>
    /// <param name="unloadedCarriers">Letters carried by modules seen unloading (or loaded and gone) this boot, with those modules.</param>
    /// <param name="setWhileWatching">For a bit: true when TaintWatch saw it go from 0 to 1, false when it was set before watching began, null when unknown.</param>
    public static IReadOnlyList<UnexplainedBit> Find(TaintTable table, ulong mask, IEnumerable<LoadedModule> loaded, IEnumerable<string> livePatches,
        IReadOnlyDictionary<char, IReadOnlyCollection<string>> unloadedCarriers, Func<int, bool?> setWhileWatching)
    {
        var letters = ModuleLetters(table);
        var carried = new HashSet<char>(loaded.SelectMany(m => m.TaintLetters));
        if (livePatches.Any())
        {
            carried.Add('K');
        }
        var result = new List<UnexplainedBit>();
        foreach (var flag in table.Decode(mask))
        {
            if (flag.IsPlaceholder || !letters.Contains(flag.SetChar, StringComparison.Ordinal) || carried.Contains(flag.SetChar) || unloadedCarriers.ContainsKey(flag.SetChar))
            {
                continue;
            }
            var reason = setWhileWatching(flag.Bit) switch
            {
                true => $"set while TaintWatch was watching, yet no module was ever seen carrying {flag.SetChar}: a module that hid itself from /proc/modules and /sys/module",
                false => $"already set when TaintWatch began watching this boot and no loaded module carries {flag.SetChar}: a module unloaded before TaintWatch started, or one that hid itself",
                null => $"no loaded module carries {flag.SetChar} and none was seen unloading this boot: a module that hid itself, or one gone before TaintWatch started",
            };
            if (flag.Name is "AUX" or "TECH_PREVIEW")
            {
                reason += "; on RHEL a Technology Preview feature built into the kernel sets it too (journalctl -k -g \"TECH PREVIEW\")";
            }
            result.Add(new UnexplainedBit(flag, reason));
        }
        return result;
    }
}
