using TaintWatch.Baseline;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Docs;

/// <summary>docs/metrics.md against the registry the daemon serves: same metrics, same types, same label sets.</summary>
public sealed class MetricsDocTests
{
    /// <summary>Documented metric → (type, labels), from the first table of docs/metrics.md.</summary>
    private static Dictionary<string, (string Type, SortedSet<string> Labels)> Documented()
    {
        var section = DocTables.Sections(DocTables.Read("metrics.md"))["The metrics"];
        return DocTables.Rows(section).ToDictionary(
            r => DocTables.Codes(r[0]).Single(),
            r => (r[1], new SortedSet<string>(DocTables.Codes(r[2]), StringComparer.Ordinal)),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// Every optional series present: a tainted host with a live patch and a module hidden from /proc/modules, an
    /// expected-modules list with a taint policy, the kernel's failure counters, a taint event counted.
    /// </summary>
    private static async Task<Dictionary<string, (string Type, SortedSet<string> Labels)>> Exported()
    {
        using var tree = new TempTree("rhel79-scini");
        tree.Write("sys/kernel/warn_count", "3\n");
        tree.Write("sys/kernel/oops_count", "0\n");
        tree.Write("sys/kernel/livepatch/kpatch_1/enabled", "1\n");
        tree.Write("sys/kernel/livepatch/kpatch_1/transition", "0\n");
        tree.Write("sys/module/hider/initstate", "live\n");
        var metrics = DaemonMetrics.FirstPoll(tree.Paths, new ExpectedModules([], [], ["P"]));
        metrics.CountEvent(new WatchEvent(WatchEventKind.TaintFlagSet, 4, "test") { Taint = new TaintBitFacts(13, 'E', "UNSIGNED_MODULE", 8192, ["scini"]) });
        return DaemonMetrics.Families(await DaemonMetrics.ExpositionAsync(metrics));
    }

    [Fact]
    public async Task Every_exported_metric_is_documented_with_its_type_and_exact_labels()
    {
        var documented = Documented();
        var exported = await Exported();
        var problems = new List<string>();
        foreach (var (name, (type, labels)) in exported)
        {
            if (!documented.TryGetValue(name, out var doc))
            {
                problems.Add($"{name} ({type}, labels {{{string.Join(",", labels)}}}) is exported but not in docs/metrics.md");
                continue;
            }
            if (doc.Type != type)
            {
                problems.Add($"{name} is a {type}, docs/metrics.md says {doc.Type}");
            }
            if (!doc.Labels.SetEquals(labels))
            {
                problems.Add($"{name} has labels {{{string.Join(",", labels)}}}, docs/metrics.md says {{{string.Join(",", doc.Labels)}}}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task Every_documented_metric_is_exported()
    {
        var exported = await Exported();
        var missing = Documented().Keys.Where(k => !exported.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, $"documented in docs/metrics.md but not exported: {string.Join(", ", missing)}");
        Assert.True(exported.Count >= 23, $"only {exported.Count} metrics exported: the registry was not filled as the daemon fills it");
    }

    [Fact]
    public void Every_documented_label_has_its_values_described()
    {
        var described = DocTables.Rows(DocTables.Sections(DocTables.Read("metrics.md"))["Label values"]).SelectMany(r => DocTables.Codes(r[0])).ToHashSet(StringComparer.Ordinal);
        var used = Documented().Values.SelectMany(v => v.Labels).ToHashSet(StringComparer.Ordinal);
        Assert.True(used.All(described.Contains), $"labels without their values in docs/metrics.md: {string.Join(", ", used.Where(l => !described.Contains(l)))}");
    }
}
