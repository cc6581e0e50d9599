using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace TaintWatch.Trust;

/// <summary>
/// The certificates found in a kernel image, kept by the image's SHA-256 so that the next run need not unpack
/// it again (a second or more of CPU for an xz image, where reading 4,000 modules takes less). A cache of
/// trust anchors is itself trusted, so it is used only from a directory and file owned by the user running
/// TaintWatch and writable by no one else (root's `sudo` with another user's HOME gets no cache, not theirs),
/// is bounded and parsed strictly, and a failed read just means unpacking the image.
/// </summary>
public static partial class AnchorCache
{
    private const int FormatVersion = 1;
    private const int FileLimit = 4 * 1024 * 1024;
    private static ReadOnlySpan<byte> Magic => "TWKCERT1"u8;

    /// <summary>$TAINTWATCH_CACHE_DIRECTORY, else $XDG_CACHE_HOME/taintwatch, else $HOME/.cache/taintwatch; null without any.</summary>
    public static string? DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("TAINTWATCH_CACHE_DIRECTORY") is { Length: > 0 } explicitDirectory)
        {
            return explicitDirectory == "none" ? null : explicitDirectory;
        }
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg)
        {
            return Path.Combine(xdg, "taintwatch");
        }
        return Environment.GetEnvironmentVariable("HOME") is { Length: > 1 } home ? Path.Combine(home, ".cache", "taintwatch") : null;
    }

    /// <summary>The file for an image of these contents.</summary>
    public static string FileFor(string directory, byte[] image) =>
        Path.Combine(directory, $"kernel-certificates-v{FormatVersion}-{Convert.ToHexStringLower(SHA256.HashData(image))}");

    public static KernelCertificateList.Result? TryRead(string file)
    {
        try
        {
            if (!OwnedAndPrivate(Path.GetDirectoryName(file)!) || !OwnedAndPrivate(file))
            {
                return null;
            }
            var data = File.ReadAllBytes(file);
            if (data.Length > FileLimit || !data.AsSpan().StartsWith(Magic))
            {
                return null;
            }
            var offset = Magic.Length;
            var trusted = ReadList(data, ref offset);
            var revoked = ReadList(data, ref offset);
            return trusted is null || revoked is null || offset != data.Length || trusted.Count == 0 ? null : new KernelCertificateList.Result(trusted, revoked, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes atomically (temporary file, rename) in a directory made private to this user; failures are ignored.</summary>
    public static void TryWrite(string file, KernelCertificates certificates)
    {
        try
        {
            var directory = Path.GetDirectoryName(file)!;
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (!OwnedAndPrivate(directory))
            {
                return;
            }
            using var buffer = new MemoryStream();
            buffer.Write(Magic);
            WriteList(buffer, certificates.Trusted);
            WriteList(buffer, certificates.Revoked);
            var temporary = file + $".tmp-{Environment.ProcessId}";
            using (var stream = new FileStream(temporary, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                buffer.Position = 0;
                buffer.CopyTo(stream);
            }
            File.Move(temporary, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written costs the next run an unpacking, nothing more.
        }
    }

    private static List<byte[]>? ReadList(byte[] data, ref int offset)
    {
        if (data.Length - offset < 4)
        {
            return null;
        }
        var count = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset));
        offset += 4;
        if (count is < 0 or > 4096)
        {
            return null;
        }
        var list = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            if (data.Length - offset < 4)
            {
                return null;
            }
            var length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset));
            offset += 4;
            if (length <= 0 || length > data.Length - offset || KernelCertificateList.CertificateLength(data.AsSpan(offset, length)) != length)
            {
                return null;
            }
            list.Add(data.AsSpan(offset, length).ToArray());
            offset += length;
        }
        return list;
    }

    private static void WriteList(Stream stream, IReadOnlyList<byte[]> list)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(number, list.Count);
        stream.Write(number);
        foreach (var der in list)
        {
            BinaryPrimitives.WriteInt32LittleEndian(number, der.Length);
            stream.Write(number);
            stream.Write(der);
        }
    }

    /// <summary>Owned by this process's effective user, and neither group- nor world-writable.</summary>
    private static bool OwnedAndPrivate(string path)
    {
        Span<byte> statx = stackalloc byte[256];
        // statx(2): stx_uid at offset 20, stx_mode at 28; AT_SYMLINK_NOFOLLOW so a link is judged as itself.
        if (Native.Statx(-100, path, 0x100, 0x7ff, ref statx[0]) != 0)
        {
            return false;
        }
        var uid = BinaryPrimitives.ReadUInt32LittleEndian(statx[20..]);
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(statx[28..]);
        var isLink = (mode & 0xF000) == 0xA000;
        return !isLink && uid == Native.GetEffectiveUserId() && (mode & 0x12) == 0;
    }

    private static partial class Native
    {
        [LibraryImport("libc.so.6", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);

        [LibraryImport("libc.so.6", EntryPoint = "geteuid")]
        public static partial uint GetEffectiveUserId();
    }
}

/// <summary>The two lists the cache keeps.</summary>
public sealed record KernelCertificates(IReadOnlyList<byte[]> Trusted, IReadOnlyList<byte[]> Revoked);
