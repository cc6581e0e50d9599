using System.Diagnostics;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Trust;

/// <summary>The daemon verifies loaded modules' files: metrics, trusted keys per source, and an event when a file stops verifying.</summary>
public sealed class DaemonVerificationTests : IDisposable
{
    private readonly TrustedHost _host = new();
    private readonly Journald _journal = new();

    [Fact]
    public void Metrics_say_verified_and_a_tampered_file_raises_one_critical_event()
    {
        using var daemon = new DaemonProcess(_host.Tree, _journal.Socket, _host.Tree.PathOf("state"));
        daemon.WaitReady();
        var metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_trusted_keys{source=\"kernel_image\"} 1", StringComparison.Ordinal)
            && m.Contains("module=\"jbd2\",state=\"signed\"", StringComparison.Ordinal) && !m.Contains("verified=\"none\"", StringComparison.Ordinal));
        Assert.Matches("taintwatch_module_signature_info\\{module=\"e1000\",state=\"signed\",[^}]*verified=\"valid\"\\} 1", metrics);
        Assert.DoesNotMatch("verified=\"(invalid|untrusted|revoked|unknown)\"", metrics);
        // No UEFI here: only the image's source is served, never a 0 for a source that does not exist.
        Assert.DoesNotContain("source=\"db\"", metrics, StringComparison.Ordinal);
        Assert.Equal("", Promtool.CheckMetrics(metrics));

        _host.Tamper("jbd2");
        metrics = daemon.ScrapeUntil(m => m.Contains("verified=\"invalid\"", StringComparison.Ordinal));
        Assert.Matches("taintwatch_module_signature_info\\{module=\"jbd2\",[^}]*verified=\"invalid\"\\} 1", metrics);
        Wait.Until(() => _journal.Entries().Any(e => e.GetValueOrDefault("MESSAGE_ID") == MessageIds.ModuleSignatureNotVerified), 10_000, () => "no event for the tampered file");
        var e = _journal.Entries().Single(e => e.GetValueOrDefault("MESSAGE_ID") == MessageIds.ModuleSignatureNotVerified);
        Assert.Equal(("jbd2", "invalid", "2"), (e["MODULE"], e["MODULE_SIGNATURE_VERIFIED"], e["PRIORITY"]));
        Assert.Equal(_host.ModuleFile("jbd2"), e["MODULE_FILE"]);
        Assert.Contains("not what was signed", e["MODULE_SIGNATURE_VERIFY_PROBLEM"], StringComparison.Ordinal);
        Assert.Contains("taintwatch_module_events_total{event=\"signature_not_verified\"} 1", daemon.Scrape(), StringComparison.Ordinal);

        // Polls go on: still one event for the file, not one per poll.
        Thread.Sleep(1500);
        Assert.Single(_journal.Entries(), x => x.GetValueOrDefault("MESSAGE_ID") == MessageIds.ModuleSignatureNotVerified);
    }

    public void Dispose()
    {
        _journal.Dispose();
        _host.Dispose();
    }
}
