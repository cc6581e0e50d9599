using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using CsCheck;
using TaintWatch.KernelLog;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.KernelLog;

/// <summary>
/// Kernel logs kept in structured records or saved in colour: journalctl's json, verbose and export output (the
/// fixtures are a real systemd-journald's, fed the lines of qemu-debian12-warn.dmesg; the live test makes them
/// again), log shippers' JSON lines, and dmesg --color=always (util-linux's own output of the same log).
/// Each is read as the plain dmesg is.
/// </summary>
public class StructuredLogTests
{
    private static KernelLogScanner Scan(TextReader reader)
    {
        var scanner = new KernelLogScanner();
        scanner.Scan(reader);
        return scanner;
    }

    private static KernelLogScanner ScanFixture(string name) => Scan(new StreamReader(Path.Combine(Repo.Fixture("logs"), name)));

    private static KernelLogScanner ScanLines(params string[] lines) => Scan(new StringReader(string.Join('\n', lines)));

    /// <summary>What a scan found, written out so that two scans compare in one assertion.</summary>
    private static string Found(KernelLogScanner s) => string.Join("\n",
        s.Reports.Select(r => $"{r.Kind} cpu={r.Cpu} pid={r.Pid} comm={r.Comm} mask={r.Taint?.Mask} table={r.Taint?.Table.Id} ended={r.Ended} hw={r.Hardware} modules=" +
            string.Join(' ', r.Modules?.Modules.Select(m => $"{m.Name}({m.Letters}{m.StateMark})") ?? [])).Concat(
        s.Events.Select(e => $"{e.Kind} {e.Module}")).Concat(
        s.Modules.Values.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => $"{m.Name} {m.LettersText} unsigned={s.IsUnsigned(m)}")));

    [Theory]
    [InlineData("journalctl-json.log")]
    [InlineData("journalctl-verbose.log")]
    [InlineData("journalctl-export.log")]
    [InlineData("qemu-debian12-warn.dmesg-color")]
    public void A_journal_export_or_a_coloured_dmesg_is_read_as_the_plain_dmesg(string fixture)
    {
        var plain = Found(ScanFixture("qemu-debian12-warn.dmesg"));
        Assert.Contains("Warning cpu=0 pid=187 comm=insmod mask=12289", plain);
        Assert.Equal(plain, Found(ScanFixture(fixture)));
    }

    [Fact]
    public void Colour_that_starts_after_the_reader_s_first_buffers_is_still_removed()
    {
        // The reader looks for escapes once per 128 Ki-character buffer: the coloured report comes after several plain ones.
        var plain = string.Concat(Enumerable.Repeat("[    1.000000] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex\n", 6_000));
        var colour = File.ReadAllText(Path.Combine(Repo.Fixture("logs"), "qemu-debian12-warn.dmesg-color"));
        var s = Scan(new StringReader(plain + colour));
        var r = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.Warning, r.Kind);
        Assert.Equal(12289UL, r.Taint!.Mask);
        Assert.Equal(6_008L, r.StartLine);
    }

    [Fact]
    public void A_real_journald_read_back_in_every_journalctl_output_mode_is_read_as_the_plain_dmesg()
    {
        var plain = Found(ScanFixture("qemu-debian12-warn.dmesg"));
        using var journald = new Journald();
        var lines = File.ReadAllLines(Path.Combine(Repo.Fixture("logs"), "qemu-debian12-warn.dmesg"));
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
        {
            socket.Connect(new UnixDomainSocketEndPoint(journald.Socket));
            foreach (var line in lines)
            {
                // journald's native protocol, each field in its binary form (any byte allowed).
                var message = line[(line.IndexOf(']') + 2)..];
                socket.Send(Field("MESSAGE", message).Concat(Field("PRIORITY", "4")).Concat(Field("SYSLOG_IDENTIFIER", "kernel")).ToArray());
            }
        }
        string Journalctl(string mode)
        {
            var start = new ProcessStartInfo("journalctl", ["--namespace=" + journald.Namespace, "-o", mode, "--all", "--no-pager"]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(start)!;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return output;
        }
        Wait.Until(() => Journalctl("cat").Contains("---[ end trace", StringComparison.Ordinal), 10_000, () => "journald did not store the messages");
        foreach (var mode in new[] { "json", "json-seq", "verbose", "export", "short", "short-precise", "short-monotonic", "short-iso", "short-full", "short-unix", "cat", "with-unit" })
        {
            Assert.True(plain == Found(Scan(new StringReader(Journalctl(mode)))), $"journalctl -o {mode} read differently from the dmesg");
        }
    }

    private static byte[] Field(string name, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return [.. Encoding.ASCII.GetBytes(name + "\n"), .. BitConverter.GetBytes((ulong)bytes.Length), .. bytes, (byte)'\n'];
    }

    [Fact]
    public void Log_shippers_JSON_lines_give_their_message_field()
    {
        var s = ScanLines(
            // Docker's json-file driver (a console captured in a container log): "log", with its newline.
            """{"log":"[    3.414215] WARNING: CPU: 0 PID: 187 at fs/x.c:9 f+0x5/0x10 [tw]\n","stream":"stdout","time":"2026-12-01T06:00:00.1Z"}""",
            // An Elasticsearch hit: the document under _source.
            """{"_index":"syslog-2026.12.01","_id":"x","_source":{"@timestamp":"2026-12-01T06:00:00Z","host":{"name":"db1"},"message":"Dec  1 06:00:00 db1 kernel: Modules linked in: tw(POE) sg"}}""",
            // Loki's logcli --output=jsonl: "line".
            """{"labels":{"job":"kernel"},"line":"CPU: 0 PID: 187 Comm: insmod Tainted: P           OE      6.1.0-56-amd64 #1"}""");
        var r = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.Warning, r.Kind);
        Assert.Equal("tw(POE) sg", string.Join(' ', r.Modules!.Modules.Select(m => m.Name + (m.Letters.Length > 0 ? $"({m.Letters})" : ""))));
        Assert.Equal(12289UL, r.Taint!.Mask);
    }

    [Fact]
    public void Journald_s_byte_array_form_of_a_message_and_a_multi_line_message_are_read()
    {
        var list = Encoding.UTF8.GetBytes("Modules linked in: tw(OE) sg");
        var s = ScanLines(
            """{"MESSAGE":"BUG: unable to handle page fault for address: 0000000000001000\nOops: 0000 [#1] PREEMPT SMP NOPTI","PRIORITY":"1"}""",
            "{\"MESSAGE\":[" + string.Join(',', list) + "],\"PRIORITY\":\"4\"}",
            """{"MESSAGE":"CPU: 1 PID: 9 Comm: x Tainted: G           OE      6.1.0-56-amd64 #1"}""");
        var r = Assert.Single(s.Reports);
        Assert.Equal(ReportKind.Bug, r.Kind);
        Assert.Equal(["tw", "sg"], r.Modules!.Modules.Select(m => m.Name));
    }

    [Theory]
    [InlineData("""{"MESSAGE":"Modules linked in: tw(OE) sg""")] // cut short by a paste
    [InlineData("""{"MESSAGE":"Modules linked in: tw(OE) sg",}""")] // a trailing comma, as some shippers write
    [InlineData("""{"level":"info","ts":1}""")] // no message field
    [InlineData("""{not json at all}""")]
    [InlineData("""{"MESSAGE":"\ud800"}""")] // a lone surrogate escape
    [InlineData("""{"MESSAGE":[1,2,"x",{"a":[3]}]}""")]
    [InlineData("""{"MESSAGE":{"nested":true},"msg":"Modules linked in: tw(OE) sg"}""")]
    public void A_line_that_only_looks_like_a_record_is_read_without_error(string line)
    {
        var s = ScanLines(line);
        Assert.Equal(1, s.Lines);
    }

    [Fact]
    public void Field_lines_are_skipped_only_in_a_journal_so_a_message_that_looks_like_one_is_kept_elsewhere()
    {
        var journal = false;
        Assert.Equal(StructuredRecord.Kind.Text, StructuredRecord.Read("PRIORITY=4", ref journal, out _));
        Assert.Equal(StructuredRecord.Kind.Message, StructuredRecord.Read("    MESSAGE=Modules linked in: a b", ref journal, out var message));
        Assert.Equal("Modules linked in: a b", message);
        Assert.Equal(StructuredRecord.Kind.OtherField, StructuredRecord.Read("    PRIORITY=4", ref journal, out _));
        Assert.Equal(StructuredRecord.Kind.OtherField, StructuredRecord.Read("Tue 2026-12-01 07:01:35.423130 UTC [s=94;i=1;b=ae;m=42;t=66;x=b6]", ref journal, out _));
        Assert.Equal(StructuredRecord.Kind.Text, StructuredRecord.Read("[ 1.0] usb 1-1: new device", ref journal, out _));
        var export = false;
        Assert.Equal(StructuredRecord.Kind.OtherField, StructuredRecord.Read("__CURSOR=s=94;i=1", ref export, out _));
        Assert.True(export);
    }

    [Theory]
    [InlineData("\u001b[32m[    3.4] \u001b[0m\u001b[33mtw: \u001b[0m\u001b[1mloading\u001b[0m", "[    3.4] tw: loading")]
    [InlineData("\u001b]0;title\u0007Modules linked in: a", "Modules linked in: a")] // OSC ended by BEL
    [InlineData("\u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\ text", "link text")] // OSC ended by ST
    [InlineData("\u001b(BModules", "Modules")]
    [InlineData("cut short \u001b[1", "cut short ")]
    [InlineData("cut short \u001b", "cut short ")]
    [InlineData("no escape", "no escape")]
    public void Terminal_escapes_are_removed(string line, string expected) => Assert.Equal(expected, TerminalEscapes.Strip(line));

    [Fact]
    public void Random_and_deeply_nested_JSON_lines_never_throw()
    {
        ScanLines("{\"MESSAGE\":" + new string('[', 100_000) + new string(']', 100_000) + "}");
        ScanLines("{" + string.Concat(Enumerable.Repeat("\"a\":{", 10_000)) + new string('}', 10_001));
        Gen.String[Gen.Char["{}[]\":,MESSAGE0123456789 \\u\n"], 0, 2_000].Sample(text => ScanLines("{" + text + "}"), iter: 2_000);
    }
}
