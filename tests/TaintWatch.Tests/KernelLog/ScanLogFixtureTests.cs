using TaintWatch.KernelLog;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.KernelLog;

public class ScanLogFixtureTests
{
    private static KernelLogScanner Scan(string fixture)
    {
        var scanner = new KernelLogScanner();
        using var reader = new StreamReader(Path.Combine(Repo.Fixture("logs"), fixture));
        scanner.Scan(reader);
        return scanner;
    }

    [Fact]
    public void Seed_article_rhel7_fragment_is_decoded_and_its_wrapped_module_list_rejoined()
    {
        var s = Scan("seed-rhel7.txt");
        var report = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.Fragment, report.Kind);
        Assert.Equal(536883201UL, report.Taint!.Mask);
        Assert.Equal("rhel7.3", report.Taint.Table.Id);
        Assert.Equal(27, report.Cpu);
        Assert.Equal(8147, report.Pid);
        Assert.Equal("3.10.0-1160.21.1.el7.x86_64", report.Release);
        var modules = report.Modules!.Modules;
        Assert.Equal(77, modules.Count);
        Assert.Contains(modules, m => m.Name == "ebtable_filter"); // wrapped mid-name in the article
        Assert.DoesNotContain(modules, m => m.Name is "ebtable_filt" or "er");
        Assert.Equal("POE", modules.Single(m => m.Name == "scini").Letters);
        Assert.Equal("T", modules.Single(m => m.Name == "overlay").Letters);
        Assert.Equal("crct10dif_generic", modules[^1].Name);
        // grep -H prefixes ("var/log/dmesg:[ 14.46] …") are stripped: emcp's three messages are found.
        Assert.Equal(["UnsignedModule", "OutOfTree", "ProprietaryLicense", "UnsignedModule"], s.Events.Select(e => e.Kind.ToString()));
        Assert.True(s.IsUnsigned(s.Modules["emcp"]));
        Assert.Equal("EOP", s.Modules["emcp"].LettersText);
    }

    [Fact]
    public void Seed_article_rhel6_list_marks_U_modules_unsigned()
    {
        var s = Scan("seed-rhel6.txt");
        // The article quotes only the list: a fragment of a report, with its modules.
        var fragment = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.Fragment, fragment.Kind);
        Assert.Equal(54, fragment.Modules!.Modules.Count);
        var unsigned = s.Modules.Values.Where(s.IsUnsigned).Select(m => m.Name).Order().ToList();
        Assert.Equal(19, unsigned.Count);
        Assert.Contains("rdma_ucm", unsigned);
        Assert.Contains("mlx4_core", unsigned);
        Assert.DoesNotContain("ipmi_si", unsigned);
        Assert.Equal(54, s.Modules.Count);
    }

    [Fact]
    public void Debian_WARN_from_an_out_of_tree_proprietary_module()
    {
        var s = Scan("qemu-debian12-warn.dmesg");
        var r = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.Warning, r.Kind);
        Assert.Equal(0, r.Cpu);
        Assert.Equal(187, r.Pid);
        Assert.Equal("insmod", r.Comm);
        Assert.Equal(12289UL, r.Taint!.Mask); // P O E: the W is not yet in the header of the WARN that sets it
        Assert.Equal("upstream-19", r.Taint.Table.Id);
        var warn = r.Modules!.Modules[0];
        Assert.Equal(("tw_warn", "POE", (char?)'+'), (warn.Name, warn.Letters, warn.StateMark));
        Assert.True(r.Ended);
        Assert.StartsWith("QEMU Standard PC", r.Hardware);
    }

    [Fact]
    public void Rhel6_syslog_WARNING_carries_its_taint_in_the_header_and_P_U_flags()
    {
        var s = Scan("rhel6-messages.log");
        var r = Assert.Single(s.Reports);
        Assert.Equal("rhel6", r.Taint!.Table.Id);
        Assert.Equal(1UL, r.Taint.Mask);
        Assert.Equal("2.6.32-754.35.1.el6.x86_64", r.Release);
        Assert.Equal("swapper", r.Comm);
        var emcp = r.Modules!.Modules[0];
        Assert.Equal(("emcp", "P", true), (emcp.Name, emcp.Letters, emcp.Unverified));
        Assert.Equal("ipmi_si", r.Modules.LastUnloaded);
    }

    [Fact]
    public void Rhel8_journal_soft_lockup_with_tech_preview_as_X_and_Red_Hat_flags()
    {
        var s = Scan("rhel8-journal.log");
        Assert.Equal("rhel8.6", s.Table.Id);
        var r = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.SoftLockup, r.Kind);
        Assert.Equal(["OOT_MODULE", "UNSIGNED_MODULE", "AUX"], r.Taint!.Flags.Select(f => f.Name));
        Assert.Equal("eBPF/event", r.RedHatFlags);
        Assert.Equal("kworker/3:1", r.Comm);
        Assert.Equal("falcon_lsm_pinned_13706", r.Modules!.LastUnloaded);
        Assert.Contains(s.Events, e => e.Kind == ModuleLoadEventKind.TechPreview && e.Letter == 'X');
    }

    [Fact]
    public void Two_reports_in_one_file_are_two_reports_and_an_oops_joins_its_BUG_line()
    {
        var s = Scan("upstream-two-reports.log");
        Assert.Equal(2, s.Reports.Count);
        var (warn, bug) = (s.Reports[0], s.Reports[1]);
        Assert.Equal(ReportKind.Warning, warn.Kind);
        Assert.Equal(12800UL, warn.Taint!.Mask);
        Assert.Equal("bpf_test_no_cfi", warn.Modules!.LastUnloaded);
        Assert.Equal("OE", warn.Modules.LastUnloadedLetters);
        Assert.Equal(ReportKind.Bug, bug.Kind);
        Assert.Contains("Oops", bug.Header);
        Assert.Equal("rmmod", bug.Comm);
        Assert.Equal(("bpf_testmod", "OE"), (bug.UnloadedTainted[0].Name, bug.UnloadedTainted[0].Letters));
        Assert.StartsWith("Kernel panic", bug.PanicMessage);
    }

    [Fact]
    public void Rhel5_console_oops_with_level_prefixes_and_per_module_U()
    {
        var s = Scan("rhel5-console.txt");
        var r = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.Oops, r.Kind);
        Assert.Equal("rhel5", r.Taint!.Table.Id);
        Assert.Equal(1UL, r.Taint.Mask);
        Assert.True(s.IsUnsigned(s.Modules["vxfs"]));
        Assert.Equal("PU", s.Modules["vxfs"].LettersText);
    }
}

