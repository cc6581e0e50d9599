using TaintWatch.Kernel;

namespace TaintWatch.Modules;

/// <summary>Where a module's file is, or that it is built in.</summary>
/// <param name="NotIndexed">The module index (modules.dep, or the tree where depmod has not run) has no such module.</param>
public sealed record ModuleLocation(string Name, string? Path, bool IsBuiltIn, string? Problem, bool NotIndexed = false)
{
    public bool Found => Path is not null;
}

/// <summary>
/// Finds a module's file from its name as kmod does: modules.dep of &lt;rootfs&gt;/lib/modules/&lt;release&gt;/
/// (names compared with '-' and '_' equal), modules.builtin for built-in ones, and — where depmod has not run —
/// the directories in RHEL's depmod search order (updates, extra, built-in kernel/, weak-updates) and no others.
/// </summary>
public sealed class ModuleLocator
{
    private const int IndexFileLimit = 64 * 1024 * 1024;
    private static readonly string[] SearchOrder = ["updates", "extra", "kernel", "weak-updates"];

    private readonly string _directory;
    private readonly Dictionary<string, string> _paths = new(StringComparer.Ordinal);
    private readonly HashSet<string> _builtIn = new(StringComparer.Ordinal);

    private ModuleLocator(string directory) => _directory = directory;

    /// <summary>Problems met while loading the index files (missing modules.dep, garbage lines).</summary>
    public List<string> Problems { get; } = [];

    public string Directory => _directory;

    public static ModuleLocator Load(KernelPaths paths, string release)
    {
        var locator = new ModuleLocator(paths.ModuleDirectory(release));
        locator.LoadIndexes();
        return locator;
    }

    public ModuleLocation Locate(string moduleName)
    {
        var name = ModuleNames.Normalize(moduleName);
        if (_paths.TryGetValue(name, out var path))
        {
            return new ModuleLocation(name, path, false, null);
        }
        if (_builtIn.Contains(name))
        {
            return new ModuleLocation(name, null, true, null);
        }
        return new ModuleLocation(name, null, false,
            $"module {moduleName} not found in {System.IO.Path.Combine(_directory, "modules.dep")} (loaded from elsewhere with insmod, or the package was removed)", NotIndexed: true);
    }

    /// <summary>Every module file the index knows, sorted by path.</summary>
    public IEnumerable<string> AllFiles => _paths.Values.Order(StringComparer.Ordinal);

    private void LoadIndexes()
    {
        var dep = BoundedFile.ReadText(System.IO.Path.Combine(_directory, "modules.dep"), IndexFileLimit);
        if (dep.Succeeded)
        {
            foreach (var line in dep.Value!.AsSpan().EnumerateLines())
            {
                var colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    continue;
                }
                var relative = line[..colon].ToString();
                var full = relative.StartsWith('/') ? relative : System.IO.Path.Combine(_directory, relative);
                // depmod already applied the search order: one line per module name.
                _paths.TryAdd(ModuleNames.FromPath(relative), full);
            }
        }
        else
        {
            Problems.Add(dep.Problem + "; searching updates, extra, kernel and weak-updates instead");
            ScanDirectories();
        }
        var builtin = BoundedFile.ReadText(System.IO.Path.Combine(_directory, "modules.builtin"), IndexFileLimit);
        if (builtin.Succeeded)
        {
            foreach (var line in builtin.Value!.AsSpan().EnumerateLines())
            {
                if (!line.IsWhiteSpace())
                {
                    _builtIn.Add(ModuleNames.FromPath(line.Trim().ToString()));
                }
            }
        }
    }

    private void ScanDirectories()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // Never build/ or source/ (symlinks into kernel headers with tens of thousands of files), nor any symlinked
        // directory: the tree's own directories, in depmod's order, the rest by name after them.
        var own = OwnDirectories(_directory);
        foreach (var sub in SearchOrder.Where(own.Contains).Concat(own.Where(d => !SearchOrder.Contains(d)).Order(StringComparer.Ordinal)))
        {
            foreach (var file in ModuleTree.Files(System.IO.Path.Combine(_directory, sub)))
            {
                var name = ModuleNames.FromPath(file);
                if (seen.Add(name))
                {
                    _paths[name] = file;
                }
            }
        }
    }

    private static List<string> OwnDirectories(string path)
    {
        try
        {
            return new DirectoryInfo(path).GetDirectories()
                .Where(d => d.LinkTarget is null && d.Name is not ("build" or "source"))
                .Select(d => d.Name)
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
