using CsCheck;
using TaintWatch.Kernel;

namespace TaintWatch.Tests.Kernel;

public class TaintTableTests
{
    private static string Letters(TaintTable table, ulong mask) => string.Concat(table.Decode(mask).Select(f => f.Letter));
    private static string Names(TaintTable table, ulong mask) => string.Join(",", table.Decode(mask).Select(f => f.Name));

    [Fact]
    public void Upstream_12801_is_proprietary_warn_out_of_tree_unsigned()
    {
        Assert.Equal("PWOE", Letters(TaintTables.Upstream20, 12801));
        Assert.Equal("PROPRIETARY_MODULE,WARN,OOT_MODULE,UNSIGNED_MODULE", Names(TaintTables.Upstream20, 12801));
    }

    [Fact]
    public void Rhel79_536883201_is_P_O_E_and_tech_preview_printed_as_the_kernel_does()
    {
        var (table, _) = TaintTableSelector.Select("3.10.0-1160.21.1.el7.x86_64");
        Assert.Equal("rhel7.3", table.Id);
        Assert.Equal("PROPRIETARY_MODULE,OOT_MODULE,UNSIGNED_MODULE,TECH_PREVIEW", Names(table, 536883201));
        Assert.Equal("Tainted: P           OE  ------------ T", table.FormatTaintedString(536883201));
    }

    [Fact]
    public void The_same_bit_29_on_upstream_is_reported_as_unknown_not_dropped()
    {
        var flags = TaintTables.Upstream20.Decode(536883201);
        var unknown = Assert.Single(flags, f => f.Bit == 29);
        Assert.Equal("UNKNOWN_29", unknown.Name);
        Assert.Equal('?', unknown.Letter);
        Assert.Equal(4, flags.Count);
    }

    [Fact]
    public void Rhel5_bit_6_is_an_unsigned_module_not_a_user_taint()
    {
        Assert.Equal("UNSIGNED_MODULE", TaintTables.Rhel5.Describe(6).Name);
        Assert.Equal("USER", TaintTables.Rhel6.Describe(6).Name);
        Assert.Equal("USER", TaintTables.Upstream20.Describe(6).Name);
        // RHEL 5 prints into a 20-byte buffer: the unsigned bit and tech preview never show.
        Assert.Equal("Tainted: G     ----", TaintTables.Rhel5.FormatTaintedString(64));
        Assert.Equal("Tainted: P     ----", TaintTables.Rhel5.FormatTaintedString(1 | (1UL << 29)));
    }

    // print_tainted() output computed from kernel/panic.c of each version, spaces included.
    [Theory]
    [InlineData("upstream-18", 0x3001UL, "Tainted: P           OE    ")]
    [InlineData("upstream-19", 0x3200UL, "Tainted: G        W  OE     ")]
    [InlineData("upstream", 0x3200UL, "Tainted: G        W  OE      ")]
    [InlineData("rhel6", 0x1UL, "Tainted: P           -- ------------   ")]
    [InlineData("rhel7.0", 0x1001UL, "Tainted: P           O--------------  ")]
    [InlineData("rhel7.3", 0x20003001UL, "Tainted: P           OE  ------------ T")]
    [InlineData("rhel8.0", 0x3001UL, "Tainted: P           OE    --------- -  -")]
    [InlineData("rhel8.6", 0x3001UL, "Tainted: P           OE    --------- -  -")]
    [InlineData("rhel9.0", 0x3001UL, "Tainted: P           OE    --------  --- ")]
    [InlineData("rhel9.3", 0x3001UL, "Tainted: P           OE     -------  --- ")]
    [InlineData("rhel10", 0x3001UL, "Tainted: P           OE     -------- --- ")]
    [InlineData("upstream", 0UL, "Not tainted")]
    public void Positional_strings_match_what_each_kernel_prints(string tableId, ulong mask, string expected)
    {
        var table = tableId.StartsWith("upstream-", StringComparison.Ordinal)
            ? TaintTables.UpstreamWithWidth(int.Parse(tableId["upstream-".Length..]))
            : TaintTables.FindById(tableId)!;
        Assert.Equal(expected, table.FormatTaintedString(mask));
    }

