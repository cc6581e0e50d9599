using TaintWatch.Kernel;

namespace TaintWatch.Tests.Kernel;

public class ProcModulesParserTests
{
    [Fact]
    public void A_proprietary_module_with_holders_keeps_every_field()
    {
        Assert.True(ProcModulesParser.TryParseLine("nvidia 56823808 103 nvidia_uvm,nvidia_modeset, Live 0xffffffffc0a00000 (POE)", out var m, out _));
        Assert.Equal("nvidia", m.Name);
        Assert.Equal(56823808UL, m.Size);
        Assert.Equal(103, m.RefCount);
        Assert.Equal(["nvidia_uvm", "nvidia_modeset"], m.Holders);
        Assert.Equal(ModuleLoadState.Live, m.State);
        Assert.Equal("0xffffffffc0a00000", m.Address);
        Assert.Equal("POE", m.TaintLetters);
        Assert.Null(m.StateMark);
    }

    [Theory]
    [InlineData("(OE+)", "OE", '+')]
    [InlineData("(-)", "", '-')]
    [InlineData("(+)", "", '+')]
    [InlineData("(t)", "t", null)]
    [InlineData("(P)(U)", "PU", null)]
    [InlineData("(U)", "U", null)]
    public void Flags_split_taint_letters_from_state_marks(string flags, string letters, char? mark)
    {
        Assert.True(ProcModulesParser.TryParseLine($"m 16384 0 - Loading 0x0000000000000000 {flags}", out var entry, out _));
        Assert.Equal(letters, entry.TaintLetters);
        Assert.Equal(mark, entry.StateMark);
    }

    [Fact]
    public void Kernels_without_module_unload_print_dashes_for_refcount_and_holders()
    {
        Assert.True(ProcModulesParser.TryParseLine("dm_mod 102467 - - Live 0x0000000000000000", out var m, out _));
        Assert.Null(m.RefCount);
        Assert.Empty(m.Holders);
    }

    [Fact]
    public void A_permanent_module_is_recognised()
    {
        Assert.True(ProcModulesParser.TryParseLine("ipv6 425984 36 [permanent], Live 0x0000000000000000", out var m, out _));
        Assert.True(m.IsPermanent);
    }

    [Theory]
    [InlineData("", "expected 6 or 7 fields")]
    [InlineData("name 1 2 3", "expected 6 or 7 fields")]
    [InlineData("m 12k 0 - Live 0x0", "size")]
    [InlineData("m 18446744073709551616 0 - Live 0x0", "size")]
    [InlineData("m 1 x - Live 0x0", "reference count")]
    [InlineData("m 1 0 - Sleeping 0x0", "state")]
    [InlineData("m 1 0 - Live ffff", "address")]
    [InlineData("m 1 0 - Live 0x0 POE", "flags")]
    [InlineData("m 1 0 - Live 0x0 (P0E)", "flags")]
    [InlineData("m/../x 1 0 - Live 0x0", "not a module name")]
    public void Malformed_lines_are_refused_with_the_reason(string line, string reason)
    {
        Assert.False(ProcModulesParser.TryParseLine(line, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Garbage_lines_are_counted_as_problems_and_good_lines_kept()
    {
        var result = ProcModulesParser.Parse("good 1 0 - Live 0x0 (OE)\n\u0001garbage\u0002\nalso bad\n");
        Assert.Single(result.Modules);
        Assert.Equal(2, result.Problems.Count);
        Assert.DoesNotContain('\u0001', string.Concat(result.Problems));
    }

    [Fact]
    public void Problems_are_capped_so_a_huge_garbage_file_gives_a_bounded_report()
    {
        var text = string.Concat(Enumerable.Repeat("garbage line\n", 100_000));
        var result = ProcModulesParser.Parse(text);
        Assert.Empty(result.Modules);
        Assert.True(result.Problems.Count <= 20);
    }
}
