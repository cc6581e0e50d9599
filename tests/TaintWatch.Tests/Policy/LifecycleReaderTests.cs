using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Policy;

/// <summary>
/// The RHEL lifecycle readers on fixture hosts: live patches, the kernel's WARN/oops counters, where each module came
/// from (weak-updates to a removed kernel), the two module listings compared, and taint nobody explains.
/// rhel79-kpatch: a RHEL 7.9 host with kpatch, scini linked from a removed kernel, and a module hidden from lsmod.
/// </summary>
public sealed class LifecycleReaderTests : IDisposable
{
    private const string Release = "3.10.0-1160.21.1.el7.x86_64";
    private const string Patch = "kpatch_3_10_0_1160_21_1_1_5";
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Live_patches_are_read_with_their_state_objects_and_functions()
    {
        var reading = LivePatchReader.Read(Repo.FixturePaths("rhel79-kpatch"));
        Assert.True(reading.Succeeded);
        var patches = reading.Value!.ToDictionary(p => p.Name);
        Assert.Equal(["kpatch_3_10_0_1160_21_1_1_4", Patch], patches.Keys.Order().ToList());
        var current = patches[Patch];
        Assert.Equal((true, false), (current.Enabled, current.Transition));
        Assert.Equal(["vmlinux", "xfs"], current.Objects.Select(o => o.Name).ToList());
        Assert.Equal(["cmdline_proc_show,1", "meminfo_proc_show,1"], current.Objects[0].Functions);
        Assert.Equal(3, current.FunctionCount);
        Assert.Empty(current.Problems);
        Assert.Equal((false, false), (patches["kpatch_3_10_0_1160_21_1_1_4"].Enabled, patches["kpatch_3_10_0_1160_21_1_1_4"].Transition));
    }

    [Fact]
    public void Without_livepatch_support_there_is_nothing_to_report_not_an_error()
    {
        var reading = LivePatchReader.Read(Repo.FixturePaths("rhel79-scini"));
        Assert.True(reading.IsMissing);
        Assert.Null(reading.Error);
    }

