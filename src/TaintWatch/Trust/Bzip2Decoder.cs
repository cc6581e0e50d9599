using System.Runtime.InteropServices;
using TaintWatch.Modules;
using TaintWatch.Modules.Compression;

namespace TaintWatch.Trust;

/// <summary>
/// bzip2 (CONFIG_KERNEL_BZIP2 images) through the system's libbz2 — bzip2-libs on RHEL (libbz2.so.1), libbz2-1.0
/// on Debian (libbz2.so.1.0) — found at run time: without it, such an image is refused with the reason, and
/// nothing else needs the library. Bounded like every decoder: a limit on the output and an early stop.
/// </summary>
internal static unsafe class Bzip2Decoder
{
    private const int Ok = 0;
    private const int StreamEnd = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct BzStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public uint TotalInLo32;
        public uint TotalInHi32;
        public byte* NextOut;
        public uint AvailOut;
        public uint TotalOutLo32;
        public uint TotalOutHi32;
        public nint State;
        public nint Alloc;
        public nint Free;
        public nint Opaque;
    }

    private sealed class Library(nint init, nint decompress, nint end)
    {
        public readonly delegate* unmanaged<BzStream*, int, int, int> Init = (delegate* unmanaged<BzStream*, int, int, int>)init;
        public readonly delegate* unmanaged<BzStream*, int> Decompress = (delegate* unmanaged<BzStream*, int>)decompress;
        public readonly delegate* unmanaged<BzStream*, int> End = (delegate* unmanaged<BzStream*, int>)end;
    }

    private static readonly Lazy<Library?> Loaded = new(Load);

    private static Library? Load()
    {
        foreach (var name in new[] { "libbz2.so.1", "libbz2.so.1.0" })
        {
            if (NativeLibrary.TryLoad(name, out var handle)
                && NativeLibrary.TryGetExport(handle, "BZ2_bzDecompressInit", out var init)
                && NativeLibrary.TryGetExport(handle, "BZ2_bzDecompress", out var decompress)
                && NativeLibrary.TryGetExport(handle, "BZ2_bzDecompressEnd", out var end))
            {
                return new Library(init, decompress, end);
            }
        }
        return null;
    }

    public static PooledBytes Decode(ReadOnlyMemory<byte> input, int limit, Func<ReadOnlySpan<byte>, bool>? enough)
    {
        var library = Loaded.Value ?? throw new ModuleFormatException("holds a bzip2-compressed kernel, and libbz2 (package bzip2-libs / libbz2-1.0) is not installed to read it");
        using var output = new GrowableBuffer((int)Math.Min(input.Length * 5L, limit), limit);
        BzStream stream = default;
        var result = library.Init(&stream, 0, 0);
        if (result != Ok)
        {
            throw new ModuleFormatException($"libbz2 could not start a decoder (error {result})");
        }
        try
        {
            fixed (byte* inPtr = input.Span)
            {
                stream.NextIn = inPtr;
                stream.AvailIn = (uint)input.Length;
                while (true)
                {
                    var space = output.FreeSpace();
                    if (space.IsEmpty)
                    {
                        throw ModuleDecompressor.TooLarge("bzip2", limit);
                    }
                    if (space.Length > ModuleDecompressor.ProgressStep)
                    {
                        space = space[..ModuleDecompressor.ProgressStep];
                    }
                    var availableBefore = stream.AvailIn;
                    fixed (byte* outPtr = space)
                    {
                        stream.NextOut = outPtr;
                        stream.AvailOut = (uint)space.Length;
                        result = library.Decompress(&stream);
                        output.Advance(space.Length - (int)stream.AvailOut);
                    }
                    if (result == StreamEnd)
                    {
                        return output.Detach();
                    }
                    if (result != Ok)
                    {
                        throw new ModuleFormatException(Describe(result));
                    }
                    if (enough is not null && enough(output.Written))
                    {
                        return output.Detach();
                    }
                    if (stream.AvailIn == 0 && stream.AvailOut != 0)
                    {
                        throw new ModuleFormatException("bzip2 data is truncated");
                    }
                    if (stream.AvailIn == availableBefore && stream.AvailOut == (uint)space.Length)
                    {
                        throw new ModuleFormatException("bzip2 decoder made no progress (corrupt data)");
                    }
                }
            }
        }
        finally
        {
            library.End(&stream);
        }
    }

    private static string Describe(int code) => code switch
    {
        -3 => "libbz2 ran out of memory",
        -4 => "bzip2 data is corrupt (a block's checksum or structure is wrong)",
        -5 => "bzip2 data does not start with the bzip2 magic",
        _ => $"libbz2 failed with error {code}",
    };
}
