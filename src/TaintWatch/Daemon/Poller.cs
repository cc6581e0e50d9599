using System.Collections.Concurrent;
using System.Diagnostics;
using TaintWatch.Journal;
using TaintWatch.Kernel;
using TaintWatch.Logging;
using TaintWatch.Metrics;
using TaintWatch.Modules;
using TaintWatch.Status;
using TaintWatch.Uevents;
using TaintWatch.Watch;

namespace TaintWatch.Daemon;

/// <summary>
/// One poll: take a snapshot, join module files (read off this thread, with a deadline), build the host's
/// status, turn the difference into events (delivered through the outbox), and update the metrics. A quiet
/// host costs a snapshot and a comparison; module files on disk are checked every --poll.module-files-interval.
/// </summary>
public sealed class Poller : IDisposable
{
    private readonly DaemonOptions _options;
    private readonly TimeProvider _time;
    private readonly EventSink _sink;
    private readonly TaintMetrics _metrics;
    private readonly CollectorHealth _health;
    private readonly EventOutbox _outbox;
    private readonly ModuleFileCache _files;
    private readonly SnapshotCache _cache = new();
    private readonly BaselineWatcher _baseline;
    private readonly Trust.TrustStoreCache _trust;
    private Trust.TrustStore? _lastTrust;
    private readonly ConcurrentQueue<ModuleSighting> _sightings = new();
    private KernelSnapshot? _previous;
    private long _lastFileCheck;
    private IReadOnlyDictionary<string, LoadedModuleFile> _lastFiles = new Dictionary<string, LoadedModuleFile>();
    private IReadOnlyList<LoadedModule>? _lastFilesFor;
    private string _postureProblems = "";
    private readonly Lifecycle.LifecycleWatch _lifecycle;
    private readonly LifecycleMetrics _lifecycleMetrics;

    /// <summary>Most sightings kept between two polls; beyond it a poll is due anyway and only transient loads could be missed.</summary>
    private const int MaxSightings = 4096;

    /// <summary>How long a poll waits for module files before it reports what it has (the rest come at a later poll).</summary>
    private static readonly TimeSpan FileWait = TimeSpan.FromMilliseconds(200);

    /// <param name="wake">Called when a poll is due before the interval: a module file finished reading, or a uevent arrived.</param>
    public Poller(DaemonOptions options, TimeProvider time, EventSink sink, TaintMetrics metrics, Action? wake = null)
    {
        _options = options;
        _time = time;
        _sink = sink;
        _metrics = metrics;
        _health = new CollectorHealth(sink);
        _outbox = new EventOutbox(new StateStore(options.StateDirectory), sink, metrics, _health);
        _files = new ModuleFileCache(options.FileTimeout, FileWait, workers: 2, completed: wake);
        _baseline = new BaselineWatcher(options.BaselineFile, options.BaselineOptional);
        _lifecycle = new Lifecycle.LifecycleWatch(options.Paths);
        _lifecycleMetrics = new LifecycleMetrics(metrics);
        // The image's certificates are kept in the state directory: a restart need not unpack the image again.
        _trust = new Trust.TrustStoreCache(options.Paths, options.TrustKeys ?? [], wake, Path.Combine(options.StateDirectory, "cache"));
    }

    /// <summary>Set by the loop: the uevent listener's problem, or null when it is listening (or not asked for).</summary>
    public string? UeventProblem { get; set; }

    /// <summary>True until the first poll that read the taint mask has been recorded: anything new then happened while the daemon was down.</summary>
    public bool FirstPoll { get; private set; } = true;

    /// <summary>Whether the last poll checked module files or took in reads that finished (the loop collects their garbage at once).</summary>
    public bool CheckedFiles { get; private set; }

    /// <summary>No module file is being read: start-up's reads are all in.</summary>
    public bool FilesSettled => !_files.HasPending;

    public WatchState State => _outbox.State;

    public void LoadState() => _outbox.Load();

