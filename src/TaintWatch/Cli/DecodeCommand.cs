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
            Description = "A taint mask (decimal as in /proc/sys/kernel/tainted, or 0x hex), or taint letters such as POE. Several may be given.",
            Arity = ArgumentArity.OneOrMore,
        };
        var table = new Option<string?>("--table", "-t") { Description = TableOption.HelpText };
        var json = new Option<bool>("--json") { Description = "Print a JSON document instead of text." };
        var command = new Command("decode", "Decode a kernel taint value or taint letters: every set bit with its letter, name and meaning, and the 'Tainted:' string that kernel would print.")
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
        var decoded = new List<(string Input, ulong Mask)>();
        foreach (var input in inputs)
        {
            if (!TaintValueParser.TryParse(input, table, out var mask, out _, out var parseError))
            {
                error.WriteLine($"taintwatch decode: {parseError}");
                return ExitCodes.Error;
            }
            decoded.Add((input, mask));
        }
        if (json)
        {
            WriteJson(output, table, reason, decoded);
        }
        else
        {
            foreach (var (input, mask) in decoded)
            {
                WriteText(output, table, reason, input, mask);
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

    private static void WriteJson(TextWriter output, TaintTable table, string reason, List<(string Input, ulong Mask)> decoded)
    {
        JsonOutput.Print(output, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("table", table.Id);
            writer.WriteString("table_title", table.Title);
            writer.WriteString("table_reason", reason);
            writer.WriteStartArray("values");
            foreach (var (input, mask) in decoded)
            {
                writer.WriteStartObject();
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
