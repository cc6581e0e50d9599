using System.CommandLine;
using System.Text;
using System.Text.Json;
using TaintWatch.Kernel;
using TaintWatch.KernelLog;

namespace TaintWatch.Cli;

/// <summary>`taintwatch scan-log [FILE...|-]`: every kernel report in a log with its taint and modules, and a summary.</summary>
public static class ScanLogCommand
{
    public static Command Create(GlobalOptions global)
    {
        var files = new Argument<string[]>("file") { Description = "dmesg output, journalctl -k, /var/log/messages, vmcore-dmesg.txt or a pasted oops; '-' or nothing reads standard input.", Arity = ArgumentArity.ZeroOrMore };
        var table = TableOption.Create("Taint table of the kernel that wrote the log (default: from the release printed in the log).");
        var json = new Option<bool>("--json") { Description = "Print a JSON document instead of text." };
        var command = new Command("scan-log", "Find every WARNING, BUG, Oops, general protection fault, panic, soft and hard lockup and hung task in kernel log text, decode its taint with the right kernel family's table, list its modules with their flags, and summarise which modules tainted the kernel and why. Reads logs as people paste them: dmesg, dmesg -T, journalctl (also -o json, verbose and export), /var/log/messages, vmcore-dmesg, /dev/kmsg records, serial consoles, JSON lines from log shippers (Docker, Loki, Elasticsearch), colour escapes; module lists continued over several records or wrapped by a console or a mail client; grep'd fragments (a \"Modules linked in:\" or \"CPU: … Tainted:\" line alone is reported as a fragment); abrt's \"kernel has been tainted (flags:…)\" summaries; RHEL's \"Unmaintained/Deprecated/Disabled … is detected\" lines and upstream's fwctl taint line.\n\nExamples:\n  journalctl -k -b -1 | taintwatch scan-log\n  taintwatch scan-log /var/crash/*/vmcore-dmesg.txt --json\n  xclip -o | taintwatch scan-log          (a log pasted from a bug report)\n  journalctl -k -o json | taintwatch scan-log")
        {
            files, table, json,
        };
        command.SetAction(r => Run(r.GetValue(files) ?? [], r.GetValue(table), r.GetValue(json), global.Paths(r), Console.OpenStandardInput(), StandardOutput.Writer, Console.Error));
        return command;
    }

