using System.Buffers;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Stage = TaintWatch.Web.ConnectionTable.Stage;

namespace TaintWatch.Web;

/// <summary>
/// One client connection: the TLS handshake when configured, then requests answered one after another
/// (keep-alive, pipelining) until the client closes, asks to close, sends a body, errs, stays silent too long, or
/// the connection is closed to make room for a newcomer (<see cref="ConnectionTable"/>). While waiting on the
/// client it holds no buffer (zero-byte reads), so thousands of idle connections cost little. Timeouts are one-shot
/// timers armed only while waiting on the client, so an idle daemon has no timer at all.
/// </summary>
public sealed class HttpConnection(Socket socket, MetricsSite site, ConnectionTable table, ConnectionTable.Entry entry, HttpServerLimits limits)
{
    /// <summary>What Go's net/http answers a plain request on a TLS port (its tlsRecordHeaderLooksLikeHTTP check).</summary>
    private static readonly byte[] PlainOnTlsPort = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"u8.ToArray();

    private const byte TlsHandshakeRecord = 0x16;

    /// <summary>How much of a body is written at once, so that the write timeout measures a client's progress.</summary>
    private const int WriteChunkBytes = 256 * 1024;

    public async Task ServeAsync(CancellationToken stopping)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping, entry.Evicted);
        Stream? stream = null;
        try
        {
            // A response goes out in one or two writes: Nagle would hold the second for the client's delayed ACK.
            socket.NoDelay = true;
            stream = new NetworkStream(socket, ownsSocket: true);
            if (!table.Enter(entry, Stage.WaitingFirstRequest))
            {
                return;
            }
            // The client's first byte, waited for without a buffer; a silent client is dropped after HeadTimeout.
            timeout.CancelAfter(limits.HeadTimeout);
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, timeout.Token);
            var first = new byte[1];
            if (await socket.ReceiveAsync(first, SocketFlags.Peek, timeout.Token) == 0)
            {
                return; // closed by the client
            }
            if (site.Web.UsesTls != (first[0] == TlsHandshakeRecord))
            {
                // The wrong scheme: answer at once rather than wait for a head or a handshake that will never come.
                table.Enter(entry, Stage.Writing);
                timeout.CancelAfter(limits.WriteTimeout);
                if (site.Web.UsesTls)
                {
                    await stream.WriteAsync(PlainOnTlsPort, timeout.Token);
                }
                else
                {
                    await WriteAsync(stream, HttpResponse.Text(400, "Client sent a TLS handshake to a plain HTTP server: scrape it with http://, or give it a web config with tls_server_config.\n"), head: false, http11: true, keepAlive: false, timeout);
                }
                return;
            }
            if (site.Web.Current.TlsOptions() is { } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                timeout.CancelAfter(limits.HandshakeTimeout);
                await ssl.AuthenticateAsServerAsync(tls, timeout.Token);
                timeout.CancelAfter(limits.HeadTimeout);
            }
            await ServeRequestsAsync(stream, timeout, stopping);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or AuthenticationException or ObjectDisposedException)
        {
            // The client went away, stalled, spoke something else than TLS/HTTP, or gave way to a newcomer: nothing to answer.
        }
        finally
        {
            // Released first: a client that sees the close and reconnects at once must find its place free.
            table.Release(entry);
            if (stream is null)
            {
                socket.Dispose(); // reset before it could be served
            }
            else
            {
                await stream.DisposeAsync();
            }
        }
    }

    private async Task ServeRequestsAsync(Stream stream, CancellationTokenSource timeout, CancellationToken stopping)
    {
        byte[]? buffer = null;
        var filled = 0;
        var served = false;
        try
        {
            while (true)
            {
                if (filled == 0 && served)
                {
                    // Between two requests: give the buffer back and wait for the next one without it.
                    if (!table.Enter(entry, Stage.WaitingNextRequest))
                    {
                        return;
                    }
                    ArrayPool<byte>.Shared.Return(buffer!);
                    buffer = null;
                    timeout.CancelAfter(limits.KeepAliveTimeout);
                    _ = await stream.ReadAsync(Memory<byte>.Empty, timeout.Token); // returns when data is there (or at the end)
                    timeout.CancelAfter(limits.HeadTimeout);
                }
                buffer ??= ArrayPool<byte>.Shared.Rent(HttpRequestParser.MaxHeadBytes);
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
                    filled += read;
                }
                if (refusal is not null)
                {
                    table.Enter(entry, Stage.Writing);
                    await WriteAsync(stream, HttpResponse.Text(refusal.Status, $"{refusal.Reason}\n"), head: false, http11: true, keepAlive: false, timeout);
                    return;
                }
                // From here the request is answered whatever arrives: a newcomer cannot make it give way.
                if (!table.Enter(entry, Stage.Busy))
                {
                    return;
                }
                // A request with a body (none is expected) is answered, then the connection closed rather than the body read.
                var keepAlive = request!.KeepAlive && !request.HasBody;
                // Not the client's time: serialising after a poll, or bcrypt, may wait for other requests.
                timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                var response = await site.RespondAsync(request, stopping);
                if (!table.Enter(entry, Stage.Writing))
                {
                    return;
                }
                await WriteAsync(stream, response, request.Method == "HEAD", request.Http11, keepAlive, timeout);
                served = true;
                if (!keepAlive)
                {
                    return;
                }
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Writes one response. The write timeout runs from each part the client takes (<see cref="WriteChunkBytes"/>), not
    /// from the start: a scraper reading a large response over a slow link is served to the end, one that stops
    /// reading is dropped <see cref="HttpServerLimits.WriteTimeout"/> after the last part it took.
    /// </summary>
    private async Task WriteAsync(Stream stream, HttpResponse response, bool head, bool http11, bool keepAlive, CancellationTokenSource timeout)
    {
        timeout.CancelAfter(limits.WriteTimeout);
        var cancel = timeout.Token;
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
        for (var body = response.Body; !body.IsEmpty; body = body[Math.Min(WriteChunkBytes, body.Length)..])
        {
            timeout.CancelAfter(limits.WriteTimeout);
            await stream.WriteAsync(body[..Math.Min(WriteChunkBytes, body.Length)], cancel);
        }
    }
}
