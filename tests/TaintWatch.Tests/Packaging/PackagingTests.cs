using System.Globalization;
using System.Text.RegularExpressions;
using TaintWatch.Tests.Support;
using Xunit.Abstractions;

namespace TaintWatch.Tests.Packaging;

/// <summary>The unit, the Prometheus rules and the RPM, checked with the real tools.</summary>
public class PackagingTests(ITestOutputHelper log)
{
    private static string Prometheus => Path.Combine(Repo.Root, "packaging", "prometheus");

    [Fact]
    public void Rules_pass_promtool_check_and_every_alert_test()
    {
        var check = Tool.Run("promtool", Prometheus, "check", "rules", "taintwatch-alerts.yml", "taintwatch-recording.yml");
        Assert.True(check.ExitCode == 0, check.Output);
        var test = Tool.Run("promtool", Prometheus, "test", "rules", "taintwatch-alerts.test.yml");
        Assert.True(test.ExitCode == 0, test.Output);
        // Every alert has a firing test, and the quiet cases (out-of-tree only, untainted) are tested for each.
        var alerts = Regex.Matches(File.ReadAllText(Path.Combine(Prometheus, "taintwatch-alerts.yml")), @"- alert: (\w+)").Select(m => m.Groups[1].Value).ToList();
        var tests = File.ReadAllText(Path.Combine(Prometheus, "taintwatch-alerts.test.yml"));
        Assert.Equal(16, alerts.Count);
        foreach (var alert in alerts)
        {
            Assert.Matches($@"alertname: {alert}\n\s+exp_alerts:\n\s+- exp_labels", tests);
            Assert.Contains($"alertname: {alert}, exp_alerts: []", tests);
        }
    }

    [Fact]
    public void Every_alert_tells_the_on_call_what_to_do()
    {
        var rules = File.ReadAllText(Path.Combine(Prometheus, "taintwatch-alerts.yml"));
        var blocks = rules.Split("- alert: ").Skip(1).ToList();
        Assert.All(blocks, b => Assert.Contains("summary:", b));
        Assert.All(blocks, b => Assert.Contains("description:", b));
        Assert.All(blocks, b => Assert.Matches("severity: (critical|warning|info)", b));
        // Each links its runbook: a README section named after the alert (GitHub's anchor is the lower-cased heading).
        var readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        Assert.All(blocks, b =>
        {
            var name = b[..b.IndexOf('\n', StringComparison.Ordinal)].Trim();
            Assert.Contains($"runbook_url: \"https://example.invalid/taintwatch/README.md#{name.ToLowerInvariant()}\"", b, StringComparison.Ordinal);
            Assert.Contains($"\n#### {name}\n", readme, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void The_unit_verifies_and_its_exposure_is_at_most_2()
    {
        var unit = Path.Combine(Repo.Root, "taintwatch.service");
        var verify = Tool.Run("systemd-analyze", null, "verify", unit);
        // On a build host the binary and the man page are not installed: those two findings are expected.
        var findings = verify.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.Contains("/usr/bin/taintwatch is not executable", StringComparison.Ordinal) && !l.Contains("man taintwatch(1)", StringComparison.Ordinal))
            .ToList();
        Assert.True(findings.Count == 0, string.Join('\n', findings));
        var security = Tool.Run("systemd-analyze", null, "security", "--offline=yes", unit);
        var exposure = double.Parse(Regex.Match(security.Output, @"Overall exposure level for taintwatch\.service: ([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        log.WriteLine($"systemd-analyze security exposure: {exposure}");
        Assert.True(exposure <= 2.0, security.Output);
        var text = File.ReadAllText(unit);
        Assert.Contains("Type=notify", text);
        Assert.Contains("WatchdogSec=", text);
        Assert.Contains("MemoryDenyWriteExecute=yes", text);
        Assert.Contains("CapabilityBoundingSet=\n", text);
        Assert.Contains("\nProtectKernelModules=no\n", text); // =yes would hide /lib/modules
        // Starts on STIG hosts (user.max_user_namespaces=0), where PrivateUsers= fails with 217/USER.
        Assert.DoesNotMatch(@"(?m)^PrivateUsers=", text);
        // systemctl reload sends SIGHUP; a configuration error (exit 2) is not restarted forever.
        Assert.Contains("\nExecReload=/bin/kill -HUP $MAINPID\n", text);
        Assert.Contains("\nRestartPreventExitStatus=2\n", text);
    }

    /// <summary>RHEL 8's systemd 239 ignores five of the unit's settings: the exposure of what is left, as systemd 252 scores it.</summary>
    [Fact]
    public void On_RHEL_8_the_unit_keeps_an_exposure_of_at_most_2()
    {
        // Not in RHEL 8's systemd: src/core/load-fragment-gperf.gperf.m4 of redhat-plumbers/systemd-rhel8 has none of these.
        var missingOnRhel8 = new[] { "ProtectKernelLogs", "ProtectClock", "ProtectHostname", "ProtectProc", "ProcSubset" };
        var text = File.ReadAllText(Path.Combine(Repo.Root, "taintwatch.service"));
        Assert.All(missingOnRhel8, setting => Assert.Matches($"(?m)^{setting}=", text));
        using var tree = new TempTree();
        var subset = string.Join('\n', text.Split('\n').Where(l => !missingOnRhel8.Any(s => l.StartsWith(s + "=", StringComparison.Ordinal))));
        tree.Write("taintwatch.service", subset);
        var security = Tool.Run("systemd-analyze", null, "security", "--offline=yes", Path.Combine(tree.Root, "taintwatch.service"));
        var exposure = double.Parse(Regex.Match(security.Output, @"Overall exposure level for taintwatch\.service: ([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        log.WriteLine($"exposure of the RHEL 8 subset: {exposure}");
        Assert.True(exposure <= 2.0, security.Output);
    }

    [Fact]
    public void The_journal_catalog_explains_every_message_id()
    {
        var catalog = File.ReadAllText(Path.Combine(Repo.Root, "packaging", "systemd", "taintwatch.catalog"));
        foreach (var id in Enum.GetValues<TaintWatch.Watch.WatchEventKind>().Select(TaintWatch.Watch.MessageIds.For))
        {
            Assert.Contains($"-- {id}\nSubject: ", catalog);
        }
        // journalctl accepts the file (it parses catalogs when updating its database).
        var root = Path.Combine(Path.GetTempPath(), $"tw-catalog-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(root, "usr/lib/systemd/catalog"));
        File.Copy(Path.Combine(Repo.Root, "packaging/systemd/taintwatch.catalog"), Path.Combine(root, "usr/lib/systemd/catalog/taintwatch.catalog"));
        Directory.CreateDirectory(Path.Combine(root, "var/lib/systemd/catalog"));
        var update = Tool.Run("journalctl", null, "--root=" + root, "--update-catalog");
        Assert.True(update.ExitCode == 0, update.Output);
        var list = Tool.Run("journalctl", null, "--root=" + root, "--list-catalog");
        Assert.Contains(TaintWatch.Watch.MessageIds.ModuleFileChanged, list.Output);
        Directory.Delete(root, recursive: true);
    }
}
