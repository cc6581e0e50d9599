namespace TaintWatch.Watch;

/// <summary>The kinds of event the daemon writes, each with a fixed 128-bit MESSAGE_ID (frozen: alerts and journalctl queries use them).</summary>
public enum WatchEventKind
{
    TaintFlagSet,
    TaintPresentAtStart,
    ModuleLoaded,
    ModuleUnloaded,
    ModuleFileChanged,
    WatcherStarted,
    WatcherStopped,
    TaintUnexpected,
    TaintUnexplained,
    ModulesListingMismatch,
    LivePatchChanged,
    LivePatchStuck,
}

/// <summary>One structured event: journald priority, message, and fields (DESIGN §6).</summary>
public sealed record WatchEvent(WatchEventKind Kind, int Priority, string Message, IReadOnlyList<KeyValuePair<string, string>> Fields)
{
    public string MessageId => MessageIds.For(Kind);

    /// <summary>A stable identity (boot, kind, subject) so that a consumer can drop the rare duplicate after a crash.</summary>
    public string EventId => Fields.FirstOrDefault(f => f.Key == "TAINTWATCH_EVENT_ID").Value ?? "";
}

/// <summary>MESSAGE_IDs, generated once (systemd-id128 new) and frozen. The catalog file explains each.</summary>
public static class MessageIds
{
    public const string TaintFlagSet = "3c1a7f2e9b6d4e0a8f5c2b7d1e9a4c60";
    public const string TaintPresentAtStart = "8e4b2d9f1c7a4b3e9d6f0a2c5b8e1d71";
    public const string ModuleLoaded = "5d2f8a1c6e9b4f7a8c3d0e5b2a7f9c82";
    public const string ModuleUnloaded = "a9c3e6f1b4d7482e9f5a1c8d3b6e0f93";
    public const string ModuleFileChanged = "f2b8d5a1e7c3496d8b0f4a2e6c9d1b04";
    public const string WatcherStarted = "1e7c4a9d2f5b483c9e6a0d3f8b1c5e15";
    public const string WatcherStopped = "6b0d3f8e2a5c4d9f8a1e7c4b0d2f6a26";
    public const string TaintUnexpected = "7f9ca986e8cb41178421e8ad17dfb0eb";
    public const string TaintUnexplained = "e557bf6948fa4e7da6f8a23c7874f4c1";
    public const string ModulesListingMismatch = "119bd20104bb4074a02dac19ae39ef47";
    public const string LivePatchChanged = "40b959c48c124ec99e306a56f26f97e9";
    public const string LivePatchStuck = "2649bee22f084ccb95fe6b0274116b6d";

    public static string For(WatchEventKind kind) => kind switch
    {
        WatchEventKind.TaintFlagSet => TaintFlagSet,
        WatchEventKind.TaintPresentAtStart => TaintPresentAtStart,
        WatchEventKind.ModuleLoaded => ModuleLoaded,
        WatchEventKind.ModuleUnloaded => ModuleUnloaded,
        WatchEventKind.ModuleFileChanged => ModuleFileChanged,
        WatchEventKind.WatcherStarted => WatcherStarted,
        WatchEventKind.TaintUnexpected => TaintUnexpected,
        WatchEventKind.TaintUnexplained => TaintUnexplained,
        WatchEventKind.ModulesListingMismatch => ModulesListingMismatch,
        WatchEventKind.LivePatchChanged => LivePatchChanged,
        WatchEventKind.LivePatchStuck => LivePatchStuck,
        _ => WatcherStopped,
    };
}

/// <summary>syslog priorities as journald stores them.</summary>
public static class Priority
{
    public const int Critical = 2;
    public const int Error = 3;
    public const int Warning = 4;
    public const int Notice = 5;
    public const int Info = 6;

    /// <summary>DESIGN §6: crit for D, M, B; warning for W, L, E, F, R and unknown bits; notice for the rest.</summary>
    public static int ForFlag(Kernel.TaintFlag flag) => flag.IsPlaceholder ? Warning : flag.Name switch
    {
        "DIE" or "MACHINE_CHECK" or "BAD_PAGE" => Critical,
        "WARN" or "SOFTLOCKUP" or "UNSIGNED_MODULE" or "FORCED_MODULE" or "FORCED_RMMOD" => Warning,
        _ => Notice,
    };
}
