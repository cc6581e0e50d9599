using System.Diagnostics;
using System.Text;
using System.Text.Json;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Cli;

public class ScanLogCliTests
{
    [Fact]
    public void Scan_log_prints_reports_and_a_summary_with_unsigned_modules_first()
    {
        var r = Support.Cli.Run("scan-log", Path.Combine(Repo.Fixture("logs"), "seed-rhel7.txt"), Path.Combine(Repo.Fixture("logs"), "rhel6-messages.log"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("[FRAGMENT] line 6", r.Stdout);
        var summary = r.Stdout[r.Stdout.IndexOf("Summary:", StringComparison.Ordinal)..].Split('\n').Skip(2).Where(l => l.Length > 0).ToList();
        var unsignedRows = summary.TakeWhile(l => l.Contains(" yes ", StringComparison.Ordinal)).ToList();
        Assert.Contains(unsignedRows, l => l.TrimStart().StartsWith("scini", StringComparison.Ordinal));
        Assert.Contains(unsignedRows, l => l.TrimStart().StartsWith("emcp", StringComparison.Ordinal));
        Assert.DoesNotContain(unsignedRows, l => l.TrimStart().StartsWith("overlay", StringComparison.Ordinal));
    }

    [Fact]
    public void Scan_log_reads_standard_input_and_prints_json()
    {
        var start = new ProcessStartInfo(Repo.Binary) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("scan-log");
        start.ArgumentList.Add("--json");
        using var process = Process.Start(start)!;
        process.StandardInput.Write(File.ReadAllText(Path.Combine(Repo.Fixture("logs"), "upstream-two-reports.log")));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        using var doc = JsonDocument.Parse(output);
        var reports = doc.RootElement.GetProperty("reports");
        Assert.Equal(2, reports.GetArrayLength());
        Assert.Equal("warning", reports[0].GetProperty("kind").GetString());
        Assert.Equal(12800UL, reports[0].GetProperty("taint").GetProperty("mask").GetUInt64());
        Assert.Equal("bpf_testmod", doc.RootElement.GetProperty("summary")[0].GetProperty("module").GetString());
    }

    [Fact]
    public void Rotated_gzipped_logs_and_a_gzip_on_standard_input_are_read_and_an_xz_one_refused_with_what_to_run()
    {
        var directory = Directory.CreateTempSubdirectory("tw-scan-gz-");
        try
        {
            var log = Path.Combine(directory.FullName, "messages-20261201");
            File.Copy(Path.Combine(Repo.Fixture("logs"), "upstream-two-reports.log"), log);
            Assert.Equal(0, Tool.Run("gzip", directory.FullName, "-k", log).ExitCode);
            Assert.Equal(0, Tool.Run("xz", directory.FullName, "-k", log).ExitCode);
            var plain = Support.Cli.Run("scan-log", "--json", log);
            var gz = Support.Cli.Run("scan-log", "--json", log + ".gz");
            Assert.Equal((0, plain.Stdout), (gz.ExitCode, gz.Stdout));
            Assert.Contains("bpf_testmod", gz.Stdout);

            var start = new ProcessStartInfo(Repo.Binary) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add("scan-log");
            start.ArgumentList.Add("--json");
            using (var process = Process.Start(start)!)
            {
                process.StandardInput.BaseStream.Write(File.ReadAllBytes(log + ".gz"));
                process.StandardInput.Close();
                var output = process.StandardOutput.ReadToEnd();
                process.WaitForExit();
                Assert.Equal((0, plain.Stdout), (process.ExitCode, output));
            }

            var xz = Support.Cli.Run("scan-log", log + ".xz");
            Assert.Equal(2, xz.ExitCode);
            Assert.Contains($"xz-compressed: read it with `xz -dc {log}.xz | taintwatch scan-log`", xz.Stderr);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_log_saved_as_UTF_16_by_a_Windows_editor_is_read()
    {
        var file = Path.GetTempFileName();
        try
        {
            var text = File.ReadAllText(Path.Combine(Repo.Fixture("logs"), "upstream-two-reports.log"));
            File.WriteAllText(file, text.Replace("\n", "\r\n"), Encoding.Unicode);
            var r = Support.Cli.Run("scan-log", "--json", file);
            Assert.Equal(0, r.ExitCode);
            using var doc = JsonDocument.Parse(r.Stdout);
            Assert.Equal(2, doc.RootElement.GetProperty("reports").GetArrayLength());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_missing_log_file_is_one_clear_line_and_exit_2()
    {
        var r = Support.Cli.Run("scan-log", "/nonexistent/vmcore-dmesg.txt");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("/nonexistent/vmcore-dmesg.txt", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Decode_accepts_a_pasted_report_header()
    {
        var r = Support.Cli.Run("decode", "--json", "[1560475.896997] CPU: 27 PID: 8147 Comm: x Kdump: loaded Tainted: P           OE  ------------ T 3.10.0-1160.21.1.el7.x86_64 #1");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var value = doc.RootElement.GetProperty("values")[0];
        Assert.Equal(536883201UL, value.GetProperty("mask").GetUInt64());
        Assert.Equal("rhel7.3", value.GetProperty("table").GetString());
    }
}
