using TaintWatch.Journal;
using TaintWatch.Kernel;
using TaintWatch.Logging;

namespace TaintWatch.Daemon;

/// <summary>
/// Whether each source could be read at the last poll (taintwatch_collector_success), and the log of it: a
/// failing source is logged once when it starts failing (or its reason changes) and once when it recovers,
/// however many polls it spans.
/// </summary>
public sealed class CollectorHealth(EventSink sink)
{
    private readonly Dictionary<string, string?> _failing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _success = new(StringComparer.Ordinal);

    /// <summary>Success by collector, as the metric serves it.</summary>
    public IReadOnlyDictionary<string, bool> Success => _success;

    /// <summary>The problem last reported for a collector, or null when it is fine.</summary>
    public string? ProblemOf(string collector) => _failing.GetValueOrDefault(collector);

    /// <summary>Records a source's outcome in the metric and logs the change.</summary>
    public void Report(string collector, string? problem)
    {
        _success[collector] = problem is null;
        Log(collector, problem);
    }

    /// <summary>Logs a change of a source's health without showing it as a collector (the poll itself).</summary>
    public void Log(string collector, string? problem)
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

    /// <summary>The snapshot's own sources: one outcome per collector (the first problem of its files).</summary>
    public void Report(KernelSnapshot snapshot)
    {
        foreach (var group in snapshot.Sources.GroupBy(s => s.Collector))
        {
            Report(group.Key, group.FirstOrDefault(s => !s.Success)?.Problem);
        }
    }

    /// <summary>A collector that no longer applies (the expected-modules file was removed) leaves the metric.</summary>
    public void Forget(string collector) => _success.Remove(collector);
}
