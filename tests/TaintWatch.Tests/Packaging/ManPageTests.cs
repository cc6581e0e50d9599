using System.CommandLine;
using System.Text.RegularExpressions;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Packaging;

/// <summary>packaging/man/taintwatch.1 cannot drift from the program: every option, metric and MESSAGE_ID is in it.</summary>
public class ManPageTests
{
    private static readonly string Page = File.ReadAllText(Path.Combine(Repo.Root, "packaging/man/taintwatch.1"));

    /// <summary>The text of one ".SS" subsection, with troff's escaped hyphens and fonts undone.</summary>
    private static string Subsection(string title)
    {
        var match = Regex.Match(Page, $@"^\.SS {Regex.Escape(title)}\n(.*?)(?=^\.S[SH] )", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(match.Success, $"the man page has no subsection \"{title}\"");
        return Regex.Replace(match.Groups[1].Value.Replace("\\-", "-", StringComparison.Ordinal), @"\\f[BIRP]", "");
    }

    [Fact]
    public void Every_option_of_every_command_is_documented_under_that_command()
    {
        var root = Program.CreateRootCommand();
        var global = Subsection("Global options");
        var documented = 0;
        foreach (var command in root.Subcommands)
        {
            var section = Subsection("taintwatch " + command.Name);
            foreach (var option in command.Options)
            {
                // Options every command shares (recursive ones, --help) are documented once, as global options.
                var where = option.Recursive || option.Name == "--help" ? global : section;
                foreach (var name in option.Aliases.Prepend(option.Name).Where(n => !n.StartsWith('/')))
                {
                    Assert.True(Regex.IsMatch(where, $@"(^|[\s,]){Regex.Escape(name)}([\s,=]|$)", RegexOptions.Multiline),
                        $"{name} of `taintwatch {command.Name}` is not in the man page");
                    documented++;
                }
            }
        }
        foreach (var option in root.Options)
        {
            // Not the Windows-style /h and /? that System.CommandLine also accepts.
            foreach (var name in option.Aliases.Prepend(option.Name).Where(n => !n.StartsWith('/')))
            {
                Assert.Matches($@"(^|[\s,]){Regex.Escape(name)}([\s,]|$)", global);
            }
        }
        Assert.True(documented > 30, $"only {documented} option names found: the walk over the commands is broken");
        // And nothing documented that the program does not take.
        var known = root.Subcommands.SelectMany(c => c.Options).Concat(root.Options).SelectMany(o => o.Aliases.Prepend(o.Name)).ToHashSet();
        var stale = Regex.Matches(string.Concat(root.Subcommands.Select(c => Subsection("taintwatch " + c.Name))) + global, @"^(-[-\w.?0]+)", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Where(n => !known.Contains(n)).ToList();
        Assert.True(stale.Count == 0, "documented but not an option: " + string.Join(", ", stale));
    }

    [Fact]
    public void Every_metric_is_documented()
    {
        var source = string.Concat(Directory.GetFiles(Path.Combine(Repo.Root, "src/TaintWatch"), "*.cs", SearchOption.AllDirectories).Select(File.ReadAllText));
        var metrics = Regex.Matches(source, @"Create(?:Gauge|Counter|Histogram)\(""(taintwatch_\w+)""").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(metrics.Count >= 20, $"found {metrics.Count} metrics");
        var section = Page[Page.IndexOf(".SH METRICS", StringComparison.Ordinal)..Page.IndexOf(".SH JOURNAL FIELDS", StringComparison.Ordinal)];
        Assert.All(metrics, m => Assert.Contains($".B {m}\n", section));
    }

    [Fact]
    public void Every_message_id_and_the_signals_and_exit_codes_are_documented()
    {
        foreach (var id in typeof(TaintWatch.Watch.MessageIds).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!))
        {
            Assert.Contains($".B {id}\n", Page);
        }
        foreach (var section in new[] { "OPTIONS", "METRICS", "JOURNAL FIELDS", "SIGNALS", "EXIT STATUS", "FILES", "EXAMPLES" })
        {
            Assert.Contains($"\n.SH {section}\n", Page);
        }
        Assert.Contains(".B SIGHUP", Page);
        Assert.Contains("SIGTERM", Page);
    }

    [Fact]
    public void Man_renders_it_without_warnings()
    {
        // Only groff's diagnostics (stderr): the page itself mentions warnings.
        var render = Tool.Run("bash", null, "-c", "man --warnings -l -E UTF-8 \"$1\" 2>&1 >/dev/null", "man", Path.Combine(Repo.Root, "packaging/man/taintwatch.1"));
        Assert.Equal(0, render.ExitCode);
        Assert.True(render.Output.Length == 0, render.Output);
    }
}
