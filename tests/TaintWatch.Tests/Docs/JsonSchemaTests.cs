using System.Text.Json;
using Json.Schema;
using TaintWatch.Tests.Support;
using Process = TaintWatch.Tests.Support.Cli;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Docs;

/// <summary>The real CLI's --json outputs on every fixture, and the state file StateStore writes, against docs/json/*.schema.json.</summary>
public sealed class JsonSchemaTests
{
    public static readonly TheoryData<string> Hosts = new(FixtureHosts());

    public static readonly TheoryData<string> Logs = new(Directory.EnumerateFiles(Repo.Fixture("logs")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    public static IEnumerable<string> FixtureHosts() =>
        Directory.EnumerateDirectories(Path.Combine(Repo.Root, "tests", "fixtures")).Where(d => Directory.Exists(Path.Combine(d, "proc")))
            .Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<JsonSchema>> Schemas = new(StringComparer.Ordinal);

    /// <summary>Each schema built once: JsonSchema.Net registers a schema's $id globally and refuses a second registration.</summary>
    private static JsonSchema Schema(string schemaFile) =>
        Schemas.GetOrAdd(schemaFile, f => new Lazy<JsonSchema>(() => JsonSchema.FromText(File.ReadAllText(Path.Combine(Repo.Root, "docs", "json", f))))).Value;

    private static void AssertValid(string schemaFile, string json, string what)
    {
        var schema = Schema(schemaFile);
        using var doc = JsonDocument.Parse(json);
        var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"  {d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"));
            Assert.Fail($"{what} does not validate against docs/json/{schemaFile}:\n{string.Join("\n", errors.Take(30))}");
        }
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Status_json_of_every_fixture_host_validates(string host)
    {
        var run = Process.Run(["status", "--json", .. Process.FixtureArgs(host)]);
        Assert.True(run.Stdout.Length > 0, run.Stderr);
        AssertValid("status.schema.json", run.Stdout, $"status --json on {host}");
        // Closed: a key the schema does not name is refused, so an addition to the output must be documented.
        using var extra = JsonDocument.Parse(run.Stdout.Replace("\"schema_version\": 1,", "\"schema_version\": 1, \"undocumented\": true,", StringComparison.Ordinal));
        Assert.False(Schema("status.schema.json").Evaluate(extra.RootElement).IsValid);
    }

    [Theory]
    [MemberData(nameof(Logs))]
    public void Scan_log_json_of_every_fixture_log_validates(string log)
    {
        var run = Process.Run("scan-log", "--json", Path.Combine(Repo.Fixture("logs"), log));
        Assert.True(run.ExitCode == 0, run.Stderr);
        AssertValid("scan-log.schema.json", run.Stdout, $"scan-log --json {log}");
    }