    /// <summary>Makes the next poll read the expected-modules file even if it looks unchanged (SIGHUP; from any thread).</summary>
    public void ReloadExpectedModules() => _baseline.RequestReread();

    /// <summary>From the listener thread: remember what the kernel announced.</summary>
    public void Sighted(ModuleSighting sighting)
    {
        if (_sightings.Count < MaxSightings)
        {
            _sightings.Enqueue(sighting);
        }
    }

    /// <summary>Writes an event now (the watcher's own start and stop), outside the state's outbox.</summary>
    public void Announce(WatchEvent e) => _sink.Emit(e);

    /// <summary>One poll; a poll that throws is the loop's to log.</summary>
    public void PollOnce()
    {
        var started = Stopwatch.GetTimestamp();
        CheckedFiles = false;
        // Sightings are taken before the snapshot, so a sighted module missing from the snapshot was really unloaded in between.
        var sightings = DrainSightings();
        var snapshot = KernelSnapshotReader.Read(_options.Paths, _options.TableOverride, _cache);
        var now = _time.GetTimestamp();
        var filesDue = _time.GetElapsedTime(_lastFileCheck, now) >= _options.FileCheckInterval;
        var baselineChanged = _baseline.Refresh();
        // Live patches and the failure counters change without a module list or mask change: a change (or a patch in
        // transition, where time matters) rules the shortcut out.
        var lifecycleChanged = _lifecycle.Refresh();
        var trust = _trust.For(snapshot.Release);
        // Pending work (events not yet in the journal, files still being read, a changed list, trust anchors just
        // loaded) rules the shortcut out.
        var pending = baselineChanged || lifecycleChanged || !ReferenceEquals(trust, _lastTrust) || _outbox.HasUndelivered || _files.HasPending || sightings.Count > 0
            || UeventProblem != _health.ProblemOf(Collectors.Uevents);
        if (!filesDue && !pending && _previous is not null && IsUnchanged(snapshot, _previous))
        {
            _metrics.ObservePoll(Stopwatch.GetElapsedTime(started), _time.GetUtcNow());
            return;
        }
        var modulesChanged = _previous is null || !ReferenceEquals(snapshot.Modules, _previous.Modules);
        _previous = snapshot;
        if (filesDue || !ReferenceEquals(snapshot.Modules, _lastFilesFor) || _files.HasPending)
        {
            // Reads that finished since the last poll leave their garbage (a whole decompressed module each) too.
            CheckedFiles = filesDue || _files.HasPending;
            _lastFiles = _files.Resolve(snapshot, _options.Paths, _lastFiles, recheck: filesDue);
        }
        _lastFilesFor = snapshot.Modules;
        if (trust is not null && !ReferenceEquals(trust, _lastTrust))
        {
            // Once per load: which keys module signatures are checked against, and why a source gave none.
            var sources = trust.Sources.Where(t => t.Present || t.Kind == Trust.TrustSourceKind.KernelImage)
                .Select(t => $"{t.Label} {t.Name}: {t.Certificates + t.Hashes}{(t.Problem is null ? "" : $" ({t.Problem})")}");
            // A source that gave less than it holds (a keys file that does not parse, an unreadable image) warns.
            var degraded = trust.IsEmpty || trust.Sources.Any(t => t.Present && t.Problem is not null);
            _sink.Log(degraded ? Priority.Warning : Priority.Info, $"trust anchors for module signatures: {string.Join("; ", sources)}");
        }
        _lastTrust = trust;
        var host = HostStatus.Build(snapshot, _lastFiles, _baseline.Current, _options.Paths, trust);
        if (filesDue)
        {
            _lastFileCheck = now;
            UpdatePosture(host);
        }
        ReportHealth(snapshot, host);

        var gone = sightings.Where(s => s.Added && !snapshot.Modules.Any(m => m.Name == s.Name))
            .Select(s => ModuleStatus.Resolve(s.AsLoadedModule(), _files.ResolveGone(s.AsLoadedModule(), snapshot.Release, _options.Paths), _baseline.Current, _options.Paths, snapshot.Release, trust, snapshot.SigEnforce is not null))
            .ToList();
        // Lifecycle (issue 17): unloaded taint carriers are remembered before judging which bits nobody explains.
        var state = _outbox.State;
        var startOfBoot = !state.Initialized || state.BootId != (snapshot.BootId ?? "unknown");
        Lifecycle.LifecycleWatch.Remember(state.Lifecycle, snapshot, gone.Select(g => g.Module), startOfBoot, FirstPoll);
        var lifecycle = _lifecycle.Build(snapshot, host, state.Lifecycle, checkListing: filesDue || modulesChanged);
        _health.Log(Collectors.LivePatch, _lifecycle.LivePatchProblem);
        _health.Log(Collectors.Counters, _lifecycle.CounterProblems.Count == 0 ? null : string.Join("; ", _lifecycle.CounterProblems));
        _health.Log(Collectors.Listing, _lifecycle.ListingProblem);

        // A poll that cannot read the taint mask decides nothing: it could not tell a bit from an unreadable file.
        if (snapshot.TaintMask is not null)
        {
            var events = EventDetector.Detect(state, host, _time.GetUtcNow(), FirstPoll, gone);
            events.AddRange(Lifecycle.LifecycleEvents.Detect(state, state.Lifecycle, lifecycle, snapshot, _time.GetUtcNow(), startOfBoot, _options.LivePatchStuckAfter));
            _outbox.Deliver(events);
            FirstPoll = false;
        }
        _metrics.Update(host, _outbox.State, _health.Success, host.Modules.Count(m => m.File?.IsPending == true));
        _lifecycleMetrics.Update(lifecycle);
        _metrics.ObservePoll(Stopwatch.GetElapsedTime(started), _time.GetUtcNow());
    }

