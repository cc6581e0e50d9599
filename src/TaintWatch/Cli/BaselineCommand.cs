using System.CommandLine;
using TaintWatch.Baseline;
using TaintWatch.Kernel;
using TaintWatch.Modules;

namespace TaintWatch.Cli;

/// <summary>`taintwatch baseline`: writes the expected-modules file of a known-good host.</summary>
public static class BaselineCommand
{
    public static Command Create(GlobalOptions global)
    {
        var output = new Option<string?>("--output", "-o") { Description = "Write the file here (atomically) instead of to standard output." };
        var force = new Option<bool>("--force") { Description = "Replace the --output file if it exists." };
        var trustKeys = TrustOptions.KeysOption();
        var command = new Command("baseline",
            "Write the expected-modules list of this host, taken as known-good: the kernel's own signing key (so every in-tree module it signs is expected) and each loaded module that key does not cover, pinned to its signer and key when it is signed, and to \"verified: valid\" when its signature verifies against the keys the kernel trusts (so a file that only claims the signer is not expected).\n\n" +
            "Review it, copy it to every host of the same role, and the daemon labels each loaded module expected=\"true\" or \"false\" and pages only on unexpected ones.\n\n" +
            "Examples:\n" +
            "  taintwatch baseline > expected-modules.yaml\n" +
            "  taintwatch baseline -o /etc/taintwatch/expected-modules.yaml")
        {
            output, force, trustKeys,
        };
        command.SetAction(r => Run(global.Paths(r), r.GetValue(output), r.GetValue(force), StandardOutput.Writer, Console.Error, r.GetValue(trustKeys) ?? []));
        return command;
    }

    /// <param name="trustKeys">--trust.keys; null leaves signatures unverified and nothing pinned to verification.</param>
    public static int Run(KernelPaths paths, string? output, bool force, TextWriter stdout, TextWriter error, IReadOnlyList<string>? trustKeys = null)
    {
        var snapshot = KernelSnapshotReader.Read(paths);
        if (snapshot.Sources.FirstOrDefault(s => s.Collector == Kernel.Collectors.Modules && !s.Success) is { } failed)
        {
            error.WriteLine($"taintwatch baseline: cannot list the loaded modules: {failed.Problem}");
            return ExitCodes.Error;
        }
        if (output is not null && File.Exists(output) && !force)
        {
            error.WriteLine($"taintwatch baseline: {output} exists; add --force to replace it");
            return ExitCodes.Error;
        }
        var host = ModuleFiles.Join(snapshot, paths, expected: null, trustKeys);
        TrustOptions.WarnAboutNamedKeys(error, "baseline", host.Trust, trustKeys);
        var text = BaselineWriter.Write(host, Environment.MachineName, DateTimeOffset.UtcNow);
        if (output is null)
        {
            stdout.Write(text);
            return ExitCodes.Ok;
        }
        try
        {
            var temporary = $"{output}.tmp-{Environment.ProcessId}";
            File.WriteAllText(temporary, text);
            File.Move(temporary, output, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"taintwatch baseline: cannot write {output}: {e.Message}");
            return ExitCodes.Error;
        }
        error.WriteLine($"taintwatch baseline: wrote {output}");
        return ExitCodes.Ok;
    }
}
