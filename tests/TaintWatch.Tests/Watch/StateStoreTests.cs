using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Watch;

/// <summary>A state file that is not what TaintWatch writes is moved aside with a warning, never a crash at start.</summary>
public sealed class StateStoreTests : IDisposable
{
    private readonly TempTree _tree = new();

    private const string Valid = "\"boot_id\":\"b\",\"initialized\":true,\"sequence\":3,\"modules\":[\"scini\"],\"mismatched_files\":[]";

    /// <summary>Each row is a whole state file but for one flaw, and the warning names that flaw.</summary>
    [Theory]
    [InlineData("{\"version\":2," + Valid + ",\"bits\":{\"99999999999\":1.0},\"outbox\":[]}", "too large")]
    [InlineData("{\"version\":2," + Valid + ",\"bits\":{\"x\":1.0},\"outbox\":[]}", "not in a correct format")]
    [InlineData("{\"version\":2," + Valid + ",\"bits\":{},\"outbox\":[{\"kind\":\"TaintFlagSet\",\"priority\":4,\"message\":\"m\"}]}", "unknown event kind \"TaintFlagSet\"")]
    [InlineData("{\"version\":1," + Valid + ",\"bits\":{},\"outbox\":[{\"kind\":\"NoSuchKind\",\"priority\":4,\"message\":\"m\",\"fields\":[]}]}", "unknown event kind \"NoSuchKind\"")]
    [InlineData("{\"version\":2," + Valid + ",\"bits\":{},\"outbox\":[{\"kind\":\"taint-set\",\"priority\":4,\"message\":\"m\",\"taint\":{\"bit\":0,\"flag\":\"PP\",\"name\":\"n\",\"mask\":1}}]}", "not one letter")]
    [InlineData("{\"version\":3," + Valid + ",\"bits\":{},\"outbox\":[]}", "unknown state version 3")]
    [InlineData("{\"version\":2,\"boot_id\":", "")]
    [InlineData("[1,2,3]", "")]
    [InlineData("\u0000\u0001garbage", "")]
    public void A_corrupt_state_file_is_moved_aside_and_the_daemon_starts_fresh(string content, string why)
    {
        _tree.Write("state/state.json", content);
        var state = new StateStore(_tree.PathOf("state")).Load(out var warning);
        Assert.Empty(state.Modules);
        Assert.NotNull(warning);
        Assert.Contains(why, warning, StringComparison.Ordinal);
        Assert.False(File.Exists(_tree.PathOf("state/state.json")));
        Assert.Equal(content, File.ReadAllText(Assert.Single(Directory.GetFiles(_tree.PathOf("state"), "state.json.corrupt-*"))));
    }

    [Fact]
    public void Undelivered_events_survive_a_restart_with_every_fact()
    {
        var store = new StateStore(_tree.PathOf("state"));
        var state = new WatchState { BootId = "b", Initialized = true, Sequence = 3 };
        state.Outbox.Add(new WatchEvent(WatchEventKind.TaintFlagSet, 4, "E set", "b/taint-set/13/1", "rhel9.3", "5.14.0-362.8.1.el9_3.x86_64")
        {
            Taint = new TaintBitFacts(13, 'E', "UNSIGNED_MODULE", 12289, ["scini", "tw_gpl"]),
            SeenLate = true,
        });
        state.Outbox.Add(new WatchEvent(WatchEventKind.ModuleLoaded, 4, "scini loaded", "b/module-loaded/scini/2", "rhel9.3", "5.14.0")
        {
            Module = new ModuleFacts("scini", "POE", "unsigned", null, null, null, "/lib/modules/x/extra/scini.ko", "2.7.0", "0A5C", null, false),
            Transient = true,
        });
        state.Outbox.Add(new WatchEvent(WatchEventKind.ModuleFileChanged, 4, "replaced", "b/module-file-changed/overlay/3", "rhel9.3", "5.14.0")
        {
            Module = new ModuleFacts("overlay", "", "signed", "Red Hat", "AA:BB", "sha256", "/x.ko", null, null, null, null),
            MatchEvidence = "build-id",
            PresentAtStart = true,
        });
        Assert.Null(store.Save(state));

        var back = new StateStore(_tree.PathOf("state")).Load(out var warning);

        Assert.Null(warning);
        Assert.Equal(state.Outbox.Select(Journal.EventFields.For), back.Outbox.Select(Journal.EventFields.For));
        Assert.Equal(state.Outbox.Select(e => (e.Kind, e.SeenLate, e.Transient, e.PresentAtStart)), back.Outbox.Select(e => (e.Kind, e.SeenLate, e.Transient, e.PresentAtStart)));
        Assert.Contains("\"kind\": \"module-file-changed\"", File.ReadAllText(store.Path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_version_1_state_file_is_migrated_and_its_events_delivered_as_they_were_decided()
    {
        // As TaintWatch 0.1 wrote it: the outbox as journald fields, the kind as the enum member's name.
        _tree.Write("state/state.json", File.ReadAllText(Path.Combine(Repo.Fixture("state"), "state-v1.json")));
        var state = new StateStore(_tree.PathOf("state")).Load(out var warning);
        Assert.Null(warning);
        Assert.Equal(("6f1c2f5e", 9L, 2), (state.BootId, state.Sequence, state.Outbox.Count));
        var taint = Journal.EventFields.For(state.Outbox[0]);
        Assert.Equal(WatchEventKind.TaintFlagSet, state.Outbox[0].Kind);
        Assert.Equal(["13", "E", "UNSIGNED_MODULE", "12289", "1"], new[] { "TAINT_BIT", "TAINT_FLAG", "TAINT_NAME", "TAINT_MASK", "SEEN_LATE" }.Select(k => taint.Single(f => f.Key == k).Value));
        Assert.Equal(["scini", "tw_gpl"], taint.Where(f => f.Key == "MODULE").Select(f => f.Value));
        var loaded = Journal.EventFields.For(state.Outbox[1]);
        Assert.Equal(WatchEventKind.ModuleLoaded, state.Outbox[1].Kind);
        Assert.Equal(["scini", "POE", "unsigned", "0", "1"], new[] { "MODULE", "MODULE_TAINT", "MODULE_SIGNATURE", "MODULE_EXPECTED", "MODULE_TRANSIENT" }.Select(k => loaded.Single(f => f.Key == k).Value));
        Assert.Equal("6f1c2f5e/module-loaded/scini/9", loaded.Single(f => f.Key == "TAINTWATCH_EVENT_ID").Value);
        // Written back in the current format.
        Assert.Null(new StateStore(_tree.PathOf("state")).Save(state));
        Assert.Contains($"\"version\": {StateStore.Version}", File.ReadAllText(_tree.PathOf("state/state.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void What_it_writes_it_reads_back()
    {
        var store = new StateStore(_tree.PathOf("state"));
        var state = new WatchState { BootId = "b", Initialized = true, Sequence = 7 };
        state.Bits[12] = 1700000000.5;
        state.Modules.Add("scini");
        Assert.Null(store.Save(state));
        var back = store.Load(out var warning);
        Assert.Null(warning);
        Assert.Equal(("b", 7L, 1700000000.5), (back.BootId, back.Sequence, back.Bits[12]));
        Assert.Contains("scini", back.Modules);
    }

    public void Dispose() => _tree.Dispose();
}
