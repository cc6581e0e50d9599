using System.Globalization;
using TaintWatch.Kernel;
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
            var fields = TaintFields(snapshot, watch, "taint-unexpected", flag, mask);
            fields.AddRange(carriers.Select(m => new KeyValuePair<string, string>("MODULE", m)));
            events.Add(new WatchEvent(WatchEventKind.TaintUnexpected, Priority.Warning,
                $"Kernel taint flag {flag.Letter} ({flag.Name}, bit {flag.Bit}) is not allowed by the expected-modules policy{By(carriers)}", fields));
        }
        state.ReportedUnexpected.Clear();
        state.ReportedUnexpected.UnionWith(unexpected.Select(f => f.Bit));

        var unexplained = view.ModuleBits.Where(b => b.Unexplained is not null).Select(b => b.Unexplained!).ToList();
        foreach (var bit in unexplained.Where(b => !state.ReportedUnexplained.Contains(b.Flag.Bit)))
        {
            var fields = TaintFields(snapshot, watch, "taint-unexplained", bit.Flag, mask);
            fields.Add(new("TAINT_EXPLANATION", bit.Reason));
            if (view.Listing is { Count: > 0 } listing)
            {
                fields.AddRange(listing.All.Select(m => new KeyValuePair<string, string>("MODULE", m)));
            }
            events.Add(new WatchEvent(WatchEventKind.TaintUnexplained, Priority.Critical,
                $"Kernel taint flag {bit.Flag.Letter} ({bit.Flag.Name}, bit {bit.Flag.Bit}) is set but no module explains it: {bit.Reason}", fields));
        }
        state.ReportedUnexplained.Clear();
        state.ReportedUnexplained.UnionWith(unexplained.Select(b => b.Flag.Bit));

        if (view.Listing is { } mismatch)
        {
            foreach (var (name, where) in mismatch.SysfsOnly.Select(n => (n, "sysfs-only")).Concat(mismatch.ProcOnly.Select(n => (n, "proc-only"))).Where(m => !state.ReportedHidden.Contains(m.Item1)))
            {
                var fields = Common(snapshot, watch, "modules-listing-mismatch", name);
                fields.Add(new("MODULE", name));
                fields.Add(new("MODULE_LISTING", where));
                if (state.Letters.GetValueOrDefault(name) is { Length: > 0 } letters)
                {
                    fields.Add(new("MODULE_TAINT", letters));
                }
                events.Add(new WatchEvent(WatchEventKind.ModulesListingMismatch, Priority.Critical, where == "sysfs-only"
                    ? $"Module {name} is live in /sys/module but missing from /proc/modules: hidden from lsmod"
                    : $"Module {name} is live in /proc/modules but has no /sys/module/{name}: hidden from sysfs", fields));
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
            var current = $"{Bit(patch.Enabled)} {Bit(patch.Transition)}";
            var before = state.LivePatches.GetValueOrDefault(patch.Name);
            state.LivePatches[patch.Name] = current;
            var change = before is null ? (startOfBoot ? "present" : "applied")
                : before[0] != current[0] && patch.Enabled is bool enabled ? (enabled ? "enabled" : "disabled")
                : null;
            if (change is not null)
            {
                var fields = PatchFields(snapshot, watch, patch, change);
                if (startOfBoot)
                {
                    fields.Add(new("PRESENT_AT_START", "1"));
                }
                var what = change switch
                {
                    "present" => patch.Enabled == false ? "was present but disabled when watching began" : "was already applied when watching began",
                    "applied" => patch.Transition == true ? "applied (transition in progress)" : "applied",
                    "enabled" => "enabled",
                    _ => patch.Transition == true ? "being disabled (transition in progress)" : "disabled",
                };
                events.Add(new WatchEvent(WatchEventKind.LivePatchChanged, change == "disabled" ? Priority.Notice : Priority.Info,
                    $"Live patch {patch.Name} {what}: {Describe(patch)}", fields));
            }
            if (patch.Transition == true)
            {
                if (!state.TransitionSince.TryGetValue(patch.Name, out var since))
                {
                    state.TransitionSince[patch.Name] = since = seconds;
                }
                if (seconds - since >= stuckAfter.TotalSeconds && state.ReportedStuck.Add(patch.Name))
                {
                    var fields = PatchFields(snapshot, watch, patch, "stuck");
                    fields.Add(new("LIVEPATCH_TRANSITION_SECONDS", ((long)(seconds - since)).ToString(CultureInfo.InvariantCulture)));
                    events.Add(new WatchEvent(WatchEventKind.LivePatchStuck, Priority.Warning,
                        $"Live patch {patch.Name} has been in transition for {(long)(seconds - since)} s: some tasks have not switched (grep -l 1 /proc/*/patch_state)", fields));
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
            var fields = Common(snapshot, watch, "livepatch-removed", gone);
            fields.Add(new("LIVEPATCH", gone));
            fields.Add(new("LIVEPATCH_EVENT", "removed"));
            events.Add(new WatchEvent(WatchEventKind.LivePatchChanged, Priority.Info, $"Live patch {gone} removed (disabled and freed; its module can be unloaded)", fields));
        }
    }

    private static string Bit(bool? value) => value switch { true => "1", false => "0", null => "?" };

    private static string Describe(LivePatch patch) =>
        patch.Objects.Count == 0 ? "no patched objects readable"
        : string.Join("; ", patch.Objects.Select(o => $"{o.Name}: {string.Join(", ", o.Functions.Take(10).Select(f => f.Split(',')[0]))}{(o.Functions.Count > 10 ? $" and {o.Functions.Count - 10} more" : "")}"));

    private static List<KeyValuePair<string, string>> PatchFields(KernelSnapshot snapshot, WatchState watch, LivePatch patch, string change)
    {
        var fields = Common(snapshot, watch, $"livepatch-{change}", patch.Name);
        fields.Add(new("LIVEPATCH", patch.Name));
        fields.Add(new("LIVEPATCH_EVENT", change));
        fields.Add(new("LIVEPATCH_ENABLED", Bit(patch.Enabled)));
        fields.Add(new("LIVEPATCH_TRANSITION", Bit(patch.Transition)));
        fields.Add(new("LIVEPATCH_OBJECTS", string.Join(",", patch.Objects.Select(o => o.Name))));
        fields.Add(new("LIVEPATCH_FUNCTIONS", patch.FunctionCount.ToString(CultureInfo.InvariantCulture)));
        fields.Add(new("MODULE", patch.Name)); // the patch is its module: journalctl MODULE=<patch> finds both
        return fields;
    }

    private static List<string> Carriers(KernelSnapshot snapshot, TaintFlag flag) =>
        flag.Letter == '?' ? [] : snapshot.ModulesWithLetter(flag.SetChar).Select(m => m.Name).ToList();

    private static string By(List<string> carriers) => carriers.Count > 0 ? $" (modules: {string.Join(", ", carriers)})" : "";

    private static List<KeyValuePair<string, string>> TaintFields(KernelSnapshot snapshot, WatchState watch, string kind, TaintFlag flag, ulong mask)
    {
        var fields = Common(snapshot, watch, kind, flag.Bit.ToString(CultureInfo.InvariantCulture));
        fields.Add(new("TAINT_BIT", flag.Bit.ToString(CultureInfo.InvariantCulture)));
        fields.Add(new("TAINT_FLAG", flag.Letter.ToString()));
        fields.Add(new("TAINT_NAME", flag.Name));
        fields.Add(new("TAINT_MASK", mask.ToString(CultureInfo.InvariantCulture)));
        return fields;
    }

    /// <summary>The fields every event has, as EventDetector writes them: a unique id per boot, the table and the release.</summary>
    private static List<KeyValuePair<string, string>> Common(KernelSnapshot snapshot, WatchState watch, string kind, string subject)
    {
        watch.Sequence++;
        return
        [
            new("TAINTWATCH_EVENT_ID", $"{watch.BootId}/{kind}/{subject}/{watch.Sequence}"),
            new("TAINT_TABLE", snapshot.Table.Id),
            new("KERNEL_RELEASE", snapshot.Release ?? "unknown"),
        ];
    }
}
