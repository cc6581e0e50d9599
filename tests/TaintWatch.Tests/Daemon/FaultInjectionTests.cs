using System.Diagnostics;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Daemon;

/// <summary>
/// Faults injected into the running daemon's world: it keeps serving, says which source fails in
/// taintwatch_collector_success and one log line, and recovers on its own when the fault goes.
/// </summary>
public sealed class FaultInjectionTests : IDisposable
{
    private const string Release = "3.10.0-1160.21.1.el7.x86_64";
    private const int Nobody = 65534;
    private readonly TempTree _tree = new("rhel79-scini");
    private readonly Journald _journal = new();

    private string ModuleDir => _tree.PathOf($"lib/modules/{Release}");

    private static string Collector(string name, int value) => $"taintwatch_collector_success{{collector=\"{name}\"}} {value}";

    private int FailingLines(string collector) =>
        _journal.Entries().Count(e => e["MESSAGE"].StartsWith($"collector {collector} failing", StringComparison.Ordinal));

    [Theory]
    [InlineData("proc/modules", "garbage line\n\u0001\u0002\n", "modules")]
    [InlineData("proc/modules", "", "modules")]
    [InlineData("proc/sys/kernel/tainted", "", "taint")]
    [InlineData("proc/sys/kernel/osrelease", "", "release")]
    public void Garbage_or_empty_kernel_files_fail_one_collector_and_recover(string file, string content, string collector)
    {
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"));
        daemon.WaitReady();
        var original = File.ReadAllText(_tree.PathOf(file));
        File.WriteAllText(_tree.PathOf(file), content);
        if (content.Length == 0 && collector == "modules")
        {
            // An empty /proc/modules is valid (no modules loaded): garbage is the fault, emptiness is not.
            daemon.ScrapeUntil(m => m.Contains(Collector("modules", 1), StringComparison.Ordinal) && !m.Contains("module=\"scini\"", StringComparison.Ordinal));
        }
        else
        {
            daemon.ScrapeUntil(m => m.Contains(Collector(collector, 0), StringComparison.Ordinal));
            Thread.Sleep(600);
            Assert.Equal(1, FailingLines(collector));
        }
        File.WriteAllText(_tree.PathOf(file), original);
        daemon.ScrapeUntil(m => m.Contains(Collector(collector, 1), StringComparison.Ordinal) && m.Contains("module=\"scini\"", StringComparison.Ordinal));
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public void Module_directories_vanishing_while_polled_never_stop_the_daemon()
    {
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"), "50ms");
        daemon.WaitReady();
        var watch = Stopwatch.StartNew();
        var round = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(4))
        {
            // Load and unload "flicker" as fast as possible: files appear and vanish between listing and reading.
            File.AppendAllText(_tree.PathOf("proc/modules"), "flicker 16384 0 - Live 0x0000000000000000 (OE)\n");
            _tree.Write("sys/module/flicker/taint", "OE\n");
            _tree.Write("sys/module/flicker/initstate", "live\n");
            Directory.Delete(_tree.PathOf("sys/module/flicker"), recursive: true);
            File.WriteAllLines(_tree.PathOf("proc/modules"), File.ReadAllLines(_tree.PathOf("proc/modules")).Where(l => !l.StartsWith("flicker ", StringComparison.Ordinal)));
            round++;
        }
        Assert.True(round > 50);
        Assert.False(daemon.HasExited, daemon.Stderr);
        daemon.ScrapeUntil(m => m.Contains(Collector("sysfs", 1), StringComparison.Ordinal) && m.Contains(Collector("modules", 1), StringComparison.Ordinal));
    }

