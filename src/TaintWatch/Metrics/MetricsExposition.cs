using System.IO.Compression;
using Prometheus;

namespace TaintWatch.Metrics;

/// <summary>
/// The registry's text exposition, serialised once per change and shared by every scrape, plain or gzip.
/// The metrics change only when the poller updates them (every --poll.interval at most), while several
/// Prometheus servers may scrape in between: serialising per scrape did the same work again each time.
/// </summary>
public sealed class MetricsExposition(CollectorRegistry registry) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _changes;
    private long _serialised = -1;
    private ReadOnlyMemory<byte> _plain;
    private byte[]? _gzip;

    /// <summary>Called after every change to the registry: the next scrape serialises it again.</summary>
    public void Invalidate() => Interlocked.Increment(ref _changes);

    /// <summary>The current exposition; a change made before the last <see cref="Invalidate"/> is in it.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> GetAsync(bool gzip, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var changes = Volatile.Read(ref _changes);
            if (changes != _serialised)
            {
                using var text = new MemoryStream(_plain.Length + 4096);
                await registry.CollectAndExportAsTextAsync(text, cancellationToken);
                _plain = text.GetBuffer().AsMemory(0, (int)text.Length); // a new buffer each time: scrapes may still send the old one
                _gzip = null;
                _serialised = changes;
            }
            if (!gzip)
            {
                return _plain;
            }
            return _gzip ??= Compress(_plain);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static byte[] Compress(ReadOnlyMemory<byte> plain)
    {
        using var compressed = new MemoryStream(plain.Length / 8 + 64);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(plain.Span);
        }
        return compressed.ToArray();
    }

    public void Dispose() => _gate.Dispose();
}
