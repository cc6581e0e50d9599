using System.Collections.Concurrent;
using System.Diagnostics;
using TaintWatch.Journal;
using TaintWatch.Kernel;
using TaintWatch.Metrics;
using TaintWatch.Uevents;

namespace TaintWatch.Watch;

/// <summary>
/// The poll loop: every --poll.interval take a snapshot, read only new or changed module files, turn the
/// difference into events (persisted before they are written, so none is lost), update the metrics, and
/// tell systemd it is alive. A failing source is logged once when it fails and once when it recovers.
/// A module uevent from the kernel starts a poll at once; the timed poll remains for taint bits, which have no event.
/// </summary>
public sealed class Poller(DaemonOptions options, TimeProvider time, EventSink sink, TaintMetrics metrics, SystemdNotifier notifier) : IDisposable
{
    private readonly StateStore _store = new(options.StateDirectory);
    private readonly ModuleFileCache _files = new();
    private readonly SnapshotCache _cache = new();
    private KernelSnapshot? _previous;
    private long _lastFileCheck;
    private IReadOnlyDictionary<string, Modules.LoadedModuleFile> _lastFiles = new Dictionary<string, Modules.LoadedModuleFile>();
    private readonly Dictionary<string, string?> _failing = new(StringComparer.Ordinal);
    private WatchState _state = new();
    private IReadOnlyList<LoadedModule>? _lastFilesFor;

    private bool _firstPoll = true;
    private bool _collectAfterPoll;
    private readonly ConcurrentQueue<ModuleSighting> _sightings = new();
    private readonly AutoResetEvent _wake = new(initialState: false);
    private UeventListener? _uevents;
    private volatile string? _ueventProblem;
    private string _postureProblems = "";
    private readonly BaselineWatcher _baseline = new(options.BaselineFile, options.BaselineOptional);
    private readonly Lifecycle.LifecycleWatch _lifecycle = new(options.Paths);
    private readonly LifecycleMetrics _lifecycleMetrics = new(metrics);

    /// <summary>Most sightings kept between two polls; beyond it a poll is due anyway and only transient loads could be missed.</summary>
    private const int MaxSightings = 4096;

    /// <summary>
    /// Polls on the calling thread until <paramref name="stopping"/> is cancelled (SIGTERM); the metrics server is
    /// already listening. Blocking waits rather than timers and tasks: an idle daemon then wakes one thread once
    /// per poll, where Task.Delay woke the timer thread, a pool thread and the pool's gate thread each time.
    /// </summary>
    public void Run(CancellationToken stopping)
    {
        _state = _store.Load(out var warning);
        if (warning is not null)
        {
            sink.Log(Priority.Warning, warning);
        }
        if (options.Uevents)
        {
            _uevents = UeventListener.Start(options.Paths, time, OnUevent, problem => _ueventProblem = $"listener stopped: {problem}", out var problem);
            _ueventProblem = problem is null ? null : $"{problem}; module loads are seen at the next timed poll";
        }
        try
        {
            PollUntilStopped(stopping);
        }
        finally
        {
            notifier.Notify("STOPPING=1");
            _uevents?.Dispose();
            Emit(new WatchEvent(WatchEventKind.WatcherStopped, Priority.Info, "TaintWatch stopped watching", []));
        }
    }

    /// <summary>From the listener thread: remember what the kernel announced and poll now.</summary>
    private void OnUevent(ModuleSighting? sighting)
    {
        if (sighting is not null && _sightings.Count < MaxSightings)
        {
            _sightings.Enqueue(sighting);
        }
        _wake.Set();
    }

