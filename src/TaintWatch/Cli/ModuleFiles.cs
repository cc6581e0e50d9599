using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Status;

namespace TaintWatch.Cli;

/// <summary>The command line's join of modules to files: the daemon's <see cref="ModuleFileCache"/>, waiting for every file up to its deadline, on all cores.</summary>
public static class ModuleFiles
{
    /// <param name="trustKeys">--trust.keys; null to leave signatures unverified.</param>
    public static HostStatus Join(KernelSnapshot snapshot, KernelPaths paths, Baseline.ExpectedModules? expected, IReadOnlyList<string>? trustKeys = null)
    {
        // The trust anchors (the kernel image unpacked) load on another core while the module files are read.
        var trust = trustKeys is not null && snapshot.Release is { } release
            ? Task.Run(() => Trust.TrustStoreCache.Load(paths, release, trustKeys))
            : null;
        using var files = ModuleFileCache.ForCommandLine(ModuleFileCache.DefaultTimeout);
        var resolved = files.Resolve(snapshot, paths);
        return HostStatus.Build(snapshot, resolved, expected, paths, trust?.Result);
    }
}
