using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TaintWatch.Tests.Support;
using Xunit.Abstractions;

namespace TaintWatch.Tests.Packaging;

/// <summary>
/// The el8, el9 and el10 packages, their debuginfo packages and the source RPM that one `bash packaging/rpm/build.sh`
/// left (scripts/test.sh runs it): names, dependencies each RHEL major can meet, files, modes and owners, rpmlint.
/// </summary>
public class RpmPackageTests(ITestOutputHelper log)
{
    public static TheoryData<string> Dists => new() { "el8", "el9", "el10" };

    [Fact]
    public void One_build_leaves_every_package_with_an_honest_dist_tag()
    {
        foreach (var dist in new[] { "el8", "el9", "el10" })
        {
            Assert.True(File.Exists(RpmPackages.Binary(dist)), $"{RpmPackages.Binary(dist)} is missing");
            Assert.True(File.Exists(RpmPackages.Debuginfo(dist)), $"{RpmPackages.Debuginfo(dist)} is missing");
            Assert.Equal($"{RpmPackages.Release}.{dist}", RpmPackages.Query(RpmPackages.Binary(dist), "--qf", "%{RELEASE}\n").Single());
            Assert.Equal($"{RpmPackages.Release}.{dist}", RpmPackages.Query(RpmPackages.Debuginfo(dist), "--qf", "%{RELEASE}\n").Single());
            // SHA-256 file digests (8), which RHEL 9 and 10 require in FIPS mode; a gzip payload every major's rpm reads.
            Assert.Equal("8 gzip", RpmPackages.Query(RpmPackages.Binary(dist), "--qf", "%{FILEDIGESTALGO} %{PAYLOADCOMPRESSOR}\n").Single());
        }
        Assert.True(File.Exists(RpmPackages.Source), $"{RpmPackages.Source} is missing");
        // The source package carries no dist tag: it is rebuilt on each major.
        Assert.Equal(RpmPackages.Release, RpmPackages.Query(RpmPackages.Source, "--qf", "%{RELEASE}\n").Single());
        // Nothing else: no stray el9-only package from an older build.sh.
        Assert.Equal(7, Directory.GetFiles(RpmPackages.Dir, "*.rpm").Length);
    }

