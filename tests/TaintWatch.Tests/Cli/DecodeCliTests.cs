using System.Text.Json;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Cli;

public class DecodeCliTests
{
    [Fact]
    public void Decode_prints_every_set_bit_on_its_own_line_and_the_kernel_string()
    {
        var r = Support.Cli.Run("decode", "12801", "--table", "upstream");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.Contains(lines, l => l.Contains("0 ") && l.Contains("PROPRIETARY_MODULE") && l.Contains("proprietary module was loaded"));
        Assert.Contains(lines, l => l.Contains(" W ") && l.Contains("WARN"));
        Assert.Contains(lines, l => l.Contains(" O ") && l.Contains("OOT_MODULE"));
        Assert.Contains(lines, l => l.Contains(" E ") && l.Contains("UNSIGNED_MODULE"));
        Assert.Contains("'Tainted: P        W  OE      '", r.Stdout);
    }

    /// <summary>One name for the table in every command; --table and -t are kept as aliases and mean the same.</summary>
    [Theory]
    [InlineData("decode", "536883201")]
    [InlineData("status")]
    [InlineData("scan-log", "LOG")]
    public void The_taint_table_option_has_one_name_everywhere_and_its_aliases_agree(string command, params string[] args)
    {
        string Run(string option)
        {
            var log = Path.Combine(Repo.Fixture("logs"), "seed-rhel7.txt");
            var r = Support.Cli.Run([command, .. args.Select(a => a == "LOG" ? log : a), option, "rhel7.0", "--json", .. command == "status" ? Support.Cli.FixtureArgs("rhel79-scini") : []]);
            Assert.True(r.ExitCode is 0 or 1, r.Stderr);
            return r.Stdout;
        }
        var canonical = Run("--kernel.taint-table");
        Assert.Contains("rhel7.0", canonical, StringComparison.Ordinal);
        Assert.Equal(canonical, Run("--table"));
        Assert.Equal(canonical, Run("-t"));
    }

    [Fact]
    public void Decode_json_is_a_stable_document()
    {
        var r = Support.Cli.Run("decode", "0x20003001", "POE", "--table", "3.10.0-1160.el7.x86_64", "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal("rhel7.3", doc.RootElement.GetProperty("table").GetString());
        var values = doc.RootElement.GetProperty("values");
        Assert.Equal(536883201UL, values[0].GetProperty("mask").GetUInt64());
        Assert.Equal("Tainted: P           OE  ------------ T", values[0].GetProperty("tainted_string").GetString());
        Assert.Equal(["P", "O", "E", "T"], values[0].GetProperty("flags").EnumerateArray().Select(f => f.GetProperty("flag").GetString()));
        Assert.Equal(0x3001UL, values[1].GetProperty("mask").GetUInt64());
    }

    [Theory]
    [InlineData("0x")]
    [InlineData("0xZZ")]
    [InlineData("99999999999999999999999")]
    [InlineData("0x1234567890abcdef0")]
    [InlineData("P%E")]
    [InlineData("POQ")]
    [InlineData("\u0001\u0002\u00ff")]
    [InlineData(" ")]
    public void Hostile_input_gives_one_clear_line_and_exit_2_never_a_stack_trace(string input)
    {
        var r = Support.Cli.Run("decode", input, "--table", "upstream");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("taintwatch decode: ", r.Stderr);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void A_100_KB_argument_is_refused_cleanly()
    {
        var r = Support.Cli.Run("decode", new string('9', 100_000));
        Assert.Equal(2, r.ExitCode);
        Assert.True(r.Stderr.Length < 500);
    }

    [Fact]
    public void An_unknown_table_names_the_tables_that_exist()
    {
        var r = Support.Cli.Run("decode", "1", "--table", "rhel42");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("rhel7.3", r.Stderr);
    }

    [Fact]
    public void Help_teaches_with_examples()
    {
        var r = Support.Cli.Run("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("taintwatch decode 12801", r.Stdout);
        Assert.Contains("status", r.Stdout);
        var decodeHelp = Support.Cli.Run("decode", "--help");
        Assert.Contains("rhel8.6", decodeHelp.Stdout);
    }

    [Fact]
    public void Unknown_commands_exit_2_with_a_pointer_to_help()
    {
        var r = Support.Cli.Run("frobnicate");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--help", r.Stderr);
    }
}
