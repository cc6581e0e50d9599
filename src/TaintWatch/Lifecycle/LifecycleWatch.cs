using TaintWatch.Kernel;
using TaintWatch.Modules;

namespace TaintWatch.Lifecycle;

/// <summary>
/// The daemon's lifecycle reader. Live patches and the failure counters are a few small sysfs reads, done every poll;
/// the comparison of the two module listings stats every /sys/module directory, so it runs when the module list
/// changes and with the module-file check (--poll.module-files-interval), which is where a hidden module shows.
/// </summary>
public sealed class LifecycleWatch(KernelPaths paths)
{
    private Reading<IReadOnlyList<LivePatch>>? _patches;
    private KernelCounters _counters = new(null, null, []);
    private ListingMismatch? _listing;
    private string _signature = "";

    /// <summary>Reads live patches and counters; true when they differ from the last poll or a patch is in transition (time matters then).</summary>
    public bool Refresh()
    {
        var known = _patches is { Succeeded: true } ? _patches.Value!.Where(p => p.Problems.Count == 0).ToDictionary(p => p.Name, p => p.Objects) : null;
        _patches = LivePatchReader.Read(paths, known);
        _counters = KernelCounters.Read(paths);
        var patches = _patches.Succeeded ? string.Join(";", _patches.Value!.Select(p => $"{p.Name}={p.Enabled}/{p.Transition}")) : _patches.Problem ?? "";
        var signature = $"{patches}|{_counters.Warnings}|{_counters.Oopses}|{string.Join(";", _counters.Problems)}";
        var changed = signature != _signature;
        _signature = signature;
        return changed || _patches.Succeeded && _patches.Value!.Any(p => p.Transition == true);
    }

    /// <summary>Why live patches could not be read (null when read or simply absent).</summary>
    public string? LivePatchProblem => _patches is { Succeeded: false, IsMissing: false } ? _patches.Problem : null;

    public IReadOnlyList<string> CounterProblems => _counters.Problems;

    public string? ListingProblem => _listing?.Problem;

    public LifecycleView Build(KernelSnapshot snapshot, Status.HostStatus host, LifecycleState state, bool checkListing)
    {
        if (checkListing || _listing is null)
        {
            _listing = ModuleListingCheck.Check(paths);
        }
        var policy = host.Expected;
        var origins = host.Modules.ToDictionary(m => m.Name, m => m.Origin, StringComparer.Ordinal);
        var livePatches = _patches is { Succeeded: true } ? _patches.Value : null;
        IReadOnlyList<(TaintFlag, bool)>? unexpected = null;
        var moduleBits = new List<(TaintFlag, UnexplainedBit?)>();
        if (snapshot.TaintMask is ulong mask)
        {
            if (policy?.Taint is not null)
            {
                unexpected = snapshot.Table.Decode(mask).Select(f => (f, !policy.AllowsTaint(f))).ToList();
            }
            var carriers = state.UnloadedCarriers.ToDictionary(kv => kv.Key, kv => (IReadOnlyCollection<string>)kv.Value);
            var unexplained = UnexplainedTaint.Find(snapshot.Table, mask, snapshot.Modules, livePatches?.Select(p => p.Name) ?? [], carriers, bit =>
                state.PresentAtStart.Contains(bit) ? false : state.SetWhileWatching.Contains(bit) ? true : null).ToDictionary(u => u.Flag.Bit);
            var letters = UnexplainedTaint.ModuleLetters(snapshot.Table);
            foreach (var flag in snapshot.Table.Decode(mask).Where(f => !f.IsPlaceholder && letters.Contains(f.SetChar, StringComparison.Ordinal)))
            {
                moduleBits.Add((flag, unexplained.GetValueOrDefault(flag.Bit)));
            }
        }
        return new LifecycleView(livePatches, _counters, _listing.Problem is null ? _listing : null, origins, unexpected, moduleBits);
    }

    /// <summary>
    /// Keeps the per-boot memory current before the view is built: letters of modules that left (by unload, or loaded and
    /// gone between polls), and which bits were set at the start of the boot or while watching.
    /// </summary>
    public static void Remember(LifecycleState state, KernelSnapshot snapshot, IEnumerable<LoadedModule> gone, bool startOfBoot, bool firstPollOfProcess)
    {
        var bootId = snapshot.BootId ?? "unknown";
        if (state.BootId != bootId)
        {
            state.Reset(bootId);
        }
        var loaded = snapshot.Modules.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var (name, letters) in state.Letters.Where(kv => !loaded.ContainsKey(kv.Key)).ToList())
        {
            AddCarrier(state, name, letters);
            state.Letters.Remove(name);
        }
        foreach (var module in gone)
        {
            AddCarrier(state, module.Name, module.TaintLetters);
        }
        foreach (var module in snapshot.Modules)
        {
            state.Letters[module.Name] = module.TaintLetters;
        }
        if (snapshot.TaintMask is not ulong mask)
        {
            return;
        }
        foreach (var flag in snapshot.Table.Decode(mask).Where(f => state.KnownBits.Add(f.Bit)))
        {
            // Bits that appeared while the daemon was down are neither: where they came from cannot be told.
            if (startOfBoot)
            {
                state.PresentAtStart.Add(flag.Bit);
            }
            else if (!firstPollOfProcess)
            {
                state.SetWhileWatching.Add(flag.Bit);
            }
        }
    }

    /// <summary>At most this many modules are remembered per letter: enough to name them, bounded whatever loads and unloads.</summary>
    private const int MaxCarriersPerLetter = 64;

    private static void AddCarrier(LifecycleState state, string module, string letters)
    {
        foreach (var letter in letters.Distinct())
        {
            if (!state.UnloadedCarriers.TryGetValue(letter, out var set))
            {
                state.UnloadedCarriers[letter] = set = new SortedSet<string>(StringComparer.Ordinal);
            }
            if (set.Count < MaxCarriersPerLetter)
            {
                set.Add(module);
            }
        }
    }
}