    /// <summary>A quiet host: same mask, same module list (reused object), same boot, enforcement and sources.</summary>
    private static bool IsUnchanged(KernelSnapshot now, KernelSnapshot before) =>
        ReferenceEquals(now.Modules, before.Modules) && now.TaintMask == before.TaintMask && now.BootId == before.BootId
        && now.SigEnforce == before.SigEnforce && now.Sources.SequenceEqual(before.Sources);

    private void ReportHealth(KernelSnapshot snapshot, HostStatus host)
    {
        _health.Report(snapshot);
        var unreadable = host.Modules.Where(m => m.File?.Inspection?.Error is not null).Select(m => $"{m.FilePath}: {m.File!.Inspection!.Error}").ToList();
        _health.Report(Collectors.Signatures, unreadable.Count == 0 ? null : $"{unreadable.Count} module files unreadable: {string.Join("; ", unreadable.Take(3))}");
        if (_baseline.Configured && (_baseline.Current is not null || _baseline.Problem is not null))
        {
            _health.Report(Collectors.Baseline, _baseline.Problem);
        }
        else
        {
            _health.Log(Collectors.Baseline, _baseline.Problem);
            _health.Forget(Collectors.Baseline);
        }
        if (_options.Uevents)
        {
            _health.Report(Collectors.Uevents, UeventProblem);
        }
    }

    /// <summary>Secure Boot, lockdown and sig_enforce change rarely (lockdown and sig_enforce only upwards): read with the module files.</summary>
    private void UpdatePosture(HostStatus host)
    {
        var posture = SecurityPostureReader.Read(_options.Paths);
        _metrics.UpdatePosture(posture, host.SigningKey);
        var problems = string.Join("; ", posture.Problems);
        if (problems != _postureProblems && problems.Length > 0)
        {
            _sink.Log(Priority.Notice, $"security posture partly unknown (reported as \"unknown\", not as off): {problems}");
        }
        _postureProblems = problems;
    }

    private List<ModuleSighting> DrainSightings()
    {
        var drained = new List<ModuleSighting>();
        while (_sightings.TryDequeue(out var sighting))
        {
            drained.Add(sighting);
        }
        return drained;
    }

    public void Dispose() => _files.Dispose();
}
