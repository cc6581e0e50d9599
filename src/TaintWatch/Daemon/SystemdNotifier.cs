using System.Net.Sockets;
using System.Text;

namespace TaintWatch.Daemon;

/// <summary>
/// sd_notify: READY=1, WATCHDOG=1, STOPPING=1 to $NOTIFY_SOCKET (path or '@' abstract name). Written here
/// rather than taken from Microsoft.Extensions.Hosting.Systemd, which in .NET 10 sends no WATCHDOG=1 and
/// silently detects nothing under ProtectProc=invisible (reference/dotnet-libraries.md §2).
/// </summary>
public sealed class SystemdNotifier
{
    private readonly string? _socket = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");

    public bool Enabled => !string.IsNullOrEmpty(_socket);

    /// <summary>The watchdog interval systemd asked for (WATCHDOG_USEC), if it is meant for this process.</summary>
    public static TimeSpan? WatchdogInterval
    {
        get
        {
            var usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
            var pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
            if (!long.TryParse(usec, out var value) || value <= 0)
            {
                return null;
            }
            return pid is null || pid == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)
                ? TimeSpan.FromMicroseconds(value)
                : null;
        }
    }

    public void Notify(string state)
    {
        if (!Enabled)
        {
            return;
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            var path = _socket![0] == '@' ? "\0" + _socket[1..] : _socket;
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
        }
        catch (SocketException)
        {
            // systemd gone or the socket is not ours: nothing to tell.
        }
    }
}
