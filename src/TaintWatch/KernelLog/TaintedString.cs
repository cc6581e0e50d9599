using System.Text.RegularExpressions;
using TaintWatch.Kernel;

namespace TaintWatch.KernelLog;

/// <summary>A taint state read from log text: the mask, the table it was decoded with, and how it was found.</summary>
public sealed record TaintReading(ulong Mask, TaintTable Table, string Text, string How)
{
    public IReadOnlyList<TaintFlag> Flags => Table.Decode(Mask);
}

/// <summary>
/// Decodes "Tainted:" strings of every era: positional ("Tainted: P           OE  ------------ T"), whose
/// width and dash pattern tell the table when no release is printed; "Not tainted"; and the verbose
/// "Tainted: [W]=WARN, [O]=OOT_MODULE" line of 6.10+ kernels.
/// </summary>
public static partial class TaintedString
{
    private const int MaxLetters = 64;

    // A kernel release right after the positional string: "3.10.0-1160.21.1.el7.x86_64", "6.1.0-56-amd64", "6.17.0-rc1-g…".
    [GeneratedRegex(@" (?<release>\d+\.\d+(?:\.\d+)*(?:-[\w.+~-]+)?)(?: |$)", RegexOptions.CultureInvariant)]
    private static partial Regex ReleaseAfter();

    [GeneratedRegex(@"\[(?<c>.)\]=(?<name>[A-Z0-9_]+)", RegexOptions.CultureInvariant)]
    private static partial Regex VerboseEntry();

    /// <summary>Finds and decodes the taint in a line that contains "Tainted:" or "Not tainted".</summary>
    /// <param name="line">Kernel message text (prefix stripped).</param>
    /// <param name="preferred">A table already known for this log (from a release seen earlier), or null.</param>
    public static TaintReading? Parse(string line, TaintTable? preferred, out string? release)
    {
        release = null;
        var notTainted = line.IndexOf("Not tainted", StringComparison.Ordinal);
        var tainted = line.IndexOf("Tainted: ", StringComparison.Ordinal);
        if (notTainted >= 0 && (tainted < 0 || notTainted < tainted))
        {
            var after = line[(notTainted + "Not tainted".Length)..];
            release = ReleaseAfter().Match(after) is { Success: true } m ? m.Groups["release"].Value : null;
            var table = release is not null ? TaintTableSelector.Select(release).Table : preferred ?? TaintTables.Upstream20;
            return new TaintReading(0, table, "Not tainted", "Not tainted");
        }
        if (tainted < 0)
        {
            return null;
        }
        var rest = line[(tainted + "Tainted: ".Length)..];
        if (rest.StartsWith('['))
        {
            return ParseVerbose(rest, preferred);
        }
        // The positional field ends where the release begins, at ')' in RHEL 6's "(Tainted: …)", or at the first
        // character no table prints (a masked release such as "<KERNEL_VERSION>").
        var releaseMatch = ReleaseAfter().Match(rest);
        var paren = rest.IndexOf(')');
        var foreign = 0;
        while (foreign < rest.Length && (char.IsAsciiLetter(rest[foreign]) || rest[foreign] is ' ' or '-'))
        {
            foreign++;
        }
        var end = Math.Min(foreign, releaseMatch.Success ? releaseMatch.Index : paren >= 0 ? paren : rest.Length);
        var positional = rest[..end];
        if (!releaseMatch.Success && paren < 0)
        {
            positional = positional.TrimEnd();
        }
        release = releaseMatch.Success ? releaseMatch.Groups["release"].Value : null;
        var candidates = new List<TaintTable>();
        if (release is not null)
        {
            candidates.Add(TaintTableSelector.Select(release).Table);
        }
        if (preferred is not null)
        {
            candidates.Add(preferred);
        }
        candidates.AddRange(TaintTables.All);
        candidates.AddRange(Enumerable.Range(6, 14).Select(TaintTables.UpstreamWithWidth));
        foreach (var table in candidates)
        {
            if (TryDecodePositional(positional, table, out var mask))
            {
                return new TaintReading(mask, table, "Tainted: " + positional, release is not null && table == candidates[0] ? $"positional, table from release {release}" : "positional, table from the string's width and pattern");
            }
        }
        // Trailing spaces may have been trimmed by a log tool: pad to each table's width and retry.
        foreach (var table in candidates)
        {
            var width = table.FormatTaintedString(1).Length - "Tainted: ".Length;
            if (positional.Length < width && TryDecodePositional(positional.PadRight(width), table, out var mask))
            {
                return new TaintReading(mask, table, "Tainted: " + positional, "positional (trailing spaces restored)");
            }
        }
        return DecodeLetters(positional, candidates);
    }

