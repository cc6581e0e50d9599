using TaintWatch.Logging;
using TaintWatch.Watch;

namespace TaintWatch.Journal;

/// <summary>Where events and log lines go: the journal when it is reachable, else stderr with systemd priority prefixes.</summary>
public sealed class EventSink : IDisposable
{
    private readonly JournalWriter? _journal;
    private readonly TextWriter _console;
    private readonly int _maxPriority;
    private bool _journalDownReported;

    /// <param name="format">"auto" (journal if its socket exists), "journal" or "console".</param>
    /// <param name="level">debug, info, warn, error: log lines (not events) above it are dropped.</param>
    public EventSink(string format, string level, string journalSocket, TextWriter console)
    {
        _console = console;
        _maxPriority = level switch { "debug" => 7, "warn" => 4, "error" => 3, _ => 6 };
        var journal = new JournalWriter(journalSocket);
        _journal = format switch
        {
            "journal" => journal,
            "console" => null,
            _ => journal.IsReachable ? journal : null,
        };
        if (_journal is null)
        {
            journal.Dispose();
        }
    }

    public bool UsesJournal => _journal is not null;

    /// <summary>Writes an event; returns false when it could not be written anywhere durable (the journal refused it).</summary>
    public bool Emit(WatchEvent e)
    {
        var fields = EventFields.For(e);
        if (_journal is not null)
        {
            if (_journal.TryWrite(fields, out var error))
            {
                _journalDownReported = false;
                return true;
            }
            if (!_journalDownReported)
            {
                _console.WriteLine($"<4>taintwatch: cannot write to the journal ({error}); events are kept and written when it is back");
                _journalDownReported = true;
            }
            // Not printed here: the event stays in the outbox and is retried each poll until journald is back.
            return false;
        }
        // On the console: the message, then the event's own fields (the four journald header fields left out).
        WriteConsole(e.Priority, e.Message + " " + string.Join(' ', fields.Skip(4).Select(f => $"{f.Key}={f.Value}")));
        return true;
    }

    /// <summary>An operational log line (not an event).</summary>
    public void Log(int priority, string message)
    {
        if (priority > _maxPriority)
        {
            return;
        }
        if (_journal is not null && _journal.TryWrite(
            [new("MESSAGE", message), new("PRIORITY", priority.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("SYSLOG_IDENTIFIER", "taintwatch")], out _))
        {
            return;
        }
        WriteConsole(priority, message);
    }

    private void WriteConsole(int priority, string message)
    {
        lock (_console)
        {
            _console.WriteLine($"<{priority}>{message.Replace('\n', ' ')}");
            _console.Flush();
        }
    }

    public void Dispose() => _journal?.Dispose();
}
