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
        try
        {
            using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0 });
            var buffer = new byte[Math.Min(limit + 1, 16 * 1024)];
            var output = new MemoryStream();
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + read > limit)
                {
                    return Reading<string>.Fail(path, $"larger than the {FormatSize(limit)} that TaintWatch reads from it; is this really a kernel file?");
                }
                output.Write(buffer, 0, read);
            }
            if (Array.IndexOf(output.GetBuffer(), (byte)0, 0, (int)output.Length) >= 0)
            {
                return Reading<string>.Fail(path, "contains NUL bytes: not a text file");
            }
            return Reading<string>.Ok(path, Encoding.UTF8.GetString(output.GetBuffer(), 0, (int)output.Length));
        }
        catch (FileNotFoundException)
        {
            return Reading<string>.Missing(path);
        }
        catch (DirectoryNotFoundException)
        {
            return Reading<string>.Missing(path);
        }
        catch (UnauthorizedAccessException)
        {
            return Reading<string>.Fail(path, Directory.Exists(path) ? "is a directory, not a file" : "permission denied");
        }
        catch (IOException e)
        {
            return Reading<string>.Fail(path, e.Message);
        }
    }

    /// <summary>Reads a whole binary file of at most <paramref name="limit"/> bytes.</summary>
    public static Reading<byte[]> ReadBytes(string path, int limit = SmallFileLimit)
    {
        try
        {
            using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0 });
            var buffer = new byte[Math.Min(limit + 1, 16 * 1024)];
            var output = new MemoryStream();
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + read > limit)
                {
                    return Reading<byte[]>.Fail(path, $"larger than the {FormatSize(limit)} that TaintWatch reads from it");
                }
                output.Write(buffer, 0, read);
            }
            return Reading<byte[]>.Ok(path, output.ToArray());
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
    }

    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1024 * 1024 => $"{bytes / (1024 * 1024)} MiB",
        >= 1024 => $"{bytes / 1024} KiB",
        _ => $"{bytes} bytes",
    };
}
