using System.Buffers.Binary;
using K4os.Compression.LZ4;
using TaintWatch.Modules;
using TaintWatch.Modules.Compression;

namespace TaintWatch.Trust;

/// <summary>
/// The LZ4 "legacy" frame the kernel's lz4 -l build writes and lib/decompress_unlz4.c reads: the magic
/// 0x184C2102, then blocks of [u32 compressed size][LZ4 block] of at most 8 MiB each once decoded; the magic
/// may repeat between blocks (concatenated streams). K4os.Compression.LZ4 decodes the blocks.
/// </summary>
internal static class Lz4LegacyDecoder
{
    private const uint Magic = 0x184C2102;
    private const int BlockOutput = 8 << 20;

    public static PooledBytes Decode(ReadOnlyMemory<byte> input, int limit)
    {
        var data = input.Span;
        if (data.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(data) != Magic)
        {
            throw new ModuleFormatException("lz4 data does not start with the legacy frame magic");
        }
        using var output = new GrowableBuffer(Math.Min(input.Length * 3, limit), limit);
        var offset = 4;
        while (offset < data.Length)
        {
            if (data.Length - offset < 4)
            {
                throw new ModuleFormatException("lz4 data is truncated inside a block header");
            }
            var size = BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            offset += 4;
            if (size == Magic)
            {
                continue;
            }
            if (size > data.Length - offset)
            {
                throw new ModuleFormatException($"lz4 block claims {size} bytes but only {data.Length - offset} remain (truncated?)");
            }
            var decoded = DecodeBlock(data.Slice(offset, (int)size), output, limit);
            if (decoded < 0)
            {
                throw new ModuleFormatException("lz4 data is corrupt (a block does not decode)");
            }
            offset += (int)size;
        }
        return output.Detach();
    }

    private static int DecodeBlock(ReadOnlySpan<byte> block, GrowableBuffer output, int limit)
    {
        // Make room for a whole block's output (or up to the cap) before decoding into it.
        while (output.FreeSpaceLength() < BlockOutput && output.Capacity < limit)
        {
            output.Grow();
        }
        var space = output.FreeSpace();
        var n = LZ4Codec.Decode(block, space);
        if (n < 0 && space.Length < BlockOutput)
        {
            throw ModuleDecompressor.TooLarge("lz4", limit);
        }
        if (n > 0)
        {
            output.Advance(n);
        }
        return n;
    }
}
