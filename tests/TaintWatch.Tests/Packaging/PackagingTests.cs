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
        Assert.Equal(12, alerts.Count);
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
    }

    [Fact]
    public void The_journal_catalog_explains_every_message_id()
    {
        var catalog = File.ReadAllText(Path.Combine(Repo.Root, "packaging", "systemd", "taintwatch.catalog"));
        foreach (var id in new[] { TaintWatch.Watch.MessageIds.TaintFlagSet, TaintWatch.Watch.MessageIds.TaintPresentAtStart, TaintWatch.Watch.MessageIds.ModuleLoaded, TaintWatch.Watch.MessageIds.ModuleUnloaded, TaintWatch.Watch.MessageIds.ModuleFileChanged, TaintWatch.Watch.MessageIds.WatcherStarted, TaintWatch.Watch.MessageIds.WatcherStopped })
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

    [Fact]
    public void The_RPM_builds_lints_clean_and_installs_every_file_with_its_mode()
    {
        var binary = Environment.GetEnvironmentVariable("TAINTWATCH_AOT_BINARY");
        Assert.False(string.IsNullOrEmpty(binary), "TAINTWATCH_AOT_BINARY is not set: scripts/test.sh publishes the NativeAOT binary first");
        var build = Tool.Run("bash", null, "packaging/rpm/build.sh", "--prebuilt", binary);
        Assert.True(build.ExitCode == 0, build.Output);
        var rpm = build.Output.Trim().Split('\n')[^1];
        var files = Tool.Run("rpm", null, "-qp", "--qf", "[%{FILEFLAGS:fflags}|%{FILEMODES:perms}|%{FILEUSERNAME}|%{FILENAMES}\n]", rpm).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|')).Where(f => f.Length == 4).ToDictionary(f => f[3], f => (Flags: f[0], Mode: f[1], Owner: f[2]));
        var expected = new Dictionary<string, string>
        {
            ["/usr/bin/taintwatch"] = "-rwxr-xr-x",
            ["/usr/lib/systemd/system/taintwatch.service"] = "-rw-r--r--",
            ["/usr/lib/sysusers.d/taintwatch.conf"] = "-rw-r--r--",
            ["/etc/sysconfig/taintwatch"] = "-rw-r--r--",
            ["/usr/lib/systemd/catalog/taintwatch.catalog"] = "-rw-r--r--",
            ["/usr/share/man/man1/taintwatch.1.gz"] = "-rw-r--r--",
            ["/usr/share/taintwatch/taintwatch-alerts.yml"] = "-rw-r--r--",
            ["/usr/share/taintwatch/taintwatch-recording.yml"] = "-rw-r--r--",
            ["/usr/share/taintwatch/taintwatch-alerts.test.yml"] = "-rw-r--r--",
            ["/usr/share/taintwatch/grafana/taintwatch-fleet.json"] = "-rw-r--r--",
            ["/usr/share/taintwatch/expected-modules.example.yaml"] = "-rw-r--r--",
            ["/etc/taintwatch"] = "drwxr-xr-x",
            ["/usr/share/licenses/taintwatch-0.1.0/LICENSE"] = "-rw-r--r--",
        };
        foreach (var (path, mode) in expected)
        {
            Assert.True(files.ContainsKey(path), $"{path} is not in the package: {string.Join(", ", files.Keys)}");
            Assert.Equal((mode, "root"), (files[path].Mode, files[path].Owner));
        }
        Assert.Equal("cn", files["/etc/sysconfig/taintwatch"].Flags); // %config(noreplace)

        var requires = Tool.Run("rpm", null, "-qpR", rpm).Output;
        Assert.Contains("liblzma.so.5()(64bit)", requires);
        Assert.Contains("libzstd.so.1()(64bit)", requires);
        Assert.Contains("libssl.so.3()(64bit)", requires);
        var scripts = Tool.Run("rpm", null, "-qp", "--scripts", rpm).Output;
        Assert.Contains("systemctl --no-reload preset taintwatch.service", scripts);
        Assert.Contains("systemctl try-restart taintwatch.service", scripts);
        Assert.Contains("useradd -r -g taintwatch", scripts);

        var lint = Tool.Run("rpmlint", null, "-r", "packaging/rpm/taintwatch.rpmlintrc", rpm);
        log.WriteLine(lint.Output);
        Assert.Matches(@" 0 errors", lint.Output);

        var root = Path.Combine(Path.GetTempPath(), $"tw-rpmroot-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var install = Tool.Run("rpm", null, "--root", root, "--nodeps", "--noscripts", "-i", rpm);
            Assert.True(install.ExitCode == 0, install.Output);
            Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(root, "usr/bin/taintwatch"))); // 0755
            Assert.Equal((UnixFileMode)0x1A4, File.GetUnixFileMode(Path.Combine(root, "etc/sysconfig/taintwatch"))); // 0644
            var installed = Tool.Run(Path.Combine(root, "usr/bin/taintwatch"), null, "decode", "12801");
            Assert.Equal(0, installed.ExitCode);
            Assert.Contains("UNSIGNED_MODULE", installed.Output);
            Assert.Contains("taintwatch-0.1.0-1", Tool.Run("rpm", null, "--root", root, "-qa").Output);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
