using System.CommandLine;
using System.Globalization;

namespace TaintWatch.Tests.Docs;

/// <summary>docs/flags.md against the command tree of Program.cs: every option and alias, and the defaults.</summary>
public sealed class FlagsDocTests
{
    private static readonly Dictionary<string, string> Sections = DocTables.Sections(DocTables.Read("flags.md"));

    /// <summary>Section of flags.md → the names (option name and aliases) of each documented row, with its default cell.</summary>
    private static List<(List<string> Names, string Default)> Documented(string section) =>
        DocTables.Rows(Sections[section]).Select(r => (DocTables.Codes(r[0]), r[1])).ToList();

    private static string SectionOf(Command command) => command is RootCommand ? "taintwatch (no command)" :
        Sections.Keys.Single(k => k.StartsWith("taintwatch " + command.Name, StringComparison.Ordinal) && (k.Length == 11 + command.Name.Length || k[11 + command.Name.Length] == ' '));

    private static IEnumerable<(Command Command, Option Option)> AllOptions()
    {
        var root = Program.CreateRootCommand();
        foreach (var command in new Command[] { root }.Concat(root.Subcommands))
        {
            foreach (var option in command.Options.Where(o => !o.Hidden))
            {
                yield return (command, option);
            }
        }
    }

    private static IEnumerable<string> Names(Option o) => new[] { o.Name }.Concat(o.Aliases);

    [Fact]
    public void Every_option_of_every_command_is_documented_under_its_command_with_its_aliases()
    {
        var problems = new List<string>();
        foreach (var (command, option) in AllOptions())
        {
            // Recursive options apply to every command: they are documented once, under "Every command".
            var section = option.Recursive ? "Every command" : SectionOf(command);
            var row = Documented(section).FirstOrDefault(r => r.Names.Contains(option.Name));
            if (row.Names is null)
            {
                problems.Add($"{option.Name} of '{command.Name}' is not in docs/flags.md section '{section}'");
                continue;
            }
            var names = Names(option).ToHashSet(StringComparer.Ordinal);
            if (!names.SetEquals(row.Names))
            {
                problems.Add($"{option.Name} of '{command.Name}': names {string.Join(" ", names.Order())} in code, {string.Join(" ", row.Names.Order())} in docs/flags.md");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_documented_option_exists()
    {
        var root = Program.CreateRootCommand();
        var commands = new Command[] { root }.Concat(root.Subcommands).ToList();
        var global = root.Options.Where(o => o.Recursive).SelectMany(Names).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (names, _) in Documented("Every command"))
        {
            problems.AddRange(names.Where(n => !global.Contains(n)).Select(n => $"{n} (Every command) is no recursive option"));
        }
        foreach (var command in commands)
        {
            var own = command.Options.Where(o => !o.Recursive).SelectMany(Names).ToHashSet(StringComparer.Ordinal);
            foreach (var (names, _) in Documented(SectionOf(command)))
            {
                problems.AddRange(names.Where(n => !own.Contains(n)).Select(n => $"{n} is documented for '{command.Name}' but the command has no such option"));
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Equal(commands.Count, Sections.Keys.Count(k => k.StartsWith("taintwatch", StringComparison.Ordinal)));
    }

    [Fact]
    public void Every_command_and_its_arguments_are_in_a_section_heading()
    {
        var root = Program.CreateRootCommand();
        foreach (var command in root.Subcommands)
        {
            var heading = SectionOf(command);
            var documented = heading.Split(' ').Skip(2).Select(w => w.Trim('[', ']', '…')).Where(w => w.Length > 0).ToList();
            Assert.Equal(command.Arguments.Select(a => a.Name.ToUpperInvariant()), documented);
        }
    }

    [Fact]
    public void Every_default_written_in_code_quotes_is_the_options_default()
    {
        var problems = new List<string>();
        foreach (var (command, option) in AllOptions().Where(x => x.Option.HasDefaultValue))
        {
            var section = option.Recursive ? "Every command" : SectionOf(command);
            var row = Documented(section).FirstOrDefault(r => r.Names.Contains(option.Name));
            if (row.Names is null)
            {
                continue; // undocumented: the test above names it
            }
            var cell = row.Default;
            var value = option.GetDefaultValue() switch
            {
                string[] many => string.Join(" ", many),
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var other => other?.ToString() ?? "",
            };
            if (!DocTables.Codes(cell).Contains(value))
            {
                problems.Add($"{option.Name} of '{command.Name}' defaults to `{value}`; docs/flags.md says: {cell}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
