using System.Reflection;
using System.Text.RegularExpressions;
using TaintWatch.Cli;
using TaintWatch.Kernel;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Docs;

/// <summary>docs/exit-codes.md, docs/taint-tables.md and the collector names against the code and the alert rules.</summary>
public sealed class ContractDocTests
{
    [Fact]
    public void Every_exit_code_is_documented_with_its_name()
    {
        var codes = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToDictionary(f => (int)f.GetRawConstantValue()!, f => f.Name);
        var documented = DocTables.Rows(DocTables.Read("exit-codes.md")).ToDictionary(r => int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture), r => DocTables.Codes(r[1]).Single());
        Assert.Equal(codes.OrderBy(c => c.Key), documented.OrderBy(c => c.Key));
    }

    [Fact]
    public void Every_taint_table_id_is_documented()
    {
        var documented = DocTables.Rows(DocTables.Read("taint-tables.md")).Select(r => DocTables.Codes(r[0]).Single()).ToHashSet(StringComparer.Ordinal);
        var ids = TaintTables.All.Select(t => t.Id).ToList();
        Assert.True(ids.All(documented.Contains), $"taint tables not in docs/taint-tables.md: {string.Join(", ", ids.Where(i => !documented.Contains(i)))}");
        // The widths upstream kernels printed are all "upstream-N" (documented as one row), N below 20.
        var widths = new[] { (3, 0), (3, 5), (3, 15), (3, 17), (4, 0), (4, 15), (6, 0) }.Select(v => TaintTableSelector.Select($"{v.Item1}.{v.Item2}.0").Table.Id).ToList();
        Assert.All(widths, id => Assert.Matches("^upstream-(1[2-9])$", id));
        Assert.Contains("upstream-N", documented);
        Assert.True(documented.All(d => d == "upstream-N" || ids.Contains(d)), "docs/taint-tables.md lists a table the code does not have");
    }

    [Fact]
    public void Collector_names_are_one_list_in_code_docs_and_alert_rules()
    {
        var documented = DocTables.Rows(DocTables.Sections(DocTables.Read("metrics.md"))["Collectors"]).Select(r => DocTables.Codes(r[0]).Single()).ToList();
        Assert.Equal(Collectors.All, documented);
        var rules = string.Concat(new[] { "taintwatch-alerts.yml", "taintwatch-alerts.test.yml", "taintwatch-recording.yml" }
            .Select(f => File.ReadAllText(Path.Combine(Repo.Root, "packaging", "prometheus", f))));
        var used = Regex.Matches(rules, @"collector\s*[=:]\s*""?(\w+)").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(used);
        Assert.True(used.All(Collectors.All.Contains), $"alert rules name collectors the code does not have: {string.Join(", ", used.Where(u => !Collectors.All.Contains(u)))}");
        // The status --json schema lists the same names.
        var schema = File.ReadAllText(Path.Combine(Repo.Root, "docs", "json", "status.schema.json"));
        Assert.All(Collectors.All, c => Assert.Contains($"\"{c}\"", schema, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_docs_file_the_code_cites_exists()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(Repo.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal));
        var cited = sources.SelectMany(f => Regex.Matches(File.ReadAllText(f), @"docs/[\w./-]+\.(md|json)").Select(m => (File: f, Doc: m.Value))).ToList();
        Assert.NotEmpty(cited);
        var missing = cited.Where(c => !File.Exists(Path.Combine(Repo.Root, c.Doc))).Select(c => $"{Path.GetFileName(c.File)} cites {c.Doc}").ToList();
        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }
}
