using System.Globalization;
using System.Text.Json;
using TaintWatch.Watch;

namespace TaintWatch.Tests.RealKernel;

/// <summary>
/// Issue 17 on Debian's real kernel (tests/kernel/policy-scenario.sh): a live patch module built from the documented
/// API, the lifecycle metrics, and the alert that arrives — TaintWatch, then Debian's Prometheus with the shipped
/// rules, then Debian's Alertmanager, then a webhook receiver, all in the guest on 127.0.0.1, scraped every second.
/// </summary>
[Collection("qemu")]
public sealed class PolicyAlertTests(QemuScenario qemu, Xunit.Abstractions.ITestOutputHelper log)
{
    /// <summary>The stated bound: an alert reaches the receiver within this many scrape intervals of its cause.</summary>
    private const int MaxScrapeIntervals = 15;

    private string Policy(string file) => qemu.Read($"policy/{file}");

    private static string Series(string metrics, string name) =>
        string.Join("\n", metrics.Split('\n').Where(l => l.StartsWith(name, StringComparison.Ordinal)));

    /// <summary>results/policy/timings: "step cause_unix received_unix|missed".</summary>
    private Dictionary<string, (double Cause, double? Received)> Timings() =>
        Policy("timings").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(p => p[0],
            p => (double.Parse(p[1], CultureInfo.InvariantCulture), p[2] == "missed" ? (double?)null : double.Parse(p[2], CultureInfo.InvariantCulture)));

