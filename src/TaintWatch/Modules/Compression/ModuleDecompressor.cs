namespace TaintWatch.Modules.Compression;

/// <summary>
/// Decompresses .ko.xz, .ko.zst and .ko.gz in memory, with a cap on the output so a decompression bomb
/// costs at most <see cref="DefaultOutputLimit"/> bytes, and with truncation detected in every format.
/// </summary>
public static class ModuleDecompressor
{
    /// <summary>
    /// 512 MiB: the largest shipped modules (nvidia.ko, ~60–100 MB; unstripped debug builds a few hundred MB)
    /// fit, while a bomb stops well before it can hurt a host.
    /// </summary>
    public const int DefaultOutputLimit = 512 * 1024 * 1024;

    /// <summary>How much output a decoder produces between two questions to a caller that may stop early.</summary>
    internal const int ProgressStep = 4 << 20;

    public static CompressionKind Detect(ReadOnlySpan<byte> data) => data switch
    {
        [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, ..] => CompressionKind.Xz,
        [0x28, 0xB5, 0x2F, 0xFD, ..] => CompressionKind.Zstd,
        [0x1F, 0x8B, ..] => CompressionKind.Gzip,
        _ => CompressionKind.None,
    };

    public static string Name(CompressionKind kind) => kind switch
    {
        CompressionKind.Xz => "xz",
        CompressionKind.Zstd => "zstd",
        CompressionKind.Gzip => "gzip",
        _ => "none",
    };

    /// <summary>Decompresses <paramref name="input"/> into a pooled buffer; throws <see cref="ModuleFormatException"/> on corrupt, truncated or oversized data.</summary>
    public static PooledBytes Decompress(CompressionKind kind, ReadOnlyMemory<byte> input, int outputLimit = DefaultOutputLimit) => kind switch
    {
        CompressionKind.Xz => XzDecoder.Decode(input, outputLimit),
        CompressionKind.Zstd => ZstdDecoder.Decode(input, outputLimit),
        CompressionKind.Gzip => GzipDecoder.Decode(input, outputLimit),
        _ => throw new ArgumentException("not compressed", nameof(kind)),
    };

    /// <summary>Convenience for tests and small inputs: decompress into a new array.</summary>
    public static byte[] DecompressToArray(CompressionKind kind, byte[] input, int outputLimit = DefaultOutputLimit)
    {
        using var output = Decompress(kind, input, outputLimit);
        return output.Span.ToArray();
    }

    internal static ModuleFormatException TooLarge(string format, int limit) =>
        new($"{format} data decompresses to more than {limit / (1024 * 1024)} MiB: refusing it as a possible decompression bomb") { ExceededCap = true };
}
