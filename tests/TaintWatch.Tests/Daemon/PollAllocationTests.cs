using TaintWatch.Daemon;
using TaintWatch.Journal;
using TaintWatch.Metrics;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Daemon;

/// <summary>
/// The steady-state poll of an unchanged host allocates the same each time: nothing grows with uptime. Alone in
/// its collection: the heap is measured process-wide, and other test classes running beside it would grow it.
/// </summary>
[Collection("alone")]
public sealed class PollAllocationTests(Xunit.Abstractions.ITestOutputHelper log) : IDisposable
{
    private readonly TempTree _tree = new("rhel79-scini");

    [Fact]
    public void Polls_of_an_unchanged_host_allocate_a_constant_amount_and_keep_no_growing_state()
    {
        // 200 loaded modules, as on a typical RHEL host.
        var proc = new System.Text.StringBuilder(File.ReadAllText(_tree.PathOf("proc/modules")));
        for (var i = 0; i < 187; i++)
        {
            proc.Append($"mod_{i} 16384 0 - Live 0x0000000000000000\n");
            _tree.Write($"sys/module/mod_{i}/initstate", "live\n");
            _tree.Write($"sys/module/mod_{i}/taint", "\n");
        }
        File.WriteAllText(_tree.PathOf("proc/modules"), proc.ToString());
        var options = new DaemonOptions([":0"], "/metrics", TimeSpan.FromSeconds(5), _tree.Paths, _tree.PathOf("state"), "info", "console", null, "/nonexistent");
        using var sink = new EventSink("console", "error", "/nonexistent", TextWriter.Null);
        using var poller = new Poller(options, TimeProvider.System, sink, new TaintMetrics());
        for (var i = 0; i < 50; i++)
        {
            poller.PollOnce(); // warm-up: first poll of the boot, JIT, caches
        }
        var perPoll = new List<long>();
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                poller.PollOnce();
            }
            perPoll.Add((GC.GetAllocatedBytesForCurrentThread() - before) / 100);
        }
        // Constant within 2 %: an allocation that grew with uptime would rise round after round.
        Assert.True(perPoll.Max() - perPoll.Min() <= perPoll.Min() / 50, string.Join(", ", perPoll));
        var state = new StateStore(_tree.PathOf("state")).Load(out _);
        Assert.Equal(200, state.Modules.Count);
        Assert.Empty(state.Outbox);
    }

    [Fact]
    public async Task Thousands_of_modules_loaded_and_unloaded_leave_no_memory_behind()
    {
        // The soak's churn, sped up: a new module name every poll (as a fast load/unload loop produces), its
        // series created and removed, its event written, the metrics scraped. Nothing may grow with the count.
        var baseLines = File.ReadAllText(_tree.PathOf("proc/modules"));
        var options = new DaemonOptions([":0"], "/metrics", TimeSpan.FromSeconds(5), _tree.Paths, _tree.PathOf("state"), "info", "console", null, "/nonexistent");
        using var sink = new EventSink("console", "error", "/nonexistent", TextWriter.Null);
        var metrics = new TaintMetrics();
        using var poller = new Poller(options, TimeProvider.System, sink, metrics);
        long Heap()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            return GC.GetTotalMemory(forceFullCollection: true);
        }
        async Task Churn(int from, int count)
        {
            for (var i = from; i < from + count; i++)
            {
                _tree.Write($"sys/module/churn_{i}/initstate", "live\n");
                _tree.Write($"sys/module/churn_{i}/taint", "OE\n");
                File.WriteAllText(_tree.PathOf("proc/modules"), baseLines + $"churn_{i} 16384 0 - Live 0x0000000000000000 (OE)\n");
                Directory.Delete(_tree.PathOf($"sys/module/churn_{i - 1}"), recursive: true);
                poller.PollOnce();
                await metrics.Registry.CollectAndExportAsTextAsync(Stream.Null);
            }
        }
        _tree.Write("sys/module/churn_0/initstate", "live\n");
        await Churn(1, 300); // warm-up
        var before = Heap();
        await Churn(301, 1200);
        var after = Heap();
        log.WriteLine($"heap {before} -> {after} bytes over 1,200 modules loaded and unloaded");
        // A leak of even 50 bytes per module would add 60 KB.
        Assert.True(after - before < 60_000, $"heap grew from {before} to {after} bytes over 1,200 churned modules");
        var state = new StateStore(_tree.PathOf("state")).Load(out _);
        Assert.Equal(14, state.Modules.Count); // the 13 of the fixture and the last one loaded
        Assert.Empty(state.Outbox);
    }

    public void Dispose() => _tree.Dispose();
}

[CollectionDefinition("alone", DisableParallelization = true)]
public sealed class AloneCollection
{
}
