using TaintWatch.KernelLog;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.KernelLog;

/// <summary>
/// A log larger than memory should ever hold. Alone in the suite: the heap is the process's, and other tests
/// allocating at the same time would be counted as this scan's.
/// </summary>
[Collection("alone")]
public class LargeLogMemoryTests
{
    /// <summary>Generates a log of a given size on the fly: ordinary lines with a WARN report every few thousand.</summary>
    private sealed class GeneratedLog(long bytes) : TextReader
    {
        private static readonly string Report = File.ReadAllText(Path.Combine(Repo.Fixture("logs"), "qemu-debian12-warn.dmesg"));
        private const string Noise = "[ 1234.567890] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx\n";
        private long _produced;
        private string _chunk = "";
        private int _at;
        private long _n;

        public override int Read(char[] buffer, int index, int count)
        {
            if (_at == _chunk.Length)
            {
                if (_produced >= bytes)
                {
                    return 0;
                }
                _chunk = ++_n % 5000 == 0 ? Report : Noise;
                _at = 0;
                _produced += _chunk.Length;
            }
            var n = Math.Min(count, _chunk.Length - _at);
            _chunk.CopyTo(_at, buffer, index, n);
            _at += n;
            return n;
        }
    }

    [Fact]
    public void A_1_GB_log_is_streamed_with_bounded_memory()
    {
        var scanner = new KernelLogScanner();
        GC.Collect();
        var before = GC.GetGCMemoryInfo().HeapSizeBytes;
        scanner.Scan(new GeneratedLog(1L << 30));
        GC.Collect();
        var after = GC.GetGCMemoryInfo().HeapSizeBytes;
        Assert.True(scanner.Lines > 10_000_000);
        Assert.Equal(Math.Min(scanner.ReportCount, KernelLogScanner.MaxReports), scanner.Reports.Count);
        Assert.True(scanner.ReportCount > 2000);
        Assert.True(after - before < 256L * 1024 * 1024, $"heap grew by {(after - before) >> 20} MiB");
        Assert.Single(scanner.Modules.Values, m => m.Name == "tw_warn");
    }
}