    private void PollUntilStopped(CancellationToken stoppingToken)
    {
        WaitHandle[] wakeOrStop = [_wake, stoppingToken.WaitHandle];
        Emit(new WatchEvent(WatchEventKind.WatcherStarted, Priority.Info,
            $"TaintWatch {BuildInfo.Version} watching {options.Paths.ProcFs} every {options.PollInterval.TotalSeconds:0.###}s", []));
        while (!stoppingToken.IsCancellationRequested)
        {
            if (!TryPoll())
            {
                // No WATCHDOG=1 for a failed poll: if every poll fails, systemd restarts the service.
                WaitForNextPoll(wakeOrStop);
                continue;
            }
            if (_firstPoll)
            {
                _firstPoll = false;
                // READY=1 means "polled once and serving" (the server was bound before the first poll).
                notifier.Notify("READY=1");
                // Start-up (host, web server, every module file read once) leaves garbage and a grown heap that a
                // quiet daemon would keep for its whole life: collect once and give the memory back to the OS.
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
            // Tied to the loop's progress: a poll that hangs stops the pings and systemd restarts the service.
            notifier.Notify("WATCHDOG=1");
            if (_collectAfterPoll)
            {
                // A module-file check allocates about 0.5 MB (200 modules) that would pile up, resident, for minutes
                // until the GC's gen0 budget is spent: collect it now, while it is all garbage (a fraction of a ms).
                _collectAfterPoll = false;
                GC.Collect(1, GCCollectionMode.Forced, blocking: true);
            }
            WaitForNextPoll(wakeOrStop);
        }
    }

    /// <summary>Waits for the poll interval, or less when a uevent arrives or the daemon stops; a uevent during a poll makes the next start at once.</summary>
    private void WaitForNextPoll(WaitHandle[] wakeOrStop) =>
        WaitHandle.WaitAny(wakeOrStop, TimeSpan.FromMilliseconds(Math.Min(options.PollInterval.TotalMilliseconds, int.MaxValue)));

    /// <summary>A poll that throws (a bug, not a bad file: those are handled as failing sources) is logged, not fatal.</summary>
    private bool TryPoll()
    {
        try
        {
            PollOnce();
            ReportOnce("poll", null);
            return true;
        }
#pragma warning disable CA1031 // the daemon must outlive any single poll
        catch (Exception e)
#pragma warning restore CA1031
        {
            ReportOnce("poll", $"{e.GetType().Name}: {e.Message}");
            return false;
        }
    }

    /// <summary>One poll: snapshot, module files, events, state, metrics.</summary>
    public void PollOnce()
    {
        var started = Stopwatch.GetTimestamp();
        // Reset the wake-up before reading: a uevent from now on starts another poll. Sightings are taken before
        // the snapshot, so a sighted module missing from the snapshot was really unloaded in between.
        _wake.Reset();
        var sightings = DrainSightings();
        var snapshot = KernelSnapshotReader.Read(options.Paths, options.TableOverride, _cache);
        // A quiet host: same mask, same module list (reused object), same sources. Module files on disk are
        // still checked for replacement, but every --poll.module-files-interval rather than on every poll.
        var now = time.GetTimestamp();
        var filesDue = time.GetElapsedTime(_lastFileCheck, now) >= options.FileCheckInterval;
        // Pending work (events not yet in the journal, a state file not yet written) also rules the shortcut out.
        var baselineChanged = _baseline.Refresh();
        // Live patches and the failure counters change without a module list or mask change: a change (or a patch in
        // transition, where time matters) rules the shortcut out.
        var lifecycleChanged = _lifecycle.Refresh();
        var pending = baselineChanged || lifecycleChanged || _state.Outbox.Count > 0 || _failing.GetValueOrDefault("state") is not null || sightings.Count > 0 || _ueventProblem != _failing.GetValueOrDefault("uevents");
        if (!filesDue && !pending && _previous is not null && ReferenceEquals(snapshot.Modules, _previous.Modules) && snapshot.TaintMask == _previous.TaintMask
            && snapshot.BootId == _previous.BootId && snapshot.SigEnforce == _previous.SigEnforce && snapshot.Sources.SequenceEqual(_previous.Sources))
        {
            metrics.ObservePoll(Stopwatch.GetElapsedTime(started), time.GetUtcNow());
            return;
        }
        var modulesChanged = _previous is null || !ReferenceEquals(snapshot.Modules, _previous.Modules);
        _previous = snapshot;
        var files = _lastFiles = filesDue ? _files.Resolve(snapshot, options.Paths)
            : !ReferenceEquals(snapshot.Modules, _lastFilesFor) ? _files.ResolveNew(snapshot, options.Paths, _lastFiles)
            : _lastFiles;
        _lastFilesFor = snapshot.Modules;
        if (filesDue)
        {
            _lastFileCheck = now;
            _collectAfterPoll = true;
            UpdatePosture(files.Values);
        }
        var collectors = snapshot.Sources.GroupBy(s => s.Collector).ToDictionary(g => g.Key, g => g.All(s => s.Success), StringComparer.Ordinal);
        var unreadable = files.Values.Where(f => f.Inspection?.Error is not null).Select(f => $"{f.Location.Path}: {f.Inspection!.Error}").ToList();
        collectors["signatures"] = unreadable.Count == 0;
        if (_baseline.Configured && (_baseline.Current is not null || _baseline.Problem is not null))
        {
            collectors["baseline"] = _baseline.Problem is null;
        }
        ReportOnce("baseline", _baseline.Problem);
        if (options.Uevents)
        {
            collectors["uevents"] = _ueventProblem is null;
            ReportOnce("uevents", _ueventProblem);
        }
        ReportSourceChanges(snapshot, unreadable);

        var gone = sightings.Where(s => s.Added && !snapshot.Modules.Any(m => m.Name == s.Name))
            .Select(s => _files.ResolveGone(s.AsLoadedModule(), snapshot.Release, options.Paths))
            .ToList();
        // Lifecycle (issue 17): remember unloaded taint carriers before judging which bits nobody explains.
        var startOfBoot = !_state.Initialized || _state.BootId != (snapshot.BootId ?? "unknown");
        Lifecycle.LifecycleWatch.Remember(_state.Lifecycle, snapshot, gone.Select(g => g.Module), startOfBoot, _firstPoll);
        var lifecycle = _lifecycle.Build(snapshot, files, _baseline.Current, _state.Lifecycle, checkListing: filesDue || modulesChanged);
        ReportOnce("livepatch", _lifecycle.LivePatchProblem);
        ReportOnce("counters", _lifecycle.CounterProblems.Count == 0 ? null : string.Join("; ", _lifecycle.CounterProblems));
        ReportOnce("listing", _lifecycle.ListingProblem);

        // A poll that cannot read the taint mask decides nothing: it could not tell a bit from an unreadable file.
        if (snapshot.TaintMask is not null)
        {
            var events = EventDetector.Detect(_state, snapshot, files, time.GetUtcNow(), _firstPoll, gone, _baseline.Current);
            events.AddRange(Lifecycle.LifecycleEvents.Detect(_state, _state.Lifecycle, lifecycle, snapshot, time.GetUtcNow(), startOfBoot, options.LivePatchStuckAfter));
            // Outbox: persist the decision first, write the events, then persist that they are written.
            _state.Outbox.AddRange(events);
            TrimOutbox();
            SaveState(collectors);
            FlushOutbox();
            SaveState(collectors);
        }
        metrics.Update(snapshot, files, _state, collectors, _baseline.Current, lifecycle.Origins);
        _lifecycleMetrics.Update(lifecycle);
        metrics.ObservePoll(Stopwatch.GetElapsedTime(started), time.GetUtcNow());
    }

    /// <summary>Secure Boot, lockdown and sig_enforce change rarely (lockdown and sig_enforce only upwards): read with the module files.</summary>
    private void UpdatePosture(IEnumerable<Modules.LoadedModuleFile> files)
    {
        var posture = SecurityPostureReader.Read(options.Paths);
        metrics.UpdatePosture(posture, Modules.KernelSigningKey.From(files));
        var problems = string.Join("; ", posture.Problems);
        if (problems != _postureProblems && problems.Length > 0)
        {
            sink.Log(Priority.Notice, $"security posture partly unknown (reported as \"unknown\", not as off): {problems}");
        }
        _postureProblems = problems;
    }

    private List<ModuleSighting> DrainSightings()
    {
        if (_sightings.IsEmpty)
        {
            return [];
        }
        var drained = new List<ModuleSighting>();
        while (_sightings.TryDequeue(out var sighting))
        {
            drained.Add(sighting);
        }
        return drained;
    }

    /// <summary>Most events a journald outage may hold back; beyond it the oldest are dropped, counted and logged.</summary>
    public const int MaxOutbox = 10_000;

    private void TrimOutbox()
    {
        var excess = _state.Outbox.Count - MaxOutbox;
        if (excess > 0)
        {
            _state.Outbox.RemoveRange(0, excess);
            sink.Log(Priority.Warning, $"the journal has been unreachable for long: dropped the {excess} oldest undelivered events (at most {MaxOutbox} are kept)");
        }
    }

    private void FlushOutbox()
    {
        var written = 0;
        foreach (var e in _state.Outbox)
        {
            if (!Emit(e))
            {
                break; // journal down: keep the rest for the next poll
            }
            metrics.CountEvent(e);
            written++;
        }
        _state.Outbox.RemoveRange(0, written);
    }

    private bool Emit(WatchEvent e) => sink.Emit(e);

    private void SaveState(Dictionary<string, bool> collectors)
    {
        var error = _store.Save(_state);
        collectors["state"] = error is null;
        ReportOnce("state", error);
    }

    private void ReportSourceChanges(KernelSnapshot snapshot, List<string> unreadable)
    {
        foreach (var group in snapshot.Sources.GroupBy(s => s.Collector))
        {
            ReportOnce(group.Key, group.FirstOrDefault(s => !s.Success)?.Problem);
        }
        ReportOnce("signatures", unreadable.Count == 0 ? null : $"{unreadable.Count} module files unreadable: {string.Join("; ", unreadable.Take(3))}");
    }

    /// <summary>Logs a source's failure once when it starts failing (or the reason changes) and once when it recovers.</summary>
    private void ReportOnce(string collector, string? problem)
    {
        _failing.TryGetValue(collector, out var previous);
        if (problem == previous)
        {
            return;
        }
        _failing[collector] = problem;
        if (problem is not null)
        {
            sink.Log(Priority.Warning, $"collector {collector} failing: {problem}");
        }
        else if (previous is not null)
        {
            sink.Log(Priority.Notice, $"collector {collector} recovered");
        }
    }

    public void Dispose() => _wake.Dispose();
}
