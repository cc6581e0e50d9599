using System.Diagnostics;
using TaintWatch.Tests.Support;
using Xunit.Abstractions;

namespace TaintWatch.Tests.Daemon;

/// <summary>
/// The real daemon process on a fixture tree that the test changes while it runs, scraped over real HTTP,
/// checked by promtool, with its journal entries read back from a real systemd-journald.
/// </summary>
public sealed class DaemonIntegrationTests(ITestOutputHelper log) : IDisposable
{
    private const string Release = "3.10.0-1160.21.1.el7.x86_64";
    private readonly TempTree _tree = new("rhel79-scini");
    private readonly Journald _journal = new();

    private string State => _tree.PathOf("state");

    private void AddModule(string name, string letters, string? file = null)
    {
        File.AppendAllText(_tree.PathOf("proc/modules"), $"{name} 16384 0 - Live 0x0000000000000000{(letters.Length > 0 ? $" ({letters})" : "")}\n");
        _tree.Write($"sys/module/{name}/initstate", "live\n");
        _tree.Write($"sys/module/{name}/taint", letters + "\n");
        if (file is not null)
        {
            File.AppendAllText(_tree.PathOf($"lib/modules/{Release}/modules.dep"), $"{file}:\n");
        }
    }

    private void RemoveModule(string name)
    {
        var lines = File.ReadAllLines(_tree.PathOf("proc/modules")).Where(l => !l.StartsWith(name + " ", StringComparison.Ordinal));
        File.WriteAllLines(_tree.PathOf("proc/modules"), lines);
        Directory.Delete(_tree.PathOf($"sys/module/{name}"), recursive: true);
    }

    private void SetMask(ulong mask) => WriteKernelFile("proc/sys/kernel/tainted", $"{mask}\n");

    /// <summary>
    /// Replaces a fixture file in one step, as the kernel's own files change: a plain write truncates first, and a
    /// poll in between would see an empty file (a second, different problem, rightly logged once more).
    /// </summary>
    private void WriteKernelFile(string relative, string content)
    {
        var path = _tree.PathOf(relative);
        File.WriteAllText(path + ".new", content);
        File.Move(path + ".new", path, overwrite: true);
    }

    private List<Dictionary<string, string>> Events(string messageId) =>
        _journal.Entries().Where(e => e.GetValueOrDefault("MESSAGE_ID") == messageId).ToList();

    [Fact]
    public void Metrics_and_journal_follow_the_kernel_as_it_changes()
    {
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State);
        daemon.WaitReady();
        var metrics = daemon.Scrape();
        Assert.Contains("taintwatch_kernel_tainted{bit=\"29\",flag=\"T\",name=\"TECH_PREVIEW\"} 1", metrics);
        Assert.Contains("taintwatch_kernel_tainted{bit=\"9\",flag=\"W\",name=\"WARN\"} 0", metrics);
        Assert.Contains("taintwatch_kernel_tainted_mask 536883201", metrics);
        Assert.Contains("taintwatch_kernel_info{release=\"3.10.0-1160.21.1.el7.x86_64\",taint_table=\"rhel7.3\"} 1", metrics);
        Assert.Contains("taintwatch_module_tainted{module=\"scini\",flag=\"E\",name=\"UNSIGNED_MODULE\"} 1", metrics);
        Assert.Contains("taintwatch_module_signature_info{module=\"scini\",state=\"unsigned\",sig_id=\"\",signer=\"\",sig_key=\"\",sig_hashalgo=\"\",expected=\"\",verified=\"none\"} 1", metrics);
        Assert.Contains("taintwatch_module_signature_info{module=\"overlay\",state=\"signed\",sig_id=\"X509\",signer=\"Red Hat Enterprise Linux kernel signing key\"", metrics);
        Assert.Contains("taintwatch_module_file_matches_loaded{module=\"xfs\"} 0", metrics);
        Assert.Contains("taintwatch_module_file_matches_loaded{module=\"scini\"} 1", metrics);
        Assert.Contains("taintwatch_collector_success{collector=\"taint\"} 1", metrics);
        Assert.Contains("taintwatch_module_sig_enforce 0", metrics);
        Assert.Contains("taintwatch_secure_boot_info{state=\"disabled\"} 1", metrics);
        Assert.Contains("taintwatch_kernel_lockdown_info{mode=\"unsupported\"} 1", metrics);
        Assert.Contains("taintwatch_module_sig_enforce_info{state=\"off\"} 1", metrics);
        Assert.Contains("taintwatch_kernel_signing_key_info{state=\"known\",signer=\"Red Hat Enterprise Linux kernel signing key\",sig_key=\"67:C6:8A:84:D4:0D:B0:66:D0:54:B5:2F:D0:9F:EA:A2:1D:EE:DD:10\",sig_hashalgo=\"sha256\"} 1", metrics);
        // This machine's kernel accepts the uevent socket (no privilege needed): instant module detection is on.
        Assert.Contains("taintwatch_collector_success{collector=\"uevents\"} 1", metrics);
        Assert.DoesNotContain("process_", metrics);
        Assert.Equal("", Promtool.CheckMetrics(metrics));

