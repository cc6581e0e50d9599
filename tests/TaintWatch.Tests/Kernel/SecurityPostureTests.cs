using System.Text.Json;
using TaintWatch.Kernel;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Kernel;

/// <summary>Secure Boot, lockdown and sig_enforce from fixture trees; unreadable is "unknown", never "off".</summary>
public sealed class SecurityPostureTests
{
    private const string Guid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

    [Theory]
    [InlineData("rhel93", "enabled", "integrity", "off")]
    [InlineData("rhel86", "disabled", "none", "off")]
    [InlineData("rhel79-scini", "disabled", "unsupported", "off")] // RHEL 7: securityfs without the lockdown LSM
    [InlineData("rhel6", "unsupported", "unknown", "unsupported")] // BIOS, no securityfs, no module signing
    [InlineData("upstream-clean", "unsupported", "unknown", "off")]
    public void Each_fixture_host_reads_as_its_kernel_and_firmware_would_say(string fixture, string secureBoot, string lockdown, string sigEnforce)
    {
        var root = Repo.Fixture(fixture);
        var posture = SecurityPostureReader.Read(new KernelPaths(Path.Combine(root, "proc"), Path.Combine(root, "sys"), root));
        Assert.Equal((secureBoot, lockdown, sigEnforce), (posture.SecureBoot, posture.Lockdown, posture.SigEnforce));
    }

    [Theory]
    [InlineData(new byte[] { 1 }, "enabled")]
    [InlineData(new byte[] { 0 }, "disabled")]
    public void The_old_sysfs_efi_vars_interface_is_read_too(byte[] data, string expected)
    {
        using var tree = new TempTree();
        Directory.CreateDirectory(tree.PathOf($"sys/firmware/efi/vars/SecureBoot-{Guid}"));
        File.WriteAllBytes(tree.PathOf($"sys/firmware/efi/vars/SecureBoot-{Guid}/data"), data);
        Assert.Equal(expected, SecurityPostureReader.Read(tree.Paths).SecureBoot);
    }

    [Theory]
    [InlineData(new byte[] { 6, 0, 0, 0, 7 })]
    [InlineData(new byte[] { 6, 0, 0 })]
    [InlineData(new byte[] { })]
    public void A_malformed_SecureBoot_variable_is_unknown_with_the_reason(byte[] data)
    {
        using var tree = new TempTree();
        tree.Write($"sys/firmware/efi/efivars/SecureBoot-{Guid}", "");
        File.WriteAllBytes(tree.PathOf($"sys/firmware/efi/efivars/SecureBoot-{Guid}"), data);
        var posture = SecurityPostureReader.Read(tree.Paths);
        Assert.Equal("unknown", posture.SecureBoot);
        Assert.Contains(posture.Problems, p => p.Contains("SecureBoot", StringComparison.Ordinal));
    }

    [Fact]
    public void Huge_or_garbage_files_are_unknown_not_a_crash_and_not_read_whole()
    {
        using var tree = new TempTree();
        using (var f = File.Create(tree.PathOf("big")))
        {
            f.SetLength(2L << 30); // 2 GiB sparse
        }
        Directory.CreateDirectory(tree.PathOf("sys/firmware/efi/efivars"));
        Directory.CreateDirectory(tree.PathOf("sys/kernel/security"));
        File.Move(tree.PathOf("big"), tree.PathOf($"sys/firmware/efi/efivars/SecureBoot-{Guid}"));
        tree.Write("sys/kernel/security/lockdown", "[[[ garbage ]");
        tree.Write("sys/module/module/parameters/sig_enforce", "maybe\n");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var posture = SecurityPostureReader.Read(tree.Paths);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal(("unknown", "unknown", "unknown"), (posture.SecureBoot, posture.Lockdown, posture.SigEnforce));
        Assert.Equal(3, posture.Problems.Count);
    }

    [Fact]
    public void Efivarfs_not_mounted_on_a_UEFI_host_is_unknown_not_unsupported()
    {
        using var tree = new TempTree();
        Directory.CreateDirectory(tree.PathOf("sys/firmware/efi/efivars"));
        Assert.Equal("unknown", SecurityPostureReader.Read(tree.Paths).SecureBoot);
    }

    [Fact]
    public void Files_the_service_user_cannot_read_are_unknown_in_status_json()
    {
        using var tree = new TempTree("rhel93");
        foreach (var file in new[] { $"sys/firmware/efi/efivars/SecureBoot-{Guid}", "sys/kernel/security/lockdown", "sys/module/module/parameters/sig_enforce" })
        {
            File.SetUnixFileMode(tree.PathOf(file), UnixFileMode.UserRead);
        }
        var r = Support.Cli.RunAs(65534, "status", "--json", "--path.procfs", tree.PathOf("proc"), "--path.sysfs", tree.PathOf("sys"), "--path.rootfs", tree.Root);
        using var doc = JsonDocument.Parse(r.Stdout);
        var security = doc.RootElement.GetProperty("security");
        Assert.Equal("unknown", security.GetProperty("secure_boot").GetString());
        Assert.Equal("unknown", security.GetProperty("lockdown").GetString());
        Assert.Equal("unknown", security.GetProperty("sig_enforce").GetString());
        Assert.Equal(3, security.GetProperty("problems").GetArrayLength());
        // And the same files readable: the real values.
        var root = Support.Cli.Run("status", "--json", "--path.procfs", tree.PathOf("proc"), "--path.sysfs", tree.PathOf("sys"), "--path.rootfs", tree.Root);
        using var rootDoc = JsonDocument.Parse(root.Stdout);
        Assert.Equal("enabled", rootDoc.RootElement.GetProperty("security").GetProperty("secure_boot").GetString());
    }

    [Fact]
    public void The_kernel_signing_key_is_the_signer_of_the_loaded_in_tree_modules()
    {
        var r = Support.Cli.Run(["status", "--json", .. Support.Cli.FixtureArgs("rhel79-scini")]);
        using var doc = JsonDocument.Parse(r.Stdout);
        var key = doc.RootElement.GetProperty("security").GetProperty("kernel_signing_key");
        Assert.Equal("Red Hat Enterprise Linux kernel signing key", key.GetProperty("signer").GetString());
        Assert.Equal("67:C6:8A:84:D4:0D:B0:66:D0:54:B5:2F:D0:9F:EA:A2:1D:EE:DD:10", key.GetProperty("sig_key").GetString());
        Assert.Equal(2, key.GetProperty("modules").GetInt32()); // xfs and overlay; scini is out of tree
        var none = Support.Cli.Run(["status", "--json", .. Support.Cli.FixtureArgs("rhel93")]);
        using var noneDoc = JsonDocument.Parse(none.Stdout);
        Assert.Equal(JsonValueKind.Null, noneDoc.RootElement.GetProperty("security").GetProperty("kernel_signing_key").ValueKind);
    }
}
