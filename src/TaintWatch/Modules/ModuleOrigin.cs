using TaintWatch.Kernel;

namespace TaintWatch.Modules;

/// <summary>
/// Where a loaded module's file comes from, by its place under &lt;rootfs&gt;/lib/modules/&lt;release&gt;/: the
/// kernel package (kernel/), a driver update (updates/), a third-party package (extra/), a kABI-compatible module of
/// another kernel (weak-updates/, symlinks made by RHEL's weak-modules), built into the image, elsewhere, or unknown.
/// </summary>
/// <param name="Kind">One of the constants below: the origin label's value.</param>
/// <param name="WeakTarget">For weak-updates: the symlink's target as the host names it (/lib/modules/&lt;other&gt;/extra/…).</param>
/// <param name="WeakTargetRelease">For weak-updates: the kernel release the target was built for.</param>
/// <param name="WeakTargetKernelInstalled">For weak-updates: whether that kernel is still installed (its image exists); null when not a weak-updates link.</param>
public sealed record ModuleOrigin(string Kind, string? WeakTarget = null, string? WeakTargetRelease = null, bool? WeakTargetKernelInstalled = null)
{
    public const string Kernel = "kernel";
    public const string Updates = "updates";
    public const string Extra = "extra";
    public const string WeakUpdates = "weak-updates";
    public const string BuiltIn = "built-in";
    public const string Other = "other";
    public const string Unknown = "unknown";

    /// <summary>A weak-updates module whose source kernel was removed: it still loads, but nothing keeps it in step any more.</summary>
    public bool IsOrphanedWeakUpdate => WeakTargetKernelInstalled == false;

    /// <summary>Classifies a located module; the release is the running kernel's.</summary>
    /// <param name="followLinks">
    /// False on the poll thread: a weak-updates link is then not read (that is file I/O under /lib/modules, which a
    /// hung mount could block); the daemon follows it with the file's read, off the poll loop.
    /// </param>
    public static ModuleOrigin Of(ModuleLocation location, KernelPaths paths, string? release, bool followLinks = true)
    {
        if (location.IsBuiltIn)
        {
            return new ModuleOrigin(BuiltIn);
        }
        if (location.Path is not { } path || release is null)
        {
            return new ModuleOrigin(Unknown);
        }
        var relative = Path.GetRelativePath(paths.ModuleDirectory(release), path);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return new ModuleOrigin(Other);
        }
        var top = relative.Split('/')[0];
        return top switch
        {
            "kernel" => new ModuleOrigin(Kernel),
            "updates" => new ModuleOrigin(Updates),
            "extra" => new ModuleOrigin(Extra),
            "weak-updates" => followLinks ? WeakUpdate(path, paths) : new ModuleOrigin(WeakUpdates),
            _ => new ModuleOrigin(Other),
        };
    }

    /// <summary>Follows one weak-updates symlink (weak-modules makes direct, absolute links) to the kernel it belongs to.</summary>
    private static ModuleOrigin WeakUpdate(string path, KernelPaths paths)
    {
        string? target;
        try
        {
            target = new FileInfo(path).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            target = null;
        }
        if (target is null)
        {
            return new ModuleOrigin(WeakUpdates); // a plain file placed there by hand: no other kernel to name
        }
        // An absolute target names a path on the host, which lives under --path.rootfs; a relative one is next to the link.
        var onHost = target.StartsWith('/') ? target : "/" + Path.GetRelativePath(paths.RootFs, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, target)));
        var release = ReleaseIn(onHost);
        var installed = release is null ? (bool?)null : KernelInstalled(paths, release);
        return new ModuleOrigin(WeakUpdates, onHost, release, installed);
    }

    /// <summary>"/lib/modules/4.18.0-305.el8.x86_64/extra/x.ko" (or under /usr/lib/modules) → "4.18.0-305.el8.x86_64".</summary>
    private static string? ReleaseIn(string hostPath)
    {
        var parts = hostPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i + 2 < parts.Length; i++)
        {
            if (parts[i] == "lib" && parts[i + 1] == "modules")
            {
                return parts[i + 2];
            }
        }
        return null;
    }

    /// <summary>
    /// A kernel is installed while its image is: RHEL 8+ kernel-core owns /lib/modules/&lt;release&gt;/vmlinuz, older
    /// releases /boot/vmlinuz-&lt;release&gt;. The directory alone does not tell, since the kmod package's own files keep it.
    /// </summary>
    private static bool KernelInstalled(KernelPaths paths, string release) =>
        File.Exists(Path.Combine(paths.ModuleDirectory(release), "vmlinuz")) || File.Exists(Path.Combine(paths.RootFs, "boot", "vmlinuz-" + release));
}
