using System.Text.RegularExpressions;

namespace TaintWatch.Kernel;

/// <summary>Chooses the taint table from a kernel release string such as "4.18.0-372.32.1.el8_6.x86_64".</summary>
public static partial class TaintTableSelector
{
    // RHEL builds put the distribution tag after the build number: 3.10.0-1160.21.1.el7.x86_64, 5.14.0-362.8.1.el9_3.
    [GeneratedRegex(@"^(?<maj>\d+)\.(?<min>\d+)(?:\.(?<patch>\d+))?(?:-(?<build>\d+))?.*?\.el(?<el>\d+)(?:_(?<minor>\d+))?(?<uek>uek)?", RegexOptions.CultureInvariant)]
    private static partial Regex RhelRelease();

    [GeneratedRegex(@"^(?<maj>\d+)\.(?<min>\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex KernelVersion();

    /// <summary>The table for a release, with a sentence saying why it was chosen.</summary>
    public static (TaintTable Table, string Reason) Select(string? release)
    {
        if (string.IsNullOrWhiteSpace(release))
        {
            return (TaintTables.Upstream20, "kernel release unknown: using the upstream table");
        }
        release = release.Trim();
        var rhel = RhelRelease().Match(release);
        // Oracle's UEK kernels carry ".el8uek" but are upstream kernels, not Red Hat's.
        if (rhel.Success && !rhel.Groups["uek"].Success)
        {
            // Digits the regex accepts can still exceed int (afl++ found "el99999999999"): such a release is no RHEL.
            var el = int.TryParse(rhel.Groups["el"].Value, System.Globalization.CultureInfo.InvariantCulture, out var e) ? e : 0;
            var build = rhel.Groups["build"].Success && int.TryParse(rhel.Groups["build"].Value, out var b) ? b : (int?)null;
            int? minor = rhel.Groups["minor"].Success && int.TryParse(rhel.Groups["minor"].Value, out var m) ? m : null;
            var table = el switch
            {
                5 => TaintTables.Rhel5,
                6 => TaintTables.Rhel6,
                // 3.10.0-514 is RHEL 7.3, the first with E, L and K.
                7 => IsAtLeast(build, 514, minor, 3) ? TaintTables.Rhel73 : TaintTables.Rhel70,
                // 4.18.0-372 is RHEL 8.6, where Technology Preview moved to X.
                8 => IsAtLeast(build, 372, minor, 6) ? TaintTables.Rhel86 : TaintTables.Rhel80,
                // 5.14.0-362 is RHEL 9.3, the first with TEST (N).
                9 => IsAtLeast(build, 362, minor, 3) ? TaintTables.Rhel93 : TaintTables.Rhel90,
                >= 10 => TaintTables.Rhel10,
                _ => null,
            };
            if (table is not null)
            {
                return (table, $"release {release} is RHEL {el}: {table.Title}");
            }
        }
        var version = KernelVersion().Match(release);
        if (!version.Success)
        {
            return (TaintTables.Upstream20, $"release {release} is not a recognised kernel version: using the upstream table");
        }
        // A version beyond int is read as the newest there is (it cannot be older than any known one).
        var major = int.TryParse(version.Groups["maj"].Value, System.Globalization.CultureInfo.InvariantCulture, out var j) ? j : int.MaxValue;
        var minorVersion = int.TryParse(version.Groups["min"].Value, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;
        var width = UpstreamPrintedFlags(major, minorVersion);
        var upstream = TaintTables.UpstreamWithWidth(width);
        return (upstream, $"release {release} is an upstream-style kernel: {upstream.Title}");
    }

    private static bool IsAtLeast(int? build, int firstBuild, int? minor, int firstMinor) =>
        minor is int m ? m >= firstMinor : build is int b && b >= firstBuild;

    /// <summary>How many flags an upstream kernel of this version prints (the length of taint_flags[] in kernel/panic.c of that version).</summary>
    public static int UpstreamPrintedFlags(int major, int minor)
    {
        var v = ((long)Math.Min(major, 1_000_000) * 1000) + Math.Min(minor, 999);
        return v switch
        {
            >= 6015 => 20, // J (FWCTL)
            >= 6000 => 19, // N (TEST)
            >= 4015 => 18, // X, T
            >= 4000 => 16, // K
            >= 3017 => 15, // L
            >= 3015 => 14, // E
            >= 3002 => 13, // O
            _ => 12,
        };
    }
}
