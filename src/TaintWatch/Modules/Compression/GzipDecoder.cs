using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace TaintWatch.Modules.Compression;

/// <summary>
/// gzip through .NET's GZipStream, plus the check it lacks: GZipStream returns a silent prefix of a truncated
/// file, so the output is verified against the trailer's CRC-32 and length (RFC 1952 §2.3.1).
/// </summary>
internal static class GzipDecoder
{
    public static PooledBytes Decode(ReadOnlyMemory<byte> input, int limit)
    {
        if (input.Length < 18)
        {
            throw new ModuleFormatException($"gzip data of {input.Length} bytes is truncated (a gzip file has at least 18)");
        }
        // The trailer's ISIZE sizes the buffer, but it is untrusted (a truncated file ends in garbage): never
        // more than deflate's maximum ratio (1032:1) allows for this input.
        var declared = BinaryPrimitives.ReadUInt32LittleEndian(input.Span[^4..]) + 1L;
        using var output = new GrowableBuffer((int)Math.Min(Math.Min(declared, input.Length * 1032L), limit), limit);
        try
        {
            using var stream = new GZipStream(new ReadOnlyMemoryStream(input), CompressionMode.Decompress);
            while (true)
            {
                var space = output.FreeSpace();
                if (space.IsEmpty)
                {
                    if (stream.ReadByte() >= 0)
                    {
                        throw ModuleDecompressor.TooLarge("gzip", limit);
                    }
                    break;
                }
                var read = stream.Read(space);
                if (read == 0)
                {
                    break;
                }
                output.Advance(read);
            }
        }
        catch (InvalidDataException e)
        {
            throw new ModuleFormatException($"gzip data is corrupt: {e.Message}", e);
        }
        var trailer = input.Span[^8..];
        var expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        var expectedSize = BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        if ((uint)output.Length != expectedSize || Crc32.HashToUInt32(output.Written) != expectedCrc)
        {
            throw new ModuleFormatException("gzip data is truncated or corrupt: the output does not match the trailer's CRC-32 and length");
        }
        return output.Detach();
    }
}
