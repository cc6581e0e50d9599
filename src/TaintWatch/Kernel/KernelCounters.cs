using System.Globalization;

namespace TaintWatch.Kernel;

/// <summary>
/// The kernel's own failure counters, /sys/kernel/warn_count and /sys/kernel/oops_count ("%u\n", mode 0444;
/// kernel/panic.c and kernel/exit.c since 6.2, backported to stable 5.15.y and 6.1.y). Null where the file does not
/// exist or could not be read: never reported as 0.
/// </summary>
public sealed record KernelCounters(ulong? Warnings, ulong? Oopses, IReadOnlyList<string> Problems)
{
    public static KernelCounters Read(KernelPaths paths)
    {
        var problems = new List<string>();
        return new KernelCounters(Count(paths.WarnCount, problems), Count(paths.OopsCount, problems), problems);
    }

    private static ulong? Count(string path, List<string> problems)
    {
        var reading = BoundedFile.ReadText(path, 64);
        if (reading.IsMissing)
        {
            return null;
        }
        if (!reading.Succeeded)
        {
            problems.Add(reading.Problem!);
            return null;
        }
        var text = reading.Value!.Trim();
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        problems.Add($"{path}: \"{Quoting.Shorten(text)}\" is not a decimal count");
        return null;
    }
}
