using System.Diagnostics;

namespace TaintWatch.Tests.Support;

/// <summary>Runs an external tool (promtool, rpmbuild, systemd-analyze…) and captures its output.</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Output);

    public static Result Run(string file, string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory ?? Repo.Root };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return new Result(p.ExitCode, stdout + stderr.Result);
    }
}
