using TaintWatch.Journal;
using TaintWatch.Kernel;
using TaintWatch.Logging;
using TaintWatch.Metrics;
using TaintWatch.Watch;

namespace TaintWatch.Daemon;

/// <summary>
/// Delivers events without losing or repeating one across a crash or a journald outage: the decision is
/// persisted (state file) before the events are written, and that they were written is persisted after.
/// Undelivered events wait in the state's outbox and are retried at every poll.
/// </summary>
public sealed class EventOutbox(StateStore store, EventSink sink, TaintMetrics metrics, CollectorHealth health)
{
    /// <summary>Most events a journald outage may hold back; beyond it the oldest are dropped, counted and logged.</summary>
    public const int MaxOutbox = 10_000;

    public WatchState State { get; private set; } = new();

    /// <summary>Events decided but not yet written (the loop does not take its quiet shortcut while there are some).</summary>
    public bool HasUndelivered => State.Outbox.Count > 0 || health.ProblemOf(Collectors.State) is not null;

    public void Load()
    {
        State = store.Load(out var warning);
        if (warning is not null)
        {
            sink.Log(Priority.Warning, warning);
        }
    }

    /// <summary>Persists the new events, writes them and everything still waiting, then persists what was written.</summary>
    public void Deliver(IReadOnlyList<WatchEvent> events)
    {
        State.Outbox.AddRange(events);
        Trim();
        Save();
        var written = 0;
        foreach (var e in State.Outbox)
        {
            if (!sink.Emit(e))
            {
                break; // journal down: keep the rest for the next poll
            }
            metrics.CountEvent(e);
            written++;
        }
        State.Outbox.RemoveRange(0, written);
        Save();
    }

    private void Trim()
    {
        var excess = State.Outbox.Count - MaxOutbox;
        if (excess > 0)
        {
            State.Outbox.RemoveRange(0, excess);
            sink.Log(Priority.Warning, $"the journal has been unreachable for long: dropped the {excess} oldest undelivered events (at most {MaxOutbox} are kept)");
        }
    }

    private void Save() => health.Report(Collectors.State, store.Save(State));
}
