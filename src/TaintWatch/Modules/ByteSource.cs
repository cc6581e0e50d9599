using Microsoft.Win32.SafeHandles;

namespace TaintWatch.Modules;

/// <summary>
/// Random access to a module image: in memory (after decompression) or straight from an uncompressed file,
/// where only the few regions modinfo needs are read (ELF header, section table, .modinfo, notes, signature
/// tail) instead of the whole file.
/// </summary>
public abstract class ByteSource
{
    public abstract long Length { get; }

    /// <summary>Exactly <paramref name="count"/> bytes at <paramref name="offset"/>; the caller has checked the range.</summary>
    public abstract ReadOnlyMemory<byte> Read(long offset, int count);

    public static ByteSource FromMemory(ReadOnlyMemory<byte> memory) => new MemorySource(memory);

    public static ByteSource FromFile(SafeFileHandle handle, long length) => new FileSource(handle, length);

    private sealed class MemorySource(ReadOnlyMemory<byte> memory) : ByteSource
    {
        public override long Length => memory.Length;

        public override ReadOnlyMemory<byte> Read(long offset, int count) => memory.Slice((int)offset, count);
    }

    private sealed class FileSource(SafeFileHandle handle, long length) : ByteSource
    {
        // The regions modinfo needs are small and clustered (header, .modinfo, notes, section table and
        // signature at the end): read them in aligned 16 KiB blocks, each once, instead of the whole file.
        private const int BlockSize = 16 * 1024;
        private readonly Dictionary<long, byte[]> _blocks = [];

        public override long Length => length;

        public override ReadOnlyMemory<byte> Read(long offset, int count)
        {
            var firstBlock = offset / BlockSize;
            var lastBlock = (offset + count - 1) / BlockSize;
            if (count == 0)
            {
                return ReadOnlyMemory<byte>.Empty;
            }
            if (firstBlock == lastBlock)
            {
                return Block(firstBlock).AsMemory((int)(offset - (firstBlock * BlockSize)), count);
            }
            return ReadRange(offset, count);
        }

        private byte[] Block(long index)
        {
            if (!_blocks.TryGetValue(index, out var block))
            {
                var start = index * BlockSize;
                block = ReadRange(start, (int)Math.Min(BlockSize, length - start));
                _blocks[index] = block;
            }
            return block;
        }

        private byte[] ReadRange(long offset, int count)
        {
            var buffer = new byte[count];
            var done = 0;
            while (done < count)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(done), offset + done);
                if (n == 0)
                {
                    // Shrunk while we read it (truncated in place): say so rather than parse a shorter file.
                    throw new IOException($"file shrank below {offset + count} bytes while being read");
                }
                done += n;
            }
            return buffer;
        }
    }
}
