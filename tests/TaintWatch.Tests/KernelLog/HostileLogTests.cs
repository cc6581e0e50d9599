using System.Text;
using CsCheck;
using TaintWatch.KernelLog;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.KernelLog;

public class HostileLogTests
{
    [Fact]
    public void Lines_of_1_MB_are_cut_to_the_cap_and_counted()
    {
        var text = "Modules linked in: " + new string('a', 1024 * 1024) + "\n[ 1.0] x\n" + new string('z', 3 * 1024 * 1024);
        var reader = new BoundedLineReader(new StringReader(text));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.True(l.Length <= BoundedLineReader.MaxLineLength));
        Assert.Equal("[ 1.0] x", lines[1]);
        Assert.Equal(2, reader.TruncatedLines);
    }

    [Fact]
    public void Line_reader_splits_exactly_like_ReadLine_on_ordinary_text()
    {
        static List<string> Lines(Func<string?> next)
        {
            var list = new List<string>();
            while (next() is { } l)
            {
                list.Add(l);
            }
            return list;
        }
        Gen.String[Gen.Char["ab\n "], 0, 300_000].Sample(text =>
        {
            var reader = new BoundedLineReader(new StringReader(text));
            var standard = new StringReader(text);
            return Lines(reader.ReadLine).SequenceEqual(Lines(standard.ReadLine));
        }, iter: 300);
        // CRLF (logs copied from Windows tools) ends a line the same way.
        var crlf = new BoundedLineReader(new StringReader("a\r\nb\r\n"));
        Assert.Equal(["a", "b"], Lines(crlf.ReadLine));
    }

    [Fact]
    public void Binary_garbage_is_read_without_error_and_finds_nothing()
    {
        var random = new Random(1);
        var bytes = new byte[4 * 1024 * 1024];
        random.NextBytes(bytes);
        var scanner = new KernelLogScanner();
        scanner.Scan(new StreamReader(new MemoryStream(bytes), Encoding.UTF8));
        Assert.Empty(scanner.Reports);
        Assert.Empty(scanner.Events);
        // Every newline byte ends a line: the count is the reader's, not a guess.
        Assert.Equal(bytes.Count(b => b == (byte)'\n') + (bytes[^1] == (byte)'\n' ? 0 : 1), scanner.Lines);
    }

    [Fact]
    public void Random_mutations_of_real_logs_keep_every_report_inside_the_log_and_in_order()
    {
        var seeds = Directory.GetFiles(Repo.Fixture("logs")).Concat(Directory.GetFiles(Repo.Fixture("real-logs"), "*.log"))
            .Select(File.ReadAllText).Where(t => t.Length > 0).ToArray();
        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Int[0, int.MaxValue]).Sample((i, seed) =>
        {
            var random = new Random(seed);
            var chars = seeds[i].ToCharArray();
            for (var k = 0; k < 1 + random.Next(20); k++)
            {
                const string alphabet = " \n()[]:-PE0aZ,.`>\u0000";
                chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            }
            var text = new string(chars, 0, random.Next(chars.Length));
            var scanner = new KernelLogScanner();
            scanner.Scan(new StringReader(text));
            CheckInvariants(scanner, text);
            return true;
        }, iter: 3000);
    }

    /// <summary>What any scan of any text must satisfy, whatever the text says.</summary>
    private static void CheckInvariants(KernelLogScanner scanner, string text)
    {
        var lines = 0L;
        using (var reader = new StringReader(text))
        {
            while (reader.ReadLine() is not null)
            {
                lines++;
            }
        }
        Assert.Equal(lines, scanner.Lines);
        Assert.Equal(scanner.ReportCount, scanner.Reports.Count);
        var previousEnd = 0L;
        foreach (var report in scanner.Reports)
        {
            // Reports follow each other: one may begin on the line where the previous ended (records glued on one line).
            Assert.InRange(report.StartLine, Math.Max(1, previousEnd), lines);
            Assert.InRange(report.EndLine, report.StartLine, lines);
            previousEnd = report.EndLine;
            foreach (var module in report.Modules?.Modules ?? [])
            {
                Assert.InRange(module.Name.Length, 1, 255);
                Assert.All(module.Name, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'));
                Assert.All(module.Letters, c => Assert.True(char.IsAsciiLetter(c)));
            }
            Assert.True(report.Modules is null || report.Modules.Modules.Count <= ModuleList.MaxModules);
        }
        Assert.All(scanner.Events, e => Assert.InRange(e.Line, 1, lines));
        Assert.All(scanner.Modules, m => Assert.Equal(m.Key, m.Value.Name));
        Assert.All(scanner.Modules.Values, m => Assert.InRange(m.FirstLine, 1, lines));
    }

    [Fact]
    public void A_line_of_thousands_of_glued_records_is_split_at_most_64_times()
    {
        var line = string.Concat(Enumerable.Repeat("[   12.000001] ------------[ cut here ]------------[   12.000002] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2", 1000));
        var scanner = new KernelLogScanner();
        scanner.Scan(new StringReader(line + "\n" + line + "\n"));
        Assert.Equal(2, scanner.Lines);
        // Records alternate cut-here and WARNING; the 64th (a WARNING) holds the rest of its line, unsplit.
        Assert.Equal(2 * KernelLogScanner.MaxRecordsPerLine / 2, scanner.ReportCount);
    }

    [Fact]
    public void A_module_list_continued_without_end_keeps_a_bounded_number_of_names()
    {
        var scanner = new KernelLogScanner();
        scanner.Feed("[    1.000000] Modules linked in: first");
        for (var i = 0; i < 200_000; i++)
        {
            scanner.Feed("[    1.000001]  alpha beta gamma delta");
        }
        scanner.Finish();
        var report = Assert.Single(scanner.Reports);
        Assert.InRange(report.Modules!.Modules.Count, 1000, ModuleList.MaxModules);
        Assert.Equal("first", report.Modules.Modules[0].Name);
        Assert.Equal(5, scanner.Modules.Count);
    }

    [Fact]
    public void A_taint_string_of_64_KiB_of_letters_is_not_read_as_flags()
    {
        var scanner = new KernelLogScanner();
        scanner.Scan(new StringReader("CPU: 0 PID: 1 Comm: x Tainted: " + new string('P', 65_000) + "\n"));
        var report = Assert.Single(scanner.Reports);
        Assert.Null(report.Taint);
        Assert.Equal(ReportKind.Fragment, report.Kind);
    }
}
