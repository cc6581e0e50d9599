namespace TaintWatch.KernelLog;

/// <summary>The first line of each kind of kernel report, as the kernel prints it (checked on the first character first, for speed).</summary>
public static class ReportHeaders
{
    private const string NmiWatchdog = "NMI watchdog: ";
    private const string Watchdog = "watchdog: ";

    /// <summary>The kind of report this message begins, or null.</summary>
    public static ReportKind? Kind(string text)
    {
        // The lockup detectors print their header after "NMI watchdog: " or "watchdog: " depending on the release.
        if (text.Length > 0 && text[0] is 'N' or 'w')
        {
            if (text.StartsWith(NmiWatchdog, StringComparison.Ordinal))
            {
                text = text[NmiWatchdog.Length..];
            }
            else if (text.StartsWith(Watchdog, StringComparison.Ordinal))
            {
                text = text[Watchdog.Length..];
            }
        }
        if (text.Length == 0)
        {
            return null;
        }
        switch (text[0])
        {
            case 'W' when text.StartsWith("WARNING: ", StringComparison.Ordinal):
                return ReportKind.Warning;
            case 'W' when text.StartsWith("Watchdog detected hard LOCKUP", StringComparison.Ordinal):
                return ReportKind.HardLockup;
            case 'B' when text.StartsWith("BUG: ", StringComparison.Ordinal):
                return text.StartsWith("BUG: soft lockup", StringComparison.Ordinal) ? ReportKind.SoftLockup : ReportKind.Bug;
            case 'k' when text.StartsWith("kernel BUG at ", StringComparison.Ordinal):
                return ReportKind.Bug;
            // "Oops: 0000 [#1]", RHEL 5's "Oops: 0000 [1]", "Oops: Kernel access of bad area, sig: 11 [#1]", "Oops:
            // general protection fault, … [#1]": the die counter tells them from "Oops: efitime: can't read time!".
            case 'O' when text.StartsWith("Oops: ", StringComparison.Ordinal) && HasDieCounter(text):
                return text.Contains("general protection fault", StringComparison.Ordinal) ? ReportKind.GeneralProtectionFault : ReportKind.Oops;
            // arm and arm64: "Internal error: Oops: 96000044 [#1] SMP", "Internal error: Oops - BUG: 0 [#1]".
            case 'I' when text.StartsWith("Internal error: ", StringComparison.Ordinal) && HasDieCounter(text):
                return ReportKind.Oops;
            case 'g' when text.StartsWith("general protection fault", StringComparison.Ordinal):
                return ReportKind.GeneralProtectionFault;
            case 'K' when text.StartsWith("Kernel panic - not syncing", StringComparison.Ordinal):
                return ReportKind.Panic;
            case 'I' when text.StartsWith("INFO: task ", StringComparison.Ordinal) && text.Contains("blocked for more than", StringComparison.Ordinal):
                return ReportKind.HungTask;
            case 'A' when text.StartsWith(AbrtSummary.Header, StringComparison.Ordinal):
                return ReportKind.Summary;
            default:
                return null;
        }
    }

    /// <summary>"[#1]" or "[1]": how many times the kernel has died, printed by every die() since 2.6.</summary>
    private static bool HasDieCounter(string text)
    {
        var at = 0;
        while ((at = text.IndexOf('[', at)) >= 0)
        {
            var i = ++at;
            if (i < text.Length && text[i] == '#')
            {
                i++;
            }
            var digits = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
            if (i > digits && i < text.Length && text[i] == ']')
            {
                return true;
            }
        }
        return false;
    }
}
