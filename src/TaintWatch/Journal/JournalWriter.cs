using System.Net.Sockets;

namespace TaintWatch.Journal;

/// <summary>
/// Sends entries to journald over its native datagram socket. Never blocks the caller for long and never
/// throws: a journald that is down or restarting makes <see cref="TryWrite"/> return false, and the next
/// call reconnects.
/// </summary>
public sealed class JournalWriter(string socketPath = JournalWriter.DefaultSocket) : IDisposable
{
    public const string DefaultSocket = "/run/systemd/journal/socket";

    /// <summary>Larger entries go through a sealed memfd (journald's limit for a datagram is its socket buffer).</summary>
    public const int DatagramLimit = 128 * 1024;

    private Socket? _socket;
    private readonly Lock _gate = new();

    public string SocketPath => socketPath;

    public bool IsReachable => File.Exists(socketPath);

    public bool TryWrite(IReadOnlyList<KeyValuePair<string, string>> fields, out string? error)
    {
        byte[] datagram;
        try
        {
            datagram = JournalFields.Serialize(fields);
        }
        catch (ArgumentException e)
        {
            error = e.Message;
            return false;
        }
        lock (_gate) // the poller and the web server both log
        {
            return TrySend(datagram, out error);
        }
    }

    private bool TrySend(byte[] datagram, out string? error)
    {
        error = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                _socket ??= Connect();
                if (datagram.Length > DatagramLimit)
                {
                    error = MemfdSender.Send(_socket, datagram);
                    return error is null;
                }
                _socket.Send(datagram);
                error = null;
                return true;
            }
            catch (SocketException e)
            {
                // journald restarted (ECONNREFUSED) or is gone: drop the socket and try a fresh one once.
                error = $"journal socket {socketPath}: {e.SocketErrorCode}";
                _socket?.Dispose();
                _socket = null;
            }
        }
        error ??= "journal unreachable";
        return false;
    }

    private Socket Connect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified)
        {
            SendTimeout = 1000,
            // Entries are a few KiB; journald accepts datagrams up to its receive buffer. 8 MiB send buffer
            // matches what systemd's own clients request.
            SendBufferSize = 8 * 1024 * 1024,
        };
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => _socket?.Dispose();
}
