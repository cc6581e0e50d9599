using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace TaintWatch.Tests.Support;

/// <summary>
/// Golden files under tests/golden/, as kmod's testsuite and node_exporter's e2e keep them: an output is compared
/// with the file whole, a difference fails with a unified diff, and UPDATE_GOLDEN=1 rewrites the files instead
/// (review the change with git diff, then commit it). Shared by every golden test (status, metrics, scan-log).
/// </summary>
public static class Golden
{
    public static string Directory { get; } = Path.Combine(Repo.Root, "tests", "golden");

    public static bool Updating => Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1";

    /// <summary>Compares <paramref name="actual"/> with tests/golden/<paramref name="relativePath"/>, or rewrites the file under UPDATE_GOLDEN=1.</summary>
    public static void Assert(string relativePath, string actual)
    {
        if (Updating)
        {
            var path = Path.Combine(Directory, relativePath);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual.ReplaceLineEndings("\n"), new UTF8Encoding(false));
            return;
        }
        if (Difference(relativePath, actual) is { } difference)
        {
            Xunit.Assert.Fail(difference);
        }
    }

    /// <summary>Why <paramref name="actual"/> is not the golden file (with a diff), or null when it is; never writes.</summary>
    public static string? Difference(string relativePath, string actual)
    {
        var path = Path.Combine(Directory, relativePath);
        actual = actual.ReplaceLineEndings("\n");
        if (!File.Exists(path))
        {
            return $"golden file tests/golden/{relativePath} does not exist; create it with UPDATE_GOLDEN=1 dotnet test … and review it";
        }
        var expected = File.ReadAllText(path);
        return expected == actual ? null
            : $"output differs from tests/golden/{relativePath} (- golden, + actual); if the change is intended, run with UPDATE_GOLDEN=1 and commit the files:\n{UnifiedDiff(expected, actual)}";
    }

    /// <summary>A unified diff (3 lines of context) of two texts, for people.</summary>
    public static string UnifiedDiff(string expected, string actual, int context = 3)
    {
        var lines = InlineDiffBuilder.Diff(expected, actual, ignoreWhiteSpace: false).Lines;
        var changed = lines.Select((l, i) => (l, i)).Where(x => x.l.Type is ChangeType.Inserted or ChangeType.Deleted).Select(x => x.i).ToList();
        var text = new StringBuilder();
        var shownUpTo = -1;
        foreach (var index in changed)
        {
            var from = Math.Max(index - context, shownUpTo + 1);
            var to = Math.Min(index + context, lines.Count - 1);
            if (from > shownUpTo + 1)
            {
                text.Append("@@ line ").Append(lines[from].Position ?? from + 1).Append(" @@\n");
            }
            for (var i = from; i <= to; i++)
            {
                var prefix = lines[i].Type switch { ChangeType.Inserted => '+', ChangeType.Deleted => '-', _ => ' ' };
                text.Append(prefix).Append(lines[i].Text).Append('\n');
            }
            shownUpTo = Math.Max(shownUpTo, to);
        }
        return text.ToString();
    }
}
