using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Packaging;

/// <summary>The packages scripts/test.sh built with packaging/rpm/build.sh (TAINTWATCH_RPM_DIR), and ways to look inside.</summary>
internal static class RpmPackages
{
    public const string Version = "0.1.0";
    public const string Release = "1";

    public static string Dir
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("TAINTWATCH_RPM_DIR");
            Assert.False(string.IsNullOrEmpty(dir), "TAINTWATCH_RPM_DIR is not set: scripts/test.sh builds the packages (bash packaging/rpm/build.sh) first");
            return dir!;
        }
    }

    /// <summary>The binary inside the el8 package, which scripts/test.sh unpacks (TAINTWATCH_AOT_BINARY).</summary>
    public static string ShippedBinary
    {
        get
        {
            var binary = Environment.GetEnvironmentVariable("TAINTWATCH_AOT_BINARY");
            Assert.False(string.IsNullOrEmpty(binary), "TAINTWATCH_AOT_BINARY is not set: scripts/test.sh sets it to the binary inside the el8 package");
            return binary!;
        }
    }

    public static string Binary(string dist) => Path.Combine(Dir, $"taintwatch-{Version}-{Release}.{dist}.x86_64.rpm");

    public static string Debuginfo(string dist) => Path.Combine(Dir, $"taintwatch-debuginfo-{Version}-{Release}.{dist}.x86_64.rpm");

    public static string Source => Path.Combine(Dir, $"taintwatch-{Version}-{Release}.src.rpm");

    /// <summary>rpm -qp --qf FORMAT, one line per file or value.</summary>
    public static string[] Query(string rpm, params string[] args)
    {
        var result = Tool.Run("rpm", null, ["-qp", .. args, rpm]);
        Assert.True(result.ExitCode == 0, result.Output);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Unpacks a package's payload (rpm2cpio | cpio) into a new directory, which the caller deletes.</summary>
    public static string Unpack(string rpm)
    {
        var dir = Directory.CreateTempSubdirectory("tw-rpm-").FullName;
        var unpack = Tool.Run("bash", dir, "-c", "rpm2cpio \"$1\" | cpio -idm --quiet", "unpack", rpm);
        Assert.True(unpack.ExitCode == 0, unpack.Output);
        return dir;
    }
}
