using System.Text.RegularExpressions;

namespace TaintWatch.KernelLog;

/// <summary>
/// Strips the prefixes that log tools put before kernel messages: dmesg "[   14.463869] " and dmesg -T
/// "[Tue Jul 20 13:17:28 2021] ", "&lt;4&gt;" levels, /dev/kmsg records ("6,339,5140900,-;"), syslog and
/// journalctl "Mon DD HH:MM:SS host kernel: " in any locale, RFC 3339 rsyslog, serial loggers that print the
/// kmsg flag after an RFC 3339 time, journalctl -o short-monotonic's "[ t] kernel: ", grep's "file:", RHEL 6's
/// "[BRRAAIIIINNNSSSSS!] ", and the backtick or "&gt; " a paste in Markdown or mail adds. What is left is the
/// message the kernel printed, with the leading space of a printk continuation record kept.
/// </summary>
public static partial class LogPrefix
{
    // "Jan  2 03:04:05 host kernel: ", "июл 27 14:08:04 host kernel: " (any locale's month), "… kernel[0]: ",
    // RFC 3339, journalctl -o short-full ("Tue 2024-05-14 10:30:02 CEST host kernel: ") and -o short-unix.
    [GeneratedRegex(@"^(?:\p{L}{2,5}\.? [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|(?:\p{L}{2,4} )?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d| [A-Z]{2,5})?|\d{9,10}\.\d+) (?:\S+ )?kernel(?:\[\d+\])?: ", RegexOptions.CultureInvariant)]
    private static partial Regex SyslogPrefix();

    // After a stamp: journalctl -o short-monotonic's "host kernel: " (or "kernel: ", or "kernel[0]: " as in syslog).
    [GeneratedRegex(@"^(?:[\w.-]+ )?kernel(?:\[\d+\])?: ", RegexOptions.CultureInvariant)]
    private static partial Regex KernelAfterStamp();

    // A serial or kmsg logger: "2025-08-31T23:42:06Z - " or "… c " (the /dev/kmsg flag: '-' a record, 'c' a continuation).
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? [-c+] ", RegexOptions.CultureInvariant)]
    private static partial Regex KmsgFlagPrefix();

    // A raw /dev/kmsg record: "6,339,5140900,-;" or "4,12,34,c,caller=T1;".
    [GeneratedRegex(@"^\d{1,3},\d+,\d+,[-c+][^;]{0,40};", RegexOptions.CultureInvariant)]
    private static partial Regex KmsgRecord();

    // dmesg -T: "[Tue Jul 20 13:17:28 2021] ".
    [GeneratedRegex(@"^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\] ?", RegexOptions.CultureInvariant)]
    private static partial Regex DmesgHumanTime();

    // grep -H output: "var/log/dmesg.kernel:[   14.455500] …" — a path then a dmesg timestamp.
    [GeneratedRegex(@"^[\w./-]+:(?=\[ *\d+\.\d+\])", RegexOptions.CultureInvariant)]
    private static partial Regex GrepFileName();

    private const string Zombie = "[BRRAAIIIINNNSSSSS!] ";
    private const string Kernel = "kernel: ";

