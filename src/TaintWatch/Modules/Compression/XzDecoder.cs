using System.Runtime.InteropServices;

namespace TaintWatch.Modules.Compression;

/// <summary>
/// xz through liblzma.so.5, the library kmod itself uses: checks CRC32, CRC64 and SHA-256, decodes
/// concatenated streams (managed decoders silently stop after the first) and reports truncation.
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

    [LibraryImport("liblzma.so.5", EntryPoint = "lzma_code")]
    private static unsafe partial int Code(LzmaStream* stream, int action);

    [LibraryImport("liblzma.so.5", EntryPoint = "lzma_end")]
    private static unsafe partial void End(LzmaStream* stream);

    /// <param name="enough">When given, asked after every few MiB of output whether the caller has what it needs;
    /// true stops decoding there (the rest, and the stream's integrity check at its end, are not read).</param>
    public static unsafe PooledBytes Decode(ReadOnlyMemory<byte> input, int limit, Func<ReadOnlySpan<byte>, bool>? enough = null)
    {
        using var output = new GrowableBuffer((int)Math.Min(input.Length * 5L, limit), limit);
        LzmaStream stream = default;
        int result;
        try
        {
            result = StreamDecoder(&stream, MemoryLimit, LzmaConcatenated);
        }
        catch (DllNotFoundException e)
        {
            throw new ModuleFormatException("cannot read .xz modules: liblzma.so.5 is not installed (package xz-libs / liblzma5)", e);
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
                        throw ModuleDecompressor.TooLarge("xz", limit);
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
                        throw new ModuleFormatException(Describe(result));
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

    private static string Describe(int code) => code switch
    {
        3 => "xz data uses an integrity check liblzma does not support",
        5 => "liblzma ran out of memory",
        6 => "xz data needs more than 128 MiB of decoder memory: refusing it",
        7 => "xz data is not in the .xz format",
        8 => "xz data uses unsupported options",
        9 => "xz data is corrupt (integrity check failed or invalid data)",
        10 => "xz data is truncated",
        _ => $"liblzma failed with error {code}",
    };
}
