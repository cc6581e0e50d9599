using System.Text;
using System.Text.RegularExpressions;
using TaintWatch.Baseline;
using TaintWatch.Daemon;
using TaintWatch.Journal;
using TaintWatch.Kernel;
using TaintWatch.Lifecycle;
using TaintWatch.Metrics;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Docs;

/// <summary>
/// A TaintMetrics registry updated as Daemon/Poller.cs updates it after the first poll of a fixture host: the
/// snapshot, the module files joined and their signatures verified, collector health, the events detected and counted, posture, the lifecycle
/// (taint policy, unexplained taint, live patches, failure counters, listing mismatch), the poll timed.
/// </summary>
public static partial class DaemonMetrics
{
    public static TaintMetrics FirstPoll(string fixture, ExpectedModules? expected = null, DateTimeOffset? now = null) =>
        FirstPoll(Repo.FixturePaths(fixture), expected, now);

    public static TaintMetrics FirstPoll(KernelPaths paths, ExpectedModules? expected = null, DateTimeOffset? now = null)
    {
        var snapshot = KernelSnapshotReader.Read(paths);
        // The daemon always checks signatures: the kernel image's keys, UEFI db and MokListRT, no --trust.keys.
        var host = TaintWatch.Cli.ModuleFiles.Join(snapshot, paths, expected, trustKeys: []);
        var metrics = new TaintMetrics();
        using var sink = new EventSink("console", "error", JournalWriter.DefaultSocket, TextWriter.Null);
        var health = new CollectorHealth(sink);
        health.Report(snapshot);
        var unreadable = host.Modules.Count(m => m.File?.Inspection?.Error is not null);
        health.Report(Collectors.Signatures, unreadable == 0 ? null : $"{unreadable} module files unreadable");
        var state = new WatchState();
        var lifecycle = new LifecycleWatch(paths);
        lifecycle.Refresh();
        LifecycleWatch.Remember(state.Lifecycle, snapshot, [], startOfBoot: true, firstPollOfProcess: true);
        var view = lifecycle.Build(snapshot, host, state.Lifecycle, checkListing: true);
        if (snapshot.TaintMask is not null)
        {
            foreach (var e in EventDetector.Detect(state, host, now ?? DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000), firstPollOfProcess: true))
            {
                metrics.CountEvent(e);
            }
        }
        metrics.UpdatePosture(SecurityPostureReader.Read(paths), host.SigningKey);
        metrics.Update(host, state, health.Success, host.Modules.Count(m => m.File?.IsPending == true));
        new LifecycleMetrics(metrics).Update(view);
        metrics.ObservePoll(TimeSpan.FromMilliseconds(1), now ?? DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000));
        return metrics;
    }

    public static async Task<string> ExpositionAsync(TaintMetrics metrics)
    {
        using var text = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(text);
        return Encoding.UTF8.GetString(text.ToArray());
    }

    /// <summary>Metric name → (type, label names) as the exposition shows them; a histogram's le left out.</summary>
    public static Dictionary<string, (string Type, SortedSet<string> Labels)> Families(string exposition)
    {
        var families = new Dictionary<string, (string Type, SortedSet<string> Labels)>(StringComparer.Ordinal);
        foreach (Match m in TypeLine().Matches(exposition))
        {
            families[m.Groups[1].Value] = (m.Groups[2].Value, new SortedSet<string>(StringComparer.Ordinal));
        }
        foreach (Match sample in SampleLine().Matches(exposition))
        {
            var name = sample.Groups[1].Value;
            var family = families.ContainsKey(name) ? name : Regex.Replace(name, "_(bucket|sum|count)$", "");
            foreach (Match label in LabelName().Matches(sample.Groups[2].Value))
            {
                if (label.Groups[1].Value != "le")
                {
                    families[family].Labels.Add(label.Groups[1].Value);
                }
            }
        }
        return families;
    }

    [GeneratedRegex(@"^# TYPE (\w+) (\w+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^(\w+)\{(.*)\} ", RegexOptions.Multiline)]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(\w+)=""(?:[^""\\]|\\.)*""")]
    private static partial Regex LabelName();
}
