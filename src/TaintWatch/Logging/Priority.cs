namespace TaintWatch.Logging;

/// <summary>syslog priorities as journald stores them (PRIORITY=), shared by events and log lines.</summary>
public static class Priority
{
    public const int Critical = 2;
    public const int Error = 3;
    public const int Warning = 4;
    public const int Notice = 5;
    public const int Info = 6;
    public const int Debug = 7;

    /// <summary>docs/journal.md: crit for D, M, B; warning for W, L, E, F, R and unknown bits; notice for the rest.</summary>
    public static int ForFlag(Kernel.TaintFlag flag) => flag.IsPlaceholder ? Warning : flag.Name switch
    {
        "DIE" or "MACHINE_CHECK" or "BAD_PAGE" => Critical,
        "WARN" or "SOFTLOCKUP" or "UNSIGNED_MODULE" or "FORCED_MODULE" or "FORCED_RMMOD" => Warning,
        _ => Notice,
    };
}