    [Fact]
    public void A_symlink_loop_and_20000_files_in_the_module_tree_do_not_trap_the_module_search()
    {
        File.Delete(Path.Combine(ModuleDir, "modules.dep")); // force the directory search
        File.CreateSymbolicLink(Path.Combine(ModuleDir, "kernel", "loop"), ModuleDir);
        Directory.CreateDirectory(Path.Combine(ModuleDir, "extra", "many"));
        for (var i = 0; i < 20_000; i++)
        {
            File.WriteAllBytes(Path.Combine(ModuleDir, "extra", "many", $"m{i}.ko"), []);
        }
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"));
        daemon.WaitReady(60_000);
        var metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_module_signature_info{module=\"scini\",state=\"unsigned\"", StringComparison.Ordinal));
        Assert.Contains("taintwatch_module_signature_info{module=\"overlay\",state=\"signed\"", metrics);
    }

    [Fact]
    public void A_decompression_bomb_in_place_of_a_module_is_unknown_and_the_daemon_stays_small()
    {
        var bomb = Path.Combine(ModuleDir, "kernel/fs/overlayfs/overlay.ko.xz");
        var xz = Process.Start(new ProcessStartInfo("bash", ["-c", $"head -c 700M /dev/zero | xz -0 -T2 > '{bomb}'"]))!;
        xz.WaitForExit();
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"));
        daemon.WaitReady(60_000);
        // Unknown while it is being read, then unknown as a bomb: the signatures collector says which.
        var metrics = daemon.ScrapeUntil(m => m.Contains(Collector("signatures", 0), StringComparison.Ordinal));
        Assert.Contains("taintwatch_module_signature_info{module=\"overlay\",state=\"unknown\"", metrics, StringComparison.Ordinal);
        Wait.Until(() => _journal.Entries().Any(e => e["MESSAGE"].Contains("decompression bomb", StringComparison.Ordinal)), 10_000, () => "bomb not reported");
        // The buffer is bounded by the cap and not kept in the pool: after the poll the memory is given back.
        Thread.Sleep(1000);
        var rss = File.ReadLines($"/proc/{daemon.Pid}/status").First(l => l.StartsWith("VmRSS", StringComparison.Ordinal));
        Assert.True(long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) < 200 * 1024, rss);
    }

    [Fact]
    public void A_full_state_directory_fails_the_state_collector_but_events_still_reach_the_journal()
    {
        OnTmpfs("state-full", "256k", state =>
        {
            using var daemon = new DaemonProcess(_tree, _journal.Socket, state);
            daemon.WaitReady();
            try
            {
                using var filler = File.Create(Path.Combine(state, "filler"));
                for (var i = 0; i < 1024; i++)
                {
                    filler.Write(new byte[1024]);
                    filler.Flush();
                }
            }
            catch (IOException)
            {
                // full
            }
            File.AppendAllText(_tree.PathOf("proc/modules"), "after_full 16384 0 - Live 0x0000000000000000 (OE)\n");
            daemon.ScrapeUntil(m => m.Contains(Collector("state", 0), StringComparison.Ordinal));
            Wait.Until(() => _journal.Entries().Any(e => e.GetValueOrDefault("MODULE") == "after_full"), 10_000, () => "event lost with a full disk");
            File.Delete(Path.Combine(state, "filler"));
            daemon.ScrapeUntil(m => m.Contains(Collector("state", 1), StringComparison.Ordinal));
        });
    }

    [Fact]
    public void A_read_only_state_directory_fails_the_state_collector_and_recovers_when_writable_again()
    {
        OnTmpfs("state-ro", "1m", state =>
        {
            using var daemon = new DaemonProcess(_tree, _journal.Socket, state);
            daemon.WaitReady();
            Assert.Equal(0, Tool.Run("mount", null, "-o", "remount,ro", state).ExitCode);
            File.AppendAllText(_tree.PathOf("proc/modules"), "while_ro 16384 0 - Live 0x0000000000000000 (OE)\n");
            var metrics = daemon.ScrapeUntil(m => m.Contains(Collector("state", 0), StringComparison.Ordinal));
            Assert.Contains("module=\"while_ro\"", metrics);
            Wait.Until(() => _journal.Entries().Any(e => e.GetValueOrDefault("MODULE") == "while_ro"), 10_000, () => "event lost with a read-only state directory");
            Wait.Until(() => _journal.Entries().Count(e => e["MESSAGE"].StartsWith("collector state failing", StringComparison.Ordinal)) == 1, 5_000, () => "no single log line for the state directory");
            Assert.Equal(0, Tool.Run("mount", null, "-o", "remount,rw", state).ExitCode);
            daemon.ScrapeUntil(m => m.Contains(Collector("state", 1), StringComparison.Ordinal));
            Wait.Until(() => File.ReadAllText(Path.Combine(state, "state.json")).Contains("while_ro", StringComparison.Ordinal), 10_000, () => "state not written after recovery");
            Assert.Single(_journal.Entries(), e => e.GetValueOrDefault("MODULE") == "while_ro" && e.ContainsKey("MODULE_SIGNATURE"));
        });
    }

    /// <summary>Runs the test with a state directory on a tmpfs of its own (to fill it or remount it), unmounted after.</summary>
    private void OnTmpfs(string name, string size, Action<string> test)
    {
        var state = _tree.PathOf(name);
        Directory.CreateDirectory(state);
        Assert.Equal(0, Tool.Run("mount", null, "-t", "tmpfs", "-o", $"size={size}", "tmpfs", state).ExitCode);
        try
        {
            test(state);
        }
        finally
        {
            Tool.Run("umount", null, state);
        }
    }

    [Fact]
    public void Files_the_service_user_cannot_read_are_reported_and_the_rest_is_still_watched()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(_tree.Root, "*", SearchOption.AllDirectories).Append(_tree.Root))
        {
            File.SetUnixFileMode(entry, Directory.Exists(entry) ? (UnixFileMode)0x1ED : (UnixFileMode)0x1A4);
        }
        Directory.CreateDirectory(_tree.PathOf("state"));
        Tool.Run("chown", null, $"{Nobody}:{Nobody}", _tree.PathOf("state"));
        File.SetUnixFileMode(_tree.PathOf($"lib/modules/{Release}/extra/scini.ko"), UnixFileMode.None);
        File.SetUnixFileMode(_tree.PathOf("sys/module/overlay/taint"), UnixFileMode.None);
        using var daemon = new DaemonProcess(Nobody, _tree, _journal.Socket, _tree.PathOf("state"));
        daemon.WaitReady();
        var metrics = daemon.ScrapeUntil(m => m.Contains(Collector("signatures", 0), StringComparison.Ordinal));
        Assert.Contains(Collector("sysfs", 0), metrics);
        Assert.Contains("taintwatch_module_signature_info{module=\"scini\",state=\"unknown\"", metrics);
        Assert.Contains("taintwatch_kernel_tainted_mask 536883201", metrics);
        Wait.Until(() => _journal.Entries().Any(e => e["MESSAGE"].Contains("permission denied", StringComparison.Ordinal)), 10_000, () => "no permission line");
        File.SetUnixFileMode(_tree.PathOf($"lib/modules/{Release}/extra/scini.ko"), (UnixFileMode)0x1A4);
        File.SetLastWriteTimeUtc(_tree.PathOf($"lib/modules/{Release}/extra/scini.ko"), DateTime.UtcNow.AddMinutes(1));
        daemon.ScrapeUntil(m => m.Contains(Collector("signatures", 1), StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _journal.Dispose();
        _tree.Dispose();
    }
}
