using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Status;

namespace TaintWatch.Cli;

/// <summary>The command line's join of modules to files: the daemon's <see cref="ModuleFileCache"/>, waiting for every file up to its deadline, on all cores.</summary>
public static class ModuleFiles
{
    public static HostStatus Join(KernelSnapshot snapshot, KernelPaths paths, Baseline.ExpectedModules? expected)
    {
        using var files = ModuleFileCache.ForCommandLine(ModuleFileCache.DefaultTimeout);
        return HostStatus.Build(snapshot, files.Resolve(snapshot, paths), expected);
    }
}