    [Fact]
    public void Inspect_json_of_every_fixture_module_validates()
    {
        var files = Directory.EnumerateFiles(Repo.Fixture("modules")).Concat(Directory.EnumerateFiles(Repo.Fixture("rhel79-scini"), "*.ko*", SearchOption.AllDirectories)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(files.Length >= 6);
        var run = Process.Run(["inspect", "--json", .. files]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        AssertValid("inspect.schema.json", run.Stdout, "inspect --json of the fixture modules");
        Assert.Equal(files.Length, JsonDocument.Parse(run.Stdout).RootElement.GetArrayLength());
        // A module file that cannot be read whole is a document too, with its error.
        using var tree = new TempTree();
        tree.Write("truncated.ko", "\u007fELF\u0002\u0001");
        var broken = Process.Run("inspect", "--json", Path.Combine(tree.Root, "truncated.ko"));
        AssertValid("inspect.schema.json", broken.Stdout, "inspect --json of a truncated file");
    }

    [Theory]
    [InlineData("536883201", "rhel7.3")]
    [InlineData("0x1", "upstream")]
    [InlineData("POE", "rhel8.6")]
    [InlineData("18446744073709551615", "rhel9.3")]
    [InlineData("CPU: 27 PID: 8147 Comm: x Tainted: P           OE  ------------ T 3.10.0-1160.21.1.el7.x86_64 #1", "auto")]
    public void Decode_json_validates(string value, string table)
    {
        var run = Process.Run("decode", "--json", "-t", table, value);
        Assert.True(run.ExitCode == 0, run.Stderr);
        AssertValid("decode.schema.json", run.Stdout, $"decode --json {value}");
    }

    /// <summary>The real-log corpus too: its golden outputs are what scan-log prints for each log (ScanLogGoldenTests).</summary>
    [Fact]
    public void Every_scan_log_golden_output_validates()
    {
        var goldens = Directory.GetFiles(Path.Combine(Repo.Root, "tests", "golden", "scan-log"), "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        Assert.True(goldens.Count > 100, $"only {goldens.Count} scan-log golden files");
        foreach (var golden in goldens)
        {
            AssertValid("scan-log.schema.json", File.ReadAllText(golden), Path.GetRelativePath(Repo.Root, golden));
        }
    }

    [Fact]
    public void The_scan_log_schema_names_every_report_and_module_event_kind()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Repo.Root, "docs", "json", "scan-log.schema.json")));
        static List<string> Enum(JsonElement property) => property.GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).ToList();
        var properties = schema.RootElement.GetProperty("properties");
        var reportKinds = Enum(properties.GetProperty("reports").GetProperty("items").GetProperty("properties").GetProperty("kind"));
        Assert.Equal(System.Enum.GetNames<TaintWatch.KernelLog.ReportKind>().Select(n => n.ToLowerInvariant()), reportKinds);
        var eventKinds = Enum(properties.GetProperty("module_events").GetProperty("items").GetProperty("properties").GetProperty("event"));
        Assert.Equal(System.Enum.GetNames<TaintWatch.KernelLog.ModuleLoadEventKind>(), eventKinds);
    }

    [Fact]
    public void The_state_file_StateStore_writes_validates_with_every_kind_of_event()
    {
        using var tree = new TempTree();
        var state = new WatchState { BootId = "6f1c2f5e-58b4-4a9c-9d0e-2b1f3c4d5e6f", Initialized = true, Sequence = 9 };
        state.Bits[0] = 1_700_000_000.5;
        state.Bits[13] = 1_700_000_001;
        state.Modules.Add("scini");
        state.MismatchedFiles.Add("scini");
        foreach (var kind in Enum.GetValues<WatchEventKind>())
        {
            state.Outbox.Add(new WatchEvent(kind, 4, "m", $"b/{WatchEventKinds.Name(kind)}/x/1", "rhel7.3", "3.10.0-1160.el7.x86_64")
            {
                Taint = kind is WatchEventKind.TaintFlagSet or WatchEventKind.TaintPresentAtStart or WatchEventKind.TaintUnexpected or WatchEventKind.TaintUnexplained
                    ? new TaintBitFacts(13, 'E', "UNSIGNED_MODULE", 8192, ["scini"]) : null,
                Module = kind is WatchEventKind.ModuleLoaded or WatchEventKind.ModuleFileChanged or WatchEventKind.ModuleSignatureNotVerified ? new ModuleFacts("scini", "OE", "signed", SignatureProblem: null, Expected: true, Verified: "invalid", VerifiedBy: "/boot/vmlinuz-3.10.0-1160.el7.x86_64", VerifyProblem: "digest mismatch")
                    : kind is WatchEventKind.ModuleUnloaded or WatchEventKind.ModulesListingMismatch ? new ModuleFacts("scini") : null,
                SeenLate = true,
                MatchEvidence = kind == WatchEventKind.ModuleFileChanged ? "build-id" : null,
                Explanation = kind == WatchEventKind.TaintUnexplained ? "set while TaintWatch was watching" : null,
                Listing = kind == WatchEventKind.ModulesListingMismatch ? "sysfs-only" : null,
                LivePatch = kind == WatchEventKind.LivePatchChanged ? new LivePatchFacts("kpatch_1", "applied", "1", "0", ["vmlinux", "xfs"], 3)
                    : kind == WatchEventKind.LivePatchStuck ? new LivePatchFacts("kpatch_1", "stuck", "1", "1", ["vmlinux"], 1, 75) : null,
            });
        }
        // The lifecycle memory with something in each of its members.
        var lifecycle = state.Lifecycle;
        lifecycle.BootId = state.BootId;
        lifecycle.Letters["scini"] = "POE";
        lifecycle.UnloadedCarriers['O'] = new SortedSet<string>(["vboxdrv"], StringComparer.Ordinal);
        lifecycle.PresentAtStart.Add(0);
        lifecycle.SetWhileWatching.Add(13);
        lifecycle.KnownBits.UnionWith([0, 13]);
        lifecycle.ReportedUnexpected.Add(13);
        lifecycle.ReportedUnexplained.Add(12);
        lifecycle.ReportedHidden.Add("hider");
        lifecycle.LivePatches["kpatch_1"] = "1 1";
        lifecycle.TransitionSince["kpatch_1"] = 1_700_000_100.25;
        lifecycle.ReportedStuck.Add("kpatch_1");
        state.UnverifiedFiles.Add("scini");
        var store = new StateStore(tree.Root);
        Assert.Null(store.Save(state));
        AssertValid("state-file.schema.json", File.ReadAllText(store.Path), "state.json");
        // And the schema is closed: a key StateStore does not write is refused.
        var extra = File.ReadAllText(store.Path).Replace("\"version\": 2", "\"version\": 2, \"extra\": 1", StringComparison.Ordinal);
        var schema = Schema("state-file.schema.json");
        using var doc = JsonDocument.Parse(extra);
        Assert.False(schema.Evaluate(doc.RootElement).IsValid);
    }
}
