using TaintWatch.KernelLog;

namespace TaintWatch.Tests.KernelLog;

/// <summary>
/// The shapes in which people paste kernel logs (issue 16 §1), one test each, written out small so a failure
/// names the shape. The real-log corpus (RealLogCorpusTests) has them in the wild; these pin each one down.
/// </summary>
public class LogShapeTests
{
    private static KernelLogScanner Scan(params string[] lines)
    {
        var scanner = new KernelLogScanner();
        scanner.Scan(new StringReader(string.Join('\n', lines)));
        return scanner;
    }

    private static string Names(KernelReport report) => string.Join(' ', report.Modules!.Modules.Select(m => m.Name + (m.Letters.Length > 0 ? $"({m.Letters})" : "")));

    [Fact]
    public void A_list_continued_as_its_own_printk_records_with_one_or_two_spaces_three_times_in_a_row()
    {
        var s = Scan(
            "[1560475.896997] WARNING: CPU: 27 PID: 8147 at kernel/foo.c:1 bar+0x1/0x2",
            "[1560475.897001] Modules linked in: scini(POE) udp_diag unix_diag",
            "[1560475.897108]  ip6t_rpfilter ipt_REJECT",
            "[1560475.897110] nf_reject_ipv4 xt_conntrack",
            "[1560475.897112]  overlay(T) sg",
            "[1560475.897200] CPU: 27 PID: 8147 Comm: kworker/27:1 Kdump: loaded Tainted: P           OE  ------------ T 3.10.0-1160.21.1.el7.x86_64 #1");
        var r = Assert.Single(s.Reports);
        Assert.Equal("scini(POE) udp_diag unix_diag ip6t_rpfilter ipt_REJECT nf_reject_ipv4 xt_conntrack overlay(T) sg", Names(r));
        Assert.Equal("rhel7.3", r.Taint!.Table.Id);
    }

