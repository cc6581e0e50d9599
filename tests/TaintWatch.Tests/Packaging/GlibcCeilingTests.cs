using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Packaging;

/// <summary>The shipped NativeAOT binary runs on glibc 2.28 (RHEL 8) and newer: no symbol version it needs is above 2.28.</summary>
public class GlibcCeilingTests
{
    private static string Shipped => RpmPackages.ShippedBinary;

    [Fact]
    public void No_glibc_symbol_version_above_2_28()
    {
        var needs = ElfVersionNeeds.Read(Shipped);
        var glibc = needs.Select(n => (n.Library, Version: ElfVersionNeeds.GlibcVersion(n.Version))).Where(n => n.Version is not null).ToList();
        Assert.NotEmpty(glibc);
        var above = glibc.Where(n => n.Version > new Version(2, 28)).ToList();
        Assert.True(above.Count == 0, "needs glibc newer than RHEL 8's 2.28: " + string.Join(", ", above.Select(n => $"{n.Library} GLIBC_{n.Version}")));
        // Only glibc's own libraries: anything else would be a dependency rpm's Requires does not declare by hand.
        Assert.All(needs, n => Assert.Contains(n.Library, new[] { "libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2" }));
    }

    [Fact]
    public void Objdump_agrees_on_the_highest_glibc_version()
    {
        var objdump = Tool.Run("objdump", null, "-T", Shipped);
        Assert.Equal(0, objdump.ExitCode);
        var fromObjdump = System.Text.RegularExpressions.Regex.Matches(objdump.Output, @"\(?GLIBC_([\d.]+)\)?").Select(m => Version.Parse(m.Groups[1].Value)).Max();
        var fromParser = ElfVersionNeeds.Read(Shipped).Select(n => ElfVersionNeeds.GlibcVersion(n.Version)).Where(v => v is not null).Max();
        Assert.Equal(fromObjdump, fromParser);
    }

    [Fact]
    public void A_binary_linked_against_this_hosts_glibc_is_caught()
    {
        // The parser must see versions above 2.28 where they are: any binary of this Debian (glibc 2.36) has some.
        var max = ElfVersionNeeds.Read("/usr/bin/systemd-analyze").Concat(ElfVersionNeeds.Read("/usr/bin/bash")).Select(n => ElfVersionNeeds.GlibcVersion(n.Version)).Where(v => v is not null).Max();
        Assert.True(max > new Version(2, 28), $"highest found: {max}");
    }

    [Fact]
    public void Garbage_is_refused_with_a_clear_error()
    {
        using var tree = new TempTree();
        tree.Write("not-elf", "#!/bin/sh\necho hi\n");
        var error = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(Path.Combine(tree.Root, "not-elf")));
        Assert.Contains("not a 64-bit little-endian ELF", error.Message);
    }

    [Fact]
    public void The_OpenSSL_shim_looks_for_both_libssl_3_and_libssl_1_1()
    {
        // .NET's System.Security.Cryptography.Native probes libssl.so.3 first, then libssl.so.1.1 (RHEL 8), by name.
        var text = System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(Shipped));
        Assert.Contains("libssl.so.3\0", text);
        Assert.Contains("libssl.so.1.1\0", text);
        Assert.True(text.IndexOf("libssl.so.3\0", StringComparison.Ordinal) < text.IndexOf("libssl.so.1.1\0", StringComparison.Ordinal));
    }
}
