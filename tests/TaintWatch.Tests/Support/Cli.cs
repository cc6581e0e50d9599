using System.Diagnostics;

namespace TaintWatch.Tests.Support;

/// <summary>Runs the real taintwatch binary as a process, as an operator would.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => RunAs(null, args);

    /// <summary>Runs under another user id (via setpriv), to test what an unprivileged service user sees.</summary>
    public static Result RunAs(int? uid, params string[] args)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (uid is int id)
        {
            start.FileName = "setpriv";
            foreach (var a in new[] { $"--reuid={id}", $"--regid={id}", "--clear-groups", "--", Repo.Binary })
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.FileName = Repo.Binary;
        }
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"taintwatch {string.Join(' ', args)} did not finish in 60 s");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static string[] FixtureArgs(string fixture) =>
        ["--path.procfs", Path.Combine(Repo.Fixture(fixture), "proc"), "--path.sysfs", Path.Combine(Repo.Fixture(fixture), "sys"), "--path.rootfs", Repo.Fixture(fixture)];
}
