using System.Text;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.KernelLog;

/// <summary>
/// Golden outputs, as kmod's testsuite keeps them: for every fixture log (tests/fixtures/logs and real-logs) the
/// real `scan-log --json` is compared with tests/golden/scan-log/&lt;folder&gt;/&lt;log&gt;.json (beside the status and
/// metrics goldens: one golden root).
/// After an intended change, regenerate with `UPDATE_GOLDEN=1 dotnet test … --filter ScanLogGolden` and review
/// the diff in git.
/// </summary>
public class ScanLogGoldenTests
{
    private static readonly string GoldenRoot = Path.Combine(Repo.Root, "tests", "golden", "scan-log");

    public static TheoryData<string, string> Logs()
    {
        var data = new TheoryData<string, string>();
        foreach (var folder in new[] { "logs", "real-logs" })
        {
            foreach (var file in Directory.GetFiles(Repo.Fixture(folder)).Where(f => !f.EndsWith(".json", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                data.Add(folder, Path.GetFileName(file));
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Logs))]
    public void Scan_log_json_matches_the_golden_file(string folder, string log)
    {
        var result = Support.Cli.Run("scan-log", "--json", Path.Combine(Repo.Fixture(folder), log));
        Assert.Equal(0, result.ExitCode);
        var golden = Path.Combine(GoldenRoot, folder, log + ".json");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(golden)!);
            File.WriteAllText(golden, result.Stdout);
            return;
        }
        Assert.True(File.Exists(golden), $"{golden} is missing: run the test with UPDATE_GOLDEN=1 and review the new file");
        var diff = Diff(File.ReadAllText(golden), result.Stdout);
        Assert.True(diff is null, $"scan-log --json {folder}/{log} differs from {Path.GetRelativePath(Repo.Root, golden)} (UPDATE_GOLDEN=1 regenerates it):\n{diff}");
    }

    [Fact]
    public void Every_golden_file_belongs_to_a_fixture_log()
    {
        var logs = Logs().Select(row => Path.Combine((string)row[0], (string)row[1] + ".json")).ToHashSet();
        var goldens = Directory.GetFiles(GoldenRoot, "*.json", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(GoldenRoot, f));
        Assert.DoesNotContain(goldens, g => !logs.Contains(g));
    }

    /// <summary>The first differing lines with three lines of context, "-" expected and "+" actual; null when equal.</summary>
    private static string? Diff(string expected, string actual)
    {
        var want = expected.Split('\n');
        var got = actual.Split('\n');
        var first = 0;
        while (first < want.Length && first < got.Length && want[first] == got[first])
        {
            first++;
        }
        if (first == want.Length && first == got.Length)
        {
            return null;
        }
        var text = new StringBuilder();
        for (var i = Math.Max(0, first - 3); i < first; i++)
        {
            text.AppendLine($"  {i + 1,5}  {want[i]}");
        }
        for (var i = first; i < Math.Min(want.Length, first + 8); i++)
        {
            text.AppendLine($"- {i + 1,5}  {want[i]}");
        }
        for (var i = first; i < Math.Min(got.Length, first + 8); i++)
        {
            text.AppendLine($"+ {i + 1,5}  {got[i]}");
        }
        return text.ToString();
    }
}
