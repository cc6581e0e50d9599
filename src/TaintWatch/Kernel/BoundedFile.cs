using System.Text;

namespace TaintWatch.Kernel;

/// <summary>
/// Reads small kernel files with a hard cap, so a huge or endless file can never make TaintWatch allocate
/// without bound. /proc and /sys files report size 0, so the cap is enforced while reading, not from stat.
/// </summary>
public static class BoundedFile
{
    public const int SmallFileLimit = 64 * 1024;

    /// <summary>Reads a whole text file of at most <paramref name="limit"/> bytes.</summary>
    public static Reading<string> ReadText(string path, int limit = SmallFileLimit)
    {
        var bytes = ReadBytes(path, limit);
        if (!bytes.Succeeded)
        {
            return new Reading<string>(bytes.Source, null, bytes.Error, bytes.IsMissing);
        }
        if (Array.IndexOf(bytes.Value!, (byte)0) >= 0)
        {
            return Reading<string>.Fail(path, "contains NUL bytes: not a text file");
        }
        return Reading<string>.Ok(path, Encoding.UTF8.GetString(bytes.Value!));
    }

    /// <summary>
    /// Reads a whole binary file of at most <paramref name="limit"/> bytes. Small kernel files (one line of
    /// sysfs) cost one pooled buffer and one read, not a stream and a fresh 16 KiB array.
    /// </summary>
    public static Reading<byte[]> ReadBytes(string path, int limit = SmallFileLimit)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, 4096));
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > limit)
                    {
                        break;
                    }
                    var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                // procfs and sysfs ignore the offset for seq files, so read sequentially.
                var n = RandomAccess.Read(handle, buffer.AsSpan(length), length);
                if (n == 0)
                {
                    break;
                }
                length += n;
            }
            if (length > limit)
            {
                return Reading<byte[]>.Fail(path, $"larger than the {FormatSize(limit)} that TaintWatch reads from it; is this really a kernel file?");
            }
            return Reading<byte[]>.Ok(path, buffer.AsSpan(0, length).ToArray());
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Reading<byte[]>.Missing(path);
        }
        catch (UnauthorizedAccessException)
        {
            return Reading<byte[]>.Fail(path, Directory.Exists(path) ? "is a directory, not a file" : "permission denied");
        }
        catch (IOException e)
        {
            return Reading<byte[]>.Fail(path, e.Message);
        }
        catch (NotSupportedException)
        {
            return Reading<byte[]>.Fail(path, "is not a regular file (a pipe or device?)");
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1024 * 1024 => $"{bytes / (1024 * 1024)} MiB",
        >= 1024 => $"{bytes / 1024} KiB",
        _ => $"{bytes} bytes",
    };
}
