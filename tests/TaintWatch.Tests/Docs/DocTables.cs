using System.Text.RegularExpressions;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Docs;

/// <summary>Reads the tables of docs/*.md: each row's cells, and the `code` names in a cell.</summary>
public static partial class DocTables
{
    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Repo.Root, "docs", relativePath));

    /// <summary>Rows of every table in the text (header and separator rows left out), as trimmed cells.</summary>
    public static List<string[]> Rows(string markdown) =>
        markdown.Split('\n')
            .Where(l => l.StartsWith('|') && !l.StartsWith("|---", StringComparison.Ordinal))
            .Select(l => SplitCells(l.Trim()))
            .Where(cells => cells.Length > 0 && cells[0].Contains('`', StringComparison.Ordinal) || cells.Length > 0 && char.IsAsciiDigit(cells[0].FirstOrDefault()))
            .ToList();

    /// <summary>The `code` spans of a cell, in order.</summary>
    public static List<string> Codes(string cell) => CodeSpan().Matches(cell).Select(m => m.Groups[1].Value).ToList();

    /// <summary>The text of each "## heading" section, by heading.</summary>
    public static Dictionary<string, string> Sections(string markdown)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in Regex.Split(markdown, @"^## ", RegexOptions.Multiline).Skip(1))
        {
            var newline = part.IndexOf('\n', StringComparison.Ordinal);
            sections[part[..newline].Trim()] = part[newline..];
        }
        return sections;
    }

    private static string[] SplitCells(string line)
    {
        // "\|" inside a cell is a literal bar.
        var cells = Regex.Split(line.Trim('|'), @"(?<!\\)\|");
        return cells.Select(c => c.Trim()).ToArray();
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();
}
