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

    private StringBuilder? _text;
    private bool _startedEmpty;
    private int _lastRawLength;

    public bool IsOpen => _text is not null;

    /// <summary>"Unloaded tainted modules:" rather than "Modules linked in:".</summary>
    public bool IsUnloaded { get; private set; }

    /// <summary>The line the list began on.</summary>
    public long Line { get; private set; }

    public void Start(string rest, bool unloaded, long line, int rawLength)
    {
        _text = new StringBuilder(rest, Math.Min(Math.Max(rest.Length, 16), MaxLength));
        _startedEmpty = rest.Trim().Length == 0;
        _lastRawLength = rawLength;
        IsUnloaded = unloaded;
        Line = line;
    }

    /// <summary>Appends the line if it continues the open list; false when it is the next message.</summary>
    public bool TryContinue(string text, bool hadPrefix, int rawLength)
    {
        // A continuation record keeps printk's leading space; a wrapped line has no prefix; after an empty
        // "Modules linked in:" every following line of names belongs to it.
        var continues = text.StartsWith(' ') || !hadPrefix || _startedEmpty;
        if (IsUnloaded || !continues || !ModuleList.IsListText(text))
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
    /// fixed column ("… i2c_m" / "ux psmouse"), or when an article wrapped one or two letters onto the next line
    /// ("ebtable_filt" / "er ebtables"). A mail client breaks at a space and drops it: then the names stay apart.
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
        return firstToken.Length <= 2 && firstToken.All(char.IsAsciiLetterLower);
    }
}