    /// <summary>Every alert the receiver got, with the status of its notification.</summary>
    private List<(string Status, Dictionary<string, string> Labels)> Received() =>
        Policy("notifications.jsonl").Split('\n', StringSplitOptions.RemoveEmptyEntries).SelectMany(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("body").GetProperty("alerts").EnumerateArray().Select(a => (a.GetProperty("status").GetString()!,
                a.GetProperty("labels").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!))).ToList();
        }).ToList();

    [Fact]
    public void Every_alert_reaches_the_webhook_within_the_stated_number_of_scrape_intervals()
    {
        var interval = double.Parse(Policy("scrape-interval").Trim(), CultureInfo.InvariantCulture);
        var timings = Timings();
        Assert.Equal(["1-module-firing", "1-taint-firing", "2-module-resolved", "2-taint-host-firing", "2-taint-module-resolved", "3-taint-host-resolved", "4-module-firing", "5-module-resolved"],
            timings.Keys.Order(StringComparer.Ordinal).ToList());
        foreach (var (step, (cause, received)) in timings.OrderBy(t => t.Value.Cause))
        {
            Assert.True(received is not null, $"{step}: the receiver got nothing within 120 s");
            var intervals = (received!.Value - cause) / interval;
            log.WriteLine($"{step}: {received.Value - cause:0.0} s after its cause = {intervals:0.0} scrape intervals of {interval} s");
            Assert.True(intervals <= MaxScrapeIntervals, $"{step}: {intervals:0.0} scrape intervals");
        }
    }

    [Fact]
    public void The_page_names_the_host_the_module_its_signer_and_the_taint()
    {
        var received = Received();
        var page = Assert.Single(received, a => a.Status == "firing" && a.Labels["alertname"] == "TaintWatchUnexpectedTaint" && a.Labels.ContainsKey("module"));
        Assert.Equal(("127.0.0.1:9877", "tw_livepatch", "TaintWatch test module signing key", "K", "LIVEPATCH", "signed"),
            (page.Labels["instance"], page.Labels["module"], page.Labels["signer"], page.Labels["flag"], page.Labels["name"], page.Labels["state"]));
        var module = Assert.Single(received, a => a.Status == "firing" && a.Labels["alertname"] == "TaintWatchUnexpectedModule" && a.Labels["module"] == "tw_livepatch");
        Assert.Equal("TaintWatch test module signing key", module.Labels["signer"]);
        // Unloaded, the module's alerts resolve; K stays set (until reboot), so the host-level alert takes over until
        // the policy allows K; then a module outside the list is silenced by adding it to the list.
        Assert.Contains(received, a => a.Status == "resolved" && a.Labels["alertname"] == "TaintWatchUnexpectedTaint" && a.Labels.GetValueOrDefault("module") == "tw_livepatch");
        Assert.Contains(received, a => a.Status == "resolved" && a.Labels["alertname"] == "TaintWatchUnexpectedTaint" && !a.Labels.ContainsKey("module") && a.Labels["flag"] == "K");
        Assert.Contains(received, a => a.Status == "resolved" && a.Labels["alertname"] == "TaintWatchUnexpectedModule" && a.Labels["module"] == "tw_staging");
        // Nothing else paged: no unexplained taint, no hidden module, no other unexpected module or bit.
        Assert.All(received, a => Assert.Contains(a.Labels["alertname"], new[] { "TaintWatchUnexpectedTaint", "TaintWatchUnexpectedModule" }));
        Assert.All(received.Where(a => a.Labels["alertname"] == "TaintWatchUnexpectedModule"), a => Assert.Contains(a.Labels["module"], new[] { "tw_livepatch", "tw_staging" }));
        Assert.Equal("[]", Policy("0-quiet.alerts").Trim());
    }

    [Fact]
    public void The_policy_is_the_known_good_host_as_baseline_wrote_it_and_the_edits_took_effect()
    {
        // Before the policy scenario the kernel carried P W C O E (the main scenario's modules): baseline allows exactly those.
        var mask = ulong.Parse(Policy("0-quiet.tainted").Trim(), CultureInfo.InvariantCulture);
        Assert.Equal(13825UL, mask);
        Assert.Contains("taint: [\"P\", \"W\", \"C\", \"O\", \"E\"]", Policy("expected-baseline.yaml"), StringComparison.Ordinal);
        Assert.DoesNotContain("} 1", Series(Policy("0-quiet.metrics"), "taintwatch_kernel_taint_unexpected{"), StringComparison.Ordinal);
        Assert.Contains("taintwatch_kernel_taint_unexpected{bit=\"15\",flag=\"K\",name=\"LIVEPATCH\"} 1", Policy("2-unloaded.metrics"));
        Assert.Contains("taintwatch_kernel_taint_unexpected{bit=\"15\",flag=\"K\",name=\"LIVEPATCH\"} 0", Policy("3-k-allowed.metrics"));
        Assert.Contains("taintwatch_module_signature_info{module=\"tw_staging\",state=\"signed\"", Policy("4-staging.metrics"));
        Assert.Contains("expected=\"false\",verified=\"untrusted\"} 1", Series(Policy("4-staging.metrics"), "taintwatch_module_signature_info{module=\"tw_staging\""), StringComparison.Ordinal);
        Assert.Contains("expected=\"true\",verified=\"untrusted\"} 1", Series(Policy("5-staging-allowed.metrics"), "taintwatch_module_signature_info{module=\"tw_staging\""), StringComparison.Ordinal);
    }

    [Fact]
    public void A_live_patch_built_against_the_debian_headers_patches_the_kernel_and_is_watched_from_apply_to_removal()
    {
        Assert.Equal("patched by tw_livepatch", Policy("1-cmdline").Trim());
        Assert.Contains("./tw_livepatch/vmlinux/cmdline_proc_show,1", Policy("1-livepatch-tree"));
        Assert.Equal(13825UL | (1UL << 15), ulong.Parse(Policy("1-livepatch.tainted").Trim(), CultureInfo.InvariantCulture));
        var metrics = Policy("1-livepatch.metrics");
        Assert.Contains("taintwatch_livepatch_enabled{patch=\"tw_livepatch\"} 1", metrics);
        Assert.Contains("taintwatch_livepatch_transition{patch=\"tw_livepatch\"} 0", metrics);
        Assert.Contains("taintwatch_module_tainted{module=\"tw_livepatch\",flag=\"K\",name=\"LIVEPATCH\"} 1", metrics);
        Assert.Contains("taintwatch_kernel_taint_unexplained{bit=\"15\",flag=\"K\",name=\"LIVEPATCH\"} 0", metrics);
        Assert.DoesNotContain("taintwatch_livepatch_enabled{", Policy("2-unloaded.metrics"), StringComparison.Ordinal);
        // Unloaded, the patch module is remembered as K's carrier: K is not unexplained.
        Assert.Contains("taintwatch_kernel_taint_unexplained{bit=\"15\",flag=\"K\",name=\"LIVEPATCH\"} 0", Policy("2-unloaded.metrics"));
        var journal = qemu.Read("policy/journal.json").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }).Where(e => e.GetValueOrDefault("MESSAGE_ID") == MessageIds.LivePatchChanged).Select(e => (e["LIVEPATCH"], e["LIVEPATCH_EVENT"])).ToList();
        Assert.Equal(("tw_livepatch", "applied"), journal[0]);
        Assert.Equal(("tw_livepatch", "removed"), journal[^1]);
    }

    [Fact]
    public void No_unexplained_taint_or_listing_mismatch_on_the_real_kernel_after_normal_loads_and_unloads()
    {
        // The main scenario loaded and unloaded tw_gpl, tw_staging (in under a millisecond) and tw_latency ten times;
        // C is carried by no loaded module, yet explained by tw_staging's uevent, remembered across two restarts.
        foreach (var metrics in new[] { qemu.Read("8-latency-poll/metrics"), Policy("0-quiet.metrics"), Policy("2-unloaded.metrics"), Policy("5-staging-allowed.metrics") })
        {
            Assert.DoesNotContain("} 1", Series(metrics, "taintwatch_kernel_taint_unexplained{"), StringComparison.Ordinal);
            Assert.Contains("taintwatch_modules_listing_mismatch 0\n", metrics);
        }
        Assert.Contains("taintwatch_kernel_taint_unexplained{bit=\"10\",flag=\"C\",name=\"CRAP\"} 0", Policy("0-quiet.metrics"));
        Assert.DoesNotContain("tw_staging", qemu.Read("8-latency-poll/modules"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_kernels_own_counters_origins_and_vermagic_are_read_from_the_real_kernel()
    {
        // Debian's 6.1.y has the warn_count/oops_count backport: one WARN, from tw_prop's init.
        var metrics = Policy("0-quiet.metrics");
        Assert.Contains("taintwatch_kernel_warnings_total 1\n", metrics);
        Assert.Contains("taintwatch_kernel_oopses_total 0\n", metrics);
        Assert.Contains("origin=\"extra\",vermagic=\"6.1.0-56-amd64 SMP preempt mod_unload modversions \"} 1", Series(metrics, "taintwatch_module_info{module=\"tw_prop\""), StringComparison.Ordinal);
        Assert.Contains("origin=\"kernel\",vermagic=\"6.1.0-56-amd64 SMP preempt mod_unload modversions \"} 1", Series(metrics, "taintwatch_module_info{module=\"dummy\""), StringComparison.Ordinal);
    }
}
