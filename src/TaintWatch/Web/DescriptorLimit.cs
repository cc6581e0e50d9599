using System.Runtime.InteropServices;

namespace TaintWatch.Web;

/// <summary>
/// RLIMIT_NOFILE: systemd starts services with a soft limit of 1024 and a hard one of 524288 (its default since
/// v240), and expects a program that needs more to raise the soft limit itself. CoreCLR does it at start;
/// NativeAOT does not (a build without this stayed at 1024 under prlimit --nofile=1024:4096). The metrics server sizes its
/// connection table from what is left, so that accept() never fails for want of a descriptor.
/// </summary>
public static partial class DescriptorLimit
{
    private const int RlimitNofile = 7;

    /// <summary>Descriptors kept for everything but metrics connections (journal, netlink, module files, state).</summary>
    public const int Reserved = 64;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    /// <summary>Raises the soft limit to the hard one (a process may, without privilege); returns the soft limit now in force.</summary>
    public static long RaiseToHard()
    {
        if (GetRLimit(RlimitNofile, out var limit) != 0)
        {
            return 1024;
        }
        if (limit.Current < limit.Maximum && SetRLimit(RlimitNofile, new RLimit { Current = limit.Maximum, Maximum = limit.Maximum }) == 0)
        {
            limit.Current = limit.Maximum;
        }
        return (long)Math.Min(limit.Current, long.MaxValue);
    }

    /// <summary>How many metrics connections fit in <paramref name="softLimit"/> descriptors, at most <paramref name="wanted"/>.</summary>
    public static int Connections(long softLimit, int wanted) => (int)Math.Clamp(softLimit - Reserved, 16, wanted);
}
