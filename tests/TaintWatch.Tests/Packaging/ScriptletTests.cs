using System.Text.RegularExpressions;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Packaging;

/// <summary>
/// Each package installed, upgraded and erased with `rpm --root` into a scratch root, its scriptlets run there
/// (rpm chroots into it): systemd-sysusers creates the user, /etc/taintwatch belongs to its group, an edited
/// %config(noreplace) file survives the upgrade. The root has bash as /bin/sh (as RHEL) and this host's
/// systemd-sysusers; no systemctl, so the unit steps are skipped as on a host without systemd running.
/// </summary>
public class ScriptletTests
{
    public static TheoryData<string> Dists => new() { "el8", "el9", "el10" };

    [Theory]
    [MemberData(nameof(Dists))]
    public void Install_creates_the_user_upgrade_keeps_the_config_and_erase_cleans_up(string dist)
    {
        using var work = new TempTree();
        var root = Path.Combine(work.Root, "root");
        MakeRoot(root);
        Run("rpm", "--root", root, "--initdb");

        var install = Tool.Run("rpm", null, "--root", root, "-i", "--nodeps", RpmPackages.Binary(dist));
        Assert.True(install.ExitCode == 0, install.Output);
        var user = File.ReadAllLines(Path.Combine(root, "etc/passwd")).Select(l => l.Split(':')).Single(f => f[0] == "taintwatch");
        Assert.True(int.Parse(user[2]) < 1000, $"not a system user: uid {user[2]}");
        Assert.Equal(("TaintWatch kernel taint exporter", "/var/lib/taintwatch", "/sbin/nologin"), (user[4], user[5], user[6]));
        var group = File.ReadAllLines(Path.Combine(root, "etc/group")).Select(l => l.Split(':')).Single(f => f[0] == "taintwatch");
        Assert.Equal(user[3], group[2]);
        Assert.Equal($"750 0 {group[2]}", Run("stat", "-c", "%a %u %g", Path.Combine(root, "etc/taintwatch")).Trim());

        var sysconfig = Path.Combine(root, "etc/sysconfig/taintwatch");
        File.AppendAllText(sysconfig, "TAINTWATCH_OPTS=\"--poll.interval=10s\"\n");
        var upgrade = Build(work.Root, dist, release: "2");
        var update = Tool.Run("rpm", null, "--root", root, "-U", "--nodeps", upgrade);
        Assert.True(update.ExitCode == 0, update.Output);
        Assert.Equal($"taintwatch-{RpmPackages.Version}-2.{dist}.x86_64", Run("rpm", "--root", root, "-q", "taintwatch").Trim());
        Assert.EndsWith("TAINTWATCH_OPTS=\"--poll.interval=10s\"\n", File.ReadAllText(sysconfig));
        Assert.Single(File.ReadAllLines(Path.Combine(root, "etc/passwd")), l => l.StartsWith("taintwatch:", StringComparison.Ordinal));

        var erase = Tool.Run("rpm", null, "--root", root, "-e", "taintwatch");
        Assert.True(erase.ExitCode == 0, erase.Output);
        Assert.False(File.Exists(Path.Combine(root, "usr/bin/taintwatch")));
        // An edited configuration is kept aside on removal, as rpm does for %config files.
        Assert.Contains("--poll.interval=10s", File.ReadAllText(sysconfig + ".rpmsave"));
    }

    [Fact]
    public void The_scriptlets_are_the_RHEL_macros_of_each_major()
    {
        string Scripts(string dist) => string.Join('\n', RpmPackages.Query(RpmPackages.Binary(dist), "--scripts"));
        // RHEL 8 (systemd 239): systemctl directly.
        Assert.Contains("systemctl --no-reload preset taintwatch.service &>/dev/null || :", Scripts("el8"));
        Assert.Contains("systemctl --no-reload disable --now taintwatch.service &>/dev/null || :", Scripts("el8"));
        Assert.Contains("systemctl try-restart taintwatch.service &>/dev/null || :", Scripts("el8"));
        Assert.Contains("systemd-sysusers --replace=/usr/lib/sysusers.d/taintwatch.conf - <<SYSTEMD_INLINE_EOF &>/dev/null || :", Scripts("el8"));
        // RHEL 9 and 10 (systemd 252, 257): through systemd-update-helper, restart marked for the end of the transaction.
        foreach (var dist in new[] { "el9", "el10" })
        {
            var scripts = Scripts(dist);
            Assert.Contains("/usr/lib/systemd/systemd-update-helper install-system-units taintwatch.service || :", scripts);
            Assert.Contains("/usr/lib/systemd/systemd-update-helper remove-system-units taintwatch.service || :", scripts);
            Assert.Contains("/usr/lib/systemd/systemd-update-helper mark-restart-system-units taintwatch.service || :", scripts);
            Assert.Contains("systemd-sysusers --replace=/usr/lib/sysusers.d/taintwatch.conf - <<SYSTEMD_INLINE_EOF || :", scripts);
            Assert.DoesNotContain("&>/dev/null", scripts);
        }
        // The user is created before the files that belong to its group are laid down.
        Assert.Matches(new Regex(@"preinstall scriptlet.*\n(.*\n)*?.*systemd-sysusers"), Scripts("el9"));
    }

    /// <summary>Builds the same packages with another release number (an upgrade), from the el8 package's binary.</summary>
    private static string Build(string work, string dist, string release)
    {
        var binary = RpmPackages.Unpack(RpmPackages.Binary("el8"));
        var debug = RpmPackages.Unpack(RpmPackages.Debuginfo("el8"));
        try
        {
            var prebuilt = Path.Combine(work, "taintwatch");
            File.Copy(Path.Combine(binary, "usr/bin/taintwatch"), prebuilt);
            File.Copy(Directory.GetFiles(Path.Combine(debug, "usr/lib/debug/usr/bin")).Single(), prebuilt + ".dbg");
            var output = Path.Combine(work, "upgrade");
            var build = Tool.Run("bash", null, "packaging/rpm/build.sh", "--prebuilt", prebuilt, "--release", release, "--dists", dist, "--out", output);
            Assert.True(build.ExitCode == 0, build.Output);
            return Path.Combine(output, $"taintwatch-{RpmPackages.Version}-{release}.{dist}.x86_64.rpm");
        }
        finally
        {
            Directory.Delete(binary, true);
            Directory.Delete(debug, true);
        }
    }

    /// <summary>A root with /dev/null, bash as /bin/sh and systemd-sysusers, each with the libraries ldd names.</summary>
    private static void MakeRoot(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        Directory.CreateDirectory(Path.Combine(root, "dev"));
        Run("mknod", "-m", "666", Path.Combine(root, "dev/null"), "c", "1", "3"); // RHEL 8's scriptlets write to it
        foreach (var program in new[] { "/usr/bin/bash", "/usr/bin/systemd-sysusers" })
        {
            Copy(program, root);
            foreach (Match lib in Regex.Matches(Run("ldd", program), @"(/\S+\.so[.\d]*)"))
            {
                Copy(lib.Groups[1].Value, root);
            }
        }
        Directory.CreateDirectory(Path.Combine(root, "bin"));
        File.Copy("/usr/bin/bash", Path.Combine(root, "bin/sh"));
        File.SetUnixFileMode(Path.Combine(root, "bin/sh"), (UnixFileMode)0x1ED);
    }

    private static void Copy(string file, string root) => Run("cp", "-L", "--parents", file, root);

    private static string Run(string file, params string[] args)
    {
        var result = Tool.Run(file, null, args);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', args)}: {result.Output}");
        return result.Output;
    }
}