    [Fact]
    public void An_empty_list_with_the_names_on_the_next_syslog_lines()
    {
        var s = Scan(
            "kernel: BUG: unable to handle kernel NULL pointer dereference at 0000000000000008",
            "kernel: Oops: 0000 [#1] SMP",
            "kernel: Modules linked in:",
            "kernel: nfsv3 nfs_acl nfs(OE)",
            "kernel: lockd grace sunrpc",
            "kernel: CPU: 1 PID: 1 Comm: x Tainted: G           OE  ------------   3.10.0-957.el7.x86_64 #1");
        var r = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.Bug, r.Kind);
        Assert.Equal("nfsv3 nfs_acl nfs(OE) lockd grace sunrpc", Names(r));
    }

    [Fact]
    public void An_80_column_console_with_glued_records_a_name_cut_at_the_edge_and_padded_lines()
    {
        const string Edge = "[   13.000002] Modules linked in: alpha beta gamma delta epsilon zeta ebtable_fi";
        Assert.Equal(80, Edge.Length);
        var s = Scan(
            "[   12.000000] ------------[ cut here ]------------                              ",
            "[   12.000001] WARNING: CPU: 0 PID: 1 at fs/x.c:3 f+0x1/0x2[   12.000002] Modules linked in: one two(O)",
            "[   12.000003] CPU: 0 PID: 1 Comm: init Tainted: G           O       6.1.0-56-amd64 #1 Debian",
            "[   12.000004] RIP: 0010:f+0x1/0x2[   12.000005] Code: 0f 0b",
            "[   12.000006] ---[ end trace 0000000000000000 ]---",
            "[   13.000000] ------------[ cut here ]------------",
            "[   13.000001] WARNING: CPU: 1 PID: 2 at fs/x.c:4 g+0x1/0x2",
            Edge,
            "lter ebtables",
            "[   13.000003] CPU: 1 PID: 2 Comm: init Tainted: G        W  O       6.1.0-56-amd64 #1 Debian");
        Assert.Equal([ReportKind.Warning, ReportKind.Warning], s.Reports.Select(r => r.Kind));
        Assert.Equal("one two(O)", Names(s.Reports[0]));
        Assert.Equal(4096UL, s.Reports[0].Taint!.Mask);
        Assert.Equal("alpha beta gamma delta epsilon zeta ebtable_filter ebtables", Names(s.Reports[1]));
    }

    [Fact]
    public void Grep_output_that_kept_only_the_lists_and_the_RIP_lines_is_one_fragment_per_list()
    {
        var s = Scan(
            "Mar 14 01:58:52 host kernel: Modules linked in: a(OE) b",
            "Mar 14 01:58:52 host kernel: RIP: 0010:task_work_run+0x50/0x90",
            "Mar 15 02:00:00 host kernel: Modules linked in: a(OE) c",
            "Mar 15 02:00:00 host kernel: RIP: 0010:other+0x1/0x2");
        Assert.Equal([ReportKind.Fragment, ReportKind.Fragment], s.Reports.Select(r => r.Kind));
        Assert.Equal("a(OE) c", Names(s.Reports[1]));
    }

    [Fact]
    public void Grep_output_of_the_CPU_lines_alone_is_one_fragment_per_line()
    {
        var s = Scan(
            "Mar 14 01:58:52 host kernel: CPU: 1 PID: 4659 Comm: a Tainted: G           OE      6.12.73+deb13-amd64 #1",
            "Mar 14 01:58:52 host kernel: Tainted: [O]=OOT_MODULE, [E]=UNSIGNED_MODULE",
            "Mar 15 03:00:00 host kernel: CPU: 0 PID: 17 Comm: b Tainted: P           OE      6.12.73+deb13-amd64 #1");
        Assert.Equal([ReportKind.Fragment, ReportKind.Fragment], s.Reports.Select(r => r.Kind));
        Assert.Equal([0x3000UL, 0x3001UL], s.Reports.Select(r => r.Taint!.Mask));
    }

    [Fact]
    public void A_mail_wrapped_list_keeps_short_names_apart_and_a_split_Tainted_line_still_decodes()
    {
        var s = Scan(
            "> kernel BUG at mm/slub.c:3908!",
            "> Modules linked in: xt_conntrack nf_conntrack ip6t_REJECT nf_reject_ipv6",
            "sg dm_mod lp parport_pc zfs(PO)",
            "> CPU: 3 PID: 9 Comm: kswapd0 Tainted: P           O",
            "4.18.0-553.el8_10.x86_64 #1");
        var r = Assert.Single(s.Reports);
        Assert.Equal("xt_conntrack nf_conntrack ip6t_REJECT nf_reject_ipv6 sg dm_mod lp parport_pc zfs(PO)", Names(r));
        Assert.Equal(0x1001UL, r.Taint!.Mask);
    }

    [Fact]
    public void An_abrt_summary_with_its_module_list_wrapped_onto_the_next_line()
    {
        var s = Scan(
            "A kernel problem occurred, but your kernel has been tainted (flags:GW).",
            "Kernel maintainers are unable to diagnose tainted reports. Tainted modules: ",
            "vboxpci,vboxnetadp,vboxnetflt,vboxdrv.");
        var r = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.Summary, r.Kind);
        Assert.Equal(512UL, r.Taint!.Mask);
        Assert.Equal("vboxpci vboxnetadp vboxnetflt vboxdrv", Names(r));
    }

    [Fact]
    public void RHEL_support_status_lines_and_the_fwctl_taint_line_are_events()
    {
        var s = Scan(
            "[    3.1] Warning: Unmaintained hardware is detected:  megaraid_sas:0073:1000 @ 0000:01:00.0",
            "[    3.2] Warning: Deprecated Driver is detected: qla4xxx will not be maintained in a future major release and may be disabled",
            "[    3.3] Warning: Disabled Hardware is detected: mptsas:0054:1000 @ 0000:02:00.0 is no longer enabled in this release.",
            "[  900.0] fwctl fwctl0: mlx5ctl(4242): has requested full access to the physical device");
        Assert.Equal(
            ["SupportUnmaintained megaraid_sas", "SupportDeprecated qla4xxx", "SupportDisabled mptsas", "FwctlDebugWrite -"],
            s.Events.Select(e => $"{e.Kind} {e.Module ?? "-"}"));
        Assert.Equal('J', s.Events[3].Letter);
        Assert.Empty(s.Reports);
    }

    [Theory]
    [InlineData("6,339,5140900,-;Modules linked in: a b(O)")]
    [InlineData("2025-08-31T23:42:06Z - Modules linked in: a b(O)")]
    [InlineData("[Tue Jul 20 13:17:28 2021] Modules linked in: a b(O)")]
    [InlineData("[  372.639754] kernel: Modules linked in: a b(O)")]
    [InlineData("июл 27 14:08:04 laptop kernel: Modules linked in: a b(O)")]
    [InlineData("`[48323.780734] Modules linked in: a b(O)")]
    [InlineData("** 93 printk messages dropped ** [  322.962139] Modules linked in: a b(O)")]
    public void Every_prefix_in_the_corpus_is_read(string line)
    {
        var r = Assert.Single(Scan(line).Reports);
        Assert.Equal("a b(O)", Names(r));
    }

    [Fact]
    public void A_driver_message_starting_with_Oops_is_not_a_report_but_RHEL_5s_die_counter_is()
    {
        Assert.Empty(Scan("Oops: efitime: can't read time!").Reports);
        Assert.Equal(ReportKind.Oops, Assert.Single(Scan("<1>Oops: 0000 [1] SMP").Reports).Kind);
        Assert.Equal(ReportKind.Oops, Assert.Single(Scan("[  133.8] Internal error: Oops: 96000044 [#1] SMP").Reports).Kind);
    }

    [Fact]
    public void A_panic_right_after_the_end_of_a_report_ends_that_report()
    {
        var s = Scan(
            "[   40.6] kernel BUG at mm/usercopy.c:84!",
            "[   40.7] CPU: 1 PID: 2988 Comm: x Not tainted 4.14.0 #36",
            "[   41.0] ---[ end trace d80029d430f95081 ]---",
            "[   41.1] Kernel panic - not syncing: Fatal exception");
        var r = Assert.Single(s.Reports);
        Assert.Equal("Kernel panic - not syncing: Fatal exception", r.PanicMessage);
    }
}
