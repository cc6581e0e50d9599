using TaintWatch.Kernel;
using TaintWatch.Modules;

namespace TaintWatch.Watch;

/// <summary>
/// Inspects a loaded module's file only when the module is new or its file changed (path, size, mtime,
/// ctime), so a poll of an unchanged host reads no module file at all.
/// </summary>
public sealed class ModuleFileCache
{
    private readonly record struct FileKey(string Path, long Length, DateTime Modified, DateTime Changed);

    private readonly Dictionary<string, (FileKey Key, ModuleInspection Inspection)> _byPath = new(StringComparer.Ordinal);
    private ModuleLocator? _locator;
    private string? _locatorRelease;
    private DateTime _locatorStamp;

    /// <summary>Every loaded module's file, read again where it changed; forgets files no module uses any more.</summary>
    public IReadOnlyDictionary<string, LoadedModuleFile> Resolve(KernelSnapshot snapshot, KernelPaths paths)
    {
        var result = new Dictionary<string, LoadedModuleFile>(StringComparer.Ordinal);
        if (snapshot.Release is null)
        {
            return result;
        }
        foreach (var module in snapshot.Modules)
        {
            result[module.Name] = ResolveOne(module, snapshot.Release, paths);
        }
        var seen = result.Values.Where(f => f.Location.Found).Select(f => f.Location.Path!).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in _byPath.Keys.Where(p => !seen.Contains(p)).ToList())
        {
            _byPath.Remove(stale);
        }
        return result;
    }

    /// <summary>
    /// After a load or unload, between two full checks: only new modules' files are read; the others keep their
    /// result from before (same name, build-id, srcversion and taint letters), so a uevent's poll touches one file.
    /// </summary>
    public IReadOnlyDictionary<string, LoadedModuleFile> ResolveNew(KernelSnapshot snapshot, KernelPaths paths, IReadOnlyDictionary<string, LoadedModuleFile> previous)
    {
        var result = new Dictionary<string, LoadedModuleFile>(StringComparer.Ordinal);
        if (snapshot.Release is null)
        {
            return result;
        }
        foreach (var module in snapshot.Modules)
        {
            result[module.Name] = previous.TryGetValue(module.Name, out var known) && SameImage(known.Module, module)
                ? (known.Module == module ? known : known with { Module = module })
                : ResolveOne(module, snapshot.Release, paths);
        }
        return result;
    }

    /// <summary>The file of a module that is no longer loaded (seen only through its uevent).</summary>
    public LoadedModuleFile ResolveGone(LoadedModule module, string? release, KernelPaths paths) => ResolveOne(module, release, paths);

    private LoadedModuleFile ResolveOne(LoadedModule module, string? release, KernelPaths paths)
    {
        if (release is null)
        {
            return LoadedModuleFile.For(module, new ModuleLocation(module.Name, null, false, "kernel release unknown"));
        }
        var location = Locator(paths, release).Locate(module.Name);
        return location.Found ? LoadedModuleFile.For(module, location, Inspect(location.Path!)) : LoadedModuleFile.For(module, location);
    }

    private static bool SameImage(LoadedModule a, LoadedModule b) =>
        a.Sys?.BuildId == b.Sys?.BuildId && a.Sys?.SrcVersion == b.Sys?.SrcVersion && a.TaintLetters == b.TaintLetters;

    private ModuleInspection Inspect(string path)
    {
        var key = KeyOf(path);
        if (key is FileKey k && _byPath.TryGetValue(path, out var cached) && cached.Key == k)
        {
            return cached.Inspection;
        }
        var inspection = ModuleInspector.Inspect(path);
        if (key is FileKey fresh)
        {
            _byPath[path] = (fresh, inspection);
        }
        return inspection;
    }

    /// <summary>modules.dep is re-read when depmod rewrites it (a package installed a module).</summary>
    private ModuleLocator Locator(KernelPaths paths, string release)
    {
        var dep = Path.Combine(paths.ModuleDirectory(release), "modules.dep");
        var stamp = File.Exists(dep) ? File.GetLastWriteTimeUtc(dep) : DateTime.MinValue;
        if (_locator is null || _locatorRelease != release || _locatorStamp != stamp)
        {
            _locator = ModuleLocator.Load(paths, release);
            _locatorRelease = release;
            _locatorStamp = stamp;
        }
        return _locator;
    }

    private static FileKey? KeyOf(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileKey(path, info.Length, info.LastWriteTimeUtc, info.CreationTimeUtc) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
