using System.Globalization;
using System.Text.RegularExpressions;

namespace TaintWatch.Cli;

/// <summary>Prometheus-style durations: "500ms", "5s", "1m", "1h30m".</summary>
public static partial class DurationParser
{
    [GeneratedRegex(@"^(?:(?<h>\d+)h)?(?:(?<m>\d+)m(?!s))?(?:(?<s>\d+)s)?(?:(?<ms>\d+)ms)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var m = Pattern().Match(text.Trim());
        if (!m.Success || text.Trim().Length == 0)
        {
            return false;
        }
        double Part(string name) => m.Groups[name].Success ? double.Parse(m.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        value = TimeSpan.FromHours(Part("h")) + TimeSpan.FromMinutes(Part("m")) + TimeSpan.FromSeconds(Part("s")) + TimeSpan.FromMilliseconds(Part("ms"));
        return value > TimeSpan.Zero;
    }
}
