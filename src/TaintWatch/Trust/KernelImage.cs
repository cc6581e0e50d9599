using System.Buffers.Binary;
using TaintWatch.Modules;
using TaintWatch.Modules.Compression;

namespace TaintWatch.Trust;

/// <summary>
/// Unpacks the vmlinux inside a kernel image file: an x86 bzImage (boot protocol 2.08+ names the compressed
/// payload's offset and length in its setup header), an arm64 EFI zboot image ("zimg" header), a bare
/// compressed Image (Image.gz) or an uncompressed ELF vmlinux. The payload's format is told by its magic, as
/// the kernel's own decompressors do (lib/decompress.c), never by the file name.
/// </summary>
public static class KernelImage
{
    /// <summary>A vmlinux is 20–80 MiB; a debug build a few hundred. More than this is refused as a bomb.</summary>
    public const int OutputLimit = 512 * 1024 * 1024;

    /// <summary>Largest image file read: compressed kernels are 5–15 MiB.</summary>
    public const int FileLimit = 128 * 1024 * 1024;

    /// <summary>Reads and unpacks <paramref name="path"/>; throws <see cref="ModuleFormatException"/> saying why it cannot.</summary>
    public static PooledBytes Unpack(string path, Func<ReadOnlySpan<byte>, bool>? enough = null) =>
        Unpack(Read(path), OutputLimit, enough);

    /// <summary>The image file's bytes, refused beyond <see cref="FileLimit"/>.</summary>
    public static byte[] Read(string path)
    {
        byte[] file;
        using (var stream = File.OpenRead(path))
        {
            if (stream.Length > FileLimit)
            {
                throw new ModuleFormatException($"is {stream.Length} bytes, more than the {FileLimit >> 20} MiB a kernel image can be");
            }
            file = new byte[stream.Length];
            stream.ReadExactly(file);
        }
        return file;
    }

    /// <param name="enough">Asked as the payload decompresses whether what is out so far suffices (xz and zstd):
    /// the certificate list lies about two thirds in, so the rest need not be decompressed.</param>
    public static PooledBytes Unpack(ReadOnlyMemory<byte> file, int outputLimit = OutputLimit, Func<ReadOnlySpan<byte>, bool>? enough = null)
    {
        var payload = Payload(file, out var sizeAppended);
        return Decompress(payload, sizeAppended, outputLimit, enough);
    }

    /// <summary>
    /// The compressed payload. <paramref name="sizeAppended"/>: the kernel's build appends the uncompressed size
    /// (4 bytes, little-endian) to every format but gzip (arch/x86/boot/compressed/Makefile, "_with_size").
    /// </summary>
    internal static ReadOnlyMemory<byte> Payload(ReadOnlyMemory<byte> file, out bool sizeAppended)
    {
        var span = file.Span;
        sizeAppended = false;
        // x86 boot protocol (Documentation/arch/x86/boot.rst): "HdrS" at 0x202, version at 0x206.
        if (span.Length >= 0x250 && span.Slice(0x202, 4).SequenceEqual("HdrS"u8))
        {
            var version = BinaryPrimitives.ReadUInt16LittleEndian(span[0x206..]);
            if (version < 0x208)
            {
                throw new ModuleFormatException($"is a bzImage of boot protocol {version >> 8}.{version & 0xFF}, older than 2.08 which first names the payload: not supported");
            }
            int setupSectors = span[0x1F1] == 0 ? 4 : span[0x1F1];
            long offset = ((setupSectors + 1L) * 512) + BinaryPrimitives.ReadUInt32LittleEndian(span[0x248..]);
            long length = BinaryPrimitives.ReadUInt32LittleEndian(span[0x24C..]);
            if (length == 0 || offset + length > span.Length)
            {
                throw new ModuleFormatException($"is a bzImage whose header puts the payload at {offset}+{length}, beyond its {span.Length} bytes (truncated?)");
            }
            sizeAppended = true;
            return file.Slice((int)offset, (int)length);
        }
        // arm64/riscv/loongarch EFI zboot (drivers/firmware/efi/libstub/zboot-header.S): "MZ", "zimg" at 4,
        // payload offset and size at 8 and 12, compression name at 24.
        if (span.Length >= 64 && span[0] == 'M' && span[1] == 'Z' && span.Slice(4, 4).SequenceEqual("zimg"u8))
        {
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
            long length = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
            if (length == 0 || offset + length > span.Length)
            {
                throw new ModuleFormatException($"is an EFI zboot image whose header puts the payload at {offset}+{length}, beyond its {span.Length} bytes (truncated?)");
            }
            sizeAppended = true;
            return file.Slice((int)offset, (int)length);
        }
        return file;
    }

    private static PooledBytes Decompress(ReadOnlyMemory<byte> payload, bool sizeAppended, int outputLimit, Func<ReadOnlySpan<byte>, bool>? enough)
    {
        var kind = PayloadFormat.Detect(payload.Span);
        if (kind == PayloadFormat.Kind.Elf)
        {
            var copy = PooledBytes.Rent(payload.Length);
            payload.Span.CopyTo(copy.Array);
            return copy;
        }
        // gzip carries its own size in its trailer; the others have the kernel's 4-byte size after the stream.
        var stream = sizeAppended && kind != PayloadFormat.Kind.Gzip && payload.Length > 4 ? payload[..^4] : payload;
        return kind switch
        {
            PayloadFormat.Kind.Gzip => ModuleDecompressor.Decompress(CompressionKind.Gzip, stream, outputLimit),
            PayloadFormat.Kind.Xz => XzDecoder.Decode(stream, outputLimit, enough),
            PayloadFormat.Kind.Zstd => ZstdDecoder.Decode(stream, outputLimit, enough),
            PayloadFormat.Kind.Lz4 => Lz4LegacyDecoder.Decode(stream, outputLimit),
            PayloadFormat.Kind.Lzma => XzDecoder.DecodeLzmaAlone(stream, outputLimit, enough),
            PayloadFormat.Kind.Bzip2 => Bzip2Decoder.Decode(stream, outputLimit, enough),
            PayloadFormat.Kind.Unknown => throw new ModuleFormatException("holds a payload that is neither ELF nor compressed in a format the kernel uses"),
            _ => throw new ModuleFormatException($"holds a {PayloadFormat.Name(kind)}-compressed kernel: TaintWatch has no {PayloadFormat.Name(kind)} decoder (kernels built with CONFIG_KERNEL_GZIP, _XZ, _ZSTD, _LZ4, _LZMA or _BZIP2 can be read)"),
        };
    }
}
