using TaintWatch.Journal;
using TaintWatch.Kernel;
using TaintWatch.Logging;
using TaintWatch.Metrics;
using TaintWatch.Uevents;
using TaintWatch.Watch;

namespace TaintWatch.Daemon;

/// <summary>
/// The daemon's main loop: polls every --poll.interval, at once when a module uevent arrives or a module file
/// finishes reading; tells systemd it is ready (after the first poll) and alive (after each good poll); gives
/// memory back after start-up and after each module-file check. A poll that throws is logged, not fatal.
/// </summary>
public sealed class PollLoop : IDisposable
{
    private readonly DaemonOptions _options;
    private readonly TimeProvider _time;
    private readonly SystemdNotifier _notifier;
    private readonly CollectorHealth _pollHealth;
    private readonly AutoResetEvent _wake = new(initialState: false);
    private readonly Poller _poller;
    private UeventListener? _uevents;

    public PollLoop(DaemonOptions options, TimeProvider time, EventSink sink, TaintMetrics metrics, SystemdNotifier notifier)
    {
        _options = options;
        _time = time;
        _notifier = notifier;
        _pollHealth = new CollectorHealth(sink);
        _poller = new Poller(options, time, sink, metrics, wake: () => _wake.Set());
    }

    public Poller Poller => _poller;

    /// <summary>
    /// Polls on the calling thread until <paramref name="stopping"/> is cancelled (SIGTERM); the metrics server is
    /// already listening. Blocking waits rather than timers and tasks: an idle daemon then wakes one thread once
    /// per poll, where Task.Delay woke the timer thread, a pool thread and the pool's gate thread each time.
    /// </summary>
    public void Run(CancellationToken stopping)
    {
        _poller.LoadState();
        if (_options.Uevents)
        {
            _uevents = UeventListener.Start(_options.Paths, _time, OnUevent, problem => _poller.UeventProblem = $"listener stopped: {problem}", out var problem);
            _poller.UeventProblem = problem is null ? null : $"{problem}; module loads are seen at the next timed poll";
        }
        try
        {
            PollUntilStopped(stopping);
        }
        finally
        {
            _notifier.Notify("STOPPING=1");
            _uevents?.Dispose();
            _poller.Announce(new WatchEvent(WatchEventKind.WatcherStopped, Priority.Info, "TaintWatch stopped watching"));
        }
    }

    /// <summary>SIGHUP: read the expected-modules file again at a poll started now, changed or not.</summary>
    public void ReloadExpectedModules()
    {
        _poller.ReloadExpectedModules();
        _wake.Set();
    }

    /// <summary>From the listener thread: remember what the kernel announced and poll now.</summary>
    private void OnUevent(ModuleSighting? sighting)
    {
        if (sighting is not null)
        {
            _poller.Sighted(sighting);
        }
        _wake.Set();
    }

    private void PollUntilStopped(CancellationToken stopping)
    {
        WaitHandle[] wakeOrStop = [_wake, stopping.WaitHandle];
        _poller.Announce(new WatchEvent(WatchEventKind.WatcherStarted, Priority.Info,
            $"TaintWatch {BuildInfo.Version} watching {_options.Paths.ProcFs} every {_options.PollInterval.TotalSeconds:0.###}s"));
        var ready = false;
        var compacted = false;
        while (!stopping.IsCancellationRequested)
        {
            // Reset the wake-up before reading: a uevent or a finished file read from now on starts another poll.
            _wake.Reset();
            if (!TryPoll())
            {
                // No WATCHDOG=1 for a failed poll: if every poll fails, systemd restarts the service.
                WaitForNextPoll(wakeOrStop);
                continue;
            }
            if (!ready)
            {
                ready = true;
                // READY=1 means "polled once and serving" (the server was bound before the first poll).
                _notifier.Notify("READY=1");
            }
            // Tied to the loop's progress: a poll that hangs stops the pings and systemd restarts the service.
            _notifier.Notify("WATCHDOG=1");
            if (!compacted && _poller.FilesSettled)
            {
                // Start-up (web server, every module file read once) leaves garbage and a grown heap that a
                // quiet daemon would keep for its whole life: collect once and give the memory back to the OS.
                compacted = true;
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
            else if (_poller.CheckedFiles)
            {
                // A module-file check (every --poll.module-files-interval) allocates the files' metadata, the listing
                // check and posture; a gen1 collection freed it but left the heap's regions committed (+1.5 MB that
                // stayed resident). A compacting collection that gives memory back costs a few ms every 30 s.
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
            WaitForNextPoll(wakeOrStop);
        }
    }

    /// <summary>Waits for the poll interval, or less when woken or stopped.</summary>
    private void WaitForNextPoll(WaitHandle[] wakeOrStop) =>
        WaitHandle.WaitAny(wakeOrStop, TimeSpan.FromMilliseconds(Math.Min(_options.PollInterval.TotalMilliseconds, int.MaxValue)));

    /// <summary>A poll that throws (a bug, not a bad file: those are handled as failing sources) is logged, not fatal.</summary>
    private bool TryPoll()
    {
        try
        {
            _poller.PollOnce();
            _pollHealth.Log(Collectors.Poll, null);
            return true;
        }
#pragma warning disable CA1031 // the daemon must outlive any single poll
        catch (Exception e)
#pragma warning restore CA1031
        {
            _pollHealth.Log(Collectors.Poll, $"{e.GetType().Name}: {e.Message}");
            return false;
        }
    }

    public void Dispose()
    {
        _poller.Dispose();
        _wake.Dispose();
    }
}
