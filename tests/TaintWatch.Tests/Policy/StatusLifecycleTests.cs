using System.Text.Json;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Policy;

/// <summary>`taintwatch status` on the kpatch fixture host: taint policy marks, live patches, hidden modules, origins, weak-updates.</summary>
public sealed class StatusLifecycleTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private string Policy(string taint)
    {
        _tree.Write("expected.yaml", $"modules:\n  - name: scini\ntaint: {taint}\n");
        return _tree.PathOf("expected.yaml");
    }

    [Fact]
    public void Text_marks_the_bits_the_policy_does_not_allow_and_shows_the_lifecycle()
    {
        var r = Support.Cli.Run(["status", "--modules.expected-file", Policy("[P, O, E]"), .. Support.Cli.FixtureArgs("rhel79-kpatch")]);
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.Contains(lines, l => l.Contains("ALLOWED", StringComparison.Ordinal) && l.Contains("MEANING", StringComparison.Ordinal));
        Assert.Matches(@"(?m)^  15\s+K\s+LIVEPATCH\s+kpatch_3_10_0_1160_21_1_1_5\s+NO\s", r.Stdout);
        Assert.Matches(@"(?m)^  0\s+P\s+PROPRIETARY_MODULE\s+scini\s+yes\s", r.Stdout);
        Assert.Contains("NOT allowed by the taint policy (taint: [P, O, E] in ", r.Stdout);
        Assert.Contains("): K T\n", r.Stdout);
        Assert.Contains("Live patch:  kpatch_3_10_0_1160_21_1_1_5 enabled (vmlinux: cmdline_proc_show, meminfo_proc_show; xfs: xfs_file_aio_write)", r.Stdout);
        Assert.Contains("Live patch:  kpatch_3_10_0_1160_21_1_1_4 disabled", r.Stdout);
        Assert.Contains("HIDDEN MODULE: hider is live in /sys/module but missing from /proc/modules", r.Stdout);
        Assert.Contains("Kernel counters: not available", r.Stdout);
        Assert.Matches(@"(?m)^  scini\s+POE\s.*\sweak-updates\s+yes\s", r.Stdout);
        Assert.Contains("scini: weak-updates link to /lib/modules/3.10.0-1160.el7.x86_64/extra/scini.ko, but kernel 3.10.0-1160.el7.x86_64 is no longer installed", r.Stdout);
    }

    [Fact]
    public void Without_a_taint_key_there_is_no_policy_column_and_json_says_null()
    {
        _tree.Write("expected.yaml", "modules:\n  - name: scini\n");
        var r = Support.Cli.Run(["status", "--json", "--modules.expected-file", _tree.PathOf("expected.yaml"), .. Support.Cli.FixtureArgs("rhel79-kpatch")]);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("taint_policy").ValueKind);
        Assert.DoesNotContain("ALLOWED", Support.Cli.Run(["status", "--modules.expected-file", _tree.PathOf("expected.yaml"), .. Support.Cli.FixtureArgs("rhel79-kpatch")]).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_has_the_policy_live_patches_counters_listing_and_each_modules_origin()
    {
        var r = Support.Cli.Run(["status", "--json", "--modules.expected-file", Policy("[P, O, E, K]"), .. Support.Cli.FixtureArgs("rhel79-kpatch")]);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(["TECH_PREVIEW"], root.GetProperty("taint_policy").GetProperty("unexpected").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["P", "O", "E", "K"], root.GetProperty("taint_policy").GetProperty("allowed").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(root.GetProperty("taint_without_carrier").EnumerateArray());
        var patch = root.GetProperty("live_patches").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "kpatch_3_10_0_1160_21_1_1_5");
        Assert.True(patch.GetProperty("enabled").GetBoolean());
        Assert.Equal(["cmdline_proc_show,1", "meminfo_proc_show,1"], patch.GetProperty("objects").GetProperty("vmlinux").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("kernel_counters").GetProperty("warnings").ValueKind);
        Assert.Equal(["hider"], root.GetProperty("listing_mismatch").GetProperty("sysfs_only").EnumerateArray().Select(e => e.GetString()));
        var modules = root.GetProperty("modules").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(("weak-updates", "3.10.0-1160.el7.x86_64", false),
            (modules["scini"].GetProperty("origin").GetString(), modules["scini"].GetProperty("weak_target_release").GetString(), modules["scini"].GetProperty("weak_target_kernel_installed").GetBoolean()));
        Assert.Equal("kernel", modules["xfs"].GetProperty("origin").GetString());
        Assert.Equal("updates", modules["bonding"].GetProperty("origin").GetString());
        Assert.Equal("unknown", modules["kpatch_3_10_0_1160_21_1_1_5"].GetProperty("origin").GetString());
    }

    [Fact]
    public void A_taint_letter_no_table_knows_is_refused_with_what_to_write()
    {
        var r = Support.Cli.Run(["status", "--modules.expected-file", Policy("[Q]"), .. Support.Cli.FixtureArgs("rhel79-kpatch")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("taint \"Q\" is not a taint letter or name; write one letter per entry", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
