using System.Reflection;
using System.Text.RegularExpressions;
using TaintWatch.Journal;
using TaintWatch.Tests.Support;
using TaintWatch.Watch;

namespace TaintWatch.Tests.Docs;

/// <summary>docs/journal.md against Journal/EventFields.cs, MessageIds and packaging/systemd/taintwatch.catalog.</summary>
public sealed class JournalDocTests
{
    private static readonly string Doc = DocTables.Read("journal.md");

    private static HashSet<string> DocumentedFields() =>
        DocTables.Rows(DocTables.Sections(Doc)["Fields"]).Select(r => DocTables.Codes(r[0]).Single()).ToHashSet(StringComparer.Ordinal);

    /// <summary>An event of each kind with every fact it can carry (live patch, explanation and listing too), so every field EventFields can write appears.</summary>
    private static IEnumerable<WatchEvent> EveryEvent() => Enum.GetValues<WatchEventKind>().Select(kind => new WatchEvent(kind, 4, "m", "boot/kind/subject/1", "rhel8.6", "4.18.0-372.el8.x86_64")
    {
        Taint = new TaintBitFacts(13, 'E', "UNSIGNED_MODULE", 8192, ["scini"]),
        Module = new ModuleFacts("scini", "OE", "signed", "signer", "AA:BB", "sha256", "/lib/modules/x/scini.ko", "1.0", "ABC", "problem", Expected: false,
            Verified: "untrusted", VerifiedBy: "/boot/vmlinuz-4.18.0-372.el8.x86_64", VerifyProblem: "no trusted source holds key AA:BB"),
        SeenLate = true,
        Transient = true,
        PresentAtStart = true,
        MatchEvidence = "build-id",
        Explanation = "set while TaintWatch was watching",
        Listing = "sysfs-only",
        LivePatch = new LivePatchFacts("kpatch_1", "stuck", "1", "1", ["vmlinux"], 2, 60),
    });

    [Fact]
    public void Every_field_an_event_can_carry_is_documented_and_every_documented_field_is_written()
    {
        var written = EveryEvent().SelectMany(EventFields.For).Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        var documented = DocumentedFields();
        var undocumented = written.Where(f => !documented.Contains(f)).ToList();
        Assert.True(undocumented.Count == 0, $"journald fields written but not in docs/journal.md: {string.Join(", ", undocumented)}");
        var unknown = documented.Where(f => !written.Contains(f)).ToList();
        Assert.True(unknown.Count == 0, $"documented in docs/journal.md but never written: {string.Join(", ", unknown)}");
        Assert.All(written, f => Assert.Matches("^[A-Z0-9][A-Z0-9_]*$", f)); // journald's rule for field names
    }

    [Fact]
    public void Every_MESSAGE_ID_is_documented_with_its_event_kind_and_the_catalog_explains_it()
    {
        var constants = typeof(MessageIds).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);
        Assert.Equal(Enum.GetValues<WatchEventKind>().Length, constants.Count);
        var rows = DocTables.Rows(DocTables.Sections(Doc)["Events and their MESSAGE_IDs"]);
        var documented = rows.ToDictionary(r => DocTables.Codes(r[0]).Single(), r => DocTables.Codes(r[1]).Single(), StringComparer.Ordinal);
        foreach (var kind in Enum.GetValues<WatchEventKind>())
        {
            var id = MessageIds.For(kind);
            Assert.True(documented.ContainsKey(id), $"MESSAGE_ID {id} ({kind}) is not in docs/journal.md");
            Assert.True(documented[id] == WatchEventKinds.Name(kind), $"docs/journal.md gives MESSAGE_ID {id} the kind {documented[id]}, the code {WatchEventKinds.Name(kind)}");
        }
        Assert.True(documented.Keys.All(constants.ContainsValue), "docs/journal.md lists a MESSAGE_ID the code does not have");
        var catalog = File.ReadAllText(Path.Combine(Repo.Root, "packaging", "systemd", "taintwatch.catalog"));
        var entries = Regex.Matches(catalog, @"^-- ([0-9a-f]{32})$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(constants.Values.Order(StringComparer.Ordinal), entries.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_catalog_uses_only_documented_fields()
    {
        var catalog = File.ReadAllText(Path.Combine(Repo.Root, "packaging", "systemd", "taintwatch.catalog"));
        var used = Regex.Matches(catalog, "@([A-Z0-9_]+)@").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(used);
        var documented = DocumentedFields();
        Assert.True(used.All(documented.Contains), $"catalog fields not in docs/journal.md: {string.Join(", ", used.Where(f => !documented.Contains(f)))}");
    }

    [Fact]
    public void The_flag_priorities_documented_are_the_codes()
    {
        foreach (var table in TaintWatch.Kernel.TaintTables.All)
        {
            foreach (var flag in table.Flags.Where(f => !f.IsPlaceholder))
            {
                var priority = TaintWatch.Logging.Priority.ForFlag(flag);
                var documentedAs = priority switch { 2 => "2 crit for", 4 => "4 warning for", _ => "5 notice for" };
                if (priority != 5)
                {
                    var sentence = Doc[Doc.IndexOf(documentedAs, StringComparison.Ordinal)..];
                    Assert.Contains($"`{flag.Name}`", sentence[..sentence.IndexOf(';', StringComparison.Ordinal)], StringComparison.Ordinal);
                }
            }
        }
    }
}
