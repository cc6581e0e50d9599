namespace TaintWatch.Modules;

/// <summary>
/// Walks a module tree for .ko, .ko.xz, .ko.zst and .ko.gz files. Symlinked files are included (RHEL's
/// weak-updates are symlinks) but symlinked directories are not followed, so a link loop cannot trap it.
/// </summary>
public static class ModuleTree
{
    public const int MaxFiles = 500_000;
    private const int MaxDepth = 32;

    /// <summary>Module files under <paramref name="root"/>, sorted by path; at most <see cref="MaxFiles"/>.</summary>
    public static List<string> Files(string root)
    {
        var files = new List<string>();
        var pending = new Stack<(string Path, int Depth)>();
        pending.Push((root, 0));
        while (pending.Count > 0 && files.Count < MaxFiles)
        {
            var (dir, depth) = pending.Pop();
            string[] entries;
            try
            {
                entries = Directory.GetFileSystemEntries(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var entry in entries)
            {
                var isLink = new FileInfo(entry).LinkTarget is not null;
                if (Directory.Exists(entry))
                {
                    if (!isLink && depth < MaxDepth)
                    {
                        pending.Push((entry, depth + 1));
                    }
                }
                else if (ModuleNames.IsModuleFileName(Path.GetFileName(entry)) && files.Count < MaxFiles)
                {
                    files.Add(entry);
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
