using TaintWatch.Journal;
using TaintWatch.Kernel;
using TaintWatch.Logging;
using TaintWatch.Modules;
using TaintWatch.Status;
using TaintWatch.Tests.Support;
using TaintWatch.Uevents;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Watch;

/// <summary>A module that the kernel announced (uevent) but that was unloaded before the poll that followed.</summary>
public sealed class TransientModuleTests : IDisposable
{
    private readonly TempTree _tree = new("rhel79-scini");

    /// <summary>The fixture host after scini was unloaded again: gone from /proc/modules and /sys/module.</summary>
    private KernelSnapshot SnapshotWithoutScini()
    {
        var lines = File.ReadAllLines(_tree.PathOf("proc/modules")).Where(l => !l.StartsWith("scini ", StringComparison.Ordinal));
        File.WriteAllLines(_tree.PathOf("proc/modules"), lines);
        Directory.Delete(_tree.PathOf("sys/module/scini"), recursive: true);
        return KernelSnapshotReader.Read(_tree.Paths);
    }

    private HostStatus Host(KernelSnapshot snapshot)
    {
        using var files = ModuleFileCache.ForCommandLine(ModuleFileCache.DefaultTimeout);
        return HostStatus.Build(snapshot, files.Resolve(snapshot, _tree.Paths), null);
    }

    private ModuleStatus Gone(LoadedModule module, KernelSnapshot snapshot)
    {
        using var files = ModuleFileCache.ForCommandLine(ModuleFileCache.DefaultTimeout);
        return ModuleStatus.Resolve(module, files.ResolveGone(module, snapshot.Release, _tree.Paths), null);
    }

    private static HostStatus Without(KernelSnapshot snapshot) => HostStatus.Build(snapshot, new Dictionary<string, LoadedModuleFile>(), null);

    private static ILookup<string, string> Fields(WatchEvent e) => EventFields.For(e).ToLookup(f => f.Key, f => f.Value);

    private static SysModuleEntry SciniAsSighted() => new("scini", "POE", "0A5C7D2B9E8F1A3C4D6B5E70", "2.7.0", "live", null, []);

    [Fact]
    public void A_sighted_module_gone_by_the_poll_is_reported_loaded_with_its_file_signature_then_unloaded()
    {
        var snapshot = SnapshotWithoutScini();
        var state = new WatchState();
        EventDetector.Detect(state, Host(snapshot), DateTimeOffset.UnixEpoch, firstPollOfProcess: true);
        var sighting = new ModuleSighting("scini", true, SciniAsSighted(), DateTimeOffset.UnixEpoch, 42);
        var gone = Gone(sighting.AsLoadedModule(), snapshot);

        var events = EventDetector.Detect(state, Without(snapshot), DateTimeOffset.UnixEpoch, false, [gone]);

        Assert.Equal([WatchEventKind.ModuleLoaded, WatchEventKind.ModuleUnloaded], events.Select(e => e.Kind));
        var loaded = Fields(events[0]);
        Assert.Equal("scini", loaded["MODULE"].Single());
        Assert.Equal("POE", loaded["MODULE_TAINT"].Single());
        Assert.Equal("1", loaded["MODULE_TRANSIENT"].Single());
        Assert.Equal(gone.Signature.StateName, loaded["MODULE_SIGNATURE"].Single());
        Assert.EndsWith("extra/scini.ko", loaded["MODULE_FILE"].Single(), StringComparison.Ordinal);
        Assert.Equal(Priority.Warning, events[0].Priority);
        Assert.Contains("unloaded again before the next poll", events[0].Message, StringComparison.Ordinal);
        Assert.Equal("1", Fields(events[1])["MODULE_TRANSIENT"].Single());
        // Reported once: the next poll has nothing more to say about it.
        Assert.Empty(EventDetector.Detect(state, Without(snapshot), DateTimeOffset.UnixEpoch, false, []));
    }

    [Fact]
    public void A_new_taint_bit_names_the_transient_module_that_carried_it()
    {
        var snapshot = SnapshotWithoutScini();
        var state = new WatchState();
        // First poll of the boot knew a mask without P; now P (bit 0) is set and only the sighting can say by whom.
        File.WriteAllText(_tree.PathOf("proc/sys/kernel/tainted"), "0\n");
        var before = KernelSnapshotReader.Read(_tree.Paths);
        EventDetector.Detect(state, Host(before), DateTimeOffset.UnixEpoch, true);
        var gone = Gone(new LoadedModule("scini", null, SciniAsSighted()), snapshot);

        var events = EventDetector.Detect(state, Without(snapshot), DateTimeOffset.UnixEpoch, false, [gone]);

        var proprietary = Assert.Single(events, e => e.Kind == WatchEventKind.TaintFlagSet && e.Taint?.Letter == 'P');
        Assert.Contains("scini", Fields(proprietary)["MODULE"]);
    }

    [Fact]
    public void A_sighted_module_that_is_still_loaded_or_already_reported_is_not_reported_twice()
    {
        var snapshot = KernelSnapshotReader.Read(_tree.Paths); // scini still loaded
        var state = new WatchState();
        var host = Host(snapshot);
        var gone = host["scini"]!;
        var events = EventDetector.Detect(state, host, DateTimeOffset.UnixEpoch, true, [gone]);
        Assert.Single(events, e => e.Kind == WatchEventKind.ModuleLoaded && e.Module?.Name == "scini");
        Assert.DoesNotContain(events, e => Fields(e).Contains("MODULE_TRANSIENT"));
    }

    public void Dispose() => _tree.Dispose();
}
