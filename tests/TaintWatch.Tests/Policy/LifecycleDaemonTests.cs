using System.Diagnostics;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Policy;

/// <summary>
/// The real daemon on a fixture host (rhel79-scini) that the test changes while it runs: a live patch comes and goes,
/// the kernel's failure counters rise, a module hides from /proc/modules, the taint policy is edited, a carrier
/// unloads. Metrics are scraped over HTTP and checked by promtool; events are read back from a real journald.
/// </summary>
public sealed class LifecycleDaemonTests : IDisposable
{
    private readonly TempTree _tree = new("rhel79-scini");
    private readonly Journald _journal = new();

    public void Dispose()
    {
        _journal.Dispose();
        _tree.Dispose();
    }

    private string Policy => _tree.PathOf("expected.yaml");

    private List<Dictionary<string, string>> Events(string messageId) =>
        _journal.Entries().Where(e => e.GetValueOrDefault("MESSAGE_ID") == messageId).ToList();

    private void Patch(string name, string enabled, string transition)
    {
        _tree.Write($"sys/kernel/livepatch/{name}/enabled", enabled + "\n");
        _tree.Write($"sys/kernel/livepatch/{name}/transition", transition + "\n");
        Directory.CreateDirectory(_tree.PathOf($"sys/kernel/livepatch/{name}/vmlinux/cmdline_proc_show,1"));
    }

    [Fact]
    public void Live_patches_counters_hidden_modules_and_the_taint_policy_reach_metrics_and_journal()
    {
        // The host: P O E (scini) and RHEL 7's T (overlay), bits 0, 12, 13, 29. The role allows P, O and E.
        File.WriteAllText(Policy, "modules:\n  - name: \"*\"\ntaint: [P, O, E]\n");
        _tree.Write("sys/kernel/warn_count", "0\n");
        _tree.Write("sys/kernel/oops_count", "0\n");
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"), "200ms", "--modules.expected-file", Policy, "--livepatch.stuck-after", "1s");
        daemon.WaitReady();
        var metrics = daemon.Scrape();
        Assert.Contains("taintwatch_kernel_taint_unexpected{bit=\"29\",flag=\"T\",name=\"TECH_PREVIEW\"} 1", metrics);
        Assert.Contains("taintwatch_kernel_taint_unexpected{bit=\"0\",flag=\"P\",name=\"PROPRIETARY_MODULE\"} 0", metrics);
        Assert.Contains("taintwatch_kernel_taint_unexplained{bit=\"0\",flag=\"P\",name=\"PROPRIETARY_MODULE\"} 0", metrics);
        Assert.Contains("taintwatch_kernel_warnings_total 0", metrics);
        Assert.Contains("taintwatch_modules_listing_mismatch 0", metrics);
        Assert.Contains("origin=\"extra\",vermagic=", metrics); // scini, from extra/
        Assert.DoesNotContain("taintwatch_livepatch_enabled", metrics.Split('\n').Where(l => !l.StartsWith('#')).Aggregate("", (a, l) => a + l + "\n"), StringComparison.Ordinal);
        Assert.Equal("", Promtool.CheckMetrics(metrics));
        Assert.Single(Events(MessageIds.TaintUnexpected), e => e["TAINT_FLAG"] == "T" && e["MODULE"] == "overlay");

        // A live patch arrives (its module carries K) and stays in transition; WARNs are counted.
        File.AppendAllText(_tree.PathOf("proc/modules"), "kpatch_1 16384 1 - Live 0x0000000000000000 (K)\n");
        _tree.Write("sys/module/kpatch_1/initstate", "live\n");
        _tree.Write("sys/module/kpatch_1/taint", "K\n");
        Patch("kpatch_1", "1", "1");
        File.WriteAllText(_tree.PathOf("proc/sys/kernel/tainted"), $"{536883201UL | (1UL << 15)}\n");
        _tree.Write("sys/kernel/warn_count", "3\n");
        metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_livepatch_transition{patch=\"kpatch_1\"} 1", StringComparison.Ordinal)
            && m.Contains("taintwatch_kernel_warnings_total 3", StringComparison.Ordinal));
        Assert.Contains("taintwatch_livepatch_enabled{patch=\"kpatch_1\"} 1", metrics);
        Assert.Contains("taintwatch_kernel_taint_unexpected{bit=\"15\",flag=\"K\",name=\"LIVEPATCH\"} 1", metrics);
        Wait.Until(() => Events(MessageIds.LivePatchStuck).Count == 1, 20_000, () => "no stuck event: " + daemon.Stderr);
        var applied = Assert.Single(Events(MessageIds.LivePatchChanged));
        Assert.Equal(("applied", "kpatch_1", "vmlinux", "1"), (applied["LIVEPATCH_EVENT"], applied["LIVEPATCH"], applied["LIVEPATCH_OBJECTS"], applied["LIVEPATCH_FUNCTIONS"]));
        Assert.Equal("kpatch_1", Events(MessageIds.LivePatchStuck)[0]["MODULE"]);

