using System.CommandLine;
using TaintWatch.Kernel;

namespace TaintWatch.Cli;

/// <summary>The --path.* flags every command shares, so each runs on a fixture tree as well as on the host.</summary>
public sealed class GlobalOptions
{
    public Option<string> ProcFs { get; } = new("--path.procfs") { Description = "procfs mountpoint.", DefaultValueFactory = _ => "/proc", Recursive = true };
    public Option<string> SysFs { get; } = new("--path.sysfs") { Description = "sysfs mountpoint.", DefaultValueFactory = _ => "/sys", Recursive = true };
    public Option<string> RootFs { get; } = new("--path.rootfs") { Description = "Root of the file system holding lib/modules/<release>/.", DefaultValueFactory = _ => "/", Recursive = true };

    public void AddTo(Command root)
    {
        root.Options.Add(ProcFs);
        root.Options.Add(SysFs);
        root.Options.Add(RootFs);
    }

    public KernelPaths Paths(ParseResult result) =>
        new(result.GetValue(ProcFs)!, result.GetValue(SysFs)!, result.GetValue(RootFs)!);
}