    [Fact]
    public void The_upstream_documentation_example_4609_prints_as_documented()
    {
        Assert.Equal("Tainted: P        W  O     ", TaintTables.UpstreamWithWidth(18).FormatTaintedString(4609));
    }

    [Theory]
    [InlineData("rhel8.0", 29, "TECH_PREVIEW", 't')]
    [InlineData("rhel8.6", 16, "AUX", 'X')]
    [InlineData("rhel8.0", 27, "SUPPORT_REMOVED", 'r')]
    [InlineData("rhel9.0", 27, "SUPPORT_REMOVED", 'h')]
    [InlineData("rhel9.0", 26, "PARTNER_SUPPORTED", 'p')]
    [InlineData("rhel9.0", 18, "UNKNOWN_18", '?')]
    [InlineData("rhel9.3", 18, "TEST", 'N')]
    [InlineData("rhel9.3", 31, "UNPRIVILEGED_BPF", 'u')]
    [InlineData("rhel8.6", 30, "UNPRIVILEGED_BPF", 'u')]
    [InlineData("rhel10", 26, "UNKNOWN_26", '?')]
    [InlineData("rhel10", 19, "UNKNOWN_19", '?')]
    [InlineData("rhel6", 27, "BIT_BY_ZOMBIE", 'Z')]
    [InlineData("rhel6", 28, "HARDWARE_UNSUPPORTED", 'H')]
    [InlineData("rhel6", 13, "UNKNOWN_13", '?')]
    [InlineData("rhel7.0", 13, "UNKNOWN_13", '?')]
    [InlineData("rhel7.3", 13, "UNSIGNED_MODULE", 'E')]
    [InlineData("upstream", 19, "FWCTL", 'J')]
    [InlineData("upstream", 20, "UNKNOWN_20", '?')]
    [InlineData("upstream", 63, "UNKNOWN_63", '?')]
    public void Red_Hat_specific_and_placeholder_bits_decode_per_family(string tableId, int bit, string name, char letter)
    {
        var flag = TaintTables.FindById(tableId)!.Describe(bit);
        Assert.Equal(name, flag.Name);
        Assert.Equal(letter, flag.Letter);
    }

    [Theory]
    [InlineData("upstream", 20)]
    [InlineData("rhel6", 30)]
    [InlineData("rhel7.0", 29)]
    [InlineData("rhel7.3", 30)]
    [InlineData("rhel8.0", 32)]
    [InlineData("rhel9.3", 32)]
    [InlineData("rhel10", 32)]
    public void Each_family_prints_as_many_positions_as_its_kernel(string tableId, int positions)
    {
        var text = TaintTables.FindById(tableId)!.FormatTaintedString(1);
        Assert.Equal(positions, text.Length - "Tainted: ".Length);
    }

    [Fact]
    public void Every_table_has_a_name_and_meaning_for_each_bit_it_defines()
    {
        foreach (var table in TaintTables.All)
        {
            Assert.All(table.Flags, f => Assert.False(string.IsNullOrWhiteSpace(f.Description), $"{table.Id} bit {f.Bit}"));
            Assert.Equal(table.Flags.Count, table.Flags.Select(f => f.Bit).Distinct().Count());
        }
    }

    [Fact]
    public void Letters_of_any_mask_of_defined_bits_parse_back_to_the_same_mask_in_every_table()
    {
        foreach (var table in TaintTables.All)
        {
            var defined = table.MeaningfulFlags.Where(f => f.SetChar != '\0').Aggregate(0UL, (m, f) => m | f.Mask);
            Gen.ULong.Select(x => x & defined).Sample(mask =>
            {
                var letters = Letters(table, mask);
                return table.TryParseLetters(letters, out var parsed, out _) && parsed == mask;
            }, iter: 2000);
        }
    }

    [Fact]
    public void Decode_never_loses_a_bit()
    {
        Gen.ULong.Sample(mask => TaintTables.All.All(t => t.Decode(mask).Aggregate(0UL, (m, f) => m | f.Mask) == mask), iter: 5000);
    }

    [Fact]
    public void Unknown_letters_are_refused_with_the_letters_the_table_knows()
    {
        Assert.False(TaintTables.Rhel73.TryParseLetters("POQ", out _, out var error));
        Assert.Contains("'Q'", error);
        Assert.Contains("rhel7.3", error);
    }
}
