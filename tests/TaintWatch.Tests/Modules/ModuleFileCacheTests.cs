using System.Diagnostics;
using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Modules;

/// <summary>
/// The join of loaded modules to files when a read never returns: here the read is a real open() of a FIFO that
/// no writer has opened, which blocks in the kernel exactly as a read from a hung NFS or FUSE mount does.
/// </summary>
public sealed class ModuleFileCacheTests : IDisposable
{
    private readonly TempTree _tree = new("rhel79-scini");
    private readonly string _fifo;

    public ModuleFileCacheTests()
    {
        _fifo = _tree.PathOf("hung-mount-fifo");
        using var mkfifo = Process.Start("mkfifo", [_fifo]);
        mkfifo.WaitForExit();
    }

    /// <summary>Reads overlay's file as a hung mount would: blocked in open() until someone writes to the FIFO.</summary>
    private ModuleInspection HungOverlay(string path)
    {
        if (path.EndsWith("overlay.ko.xz", StringComparison.Ordinal))
        {
            using var blocked = File.OpenRead(_fifo);
            _ = blocked.ReadByte();
        }
        return ModuleInspector.Inspect(path);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_read_that_never_returns_is_pending_then_timed_out_and_the_other_files_are_reported()
    {
        await Task.Run(() =>
        {
            var snapshot = KernelSnapshotReader.Read(_tree.Paths);
            var woken = 0;
            using var files = new ModuleFileCache(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(50), workers: 2, () => Interlocked.Increment(ref woken), HungOverlay);

            var first = files.Resolve(snapshot, _tree.Paths);
            Assert.Equal(snapshot.Modules.Select(m => m.Name), first.Keys.Order(StringComparer.Ordinal));
            Assert.True(first["overlay"].IsPending);
            Assert.True(files.HasPending);

            // Past the deadline: overlay is unknown with the reason, every other file is read and reported.
            Thread.Sleep(600);
            var later = files.Resolve(snapshot, _tree.Paths, first, recheck: false);
            Assert.False(later["overlay"].IsPending);
            Assert.StartsWith("timed out after 0.5 s", later["overlay"].Inspection!.Error, StringComparison.Ordinal);
            Assert.Equal(TaintWatch.Modules.Signatures.SignatureState.Unsigned, later["scini"].Signature.State);
            Assert.All(later.Values.Where(f => f.Module.Name != "overlay"), f => Assert.False(f.IsPending));

            // The mount answers again: the read finishes, the waiter is woken, and the next check has the file.
            using (var writer = new FileStream(_fifo, FileMode.Open, FileAccess.Write))
            {
                writer.WriteByte(1);
            }
            Wait.Until(() => Volatile.Read(ref woken) > 0 && files.Resolve(snapshot, _tree.Paths, later, recheck: true)["overlay"].Inspection?.Error is null, 10_000, () => "overlay never read");
            Assert.Equal(TaintWatch.Modules.Signatures.SignatureState.Signed, files.Resolve(snapshot, _tree.Paths)["overlay"].Signature.State);
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task Stuck_reads_do_not_use_up_the_workers_and_a_stuck_file_is_read_once()
    {
        await Task.Run(() =>
        {
            var reads = 0;
            ModuleInspection Count(string path)
            {
                if (path.EndsWith("overlay.ko.xz", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref reads);
                }
                return HungOverlay(path);
            }
            var snapshot = KernelSnapshotReader.Read(_tree.Paths);
            using var files = new ModuleFileCache(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(50), workers: 1, inspect: Count);
            IReadOnlyDictionary<string, LoadedModuleFile>? last = null;
            for (var check = 0; check < 20; check++)
            {
                last = files.Resolve(snapshot, _tree.Paths, last, recheck: true);
                Thread.Sleep(120);
            }
            // One worker, stuck on overlay: a replacement reads the rest; the stuck file is never read twice at once.
            Assert.Equal(1, Volatile.Read(ref reads));
            Assert.Equal(TaintWatch.Modules.Signatures.SignatureState.Unsigned, last!["scini"].Signature.State);
            using var writer = new FileStream(_fifo, FileMode.Open, FileAccess.Write);
            writer.WriteByte(1);
        });
    }

    public void Dispose() => _tree.Dispose();
}
