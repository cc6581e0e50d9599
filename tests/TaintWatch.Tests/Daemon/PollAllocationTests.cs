using Microsoft.Extensions.Hosting;
using TaintWatch.Journal;
using TaintWatch.Metrics;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Daemon;

/// <summary>The steady-state poll of an unchanged host allocates the same each time: nothing grows with uptime.</summary>
public sealed class PollAllocationTests : IDisposable
{
    private readonly TempTree _tree = new("rhel79-scini");

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => new(true);
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication()
        {
        }
    }

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
        var poller = new Poller(options, TimeProvider.System, sink, new TaintMetrics(), new SystemdNotifier(), new Lifetime());
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

    public void Dispose() => _tree.Dispose();
}