    [Theory]
    [MemberData(nameof(Dists))]
    public void Every_requirement_is_provided_by_that_RHEL_major(string dist)
    {
        var major = int.Parse(dist[2..]);
        var provides = File.ReadAllLines(Path.Combine(Repo.Root, "tests/TaintWatch.Tests/Packaging/rhel-provides.tsv"))
            .Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split('\t')).Where(f => int.Parse(f[0]) == major).Select(f => f[1]).ToList();
        Assert.NotEmpty(provides);
        var requires = RpmPackages.Query(RpmPackages.Binary(dist), "--requires").Select(r => r.Trim()).ToList();
        log.WriteLine(string.Join('\n', requires));
        var unmet = requires.Where(r => !provides.Any(p => Meets(p, r))).ToList();
        Assert.True(unmet.Count == 0, $"{dist}: nothing in RHEL {major} provides: {string.Join(", ", unmet)}");
        // The libraries loaded at run time with dlopen are declared, by the soname that major ships.
        Assert.Contains("liblzma.so.5()(64bit)", requires);
        Assert.Contains("libzstd.so.1()(64bit)", requires);
        Assert.Contains(major == 8 ? "libssl.so.1.1()(64bit)" : "libssl.so.3()(64bit)", requires);
        Assert.DoesNotContain(major == 8 ? "libssl.so.3()(64bit)" : "libssl.so.1.1()(64bit)", requires);
    }

    /// <summary>A provides pattern from rhel-provides.tsv: exact, "prefix*", or "lib(GLIBC_&lt;=2.28)(64bit)".</summary>
    private static bool Meets(string provide, string require)
    {
        var glibc = Regex.Match(provide, @"^(.+)\(GLIBC_<=([\d.]+)\)\(64bit\)$");
        if (glibc.Success)
        {
            var wanted = Regex.Match(require, @"^(.+)\(GLIBC_([\d.]+)\)\(64bit\)$");
            return wanted.Success && wanted.Groups[1].Value == glibc.Groups[1].Value && Version.Parse(wanted.Groups[2].Value) <= Version.Parse(glibc.Groups[2].Value);
        }
        return provide.EndsWith('*') ? require.StartsWith(provide[..^1], StringComparison.Ordinal) : require == provide;
    }

    [Theory]
    [MemberData(nameof(Dists))]
    public void Every_file_has_its_mode_and_owner(string dist)
    {
        var files = RpmPackages.Query(RpmPackages.Binary(dist), "--qf", "[%{FILEFLAGS:fflags}|%{FILEMODES:perms}|%{FILEUSERNAME}|%{FILEGROUPNAME}|%{FILENAMES}\n]")
            .Select(l => l.Split('|')).Where(f => f.Length == 5).ToDictionary(f => f[4], f => (Flags: f[0], Mode: f[1], Owner: f[2] + ":" + f[3]));
        var expected = new Dictionary<string, string>
        {
            ["/usr/bin/taintwatch"] = "-rwxr-xr-x",
            ["/usr/lib/systemd/system/taintwatch.service"] = "-rw-r--r--",
            ["/usr/lib/sysusers.d/taintwatch.conf"] = "-rw-r--r--",
            ["/etc/sysconfig/taintwatch"] = "-rw-r--r--",
            ["/usr/lib/systemd/catalog/taintwatch.catalog"] = "-rw-r--r--",
            ["/usr/lib/firewalld/services/taintwatch.xml"] = "-rw-r--r--",
            ["/usr/share/man/man1/taintwatch.1.gz"] = "-rw-r--r--",
            ["/usr/share/taintwatch/taintwatch-alerts.yml"] = "-rw-r--r--",
            ["/usr/share/taintwatch/taintwatch-recording.yml"] = "-rw-r--r--",
            ["/usr/share/taintwatch/taintwatch-alerts.test.yml"] = "-rw-r--r--",
            ["/usr/share/taintwatch/grafana/taintwatch-fleet.json"] = "-rw-r--r--",
            ["/usr/share/taintwatch/expected-modules.example.yaml"] = "-rw-r--r--",
            [$"/usr/share/licenses/taintwatch-{RpmPackages.Version}/LICENSE"] = "-rw-r--r--",
        };
        foreach (var (path, mode) in expected)
        {
            Assert.True(files.ContainsKey(path), $"{path} is not in the {dist} package: {string.Join(", ", files.Keys)}");
            Assert.Equal((mode, "root:root"), (files[path].Mode, files[path].Owner));
        }
        // The service user reads its TLS key and web config here; nobody else may.
        Assert.Equal(("drwxr-x---", "root:taintwatch"), (files["/etc/taintwatch"].Mode, files["/etc/taintwatch"].Owner));
        Assert.Equal("cn", files["/etc/sysconfig/taintwatch"].Flags); // %config(noreplace)
        // Nothing is installed that is not listed here, apart from directories and rpm's build-id links.
        var unexpected = files.Keys.Where(f => !expected.ContainsKey(f) && !files[f].Mode.StartsWith('d') && !f.StartsWith("/usr/lib/.build-id/", StringComparison.Ordinal) && f != $"/usr/share/doc/taintwatch-{RpmPackages.Version}/README.md").ToList();
        Assert.True(unexpected.Count == 0, string.Join(", ", unexpected));
    }

    [Fact]
    public void The_firewalld_service_is_valid_and_opens_the_default_metrics_port()
    {
        // firewalld's own reader (python3-firewall), which checks the schema, port numbers and protocols.
        var read = Tool.Run("/usr/bin/python3", Path.Combine(Repo.Root, "packaging/firewalld"), "-c",
            "from firewall.core.io.service import service_reader\ns = service_reader('taintwatch.xml', '.')\nprint(s.name, s.short, s.ports)");
        Assert.True(read.ExitCode == 0, read.Output);
        Assert.Equal("taintwatch TaintWatch [('9877', 'tcp')]", read.Output.Trim());
        // The port the daemon listens on by default, as its own help says.
        var help = TaintWatch.Tests.Support.Cli.Run("run", "--help");
        Assert.Matches(@"--web\.listen-address <web\.listen-address>[^\n]*\[default: :9877\]", help.Stdout);
        // And the reader refuses what firewalld would refuse.
        using var tree = new TempTree();
        tree.Write("bad.xml", "<?xml version=\"1.0\"?>\n<service><short>x</short><port protocol=\"tcp\" port=\"99999\"/></service>\n");
        var bad = Tool.Run("/usr/bin/python3", tree.Root, "-c", "from firewall.core.io.service import service_reader\nservice_reader('bad.xml', '.')");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("INVALID_PORT", bad.Output);
    }

    [Theory]
    [MemberData(nameof(Dists))]
    public void The_debuginfo_package_holds_the_symbols_of_that_very_binary(string dist)
    {
        var binary = RpmPackages.Unpack(RpmPackages.Binary(dist));
        var debug = RpmPackages.Unpack(RpmPackages.Debuginfo(dist));
        try
        {
            var buildId = BuildId(Path.Combine(binary, "usr/bin/taintwatch"));
            var debugFile = Path.Combine(debug, $"usr/lib/debug/usr/bin/taintwatch-{RpmPackages.Version}-{RpmPackages.Release}.{dist}.x86_64.debug");
            Assert.Equal(buildId, BuildId(debugFile));
            // gdb and abrt find it by build-id.
            var link = Path.Combine(debug, "usr/lib/debug/.build-id", buildId[..2], buildId[2..] + ".debug");
            Assert.Equal(Path.GetFullPath(debugFile), Path.GetFullPath(Path.Combine(Path.GetDirectoryName(link)!, File.ResolveLinkTarget(link, false)!.ToString())));
            var sections = Tool.Run("readelf", null, "-S", "-W", debugFile).Output;
            Assert.Contains(".debug_info", sections);
        }
        finally
        {
            Directory.Delete(binary, true);
            Directory.Delete(debug, true);
        }
    }

    private static string BuildId(string elf) => Regex.Match(Tool.Run("readelf", null, "-n", elf).Output, @"Build ID: ([0-9a-f]{40})").Groups[1].Value is { Length: 40 } id ? id : throw new InvalidDataException($"{elf} has no build-id");

    [Fact]
    public void The_binary_carries_the_version_and_revision_of_the_source_tarball_it_was_built_from()
    {
        var source = RpmPackages.Unpack(RpmPackages.Source);
        var binary = RpmPackages.Unpack(RpmPackages.Binary("el8"));
        try
        {
            var revision = Tool.Run("tar", source, "-xzOf", $"taintwatch-{RpmPackages.Version}.tar.gz", $"taintwatch-{RpmPackages.Version}/REVISION").Output.Trim();
            Assert.Matches("^[0-9a-f]{40}$", revision);
            Assert.Equal(Tool.Run("git", null, "rev-parse", "HEAD").Output.Trim(), revision);
            var version = Tool.Run(Path.Combine(binary, "usr/bin/taintwatch"), null, "--version").Output.Trim();
            Assert.Equal($"{RpmPackages.Version}+{revision}", version);
            Assert.True(File.Exists(Path.Combine(source, "taintwatch.spec")));
        }
        finally
        {
            Directory.Delete(source, true);
            Directory.Delete(binary, true);
        }
    }

    [Fact]
    public void The_suite_tests_the_binary_the_el8_package_ships()
    {
        var aot = RpmPackages.ShippedBinary;
        var unpacked = RpmPackages.Unpack(RpmPackages.Binary("el8"));
        try
        {
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(Path.Combine(unpacked, "usr/bin/taintwatch"))), SHA256.HashData(File.ReadAllBytes(aot)));
            // One binary for all three majors.
            foreach (var dist in new[] { "el9", "el10" })
            {
                Assert.Equal(RpmPackages.Query(RpmPackages.Binary("el8"), "--qf", "[%{FILEDIGESTS} %{FILENAMES}\n]").Single(l => l.EndsWith(" /usr/bin/taintwatch", StringComparison.Ordinal)),
                    RpmPackages.Query(RpmPackages.Binary(dist), "--qf", "[%{FILEDIGESTS} %{FILENAMES}\n]").Single(l => l.EndsWith(" /usr/bin/taintwatch", StringComparison.Ordinal)));
            }
        }
        finally
        {
            Directory.Delete(unpacked, true);
        }
    }

    [Fact]
    public void Rpmlint_finds_no_error_in_any_package()
    {
        var lint = Tool.Run("rpmlint", null, ["-r", "packaging/rpm/taintwatch.rpmlintrc", .. Directory.GetFiles(RpmPackages.Dir, "*.rpm")]);
        log.WriteLine(lint.Output);
        Assert.Matches(@"7 packages and 0 specfiles checked; 0 errors", lint.Output);
    }
}
