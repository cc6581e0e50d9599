namespace TaintWatch.Trust;

/// <summary>The formats a kernel payload comes in, by magic (lib/decompress.c's compressed_formats table).</summary>
public static class PayloadFormat
{
    public enum Kind
    {
        Unknown,
        Elf,
        Gzip,
        Xz,
        Zstd,
        Lz4,
        Bzip2,
        Lzma,
        Lzo,
    }

    public static Kind Detect(ReadOnlySpan<byte> data) => data switch
    {
        [0x7F, (byte)'E', (byte)'L', (byte)'F', ..] => Kind.Elf,
        [0x1F, 0x8B, ..] or [0x1F, 0x9E, ..] => Kind.Gzip,
        [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0x00, ..] => Kind.Xz,
        [0x28, 0xB5, 0x2F, 0xFD, ..] => Kind.Zstd,
        [0x02, 0x21, 0x4C, 0x18, ..] => Kind.Lz4,
        [(byte)'B', (byte)'Z', (byte)'h', ..] => Kind.Bzip2,
        [0x5D, 0x00, 0x00, ..] => Kind.Lzma,
        [0x89, 0x4C, 0x5A, 0x4F, ..] => Kind.Lzo,
        _ => Kind.Unknown,
    };

    public static string Name(Kind kind) => kind.ToString().ToLowerInvariant();
}
