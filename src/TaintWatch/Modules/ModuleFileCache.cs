using TaintWatch.Kernel;

namespace TaintWatch.Modules;

/// <summary>
/// The one join of loaded modules to their files, for the daemon and the command line alike: locates each
/// module's file (modules.dep) and reads it with <see cref="ModuleFileReader"/>, off the caller's thread and
/// with a deadline. A resolve waits a bounded time for the reads and answers with what it has: files still
/// being read are pending (the daemon is woken when they finish), files past the deadline are unknown
/// ("timed out after N s"), and the rest are reported.
/// </summary>
public sealed class ModuleFileCache : IDisposable
{
    private readonly ModuleFileReader _reader;
    private readonly TimeSpan _wait;
    private ModuleLocator? _locator;
    private string? _locatorRelease;
    private FileIdentity? _locatorStamp;
    private Task<(ModuleLocator Locator, FileIdentity? Stamp)>? _locatorLoad;
    private long _locatorLoadStarted;

    /// <param name="timeout">How long one file may take before it is reported as timed out.</param>
    /// <param name="wait">How long a resolve waits for reads before answering with the ones done.</param>
    /// <param name="workers">Files read at once.</param>
    /// <param name="completed">Called (on a worker thread) when a read that a resolve stopped waiting for finishes.</param>
    public ModuleFileCache(TimeSpan timeout, TimeSpan wait, int workers, Action? completed = null, Func<string, ModuleInspection>? inspect = null)
    {
        _reader = new ModuleFileReader(workers, timeout, completed: completed, inspect: inspect);
        _wait = wait;
    }

    /// <summary>For the command line: every file read, waiting up to <paramref name="timeout"/> for each, on all cores.</summary>
    public static ModuleFileCache ForCommandLine(TimeSpan timeout) => new(timeout, timeout, Environment.ProcessorCount);

    /// <summary>Default deadline for one module file.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Whether the last resolve left files pending (a later resolve will have them).</summary>
    public bool HasPending { get; private set; }

    /// <summary>
    /// Every loaded module's file. With <paramref name="previous"/> (the last answer) a module whose image did not
    /// change (same build-id, srcversion and taint letters) keeps its file unless <paramref name="recheck"/> asks
    /// for every file to be looked at again; a pending or failed one is always tried again.
    /// </summary>
    public IReadOnlyDictionary<string, LoadedModuleFile> Resolve(KernelSnapshot snapshot, KernelPaths paths, IReadOnlyDictionary<string, LoadedModuleFile>? previous = null, bool recheck = true)
    {
        var result = new Dictionary<string, LoadedModuleFile>(StringComparer.Ordinal);
        HasPending = false;
        if (snapshot.Release is null)
        {
            foreach (var module in snapshot.Modules)
            {
                result[module.Name] = LoadedModuleFile.For(module, new ModuleLocation(module.Name, null, false, "kernel release unknown: cannot find module files"));
            }
            return result;
        }
        var locator = Locator(paths, snapshot.Release, recheck || _locator is null, out var locatorProblem);
        var reads = new List<(LoadedModule Module, ModuleLocation Location, ModuleFileReader.Read Read, LoadedModuleFile? Known)>();
        foreach (var module in snapshot.Modules)
        {
            var known = previous?.GetValueOrDefault(module.Name);
            if (!recheck && known is { IsSettled: true } && SameImage(known.Module, module))
            {
                result[module.Name] = known.Module == module ? known : known with { Module = module };
                continue;
            }
            if (locator is null)
            {
                HasPending |= locatorProblem is null;
                result[module.Name] = locatorProblem is null
                    ? LoadedModuleFile.Pending(module, new ModuleLocation(module.Name, null, false, "the module index is being read"))
                    : LoadedModuleFile.For(module, new ModuleLocation(module.Name, null, false, locatorProblem));
                continue;
            }
            var location = locator.Locate(module.Name);
            if (!location.Found)
            {
                result[module.Name] = LoadedModuleFile.For(module, location);
                continue;
            }
            var release = snapshot.Release;
            reads.Add((module, location, _reader.Start(location.Path!, paths.RootFs, () => ModuleOrigin.Of(location, paths, release)), known));
        }
        ModuleFileReader.WaitAll(reads.Select(r => r.Read).ToList(), _wait);
        foreach (var (module, location, read, known) in reads)
        {
            if (_reader.ResultOf(read) is { } inspection)
            {
                result[module.Name] = LoadedModuleFile.For(module, location, inspection, read.Origin);
                continue;
            }
            HasPending = true;
            // While a re-check is under way, the file read before (same path, same image) still stands.
            result[module.Name] = known is { IsSettled: true } && known.Location.Path == location.Path && SameImage(known.Module, module)
                ? known with { Module = module }
                : LoadedModuleFile.Pending(module, location);
        }
        if (recheck)
        {
            _reader.Forget(result.Values.Where(f => f.Location.Found).Select(f => f.Location.Path!).ToHashSet(StringComparer.Ordinal));
        }
        return result;
    }

    /// <summary>The file of a module that is no longer loaded (seen only through its uevent).</summary>
    public LoadedModuleFile ResolveGone(LoadedModule module, string? release, KernelPaths paths)
    {
        var snapshotOfOne = new KernelSnapshot(release, null, null, TaintTables.Upstream20, "", true, [module], null, [], []);
        return Resolve(snapshotOfOne, paths, previous: null, recheck: false)[module.Name];
    }

    private static bool SameImage(LoadedModule a, LoadedModule b) =>
        a.Sys?.BuildId == b.Sys?.BuildId && a.Sys?.SrcVersion == b.Sys?.SrcVersion && a.TaintLetters == b.TaintLetters;

    /// <summary>
    /// modules.dep is read again when depmod rewrote it (a package installed a module); read off this thread too,
    /// since it lives on the same mount as the modules. Null while a first load is under way (problem null) or
    /// when it failed or timed out (problem says why).
    /// </summary>
    private ModuleLocator? Locator(KernelPaths paths, string release, bool refresh, out string? problem)
    {
        problem = null;
        if (_locatorRelease != release)
        {
            (_locator, _locatorStamp, _locatorLoad, _locatorRelease) = (null, null, null, release);
            refresh = true;
        }
        if (refresh && _locatorLoad is null)
        {
            var known = _locatorStamp;
            var current = _locator;
            _locatorLoadStarted = TimeProvider.System.GetTimestamp();
            _locatorLoad = _reader.Run(() =>
            {
                var stamp = FileIdentity.Of(Path.Combine(paths.ModuleDirectory(release), "modules.dep"), out _);
                return current is not null && stamp == known ? (current, known) : (ModuleLocator.Load(paths, release), stamp);
            });
        }
        if (_locatorLoad is { } load)
        {
            if (load.Wait(_wait) && !load.IsFaulted)
            {
                (_locator, _locatorStamp) = load.Result;
                _locatorLoad = null;
            }
            else if (load.IsFaulted)
            {
                _locatorLoad = null;
                problem = _locator is null ? $"cannot read the module index: {load.Exception!.GetBaseException().Message}" : null;
            }
            else if (_locator is null && TimeProvider.System.GetElapsedTime(_locatorLoadStarted) >= _reader.Timeout)
            {
                problem = $"timed out after {_reader.Timeout.TotalSeconds:0.#} s reading {Path.Combine(paths.ModuleDirectory(release), "modules.dep")} (a hung mount?)";
            }
        }
        return _locator;
    }

    public void Dispose() => _reader.Dispose();
}
