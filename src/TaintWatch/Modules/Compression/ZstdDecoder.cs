namespace TaintWatch.Modules.Compression;

/// <summary>zstd through ZstdSharp (a managed port of libzstd: no native library to ship), with a window cap.</summary>
internal static class ZstdDecoder
{
    /// <summary>The frame header's content size, or 0 when absent or unreadable (the decoder then reports why).</summary>
    private static ulong DeclaredSize(ReadOnlySpan<byte> input)
    {
        try
        {
            return ZstdSharp.Decompressor.GetDecompressedSize(input);
        }
        catch (ZstdSharp.ZstdException)
        {
            return 0;
        }
    }

    public static PooledBytes Decode(ReadOnlyMemory<byte> input, int limit)
    {
        // The frame header usually records the content size (the zstd CLI writes it): size the buffer from it.
        var declared = DeclaredSize(input.Span);
        using var output = new GrowableBuffer(declared is > 0 and < int.MaxValue ? (int)Math.Min(declared + 1, (ulong)limit) : input.Length * 4, limit);
        try
        {
            using var stream = new ZstdSharp.DecompressionStream(new ReadOnlyMemoryStream(input));
            // 2^27 = 128 MiB window, libzstd's default maximum: refuses frames that ask for more memory.
            stream.SetParameter(ZstdSharp.Unsafe.ZSTD_dParameter.ZSTD_d_windowLogMax, 27);
            while (true)
            {
                var space = output.FreeSpace();
                if (space.IsEmpty)
                {
                    if (stream.ReadByte() >= 0)
                    {
                        throw ModuleDecompressor.TooLarge("zstd", limit);
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
        catch (EndOfStreamException e)
        {
            throw new ModuleFormatException("zstd data is truncated", e);
        }
        catch (ZstdSharp.ZstdException e)
        {
            throw new ModuleFormatException($"zstd data is corrupt: {e.Message}", e);
        }
        return output.Detach();
    }
}
