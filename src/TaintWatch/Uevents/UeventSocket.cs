using System.Runtime.InteropServices;

namespace TaintWatch.Uevents;

/// <summary>
/// The kernel's uevent multicast group (NETLINK_KOBJECT_UEVENT, group 1), through libc: .NET's Socket has no
/// AF_NETLINK. Any user may listen; only the kernel (sender port 0) is believed. A pipe wakes the blocking
/// wait when the daemon stops, so an idle daemon makes no system call at all.
/// </summary>
internal sealed unsafe partial class UeventSocket : IDisposable
{
    private const int AfNetlink = 16;
    private const int SockDgram = 2;
    private const int SockCloexec = 0x80000;
    private const int NetlinkKobjectUevent = 15;
    private const int SolSocket = 1;
    private const int SoRcvbufForce = 33;
    private const int SoRcvbuf = 8;
    private const short PollIn = 1;
    private const int Eintr = 4;
    private const int Enobufs = 105;
    private const int MsgTrunc = 0x20;

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Returned;
    }

    private readonly int _socket;
    private readonly int _wakeRead;
    private readonly int _wakeWrite;
    private int _disposed;

    private UeventSocket(int socket, int wakeRead, int wakeWrite)
    {
        _socket = socket;
        _wakeRead = wakeRead;
        _wakeWrite = wakeWrite;
    }

    /// <summary>Opens and binds the socket, or says why it cannot (e.g. no netlink in this container, a seccomp filter).</summary>
    public static UeventSocket? Open(out string? problem)
    {
        problem = null;
        var fd = socket(AfNetlink, SockDgram | SockCloexec, NetlinkKobjectUevent);
        if (fd < 0)
        {
            problem = $"socket(AF_NETLINK, NETLINK_KOBJECT_UEVENT): {Marshal.GetLastPInvokeErrorMessage()}";
            return null;
        }
        // A burst of events (udev coldplug, a driver bundle) must not overflow the queue: ask for 1 MiB, as udevd does.
        var size = 1 << 20;
        if (setsockopt(fd, SolSocket, SoRcvbufForce, &size, sizeof(int)) != 0)
        {
            setsockopt(fd, SolSocket, SoRcvbuf, &size, sizeof(int));
        }
        var address = new SockaddrNl { Family = AfNetlink, Groups = 1 };
        if (bind(fd, &address, sizeof(SockaddrNl)) != 0)
        {
            problem = $"bind to the kernel's uevent group: {Marshal.GetLastPInvokeErrorMessage()}";
            close(fd);
            return null;
        }
        var pipe = stackalloc int[2];
        if (pipe2(pipe, SockCloexec) != 0)
        {
            problem = $"pipe2: {Marshal.GetLastPInvokeErrorMessage()}";
            close(fd);
            return null;
        }
        return new UeventSocket(fd, pipe[0], pipe[1]);
    }

    /// <summary>
    /// Waits for the next datagram from the kernel. Returns its length; 0 when stopped; -1 when the kernel dropped
    /// events because the queue overflowed (the caller should poll anyway); -2 for a datagram not from the kernel.
    /// </summary>
    public int Receive(Span<byte> buffer)
    {
        var fds = stackalloc PollFd[2];
        while (true)
        {
            fds[0] = new PollFd { Fd = _socket, Events = PollIn };
            fds[1] = new PollFd { Fd = _wakeRead, Events = PollIn };
            if (poll(fds, 2, -1) < 0)
            {
                if (Marshal.GetLastPInvokeError() == Eintr)
                {
                    continue;
                }
                throw new IOException($"poll on the uevent socket: {Marshal.GetLastPInvokeErrorMessage()}");
            }
            if (fds[1].Returned != 0 || Volatile.Read(ref _disposed) != 0)
            {
                return 0;
            }
            var from = default(SockaddrNl);
            var fromLength = sizeof(SockaddrNl);
            nint received;
            fixed (byte* data = buffer)
            {
                received = recvfrom(_socket, data, buffer.Length, MsgTrunc, &from, &fromLength);
            }
            if (received < 0)
            {
                var error = Marshal.GetLastPInvokeError();
                if (error == Eintr)
                {
                    continue;
                }
                if (error == Enobufs)
                {
                    return -1;
                }
                throw new IOException($"recv on the uevent socket: {Marshal.GetLastPInvokeErrorMessage()}");
            }
            if (from.PortId != 0 || received > buffer.Length)
            {
                return -2; // a user process, or longer than any kernel uevent
            }
            return (int)received;
        }
    }

    /// <summary>Wakes a blocked Receive; safe from any thread.</summary>
    public void Stop()
    {
        byte one = 1;
        write(_wakeWrite, &one, 1);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            close(_socket);
            close(_wakeRead);
            close(_wakeWrite);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int bind(int fd, SockaddrNl* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, int* value, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvfrom(int fd, byte* buffer, nint length, int flags, SockaddrNl* from, int* fromLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pipe2(int* fds, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
