using System.Text.RegularExpressions;
using TaintWatch.Kernel;

namespace TaintWatch.KernelLog;

/// <summary>
/// Cuts a log into reports: where each begins (a header, or a taint line or module list without one), which
/// header lines belong to the same report, where it ends, and which taint, CPU and PID lines are its own.
/// At most <see cref="MaxReports"/> are kept in detail; later ones are only counted.
/// </summary>
internal sealed partial class ReportSegmenter
{
    public const int MaxReports = 10_000;

    /// <summary>A second header this close to the first, before any taint line or module list, is the same report ("BUG: unable to handle…" then "Oops:").</summary>
    private const int SameReportLines = 12;

    /// <summary>"Kernel panic - not syncing: Fatal exception" this soon after "---[ end trace" is that report's end.</summary>
    private const int PanicAfterEndLines = 5;

    private KernelReport? _current;
    private KernelReport? _lastClosed;
    private bool _cutHere;

    [GeneratedRegex(@"CPU: (?<cpu>\d+) (?:UID: \d+ )?PID: (?<pid>\d+) +(?:Comm: (?<comm>.{1,20}?) )?(?:Kdump: loaded )?(?:Tainted|Not tainted)", RegexOptions.CultureInvariant)]
    private static partial Regex CpuLine();

    [GeneratedRegex(@"^Pid: (?<pid>\d+), comm: (?<comm>.{1,20}?) (?:Tainted|Not tainted)", RegexOptions.CultureInvariant)]
    private static partial Regex PidLine();

    [GeneratedRegex(@"^WARNING: CPU: (?<cpu>\d+) PID: (?<pid>\d+) at ", RegexOptions.CultureInvariant)]
    private static partial Regex WarningCpu();

    [GeneratedRegex(@"^WARNING: \S+ at .*, CPU#(?<cpu>\d+): (?<comm>.+)/(?<pid>\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex WarningNext();

    public List<KernelReport> Reports { get; } = [];

    public long ReportCount { get; private set; }

    /// <summary>The report being read, if one is open.</summary>
    public KernelReport? Current => _current is { Ended: false } open ? open : null;

    public void Start(ReportKind kind, string header, long line, TaintTable? table)
    {
        if (kind == ReportKind.Panic && AttachPanic(header, line))
        {
            return;
        }
        if (Current is { } open && kind != ReportKind.Summary && open.Kind != ReportKind.Summary
            && open.Taint is null && open.Modules is null && line - open.StartLine <= SameReportLines)
        {
            open.Header += " / " + header;
            return;
        }
        if (!_cutHere || _current is not null)
        {
            Close(line);
        }
        _cutHere = false;
        _current = new KernelReport { StartLine = line, Kind = kind, Header = header };
        ReadWarningHeader(_current, header);
        // RHEL 6: "WARNING: at f:l fn() (Tainted: P  …)" carries the taint in the header.
        if (kind is not ReportKind.Fragment and not ReportKind.Summary && header.Contains("ainted", StringComparison.Ordinal))
        {
            ReadTaintLine(header, line, table, out _);
        }
    }

    public void CutHere(long line)
    {
        Close(line);
        _cutHere = true;
    }

    public void EndTrace(long line)
    {
        if (_current is not null)
        {
            _current.Ended = true;
            Close(line);
        }
    }

    /// <summary>
    /// Reads a line that mentions a taint. A "CPU: … Tainted:" line outside any report begins a fragment (a paste
    /// that starts there). Returns the reading, and the release the line names so the log's table can be chosen.
    /// </summary>
    public TaintReading? ReadTaintLine(string text, long line, TaintTable? table, out string? release)
    {
        var reading = TaintedString.Parse(text, table, out release);
        var cpu = CpuLine().Match(text);
        if (!cpu.Success)
        {
            cpu = PidLine().Match(text);
        }
        // The CPU line of a report is a report line even when its taint string cannot be read. A second CPU line
        // in a fragment that already had one is the next fragment (`journalctl | grep Tainted`).
        if (cpu.Success && Current is { Kind: ReportKind.Fragment, PanicMessage: null } fragment && (fragment.Cpu is not null || fragment.Pid is not null))
        {
            Close(line);
        }
        if (Current is null && cpu.Success)
        {
            Start(ReportKind.Fragment, text, line, table);
        }
        if (reading is null || Current is not { } report)
        {
            return reading;
        }
        // The verbose line only lists names: keep the positional reading (and its release) when both are there.
        if (report.Taint is null || (reading.How != "verbose" && report.Taint.How == "verbose"))
        {
            report.Taint = reading;
        }
        report.Release ??= release;
        if (cpu.Success)
        {
            report.Cpu ??= cpu.Groups["cpu"].Success ? Number(cpu.Groups["cpu"].Value) : null;
            report.Pid ??= Number(cpu.Groups["pid"].Value);
            report.Comm ??= cpu.Groups["comm"].Success ? cpu.Groups["comm"].Value : null;
        }
        return reading;
    }

    public void Close(long line)
    {
        if (_current is null)
        {
            return;
        }
        _current.EndLine = line;
        ReportCount++;
        if (Reports.Count < MaxReports)
        {
            Reports.Add(_current);
            _lastClosed = _current;
        }
        _current = null;
    }

    /// <summary>A panic is the end of the report it follows (panic_on_warn, "Fatal exception"), else a report of its own.</summary>
    private bool AttachPanic(string header, long line)
    {
        var target = Current ?? (_current is null && _lastClosed is { } last && line - last.EndLine <= PanicAfterEndLines ? last : null);
        if (target is not { PanicMessage: null } || target.Kind == ReportKind.Summary)
        {
            return false;
        }
        target.PanicMessage = header;
        return true;
    }

    private static void ReadWarningHeader(KernelReport report, string header)
    {
        var warning = WarningCpu().Match(header);
        if (!warning.Success)
        {
            warning = WarningNext().Match(header);
        }
        if (warning.Success)
        {
            report.Cpu = Number(warning.Groups["cpu"].Value);
            report.Pid = Number(warning.Groups["pid"].Value);
            report.Comm = warning.Groups["comm"].Success ? warning.Groups["comm"].Value : null;
        }
    }

    /// <summary>A CPU or PID number; null when the digits do not fit (afl++ found "CPU: 99999999999 PID: …").</summary>
    private static int? Number(string digits) =>
        int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
}
