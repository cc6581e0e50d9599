using System.Runtime.InteropServices;

namespace TaintWatch.Modules.Compression;

/// <summary>
/// xz through liblzma.so.5, the library kmod itself uses: checks CRC32, CRC64 and SHA-256, decodes
/// concatenated streams (managed decoders silently stop after the first) and reports truncation. Also the
/// legacy .lzma ("LZMA alone") format of CONFIG_KERNEL_LZMA kernel images, which liblzma reads too.
/// </summary>
internal static partial class XzDecoder
{
    private const uint LzmaConcatenated = 0x08;
    private const int LzmaFinish = 3;
    // 128 MiB of decoder memory: kernel modules use 1–2 MiB dictionaries; anything asking for more is refused.
    private const ulong MemoryLimit = 128UL * 1024 * 1024;

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct LzmaStream
    {
        public byte* NextIn;
        public nuint AvailIn;
        public ulong TotalIn;
        public byte* NextOut;
        public nuint AvailOut;
        public ulong TotalOut;
        public nint Allocator;
        public nint Internal;
        public nint Reserved1;
        public nint Reserved2;
        public nint Reserved3;
        public nint Reserved4;
        public ulong SeekPos;
        public ulong ReservedInt2;
        public nuint ReservedInt3;
        public nuint ReservedInt4;
        public int ReservedEnum1;
        public int ReservedEnum2;
    }

    [LibraryImport("liblzma.so.5", EntryPoint = "lzma_stream_decoder")]
    private static unsafe partial int StreamDecoder(LzmaStream* stream, ulong memlimit, uint flags);

    [LibraryImport("liblzma.so.5", EntryPoint = "lzma_alone_decoder")]
    private static unsafe partial int AloneDecoder(LzmaStream* stream, ulong memlimit);

    [LibraryImport("liblzma.so.5", EntryPoint = "lzma_code")]
    private static unsafe partial int Code(LzmaStream* stream, int action);

    [LibraryImport("liblzma.so.5", EntryPoint = "lzma_end")]
    private static unsafe partial void End(LzmaStream* stream);

    /// <param name="enough">When given, asked after every few MiB of output whether the caller has what it needs;
    /// true stops decoding there (the rest, and the stream's integrity check at its end, are not read).</param>
    public static unsafe PooledBytes Decode(ReadOnlyMemory<byte> input, int limit, Func<ReadOnlySpan<byte>, bool>? enough = null) =>
        Run(input, limit, enough, "xz", static s => StreamDecoder(s, MemoryLimit, LzmaConcatenated));

    /// <summary>The .lzma format (lzma -9, as the kernel's CONFIG_KERNEL_LZMA build writes it).</summary>
    public static unsafe PooledBytes DecodeLzmaAlone(ReadOnlyMemory<byte> input, int limit, Func<ReadOnlySpan<byte>, bool>? enough = null) =>
        Run(input, limit, enough, "lzma", static s => AloneDecoder(s, MemoryLimit));

    private unsafe delegate int DecoderStart(LzmaStream* stream);

    private static unsafe PooledBytes Run(ReadOnlyMemory<byte> input, int limit, Func<ReadOnlySpan<byte>, bool>? enough, string format, DecoderStart start)
    {
        using var output = new GrowableBuffer((int)Math.Min(input.Length * 5L, limit), limit);
        LzmaStream stream = default;
        int result;
        try
        {
            result = start(&stream);
        }
        catch (DllNotFoundException e)
        {
            throw new ModuleFormatException($"cannot read {format} data: liblzma.so.5 is not installed (package xz-libs / liblzma5)", e);
        }
        if (result != 0)
        {
            throw new ModuleFormatException($"liblzma could not start a decoder (error {result})");
        }
        try
        {
            fixed (byte* inPtr = input.Span)
            {
                stream.NextIn = inPtr;
                stream.AvailIn = (nuint)input.Length;
                while (true)
                {
                    var space = output.FreeSpace();
                    if (space.IsEmpty)
                    {
                        throw ModuleDecompressor.TooLarge(format, limit);
                    }
                    if (enough is not null && space.Length > ModuleDecompressor.ProgressStep)
                    {
                        space = space[..ModuleDecompressor.ProgressStep];
                    }
                    fixed (byte* outPtr = space)
                    {
                        stream.NextOut = outPtr;
                        stream.AvailOut = (nuint)space.Length;
                        result = Code(&stream, LzmaFinish);
                        output.Advance(space.Length - (int)stream.AvailOut);
                    }
                    if (result == 1)
                    {
                        return output.Detach();
                    }
                    if (result != 0)
                    {
                        throw new ModuleFormatException(Describe(result, format));
                    }
                    if (enough is not null && enough(output.Written))
                    {
                        return output.Detach();
                    }
                }
            }
        }
        finally
        {
            End(&stream);
        }
    }

    private static string Describe(int code, string format) => code switch
    {
        3 => $"{format} data uses an integrity check liblzma does not support",
        5 => "liblzma ran out of memory",
        6 => $"{format} data needs more than 128 MiB of decoder memory: refusing it",
        7 => $"{format} data is not in the .{format} format",
        8 => $"{format} data uses unsupported options",
        9 => $"{format} data is corrupt (integrity check failed or invalid data)",
        10 => $"{format} data is truncated",
        _ => $"liblzma failed with error {code}",
    };
}