    [Theory]
    [InlineData("2\n", "is not 0 or 1")]
    [InlineData("", "is not 0 or 1")]
    [InlineData("1\0\n", "NUL")]
    public void A_garbled_attribute_is_a_problem_and_no_value_never_a_guess(string enabled, string problem)
    {
        _tree.Write("sys/kernel/livepatch/p/enabled", enabled);
        _tree.Write("sys/kernel/livepatch/p/transition", "0\n");
        var patch = Assert.Single(LivePatchReader.Read(_tree.Paths).Value!);
        Assert.Null(patch.Enabled);
        Assert.False(patch.Transition);
        Assert.Contains(problem, Assert.Single(patch.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_attribute_file_is_refused_without_reading_it_all()
    {
        _tree.Write("sys/kernel/livepatch/p/enabled", new string('1', 10_000_000));
        var patch = Assert.Single(LivePatchReader.Read(_tree.Paths).Value!);
        Assert.Null(patch.Enabled);
        Assert.Contains("larger than", patch.Problems[0], StringComparison.Ordinal);
        Assert.Contains(patch.Problems, p => p.Contains("transition: does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public void A_patch_with_absurdly_many_functions_is_read_up_to_a_bound()
    {
        _tree.Write("sys/kernel/livepatch/p/enabled", "1\n");
        _tree.Write("sys/kernel/livepatch/p/transition", "0\n");
        for (var o = 0; o < 3; o++)
        {
            for (var f = 0; f < 2000; f++)
            {
                Directory.CreateDirectory(_tree.PathOf($"sys/kernel/livepatch/p/obj{o}/f{f},1"));
            }
        }
        var patch = Assert.Single(LivePatchReader.Read(_tree.Paths).Value!);
        Assert.Equal(LivePatchReader.MaxFunctionsPerPatch, patch.FunctionCount);
        Assert.Contains("only the first are read", Assert.Single(patch.Problems), StringComparison.Ordinal);
        // Objects already known are not listed again (the daemon reads them once per patch).
        var again = Assert.Single(LivePatchReader.Read(_tree.Paths, new Dictionary<string, IReadOnlyList<LivePatchObject>> { ["p"] = [new LivePatchObject("vmlinux", ["x,1"])] }).Value!);
        Assert.Equal(("vmlinux", 1, true), (again.Objects.Single().Name, again.FunctionCount, again.Enabled));
    }

    [Fact]
    public void Warn_and_oops_counters_are_absent_where_the_kernel_has_no_such_files()
    {
        var counters = KernelCounters.Read(Repo.FixturePaths("rhel79-kpatch"));
        Assert.Equal((null, null), (counters.Warnings, counters.Oopses));
        Assert.Empty(counters.Problems);
    }

    [Fact]
    public void Warn_and_oops_counters_are_read_and_garbage_is_reported_not_zero()
    {
        _tree.Write("sys/kernel/warn_count", "17\n");
        _tree.Write("sys/kernel/oops_count", "-1\n");
        var counters = KernelCounters.Read(_tree.Paths);
        Assert.Equal(17UL, counters.Warnings);
        Assert.Null(counters.Oopses);
        Assert.Contains("is not a decimal count", Assert.Single(counters.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Origins_follow_the_rhel_module_tree_and_a_weak_update_names_its_removed_kernel()
    {
        var paths = Repo.FixturePaths("rhel79-kpatch");
        var locator = ModuleLocator.Load(paths, Release);
        ModuleOrigin Of(string name) => ModuleOrigin.Of(locator.Locate(name), paths, Release);
        Assert.Equal(ModuleOrigin.Kernel, Of("xfs").Kind);
        Assert.Equal(ModuleOrigin.Updates, Of("bonding").Kind);
        Assert.Equal(ModuleOrigin.BuiltIn, Of("8250").Kind);
        // kpatch loads its modules with insmod from /usr/lib/kpatch: modules.dep does not know them.
        Assert.Equal(ModuleOrigin.Unknown, Of(Patch).Kind);
        var scini = Of("scini");
        Assert.Equal(ModuleOrigin.WeakUpdates, scini.Kind);
        Assert.Equal("/lib/modules/3.10.0-1160.el7.x86_64/extra/scini.ko", scini.WeakTarget);
        Assert.Equal("3.10.0-1160.el7.x86_64", scini.WeakTargetRelease);
        Assert.True(scini.IsOrphanedWeakUpdate); // no vmlinuz of 3.10.0-1160.el7 left: that kernel was removed
    }

    [Fact]
    public void A_weak_update_whose_kernel_is_installed_is_not_orphaned_and_paths_outside_the_tree_are_other()
    {
        const string old = "5.14.0-362.8.1.el9_3.x86_64", now = "5.14.0-427.13.1.el9_4.x86_64";
        _tree.Write($"lib/modules/{old}/extra/ice/ice.ko", "module bytes");
        _tree.Write($"lib/modules/{old}/vmlinuz", "kernel image");
        Directory.CreateDirectory(_tree.PathOf($"lib/modules/{now}/weak-updates/ice"));
        File.CreateSymbolicLink(_tree.PathOf($"lib/modules/{now}/weak-updates/ice/ice.ko"), $"../../../{old}/extra/ice/ice.ko");
        _tree.Write($"lib/modules/{now}/modules.dep", "weak-updates/ice/ice.ko:\n/opt/vendor/vdrv.ko:\nmisc/odd.ko:\nextra/nvidia.ko.xz:\n");
        var locator = ModuleLocator.Load(_tree.Paths, now);
        ModuleOrigin Of(string name) => ModuleOrigin.Of(locator.Locate(name), _tree.Paths, now);
        var ice = Of("ice");
        Assert.Equal((ModuleOrigin.WeakUpdates, old, false), (ice.Kind, ice.WeakTargetRelease, ice.IsOrphanedWeakUpdate));
        Assert.Equal($"/lib/modules/{old}/extra/ice/ice.ko", ice.WeakTarget);
        Assert.Equal(ModuleOrigin.Other, Of("vdrv").Kind);
        Assert.Equal(ModuleOrigin.Other, Of("odd").Kind);
        Assert.Equal(ModuleOrigin.Extra, Of("nvidia").Kind);
        Assert.Equal(ModuleOrigin.Unknown, ModuleOrigin.Of(locator.Locate("ice"), _tree.Paths, null).Kind);
    }

    [Fact]
    public void A_module_live_in_sysfs_but_hidden_from_proc_modules_is_a_mismatch_and_built_ins_are_not()
    {
        var mismatch = ModuleListingCheck.Check(Repo.FixturePaths("rhel79-kpatch"));
        Assert.Null(mismatch.Problem);
        Assert.Equal(["hider"], mismatch.SysfsOnly);
        Assert.Equal("OE", mismatch.Letters!["hider"]);
        Assert.Empty(mismatch.ProcOnly); // printk and module are built in (no initstate): not modules hiding
        Assert.Equal(1, mismatch.Count);
    }

    [Fact]
    public void A_live_module_of_proc_modules_without_sysfs_is_a_mismatch_but_one_still_loading_is_not()
    {
        _tree.Write("proc/modules", "ghost 16384 0 - Live 0x0000000000000000 (OE)\nfresh 16384 0 - Loading 0x0000000000000000 (OE+)\nreal 16384 0 - Live 0x0000000000000000\n");
        _tree.Write("sys/module/real/initstate", "live\n");
        _tree.Write("sys/module/going/initstate", "going\n"); // unloading: its /proc/modules line is already gone
        var mismatch = ModuleListingCheck.Check(_tree.Paths);
        Assert.Equal(["ghost"], mismatch.ProcOnly);
        Assert.Empty(mismatch.SysfsOnly);
    }

    [Fact]
    public void The_listing_check_says_why_it_cannot_compare()
    {
        _tree.Write("proc/modules", "garbage line\n");
        Assert.NotNull(ModuleListingCheck.Check(_tree.Paths).Problem);
        Assert.Contains("does not exist", ModuleListingCheck.Check(new KernelPaths("/nonexistent/proc", "/nonexistent/sys", "/")).Problem, StringComparison.Ordinal);
    }

    private static readonly Dictionary<char, IReadOnlyCollection<string>> NoneUnloaded = [];

    [Fact]
    public void On_the_kpatch_host_every_module_bit_has_a_carrier()
    {
        var paths = Repo.FixturePaths("rhel79-kpatch");
        var s = KernelSnapshotReader.Read(paths);
        Assert.Equal("rhel7.3", s.Table.Id);
        Assert.Empty(UnexplainedTaint.Find(s.Table, s.TaintMask!.Value, s.Modules, [Patch], NoneUnloaded, _ => null));
    }

    [Fact]
    public void A_proprietary_bit_with_its_module_gone_is_unexplained_unless_it_was_seen_unloading()
    {
        var s = KernelSnapshotReader.Read(Repo.FixturePaths("rhel79-kpatch"));
        var withoutScini = s.Modules.Where(m => m.Name != "scini").ToList();
        var bit = Assert.Single(UnexplainedTaint.Find(s.Table, s.TaintMask!.Value, withoutScini, [Patch], NoneUnloaded, b => b == 0 ? true : null));
        Assert.Equal(("P", "PROPRIETARY_MODULE"), (bit.Flag.Letter.ToString(), bit.Flag.Name));
        Assert.Contains("hid itself", bit.Reason, StringComparison.Ordinal);
        Assert.Contains("already set when TaintWatch began", Assert.Single(UnexplainedTaint.Find(s.Table, s.TaintMask!.Value, withoutScini, [Patch], NoneUnloaded, _ => false)).Reason, StringComparison.Ordinal);
        Assert.Empty(UnexplainedTaint.Find(s.Table, s.TaintMask!.Value, withoutScini, [Patch], new Dictionary<char, IReadOnlyCollection<string>> { ['P'] = ["scini"] }, _ => null));
        // K: with the kpatch module gone from the list the live patch directory still explains it; without either it is unexplained.
        var noKpatch = withoutScini.Where(m => m.Name != Patch).ToList();
        Assert.Single(UnexplainedTaint.Find(s.Table, s.TaintMask!.Value, noKpatch, [Patch], NoneUnloaded, _ => null));
        Assert.Equal(["K", "P"], UnexplainedTaint.Find(s.Table, s.TaintMask!.Value, noKpatch, [], NoneUnloaded, _ => null).Select(b => b.Flag.Letter.ToString()).Order().ToList());
    }

    [Fact]
    public void Bits_no_module_sets_are_never_unexplained()
    {
        // W, D, I, L and upstream's T (RANDSTRUCT: set from boot on randstruct builds) have no module carrier by nature.
        var mask = (1UL << 9) | (1UL << 7) | (1UL << 11) | (1UL << 14) | (1UL << 17);
        Assert.Empty(UnexplainedTaint.Find(TaintTables.Upstream20, mask, [], [], NoneUnloaded, _ => true));
        Assert.Equal("PFCOEKXt", UnexplainedTaint.ModuleLetters(TaintTables.Rhel80));
    }
}
