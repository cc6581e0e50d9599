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

    /// <summary>
    /// Buffers up to this size come from the shared pool (typical modules); larger ones (nvidia.ko, a bomb)
    /// are allocated and left to the GC, so that one huge file does not stay resident in the pool.
    /// </summary>
    public const int PoolLimit = 32 * 1024 * 1024;

    public static PooledBytes Rent(int length) => new(RentArray(Math.Max(length, 1)), length);

    internal static byte[] RentArray(int length) =>
        length <= PoolLimit ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    internal static void ReturnArray(byte[] array)
    {
        if (array.Length <= PoolLimit)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>The rented array, for filling right after <see cref="Rent"/>.</summary>
    internal byte[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledBytes));

    public void Dispose()
    {
        if (_array is not null)
        {
            ReturnArray(_array);
            _array = null;
        }
    }
}
