using TaintWatch.Journal;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Daemon;

/// <summary>The native journal protocol against a real systemd-journald.</summary>
public sealed class JournalWriterTests : IDisposable
{
    private readonly Journald _journal = new();

    [Fact]
    public void Multi_line_values_and_a_1_MB_entry_arrive_intact()
    {
        using var writer = new JournalWriter(_journal.Socket);
        var multi = "first line\nsecond line\n\tthird";
        var big = new string('x', 1024 * 1024) + "\nend";
        Assert.True(writer.TryWrite([new("MESSAGE", "multi"), new("SYSLOG_IDENTIFIER", "taintwatch"), new("TW_MULTI", multi)], out var e1), e1);
        Assert.True(writer.TryWrite([new("MESSAGE", "big"), new("SYSLOG_IDENTIFIER", "taintwatch"), new("TW_BIG", big)], out var e2), e2);
        Wait.Until(() => _journal.Entries().Count >= 2, 10_000, () => "entries not in the journal");
        var entries = _journal.Entries();
        Assert.Equal(multi, entries.Single(e => e["MESSAGE"] == "multi")["TW_MULTI"]);
        Assert.Equal(big.Length, entries.Single(e => e["MESSAGE"] == "big")["TW_BIG"].Length);
    }

    [Fact]
    public void Invalid_field_names_are_refused_before_sending()
    {
        using var writer = new JournalWriter(_journal.Socket);
        Assert.False(writer.TryWrite([new("MESSAGE", "x"), new("lowercase", "y")], out var error));
        Assert.Contains("lowercase", error);
        Assert.True(JournalFields.IsValidName("MODULE_SIG_KEY"));
        Assert.False(JournalFields.IsValidName("_PID"));
        Assert.False(JournalFields.IsValidName("1ABC"));
        Assert.False(JournalFields.IsValidName(new string('A', 65)));
    }

    [Fact]
    public void A_stopped_journald_makes_writes_fail_and_a_restarted_one_is_reconnected()
    {
        using var writer = new JournalWriter(_journal.Socket);
        Assert.True(writer.TryWrite([new("MESSAGE", "before"), new("SYSLOG_IDENTIFIER", "taintwatch")], out _));
        _journal.Stop();
        Assert.False(writer.TryWrite([new("MESSAGE", "during"), new("SYSLOG_IDENTIFIER", "taintwatch")], out var error));
        Assert.NotNull(error);
        _journal.Start();
        string? again = null;
        Wait.Until(() => writer.TryWrite([new("MESSAGE", "after"), new("SYSLOG_IDENTIFIER", "taintwatch")], out again), 10_000, () => "never reconnected: " + again);
        Wait.Until(() => _journal.Entries().Any(e => e["MESSAGE"] == "after"), 10_000, () => "not reconnected");
    }

    public void Dispose() => _journal.Dispose();
}
