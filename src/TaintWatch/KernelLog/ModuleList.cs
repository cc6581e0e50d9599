using System.Text.RegularExpressions;
using TaintWatch.Kernel;

namespace TaintWatch.KernelLog;

/// <summary>A parsed "Modules linked in:" line with its "[last unloaded: …]"; <see cref="ParseUnloadedTainted"/> reads "Unloaded tainted modules:" (kept on the report).</summary>
public sealed partial record ModuleList(IReadOnlyList<ModuleListEntry> Modules, string? LastUnloaded, string? LastUnloadedLetters, bool CutShort)
{
    /// <summary>More than any kernel loads: past this a list is garbage.</summary>
    public const int MaxModules = 20_000;

    [GeneratedRegex(@"\[last unloaded: (?<name>[^\]\s(]+)(?:\((?<letters>[^)]*)\))?\]", RegexOptions.CultureInvariant)]
    private static partial Regex LastUnloadedPattern();

    /// <summary>Parses the text after "Modules linked in:".</summary>
    public static ModuleList Parse(string text)
    {
        string? lastName = null, lastLetters = null;
        var last = LastUnloadedPattern().Match(text);
        if (last.Success)
        {
            lastName = last.Groups["name"].Value;
            lastLetters = last.Groups["letters"].Success ? last.Groups["letters"].Value : null;
            text = text.Remove(last.Index, last.Length);
        }
        var modules = new List<ModuleListEntry>();
        var cut = false;
        foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (modules.Count >= MaxModules)
            {
                cut = true;
                break;
            }
            if (TryParseToken(token, out var entry))
            {
                modules.Add(entry);
            }
            else
            {
                // "[last unloaded: na" cut mid-name, or garbage: keep what came before, trust nothing after.
                cut = true;
                break;
            }
        }
        return new ModuleList(modules, lastName, lastLetters, cut);
    }

    /// <summary>Parses "Unloaded tainted modules: foo(OE):1 bar(P):2".</summary>
    public static IReadOnlyList<ModuleListEntry> ParseUnloadedTainted(string text)
    {
        var list = new List<ModuleListEntry>();
        foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = token.LastIndexOf(':');
            if (TryParseToken(colon > 0 ? token[..colon] : token, out var entry))
            {
                list.Add(entry);
            }
            if (list.Count >= MaxModules)
            {
                break;
            }
        }
        return list;
    }

    /// <summary>
    /// Whether a line holds only what a module list holds: module tokens and the words of "[last unloaded: …]".
    /// "CPU 1" (the line x86_64 kernels printed after the list until 3.x) is two valid names, so it is named here.
    /// </summary>
    public static bool IsListText(string text)
    {
        var tokens = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0 || (tokens.Length == 2 && tokens[0] == "CPU"))
        {
            return false;
        }
        foreach (var token in tokens)
        {
            var word = token is "[last" or "unloaded:" ? null : token.EndsWith(']') ? token[..^1] : token;
            if (word is not null && !TryParseToken(word, out _))
            {
                return false;
            }
        }
        return true;
    }

    private static bool TryParseToken(string token, out ModuleListEntry entry)
    {
        entry = null!;
        var open = token.IndexOf('(');
        var name = open < 0 ? token : token[..open];
        if (name.Length == 0 || name.Length > ProcModulesParser.MaxNameLength || !name.All(ProcModulesParser.IsNameChar))
        {
            return false;
        }
        var letters = "";
        char? mark = null;
        var unverified = false;
        if (open >= 0)
        {
            var flags = token[open..];
            // RHEL 6 prints the GPG state as a separate "(U)" group after the taint flags.
            if (flags.EndsWith("(U)", StringComparison.Ordinal))
            {
                unverified = true;
                flags = flags[..^3];
            }
            if (flags.Length > 0 && !ProcModulesParser.TryParseFlags(flags, out letters, out mark))
            {
                return false;
            }
        }
        entry = new ModuleListEntry(name, letters, mark, unverified);
        return true;
    }
}