    /// <summary>Reads the letters abrt prints ("kernel has been tainted (flags:POE)") against the log's table, else upstream's.</summary>
    public static TaintReading? FromLetters(string letters, TaintTable? preferred)
    {
        var candidates = new List<TaintTable>();
        if (preferred is not null)
        {
            candidates.Add(preferred);
        }
        candidates.Add(TaintTables.Upstream20);
        return DecodeLetters(letters, candidates) is { } reading ? reading with { Text = "flags:" + letters, How = "letters (abrt summary)" } : null;
    }

    /// <summary>
    /// A string whose spacing was lost (squeezed by a tool or a mail client: "G W --------------") cannot be read by
    /// position; its letters still name flags in the log's family. At least one letter, each one the set mark of a
    /// flag in the same table, or nothing is claimed.
    /// </summary>
    private static TaintReading? DecodeLetters(string positional, List<TaintTable> candidates)
    {
        var letters = positional.Where(char.IsAsciiLetter).ToArray();
        // No family prints more than ~40 flags: a longer run of letters is not a taint string.
        if (letters.Length > MaxLetters)
        {
            return null;
        }
        foreach (var table in candidates)
        {
            var unset = table.Find(0)?.UnsetChar;
            ulong mask = 0;
            var all = letters.Length > 0;
            foreach (var c in letters)
            {
                if (c == unset)
                {
                    continue;
                }
                var flag = table.Flags.FirstOrDefault(f => f.SetChar == c && !f.IsPlaceholder);
                if (flag is null)
                {
                    all = false;
                    break;
                }
                mask |= flag.Mask;
            }
            if (all && mask != 0)
            {
                return new TaintReading(mask, table, "Tainted: " + positional, "letters (spacing not as printed)");
            }
        }
        return null;
    }

    /// <summary>Decodes a positional string against a table: every character must be that position's set or unset mark.</summary>
    public static bool TryDecodePositional(string positional, TaintTable table, out ulong mask)
    {
        mask = 0;
        var expected = table.FormatTaintedString(1);
        if (expected.Length - "Tainted: ".Length != positional.Length)
        {
            return false;
        }
        for (var i = 0; i < positional.Length; i++)
        {
            var bit = table.PrintedBits.Count > i ? table.PrintedBits[i] : -1;
            if (bit < 0)
            {
                // RHEL 5's fixed dashes after the six flags.
                if (positional[i] != '-')
                {
                    return false;
                }
                continue;
            }
            var flag = table.Find(bit);
            var setChar = flag?.SetChar ?? '?';
            var unsetChar = flag?.UnsetChar ?? '-';
            var c = positional[i];
            if (c == setChar && c != unsetChar)
            {
                mask |= 1UL << bit;
            }
            else if (c != unsetChar)
            {
                return false;
            }
        }
        return true;
    }

    private static TaintReading? ParseVerbose(string rest, TaintTable? preferred)
    {
        var table = preferred ?? TaintTables.Upstream20;
        ulong mask = 0;
        foreach (Match entry in VerboseEntry().Matches(rest))
        {
            var name = entry.Groups["name"].Value;
            var flag = table.Flags.FirstOrDefault(f => f.Name == name)
                ?? TaintTables.Upstream20.Flags.FirstOrDefault(f => f.Name == name);
            if (flag is null)
            {
                continue;
            }
            mask |= flag.Mask;
        }
        return mask == 0 ? null : new TaintReading(mask, table, "Tainted: " + rest.TrimEnd(), "verbose");
    }
}
