using System.Text.RegularExpressions;
using TaintWatch.Kernel;

namespace TaintWatch.KernelLog;

/// <summary>
/// Reads kernel log text line by line (any size, memory bounded) and finds every WARN/BUG/Oops/panic/lockup
/// report with its taint and module list, abrt's taint summaries, every module-load and support-status message,
/// and a per-module summary. Each line is split where records were glued together, stripped of its log-tool
/// prefix, offered to an open module list (<see cref="ModuleListJoiner"/>), then classified; reports are cut by
/// <see cref="ReportSegmenter"/> and modules summed up by <see cref="ModuleSummaries"/>.
/// </summary>
public sealed partial class KernelLogScanner
{
    /// <summary>Reports kept in detail; later ones are counted only, so a huge log cannot exhaust memory.</summary>
    public const int MaxReports = ReportSegmenter.MaxReports;
    public const int MaxEvents = ModuleSummaries.MaxEvents;
    public const int MaxModules = ModuleSummaries.MaxModules;

    /// <summary>Records split out of one physical line at most: a line of glued stamps costs bounded work.</summary>
    public const int MaxRecordsPerLine = 64;

    private readonly TaintTable? _forcedTable;
    private readonly ReportSegmenter _reports = new();
    private readonly ModuleListJoiner _list = new();
    private readonly ModuleSummaries _summaries = new();
    private TaintTable? _logTable;
    private bool _summaryModulesNext;
    private bool _journalFields;
    private long _line;

    public KernelLogScanner(TaintTable? table = null) => _forcedTable = table;

    public List<KernelReport> Reports => _reports.Reports;
    public List<ModuleLoadEvent> Events => _summaries.Events;
    public Dictionary<string, ModuleSummary> Modules => _summaries.Modules;

    /// <summary>Unsigned: E, a verification-failed message, RHEL 6's "(U)", or RHEL 5's per-module 'U' (known once the release is).</summary>
    public bool IsUnsigned(ModuleSummary m) => m.Unsigned || (Table.Id == "rhel5" && m.Letters.Contains('U'));
    public long ReportCount => _reports.ReportCount;
    public long EventCount => _summaries.EventCount;
    public long Lines => _line;
    public long TruncatedLines { get; private set; }

    /// <summary>The table used for this log: forced, else from the first kernel release seen.</summary>
    public TaintTable Table => _forcedTable ?? _logTable ?? TaintTables.Upstream20;

    private TaintTable? KnownTable => _forcedTable ?? _logTable;

