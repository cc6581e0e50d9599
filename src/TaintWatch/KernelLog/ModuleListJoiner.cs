using System.Text;

namespace TaintWatch.KernelLog;

/// <summary>
/// Rejoins a "Modules linked in:" list that the kernel, a console or a mail client spread over several lines:
/// printk continuation records ("[ t]  af_alg …", "kernel:  raid10 …": the prefix, then a space), lines wrapped
/// without a prefix, an empty "Modules linked in:" with the names on the next lines, and names cut mid-word at
/// a fixed column. Memory is bounded: a list longer than a few lines' worth is cut.
/// </summary>
internal sealed class ModuleListJoiner
{
    /// <summary>Columns at which terminals and tools cut lines regardless of words (a mail client wraps at spaces instead).</summary>
    private static readonly int[] WrapWidths = [80, 100, 120, 132, 160, 200, 1000, 1024];

    private const int MaxLength = BoundedLineReader.MaxLineLength * 4;

    /// <summary>Mail clients wrap at 72–78 columns; a line longer than 80 was not wrapped by one.</summary>
    private const int MailWidth = 80;

    private StringBuilder? _text;
    private int _lastRawLength;

    public bool IsOpen => _text is not null;

    /// <summary>"Unloaded tainted modules:" rather than "Modules linked in:".</summary>
    public bool IsUnloaded { get; private set; }

    /// <summary>The line the list began on.</summary>
    public long Line { get; private set; }

    public void Start(string rest, bool unloaded, long line, int rawLength)
    {
        _text = new StringBuilder(rest, Math.Min(Math.Max(rest.Length, 16), MaxLength));
        _lastRawLength = rawLength;
        IsUnloaded = unloaded;
        Line = line;
    }

    /// <summary>Appends the line if it continues the open list; false when it is the next message.</summary>
    public bool TryContinue(string text, bool hadPrefix, int rawLength)
    {
        // Whatever its prefix — a continuation record ("[ t]  af_alg …" or with one space, "kernel: a b …" after an
        // empty "Modules linked in:") or a wrapped line with none — a line made only of names continues the list:
        // the kernel's next line after a list (CPU:, Pid:, Hardware name:, RIP:, Unloaded tainted modules:) never is.
        if (IsUnloaded || !ModuleList.IsListText(text))
        {
            return false;
        }
        var builder = _text!;
        if (!CutMidName(builder, text))
        {
            builder.Append(' ');
        }
        if (builder.Length + text.Length < MaxLength)
        {
            builder.Append(text);
        }
        _lastRawLength = rawLength;
        return true;
    }

    /// <summary>The list's text after its label, and closes it.</summary>
    public string Take()
    {
        var text = _text?.ToString() ?? "";
        _text = null;
        return text;
    }

    /// <summary>
    /// A name cut in two leaves no space on either side of the break. That happens when a tool cut the line at a
    /// fixed column ("… i2c_m" / "ux psmouse"), or when a web page wrapped a long line leaving one or two letters
    /// for the next ("ebtable_filt" / "er ebtables"). A mail client breaks short lines (~75 columns) at a space and
    /// drops it: then the names stay apart, even a short one such as "sg".
    /// </summary>
    private bool CutMidName(StringBuilder builder, string text)
    {
        if (builder.Length == 0 || builder[^1] == ' ' || text.Length == 0 || text[0] == ' ')
        {
            return false;
        }
        if (Array.IndexOf(WrapWidths, _lastRawLength) >= 0)
        {
            return true;
        }
        var end = text.IndexOf(' ');
        var firstToken = end < 0 ? text : text[..end];
        return _lastRawLength > MailWidth && firstToken.Length <= 2 && firstToken.All(char.IsAsciiLetterLower);
    }
}
