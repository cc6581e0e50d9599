using System.Text.RegularExpressions;
using TaintWatch.Tests.Support;
using Process = TaintWatch.Tests.Support.Cli;

namespace TaintWatch.Tests.Docs;

/// <summary>
/// tests/golden/&lt;host&gt;/{status.txt,status.json,metrics.prom} for every fixture host: what the contract looks
/// like on a real host, compared whole. Regenerate with UPDATE_GOLDEN=1 (see README, Tests).
/// </summary>
public sealed partial class GoldenOutputTests
{
    public static readonly TheoryData<string> Hosts = new(JsonSchemaTests.FixtureHosts());

    /// <summary>The fixture's absolute path, which differs per checkout, as $FIXTURE.</summary>
    private static string MaskPaths(string text, string host) =>
        text.Replace(Repo.Fixture(host), "$FIXTURE", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Status_text_and_json_match_the_golden_files(string host)
    {
        var text = Process.Run(["status", .. Process.FixtureArgs(host)]);
        var json = Process.Run(["status", "--json", .. Process.FixtureArgs(host)]);
        Assert.Equal(text.ExitCode, json.ExitCode);
        Golden.Assert($"{host}/status.txt", MaskPaths(text.Stdout, host) + $"# exit code {text.ExitCode}\n");
        Golden.Assert($"{host}/status.json", MaskPaths(json.Stdout, host));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Metrics_after_the_first_poll_match_the_golden_file(string host)
    {
        var exposition = await DaemonMetrics.ExpositionAsync(DaemonMetrics.FirstPoll(host));
        Golden.Assert($"{host}/metrics.prom", MaskMetrics(MaskPaths(exposition, host)));
    }

    /// <summary>Values that depend on the build and the clock: build info, timestamps, durations.</summary>
    public static string MaskMetrics(string exposition)
    {
        var masked = BuildInfo().Replace(exposition, "taintwatch_build_info{version=\"$VERSION\",revision=\"$REVISION\",runtime=\"$RUNTIME\"}");
        masked = TimestampValue().Replace(masked, "$1 $$TIMESTAMP");
        return DurationValue().Replace(masked, "$1 $$DURATION");
    }

    [Fact]
    public void A_difference_fails_with_a_unified_diff_naming_the_golden_file()
    {
        var diff = Golden.UnifiedDiff("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nE\nf\ng\nh\n");
        Assert.Equal("@@ line 2 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n", diff);
        var failure = Golden.Difference("rhel86/status.txt", "not the report\n");
        Assert.NotNull(failure);
        Assert.Contains("tests/golden/rhel86/status.txt", failure, StringComparison.Ordinal);
        Assert.Contains("+not the report", failure, StringComparison.Ordinal);
        Assert.Contains("-VERDICT: ", failure, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"taintwatch_build_info\{[^}]*\}")]
    private static partial Regex BuildInfo();

    [GeneratedRegex(@"^(taintwatch_\w*timestamp_seconds(?:\{[^}]*\})?) \S+$", RegexOptions.Multiline)]
    private static partial Regex TimestampValue();

    [GeneratedRegex(@"^(taintwatch_poll_duration_seconds_(?:sum|bucket)(?:\{[^}]*\})?) \S+$", RegexOptions.Multiline)]
    private static partial Regex DurationValue();
}
