using System.Buffers;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace TaintWatch.Web;

/// <summary>
/// One client connection: the TLS handshake when configured, then requests answered one after another
/// (keep-alive, pipelining) until the client closes, asks to close, sends a body, errs or stays silent too long.
/// Timeouts are one-shot timers armed only while waiting on the client, so an idle daemon has no timer at all.
/// </summary>
public sealed class HttpConnection(Socket socket, MetricsSite site, SslServerAuthenticationOptions? tls, HttpServerLimits limits)
{
    public async Task ServeAsync(CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var buffer = ArrayPool<byte>.Shared.Rent(HttpRequestParser.MaxHeadBytes);
        Stream? stream = null;
        try
        {
            // A response goes out in one or two writes: Nagle would hold the second for the client's delayed ACK.
            socket.NoDelay = true;
            stream = new NetworkStream(socket, ownsSocket: true);
            if (tls is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                timeout.CancelAfter(limits.HandshakeTimeout);
                await ssl.AuthenticateAsServerAsync(tls, timeout.Token);
            }
            await ServeRequestsAsync(stream, buffer, timeout, stopping);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or AuthenticationException or ObjectDisposedException)
        {
            // The client went away, stalled, or spoke something else than TLS/HTTP: nothing to answer.
        }
        finally
        {
            if (stream is null)
            {
                socket.Dispose(); // reset before it could be served
            }
            else
            {
                await stream.DisposeAsync();
            }
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task ServeRequestsAsync(Stream stream, byte[] buffer, CancellationTokenSource timeout, CancellationToken stopping)
    {
        var filled = 0;
        while (true)
        {
            timeout.CancelAfter(filled == 0 ? limits.KeepAliveTimeout : limits.HeadTimeout);
            HttpRequestHead? request;
            int consumed;
            HttpRefusal? refusal;
            while (HttpRequestParser.Parse(buffer.AsSpan(0, filled), out request, out consumed, out refusal) == HttpRequestParser.Outcome.Incomplete)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled, HttpRequestParser.MaxHeadBytes - filled), timeout.Token);
                if (read == 0)
                {
                    return; // closed by the client
                }
                if (filled == 0)
                {
                    timeout.CancelAfter(limits.HeadTimeout);
                }
                filled += read;
            }
            if (refusal is not null)
            {
                timeout.CancelAfter(limits.WriteTimeout);
                await WriteAsync(stream, HttpResponse.Text(refusal.Status, $"{refusal.Reason}\n"), head: false, http11: true, keepAlive: false, timeout.Token);
                return;
            }
            // A request with a body (none is expected) is answered, then the connection closed rather than the body read.
            var keepAlive = request!.KeepAlive && !request.HasBody;
            // Not the client's time: serialising after a poll may wait for another scrape doing it.
            timeout.CancelAfter(Timeout.InfiniteTimeSpan);
            var response = await site.RespondAsync(request, stopping);
            timeout.CancelAfter(limits.WriteTimeout);
            await WriteAsync(stream, response, request.Method == "HEAD", request.Http11, keepAlive, timeout.Token);
            if (!keepAlive)
            {
                return;
            }
            Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
            filled -= consumed;
        }
    }

    private static async Task WriteAsync(Stream stream, HttpResponse response, bool head, bool http11, bool keepAlive, CancellationToken cancel)
    {
        var text = new StringBuilder(256)
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Status} {HttpResponse.ReasonPhrase(response.Status)}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Date: {DateTime.UtcNow:r}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {response.ContentType}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Length: {response.Body.Length}\r\n");
        foreach (var header in response.Headers)
        {
            text.Append(header).Append("\r\n");
        }
        // HTTP/1.1 keeps the connection unless told; HTTP/1.0 closes it unless told.
        text.Append(keepAlive ? (http11 ? "" : "Connection: keep-alive\r\n") : "Connection: close\r\n").Append("\r\n");
        var headBytes = Encoding.ASCII.GetBytes(text.ToString());
        if (head || response.Body.Length == 0)
        {
            await stream.WriteAsync(headBytes, cancel);
            return;
        }
        // One write for head and body when small; two otherwise, rather than copying a large body.
        if (response.Body.Length <= 16 * 1024)
        {
            await stream.WriteAsync((byte[])[.. headBytes, .. response.Body.Span], cancel);
            return;
        }
        await stream.WriteAsync(headBytes, cancel);
        await stream.WriteAsync(response.Body, cancel);
    }
}
