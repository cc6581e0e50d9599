using System.Globalization;

namespace TaintWatch.Kernel;

/// <summary>
/// Parses /proc/modules: "name size refcount holders, state address [(flags)]" (kernel/module/procfs.c),
/// RHEL 5's "(U)" and RHEL 6–10 "(POE)" / "(OE+)" / "(-)" suffixes included.
/// </summary>
public static class ProcModulesParser
{
    /// <summary>Longest module name the kernel allows (MODULE_NAME_LEN - 1 = 55); longer means garbage.</summary>
    public const int MaxNameLength = 255;

    /// <summary>More modules than any real kernel loads; past this the file is not /proc/modules.</summary>
    public const int MaxModules = 65536;

    public sealed record Result(IReadOnlyList<ProcModuleEntry> Modules, IReadOnlyList<string> Problems);

    public static Result Parse(string text)
    {
        var modules = new List<ProcModuleEntry>();
        var problems = new List<string>();
        var lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine.TrimEnd();
            if (line.IsEmpty)
            {
                continue;
            }
            if (modules.Count >= MaxModules)
            {
                problems.Add($"more than {MaxModules} modules listed; the rest is ignored");
                break;
            }
            if (TryParseLine(line.ToString(), out var entry, out var error))
            {
                modules.Add(entry);
            }
            else if (problems.Count < 20)
            {
                problems.Add($"line {lineNumber}: {error}");
            }
        }
        return new Result(modules, problems);
    }

    public static bool TryParseLine(string line, out ProcModuleEntry entry, out string error)
    {
        entry = null!;
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is < 6 or > 7)
        {
            error = $"expected 6 or 7 fields, found {fields.Length}: \"{Quoting.Shorten(line)}\"";
            return false;
        }
        var name = fields[0];
        if (name.Length > MaxNameLength || !name.All(IsNameChar))
        {
            error = $"\"{Quoting.Shorten(name)}\" is not a module name";
            return false;
        }
        if (!ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            error = $"size \"{Quoting.Shorten(fields[1])}\" of module {name} is not a number";
            return false;
        }
        int? refCount = null;
        if (fields[2] != "-")
        {
            if (!int.TryParse(fields[2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var count))
            {
                error = $"reference count \"{Quoting.Shorten(fields[2])}\" of module {name} is not a number";
                return false;
            }
            refCount = count;
        }
        var holders = fields[3] == "-"
            ? (IReadOnlyList<string>)[]
            : fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (!TryParseState(fields[4], out var state))
        {
            error = $"state \"{Quoting.Shorten(fields[4])}\" of module {name} is not Live, Loading or Unloading";
            return false;
        }
        var address = fields[5];
        if (!address.StartsWith("0x", StringComparison.Ordinal))
        {
            error = $"address \"{Quoting.Shorten(address)}\" of module {name} does not start with 0x";
            return false;
        }
        var letters = "";
        char? mark = null;
        if (fields.Length == 7)
        {
            if (!TryParseFlags(fields[6], out letters, out mark))
            {
                error = $"flags \"{Quoting.Shorten(fields[6])}\" of module {name} are not of the form (POE)";
                return false;
            }
        }
        entry = new ProcModuleEntry(name, size, refCount, holders, state, address, letters, mark);
        error = "";
        return true;
    }

    /// <summary>
    /// Parses "(POE)", "(OE+)" or "(-)". Letters are kept in the kernel's order; the +/- marks are
    /// loading/unloading states, not taints. (RHEL 6's "(P)(U)" is a shape of oops "Modules linked in:" lists,
    /// parsed in KernelLog/, not of /proc/modules.)
    /// </summary>
    public static bool TryParseFlags(string text, out string letters, out char? mark)
    {
        letters = "";
        mark = null;
        if (text.Length < 2 || text[0] != '(' || text[^1] != ')')
        {
            return false;
        }
        var builder = new System.Text.StringBuilder();
        foreach (var c in text)
        {
            switch (c)
            {
                case '(' or ')':
                    break;
                case '+' or '-':
                    mark = c;
                    break;
                case >= 'A' and <= 'Z' or >= 'a' and <= 'z':
                    if (builder.ToString().IndexOf(c, StringComparison.Ordinal) < 0)
                    {
                        builder.Append(c);
                    }
                    break;
                default:
                    return false;
            }
        }
        letters = builder.ToString();
        return true;
    }

    private static bool TryParseState(string text, out ModuleLoadState state)
    {
        state = text switch
        {
            "Live" => ModuleLoadState.Live,
            "Loading" => ModuleLoadState.Loading,
            "Unloading" => ModuleLoadState.Unloading,
            _ => (ModuleLoadState)(-1),
        };
        return (int)state >= 0;
    }

    internal static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';
}
