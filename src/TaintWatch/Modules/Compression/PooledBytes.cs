using System.Buffers;

namespace TaintWatch.Modules.Compression;

/// <summary>Bytes in an array rented from the shared pool, returned on dispose. Nothing may keep a reference after that.</summary>
public sealed class PooledBytes : IDisposable
{
    private byte[]? _array;

    internal PooledBytes(byte[] array, int length)
    {
        _array = array;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _array is null ? throw new ObjectDisposedException(nameof(PooledBytes)) : _array.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => Memory.Span;

    public static PooledBytes Rent(int length) => new(ArrayPool<byte>.Shared.Rent(Math.Max(length, 1)), length);

    /// <summary>The rented array, for filling right after <see cref="Rent"/>.</summary>
    internal byte[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledBytes));

    public void Dispose()
    {
        if (_array is not null)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = null;
        }
    }
}
