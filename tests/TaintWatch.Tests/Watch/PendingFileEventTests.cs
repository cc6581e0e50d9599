using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Status;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Watch;

/// <summary>A module whose file is still being read is reported once it is read, as it would have been at once.</summary>
public sealed class PendingFileEventTests : IDisposable
{
    private readonly TempTree _tree = new("rhel79-scini");

    private HostStatus Host(KernelSnapshot snapshot, bool sciniPending)
    {
        using var files = ModuleFileCache.ForCommandLine(ModuleFileCache.DefaultTimeout);
        var joined = files.Resolve(snapshot, _tree.Paths).ToDictionary();
        if (sciniPending)
        {
            joined["scini"] = LoadedModuleFile.Pending(joined["scini"].Module, joined["scini"].Location);
        }
        return HostStatus.Build(snapshot, joined, null);
    }

    [Fact]
    public void A_module_pending_at_start_is_reported_at_start_once_its_file_is_read()
    {
        var snapshot = KernelSnapshotReader.Read(_tree.Paths);
        var state = new WatchState();

        var first = EventDetector.Detect(state, Host(snapshot, sciniPending: true), DateTimeOffset.UnixEpoch, firstPollOfProcess: true);
        Assert.DoesNotContain(first, e => e.Module?.Name == "scini");
        Assert.DoesNotContain("scini", state.Modules);

        var second = EventDetector.Detect(state, Host(snapshot, sciniPending: false), DateTimeOffset.UnixEpoch, firstPollOfProcess: false);
        var scini = Assert.Single(second, e => e.Module?.Name == "scini");
        Assert.Equal(WatchEventKind.ModuleLoaded, scini.Kind);
        Assert.True(scini.PresentAtStart);
        Assert.Equal("unsigned", scini.Module!.SignatureState);
        Assert.Contains("loaded at start", scini.Message, StringComparison.Ordinal);
        Assert.Empty(EventDetector.Detect(state, Host(snapshot, sciniPending: false), DateTimeOffset.UnixEpoch, false));
    }

    [Fact]
    public void A_module_loaded_later_whose_file_is_pending_waits_and_is_then_reported_loaded()
    {
        var snapshot = KernelSnapshotReader.Read(_tree.Paths);
        var state = new WatchState();
        var without = snapshot with { Modules = snapshot.Modules.Where(m => m.Name != "scini").ToList() };
        EventDetector.Detect(state, Host(without, sciniPending: false), DateTimeOffset.UnixEpoch, true);

        Assert.DoesNotContain(EventDetector.Detect(state, Host(snapshot, sciniPending: true), DateTimeOffset.UnixEpoch, false), e => e.Module?.Name == "scini");
        var loaded = Assert.Single(EventDetector.Detect(state, Host(snapshot, sciniPending: false), DateTimeOffset.UnixEpoch, false), e => e.Module?.Name == "scini");
        Assert.False(loaded.PresentAtStart);
        Assert.Equal(TaintWatch.Logging.Priority.Warning, loaded.Priority);
    }

    public void Dispose() => _tree.Dispose();
}
