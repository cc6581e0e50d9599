namespace TaintWatch.Modules.Compression;

/// <summary>
/// An output buffer rented from the shared pool that grows by doubling up to a hard limit. Pooling matters:
/// reading a whole module tree would otherwise fault in hundreds of megabytes of fresh memory.
/// </summary>
internal sealed class GrowableBuffer(int initialSize, int limit) : IDisposable
{
    private byte[] _data = PooledBytes.RentArray(Math.Clamp(initialSize, 4096, limit));

    public int Length { get; private set; }

    /// <summary>Free space at the end, growing the buffer first when it is full; empty when the limit is reached.</summary>
    public Span<byte> FreeSpace()
    {
        if (Length == _data.Length && _data.Length < limit)
        {
            var bigger = PooledBytes.RentArray((int)Math.Min((long)_data.Length * 2, limit));
            _data.AsSpan(0, Length).CopyTo(bigger);
            PooledBytes.ReturnArray(_data);
            _data = bigger;
        }
        return _data.AsSpan(Length, Math.Min(_data.Length, limit) - Length);
    }

    public void Advance(int count) => Length += count;

    public int Capacity => Math.Min(_data.Length, limit);

    public int FreeSpaceLength() => Capacity - Length;

    /// <summary>Doubles the buffer (up to the limit) even when it is not full: for decoders that need a block's worth of room.</summary>
    public void Grow()
    {
        if (_data.Length < limit)
        {
            var bigger = PooledBytes.RentArray((int)Math.Min((long)_data.Length * 2, limit));
            _data.AsSpan(0, Length).CopyTo(bigger);
            PooledBytes.ReturnArray(_data);
            _data = bigger;
        }
    }

    public ReadOnlySpan<byte> Written => _data.AsSpan(0, Length);

    /// <summary>Hands the rented array over to a <see cref="PooledBytes"/>; this buffer is empty afterwards.</summary>
    public PooledBytes Detach()
    {
        var result = new PooledBytes(_data, Length);
        _data = [];
        Length = 0;
        return result;
    }

    public void Dispose()
    {
        if (_data.Length > 0)
        {
            PooledBytes.ReturnArray(_data);
            _data = [];
        }
    }
}
