namespace TaintWatch.Watch;

/// <summary>The kinds of event the daemon writes (docs/journal.md).</summary>
public enum WatchEventKind
{
    TaintFlagSet,
    TaintPresentAtStart,
    ModuleLoaded,
    ModuleUnloaded,
    ModuleFileChanged,
    ModuleSignatureNotVerified,
    WatcherStarted,
    WatcherStopped,
    TaintUnexpected,
    TaintUnexplained,
    ModulesListingMismatch,
    LivePatchChanged,
    LivePatchStuck,
}

/// <summary>
/// One event, as facts: what happened (kind, bit, module), how it is known (late, transient, at start) and
/// the words for people. Journal/ maps it to journald fields and Metrics/ to counters; the state file keeps
/// undelivered ones under the stable names of <see cref="WatchEventKinds"/>.
/// </summary>
/// <param name="EventId">A stable identity (boot, kind, subject, sequence) so that a consumer can drop the rare duplicate after a crash; empty for the watcher's own start and stop.</param>
/// <param name="TaintTable">The taint table in use; null for the watcher's own start and stop.</param>
/// <param name="KernelRelease">The running kernel; null for the watcher's own start and stop.</param>
public sealed record WatchEvent(WatchEventKind Kind, int Priority, string Message, string EventId = "", string? TaintTable = null, string? KernelRelease = null)
{
    /// <summary>The taint bit of a taint event.</summary>
    public TaintBitFacts? Taint { get; init; }

    /// <summary>The module of a module event.</summary>
    public ModuleFacts? Module { get; init; }

    /// <summary>It happened while the daemon was not running (seen at its first poll).</summary>
    public bool SeenLate { get; init; }

    /// <summary>A module loaded and unloaded between two polls, known from its uevent.</summary>
    public bool Transient { get; init; }

    /// <summary>A module already loaded when watching began this boot.</summary>
    public bool PresentAtStart { get; init; }

    /// <summary>For a replaced module file: what told the file from the loaded image (build-id or srcversion).</summary>
    public string? MatchEvidence { get; init; }

    /// <summary>For unexplained taint: what TaintWatch can tell of why no module carries the bit.</summary>
    public string? Explanation { get; init; }

    /// <summary>For a listing mismatch: "sysfs-only" (hidden from /proc/modules) or "proc-only" (hidden from /sys/module).</summary>
    public string? Listing { get; init; }

    /// <summary>The live patch of a live patch event.</summary>
    public LivePatchFacts? LivePatch { get; init; }

    public string MessageId => MessageIds.For(Kind);
}

/// <param name="Mask">The whole taint mask when the bit was seen.</param>
/// <param name="Carriers">Loaded (or transient) modules carrying the bit's letter.</param>
public sealed record TaintBitFacts(int Bit, char Letter, string Name, ulong Mask, IReadOnlyList<string> Carriers);

/// <summary>A module's facts as an event states them; only <see cref="Name"/> for an unload.</summary>
/// <param name="TaintLetters">Its taint letters ("" for none); null for an unload, which states no more than the name.</param>
/// <param name="Expected">Whether the expected-modules list covers it; null without a list.</param>
/// <param name="Verified">Its signature checked against the trusted keys (valid, invalid, untrusted, revoked, unknown); null when not checked.</param>
/// <param name="VerifiedBy">The source holding the key.</param>
/// <param name="VerifyProblem">Why the signature is not valid.</param>
public sealed record ModuleFacts(
    string Name,
    string? TaintLetters = null,
    string? SignatureState = null,
    string? Signer = null,
    string? SigKey = null,
    string? HashAlgorithm = null,
    string? File = null,
    string? Version = null,
    string? SrcVersion = null,
    string? SignatureProblem = null,
    bool? Expected = null,
    string? Verified = null,
    string? VerifiedBy = null,
    string? VerifyProblem = null);

/// <summary>A live patch as an event states it.</summary>
/// <param name="Change">present, applied, enabled, disabled, removed or stuck.</param>
/// <param name="Enabled">"1", "0", or "?" when unreadable; null for a removed patch.</param>
/// <param name="Objects">The patched objects (vmlinux or module names).</param>
/// <param name="TransitionSeconds">For a stuck patch: how long it has been in transition.</param>
public sealed record LivePatchFacts(string Name, string Change, string? Enabled = null, string? Transition = null, IReadOnlyList<string>? Objects = null, int? Functions = null, long? TransitionSeconds = null);

/// <summary>The stable names of event kinds, as the state file stores them: renaming an enum member never breaks an upgraded host's state.</summary>
public static class WatchEventKinds
{
    private static readonly (WatchEventKind Kind, string Name)[] Names =
    [
        (WatchEventKind.TaintFlagSet, "taint-set"),
        (WatchEventKind.TaintPresentAtStart, "taint-present"),
        (WatchEventKind.ModuleLoaded, "module-loaded"),
        (WatchEventKind.ModuleUnloaded, "module-unloaded"),
        (WatchEventKind.ModuleFileChanged, "module-file-changed"),
        (WatchEventKind.ModuleSignatureNotVerified, "module-signature-not-verified"),
        (WatchEventKind.WatcherStarted, "watcher-started"),
        (WatchEventKind.WatcherStopped, "watcher-stopped"),
        (WatchEventKind.TaintUnexpected, "taint-unexpected"),
        (WatchEventKind.TaintUnexplained, "taint-unexplained"),
        (WatchEventKind.ModulesListingMismatch, "modules-listing-mismatch"),
        (WatchEventKind.LivePatchChanged, "livepatch-changed"),
        (WatchEventKind.LivePatchStuck, "livepatch-stuck"),
    ];

    public static string Name(WatchEventKind kind) => Names.First(n => n.Kind == kind).Name;

    public static bool TryParse(string name, out WatchEventKind kind)
    {
        foreach (var (k, n) in Names)
        {
            if (n == name)
            {
                kind = k;
                return true;
            }
        }
        kind = default;
        return false;
    }
}

/// <summary>MESSAGE_IDs, generated once (systemd-id128 new) and frozen: alerts and journalctl queries use them. The catalog file explains each.</summary>
public static class MessageIds
{
    public const string TaintFlagSet = "3c1a7f2e9b6d4e0a8f5c2b7d1e9a4c60";
    public const string TaintPresentAtStart = "8e4b2d9f1c7a4b3e9d6f0a2c5b8e1d71";
    public const string ModuleLoaded = "5d2f8a1c6e9b4f7a8c3d0e5b2a7f9c82";
    public const string ModuleUnloaded = "a9c3e6f1b4d7482e9f5a1c8d3b6e0f93";
    public const string ModuleFileChanged = "f2b8d5a1e7c3496d8b0f4a2e6c9d1b04";
    public const string ModuleSignatureNotVerified = "522c373debd34d5c9505549d0d6b713f";
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
        WatchEventKind.ModuleSignatureNotVerified => ModuleSignatureNotVerified,
        WatchEventKind.WatcherStarted => WatcherStarted,
        WatchEventKind.TaintUnexpected => TaintUnexpected,
        WatchEventKind.TaintUnexplained => TaintUnexplained,
        WatchEventKind.ModulesListingMismatch => ModulesListingMismatch,
        WatchEventKind.LivePatchChanged => LivePatchChanged,
        WatchEventKind.LivePatchStuck => LivePatchStuck,
        _ => WatcherStopped,
    };
}