        // A proprietary, out-of-tree, unsigned module appears and the kernel gains W.
        AddModule("tw_warn", "POE");
        SetMask(536883201 | 512);
        metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_module_tainted{module=\"tw_warn\",flag=\"P\",name=\"PROPRIETARY_MODULE\"} 1", StringComparison.Ordinal)
            && m.Contains("taintwatch_kernel_tainted{bit=\"9\",flag=\"W\",name=\"WARN\"} 1", StringComparison.Ordinal));
        Assert.Contains("taintwatch_taint_events_total{bit=\"9\",flag=\"W\",name=\"WARN\"} 1", metrics);
        Assert.Contains("taintwatch_module_events_total{event=\"loaded\"} 1", metrics);

        // The module goes away: its series disappear.
        RemoveModule("tw_warn");
        metrics = daemon.ScrapeUntil(m => !m.Contains("module=\"tw_warn\"", StringComparison.Ordinal));
        Assert.Contains("taintwatch_module_events_total{event=\"unloaded\"} 1", metrics);

        // scini's file is replaced on disk by another image (a different build-id; signing alone would not change it).
        File.Copy(Path.Combine(Corpus.ModuleDirectory, "kernel/drivers/net/ethernet/intel/e1000/e1000.ko"), _tree.PathOf($"lib/modules/{Release}/extra/scini.ko"), overwrite: true);
        File.SetLastWriteTimeUtc(_tree.PathOf($"lib/modules/{Release}/extra/scini.ko"), DateTime.UtcNow.AddMinutes(1));
        metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_module_file_matches_loaded{module=\"scini\"} 0", StringComparison.Ordinal));
        Assert.Contains("taintwatch_module_signature_info{module=\"scini\",state=\"signed\",sig_id=\"PKCS#7\",signer=\"Build time autogenerated kernel key\"", metrics);
        Assert.Equal("", Promtool.CheckMetrics(metrics));

        // The journal has one entry of each, with the right MESSAGE_ID, PRIORITY and fields.
        Wait.Until(() => Events(TaintWatch.Watch.MessageIds.ModuleFileChanged).Count > 0, 10_000, () => "no file-changed event");
        var warn = Assert.Single(Events(TaintWatch.Watch.MessageIds.TaintFlagSet));
        Assert.Equal("4", warn["PRIORITY"]);
        Assert.Equal(("9", "W", "WARN"), (warn["TAINT_BIT"], warn["TAINT_FLAG"], warn["TAINT_NAME"]));
        Assert.Equal("536883713", warn["TAINT_MASK"]);
        Assert.Equal("rhel7.3", warn["TAINT_TABLE"]);
        Assert.Equal(Release, warn["KERNEL_RELEASE"]);
        var present = Events(TaintWatch.Watch.MessageIds.TaintPresentAtStart);
        Assert.Equal(["0", "12", "13", "29"], present.Select(e => e["TAINT_BIT"]).Order(StringComparer.Ordinal).ToList().OrderBy(int.Parse).Select(x => x));
        Assert.All(present, e => Assert.Equal("6", e["PRIORITY"]));
        Assert.Equal("scini", present.Single(e => e["TAINT_BIT"] == "13")["MODULE"]);
        var loaded = Events(TaintWatch.Watch.MessageIds.ModuleLoaded).Single(e => e["MODULE"] == "tw_warn");
        Assert.Equal(("4", "POE", "unknown"), (loaded["PRIORITY"], loaded["MODULE_TAINT"], loaded["MODULE_SIGNATURE"]));
        Assert.Single(Events(TaintWatch.Watch.MessageIds.ModuleUnloaded), e => e["MODULE"] == "tw_warn");
        var changed = Assert.Single(Events(TaintWatch.Watch.MessageIds.ModuleFileChanged), e => e["MODULE"] == "scini");
        Assert.Equal("4", changed["PRIORITY"]);
        Assert.Equal("build-id", changed["MATCH_EVIDENCE"]);
        Assert.Equal("signed", changed["MODULE_SIGNATURE"]);
        Assert.Equal("Build time autogenerated kernel key", changed["MODULE_SIGNER"]);
        Assert.Single(Events(TaintWatch.Watch.MessageIds.WatcherStarted));
    }

    [Fact]
    public void Kill_9_and_restart_repeats_no_event_and_loses_none()
    {
        using (var first = new DaemonProcess(_tree, _journal.Socket, State))
        {
            first.WaitReady();
            AddModule("first_mod", "OE");
            first.ScrapeUntil(m => m.Contains("module=\"first_mod\"", StringComparison.Ordinal));
            Wait.Until(() => Events(TaintWatch.Watch.MessageIds.ModuleLoaded).Any(e => e["MODULE"] == "first_mod"), 10_000, () => "first_mod not journaled");
            first.Kill9();
        }
        // While the daemon is down: a module loads, another unloads, and the kernel gains D.
        AddModule("while_down", "O");
        RemoveModule("first_mod");
        SetMask(536883201 | 128);
        using (var second = new DaemonProcess(_tree, _journal.Socket, State))
        {
            second.WaitReady();
            second.ScrapeUntil(m => m.Contains("module=\"while_down\"", StringComparison.Ordinal));
            Wait.Until(() => Events(TaintWatch.Watch.MessageIds.TaintFlagSet).Count > 0, 10_000, () => "D not journaled");
            Thread.Sleep(600); // a few more polls: nothing more may be written
        }
        var entries = _journal.Entries().Where(e => e.ContainsKey("TAINTWATCH_EVENT_ID")).ToList();
        var ids = entries.Select(e => e["TAINTWATCH_EVENT_ID"]).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var subjects = entries.Select(e => e["MESSAGE_ID"] + "/" + e.GetValueOrDefault("MODULE") + "/" + e.GetValueOrDefault("TAINT_BIT")).ToList();
        Assert.Equal(subjects.Count, subjects.Distinct().Count());
        // Present-at-start bits were reported once, by the first run only.
        Assert.Equal(4, Events(TaintWatch.Watch.MessageIds.TaintPresentAtStart).Count);
        var d = Assert.Single(Events(TaintWatch.Watch.MessageIds.TaintFlagSet));
        Assert.Equal(("7", "D", "2", "1"), (d["TAINT_BIT"], d["TAINT_FLAG"], d["PRIORITY"], d["SEEN_LATE"]));
        var down = Events(TaintWatch.Watch.MessageIds.ModuleLoaded).Single(e => e["MODULE"] == "while_down");
        Assert.Equal("1", down["SEEN_LATE"]);
        var gone = Events(TaintWatch.Watch.MessageIds.ModuleUnloaded).Single(e => e["MODULE"] == "first_mod");
        Assert.Equal("1", gone["SEEN_LATE"]);
    }

    [Fact]
    public void Systemd_hears_READY_then_WATCHDOG_then_STOPPING_and_SIGTERM_stops_it_within_a_second()
    {
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State);
        daemon.WaitReady();
        Wait.Until(() => { lock (daemon.Notifications) { return daemon.Notifications.Count(n => n == "WATCHDOG=1") >= 3; } }, 10_000, () => "no watchdog pings");
        var took = daemon.Terminate();
        log.WriteLine($"stopped in {took.TotalMilliseconds:0} ms");
        Assert.True(took < TimeSpan.FromSeconds(1.5), $"took {took}");
        Assert.Equal(0, daemon.ExitCode);
        List<string> seen;
        lock (daemon.Notifications)
        {
            seen = daemon.Notifications.ToList();
        }
        Assert.Equal("READY=1", seen[0]);
        Assert.Equal("WATCHDOG=1", seen[1]);
        Assert.Equal("STOPPING=1", seen[^1]);
        Assert.DoesNotContain("READY=1", seen.Skip(1));
        Wait.Until(() => Events(TaintWatch.Watch.MessageIds.WatcherStopped).Count == 1, 5_000, () => "no stopped event");
    }

    [Fact]
    public void A_failing_source_is_reported_once_in_metrics_and_log_and_recovers()
    {
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State);
        daemon.WaitReady();
        WriteKernelFile("proc/sys/kernel/tainted", "garbage\n");
        daemon.ScrapeUntil(m => m.Contains("taintwatch_collector_success{collector=\"taint\"} 0", StringComparison.Ordinal));
        Thread.Sleep(1000); // several polls while failing
        SetMask(536883201);
        daemon.ScrapeUntil(m => m.Contains("taintwatch_collector_success{collector=\"taint\"} 1", StringComparison.Ordinal));
        Wait.Until(() => _journal.Entries().Any(e => e["MESSAGE"].Contains("collector taint recovered", StringComparison.Ordinal)), 5_000, () => "no recovery line");
        var failures = _journal.Entries().Count(e => e["MESSAGE"].StartsWith("collector taint failing", StringComparison.Ordinal));
        Assert.Equal(1, failures);
        // No taint event was invented from the unreadable value.
        Assert.Empty(Events(TaintWatch.Watch.MessageIds.TaintFlagSet));
    }

    [Fact]
    public void Journald_restarting_loses_no_event()
    {
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State);
        daemon.WaitReady();
        _journal.Stop();
        AddModule("during_outage", "OE");
        daemon.ScrapeUntil(m => m.Contains("module=\"during_outage\"", StringComparison.Ordinal));
        Thread.Sleep(500);
        _journal.Start();
        Wait.Until(() => Events(TaintWatch.Watch.MessageIds.ModuleLoaded).Any(e => e["MODULE"] == "during_outage"), 15_000, () => "event lost while journald was down; stderr: " + daemon.Stderr);
        Assert.Single(Events(TaintWatch.Watch.MessageIds.ModuleLoaded), e => e["MODULE"] == "during_outage");
    }

    [Fact]
    public void An_expected_modules_file_labels_modules_counts_the_unexpected_and_is_reloaded_when_edited()
    {
        var expected = _tree.PathOf("expected-modules.yaml");
        Assert.Equal(0, Support.Cli.Run("baseline", "-o", expected, "--path.procfs", _tree.PathOf("proc"), "--path.sysfs", _tree.PathOf("sys"), "--path.rootfs", _tree.Root).ExitCode);
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State, "200ms", "--modules.expected-file", expected);
        daemon.WaitReady();
        var metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_modules_unexpected 0", StringComparison.Ordinal));
        Assert.Contains("taintwatch_module_signature_info{module=\"scini\",state=\"unsigned\",sig_id=\"\",signer=\"\",sig_key=\"\",sig_hashalgo=\"\",expected=\"true\",verified=\"none\"} 1", metrics);
        Assert.Contains("taintwatch_collector_success{collector=\"baseline\"} 1", metrics);

        AddModule("intruder", "OE");
        metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_modules_unexpected 1", StringComparison.Ordinal));
        Assert.Contains("module=\"intruder\",state=\"unknown\"", metrics);
        Assert.Matches("taintwatch_module_signature_info\\{module=\"intruder\",[^}]*expected=\"false\",verified=\"(none|untrusted)\"\\} 1", metrics);
        Assert.Equal("", Promtool.CheckMetrics(metrics));
        Wait.Until(() => Events(TaintWatch.Watch.MessageIds.ModuleLoaded).Any(e => e["MODULE"] == "intruder"), 10_000, () => "no load event");
        var loaded = Events(TaintWatch.Watch.MessageIds.ModuleLoaded).Single(e => e["MODULE"] == "intruder");
        Assert.Equal(("0", "4"), (loaded["MODULE_EXPECTED"], loaded["PRIORITY"]));
        Assert.Contains("NOT in the expected-modules list", loaded["MESSAGE"], StringComparison.Ordinal);

        // The operator allows it: the edit takes effect without a restart.
        File.AppendAllText(expected, "  - name: intruder\n");
        daemon.ScrapeUntil(m => m.Contains("taintwatch_modules_unexpected 0", StringComparison.Ordinal));
        // A broken edit: reported, and the list loaded before stays in force.
        File.WriteAllText(expected, "modules: [\n");
        metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_collector_success{collector=\"baseline\"} 0", StringComparison.Ordinal));
        Assert.Contains("taintwatch_modules_unexpected 0", metrics);
        Wait.Until(() => _journal.Entries().Any(e => e["MESSAGE"].Contains("collector baseline failing", StringComparison.Ordinal) && e["MESSAGE"].Contains("keeping the list", StringComparison.Ordinal)), 5_000, () => "no log line for the broken file");
    }

    [Fact]
    public void Without_an_expected_modules_file_the_label_is_empty_and_the_count_absent_and_uevents_can_be_turned_off()
    {
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State, "200ms", "--poll.uevents=false");
        daemon.WaitReady();
        var metrics = daemon.Scrape();
        Assert.Contains("module=\"scini\",state=\"unsigned\",sig_id=\"\",signer=\"\",sig_key=\"\",sig_hashalgo=\"\",expected=\"\",verified=\"none\"} 1", metrics);
        Assert.DoesNotMatch("(?m)^taintwatch_modules_unexpected ", metrics);
        Assert.DoesNotContain("collector=\"baseline\"", metrics);
        Assert.DoesNotContain("collector=\"uevents\"", metrics); // only the timed poll: nothing to report
    }

    [Fact]
    public void Started_in_a_large_working_directory_it_watches_no_files_and_ignores_ASPNETCORE_variables()
    {
        // systemd starts services in /: the web host once put an inotify watch on every directory below it.
        var cwd = Path.Combine(_tree.Root, "big-cwd");
        for (var i = 0; i < 2000; i++)
        {
            Directory.CreateDirectory(Path.Combine(cwd, $"d{i / 50}", $"e{i}"));
        }
        File.WriteAllText(Path.Combine(cwd, "appsettings.json"), "{\"Kestrel\":{\"Endpoints\":{\"x\":{\"Url\":\"http://127.0.0.1:1\"}}}}");
        var launch = new DaemonProcess.Launch(WorkingDirectory: cwd, Environment: new Dictionary<string, string> { ["ASPNETCORE_URLS"] = "http://127.0.0.1:1" });
        using var daemon = new DaemonProcess(launch, _tree, _journal.Socket, State);
        daemon.WaitReady();
        Assert.Contains("taintwatch_kernel_tainted_mask", daemon.Scrape(), StringComparison.Ordinal);
        var inotify = Directory.GetFiles($"/proc/{daemon.Pid}/fd").Count(fd => new FileInfo(fd).LinkTarget?.Contains("inotify", StringComparison.Ordinal) == true);
        Assert.Equal(0, inotify);
    }

    [Fact]
    public void A_port_already_in_use_is_one_clear_error()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var r = Support.Cli.Run("run", "--path.procfs", _tree.PathOf("proc"), "--path.sysfs", _tree.PathOf("sys"), "--web.listen-address", $"127.0.0.1:{port}", "--state.directory", State, "--log.format", "console");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("cannot listen", r.Stderr);
        Assert.Contains("--web.listen-address", r.Stderr);
    }

    public void Dispose()
    {
        _journal.Dispose();
        _tree.Dispose();
    }
}
