using System.Diagnostics;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Daemon;

/// <summary>
/// The daemon never serves a value it has not read, and no module file can hold the kernel's taint state back:
/// files that will not open, that are unreadable and made readable again, and trees without modules.dep.
/// </summary>
public sealed class HonestPollTests : IDisposable
{
    private const string Release = "3.10.0-1160.21.1.el7.x86_64";
    private const int Nobody = 65534;
    private readonly TempTree _tree = new("rhel79-scini");
    private readonly Journald _journal = new();

    private string ModuleDir => _tree.PathOf($"lib/modules/{Release}");

    private string Overlay => Path.Combine(ModuleDir, "kernel/fs/overlayfs/overlay.ko.xz");

    [Fact]
    public void Until_the_taint_mask_is_read_its_series_are_absent_and_taintwatch_ready_says_so()
    {
        var tainted = _tree.PathOf("proc/sys/kernel/tainted");
        var value = File.ReadAllText(tainted);
        File.Delete(tainted);
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"));
        daemon.WaitReady();
        var before = daemon.ScrapeUntil(m => m.Contains("taintwatch_collector_success{collector=\"taint\"} 0", StringComparison.Ordinal));
        Assert.DoesNotContain("taintwatch_kernel_tainted_mask", Samples(before));
        Assert.DoesNotContain("taintwatch_kernel_tainted{", Samples(before));
        Assert.True(HasSample(before, "taintwatch_ready 0"));

        File.WriteAllText(tainted, value);
        var after = daemon.ScrapeUntil(m => HasSample(m, "taintwatch_ready 1"));
        Assert.True(HasSample(after, $"taintwatch_kernel_tainted_mask {value.Trim()}"), Samples(after));
        Assert.Contains("taintwatch_kernel_tainted{bit=\"0\",flag=\"P\",name=\"PROPRIETARY_MODULE\"} 1", after, StringComparison.Ordinal);

        // Unreadable again: the bits leave rather than stay at their last value.
        File.Delete(tainted);
        var gone = daemon.ScrapeUntil(m => HasSample(m, "taintwatch_ready 0"));
        Assert.DoesNotContain("taintwatch_kernel_tainted_mask", Samples(gone));
        Assert.DoesNotContain("taintwatch_kernel_tainted{", Samples(gone));
    }

    [Fact]
    public void A_FIFO_in_place_of_a_module_file_holds_nothing_back()
    {
        File.Delete(Overlay);
        using (var mkfifo = Process.Start("mkfifo", [Overlay]))
        {
            mkfifo.WaitForExit();
        }
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"));
        daemon.WaitReady(10_000);
        var metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_collector_success{collector=\"signatures\"} 0", StringComparison.Ordinal));
        Assert.Contains("taintwatch_kernel_tainted_mask 536883201", metrics, StringComparison.Ordinal);
        Assert.Contains("taintwatch_module_signature_info{module=\"overlay\",state=\"unknown\"", metrics, StringComparison.Ordinal);
        Assert.Contains("taintwatch_module_signature_info{module=\"scini\",state=\"unsigned\"", metrics, StringComparison.Ordinal);
        Wait.Until(() => _journal.Entries().Any(e => e["MESSAGE"].Contains("not a regular file (a FIFO)", StringComparison.Ordinal)), 10_000, () => "FIFO not reported");
    }

    [Fact]
    public void A_module_file_made_readable_again_by_chmod_is_read_at_the_next_check()
    {
        var scini = Path.Combine(ModuleDir, "extra/scini.ko");
        File.SetUnixFileMode(scini, UnixFileMode.None);
        var mtime = File.GetLastWriteTimeUtc(scini);
        using var daemon = new DaemonProcess(Nobody, _tree, _journal.Socket, _tree.PathOf("state")); // files re-checked every 500 ms
        daemon.WaitReady();
        daemon.ScrapeUntil(m => m.Contains("taintwatch_module_signature_info{module=\"scini\",state=\"unknown\"", StringComparison.Ordinal));
        Wait.Until(() => _journal.Entries().Any(e => e["MESSAGE"].Contains("permission denied", StringComparison.Ordinal)), 10_000, () => "permission denied not reported");

        // chmod changes ctime only, as restorecon does: the file must be read again all the same.
        File.SetUnixFileMode(scini, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(scini));
        daemon.ScrapeUntil(m => m.Contains("taintwatch_module_signature_info{module=\"scini\",state=\"unsigned\"", StringComparison.Ordinal)
            && m.Contains("taintwatch_collector_success{collector=\"signatures\"} 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_modules_dep_the_search_never_enters_build_or_source()
    {
        File.Delete(Path.Combine(ModuleDir, "modules.dep"));
        // Kernel headers behind build/ and source/, with a file of the same name as a loaded module.
        var headers = _tree.PathOf("usr/src/kernels/" + Release);
        Directory.CreateDirectory(Path.Combine(headers, "drivers"));
        File.Copy(Path.Combine(ModuleDir, "extra/scini.ko"), Path.Combine(headers, "drivers/hpwdt.ko"));
        File.CreateSymbolicLink(Path.Combine(ModuleDir, "build"), headers);
        File.CreateSymbolicLink(Path.Combine(ModuleDir, "source"), headers);
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"));
        daemon.WaitReady();
        var metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_module_signature_info{module=\"scini\",state=\"unsigned\"", StringComparison.Ordinal));
        Assert.Contains("taintwatch_module_signature_info{module=\"hpwdt\",state=\"unknown\"", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("usr/src/kernels", metrics, StringComparison.Ordinal);
    }

    private static bool HasSample(string exposition, string line) => exposition.Split('\n').Contains(line);

    /// <summary>The sample lines of an exposition, without HELP and TYPE comments.</summary>
    private static string Samples(string exposition) =>
        string.Join('\n', exposition.Split('\n').Where(l => !l.StartsWith('#')));

    public void Dispose()
    {
        _journal.Dispose();
        _tree.Dispose();
    }
}
