using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Prometheus;
using TaintWatch.Journal;
using TaintWatch.Metrics;
using TaintWatch.Web;
using static TaintWatch.Tests.Web.RawHttp;

namespace TaintWatch.Tests.Web;

/// <summary>The metrics server on real sockets: HTTP/1.x as clients speak it, limits and timeouts, hostile clients.</summary>
public sealed class MetricsServerTests : IAsyncDisposable
{
    private static readonly HttpServerLimits Short = new(MaxConnections: 3, HandshakeTimeout: TimeSpan.FromMilliseconds(500),
        HeadTimeout: TimeSpan.FromMilliseconds(500), KeepAliveTimeout: TimeSpan.FromMilliseconds(800), WriteTimeout: TimeSpan.FromMilliseconds(500));

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly MetricsExposition _exposition;
    private readonly Gauge _gauge;
    private readonly StringWriter _log = new();
    private readonly EventSink _sink;
    private MetricsServer? _server;

    public MetricsServerTests()
    {
        _exposition = new MetricsExposition(_registry);
        _gauge = Prometheus.Metrics.WithCustomRegistry(_registry).CreateGauge("test_series", "A test gauge.", "n");
        _sink = new EventSink("console", "info", "/nonexistent", _log);
    }

    private void Series(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _gauge.WithLabels(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(i);
        }
        _exposition.Invalidate();
    }

    private int Start(HttpServerLimits? limits = null, Dictionary<string, string>? users = null, string address = "127.0.0.1")
    {
        var site = new MetricsSite("/metrics", _exposition, new LiveWebConfig(WebSettings.From(WebConfig.Empty with { Users = users ?? [] }, _ => { })));
        _server = MetricsServer.Start([new IPEndPoint(IPAddress.Parse(address), 0)], site, _sink, limits);
        return ((IPEndPoint)_server.LocalEndpoints[0]).Port;
    }

    private async Task<string> Expected()
    {
        using var text = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(text);
        return Encoding.UTF8.GetString(text.ToArray());
    }

