using System.Text.RegularExpressions;
using TaintWatch.Kernel;

namespace TaintWatch.KernelLog;

/// <summary>
/// Reads kernel log text line by line (any size, memory bounded) and finds every WARN/BUG/Oops/panic/lockup
/// report with its taint and module list, every module-load taint message, and a per-module summary.
/// </summary>
public sealed partial class KernelLogScanner
{
    /// <summary>Reports kept in detail; later ones are counted only, so a huge log cannot exhaust memory.</summary>
    public const int MaxReports = 10_000;
    public const int MaxEvents = 100_000;
    public const int MaxModules = 100_000;

    private readonly TaintTable? _forcedTable;
    private TaintTable? _logTable;
    private KernelReport? _current;
    private System.Text.StringBuilder? _moduleText;
    private long _moduleTextLine;
    private bool _moduleTextIsUnloaded;
    private bool _cutHere;
    private long _line;

    public KernelLogScanner(TaintTable? table = null) => _forcedTable = table;

    public List<KernelReport> Reports { get; } = [];
    public List<ModuleLoadEvent> Events { get; } = [];
    public Dictionary<string, ModuleSummary> Modules { get; } = new(StringComparer.Ordinal);

    /// <summary>Unsigned: E, a verification-failed message, RHEL 6's "(U)", or RHEL 5's per-module 'U' (known once the release is).</summary>
    public bool IsUnsigned(ModuleSummary m) => m.Unsigned || (Table.Id == "rhel5" && m.Letters.Contains('U'));
    public long ReportCount { get; private set; }
    public long EventCount { get; private set; }
    public long Lines => _line;

    /// <summary>The table used for this log: forced, else from the first kernel release seen.</summary>
    public TaintTable Table => _forcedTable ?? _logTable ?? TaintTables.Upstream20;

