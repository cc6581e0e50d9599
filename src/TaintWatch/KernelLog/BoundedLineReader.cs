namespace TaintWatch.KernelLog;

/// <summary>
/// Reads lines from a stream of any size with a cap on each line's length: a 1 MB line (or a binary file
/// with no newline) costs at most <see cref="MaxLineLength"/> characters of memory; the rest is skipped.
/// </summary>
public sealed class BoundedLineReader(TextReader reader)
{
    public const int MaxLineLength = 64 * 1024;

    private readonly char[] _buffer = new char[128 * 1024];
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>Lines longer than the cap met so far.</summary>
    public long TruncatedLines { get; private set; }

    public long BytesApproximate { get; private set; }

    /// <summary>
    /// Whether any text read so far held an escape (a log saved in colour) or a non-breaking space (copied from a web
    /// page): found once per buffer, so that lines need not be searched one by one when none did.
    /// </summary>
    public bool SawEscapeOrNoBreakSpace { get; private set; }

    public string? ReadLine()
    {
        System.Text.StringBuilder? longLine = null;
        var truncated = false;
        while (true)
        {
            var newline = Array.IndexOf(_buffer, '\n', _start, _end - _start);
            if (newline >= 0)
            {
                var line = Take(_start, newline, ref longLine, ref truncated);
                _start = newline + 1;
                return line;
            }
            // No newline in the buffer: keep what fits under the cap, then refill.
            Take(_start, _end, ref longLine, ref truncated, keep: true);
            _start = _end = 0;
            if (_eof)
            {
                return longLine is { Length: > 0 } || truncated ? Finish(longLine, truncated) : null;
            }
            var read = reader.Read(_buffer, 0, _buffer.Length);
            if (read == 0)
            {
                _eof = true;
                continue;
            }
            BytesApproximate += read;
            _end = read;
            SawEscapeOrNoBreakSpace |= _buffer.AsSpan(0, read).IndexOfAny('\u001b', '\u00A0') >= 0;
        }
    }

    private string? Take(int from, int to, ref System.Text.StringBuilder? longLine, ref bool truncated, bool keep = false)
    {
        var length = to - from;
        if (to > from && _buffer[to - 1] == '\r' && !keep)
        {
            length--;
        }
        var room = MaxLineLength - (longLine?.Length ?? 0);
        if (length > room)
        {
            truncated = true;
            length = Math.Max(0, room);
        }
        if (keep)
        {
            if (length > 0)
            {
                (longLine ??= new System.Text.StringBuilder()).Append(_buffer, from, length);
            }
            return null;
        }
        if (longLine is null)
        {
            var text = new string(_buffer, from, length);
            if (truncated)
            {
                TruncatedLines++;
            }
            return text;
        }
        longLine.Append(_buffer, from, length);
        return Finish(longLine, truncated);
    }

    private string Finish(System.Text.StringBuilder? longLine, bool truncated)
    {
        if (truncated)
        {
            TruncatedLines++;
        }
        return longLine?.ToString() ?? "";
    }
}
