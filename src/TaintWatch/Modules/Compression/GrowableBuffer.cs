namespace TaintWatch.Modules.Compression;

/// <summary>An output buffer that grows by doubling up to a hard limit.</summary>
internal sealed class GrowableBuffer(int initialSize, int limit)
{
    private byte[] _data = new byte[Math.Clamp(initialSize, 4096, limit)];

    public int Length { get; private set; }

    public int Limit => limit;

    /// <summary>Free space at the end, growing the buffer first when it is full; empty when the limit is reached.</summary>
    public Span<byte> FreeSpace()
    {
        if (Length == _data.Length && _data.Length < limit)
        {
            Array.Resize(ref _data, (int)Math.Min((long)_data.Length * 2, limit));
        }
        return _data.AsSpan(Length);
    }

    public void Advance(int count) => Length += count;

    public byte[] ToArray() => Length == _data.Length ? _data : _data.AsSpan(0, Length).ToArray();

    public ReadOnlySpan<byte> Written => _data.AsSpan(0, Length);
}
