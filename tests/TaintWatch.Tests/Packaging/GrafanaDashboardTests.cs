using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TaintWatch.Baseline;
using TaintWatch.Kernel;
using TaintWatch.Metrics;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Packaging;

/// <summary>packaging/grafana/taintwatch-fleet.json: every query parses (promtool) and uses only metrics TaintWatch exports.</summary>
public sealed class GrafanaDashboardTests
{
    private static readonly string DashboardPath = Path.Combine(Repo.Root, "packaging", "grafana", "taintwatch-fleet.json");

    private static JsonElement Dashboard()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(DashboardPath));
        return doc.RootElement.Clone();
    }

    /// <summary>Every PromQL expression: panel targets, and the selectors inside the variables' label_values().</summary>
    private static List<string> Queries()
    {
        var root = Dashboard();
        var queries = root.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!))
            .ToList();
        foreach (var variable in root.GetProperty("templating").GetProperty("list").EnumerateArray().Where(v => v.GetProperty("type").GetString() == "query"))
        {
            var definition = variable.GetProperty("definition").GetString()!;
            queries.Add(Regex.Match(definition, @"^label_values\((.+),\s*\w+\)$").Groups[1].Value);
        }
        return queries;
    }

    /// <summary>Grafana's variables as Prometheus would receive them.</summary>
    private static string Expand(string query) => query.Replace("$__rate_interval", "5m", StringComparison.Ordinal)
        .Replace("$job", ".+", StringComparison.Ordinal).Replace("$instance", ".+", StringComparison.Ordinal);

    [Fact]
    public void Every_query_passes_promtools_parser()
    {
        var rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        var queries = Queries();
        for (var i = 0; i < queries.Count; i++)
        {
            rules.Append("      - record: dashboard:query").Append(i).Append("\n        expr: ").Append(JsonSerializer.Serialize(Expand(queries[i]))).Append('\n');
        }
        using var tree = new TempTree();
        tree.Write("dashboard-rules.yml", rules.ToString());
        var check = Tool.Run("promtool", tree.Root, "check", "rules", "dashboard-rules.yml");
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains($"SUCCESS: {queries.Count} rules found", check.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("$", string.Concat(queries.Select(Expand)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Queries_use_only_metrics_that_TaintWatch_exports()
    {
        // A registry filled as the daemon fills it: a tainted fixture host, an expected-modules list, posture.
        var root = Repo.Fixture("rhel79-scini");
        var paths = new KernelPaths(Path.Combine(root, "proc"), Path.Combine(root, "sys"), root);
        var snapshot = KernelSnapshotReader.Read(paths);
        var host = TaintWatch.Cli.ModuleFiles.Join(snapshot, paths, new ExpectedModules([], []), trustKeys: []);
        var metrics = new TaintMetrics();
        metrics.Update(host, new WatchState(), new Dictionary<string, bool> { ["taint"] = true });
        metrics.UpdatePosture(SecurityPostureReader.Read(paths), host.SigningKey);
        metrics.ObservePoll(TimeSpan.FromMilliseconds(1), DateTimeOffset.UtcNow);
        // The lifecycle metrics, from the kpatch fixture host with a taint policy (live patches, listing, policy).
        var kpatch = Repo.FixturePaths("rhel79-kpatch");
        var kpatchSnapshot = KernelSnapshotReader.Read(kpatch);
        var kpatchHost = TaintWatch.Cli.ModuleFiles.Join(kpatchSnapshot, kpatch, new ExpectedModules([], [], ["P"]));
        var lifecycle = new TaintWatch.Lifecycle.LifecycleWatch(kpatch);
        lifecycle.Refresh();
        var view = lifecycle.Build(kpatchSnapshot, kpatchHost, new TaintWatch.Lifecycle.LifecycleState(), checkListing: true);
        new LifecycleMetrics(metrics).Update(view with { Counters = new KernelCounters(3, 0, []) });
        using var text = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(text);
        var exported = Regex.Matches(Encoding.UTF8.GetString(text.ToArray()), @"^# TYPE (\w+) (\w+)$", RegexOptions.Multiline)
            .SelectMany(m => m.Groups[2].Value == "histogram" ? new[] { m.Groups[1].Value + "_bucket", m.Groups[1].Value + "_sum", m.Groups[1].Value + "_count" } : [m.Groups[1].Value])
            .ToHashSet(StringComparer.Ordinal);
        exported.Add("up"); // Prometheus' own
        var used = Queries().SelectMany(q => Regex.Matches(q, @"\b(taintwatch_\w+|up)\b(?=\s*[{\[)]|\s*[=<>!]|\s*$|\s*\*|\s+or\b)").Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(28, used.Count); // each metric the panels chart, found by the pattern above
        Assert.All(used, name => Assert.Contains(name, exported));
    }

    [Fact]
    public void It_shows_what_the_fleet_needs_taint_flags_unsigned_and_unexpected_modules_signers_and_health()
    {
        var titles = Dashboard().GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("title").GetString()).ToList();
        foreach (var title in new[] { "Hosts per taint flag", "Unsigned modules by host", "Unexpected modules by host", "Signers across the fleet", "TaintWatch health", "Secure Boot", "Kernel signing keys", "Taint outside the policy by host", "Live patches", "Kernel WARNs and oopses", "Loaded modules by origin" })
        {
            Assert.Contains(title, titles);
        }
        // Every panel reads the dashboard's data source variable, so the import picks the Prometheus to use.
        Assert.All(Dashboard().GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row"),
            p => Assert.Equal("${datasource}", p.GetProperty("datasource").GetProperty("uid").GetString()));
    }
}
