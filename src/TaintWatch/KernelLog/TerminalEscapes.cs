using System.Text;

namespace TaintWatch.KernelLog;

/// <summary>
/// Removes the terminal escape sequences that colour a log saved from a terminal (<c>dmesg --color=always</c>,
/// <c>script</c>, a CI console): CSI ("ESC [ … m"), OSC ("ESC ] … BEL" or "ESC ] … ESC \") and the other
/// escapes ("ESC ( B"). What the kernel printed is left; an escape cut short at the end of a line is dropped.
/// </summary>
public static class TerminalEscapes
{
    private const char Escape = '\u001b';
    private const char Bell = '\u0007';

    public static string Strip(string line)
    {
        var at = line.IndexOf(Escape);
        if (at < 0)
        {
            return line;
        }
        var text = new StringBuilder(line.Length);
        text.Append(line, 0, at);
        var i = at;
        while (i < line.Length)
        {
            if (line[i] != Escape)
            {
                text.Append(line[i++]);
                continue;
            }
            i++;
            if (i >= line.Length)
            {
                break;
            }
            switch (line[i])
            {
                case '[':
                    // CSI: parameter and intermediate bytes (0x20–0x3F), then one final byte (0x40–0x7E).
                    i++;
                    while (i < line.Length && line[i] is >= ' ' and <= '?')
                    {
                        i++;
                    }
                    if (i < line.Length && line[i] is >= '@' and <= '~')
                    {
                        i++;
                    }
                    break;
                case ']':
                    // OSC: up to BEL or ST (ESC \).
                    i++;
                    while (i < line.Length && line[i] != Bell && !(line[i] == Escape && i + 1 < line.Length && line[i + 1] == '\\'))
                    {
                        i++;
                    }
                    i += i < line.Length && line[i] == Bell ? 1 : 2;
                    break;
                default:
                    // Any other escape: intermediate bytes (0x20–0x2F, as in ESC ( B), then one final byte.
                    while (i < line.Length && line[i] is >= ' ' and <= '/')
                    {
                        i++;
                    }
                    i++;
                    break;
            }
        }
        return text.ToString();
    }
}