    [Fact]
    public async Task A_scrape_returns_the_registry_and_gzip_when_asked_on_one_kept_connection()
    {
        Series(500);
        var port = Start();
        await using var stream = await Connect(port);
        await Send(stream, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        var plain = Read(stream);
        Assert.Equal(200, plain.Status);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", plain.Headers["Content-Type"]);
        Assert.Equal(await Expected(), Encoding.UTF8.GetString(plain.Body));
        Assert.True(plain.Headers.ContainsKey("Date"));
        Assert.False(plain.Headers.ContainsKey("Content-Encoding"));

        await Send(stream, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
        var gzip = Read(stream);
        Assert.Equal("gzip", gzip.Headers["Content-Encoding"]);
        Assert.True(gzip.Body.Length < plain.Body.Length / 3, $"{gzip.Body.Length} of {plain.Body.Length}");
        using var inflated = new MemoryStream();
        await new GZipStream(new MemoryStream(gzip.Body), CompressionMode.Decompress).CopyToAsync(inflated);
        Assert.Equal(plain.Body, inflated.ToArray());
    }

    [Fact]
    public async Task A_change_is_served_only_after_it_is_announced_and_then_at_once()
    {
        Series(1);
        var port = Start();
        using var client = new HttpClient();
        Assert.Contains("test_series{n=\"0\"} 0", await client.GetStringAsync($"http://127.0.0.1:{port}/metrics"));
        _gauge.WithLabels("0").Set(42);
        // Served from the exposition made before the change: the registry is not serialised per scrape.
        Assert.Contains("test_series{n=\"0\"} 0", await client.GetStringAsync($"http://127.0.0.1:{port}/metrics"));
        _exposition.Invalidate();
        Assert.Contains("test_series{n=\"0\"} 42", await client.GetStringAsync($"http://127.0.0.1:{port}/metrics"));
    }

    [Fact]
    public async Task Pipelined_requests_HEAD_and_HTTP_1_0_are_answered_in_order()
    {
        Series(3);
        var port = Start();
        await using var stream = await Connect(port);
        await Send(stream, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
        var first = Read(stream);
        var head = Read(stream, head: true);
        var landing = Read(stream);
        Assert.Equal(first.Headers["Content-Length"], head.Headers["Content-Length"]);
        Assert.Contains("<a href=\"/metrics\">", Encoding.UTF8.GetString(landing.Body));

        await using var old = await Connect(port);
        await Send(old, "GET /metrics HTTP/1.0\r\n\r\n");
        var response = Read(old);
        Assert.Equal(first.Body, response.Body);
        Assert.Equal("close", response.Headers["Connection"]);
        Assert.True(ClosedByServer(old));
    }

    [Theory]
    [InlineData("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404, "/metrics", false)]
    [InlineData("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, "GET and HEAD", false)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: x\r\nHost : x\r\n\r\n", 400, "malformed header", true)]
    [InlineData("GET /metrics HTTP/2.0\r\n\r\n", 505, "HTTP/1.1", true)]
    [InlineData("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcdGET / HTTP/1.1\r\nHost: x\r\n\r\n", 405, "GET and HEAD", true)]
    public async Task Other_requests_get_a_status_that_says_why_and_bad_ones_lose_the_connection(string request, int status, string body, bool closed)
    {
        var port = Start();
        await using var stream = await Connect(port);
        await Send(stream, request);
        var response = Read(stream);
        Assert.Equal(status, response.Status);
        Assert.Contains(body, Encoding.UTF8.GetString(response.Body));
        if (status == 405)
        {
            Assert.Equal("GET, HEAD", response.Headers["Allow"]);
        }
        if (closed)
        {
            Assert.True(ClosedByServer(stream)); // a request with a body is not read on: its bytes are not taken for the next request
        }
        else
        {
            await Send(stream, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, Read(stream).Status);
        }
    }

    [Fact]
    public async Task Basic_authentication_guards_every_path()
    {
        var port = Start(users: new Dictionary<string, string> { ["prometheus"] = BCrypt.Net.BCrypt.HashPassword("s3cret", workFactor: 4) });
        await using var stream = await Connect(port);
        foreach (var path in new[] { "/metrics", "/", "/nothing" })
        {
            await Send(stream, $"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
            var refused = Read(stream);
            Assert.Equal(401, refused.Status);
            Assert.Equal("Basic realm=\"TaintWatch\"", refused.Headers["WWW-Authenticate"]);
        }
        await Send(stream, $"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {Convert.ToBase64String("prometheus:s3cret"u8.ToArray())}\r\n\r\n");
        Assert.Equal(200, Read(stream).Status);
    }

    [Fact]
    public async Task Silent_and_slow_clients_are_dropped_after_their_timeout_while_others_are_served()
    {
        var port = Start(Short);
        await using var silent = await Connect(port);
        await using var slow = await Connect(port);
        await Send(slow, "GET /metrics HTTP/1.1\r\nHost:");
        await using var idle = await Connect(port);
        await Send(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        Read(idle);
        // Read() blocks until the server closes; the 10 s read timeout only guards the test itself.
        Assert.True(ClosedByServer(silent));
        Assert.True(ClosedByServer(slow));
        Assert.True(ClosedByServer(idle));
        await using var next = await Connect(port);
        await Send(next, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, Read(next).Status);
    }

    /// <summary>
    /// A write timeout of its own, longer than <see cref="Short"/>'s: the other client reads 8 MB on a test machine
    /// that may be busy with other suites, and must not look stuck while it does.
    /// </summary>
    private static readonly HttpServerLimits Writing = Short with { WriteTimeout = TimeSpan.FromSeconds(2) };

    [Fact]
    public async Task A_client_that_stops_reading_a_large_scrape_is_dropped_and_others_are_served()
    {
        Series(250_000); // ~8 MB: more than the socket buffers of both ends hold
        var port = Start(Writing);
        using var stuck = new TcpClient();
        stuck.ReceiveBufferSize = 4096;
        await stuck.ConnectAsync(IPAddress.Loopback, port);
        await Send(stuck.GetStream(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        await using var other = await Connect(port);
        await Send(other, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = Read(other);
        Assert.Equal(await Expected(), Encoding.UTF8.GetString(response.Body));
        Thread.Sleep(Writing.WriteTimeout * 2); // past the write timeout; then what is left in the buffers ends, short of the whole body
        var received = ReadToEnd(stuck.GetStream(), pause: TimeSpan.Zero);
        Assert.True(received < response.Body.Length, $"{received} bytes of {response.Body.Length}");
    }

    [Fact]
    public async Task A_client_reading_a_large_scrape_slowly_is_served_to_the_end_though_it_takes_longer_than_the_write_timeout()
    {
        Series(250_000);
        var port = Start(Writing);
        await using var fast = await Connect(port);
        await Send(fast, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        var whole = Read(fast).Body.Length;
        using var slow = new TcpClient();
        slow.ReceiveBufferSize = 4096;
        await slow.ConnectAsync(IPAddress.Loopback, port);
        await Send(slow.GetStream(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        // 256 KiB every 150 ms: over 3 s for the ~6 MB, well past the 2 s write timeout, never near 2 s without progress.
        var started = DateTime.UtcNow;
        var received = ReadToEnd(slow.GetStream(), pause: TimeSpan.FromMilliseconds(150), slice: 256 * 1024);
        var took = DateTime.UtcNow - started;
        Assert.True(took > Writing.WriteTimeout * 1.25, $"{took.TotalSeconds:0.0} s: the test must outlast the write timeout to mean anything");
        Assert.True(received > whole, $"{received} bytes with the head, body {whole}, in {took.TotalSeconds:0.0} s");
    }

    /// <summary>Reads until the server closes (or resets), a slice at a time with a pause after each; the bytes read.</summary>
    private static long ReadToEnd(NetworkStream stream, TimeSpan pause, int slice = 1 << 20)
    {
        stream.ReadTimeout = 10_000;
        var buffer = new byte[slice];
        long received = 0;
        try
        {
            while (true)
            {
                var taken = 0;
                for (int n; taken < buffer.Length && (n = stream.Read(buffer, taken, buffer.Length - taken)) > 0;)
                {
                    taken += n;
                }
                received += taken;
                if (taken < buffer.Length)
                {
                    return received;
                }
                Thread.Sleep(pause);
            }
        }
        catch (IOException)
        {
            return received;
        }
    }

    [Fact]
    public async Task A_full_table_closes_the_longest_idle_connection_never_one_being_answered()
    {
        var port = Start(Short with { KeepAliveTimeout = TimeSpan.FromMinutes(1), HeadTimeout = TimeSpan.FromMinutes(1) });
        await using var scraper = await Connect(port);
        await Send(scraper, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, Read(scraper).Status); // served, kept alive
        await using var silent = await Connect(port);
        Thread.Sleep(50);
        await using var slow = await Connect(port);
        await Send(slow, "GET /metrics HTTP/1.1\r\nHost:");
        Thread.Sleep(50);

        // Full (3): each newcomer is served, and the oldest connection that never completed a request gives way.
        await using var first = await Connect(port);
        await Send(first, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, Read(first).Status);
        Assert.True(ClosedByServer(silent));
        await using var second = await Connect(port);
        await Send(second, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, Read(second).Status);
        Assert.True(ClosedByServer(slow));
        Assert.Contains("3 metrics connections at once: the longest idle ones are closed", _log.ToString());

        // Then the kept-alive connection idle the longest: the scraper's, which reconnects at its next scrape.
        await using var third = await Connect(port);
        await Send(third, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, Read(third).Status);
        Assert.True(ClosedByServer(scraper));
        foreach (var kept in new[] { first, second, third })
        {
            await Send(kept, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, Read(kept).Status);
        }
        Assert.Equal(3, _server!.OpenConnections);
    }

    [Fact]
    public void Connections_give_way_in_order_and_one_being_answered_never_does()
    {
        var table = new ConnectionTable(3);
        var kept = table.Admit(out _)!;
        var fresh = table.Admit(out _)!;
        var busy = table.Admit(out _)!;
        table.Enter(kept, ConnectionTable.Stage.WaitingNextRequest);
        table.Enter(fresh, ConnectionTable.Stage.WaitingFirstRequest);
        table.Enter(busy, ConnectionTable.Stage.Busy);
        var newcomer = table.Admit(out var evicted)!;
        Assert.True(evicted);
        Assert.True(fresh.Evicted.IsCancellationRequested); // never served goes first
        Assert.False(table.Enter(fresh, ConnectionTable.Stage.Busy)); // and cannot come back
        Assert.False(kept.Evicted.IsCancellationRequested);
        table.Enter(newcomer, ConnectionTable.Stage.Busy);
        Assert.NotNull(table.Admit(out _));
        Assert.True(kept.Evicted.IsCancellationRequested);
        Assert.Null(table.Admit(out _)); // all three being answered: the newcomer is the one closed
        Assert.False(busy.Evicted.IsCancellationRequested);
        Assert.Equal(3, table.Open);
        table.Release(busy);
        Assert.Equal(2, table.Open);
    }

    [Fact]
    public async Task Configured_headers_go_with_every_response_and_a_rate_limit_answers_429()
    {
        var config = WebConfig.Empty with
        {
            Users = new Dictionary<string, string> { ["prometheus"] = BCrypt.Net.BCrypt.HashPassword("s3cret", workFactor: 4) },
            Headers = [new("X-Frame-Options", "deny"), new("Strict-Transport-Security", "max-age=31536000")],
            RateLimit = new RateLimit(TimeSpan.FromMinutes(1), 3),
        };
        var site = new MetricsSite("/metrics", _exposition, new LiveWebConfig(WebSettings.From(config, _ => { })));
        _server = MetricsServer.Start([new IPEndPoint(IPAddress.Loopback, 0)], site, _sink);
        await using var stream = await Connect(((IPEndPoint)_server.LocalEndpoints[0]).Port);
        var auth = $"Authorization: basic {Convert.ToBase64String("prometheus:s3cret"u8.ToArray())}\r\n";
        foreach (var (request, status) in new[] { ("", 401), (auth, 200), (auth, 200), (auth, 429) })
        {
            await Send(stream, $"GET /metrics HTTP/1.1\r\nHost: x\r\n{request}\r\n");
            var response = Read(stream);
            Assert.Equal(status, response.Status);
            Assert.Equal("deny", response.Headers["X-Frame-Options"]);
            Assert.Equal("max-age=31536000", response.Headers["Strict-Transport-Security"]);
        }
    }

    [Fact]
    public async Task Clients_that_reset_at_once_cost_nothing_and_leave_no_error_behind()
    {
        var port = Start();
        for (var i = 0; i < 300; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(IPAddress.Loopback, port);
            if (i % 2 == 0)
            {
                await client.SendAsync("GET /metrics HTTP/1.1\r\nHost: x\r\n"u8.ToArray());
            }
            client.LingerState = new LingerOption(true, 0); // close sends RST
        }
        await using var stream = await Connect(port);
        await Send(stream, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(200, Read(stream).Status);
        Assert.DoesNotContain("failed", _log.ToString());
    }

    [Fact]
    public async Task The_any_address_serves_IPv4_and_IPv6_clients()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return; // an IPv6-less host: the fallback to IPv4 is what runs then
        }
        var port = Start(address: "::");
        foreach (var host in new[] { "127.0.0.1", "::1" })
        {
            await using var stream = await Connect(port, host);
            await Send(stream, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(200, Read(stream).Status);
        }
    }

    [Fact]
    public void A_port_in_use_fails_at_start_and_leaves_nothing_bound()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var free = new TcpListener(IPAddress.Loopback, 0);
        free.Start();
        var freePort = ((IPEndPoint)free.LocalEndpoint).Port;
        free.Stop();
        var site = new MetricsSite("/metrics", _exposition, new LiveWebConfig(WebSettings.Plain));
        var error = Assert.Throws<SocketException>(() => MetricsServer.Start(
            [new IPEndPoint(IPAddress.Loopback, freePort), new IPEndPoint(IPAddress.Loopback, port)], site, _sink));
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
        using var again = new TcpListener(IPAddress.Loopback, freePort);
        again.Start(); // the first address was released when the second failed
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _exposition.Dispose();
        _sink.Dispose();
    }
}