    [GeneratedRegex(@"^Linux version (?<r>\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex LinuxVersion();

    [GeneratedRegex(@"CPU: (?<cpu>\d+) (?:UID: \d+ )?PID: (?<pid>\d+) +(?:Comm: (?<comm>.{1,20}?) )?(?:Kdump: loaded )?(?:Tainted|Not tainted)", RegexOptions.CultureInvariant)]
    private static partial Regex CpuLine();

    [GeneratedRegex(@"^Pid: (?<pid>\d+), comm: (?<comm>.{1,20}?) (?:Tainted|Not tainted)", RegexOptions.CultureInvariant)]
    private static partial Regex PidLine();

    [GeneratedRegex(@"^WARNING: CPU: (?<cpu>\d+) PID: (?<pid>\d+) at ", RegexOptions.CultureInvariant)]
    private static partial Regex WarningCpu();

    [GeneratedRegex(@"^WARNING: \S+ at .*, CPU#(?<cpu>\d+): (?<comm>.+)/(?<pid>\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex WarningNext();

    public void Scan(TextReader input)
    {
        var reader = new BoundedLineReader(input);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            Feed(line);
        }
        Finish();
        TruncatedLines = reader.TruncatedLines;
    }

    public long TruncatedLines { get; private set; }

    public void Feed(string rawLine)
    {
        _line++;
        var text = LogPrefix.Strip(rawLine, out var hadPrefix);
        if (_moduleText is not null)
        {
            if (!hadPrefix && IsModuleContinuation(text))
            {
                AppendContinuation(text);
                return;
            }
            FlushModuleText();
        }
        if (text.Length == 0)
        {
            return;
        }
        Classify(text);
    }

    public void Finish()
    {
        FlushModuleText();
        CloseReport();
    }

    private void Classify(string text)
    {
        var first = text[0];
        // Cheap dispatch on the first character keeps the common case (ordinary messages) fast.
        if (first == 'L' && text.StartsWith("Linux version ", StringComparison.Ordinal))
        {
            var release = LinuxVersion().Match(text).Groups["r"].Value;
            _logTable ??= TaintTableSelector.Select(release).Table;
            return;
        }
        if (first == '-' && text.StartsWith("------------[ cut here ]", StringComparison.Ordinal))
        {
            CloseReport();
            _cutHere = true;
            return;
        }
        if (first == '-' && text.StartsWith("---[ end trace", StringComparison.Ordinal))
        {
            if (_current is not null)
            {
                _current.Ended = true;
                CloseReport();
            }
            return;
        }
        if (StartKind(text) is ReportKind kind)
        {
            if (kind == ReportKind.Panic && _current is { Ended: false, PanicMessage: null })
            {
                _current.PanicMessage = text;
                return;
            }
            StartReport(kind, text);
            return;
        }
        if (text.Contains("ainted", StringComparison.Ordinal))
        {
            ReadTaintLine(text);
        }
        if (first == 'M' && text.StartsWith("Modules linked in:", StringComparison.Ordinal))
        {
            _moduleText = new System.Text.StringBuilder(text["Modules linked in:".Length..]);
            _moduleTextLine = _line;
            _moduleTextIsUnloaded = false;
            return;
        }
        if (first == 'U' && text.StartsWith("Unloaded tainted modules:", StringComparison.Ordinal))
        {
            _moduleText = new System.Text.StringBuilder(text["Unloaded tainted modules:".Length..]);
            _moduleTextLine = _line;
            _moduleTextIsUnloaded = true;
            return;
        }
        if (_current is not null)
        {
            if (first == 'R' && text.StartsWith("Red Hat flags:", StringComparison.Ordinal))
            {
                _current.RedHatFlags = text["Red Hat flags:".Length..].Trim();
                return;
            }
            if (first == 'H' && text.StartsWith("Hardware name: ", StringComparison.Ordinal))
            {
                _current.Hardware ??= text["Hardware name: ".Length..];
                return;
            }
        }
        if (ModuleLoadMessages.Match(text, _line, Table) is { } loadEvent)
        {
            RecordEvent(loadEvent);
        }
    }

    private static ReportKind? StartKind(string text)
    {
        switch (text[0])
        {
            case 'W' when text.StartsWith("WARNING: ", StringComparison.Ordinal):
                return ReportKind.Warning;
            case 'B' when text.StartsWith("BUG: ", StringComparison.Ordinal):
                return text.StartsWith("BUG: soft lockup", StringComparison.Ordinal) ? ReportKind.SoftLockup : ReportKind.Bug;
            case 'w' when text.StartsWith("watchdog: BUG: soft lockup", StringComparison.Ordinal):
                return ReportKind.SoftLockup;
            case 'k' when text.StartsWith("kernel BUG at ", StringComparison.Ordinal):
                return ReportKind.Bug;
            case 'O' when text.StartsWith("Oops: ", StringComparison.Ordinal):
                return text.Contains("general protection fault", StringComparison.Ordinal) ? ReportKind.GeneralProtectionFault : ReportKind.Oops;
            case 'g' when text.StartsWith("general protection fault", StringComparison.Ordinal):
                return ReportKind.GeneralProtectionFault;
            case 'K' when text.StartsWith("Kernel panic - not syncing", StringComparison.Ordinal):
                return ReportKind.Panic;
            case 'I' when text.StartsWith("INFO: task ", StringComparison.Ordinal) && text.Contains("blocked for more than", StringComparison.Ordinal):
                return ReportKind.HungTask;
            default:
                return null;
        }
    }

    private void StartReport(ReportKind kind, string header)
    {
        // An Oops right after "BUG: unable to handle…" belongs to the same report.
        if (_current is { Ended: false } open && kind is ReportKind.Oops or ReportKind.GeneralProtectionFault && open.Kind == ReportKind.Bug && _line - open.StartLine < 5)
        {
            open.Header += " / " + header;
            return;
        }
        if (!_cutHere || _current is not null)
        {
            CloseReport();
        }
        _cutHere = false;
        _current = new KernelReport { StartLine = _line, Kind = kind, Header = header };
        var warning = WarningCpu().Match(header);
        if (!warning.Success)
        {
            warning = WarningNext().Match(header);
        }
        if (warning.Success)
        {
            _current.Cpu = Number(warning.Groups["cpu"].Value);
            _current.Pid = int.TryParse(warning.Groups["pid"].Value, out var pid) ? pid : null;
            _current.Comm = warning.Groups["comm"].Success ? warning.Groups["comm"].Value : null;
        }
        // RHEL 6: "WARNING: at f:l fn() (Tainted: P  …)" carries the taint in the header.
        if (kind != ReportKind.Fragment && header.Contains("ainted", StringComparison.Ordinal))
        {
            ReadTaintLine(header);
        }
    }

    private void ReadTaintLine(string text)
    {
        var reading = TaintedString.Parse(text, _forcedTable ?? _logTable, out var release);
        if (reading is null)
        {
            return;
        }
        if (release is not null && _forcedTable is null)
        {
            _logTable ??= reading.Table;
        }
        var cpu = CpuLine().Match(text);
        if (!cpu.Success)
        {
            cpu = PidLine().Match(text);
        }
        if ((_current is null || _current.Ended) && cpu.Success)
        {
            // A pasted fragment often starts at the "CPU: … Tainted:" line: it is a report whose header is not in the text.
            StartReport(ReportKind.Fragment, text);
        }
        if (_current is null || _current.Ended)
        {
            return;
        }
        // The verbose line only lists names: keep the positional reading (and its release) when both are there.
        if (_current.Taint is null || (reading.How != "verbose" && _current.Taint.How == "verbose"))
        {
            _current.Taint = reading;
        }
        _current.Release ??= release;
        if (cpu.Success)
        {
            _current.Cpu ??= cpu.Groups["cpu"].Success ? Number(cpu.Groups["cpu"].Value) : null;
            _current.Pid ??= Number(cpu.Groups["pid"].Value);
            _current.Comm ??= cpu.Groups["comm"].Success ? cpu.Groups["comm"].Value : null;
        }
    }

    /// <summary>A CPU or PID number; null when the digits do not fit (afl++ found "CPU: 99999999999 PID: …").</summary>
    private static int? Number(string digits) =>
        int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>A line with no log prefix made only of module tokens continues a wrapped module list.</summary>
    private static bool IsModuleContinuation(string text)
    {
        if (text.Length == 0 || text.StartsWith("Unloaded tainted modules:", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var ok = token.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '(' or ')' or '+' or ':' or '[' or ']');
            if (!ok)
            {
                return false;
            }
        }
        // Known report lines that are also plain words ("RIP: …", "Call Trace:") are not modules.
        return !text.Contains("Call Trace", StringComparison.Ordinal) && !text.StartsWith("RIP:", StringComparison.Ordinal)
            && !text.StartsWith("CPU:", StringComparison.Ordinal) && !text.StartsWith("Hardware name:", StringComparison.Ordinal);
    }

    /// <summary>
    /// Joins a wrapped continuation. A mail client or console that wraps inside a name ("ebtable_filt" /
    /// "er ebtables") leaves no space at the end of the line and a very short fragment at the start of the
    /// next: then the fragment is glued on. Names of one or two letters at a wrap point are rare enough.
    /// </summary>
    private void AppendContinuation(string text)
    {
        var builder = _moduleText!;
        var firstToken = text.TrimStart().Split(' ', 2)[0];
        var midWord = builder.Length > 0 && builder[^1] != ' ' && text.Length > 0 && text[0] != ' '
            && firstToken.Length <= 2 && firstToken.All(char.IsAsciiLetterLower);
        if (!midWord)
        {
            builder.Append(' ');
        }
        if (builder.Length < BoundedLineReader.MaxLineLength * 4)
        {
            builder.Append(text);
        }
    }

    private void FlushModuleText()
    {
        if (_moduleText is null)
        {
            return;
        }
        var text = _moduleText.ToString();
        _moduleText = null;
        if (_moduleTextIsUnloaded)
        {
            var unloaded = ModuleList.ParseUnloadedTainted(text.Split('[')[0]);
            var last = ModuleList.Parse(text.Contains('[', StringComparison.Ordinal) ? text[text.IndexOf('[', StringComparison.Ordinal)..] : "");
            if (_current is not null)
            {
                _current.UnloadedTainted = unloaded;
                if (last.LastUnloaded is not null && _current.Modules is not null)
                {
                    _current.Modules = _current.Modules with { LastUnloaded = last.LastUnloaded, LastUnloadedLetters = last.LastUnloadedLetters };
                }
            }
            foreach (var entry in unloaded)
            {
                Summarise(entry, _moduleTextLine, countReport: false);
            }
            return;
        }
        var list = ModuleList.Parse(text);
        if (_current is not null && _current.Modules is null)
        {
            _current.Modules = list;
        }
        foreach (var entry in list.Modules)
        {
            Summarise(entry, _moduleTextLine, countReport: true);
        }
    }

    private void Summarise(ModuleListEntry entry, long line, bool countReport)
    {
        var summary = Summary(entry.Name, line);
        if (summary is null)
        {
            return;
        }
        foreach (var letter in entry.Letters)
        {
            summary.Letters.Add(letter);
        }
        if (entry.Unverified || entry.Letters.Contains('E', StringComparison.Ordinal))
        {
            summary.Unsigned = true;
        }
        if (countReport)
        {
            summary.Reports++;
        }
    }

    private ModuleSummary? Summary(string name, long line)
    {
        if (!Modules.TryGetValue(name, out var summary))
        {
            if (Modules.Count >= MaxModules)
            {
                return null;
            }
            summary = new ModuleSummary(name) { FirstLine = line };
            Modules[name] = summary;
        }
        return summary;
    }

    private void RecordEvent(ModuleLoadEvent e)
    {
        EventCount++;
        if (Events.Count < MaxEvents)
        {
            Events.Add(e);
        }
        // Only messages that name a module and set a letter (or say it is unsigned) feed the module summary.
        if (e.Module is not null && (e.Letter is not null || e.Kind == ModuleLoadEventKind.UnsignedModule))
        {
            var summary = Summary(e.Module, e.Line);
            if (summary is not null)
            {
                if (e.Letter is char letter)
                {
                    summary.Letters.Add(letter);
                }
                if (e.Kind is ModuleLoadEventKind.UnsignedModule)
                {
                    summary.Unsigned = true;
                }
            }
        }
    }

    private void CloseReport()
    {
        FlushModuleText();
        if (_current is null)
        {
            return;
        }
        _current.EndLine = _line;
        ReportCount++;
        if (Reports.Count < MaxReports)
        {
            Reports.Add(_current);
        }
        _current = null;
    }
}