    [GeneratedRegex(@"^Linux version (?<r>\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex LinuxVersion();

    public void Scan(TextReader input)
    {
        var reader = new BoundedLineReader(input);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            Feed(line, reader.SawEscapeOrNoBreakSpace);
        }
        Finish();
        TruncatedLines = reader.TruncatedLines;
    }

    /// <summary>Reads one physical line; records glued onto it (a console's or a test harness's) are read one by one.</summary>
    public void Feed(string rawLine) => Feed(rawLine, mayHoldEscapes: true);

    /// <param name="rawLine">The line.</param>
    /// <param name="mayHoldEscapes">False when the reader saw no escape or non-breaking space anywhere: no need to look.</param>
    private void Feed(string rawLine, bool mayHoldEscapes)
    {
        _line++;
        // A web page's non-breaking spaces stand for spaces (lists and taint strings copied from a forum); a log
        // saved from a terminal in colour has escapes to remove.
        if (mayHoldEscapes && rawLine.AsSpan().IndexOfAny('\u00A0', '\u001b') >= 0)
        {
            rawLine = TerminalEscapes.Strip(rawLine.Replace('\u00A0', ' '));
        }
        switch (StructuredRecord.Read(rawLine, ref _journalFields, out var message))
        {
            case StructuredRecord.Kind.OtherField:
                return;
            case StructuredRecord.Kind.Message:
                // One record, whole: never cut at a terminal's width (no physical length), its lines the kernel's.
                foreach (var part in message.TrimEnd('\n', '\r').Split('\n', MaxRecordsPerLine))
                {
                    FeedText(part.TrimEnd('\r'), rawLength: -1);
                }
                return;
        }
        FeedText(rawLine, rawLine.Length);
    }

    /// <summary>One line of text as a log tool printed it: prefix stripped, glued records split.</summary>
    private void FeedText(string rawLine, int rawLength)
    {
        var text = LogPrefix.Strip(rawLine, out var hadPrefix);
        int glued;
        var records = 1;
        while (records++ < MaxRecordsPerLine && (glued = LogPrefix.GluedRecordStart(text)) > 0)
        {
            FeedRecord(text[..glued], hadPrefix, glued);
            text = LogPrefix.Strip(text[glued..], out hadPrefix);
        }
        // The physical line's length: a list cut at a terminal's width ends the line.
        FeedRecord(text, hadPrefix, rawLength);
    }

    public void Finish()
    {
        FlushList();
        _reports.Close(_line);
    }

    private void FeedRecord(string text, bool hadPrefix, int rawLength)
    {
        if (_list.IsOpen)
        {
            if (_list.TryContinue(text, hadPrefix, rawLength))
            {
                return;
            }
            FlushList();
        }
        if (text.Length == 0 || (text[0] == ' ' && text.AsSpan().Trim().Length == 0))
        {
            return;
        }
        if (_summaryModulesNext)
        {
            _summaryModulesNext = false;
            if (AttachSummaryModules(text.Trim()))
            {
                return;
            }
        }
        Classify(text, rawLength);
    }

    private void Classify(string text, int rawLength)
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
            _reports.CutHere(_line);
            return;
        }
        if (first == '-' && text.StartsWith("---[ end trace", StringComparison.Ordinal))
        {
            _reports.EndTrace(_line);
            return;
        }
        if (ReportHeaders.Kind(text) is ReportKind kind)
        {
            _reports.Start(kind, text, _line, KnownTable);
            if (kind == ReportKind.Summary && _reports.Current is { } summary)
            {
                summary.Taint = AbrtSummary.ReadFlags(text, KnownTable);
            }
            return;
        }
        if (text.Contains("ainted", StringComparison.Ordinal))
        {
            ReadTaintLine(text);
        }
        if (first == 'M' && text.StartsWith("Modules linked in:", StringComparison.Ordinal))
        {
            // A list without a report open, or after the open one's list, is a grep'd or pasted fragment of one.
            if (_reports.Current is null or { Modules: not null })
            {
                _reports.Start(ReportKind.Fragment, text, _line, KnownTable);
            }
            _list.Start(text["Modules linked in:".Length..], unloaded: false, _line, rawLength);
            return;
        }
        if (first == 'U' && text.StartsWith("Unloaded tainted modules:", StringComparison.Ordinal))
        {
            _list.Start(text["Unloaded tainted modules:".Length..], unloaded: true, _line, rawLength);
            return;
        }
        if (_reports.Current is { } current)
        {
            if (ReadReportDetail(current, text))
            {
                return;
            }
        }
        if (ModuleLoadMessages.Match(text, _line, Table) is { } loadEvent)
        {
            _summaries.Record(loadEvent);
        }
    }

    /// <summary>Lines that only describe the open report: Red Hat's flags, the hardware, abrt's "Tainted modules:".</summary>
    private bool ReadReportDetail(KernelReport current, string text)
    {
        var first = text[0];
        if (first == 'R' && text.StartsWith("Red Hat flags:", StringComparison.Ordinal))
        {
            current.RedHatFlags = text["Red Hat flags:".Length..].Trim();
            return true;
        }
        if (first == 'H' && text.StartsWith("Hardware name: ", StringComparison.Ordinal))
        {
            current.Hardware ??= text["Hardware name: ".Length..];
            return true;
        }
        if (current.Kind == ReportKind.Summary && current.Modules is null && AbrtSummary.TryFindModules(text, out var list))
        {
            // "Tainted modules: " may end the line, with the names wrapped onto the next one.
            if (list.Length == 0 || !AttachSummaryModules(list))
            {
                _summaryModulesNext = true;
            }
            return true;
        }
        return false;
    }

    private bool AttachSummaryModules(string text)
    {
        if (_reports.Current is not { Kind: ReportKind.Summary, Modules: null } summary || AbrtSummary.ParseModules(text) is not { } list)
        {
            return false;
        }
        summary.Modules = list;
        _summaries.Add(list.Modules, _line, inReportList: true);
        return true;
    }

    private void ReadTaintLine(string text)
    {
        var reading = _reports.ReadTaintLine(text, _line, KnownTable, out var release);
        if (reading is not null && release is not null && _forcedTable is null)
        {
            _logTable ??= reading.Table;
        }
    }

    private void FlushList()
    {
        if (!_list.IsOpen)
        {
            return;
        }
        var line = _list.Line;
        var unloaded = _list.IsUnloaded;
        var text = _list.Take();
        var current = _reports.Current;
        if (unloaded)
        {
            var entries = ModuleList.ParseUnloadedTainted(text.Split('[')[0]);
            var last = ModuleList.Parse(text.Contains('[', StringComparison.Ordinal) ? text[text.IndexOf('[', StringComparison.Ordinal)..] : "");
            if (current is not null)
            {
                current.UnloadedTainted = entries;
                if (last.LastUnloaded is not null && current.Modules is not null)
                {
                    current.Modules = current.Modules with { LastUnloaded = last.LastUnloaded, LastUnloadedLetters = last.LastUnloadedLetters };
                }
            }
            _summaries.Add(entries, line, inReportList: false);
            return;
        }
        var list = ModuleList.Parse(text);
        if (current is not null && current.Modules is null)
        {
            current.Modules = list;
        }
        _summaries.Add(list.Modules, line, inReportList: true);
    }
}
