using System.Text.RegularExpressions;

namespace TaintWatch.KernelLog;

/// <summary>
/// Strips the prefixes that log tools put before kernel messages: dmesg "[   14.463869] ", "&lt;4&gt;" levels,
/// syslog and journalctl "Mon DD HH:MM:SS host kernel: ", RFC 3339 rsyslog, grep's "file:" and RHEL 6's
/// "[BRRAAIIIINNNSSSSS!] ". What is left is the message the kernel printed.
/// </summary>
public static partial class LogPrefix
{
    // "Jan  2 03:04:05 host kernel: " / "Jan 02 03:04:05 kernel: " (journalctl without host) / "… kernel[0]: ".
    [GeneratedRegex(@"^(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?) (?:\S+ )?kernel(?:\[\d+\])?: ", RegexOptions.CultureInvariant)]
    private static partial Regex SyslogPrefix();

    // "[   14.463869] " or "[1560475.896997] " (dmesg, vmcore-dmesg, crash's log).
    [GeneratedRegex(@"^\[ *\d+\.\d+\] ?", RegexOptions.CultureInvariant)]
    private static partial Regex DmesgTimestamp();

    // grep -H output: "var/log/dmesg.kernel:[   14.455500] …" — a path then a dmesg timestamp.
    [GeneratedRegex(@"^[\w./-]+:(?=\[ *\d+\.\d+\])", RegexOptions.CultureInvariant)]
    private static partial Regex GrepFileName();

    private const string Zombie = "[BRRAAIIIINNNSSSSS!] ";

    /// <summary>The kernel's message with every known prefix removed; <paramref name="hadPrefix"/> tells whether one was.</summary>
    public static string Strip(string line, out bool hadPrefix)
    {
        var text = line;
        hadPrefix = false;
        if (text.Length == 0)
        {
            return text;
        }
        var first = text[0];
        if (char.IsAsciiLetterUpper(first) || char.IsAsciiDigit(first))
        {
            var syslog = SyslogPrefix().Match(text);
            if (syslog.Success)
            {
                text = text[syslog.Length..];
                hadPrefix = true;
            }
        }
        if (text.Length > 0 && char.IsAsciiLetterOrDigit(text[0]) && text.Contains(":[", StringComparison.Ordinal))
        {
            var grep = GrepFileName().Match(text);
            if (grep.Success)
            {
                text = text[grep.Length..];
            }
        }
        // "<4>" level, possibly before a timestamp ("<4>[ 1.0] ").
        if (text.Length >= 3 && text[0] == '<' && char.IsAsciiDigit(text[1]))
        {
            var close = text.IndexOf('>', 1);
            if (close is > 1 and <= 4)
            {
                text = text[(close + 1)..];
                hadPrefix = true;
            }
        }
        if (text.Length > 0 && text[0] == '[')
        {
            var stamp = DmesgTimestamp().Match(text);
            if (stamp.Success)
            {
                text = text[stamp.Length..];
                hadPrefix = true;
            }
        }
        if (text.StartsWith(Zombie, StringComparison.Ordinal))
        {
            text = text[Zombie.Length..];
        }
        return text;
    }
}
