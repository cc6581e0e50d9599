using System.Globalization;

namespace TaintWatch.Cli;

/// <summary>The lifecycle lines of `taintwatch status` for people: taint policy, live patches, counters, hidden modules, origins.</summary>
public static class StatusLifecycleText
{
    /// <summary>Under the taint table: the bits the policy does not allow, and module bits no loaded module carries.</summary>
    public static void WriteTaint(StatusReport report, TextWriter output)
    {
        if (report.Lifecycle is not { } view)
        {
            return;
        }
        if (view.Unexpected is { } policy)
        {
            var not = policy.Where(u => u.Unexpected).Select(u => u.Flag.Letter == '?' ? u.Flag.Name : u.Flag.Letter.ToString()).ToList();
            var allowed = string.Join(", ", report.Expected?.Rules.Taint ?? []);
            output.WriteLine(not.Count == 0
                ? $"  Every set bit is allowed by the taint policy (taint: [{allowed}] in {report.Expected?.Path})."
                : $"  NOT allowed by the taint policy (taint: [{allowed}] in {report.Expected?.Path}): {string.Join(" ", not)}");
        }
        var orphans = view.ModuleBits.Where(b => b.Unexplained is not null).Select(b => b.Flag.Letter.ToString()).ToList();
        if (orphans.Count > 0)
        {
            output.WriteLine($"  No loaded module carries: {string.Join(" ", orphans)} (a module unloaded earlier, or one hiding; the daemon, which sees unloads, reports taintwatch_kernel_taint_unexplained)");
        }
    }

    /// <summary>After the security posture: live patches, the kernel's failure counters and the listing comparison.</summary>
    public static void WriteHost(StatusReport report, TextWriter output)
    {
        if (report.Lifecycle is not { } view)
        {
            return;
        }
        var counters = view.Counters;
        output.WriteLine(counters.Warnings is null && counters.Oopses is null
            ? "Kernel counters: not available (no /sys/kernel/warn_count or oops_count: kernels before 6.2 without the backport)"
            : $"Kernel counters: {Count(counters.Warnings)} WARNs, {Count(counters.Oopses)} oopses this boot");
        if (view.LivePatches is { Count: > 0 } patches)
        {
            foreach (var p in patches)
            {
                var state = p.Enabled switch { true => "enabled", false => "disabled", null => "state unreadable" };
                var objects = string.Join("; ", p.Objects.Select(o => $"{o.Name}: {string.Join(", ", o.Functions.Select(f => f.Split(',')[0]))}"));
                output.WriteLine($"Live patch:  {p.Name} {state}{(p.Transition == true ? ", IN TRANSITION" : "")}{(objects.Length > 0 ? $" ({objects})" : "")}");
            }
        }
        if (view.Listing is { Count: > 0 } mismatch)
        {
            foreach (var name in mismatch.SysfsOnly)
            {
                output.WriteLine($"HIDDEN MODULE: {name} is live in /sys/module but missing from /proc/modules (lsmod does not show it)");
            }
            foreach (var name in mismatch.ProcOnly)
            {
                output.WriteLine($"HIDDEN MODULE: {name} is live in /proc/modules but has no /sys/module/{name}");
            }
        }
    }

    /// <summary>Under the module table: weak-updates links to removed kernels, and files built for another kernel.</summary>
    public static void WriteModules(StatusReport report, TextWriter output)
    {
        var release = report.Snapshot.Release;
        foreach (var m in report.Host.Modules.Where(m => m.Origin.IsOrphanedWeakUpdate))
        {
            output.WriteLine($"  {m.Name}: weak-updates link to {m.Origin.WeakTarget}, but kernel {m.Origin.WeakTargetRelease} is no longer installed: nothing rebuilds or updates this module for {release}");
        }
        foreach (var m in report.Host.Modules.Where(m => m.Vermagic is { } v && release is not null && !v.StartsWith(release + " ", StringComparison.Ordinal) && v.Trim() != release))
        {
            output.WriteLine($"  {m.Name}: built for another kernel (vermagic \"{m.Vermagic!.Trim()}\")");
        }
    }

    private static string Count(ulong? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "unknown";
}
