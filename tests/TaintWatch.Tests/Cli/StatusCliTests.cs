using System.Text.Json;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Cli;

public class StatusCliTests
{
    [Theory]
    [InlineData("rhel79-scini", 1, "VERDICT: TAINTED 536883201 (P O E T)")]
    [InlineData("rhel6", 1, "VERDICT: TAINTED 1 (P)")]
    [InlineData("rhel86", 1, "VERDICT: TAINTED 77824 (O E X)")]
    [InlineData("rhel93", 1, "VERDICT: TAINTED 274433 (P O E N)")]
    [InlineData("upstream-clean", 0, "VERDICT: NOT TAINTED - kernel 6.1.0-56-amd64")]
    [InlineData("broken", 2, "VERDICT: UNKNOWN")]
    public void Status_runs_on_every_fixture_tree(string fixture, int exitCode, string verdict)
    {
        var r = Support.Cli.Run(["status", .. Support.Cli.FixtureArgs(fixture)]);
        Assert.Equal(exitCode, r.ExitCode);
        Assert.Contains(verdict, r.Stdout);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Tainting_modules_are_listed_first_and_named_in_the_verdict()
    {
        var r = Support.Cli.Run(["status", .. Support.Cli.FixtureArgs("rhel79-scini")]);
        var moduleLines = r.Stdout.Split('\n').SkipWhile(l => !l.TrimStart().StartsWith("MODULE", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.StartsWith("overlay", moduleLines[0].Trim());
        Assert.StartsWith("scini", moduleLines[1].Trim());
        Assert.Contains("modules overlay(T) scini(POE)", r.Stdout);
    }

    [Fact]
    public void Status_json_carries_the_snapshot()
    {
        var r = Support.Cli.Run(["status", "--json", .. Support.Cli.FixtureArgs("rhel79-scini")]);
        Assert.Equal(1, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(536883201UL, root.GetProperty("taint_mask").GetUInt64());
        Assert.Equal("rhel7.3", root.GetProperty("taint_table").GetString());
        Assert.True(root.GetProperty("tainted").GetBoolean());
        var scini = root.GetProperty("modules").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "scini");
        Assert.Equal("POE", scini.GetProperty("taint").GetString());
        Assert.Equal("/sys/module/scini/taint", scini.GetProperty("taint_source").GetString());
    }

    [Fact]
    public void With_an_expected_modules_list_each_module_is_shown_as_expected_or_not()
    {
        using var tree = new TempTree("rhel79-scini");
        // The distribution's key covers overlay and xfs; only scini by name; everything else is unexpected.
        File.WriteAllText(tree.PathOf("expected.yaml"), "signers:\n  - signer: \"Red Hat Enterprise Linux kernel signing key\"\nmodules:\n  - name: scini\n  - name: \"nf_*\"\n");
        string[] args = ["--modules.expected-file", tree.PathOf("expected.yaml"), "--path.procfs", tree.PathOf("proc"), "--path.sysfs", tree.PathOf("sys"), "--path.rootfs", tree.Root];
        var text = Support.Cli.Run(["status", .. args]);
        Assert.Equal(1, text.ExitCode);
        string Row(string module) => text.Stdout.Split('\n').Single(l => l.TrimStart().StartsWith(module + " ", StringComparison.Ordinal));
        Assert.Contains("EXPECTED", text.Stdout);
        Assert.Contains(" yes ", Row("overlay"));
        Assert.Contains(" yes ", Row("scini"));
        Assert.Contains(" yes ", Row("nf_conntrack"));
        Assert.Contains(" NO ", Row("bonding"));
        Assert.Contains($"Not on the expected list ({tree.PathOf("expected.yaml")}): 8021q bonding garp hpwdt libcrc32c mrp openvswitch sd_mod", text.Stdout);

        var json = Support.Cli.Run(["status", "--json", .. args]);
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal(tree.PathOf("expected.yaml"), doc.RootElement.GetProperty("expected_modules_file").GetString());
        var expected = doc.RootElement.GetProperty("modules").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("expected").GetBoolean());
        Assert.True(expected["xfs"]);
        Assert.False(expected["openvswitch"]);
        Assert.Equal(8, expected.Values.Count(v => !v));

        // Without a list: no column, and null in JSON (not false: "no list" is not "not on the list").
        var plain = Support.Cli.Run(["status", "--json", .. Support.Cli.FixtureArgs("rhel79-scini")]);
        using var plainDoc = JsonDocument.Parse(plain.Stdout);
        Assert.Equal(JsonValueKind.Null, plainDoc.RootElement.GetProperty("modules")[0].GetProperty("expected").ValueKind);
        Assert.DoesNotContain("EXPECTED", Support.Cli.Run(["status", .. Support.Cli.FixtureArgs("rhel79-scini")]).Stdout);
    }

    [Fact]
    public void A_broken_expected_modules_list_is_an_error_that_names_the_line()
    {
        using var tree = new TempTree("rhel79-scini");
        File.WriteAllText(tree.PathOf("expected.yaml"), "modules:\n  - nam: scini\n");
        var r = Support.Cli.Run("status", "--modules.expected-file", tree.PathOf("expected.yaml"), "--path.procfs", tree.PathOf("proc"), "--path.sysfs", tree.PathOf("sys"), "--path.rootfs", tree.Root);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--modules.expected-file", r.Stderr);
        Assert.Contains("nam", r.Stderr);
        var missing = Support.Cli.Run("status", "--modules.expected-file", tree.PathOf("absent.yaml"), "--path.procfs", tree.PathOf("proc"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("absent.yaml", missing.Stderr);
    }

    [Fact]
    public void Status_on_this_machine_says_plainly_when_the_kernel_has_no_loadable_modules()
    {
        var r = Support.Cli.Run("status");
        Assert.True(r.ExitCode is 0 or 1, r.Stderr);
        if (!File.Exists("/proc/modules"))
        {
            Assert.Contains("no loadable module support", r.Stdout);
        }
        Assert.Contains("VERDICT:", r.Stdout);
    }

    [Fact]
    public void An_unreadable_taint_file_is_reported_as_permission_denied_to_an_unprivileged_user()
    {
        using var tree = new TempTree("rhel79-scini");
        File.SetUnixFileMode(tree.PathOf("proc/sys/kernel/tainted"), UnixFileMode.None);
        File.SetUnixFileMode(tree.PathOf("sys/module/scini/taint"), UnixFileMode.None);
        var r = Support.Cli.RunAs(65534, "status", "--path.procfs", tree.PathOf("proc"), "--path.sysfs", tree.PathOf("sys"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("tainted: permission denied", r.Stderr);
        Assert.Contains("scini/taint: permission denied", r.Stdout);
    }

    [Fact]
    public void A_wrong_procfs_path_tells_the_user_what_to_check()
    {
        var r = Support.Cli.Run("status", "--path.procfs", "/nonexistent", "--path.sysfs", "/nonexistent");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("does not exist", r.Stderr);
        Assert.Contains("--path.procfs", r.Stderr);
    }
}
