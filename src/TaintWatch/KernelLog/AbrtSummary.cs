using TaintWatch.Kernel;

namespace TaintWatch.KernelLog;

/// <summary>
/// What abrt prints instead of a kernel line when it refuses to report a tainted oops: "A kernel problem occurred,
/// but your kernel has been tainted (flags:POE). …", then "Tainted modules: a,b,c." on the same line as "Kernel
/// maintainers are unable to diagnose tainted reports." or wrapped onto the next one.
/// </summary>
public static class AbrtSummary
{
    public const string Header = "A kernel problem occurred, but your kernel has been tainted (flags:";

    private const string ModulesLabel = "Tainted modules:";

    /// <summary>The taint the summary's letters name, read with the log's table (else upstream's); null if unreadable.</summary>
    public static TaintReading? ReadFlags(string header, TaintTable? table)
    {
        var start = header.IndexOf("(flags:", StringComparison.Ordinal) + "(flags:".Length;
        var end = header.IndexOf(')', start);
        if (end < 0 || end - start > 64)
        {
            return null;
        }
        return TaintedString.FromLetters(header[start..end], table);
    }

    /// <summary>True when the line carries "Tainted modules:"; <paramref name="list"/> is the text after it (empty when wrapped).</summary>
    public static bool TryFindModules(string text, out string list)
    {
        var at = text.IndexOf(ModulesLabel, StringComparison.Ordinal);
        list = at < 0 ? "" : text[(at + ModulesLabel.Length)..].Trim();
        return at >= 0;
    }

    /// <summary>Parses "8821ce,nvidia_drm,nvidia." into module entries; null if the text is not such a list.</summary>
    public static ModuleList? ParseModules(string text)
    {
        var names = text.TrimEnd('.', ' ').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0 || names.Length > ModuleList.MaxModules || !names.All(n => n.Length <= ProcModulesParser.MaxNameLength && n.All(ProcModulesParser.IsNameChar)))
        {
            return null;
        }
        return new ModuleList([.. names.Select(n => new ModuleListEntry(n, "", null, false))], null, null, false);
    }
}
