namespace TaintWatch.Kernel;

/// <summary>A loaded module as /proc/modules and /sys/module together describe it.</summary>
public sealed record LoadedModule(string Name, ProcModuleEntry? Proc, SysModuleEntry? Sys)
{
    /// <summary>Per-module taint letters: /sys/module/&lt;m&gt;/taint where it exists (RHEL 7+), else /proc/modules.</summary>
    public string TaintLetters => Sys?.Taint ?? Proc?.TaintLetters ?? "";

    /// <summary>Which file the taint letters came from, so a report can say how it knows.</summary>
    public string TaintSource => Sys?.Taint is not null ? $"/sys/module/{Name}/taint" : Proc is not null ? "/proc/modules" : "none";

    public bool IsTainting => TaintLetters.Length > 0;
}
