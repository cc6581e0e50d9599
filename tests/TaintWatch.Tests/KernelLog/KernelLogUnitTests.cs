using TaintWatch.Kernel;
using TaintWatch.KernelLog;

namespace TaintWatch.Tests.KernelLog;

public class KernelLogUnitTests
{
    [Theory]
    [InlineData("[   14.463869] emcp: x", "emcp: x")]
    [InlineData("[1560475.896997] CPU: 27", "CPU: 27")]
    [InlineData("<4>[    1.000000] Modules linked in: a", "Modules linked in: a")]
    [InlineData("<4>Modules linked in: a", "Modules linked in: a")]
    [InlineData("Mar  3 10:17:44 db01 kernel: WARNING: at x", "WARNING: at x")]
    [InlineData("Mar 02 11:42:17 kernel: watchdog: BUG: soft lockup", "watchdog: BUG: soft lockup")]
    [InlineData("Mar 02 11:42:17 host kernel: [ 12.5] foo", "foo")]
    [InlineData("2026-05-04T10:01:00.000001+00:00 build01 kernel: WARNING: CPU: 1", "WARNING: CPU: 1")]
    [InlineData("2026-05-04 10:01:00,123 build01 kernel: x", "x")]
    [InlineData("var/log/dmesg.kernel:[   14.455500] emcp: y", "emcp: y")]
    [InlineData("[   14.4] [BRRAAIIIINNNSSSSS!] Pid: 1, comm: init", "Pid: 1, comm: init")]
    [InlineData("no prefix at all", "no prefix at all")]
    [InlineData("    [   14.463869] emcp: x", "emcp: x")]
    [InlineData("> > [    1.000000] x", "x")]
    [InlineData("Tue 2024-05-14 10:30:02 CEST host kernel: WARNING: x", "WARNING: x")]
    [InlineData("1715675402.123456 host kernel: x", "x")]
    [InlineData("[  372.639754] myhost kernel: Modules linked in: a", "Modules linked in: a")]
    [InlineData("[   45.012345][ T1234] BUG: KASAN: use-after-free", "BUG: KASAN: use-after-free")]
    [InlineData("[    0.000000] [    C0] x", "x")]
    [InlineData("6,339,5140900,-;Oops: 0000 [#1]", "Oops: 0000 [#1]")]
    [InlineData("2025-08-31T23:42:06Z c  nfnetlink vsock", " nfnetlink vsock")]
    [InlineData("[Tue Jul 20 13:17:28 2021] p_lkrg: x", "p_lkrg: x")]
    [InlineData("[   12.5] Booting the kernel: x", "Booting the kernel: x")]
    public void Prefixes_of_every_log_tool_are_stripped(string line, string message)
    {
        Assert.Equal(message, LogPrefix.Strip(line, out _));
    }

    [Theory]
    [InlineData("Tainted: P           OE      6.1.0-56-amd64 #1", "upstream-19", 0x3001UL)]
    [InlineData("Tainted: G        W  OE       6.17.0-rc1-g2465bb83e0b4 #1 NONE", "upstream", 0x3200UL)]
    [InlineData("Tainted: P           OE  ------------ T", "rhel7.3", 0x20003001UL)]
    [InlineData("Tainted: P           O--------------  ", "rhel7.0", 0x1001UL)]
    [InlineData("Tainted: P           -- ------------   ", "rhel6", 0x1UL)]
    [InlineData("Tainted: P           OE    --------- -  -", "rhel8.0", 0x3001UL)]
    [InlineData("Tainted: P           OE    --------  --- ", "rhel9.0", 0x3001UL)]
    [InlineData("Tainted: P           OE     -------  --- ", "rhel9.3", 0x3001UL)]
    [InlineData("Tainted: P           OE     -------- --- ", "rhel10", 0x3001UL)]
    [InlineData("Tainted: G     ----", "rhel5", 0UL)]
    [InlineData("Not tainted 5.14.0-362.8.1.el9_3.x86_64 #1", "rhel9.3", 0UL)]
    public void Positional_strings_of_every_era_tell_their_table_by_release_or_by_width(string text, string table, ulong mask)
    {
        var reading = TaintedString.Parse(text, null, out _);
        Assert.NotNull(reading);
        Assert.Equal(table, reading.Table.Id);
        Assert.Equal(mask, reading.Mask);
    }

