using Microsoft.Win32.SafeHandles;
using TaintWatch.Modules.Compression;

namespace TaintWatch.Modules;

/// <summary>
/// Random access to a module image: in memory (after decompression) or straight from an uncompressed file,
/// where only the few regions modinfo needs are read (ELF header, section table, .modinfo, notes, signature
/// tail) instead of the whole file.
/// </summary>
public abstract class ByteSource : IDisposable
{
    public abstract long Length { get; }

    /// <summary>Exactly <paramref name="count"/> bytes at <paramref name="offset"/>; the caller has checked the range.</summary>
    public abstract ReadOnlyMemory<byte> Read(long offset, int count);

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; the caller has checked the range.</summary>
    public abstract void ReadExactly(Span<byte> destination, long offset);

    public static ByteSource FromMemory(ReadOnlyMemory<byte> memory) => new MemorySource(memory);

    /// <summary>Gives back pooled buffers: nothing read from this source may be used afterwards.</summary>
    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }

    public static ByteSource FromFile(SafeFileHandle handle, long length) => new FileSource(handle, length);

    private sealed class MemorySource(ReadOnlyMemory<byte> memory) : ByteSource
    {
        public override long Length => memory.Length;

        public override ReadOnlyMemory<byte> Read(long offset, int count) => memory.Slice((int)offset, count);

        public override void ReadExactly(Span<byte> destination, long offset) => memory.Span.Slice((int)offset, destination.Length).CopyTo(destination);
    }

    private sealed class FileSource(SafeFileHandle handle, long length) : ByteSource
    {
        // The regions modinfo needs are small and clustered (header, .modinfo, notes, section table and
        // signature at the end): read them in aligned 16 KiB blocks, each once, instead of the whole file.
        // Blocks come from the shared pool (inspect --all reads ~150 MB of them; the GC no longer has to).
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
            // Not zeroed first: every byte is read into it or the read fails.
            var range = GC.AllocateUninitializedArray<byte>(count);
            ReadExactly(range, offset);
            return range;
        }

        private byte[] Block(long index)
        {
            if (!_blocks.TryGetValue(index, out var block))
            {
                var start = index * BlockSize;
                block = PooledBytes.RentArray(BlockSize);
                _blocks[index] = block;
                ReadExactly(block.AsSpan(0, (int)Math.Min(BlockSize, length - start)), start);
            }
            return block;
        }

        public override void ReadExactly(Span<byte> destination, long offset)
        {
            for (var done = 0; done < destination.Length;)
            {
                var n = RandomAccess.Read(handle, destination[done..], offset + done);
                if (n == 0)
                {
                    // Shrunk while we read it (truncated in place): say so rather than parse a shorter file.
                    throw new IOException($"file shrank below {offset + destination.Length} bytes while being read");
                }
                done += n;
            }
        }

        public override void Dispose()
        {
            foreach (var block in _blocks.Values)
            {
                PooledBytes.ReturnArray(block);
            }
            _blocks.Clear();
            base.Dispose();
        }
    }
}
