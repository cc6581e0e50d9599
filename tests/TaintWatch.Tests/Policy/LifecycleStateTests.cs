using TaintWatch.Journal;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Policy;

/// <summary>The lifecycle part of state.json and the lifecycle events kept undelivered in its outbox: written, read back, refused when corrupt.</summary>
public sealed class LifecycleStateTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Lifecycle_memory_and_undelivered_lifecycle_events_survive_a_restart()
    {
        var store = new StateStore(_tree.PathOf("state"));
        var state = new WatchState { BootId = "b", Initialized = true, Sequence = 7 };
        var l = state.Lifecycle;
        l.BootId = "b";
        l.Letters["scini"] = "POE";
        l.UnloadedCarriers['C'] = new SortedSet<string>(["tw_staging"], StringComparer.Ordinal);
        l.PresentAtStart.Add(0);
        l.SetWhileWatching.Add(10);
        l.KnownBits.UnionWith([0, 10]);
        l.ReportedUnexpected.Add(15);
        l.ReportedHidden.Add("hider");
        l.LivePatches["kpatch_1"] = "1 1";
        l.TransitionSince["kpatch_1"] = 1700000000.5;
        l.ReportedStuck.Add("kpatch_1");
        state.Outbox.Add(new WatchEvent(WatchEventKind.LivePatchStuck, 4, "stuck", "b/livepatch-stuck/kpatch_1/7", "upstream", "6.1.0-56-amd64")
        {
            LivePatch = new LivePatchFacts("kpatch_1", "stuck", "1", "1", ["vmlinux", "xfs"], 3, 75),
        });
        state.Outbox.Add(new WatchEvent(WatchEventKind.ModulesListingMismatch, 2, "hidden", "b/modules-listing-mismatch/hider/8") { Module = new ModuleFacts("hider", "OE"), Listing = "sysfs-only" });
        state.Outbox.Add(new WatchEvent(WatchEventKind.TaintUnexplained, 2, "unexplained", "b/taint-unexplained/10/9") { Taint = new TaintBitFacts(10, 'C', "CRAP", 1024, []), Explanation = "set while watching" });
        Assert.Null(store.Save(state));

        var back = store.Load(out var warning);
        Assert.Null(warning);
        var b = back.Lifecycle;
        Assert.Equal(("b", "POE", "tw_staging"), (b.BootId, b.Letters["scini"], b.UnloadedCarriers['C'].Single()));
        Assert.Equal([0], b.PresentAtStart);
        Assert.Equal([10], b.SetWhileWatching);
        Assert.Equal([15], b.ReportedUnexpected);
        Assert.Equal(("1 1", 1700000000.5, true, true), (b.LivePatches["kpatch_1"], b.TransitionSince["kpatch_1"], b.ReportedStuck.Contains("kpatch_1"), b.ReportedHidden.Contains("hider")));
        // The events come back as they were decided, and map to the same journal fields.
        Assert.Equal(state.Outbox.Select(EventFields.For).Select(f => string.Join("|", f)), back.Outbox.Select(EventFields.For).Select(f => string.Join("|", f)));
        var stuck = EventFields.For(back.Outbox[0]).ToLookup(f => f.Key, f => f.Value);
        Assert.Equal(("kpatch_1", "stuck", "vmlinux,xfs", "3", "75", "kpatch_1"),
            (stuck["LIVEPATCH"].Single(), stuck["LIVEPATCH_EVENT"].Single(), stuck["LIVEPATCH_OBJECTS"].Single(), stuck["LIVEPATCH_FUNCTIONS"].Single(), stuck["LIVEPATCH_TRANSITION_SECONDS"].Single(), stuck["MODULE"].Single()));
    }

    [Theory]
    [InlineData("\"unloaded_carriers\": {\"CC\": []}")]
    [InlineData("\"present_at_start\": [\"x\"]")]
    public void A_corrupt_lifecycle_part_sets_the_state_file_aside_rather_than_guessing(string corrupt)
    {
        var store = new StateStore(_tree.PathOf("state"));
        var state = new WatchState { BootId = "b" };
        state.Lifecycle.BootId = "b";
        Assert.Null(store.Save(state));
        var path = Directory.GetFiles(_tree.PathOf("state"), "state.json").Single();
        var key = corrupt[..(corrupt.IndexOf(':', StringComparison.Ordinal))];
        var text = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(path), System.Text.RegularExpressions.Regex.Escape(key) + @":\s*(\{[^}]*\}|\[[^\]]*\])", corrupt);
        Assert.Contains(corrupt, text, StringComparison.Ordinal);
        File.WriteAllText(path, text);
        var back = store.Load(out var warning);
        Assert.NotNull(warning);
        Assert.Equal("", back.BootId);
    }
}
