using System.Globalization;
using TaintWatch.Kernel;
using TaintWatch.Logging;
using TaintWatch.Watch;

namespace TaintWatch.Lifecycle;

/// <summary>
/// Turns lifecycle changes into journal events, once each per boot (the state remembers what was reported): a taint
/// bit the policy does not allow, a module-carried bit nobody explains, a module hidden from one listing, and live
/// patches applied, enabled, disabled, removed or stuck in transition.
/// </summary>
public static class LifecycleEvents
{
    public static List<WatchEvent> Detect(WatchState watch, LifecycleState state, LifecycleView view, KernelSnapshot snapshot, DateTimeOffset now, bool startOfBoot, TimeSpan stuckAfter)
    {
        var events = new List<WatchEvent>();
        var mask = snapshot.TaintMask ?? 0;

        var unexpected = view.Unexpected?.Where(u => u.Unexpected).Select(u => u.Flag).ToList() ?? [];
        foreach (var flag in unexpected.Where(f => !state.ReportedUnexpected.Contains(f.Bit)))
        {
            var carriers = Carriers(snapshot, flag);
            events.Add(New(watch, snapshot, WatchEventKind.TaintUnexpected, Bit(flag), Priority.Warning,
                $"Kernel taint flag {flag.Letter} ({flag.Name}, bit {flag.Bit}) is not allowed by the expected-modules policy{By(carriers)}") with
            { Taint = Facts(flag, mask, carriers) });
        }
        state.ReportedUnexpected.Clear();
        state.ReportedUnexpected.UnionWith(unexpected.Select(f => f.Bit));

        var unexplained = view.ModuleBits.Where(b => b.Unexplained is not null).Select(b => b.Unexplained!).ToList();
        foreach (var bit in unexplained.Where(b => !state.ReportedUnexplained.Contains(b.Flag.Bit)))
        {
            events.Add(New(watch, snapshot, WatchEventKind.TaintUnexplained, Bit(bit.Flag), Priority.Critical,
                $"Kernel taint flag {bit.Flag.Letter} ({bit.Flag.Name}, bit {bit.Flag.Bit}) is set but no module explains it: {bit.Reason}") with
            {
                Taint = Facts(bit.Flag, mask, []),
                Explanation = bit.Reason,
            });
        }
        state.ReportedUnexplained.Clear();
        state.ReportedUnexplained.UnionWith(unexplained.Select(b => b.Flag.Bit));

        if (view.Listing is { } mismatch)
        {
            foreach (var (name, where) in mismatch.SysfsOnly.Select(n => (n, "sysfs-only")).Concat(mismatch.ProcOnly.Select(n => (n, "proc-only"))).Where(m => !state.ReportedHidden.Contains(m.Item1)))
            {
                events.Add(New(watch, snapshot, WatchEventKind.ModulesListingMismatch, name, Priority.Critical, where == "sysfs-only"
                    ? $"Module {name} is live in /sys/module but missing from /proc/modules: hidden from lsmod"
                    : $"Module {name} is live in /proc/modules but has no /sys/module/{name}: hidden from sysfs") with
                {
                    Module = new ModuleFacts(name, mismatch.Letters?.GetValueOrDefault(name) ?? state.Letters.GetValueOrDefault(name)),
                    Listing = where,
                });
            }
            state.ReportedHidden.Clear();
            state.ReportedHidden.UnionWith(mismatch.All);
        }

        if (view.LivePatches is { } patches)
        {
            LivePatchEvents(watch, state, snapshot, patches, now, startOfBoot, stuckAfter, events);
        }
        return events;
    }