    [Fact]
    public void Every_string_each_table_prints_decodes_back_to_its_mask()
    {
        var random = new Random(7);
        foreach (var table in TaintTables.All)
        {
            var printable = table.PrintedBits.Where(b => table.Find(b) is { IsPlaceholder: false } f && f.SetChar != f.UnsetChar).Aggregate(0UL, (m, b) => m | (1UL << b));
            for (var i = 0; i < 500; i++)
            {
                var mask = ((ulong)random.NextInt64() & printable) | 1;
                var text = table.FormatTaintedString(mask)["Tainted: ".Length..];
                Assert.True(TaintedString.TryDecodePositional(text, table, out var decoded), $"{table.Id}: '{text}'");
                Assert.Equal(mask, decoded);
            }
        }
    }

    [Fact]
    public void The_verbose_line_decodes_by_name()
    {
        var reading = TaintedString.Parse("Tainted: [P]=PROPRIETARY_MODULE, [W]=WARN, [O]=OOT_MODULE, [E]=UNSIGNED_MODULE", null, out _);
        Assert.Equal(12801UL, reading!.Mask);
    }

    [Theory]
    [InlineData(" a b(POE) c(OE+) d(-) e(P)(U) [last unloaded: x]", 5, "x")]
    [InlineData(" a b(POE) [last unloaded: bpf_testmod(OE)]", 2, "bpf_testmod")]
    [InlineData(" a b(POE) c[last unloa", 2, null)]
    public void Module_lists_parse_with_flags_and_last_unloaded(string text, int count, string? last)
    {
        var list = ModuleList.Parse(text);
        Assert.Equal(count, list.Modules.Count);
        Assert.Equal(last, list.LastUnloaded);
    }

    [Fact]
    public void A_list_cut_mid_name_keeps_the_modules_before_the_cut()
    {
        var list = ModuleList.Parse(" alpha beta(OE) gam");
        Assert.Equal(["alpha", "beta", "gam"], list.Modules.Select(m => m.Name));
        var broken = ModuleList.Parse(" alpha beta(O");
        Assert.True(broken.CutShort);
        Assert.Equal(["alpha"], broken.Modules.Select(m => m.Name));
    }

    [Theory]
    [InlineData("foo: module verification failed: signature and/or required key missing - tainting kernel", "rhel7.3", ModuleLoadEventKind.UnsignedModule, 'E')]
    [InlineData("foo: module verification failed: signature and/or required key missing - tainting kernel", "rhel7.0", ModuleLoadEventKind.UnsignedModule, 'F')]
    [InlineData("foo: module license 'Proprietary' taints kernel.", "upstream", ModuleLoadEventKind.ProprietaryLicense, 'P')]
    [InlineData("foo: module license taints kernel.", "upstream", ModuleLoadEventKind.ProprietaryLicense, 'P')]
    [InlineData("foo: module is from the staging directory, the quality is unknown, you have been warned.", "upstream", ModuleLoadEventKind.Staging, 'C')]
    [InlineData("kpatch_1: tainting kernel with TAINT_LIVEPATCH", "rhel9.3", ModuleLoadEventKind.Livepatch, 'K')]
    [InlineData("kunit_test: loading test module taints kernel.", "rhel9.3", ModuleLoadEventKind.TestModule, 'N')]
    [InlineData("foo: bad vermagic: kernel tainted.", "upstream", ModuleLoadEventKind.ForcedLoad, 'F')]
    [InlineData("TECH PREVIEW: NVMe/TCP may not be fully supported.", "rhel8.0", ModuleLoadEventKind.TechPreview, 't')]
    [InlineData("TECH PREVIEW: NVMe/TCP may not be fully supported.", "rhel7.3", ModuleLoadEventKind.TechPreview, 'T')]
    [InlineData("Warning: nfp is a Partner supported GPL module and not supported directly by Red Hat.", "rhel9.3", ModuleLoadEventKind.PartnerSupported, 'p')]
    [InlineData("E1000 MODULE IS NOT SUPPORTED", "rhel8.0", ModuleLoadEventKind.SupportRemoved, 'r')]
    [InlineData("Unprivileged BPF has been enabled, tainting the kernel", "rhel9.3", ModuleLoadEventKind.UnprivilegedBpf, 'u')]
    [InlineData("Loading of unsigned module is rejected", "rhel9.3", ModuleLoadEventKind.LoadRejected, null)]
    [InlineData("Lockdown: insmod: unsigned module loading is restricted; see man kernel_lockdown.7", "rhel9.3", ModuleLoadEventKind.LockdownRejected, null)]
    [InlineData("Request for unknown module key 'Vendor: 0a1b' err -11", "rhel7.3", ModuleLoadEventKind.UnknownKey, null)]
    public void Module_load_messages_map_to_the_letter_of_the_logs_family(string text, string table, ModuleLoadEventKind kind, char? letter)
    {
        var e = ModuleLoadMessages.Match(text, 1, TaintTables.FindById(table)!);
        Assert.NotNull(e);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(letter, e.Letter);
    }
}