        // The role now allows live patches: the K series drops to 0 (no second event); the transition ends; disabled.
        File.WriteAllText(Policy, "modules:\n  - name: \"*\"\ntaint: [P, O, E, K]\n");
        Patch("kpatch_1", "0", "0");
        metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_kernel_taint_unexpected{bit=\"15\",flag=\"K\",name=\"LIVEPATCH\"} 0", StringComparison.Ordinal)
            && m.Contains("taintwatch_livepatch_enabled{patch=\"kpatch_1\"} 0", StringComparison.Ordinal));
        Wait.Until(() => Events(MessageIds.LivePatchChanged).Any(e => e["LIVEPATCH_EVENT"] == "disabled"), 10_000, () => daemon.Stderr);

        // The patch is freed and its module unloaded: K stays set, explained by the carrier seen unloading.
        Directory.Delete(_tree.PathOf("sys/kernel/livepatch/kpatch_1"), recursive: true);
        File.WriteAllLines(_tree.PathOf("proc/modules"), File.ReadAllLines(_tree.PathOf("proc/modules")).Where(l => !l.StartsWith("kpatch_1 ", StringComparison.Ordinal)));
        Directory.Delete(_tree.PathOf("sys/module/kpatch_1"), recursive: true);
        Wait.Until(() => Events(MessageIds.LivePatchChanged).Any(e => e["LIVEPATCH_EVENT"] == "removed"), 10_000, () => daemon.Stderr);
        metrics = daemon.ScrapeUntil(m => !m.Contains("taintwatch_livepatch_enabled{", StringComparison.Ordinal));
        Assert.Contains("taintwatch_kernel_taint_unexplained{bit=\"15\",flag=\"K\",name=\"LIVEPATCH\"} 0", metrics);

        // A module hides from /proc/modules but stays live in /sys/module: counted and named; the bit it alone
        // carried (C, bit 10) has no carrier any loaded module shows.
        _tree.Write("sys/module/hider/initstate", "live\n");
        _tree.Write("sys/module/hider/taint", "C\n");
        File.WriteAllText(_tree.PathOf("proc/sys/kernel/tainted"), $"{536883201UL | (1UL << 15) | (1UL << 10)}\n");
        metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_modules_listing_mismatch 1", StringComparison.Ordinal), 40_000);
        Assert.Contains("taintwatch_kernel_taint_unexplained{bit=\"10\",flag=\"C\",name=\"CRAP\"} 1", metrics);
        var hidden = Assert.Single(Events(MessageIds.ModulesListingMismatch));
        Assert.Equal(("hider", "sysfs-only", "2", "C"), (hidden["MODULE"], hidden["MODULE_LISTING"], hidden["PRIORITY"], hidden["MODULE_TAINT"]));
        var unexplained = Assert.Single(Events(MessageIds.TaintUnexplained));
        Assert.Equal("C", unexplained["TAINT_FLAG"]);
        Assert.Contains("set while TaintWatch was watching", unexplained["TAINT_EXPLANATION"], StringComparison.Ordinal);
        Assert.Equal("", Promtool.CheckMetrics(metrics));
    }

    [Fact]
    public void A_restart_repeats_no_lifecycle_event_and_still_knows_the_carriers_that_unloaded()
    {
        File.WriteAllText(Policy, "modules:\n  - name: \"*\"\ntaint: [P, O, E]\n");
        Patch("kpatch_1", "1", "0");
        var state = _tree.PathOf("state");
        using (var first = new DaemonProcess(_tree, _journal.Socket, state, "200ms", "--modules.expected-file", Policy))
        {
            first.WaitReady();
            // scini (P O E) unloads while watched.
            File.WriteAllLines(_tree.PathOf("proc/modules"), File.ReadAllLines(_tree.PathOf("proc/modules")).Where(l => !l.StartsWith("scini ", StringComparison.Ordinal)));
            Directory.Delete(_tree.PathOf("sys/module/scini"), recursive: true);
            first.ScrapeUntil(m => !m.Contains("module=\"scini\"", StringComparison.Ordinal));
            first.Terminate();
        }
        var before = _journal.Entries().Count(e => e.ContainsKey("TAINTWATCH_EVENT_ID"));
        using var second = new DaemonProcess(_tree, _journal.Socket, state, "200ms", "--modules.expected-file", Policy);
        second.WaitReady();
        var metrics = second.ScrapeUntil(m => m.Contains("taintwatch_kernel_taint_unexplained{bit=\"0\"", StringComparison.Ordinal));
        // P is carried by no loaded module now, but scini was seen unloading before the restart.
        Assert.Contains("taintwatch_kernel_taint_unexplained{bit=\"0\",flag=\"P\",name=\"PROPRIETARY_MODULE\"} 0", metrics);
        Thread.Sleep(1000);
        Assert.Equal(before, _journal.Entries().Count(e => e.ContainsKey("TAINTWATCH_EVENT_ID")));
        Assert.Single(Events(MessageIds.LivePatchChanged));
        Assert.Single(Events(MessageIds.TaintUnexpected)); // T, once, across the restart
    }
}
