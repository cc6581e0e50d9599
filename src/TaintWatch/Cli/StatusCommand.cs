using System.CommandLine;
using System.Text.Json;
using TaintWatch.Kernel;

namespace TaintWatch.Cli;

/// <summary>`taintwatch status`: this host now, as a report an operator can paste into a ticket.</summary>
public static class StatusCommand
{
    public static Command Create(GlobalOptions global)
    {
        var table = TableOption.Create();
        var json = new Option<bool>("--json") { Description = "Print a JSON document instead of text." };
        var expected = new Option<string?>("--modules.expected-file") { Description = $"Expected-modules list (as for `taintwatch run`): each module is shown as expected or not. Default: {RunCommand.DefaultExpectedFile} when it exists." };
        var trustKeys = TrustOptions.KeysOption();
        var command = new Command("status", "Report this host's kernel taint: the mask decoded with the right table, every loaded module with its taint letters, its file's signature (signer, key, hash) checked against the keys the kernel trusts (VERIFIED), and whether that file is the loaded image, and a verdict naming every module file whose signature is invalid, revoked or untrusted. Exit code 0 = not tainted, 1 = tainted, 2 = error.")
        {
            table, json, expected, trustKeys,
        };
        command.SetAction(result => Run(global.Paths(result), result.GetValue(table), result.GetValue(json), StandardOutput.Writer, Console.Error, result.GetValue(expected), result.GetValue(trustKeys) ?? []));
        return command;
    }

    /// <param name="trustKeys">--trust.keys; null leaves signatures unverified (tests of other concerns).</param>
    public static int Run(KernelPaths paths, string? tableName, bool json, TextWriter output, TextWriter error, string? expectedFile = null, IReadOnlyList<string>? trustKeys = null)
    {
        if (!TableOption.TryResolveExplicit(tableName, paths, "status", error, out var table))
        {
            return ExitCodes.Error;
        }
        ExpectedList? expected = null;
        var listPath = expectedFile ?? (File.Exists(RunCommand.DefaultExpectedFile) ? RunCommand.DefaultExpectedFile : null);
        if (listPath is not null)
        {
            try
            {
                expected = new ExpectedList(listPath, Baseline.ExpectedModulesFile.Load(listPath));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"taintwatch status: --modules.expected-file: {e.Message}");
                return ExitCodes.Error;
            }
        }
        var snapshot = KernelSnapshotReader.Read(paths, table);
        var host = ModuleFiles.Join(snapshot, paths, expected?.Rules, trustKeys);
        var lifecycle = new Lifecycle.LifecycleWatch(paths);
        lifecycle.Refresh();
        var view = lifecycle.Build(snapshot, host, new Lifecycle.LifecycleState(), checkListing: true);
        var report = new StatusReport(host, snapshot.Release is null ? null : paths.ModuleDirectory(snapshot.Release), SecurityPostureReader.Read(paths), expected, view);
        if (json)
        {
            JsonOutput.Print(output, writer => StatusJson.Write(report, writer));
        }
        else
        {
            StatusText.Write(report, output);
        }
        if (snapshot.TaintMask is null)
        {
            var problem = snapshot.Sources.First(s => s.Collector == Collectors.Taint).Problem;
            error.WriteLine($"taintwatch status: cannot read the taint mask: {problem}. Check --path.procfs, or run on the host itself.");
            return ExitCodes.Error;
        }
        foreach (var source in snapshot.Sources.Where(s => !s.Success))
        {
            error.WriteLine($"taintwatch status: warning: {source.Problem}");
        }
        TrustOptions.WarnAboutNamedKeys(error, "status", host.Trust, trustKeys);
        return snapshot.IsTainted ? ExitCodes.Tainted : ExitCodes.Ok;
    }
}
