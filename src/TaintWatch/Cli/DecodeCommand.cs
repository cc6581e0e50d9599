using System.CommandLine;
using System.Text.Json;
using TaintWatch.Kernel;

namespace TaintWatch.Cli;

/// <summary>`taintwatch decode VALUE|LETTERS`: what each set bit means, in the right kernel family's words.</summary>
public static class DecodeCommand
{
    public static Command Create(GlobalOptions global)
    {
        var input = new Argument<string[]>("value")
        {
            Description = "A taint mask (decimal as in /proc/sys/kernel/tainted, or 0x hex), taint letters such as POE, or a pasted 'Tainted: …' line or report header (quote it). Several may be given.",
            Arity = ArgumentArity.OneOrMore,
        };
        var table = TableOption.Create();
        var json = new Option<bool>("--json") { Description = "Print a JSON document instead of text." };
        var command = new Command("decode", "Decode a kernel taint value, taint letters or a pasted 'Tainted:' line: every set bit with its letter, name and meaning, and the 'Tainted:' string that kernel would print.\n\nExamples:\n  taintwatch decode 536883201 --kernel.taint-table rhel7.3\n  taintwatch decode 'CPU: 27 PID: 8147 Comm: x Tainted: P           OE  ------------ T 3.10.0-1160.21.1.el7.x86_64 #1'")
        {
            input, table, json,
        };
        command.SetAction(result => Run(
            result.GetValue(input)!, result.GetValue(table), result.GetValue(json), global.Paths(result), StandardOutput.Writer, Console.Error));
        return command;
    }

    public static int Run(string[] inputs, string? tableName, bool json, KernelPaths paths, TextWriter output, TextWriter error)
    {
        if (!TableOption.TryResolve(tableName, paths, out var table, out var reason, out var tableError))
        {
            error.WriteLine($"taintwatch decode: {tableError}");
            return ExitCodes.Error;
        }
        var decoded = new List<(string Input, ulong Mask, TaintTable Table, string Reason)>();
        foreach (var input in inputs)
        {
            if (input.Contains("ainted", StringComparison.Ordinal))
            {
                // A pasted "Tainted: P           OE  ------------ T 3.10.0-…" line or a whole report header.
                var text = KernelLog.LogPrefix.Strip(input.Trim(), out _);
                var explicitTable = string.IsNullOrEmpty(tableName) || tableName == "auto" ? null : table;
                var reading = KernelLog.TaintedString.Parse(text, explicitTable, out _);
                if (reading is null)
                {
                    error.WriteLine($"taintwatch decode: cannot decode the Tainted: string in \"{Quoting.Shorten(input.Trim())}\": its width matches no known kernel family; give --kernel.taint-table");
                    return ExitCodes.Error;
                }
                decoded.Add((input, reading.Mask, reading.Table, $"{reading.How}"));
                continue;
            }
            if (!TaintValueParser.TryParse(input, table, out var mask, out _, out var parseError))
            {
                error.WriteLine($"taintwatch decode: {parseError}");
                return ExitCodes.Error;
            }
            decoded.Add((input, mask, table, reason));
        }
        if (json)
        {
            WriteJson(output, decoded);
        }
        else
        {
            foreach (var (input, mask, usedTable, why) in decoded)
            {
                WriteText(output, usedTable, why, input, mask);
            }
        }
        return ExitCodes.Ok;
    }

    private static void WriteText(TextWriter output, TaintTable table, string reason, string input, ulong mask)
    {
        output.WriteLine($"{input.Trim()} = taint mask {mask} (0x{mask:x}), decoded with table {table.Id}: {table.Title}");
        output.WriteLine($"  ({reason})");
        var flags = table.Decode(mask);
        if (flags.Count == 0)
        {
            output.WriteLine("  no bit set: the kernel is not tainted");
        }
        else
        {
            var rows = new TextTable("BIT", "FLAG", "NAME", "MEANING");
            foreach (var flag in flags)
            {
                rows.Add(flag.Bit.ToString(), flag.Letter.ToString(), flag.Name, flag.Description);
            }
            rows.Write(output, "  ");
        }
        output.WriteLine($"  kernel prints: '{table.FormatTaintedString(mask)}'");
    }

    private static void WriteJson(TextWriter output, List<(string Input, ulong Mask, TaintTable Table, string Reason)> decoded)
    {
        JsonOutput.Print(output, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("table", decoded[0].Table.Id);
            writer.WriteString("table_title", decoded[0].Table.Title);
            writer.WriteString("table_reason", decoded[0].Reason);
            writer.WriteStartArray("values");
            foreach (var (input, mask, table, reason) in decoded)
            {
                writer.WriteStartObject();
                writer.WriteString("table", table.Id);
                writer.WriteString("table_reason", reason);
                writer.WriteString("input", input.Trim());
                writer.WriteNumber("mask", mask);
                writer.WriteString("hex", $"0x{mask:x}");
                writer.WriteBoolean("tainted", mask != 0);
                writer.WriteString("tainted_string", table.FormatTaintedString(mask));
                JsonOutput.WriteFlags(writer, "flags", table.Decode(mask));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }
}
