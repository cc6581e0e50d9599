using System.IO.Hashing;

namespace TaintWatch.Kernel;

/// <summary>
/// The daemon's memory between polls. /sys/module attributes (srcversion, version, build-id) of a loaded
/// module never change, so they are read once per module instance — told apart by name, size and the taint
/// letters /proc/modules shows. And when /proc/modules is byte-for-byte what it was, its parsed form and the
/// joined module list are reused. A quiet host's poll then reads five small files and allocates almost
/// nothing; before this it opened about a thousand.
/// </summary>
public sealed class SnapshotCache
{
    private readonly Dictionary<string, (ulong Size, string Letters, SysModuleEntry Entry)> _entries = new(StringComparer.Ordinal);
    private ulong _procModulesHash;
    private int _procModulesLength = -1;

    /// <summary>The module list built from the last /proc/modules, reused while the file is unchanged.</summary>
    internal (IReadOnlyList<LoadedModule> Modules, IReadOnlyList<string> Problems, IReadOnlyList<string> Notes)? LastModules { get; set; }

    /// <summary>True when these bytes are exactly the /proc/modules of the previous poll.</summary>
    internal bool SameProcModules(ReadOnlySpan<byte> bytes)
    {
        var hash = XxHash64.HashToUInt64(bytes);
        var same = bytes.Length == _procModulesLength && hash == _procModulesHash && LastModules is not null;
        _procModulesHash = hash;
        _procModulesLength = bytes.Length;
        return same;
    }

    public SysModuleEntry Get(KernelPaths paths, ProcModuleEntry module)
    {
        if (_entries.TryGetValue(module.Name, out var cached) && cached.Size == module.Size && cached.Letters == module.TaintLetters && cached.Entry.Problems.Count == 0)
        {
            return cached.Entry;
        }
        var entry = SysModuleReader.Read(paths, module.Name);
        _entries[module.Name] = (module.Size, module.TaintLetters, entry);
        return entry;
    }

    /// <summary>Forgets modules that are no longer loaded.</summary>
    public void Retain(IEnumerable<string> loaded)
    {
        var keep = loaded.ToHashSet(StringComparer.Ordinal);
        foreach (var name in _entries.Keys.Where(n => !keep.Contains(n)).ToList())
        {
            _entries.Remove(name);
        }
    }
}
