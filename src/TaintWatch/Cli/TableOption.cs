using TaintWatch.Kernel;

namespace TaintWatch.Cli;

/// <summary>Resolves --kernel.taint-table: a table id (rhel7.3, upstream…), a kernel release string, or the host's own kernel.</summary>
public static class TableOption
{
    /// <summary>One name in every command (node_exporter's dotted style); --table and -t stay as aliases.</summary>
    public const string Name = "--kernel.taint-table";

    /// <summary>The option, as every command that decodes taint declares it.</summary>
    public static System.CommandLine.Option<string?> Create(string? purpose = null) =>
        new(Name, "--table", "-t") { Description = (purpose is null ? "" : purpose + " ") + HelpText };

    public static string HelpText =>
        "Taint table to decode with: " + string.Join(", ", TaintTables.All.Select(t => t.Id)) +
        ", or a kernel release such as 4.18.0-372.32.1.el8_6.x86_64. Default: this host's kernel (from --path.procfs).";

    /// <summary>
    /// An explicitly chosen table, or null when none was given (the caller then lets the release decide).
    /// On a bad name prints "taintwatch COMMAND: reason" and returns false.
    /// </summary>
    public static bool TryResolveExplicit(string? value, KernelPaths paths, string command, TextWriter error, out TaintTable? table)
    {
        table = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }
        if (!TryResolve(value, paths, out var chosen, out _, out var message))
        {
            error.WriteLine($"taintwatch {command}: {message}");
            return false;
        }
        table = chosen;
        return true;
    }

    public static bool TryResolve(string? value, KernelPaths paths, out TaintTable table, out string reason, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(value) || value == "auto")
        {
            var release = BoundedFile.ReadText(paths.OsRelease, 256);
            (table, reason) = TaintTableSelector.Select(release.Succeeded ? release.Value : null);
            if (!release.Succeeded)
            {
                reason += $" ({release.Problem})";
            }
            return true;
        }
        if (TaintTables.FindById(value) is { } byId)
        {
            (table, reason) = (byId, $"table {byId.Id} chosen by --table");
            return true;
        }
        if (char.IsAsciiDigit(value[0]) && value.Contains('.', StringComparison.Ordinal))
        {
            (table, reason) = TaintTableSelector.Select(value);
            return true;
        }
        table = TaintTables.Upstream20;
        reason = "";
        error = $"unknown taint table \"{value}\"; use one of {string.Join(", ", TaintTables.All.Select(t => t.Id))} or a kernel release string";
        return false;
    }
}
