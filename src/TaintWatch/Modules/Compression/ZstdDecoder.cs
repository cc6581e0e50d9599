namespace TaintWatch.Modules.Compression;

/// <summary>zstd through ZstdSharp (a managed port of libzstd: no native library to ship), with a window cap.</summary>
internal static class ZstdDecoder
{
    public static byte[] Decode(byte[] input, int limit)
    {
        var output = new GrowableBuffer(input.Length * 4, limit);
        try
        {
            using var stream = new ZstdSharp.DecompressionStream(new MemoryStream(input, writable: false));
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
        return output.ToArray();
    }
}
