using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace TaintWatch.Journal;

/// <summary>
/// Sends an entry too large for one datagram the way sd_journal_send does: write it into a sealed memfd and
/// pass the descriptor to journald with SCM_RIGHTS. .NET has no managed API for descriptor passing.
/// </summary>
internal static unsafe partial class MemfdSender
{
    private const uint MfdCloexec = 1;
    private const uint MfdAllowSealing = 2;
    private const int FAddSeals = 1033;
    private const int SealAll = 1 | 2 | 4 | 8; // F_SEAL_SEAL | SHRINK | GROW | WRITE
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgNoSignal = 0x4000;

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public nint Name;
        public uint NameLength;
        public nint Iov;
        public nuint IovLength;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ControlMessage
    {
        public nuint Length;
        public int Level;
        public int Type;
        public int Descriptor;
        public int Padding;
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(nint socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    /// <summary>Sends <paramref name="entry"/> over the connected socket; returns an error text, or null.</summary>
    public static string? Send(Socket socket, ReadOnlySpan<byte> entry)
    {
        var fd = MemfdCreate("journal-message", MfdCloexec | MfdAllowSealing);
        if (fd < 0)
        {
            return $"memfd_create failed (errno {Marshal.GetLastPInvokeError()})";
        }
        try
        {
            fixed (byte* data = entry)
            {
                var written = 0;
                while (written < entry.Length)
                {
                    var n = Write(fd, data + written, (nuint)(entry.Length - written));
                    if (n <= 0)
                    {
                        return $"write to memfd failed (errno {Marshal.GetLastPInvokeError()})";
                    }
                    written += (int)n;
                }
            }
            // journald only accepts a sealed memfd: it must not change while being read.
            if (Fcntl(fd, FAddSeals, SealAll) < 0)
            {
                return $"sealing the memfd failed (errno {Marshal.GetLastPInvokeError()})";
            }
            var control = new ControlMessage { Length = (nuint)(sizeof(nuint) + 8 + 4), Level = SolSocket, Type = ScmRights, Descriptor = fd };
            var header = new MessageHeader { Control = (nint)(&control), ControlLength = (nuint)sizeof(ControlMessage) };
            if (SendMessage(socket.Handle, &header, MsgNoSignal) < 0)
            {
                return $"sendmsg with the memfd failed (errno {Marshal.GetLastPInvokeError()})";
            }
            return null;
        }
        finally
        {
            _ = Close(fd); // journald holds its own reference once sendmsg returned
        }
    }
}
