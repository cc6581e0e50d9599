using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TaintWatch.Kernel;

/// <summary>
/// What identifies a file's content without reading it: device, inode, size, mtime and ctime from statx(2).
/// ctime matters: chmod, chown and restorecon change it (and may turn an unreadable file readable) but leave
/// mtime alone; .NET's CreationTimeUtc is the birth time on Linux, not ctime.
/// </summary>
public readonly partial record struct FileIdentity(ulong Device, ulong Inode, long Size, long ModifiedNanoseconds, long ChangedNanoseconds, FileKind Kind)
{
    /// <summary>The identity of the file (symlinks followed), or null with the reason when it cannot be stat'ed.</summary>
    public static FileIdentity? Of(string path, out string? problem)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        buffer.Clear();
        if (Native.Statx(AtFdCwd, path, 0, StatxBasicStats, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            problem = $"{path}: {Marshal.GetPInvokeErrorMessage(errno)}";
            return null;
        }
        problem = null;
        var mode = BinaryPrimitives.ReadUInt16LittleEndian(buffer[28..]);
        var device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(buffer[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(buffer[140..]);
        return new FileIdentity(
            device,
            BinaryPrimitives.ReadUInt64LittleEndian(buffer[32..]),
            (long)BinaryPrimitives.ReadUInt64LittleEndian(buffer[40..]),
            Nanoseconds(buffer[112..]),
            Nanoseconds(buffer[96..]),
            (mode & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0x1000 => FileKind.Fifo,
                0xC000 => FileKind.Socket,
                0x2000 or 0x6000 => FileKind.Device,
                _ => FileKind.Other,
            });
    }

    /// <summary>Words for a file that is not a regular file, for "not a regular file (a FIFO)".</summary>
    public string KindName => Kind switch
    {
        FileKind.Directory => "a directory",
        FileKind.Fifo => "a FIFO",
        FileKind.Socket => "a socket",
        FileKind.Device => "a device",
        FileKind.Regular => "a regular file",
        _ => "not a regular file",
    };

    // struct statx (include/uapi/linux/stat.h): 256 bytes; stx_mode at 28, stx_ino at 32, stx_size at 40,
    // stx_ctime at 96, stx_mtime at 112 (struct statx_timestamp: s64 tv_sec, u32 tv_nsec), stx_dev_major/minor at 136/140.
    private const int StatxSize = 256;
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;

    private static long Nanoseconds(ReadOnlySpan<byte> timestamp) =>
        (BinaryPrimitives.ReadInt64LittleEndian(timestamp) * 1_000_000_000) + BinaryPrimitives.ReadUInt32LittleEndian(timestamp[8..]);

    private static partial class Native
    {
        // statx is in glibc since 2.28, the oldest glibc TaintWatch supports (RHEL 8).
        [LibraryImport("libc.so.6", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
    }
}

/// <summary>The type of a file, from its mode bits.</summary>
public enum FileKind
{
    Regular,
    Directory,
    Fifo,
    Socket,
    Device,
    Other,
}
