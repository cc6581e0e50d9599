using System.CommandLine;
using TaintWatch.Cli;

namespace TaintWatch;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = CreateRootCommand();
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !parsed.Tokens.Any(t => t.Value is "--help" or "-h" or "-?"))
        {
            foreach (var parseError in parsed.Errors)
            {
                Console.Error.WriteLine($"taintwatch: {parseError.Message}");
            }
            Console.Error.WriteLine("Run 'taintwatch --help' or 'taintwatch <command> --help' for usage.");
            return ExitCodes.Error;
        }
        try
        {
            return parsed.Invoke();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Console.Error.WriteLine($"taintwatch: {e.Message}");
            return ExitCodes.Error;
        }
        finally
        {
            StandardOutput.Writer.Flush();
        }
    }

    public static RootCommand CreateRootCommand()
    {
        var global = new GlobalOptions();
        var root = new RootCommand(
            "TaintWatch tells which kernel taint bits are set on this host, which module set them, and whether every loaded module is signed.\n\n" +
            "Examples:\n" +
            "  taintwatch status                      this host: taint decoded, modules, verdict (exit 1 if tainted)\n" +
            "  taintwatch run                         the daemon: Prometheus metrics on :9877 and journal events\n" +
            "  taintwatch decode 12801                what a value from /proc/sys/kernel/tainted means\n" +
            "  taintwatch decode POE -t rhel7.3       what the letters of a module in an oops mean on RHEL 7.9\n" +
            "  taintwatch inspect e1000               modinfo's fields and the module's signature (signer, key, hash)\n" +
            "  taintwatch inspect --all               every module file of the running kernel, signed or not\n" +
            "  journalctl -k | taintwatch scan-log    every WARN/BUG/Oops/panic in a log, its taint and modules\n" +
            "  taintwatch baseline -o /etc/taintwatch/expected-modules.yaml   the modules of a known-good host, as the daemon's expected list");
        global.AddTo(root);
        root.Subcommands.Add(RunCommand.Create(global));
        root.Subcommands.Add(StatusCommand.Create(global));
        root.Subcommands.Add(DecodeCommand.Create(global));
        root.Subcommands.Add(InspectCommand.Create(global));
        root.Subcommands.Add(ScanLogCommand.Create(global));
        root.Subcommands.Add(BaselineCommand.Create(global));
        return root;
    }
}