public class RealKernelLogFixtureTests
{
    [Fact]
    public void A_dmesg_captured_from_Debians_kernel_in_QEMU_decodes_as_the_kernel_wrote_it()
    {
        // tests/fixtures/logs/real-debian-6.1.0-56-qemu.dmesg: kept from a tests/kernel/run.sh run.
        var scanner = new KernelLogScanner();
        using var reader = new StreamReader(Path.Combine(Repo.Fixture("logs"), "real-debian-6.1.0-56-qemu.dmesg"));
        scanner.Scan(reader);
        var report = Assert.Single(scanner.Reports);
        Assert.Equal(ReportKind.Warning, report.Kind);
        Assert.Equal("upstream-19", report.Taint!.Table.Id);
        Assert.Equal(12289UL, report.Taint.Mask);
        Assert.Equal("6.1.0-56-amd64", report.Release);
        Assert.Equal(["tw_prop(POE+)", "tw_badsig(OE)", "tw_gpl(OE)"], report.Modules!.Modules.Where(m => m.Letters.Length > 0).Select(m => $"{m.Name}({m.Letters}{m.StateMark})"));
        Assert.True(scanner.IsUnsigned(scanner.Modules["tw_gpl"]));
        Assert.Equal("upstream-19", scanner.Table.Id);
    }
}
