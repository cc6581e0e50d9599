namespace TaintWatch.Modules;

/// <summary>
/// Follows symlinks as the host they belong to would: under --path.rootfs, an absolute target such as RHEL's
/// weak-updates links (/lib/modules/&lt;other release&gt;/extra/x.ko) names a file under the root, not on the
/// machine TaintWatch runs on.
/// </summary>
public static class RootedPath
{
    /// <summary>As many links as Linux follows (MAXSYMLINKS) before ELOOP.</summary>
    private const int MaxLinks = 40;

    /// <summary>The file <paramref name="path"/> leads to under <paramref name="root"/>; the path itself when the root is "/" or it is no link.</summary>
    public static string Resolve(string path, string root)
    {
        if (root is "/" or "")
        {
            return path; // the kernel follows the links itself
        }
        var current = path;
        for (var hop = 0; hop < MaxLinks; hop++)
        {
            string? target;
            try
            {
                target = new FileInfo(current).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return current; // the read that follows says what is wrong
            }
            if (target is null)
            {
                return current;
            }
            current = target.StartsWith('/')
                ? Path.Join(root, target)
                : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, target));
        }
        return current;
    }
}
