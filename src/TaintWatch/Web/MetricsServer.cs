using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using TaintWatch.Journal;
using TaintWatch.Logging;

namespace TaintWatch.Web;

/// <summary>
/// The HTTP(S) listener of the daemon, on plain sockets. Kestrel was used before; it wakes a thread every
/// second (its heartbeat) even when nobody scrapes, which alone cost an idle daemon more CPU than the polls,
/// and it brought ASP.NET Core's host, DI and routing into a binary that serves two pages. This server does
/// nothing until a client connects: accepts wait in epoll, timeouts are armed only while a client is served.
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    private readonly List<Socket> _listeners;
    private readonly MetricsSite _site;
    private readonly SslServerAuthenticationOptions? _tls;
    private readonly EventSink _sink;
    private readonly HttpServerLimits _limits;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _acceptLoops = [];
    private int _open;
    private int _refusedLogged;

    private MetricsServer(List<Socket> listeners, MetricsSite site, SslServerAuthenticationOptions? tls, EventSink sink, HttpServerLimits limits)
    {
        _limits = limits;
        _listeners = listeners;
        _site = site;
        _tls = tls;
        _sink = sink;
    }

    /// <summary>Binds every address now, so that a taken port is an error at start (SocketException), then accepts.</summary>
    public static MetricsServer Start(IEnumerable<IPEndPoint> endpoints, MetricsSite site, SslServerAuthenticationOptions? tls, EventSink sink, HttpServerLimits? limits = null)
    {
        var listeners = new List<Socket>();
        try
        {
            foreach (var endpoint in endpoints)
            {
                listeners.Add(Bind(endpoint));
            }
        }
        catch
        {
            listeners.ForEach(l => l.Dispose());
            throw;
        }
        var server = new MetricsServer(listeners, site, tls, sink, limits ?? HttpServerLimits.Default);
        foreach (var listener in listeners)
        {
            server._acceptLoops.Add(server.AcceptLoopAsync(listener));
        }
        return server;
    }

    public IReadOnlyList<EndPoint> LocalEndpoints => _listeners.Select(l => l.LocalEndPoint!).ToList();

    /// <summary>"[::]:port" listens on IPv6 and IPv4; on a host booted with ipv6.disable=1 it falls back to IPv4.</summary>
    private static Socket Bind(IPEndPoint endpoint)
    {
        if (endpoint.Address.Equals(IPAddress.IPv6Any))
        {
            try
            {
                return Listen(endpoint, dualMode: true);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressFamilyNotSupported)
            {
                return Listen(new IPEndPoint(IPAddress.Any, endpoint.Port), dualMode: false);
            }
        }
        return Listen(endpoint, dualMode: false);
    }

    private static Socket Listen(IPEndPoint endpoint, bool dualMode)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (dualMode)
            {
                socket.DualMode = true;
            }
            // As every server: a restart may bind while the previous process's connections are in TIME_WAIT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(512);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        var acceptFailing = false;
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors or memory: say so once, and do not spin while it lasts.
                if (!acceptFailing)
                {
                    _sink.Log(Priority.Warning, $"cannot accept a metrics connection on {listener.LocalEndPoint}: {e.Message}");
                    acceptFailing = true;
                }
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            if (acceptFailing)
            {
                _sink.Log(Priority.Notice, $"accepting metrics connections on {listener.LocalEndPoint} again");
                acceptFailing = false;
            }
            if (Interlocked.Increment(ref _open) > _limits.MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                if (Interlocked.Exchange(ref _refusedLogged, 1) == 0)
                {
                    _sink.Log(Priority.Warning, $"more than {_limits.MaxConnections} metrics connections at once: further ones are closed until some end");
                }
                client.Dispose();
                continue;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            await new HttpConnection(client, _site, _tls, _limits).ServeAsync(_stopping.Token);
        }
#pragma warning disable CA1031 // one client's failure must never end the daemon
        catch (Exception e)
#pragma warning restore CA1031
        {
            client.Dispose();
            _sink.Log(Priority.Error, $"metrics request failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            if (Interlocked.Decrement(ref _open) < _limits.MaxConnections / 2)
            {
                Volatile.Write(ref _refusedLogged, 0);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listeners.ForEach(l => l.Dispose());
        await Task.WhenAll(_acceptLoops);
        _stopping.Dispose();
    }
}
