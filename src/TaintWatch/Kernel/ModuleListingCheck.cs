namespace TaintWatch.Kernel;

/// <summary>Modules one kernel listing shows and the other does not, seen twice in a row (both sorted by name).</summary>
/// <param name="SysfsOnly">Live in /sys/module (initstate "live") but absent from /proc/modules: hidden from lsmod.</param>
/// <param name="ProcOnly">Live in /proc/modules but without /sys/module/&lt;m&gt;/initstate: hidden from sysfs.</param>
/// <param name="Problem">Why the comparison could not be made, or null.</param>
/// <param name="Letters">Taint letters of the sysfs-only modules, from /sys/module/&lt;m&gt;/taint, where readable.</param>
public sealed record ListingMismatch(IReadOnlyList<string> SysfsOnly, IReadOnlyList<string> ProcOnly, string? Problem, IReadOnlyDictionary<string, string>? Letters = null)
{
    public int Count => SysfsOnly.Count + ProcOnly.Count;

    public IEnumerable<string> All => SysfsOnly.Concat(ProcOnly);
}

/// <summary>
/// Compares the kernel's two module listings. /sys/module also holds built-in modules that have parameters or a
/// version (no initstate there), so only directories with initstate count. Loading and unloading are not atomic
/// across the two (a module is in /proc/modules as "Loading" before its sysfs directory exists, and its directory
/// goes before its list entry at unload), so only live modules count and a difference must survive a second reading.
/// </summary>
public static class ModuleListingCheck
{
    public static ListingMismatch Check(KernelPaths paths)
    {
        var first = Differences(paths);
        if (first.Problem is not null || first.Count == 0)
        {
            return first;
        }
        var second = Differences(paths);
        return second.Problem is not null ? second
            : new ListingMismatch(first.SysfsOnly.Intersect(second.SysfsOnly).ToList(), first.ProcOnly.Intersect(second.ProcOnly).ToList(), null, second.Letters);
    }

    private static ListingMismatch Differences(KernelPaths paths)
    {
        var proc = BoundedFile.ReadText(paths.ProcModules, KernelSnapshotReader.ProcModulesLimit);
        if (!proc.Succeeded)
        {
            return new ListingMismatch([], [], proc.Problem);
        }
        var parsed = ProcModulesParser.Parse(proc.Value!);
        if (parsed.Problems.Count > 0)
        {
            return new ListingMismatch([], [], $"{paths.ProcModules}: {parsed.Problems[0]}");
        }
        var listing = SysModuleReader.ListModules(paths);
        if (!listing.Succeeded)
        {
            return new ListingMismatch([], [], listing.Problem);
        }
        var inProc = parsed.Modules.ToDictionary(m => m.Name, StringComparer.Ordinal);
        var live = new HashSet<string>(StringComparer.Ordinal);
        var sysfsOnly = new List<string>();
        var letters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in listing.Value!)
        {
            var state = BoundedFile.ReadText(Path.Combine(paths.SysModule, name, "initstate"), 64);
            if (!state.Succeeded)
            {
                continue; // built-in (no initstate), or a directory going away as we read
            }
            live.Add(name);
            if (state.Value!.Trim() == "live" && !inProc.ContainsKey(name))
            {
                sysfsOnly.Add(name);
                if (BoundedFile.ReadText(Path.Combine(paths.SysModule, name, "taint"), 64) is { Succeeded: true } taint && taint.Value!.Trim().All(char.IsAsciiLetter))
                {
                    letters[name] = taint.Value!.Trim();
                }
            }
        }
        var procOnly = parsed.Modules.Where(m => m.State == ModuleLoadState.Live && !live.Contains(m.Name)).Select(m => m.Name).Order(StringComparer.Ordinal).ToList();
        return new ListingMismatch(sysfsOnly, procOnly, null, letters);
    }
}
