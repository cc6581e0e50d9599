using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Watch;

/// <summary>A state file that is not what TaintWatch writes is moved aside with a warning, never a crash at start.</summary>
public sealed class StateStoreTests : IDisposable
{
    private readonly TempTree _tree = new();

    [Theory]
    [InlineData("{\"boot_id\":\"b\",\"bits\":{\"99999999999\":1.0}}")]
    [InlineData("{\"boot_id\":\"b\",\"bits\":{\"x\":1.0}}")]
    [InlineData("{\"boot_id\":")]
    [InlineData("[1,2,3]")]
    [InlineData("\u0000\u0001garbage")]
    public void A_corrupt_state_file_is_moved_aside_and_the_daemon_starts_fresh(string content)
    {
        _tree.Write("state/state.json", content);
        var state = new StateStore(_tree.PathOf("state")).Load(out var warning);
        Assert.Empty(state.Modules);
        Assert.NotNull(warning);
        Assert.False(File.Exists(_tree.PathOf("state/state.json")) && File.ReadAllText(_tree.PathOf("state/state.json")) == content);
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
