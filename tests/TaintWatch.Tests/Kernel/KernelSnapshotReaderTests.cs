using TaintWatch.Kernel;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Kernel;

public class KernelSnapshotReaderTests
{
    [Fact]
    public void Rhel79_host_from_the_support_article()
    {
        var s = KernelSnapshotReader.Read(Repo.FixturePaths("rhel79-scini"));
        Assert.Equal("3.10.0-1160.21.1.el7.x86_64", s.Release);
        Assert.Equal(536883201UL, s.TaintMask);
        Assert.Equal("rhel7.3", s.Table.Id);
        Assert.Equal("6f1c2f5e-58b4-4a9c-9d0e-2b1f3c4d5e6f", s.BootId);
        Assert.Equal(13, s.Modules.Count);
        var scini = s.Modules.Single(m => m.Name == "scini");
        Assert.Equal("POE", scini.TaintLetters);
        Assert.Equal("/sys/module/scini/taint", scini.TaintSource);
        Assert.Equal("3.6-0.1", scini.Sys!.Version);
        Assert.Equal(24, scini.Sys.SrcVersion!.Length);
        Assert.Equal(40, scini.Sys.BuildId!.Length);
        Assert.Equal("T", s.Modules.Single(m => m.Name == "overlay").TaintLetters);
        Assert.Equal(["overlay", "scini"], s.Modules.Where(m => m.IsTainting).Select(m => m.Name));
        Assert.Equal(["scini"], s.ModulesWithLetter('E').Select(m => m.Name));
        Assert.False(s.SigEnforce);
        Assert.True(s.AllSourcesRead);
        Assert.DoesNotContain(s.Modules, m => m.Name is "8250" or "kernel");
    }

    [Fact]
    public void Rhel6_host_without_taint_files_takes_letters_from_proc_modules()
    {
        var s = KernelSnapshotReader.Read(Repo.FixturePaths("rhel6"));
        Assert.Equal("rhel6", s.Table.Id);
        var emcp = s.Modules.Single(m => m.Name == "emcp");
        Assert.Null(emcp.Sys!.Taint);
        Assert.Equal("P", emcp.TaintLetters);
        Assert.Equal("/proc/modules", emcp.TaintSource);
        Assert.Null(s.SigEnforce);
        Assert.True(s.AllSourcesRead);
    }

    [Theory]
    [InlineData("rhel86", "rhel8.6", "OOT_MODULE,UNSIGNED_MODULE,AUX", "falcon_lsm_serviceable,rpcrdma")]
    [InlineData("rhel93", "rhel9.3", "PROPRIETARY_MODULE,OOT_MODULE,UNSIGNED_MODULE,TEST", "kunit_example_test,nvidia,nvidia_modeset,nvidia_uvm")]
    [InlineData("upstream-clean", "upstream-19", "", "")]
    public void Each_family_decodes_with_its_own_table(string fixture, string table, string names, string tainting)
    {
        var s = KernelSnapshotReader.Read(Repo.FixturePaths(fixture));
        Assert.Equal(table, s.Table.Id);
        Assert.Equal(names, string.Join(",", s.SetFlags.Select(f => f.Name)));
        Assert.Equal(tainting, string.Join(",", s.Modules.Where(m => m.IsTainting).Select(m => m.Name)));
        Assert.True(s.AllSourcesRead);
    }

    [Fact]
    public void A_broken_host_reports_every_problem_and_keeps_what_it_could_read()
    {
        var s = KernelSnapshotReader.Read(Repo.FixturePaths("broken"));
        Assert.Null(s.TaintMask);
        Assert.Null(s.Release);
        Assert.Equal("upstream", s.Table.Id);
        var failed = s.Sources.Where(x => !x.Success).Select(x => x.Collector).ToList();
        Assert.Equal(["release", "taint", "modules", "sysfs"], failed);
        Assert.Contains("twelve thousand", s.Sources.Single(x => x.Collector == "taint").Problem);
        Assert.Contains("is a directory", s.Sources.Single(x => x.Collector == "sysfs").Problem);
        Assert.Contains("no GNU build-id", s.Sources.Single(x => x.Collector == "sysfs").Problem);
        var good = Assert.Single(s.Modules);
        Assert.Equal("OE", good.TaintLetters);
        Assert.Equal("/proc/modules", good.TaintSource);
    }

    [Fact]
    public void A_host_without_module_support_says_so()
    {
        using var tree = new TempTree();
        tree.Write("proc/sys/kernel/tainted", "0\n");
        tree.Write("proc/sys/kernel/osrelease", "6.18.44\n");
        var s = KernelSnapshotReader.Read(tree.Paths);
        Assert.False(s.ModulesSupported);
        Assert.Empty(s.Modules);
        Assert.True(s.AllSourcesRead);
    }

    [Fact]
    public void Disagreements_between_proc_modules_and_sysfs_are_noted()
    {
        using var tree = new TempTree("rhel79-scini");
        File.WriteAllText(tree.PathOf("sys/module/scini/taint"), "PO\n");
        Directory.CreateDirectory(tree.PathOf("sys/module/ghost"));
        File.WriteAllText(tree.PathOf("sys/module/ghost/initstate"), "going\n");
        var s = KernelSnapshotReader.Read(tree.Paths);
        Assert.Contains(s.Notes, n => n.Contains("scini") && n.Contains("(POE)") && n.Contains("(PO)"));
        Assert.Contains(s.Notes, n => n.StartsWith("ghost:") && n.Contains("not in /proc/modules"));
        Assert.Equal("PO", s.Modules.Single(m => m.Name == "scini").TaintLetters);
    }

    [Fact]
    public void A_10_MB_proc_modules_is_refused_with_bounded_memory()
    {
        using var tree = new TempTree("rhel79-scini");
        using (var file = File.Create(tree.PathOf("proc/modules")))
        {
            var line = "garbage_module 16384 0 - Live 0x0000000000000000 (OE)\n"u8.ToArray();
            for (var written = 0; written < 10 * 1024 * 1024; written += line.Length)
            {
                file.Write(line);
            }
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        var s = KernelSnapshotReader.Read(tree.Paths);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var modules = s.Sources.Single(x => x.Collector == "modules");
        Assert.False(modules.Success);
        Assert.Contains("larger than the 8 MiB", modules.Problem);
        Assert.True(allocated < 64L * 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_huge_taint_file_is_refused_without_reading_it_whole()
    {
        using var tree = new TempTree("rhel79-scini");
        using (var file = File.Create(tree.PathOf("proc/sys/kernel/tainted")))
        {
            file.SetLength(2L * 1024 * 1024 * 1024); // sparse 2 GiB
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        var s = KernelSnapshotReader.Read(tree.Paths);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16L * 1024 * 1024);
        Assert.Null(s.TaintMask);
        Assert.Contains("larger than", s.Sources.Single(x => x.Collector == "taint").Problem);
    }

    [Fact]
    public void Files_that_vanish_are_reported_missing_not_fatal()
    {
        using var tree = new TempTree("rhel79-scini");
        File.Delete(tree.PathOf("proc/sys/kernel/tainted"));
        Directory.Delete(tree.PathOf("sys/module/scini"), recursive: true);
        var s = KernelSnapshotReader.Read(tree.Paths);
        Assert.Null(s.TaintMask);
        Assert.Contains("does not exist", s.Sources.Single(x => x.Collector == "taint").Problem);
        Assert.Equal("POE", s.Modules.Single(m => m.Name == "scini").TaintLetters);
    }
}