    /// <summary>The kernel's message with every known prefix removed; <paramref name="hadPrefix"/> tells whether one was.</summary>
    public static string Strip(string line, out bool hadPrefix)
    {
        var text = line;
        hadPrefix = false;
        if (text.Length == 0)
        {
            return text;
        }
        text = StripPasteMarks(text);
        if (text.Length == 0)
        {
            return text;
        }
        var first = text[0];
        if (char.IsLetterOrDigit(first))
        {
            var syslog = SyslogPrefix().Match(text);
            if (!syslog.Success && char.IsAsciiDigit(first))
            {
                syslog = KmsgFlagPrefix().Match(text);
                if (!syslog.Success)
                {
                    syslog = KmsgRecord().Match(text);
                }
            }
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
        var stamped = text.Length > 0 && text[0] == '[';
        text = StripStamp(text, ref hadPrefix);
        // journalctl -o short-monotonic ("[ 372.6] host kernel: …") and syslog lines without a time ("kernel: [ 7.5] …").
        if (text.StartsWith(Kernel, StringComparison.Ordinal))
        {
            text = StripStamp(text[Kernel.Length..], ref hadPrefix);
            hadPrefix = true;
        }
        else if (stamped && hadPrefix && text.Length > 0 && char.IsAsciiLetterOrDigit(text[0]) && text.Contains("kernel", StringComparison.Ordinal)
            && KernelAfterStamp().Match(text) is { Success: true } host)
        {
            text = text[host.Length..];
        }
        text = StripCaller(text);
        if (text.StartsWith(Zombie, StringComparison.Ordinal))
        {
            text = text[Zombie.Length..];
        }
        return text;
    }

    /// <summary>
    /// Where a second record begins inside a line (a dmesg stamp not at the start): two records glued by an
    /// 80-column console or interleaved test output ("** 93 printk messages dropped ** [ 322.96] BUG: …"); -1 if none.
    /// </summary>
    public static int GluedRecordStart(string line)
    {
        var at = 0;
        while (at + 1 < line.Length && (at = line.IndexOf('[', at + 1)) > 0)
        {
            if (IsDmesgStamp(line, at))
            {
                return at;
            }
        }
        return -1;
    }

    private static string StripStamp(string text, ref bool hadPrefix)
    {
        if (text.Length > 0 && text[0] == '[')
        {
            // Most lines of a dmesg start with its stamp: read it by hand, without a regex match.
            var end = StampEnd(text, 0, anyFraction: true);
            if (end > 0)
            {
                hadPrefix = true;
                return text[(end < text.Length && text[end] == ' ' ? end + 1 : end)..];
            }
            var human = DmesgHumanTime().Match(text);
            if (human.Success)
            {
                hadPrefix = true;
                return text[human.Length..];
            }
        }
        return text;
    }

    /// <summary>Indentation, Markdown's backticks and mail's "&gt; " quoting, which a paste puts before the first character.</summary>
    private static string StripPasteMarks(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var c = text[start];
            if (c is ' ' or '\t' or '`')
            {
                start++;
            }
            else if (c == '>' && start + 1 < text.Length && text[start + 1] == ' ')
            {
                start += 2;
            }
            else
            {
                break;
            }
        }
        return start == 0 ? text : text[start..];
    }

    /// <summary>CONFIG_PRINTK_CALLER's "[  T1234] " or "[    C1] " after the stamp.</summary>
    private static string StripCaller(string text)
    {
        if (text.Length < 4 || text[0] != '[')
        {
            return text;
        }
        var i = 1;
        while (i < text.Length && text[i] == ' ')
        {
            i++;
        }
        if (i >= text.Length || text[i] is not ('T' or 'C'))
        {
            return text;
        }
        var digits = ++i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }
        if (i == digits || i >= text.Length || text[i] != ']')
        {
            return text;
        }
        i++;
        return text[(i < text.Length && text[i] == ' ' ? i + 1 : i)..];
    }

    /// <summary>"[", optional spaces, digits, ".", six digits, "]": checked by hand because it runs on every '[' of every line.</summary>
    private static bool IsDmesgStamp(string line, int at) => StampEnd(line, at, anyFraction: false) > 0;

    /// <summary>The index after the "]" of a dmesg stamp at <paramref name="at"/>, or -1.</summary>
    private static int StampEnd(string line, int at, bool anyFraction)
    {
        var i = at + 1;
        while (i < line.Length && line[i] == ' ')
        {
            i++;
        }
        var digits = i;
        while (i < line.Length && char.IsAsciiDigit(line[i]))
        {
            i++;
        }
        if (i == digits || i >= line.Length || line[i] != '.')
        {
            return -1;
        }
        var fraction = ++i;
        while (i < line.Length && char.IsAsciiDigit(line[i]))
        {
            i++;
        }
        var ok = (anyFraction ? i > fraction : i - fraction == 6) && i < line.Length && line[i] == ']';
        return ok ? i + 1 : -1;
    }
}