    public static int Run(string[] files, string? tableName, bool json, KernelPaths paths, Stream stdin, TextWriter output, TextWriter error)
    {
        if (!TableOption.TryResolveExplicit(tableName, paths, "scan-log", error, out var table))
        {
            return ExitCodes.Error;
        }
        var scanner = new KernelLogScanner(table);
        var inputs = files.Length == 0 ? ["-"] : files;
        foreach (var file in inputs)
        {
            try
            {
                if (file == "-")
                {
                    scanner.Scan(LogInput.Open(stdin, "-")); // standard input stays open: "-" may be named twice
                }
                else
                {
                    using var reader = LogInput.Open(new FileStream(file, new FileStreamOptions { Access = FileAccess.Read, Share = FileShare.ReadWrite, BufferSize = 1 << 16 }), file);
                    scanner.Scan(reader);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                error.WriteLine($"taintwatch scan-log: {file}: {(e is UnauthorizedAccessException ? "permission denied" : e.Message)}");
                return ExitCodes.Error;
            }
        }
        if (json)
        {
            JsonOutput.Print(output, w => WriteJson(w, scanner));
        }
        else
        {
            WriteText(output, scanner);
        }
        return ExitCodes.Ok;
    }

    private static IEnumerable<ModuleSummary> OrderedSummary(KernelLogScanner s) =>
        s.Modules.Values.Where(m => m.Letters.Count > 0 || s.IsUnsigned(m))
            .OrderBy(m => s.IsUnsigned(m) ? 0 : 1).ThenBy(m => m.Name, StringComparer.Ordinal);

    private static void WriteText(TextWriter output, KernelLogScanner s)
    {
        output.WriteLine($"{s.Lines} lines read; table {s.Table.Id}; {s.ReportCount} reports, {s.EventCount} module taint and support-status messages");
        if (s.TruncatedLines > 0)
        {
            output.WriteLine($"  ({s.TruncatedLines} lines longer than {BoundedLineReader.MaxLineLength} characters were cut)");
        }
        foreach (var r in s.Reports)
        {
            output.WriteLine();
            output.WriteLine($"[{r.Kind.ToString().ToUpperInvariant()}] line {r.StartLine}: {Quoting.Shorten(r.Header, 160)}");
            var who = string.Join(", ", new[] { r.Cpu is int c ? $"CPU {c}" : null, r.Pid is int p ? $"PID {p}" : null, r.Comm is { } comm ? $"comm {comm}" : null, r.Release is { } rel ? $"kernel {rel}" : null }.Where(x => x is not null));
            if (who.Length > 0)
            {
                output.WriteLine($"  {who}");
            }
            if (r.Taint is { } t)
            {
                var flags = t.Flags;
                output.WriteLine($"  taint: {t.Mask} ({(flags.Count == 0 ? "not tainted" : string.Join(" ", flags.Select(f => $"{f.Letter}={f.Name}")))}) [{t.Table.Id}, {t.How}]");
            }
            else
            {
                output.WriteLine("  taint: not printed in this report");
            }
            if (r.Kind == ReportKind.Summary && r.Modules is { } named)
            {
                output.WriteLine($"  tainted modules (abrt names them, not which flag each set): {string.Join(" ", named.Modules.Select(m => m.Name))}");
            }
            else if (r.Modules is { } list)
            {
                var flagged = list.Modules.Where(m => m.Letters.Length > 0 || m.Unverified || m.StateMark is not null).ToList();
                output.WriteLine($"  modules: {list.Modules.Count} linked in, {flagged.Count} with flags{(flagged.Count > 0 ? ": " + string.Join(" ", flagged.Select(Format)) : "")}{(list.CutShort ? " (list cut short)" : "")}");
                if (list.LastUnloaded is not null)
                {
                    output.WriteLine($"  last unloaded: {list.LastUnloaded}{(list.LastUnloadedLetters is { Length: > 0 } l ? $"({l})" : "")}");
                }
            }
            if (r.UnloadedTainted.Count > 0)
            {
                output.WriteLine($"  unloaded tainted modules: {string.Join(" ", r.UnloadedTainted.Select(Format))}");
            }
            if (r.RedHatFlags is not null)
            {
                output.WriteLine($"  Red Hat flags: {r.RedHatFlags}");
            }
            if (r.PanicMessage is not null)
            {
                output.WriteLine($"  then: {Quoting.Shorten(r.PanicMessage, 160)}");
            }
        }
        if (s.ReportCount > s.Reports.Count)
        {
            output.WriteLine($"({s.ReportCount - s.Reports.Count} more reports not shown)");
        }
        if (s.Events.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Module taint and support-status messages:");
            var rows = new TextTable("LINE", "MODULE", "FLAG", "EVENT", "DETAIL");
            foreach (var e in s.Events.Take(500))
            {
                rows.Add(e.Line.ToString(), e.Module ?? "-", e.Letter?.ToString() ?? "-", e.Kind.ToString(), Quoting.Shorten(e.Detail ?? "", 60));
            }
            rows.Write(output, "  ");
        }
        output.WriteLine();
        var summary = OrderedSummary(s).ToList();
        if (summary.Count == 0)
        {
            output.WriteLine("Summary: no module carried a taint flag in this log.");
            return;
        }
        output.WriteLine("Summary: modules that carried taint flags (unsigned first; LISTED = in how many module lists):");
        var table = new TextTable("MODULE", "FLAGS", "UNSIGNED", "LISTED", "FIRST LINE", "MEANING");
        foreach (var m in summary)
        {
            var meaning = string.Join(", ", m.Letters.Select(c => s.Table.Flags.FirstOrDefault(f => f.SetChar == c && !f.IsPlaceholder)?.Name ?? (c == 'U' ? "UNVERIFIED_GPG" : $"'{c}'")));
            table.Add(m.Name, m.LettersText.Length == 0 ? "-" : m.LettersText, s.IsUnsigned(m) ? "yes" : "no", m.Reports.ToString(), m.FirstLine.ToString(), meaning);
        }
        table.Write(output, "  ");
    }

    private static string Format(ModuleListEntry m) =>
        m.Name + (m.Letters.Length > 0 || m.StateMark is not null ? $"({m.Letters}{m.StateMark})" : "") + (m.Unverified ? "(U)" : "");


    private static void WriteJson(Utf8JsonWriter w, KernelLogScanner s)
    {
        w.WriteStartObject();
        w.WriteNumber("schema_version", 1);
        w.WriteNumber("lines", s.Lines);
        w.WriteString("taint_table", s.Table.Id);
        w.WriteNumber("report_count", s.ReportCount);
        w.WriteNumber("truncated_lines", s.TruncatedLines);
        w.WriteStartArray("reports");
        foreach (var r in s.Reports)
        {
            w.WriteStartObject();
            w.WriteString("kind", r.Kind.ToString().ToLowerInvariant());
            w.WriteNumber("line", r.StartLine);
            w.WriteNumber("end_line", r.EndLine);
            w.WriteString("header", r.Header);
            JsonOutput.WriteNumberOrNull(w, "cpu", r.Cpu);
            JsonOutput.WriteNumberOrNull(w, "pid", r.Pid);
            w.WriteString("comm", r.Comm);
            w.WriteString("kernel_release", r.Release);
            if (r.Taint is { } t)
            {
                w.WriteStartObject("taint");
                w.WriteNumber("mask", t.Mask);
                w.WriteString("table", t.Table.Id);
                w.WriteString("text", t.Text);
                w.WriteString("decoded_as", t.How);
                JsonOutput.WriteFlags(w, "flags", t.Flags);
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("taint");
            }
            w.WriteStartArray("modules");
            foreach (var m in r.Modules?.Modules ?? [])
            {
                WriteModule(w, m);
            }
            w.WriteEndArray();
            w.WriteString("last_unloaded", r.Modules?.LastUnloaded);
            w.WriteStartArray("unloaded_tainted_modules");
            foreach (var m in r.UnloadedTainted)
            {
                WriteModule(w, m);
            }
            w.WriteEndArray();
            w.WriteString("red_hat_flags", r.RedHatFlags);
            w.WriteString("hardware", r.Hardware);
            w.WriteString("panic", r.PanicMessage);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("module_events");
        foreach (var e in s.Events)
        {
            w.WriteStartObject();
            w.WriteNumber("line", e.Line);
            w.WriteString("event", e.Kind.ToString());
            w.WriteString("module", e.Module);
            w.WriteString("flag", e.Letter?.ToString());
            w.WriteString("detail", e.Detail);
            w.WriteString("text", e.Text);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("summary");
        foreach (var m in OrderedSummary(s))
        {
            w.WriteStartObject();
            w.WriteString("module", m.Name);
            w.WriteString("flags", m.LettersText);
            w.WriteBoolean("unsigned", s.IsUnsigned(m));
            w.WriteNumber("module_lists", m.Reports);
            w.WriteNumber("first_line", m.FirstLine);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteModule(Utf8JsonWriter w, ModuleListEntry m)
    {
        w.WriteStartObject();
        w.WriteString("name", m.Name);
        w.WriteString("flags", m.Letters);
        w.WriteString("state", m.StateMark?.ToString());
        w.WriteBoolean("unverified", m.Unverified);
        w.WriteEndObject();
    }
}