    private static void LivePatchEvents(WatchState watch, LifecycleState state, KernelSnapshot snapshot, IReadOnlyList<LivePatch> patches, DateTimeOffset now, bool startOfBoot, TimeSpan stuckAfter, List<WatchEvent> events)
    {
        var seconds = now.ToUnixTimeMilliseconds() / 1000.0;
        foreach (var patch in patches)
        {
            var current = $"{Flag(patch.Enabled)} {Flag(patch.Transition)}";
            var before = state.LivePatches.GetValueOrDefault(patch.Name);
            state.LivePatches[patch.Name] = current;
            var change = before is null ? (startOfBoot ? "present" : "applied")
                : before[0] != current[0] && patch.Enabled is bool enabled ? (enabled ? "enabled" : "disabled")
                : null;
            if (change is not null)
            {
                var what = change switch
                {
                    "present" => patch.Enabled == false ? "was present but disabled when watching began" : "was already applied when watching began",
                    "applied" => patch.Transition == true ? "applied (transition in progress)" : "applied",
                    "enabled" => "enabled",
                    _ => patch.Transition == true ? "being disabled (transition in progress)" : "disabled",
                };
                events.Add(New(watch, snapshot, WatchEventKind.LivePatchChanged, patch.Name, change == "disabled" ? Priority.Notice : Priority.Info,
                    $"Live patch {patch.Name} {what}: {Describe(patch)}") with
                { LivePatch = Facts(patch, change), PresentAtStart = change == "present" });
            }
            if (patch.Transition == true)
            {
                if (!state.TransitionSince.TryGetValue(patch.Name, out var since))
                {
                    state.TransitionSince[patch.Name] = since = seconds;
                }
                if (seconds - since >= stuckAfter.TotalSeconds && state.ReportedStuck.Add(patch.Name))
                {
                    events.Add(New(watch, snapshot, WatchEventKind.LivePatchStuck, patch.Name, Priority.Warning,
                        $"Live patch {patch.Name} has been in transition for {(long)(seconds - since)} s: some tasks have not switched (grep -l 1 /proc/*/patch_state)") with
                    {
                        LivePatch = Facts(patch, "stuck") with { TransitionSeconds = (long)(seconds - since) },
                    });
                }
            }
            else
            {
                state.TransitionSince.Remove(patch.Name);
                state.ReportedStuck.Remove(patch.Name);
            }
        }
        foreach (var gone in state.LivePatches.Keys.Where(n => patches.All(p => p.Name != n)).ToList())
        {
            state.LivePatches.Remove(gone);
            state.TransitionSince.Remove(gone);
            state.ReportedStuck.Remove(gone);
            events.Add(New(watch, snapshot, WatchEventKind.LivePatchChanged, gone, Priority.Info, $"Live patch {gone} removed (disabled and freed; its module can be unloaded)") with
            {
                LivePatch = new LivePatchFacts(gone, "removed"),
            });
        }
    }

    private static string Flag(bool? value) => value switch { true => "1", false => "0", null => "?" };

    private static string Bit(TaintFlag flag) => flag.Bit.ToString(CultureInfo.InvariantCulture);

    private static string Describe(LivePatch patch) =>
        patch.Objects.Count == 0 ? "no patched objects readable"
        : string.Join("; ", patch.Objects.Select(o => $"{o.Name}: {string.Join(", ", o.Functions.Take(10).Select(f => f.Split(',')[0]))}{(o.Functions.Count > 10 ? $" and {o.Functions.Count - 10} more" : "")}"));

    private static LivePatchFacts Facts(LivePatch patch, string change) =>
        new(patch.Name, change, Flag(patch.Enabled), Flag(patch.Transition), patch.Objects.Select(o => o.Name).ToList(), patch.FunctionCount);

    private static TaintBitFacts Facts(TaintFlag flag, ulong mask, IReadOnlyList<string> carriers) => new(flag.Bit, flag.Letter, flag.Name, mask, carriers);

    private static List<string> Carriers(KernelSnapshot snapshot, TaintFlag flag) =>
        flag.Letter == '?' ? [] : snapshot.ModulesWithLetter(flag.SetChar).Select(m => m.Name).ToList();

    private static string By(List<string> carriers) => carriers.Count > 0 ? $" (modules: {string.Join(", ", carriers)})" : "";

    /// <summary>An event with the identity EventDetector gives its own: boot, kind, subject and a sequence number unique in the boot.</summary>
    private static WatchEvent New(WatchState watch, KernelSnapshot snapshot, WatchEventKind kind, string subject, int priority, string message)
    {
        watch.Sequence++;
        return new WatchEvent(kind, priority, message, $"{watch.BootId}/{WatchEventKinds.Name(kind)}/{subject}/{watch.Sequence}", snapshot.Table.Id, snapshot.Release ?? "unknown");
    }
}
