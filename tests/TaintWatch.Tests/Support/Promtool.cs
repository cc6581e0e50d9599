using System.Diagnostics;

namespace TaintWatch.Tests.Support;

/// <summary>Prometheus' own linter for an exposition: what a real Prometheus would refuse or warn about.</summary>
public static class Promtool
{
    /// <summary>`promtool check metrics` on the text: its (empty on success) output, or "exit N: …" when it refuses.</summary>
    public static string CheckMetrics(string metrics)
    {
        var start = new ProcessStartInfo("promtool", ["check", "metrics"]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(start)!;
        p.StandardInput.Write(metrics);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? output.Trim() : "exit " + p.ExitCode + ": " + output;
    }
}
