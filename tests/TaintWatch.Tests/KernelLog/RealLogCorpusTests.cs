using System.Text;
using System.Text.Json;
using TaintWatch.Tests.Support;
using Xunit.Abstractions;

namespace TaintWatch.Tests.KernelLog;

/// <summary>
/// Scores the real `scan-log --json` against tests/fixtures/real-logs/manifest.json: 108 kernel logs pasted in
/// public bug trackers and test suites, each with an answer key written by reading the log. Reports are matched
/// in order by kind; for each matched report its taint letters and every module of its list (name, flags,
/// state, RHEL 6 "(U)") are compared; module load/status events are matched by kind and module.
/// </summary>
public class RealLogCorpusTests(ITestOutputHelper output)
{
    private static readonly string Folder = Repo.Fixture("real-logs");

    private sealed record Score(int Reports, int ReportsFound, int Extra, int Taints, int TaintsRight, int Modules, int ModulesRight, int Events, int EventsFound, List<string> Misses);

    [Fact]
    public void Scan_log_finds_every_report_and_at_least_98_percent_of_modules_and_flags_in_over_100_real_logs()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "manifest.json")));
        var logs = manifest.RootElement.GetProperty("logs").EnumerateArray().ToList();
        Assert.True(logs.Count >= 100, $"the corpus has {logs.Count} logs, fewer than 100");
        var total = new Score(0, 0, 0, 0, 0, 0, 0, 0, 0, []);
        foreach (var log in logs)
        {
            var file = log.GetProperty("file").GetString()!;
            Assert.StartsWith("https://", log.GetProperty("source").GetString());
            var result = Support.Cli.Run("scan-log", "--json", Path.Combine(Folder, file));
            Assert.True(result.ExitCode == 0, $"{file}: exit {result.ExitCode}: {result.Stderr}");
            using var scanned = JsonDocument.Parse(result.Stdout);
            total = Add(total, ScoreLog(file, log, scanned.RootElement));
        }
        foreach (var miss in total.Misses)
        {
            output.WriteLine(miss);
        }
        var modules = 100.0 * total.ModulesRight / total.Modules;
        output.WriteLine($"{logs.Count} logs: reports {total.ReportsFound}/{total.Reports} found, {total.Extra} extra; taint {total.TaintsRight}/{total.Taints}; " +
            $"modules+flags {total.ModulesRight}/{total.Modules} = {modules:F2}%; events {total.EventsFound}/{total.Events}");
        Assert.Equal(total.Reports, total.ReportsFound);
        Assert.Equal(0, total.Extra);
        Assert.Equal(total.Events, total.EventsFound);
        Assert.Equal(total.Taints, total.TaintsRight);
        Assert.True(modules >= 98.0, $"modules+flags {modules:F2}% < 98%");
    }

    private static Score ScoreLog(string file, JsonElement key, JsonElement scan)
    {
        var misses = new List<string>();
        var found = scan.GetProperty("reports").EnumerateArray().ToList();
        int reports = 0, reportsFound = 0, taints = 0, taintsRight = 0, modules = 0, modulesRight = 0, next = 0;
        foreach (var expected in key.GetProperty("reports").EnumerateArray())
        {
            reports++;
            var kind = expected.GetProperty("kind").GetString();
            var at = found.FindIndex(next, r => r.GetProperty("kind").GetString() == kind);
            var keyModules = expected.GetProperty("modules").EnumerateArray().Select(m => m.GetString()!).ToList();
            modules += keyModules.Count;
            var keyTaint = expected.GetProperty("taint");
            var checksTaint = keyTaint.ValueKind == JsonValueKind.Null || keyTaint.GetString() != "?";
            taints += checksTaint ? 1 : 0;
            if (at < 0)
            {
                misses.Add($"{file}: {kind} report not found");
                continue;
            }
            reportsFound++;
            next = at + 1;
            var report = found[at];
            var letters = Letters(report);
            var wanted = keyTaint.ValueKind == JsonValueKind.Null ? null : Sorted(keyTaint.GetString()!);
            if (checksTaint && letters == wanted)
            {
                taintsRight++;
            }
            else if (checksTaint)
            {
                misses.Add($"{file}: {kind} taint {letters ?? "(none)"}, key says {wanted ?? "(none)"}");
            }
            var got = report.GetProperty("modules").EnumerateArray().Select(Format).ToList();
            foreach (var m in keyModules)
            {
                if (got.Remove(m))
                {
                    modulesRight++;
                }
                else
                {
                    misses.Add($"{file}: {kind} module {m} missing");
                }
            }
            // A module scan-log invents is as wrong as one it misses.
            modulesRight -= got.Count;
            misses.AddRange(got.Select(m => $"{file}: {kind} module {m} not in the log"));
        }
        var extra = found.Count - reportsFound;
        if (extra > 0)
        {
            misses.Add($"{file}: {extra} reports not in the key ({string.Join(", ", found.Select(r => r.GetProperty("kind").GetString()))})");
        }
        var events = scan.GetProperty("module_events").EnumerateArray().Select(e => $"{e.GetProperty("event").GetString()} {e.GetProperty("module").GetString()}").ToList();
        int keyEvents = 0, eventsFound = 0;
        foreach (var e in key.GetProperty("events").EnumerateArray())
        {
            keyEvents++;
            var text = $"{e.GetProperty("event").GetString()} {e.GetProperty("module").GetString()}";
            if (events.Remove(text))
            {
                eventsFound++;
            }
            else
            {
                misses.Add($"{file}: event {text} not found");
            }
        }
        return new Score(reports, reportsFound, Math.Max(0, extra), taints, taintsRight, modules, modulesRight, keyEvents, eventsFound, misses);
    }

    /// <summary>The set flags' letters, sorted; null when the report printed no taint.</summary>
    private static string? Letters(JsonElement report)
    {
        var taint = report.GetProperty("taint");
        return taint.ValueKind == JsonValueKind.Null ? null
            : Sorted(string.Concat(taint.GetProperty("flags").EnumerateArray().Select(f => f.GetProperty("flag").GetString())));
    }

    private static string Sorted(string letters) => string.Concat(letters.Where(c => c != 'G').Order());

    /// <summary>A module as the kernel prints it: "name(LETTERS+)(U)".</summary>
    private static string Format(JsonElement m)
    {
        var text = new StringBuilder(m.GetProperty("name").GetString());
        var flags = m.GetProperty("flags").GetString() + (m.GetProperty("state").GetString() ?? "");
        if (flags.Length > 0)
        {
            text.Append('(').Append(flags).Append(')');
        }
        if (m.GetProperty("unverified").GetBoolean())
        {
            text.Append("(U)");
        }
        return text.ToString();
    }

    private static Score Add(Score a, Score b) => new(a.Reports + b.Reports, a.ReportsFound + b.ReportsFound, a.Extra + b.Extra, a.Taints + b.Taints, a.TaintsRight + b.TaintsRight,
        a.Modules + b.Modules, a.ModulesRight + b.ModulesRight, a.Events + b.Events, a.EventsFound + b.EventsFound, [.. a.Misses, .. b.Misses]);
}
