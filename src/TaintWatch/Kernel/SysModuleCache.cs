namespace TaintWatch.Kernel;

/// <summary>
/// The daemon's memory of /sys/module attributes. srcversion, version and build-id of a loaded module never
/// change, so they are read once per module instance — told apart by name, size and the taint letters
/// /proc/modules shows — instead of on every poll. A module that reloads with a different size, or gains a
/// letter, is read again. Without this, a poll of a 200-module host opened about a thousand files.
/// </summary>
public sealed class SysModuleCache
{
    private readonly Dictionary<string, (ulong Size, string Letters, SysModuleEntry Entry)> _entries = new(StringComparer.Ordinal);

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
