using System.Text;
using CsCheck;
using TaintWatch.Tests.Support;
using TaintWatch.Web;
using static TaintWatch.Web.HttpRequestParser;

namespace TaintWatch.Tests.Web;

/// <summary>The request-head parser on heads captured from real clients, on the corners of RFC 9112, and on hostile bytes.</summary>
public sealed class HttpRequestParserTests
{
    private static byte[] Captured(string name) => File.ReadAllBytes(Path.Combine(Repo.Fixture("http"), name));

    private static (Outcome Outcome, HttpRequestHead? Head, int Consumed, HttpRefusal? Refusal) Parse(string text) => Parse(Encoding.Latin1.GetBytes(text));

    private static (Outcome, HttpRequestHead?, int, HttpRefusal?) Parse(byte[] bytes)
    {
        var outcome = HttpRequestParser.Parse(bytes, out var head, out var consumed, out var refusal);
        return (outcome, head, consumed, refusal);
    }

    [Fact]
    public void A_scrape_by_Prometheus_2_42_asks_for_gzip_and_carries_its_credentials()
    {
        var bytes = Captured("prometheus-2.42-scrape.http");
        var (outcome, head, consumed, _) = Parse(bytes);
        Assert.Equal(Outcome.Complete, outcome);
        Assert.Equal(bytes.Length, consumed);
        Assert.Equal(new HttpRequestHead("GET", "/metrics", Http11: true, "Basic cHJvbWV0aGV1czpzM2NyZXQ=", AcceptsGzip: true, KeepAlive: true, HasBody: false), head);
    }

    [Fact]
    public void A_curl_request_with_several_encodings_accepts_gzip()
    {
        var (outcome, head, _, _) = Parse(Captured("curl-7.88.http"));
        Assert.Equal(Outcome.Complete, outcome);
        Assert.True(head!.AcceptsGzip);
        Assert.Null(head.Authorization);
    }

    [Fact]
    public void Every_prefix_of_a_real_head_is_incomplete_and_never_misread()
    {
        var bytes = Captured("prometheus-2.42-scrape.http");
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Equal(Outcome.Incomplete, Parse(bytes[..length]).Item1);
        }
    }

    [Fact]
    public void Pipelined_requests_are_taken_one_at_a_time()
    {
        var two = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
        var (outcome, head, consumed, _) = Parse(two);
        Assert.Equal((Outcome.Complete, "GET", "/metrics"), (outcome, head!.Method, head.Path));
        var (second, head2, consumed2, _) = Parse(two[consumed..]);
        Assert.Equal((Outcome.Complete, "HEAD", "/"), (second, head2!.Method, head2.Path));
        Assert.Equal(two.Length, consumed + consumed2);
    }

    [Theory]
    [InlineData("GET /metrics HTTP/1.1\nHost: a\n\n", "/metrics")] // bare LF ends lines (RFC 9112 §2.2)
    [InlineData("\r\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n", "/metrics")] // empty lines before the request line
    [InlineData("GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\n\r\n", "/metrics")]
    [InlineData("GET http://host:9877/metrics HTTP/1.1\r\nHost: host:9877\r\n\r\n", "/metrics")] // absolute form, as proxies send
    [InlineData("GET http://host:9877 HTTP/1.1\r\nHost: host:9877\r\n\r\n", "/")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost:\r\n\r\n", "/metrics")] // an empty Host is valid (RFC 9112 §3.2)
    [InlineData("GET /metrics HTTP/1.1\r\nhost: [::1]:9877\r\n\r\n", "/metrics")]
    [InlineData("GET /metrics HTTP/1.0\r\n\r\n", "/metrics")] // HTTP/1.0 needs no Host
    [InlineData("GET /metrics HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Spaces:   a b   \r\n\r\n", "/metrics")]
    public void Lenient_where_the_RFC_allows(string text, string path)
    {
        var (outcome, head, _, refusal) = Parse(text);
        Assert.True(outcome == Outcome.Complete, refusal?.Reason);
        Assert.Equal(path, head!.Path);
    }

    [Theory]
    [InlineData("GET /metrics HTTP/1.1\r\nHost : a\r\n\r\n", 400, "malformed header")] // whitespace before the colon (smuggling)
    [InlineData("GET /metrics HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400, "folding")]
    [InlineData("GET /metrics HTTP/1.1\r\nX-A: a\rb\r\n\r\n", 400, "control character")]
    [InlineData("GET /metrics HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400, "Content-Length")]
    [InlineData("GET /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length")]
    [InlineData("GET /metrics HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400, "Content-Length")]
    [InlineData("POST /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400, "both")]
    [InlineData("POST /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "unsupported transfer encoding")]
    [InlineData("POST /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501, "too many transfer encodings")]
    [InlineData("POST /metrics HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0")]
    [InlineData("GET /metrics HTTP/1.1\r\n\r\n", 400, "missing required Host header")] // RFC 9112 §3.2, Go's words
    [InlineData("GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "too many Host headers")]
    [InlineData("GET /metrics HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", 400, "too many Host headers")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "malformed Host header")]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "malformed Host header")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1")] // HTTP/2 with prior knowledge
    [InlineData("GET /metrics HTTP/1.2\r\n\r\n", 505, "HTTP/1.0")]
    [InlineData("GET /metrics\r\n\r\n", 400, "request line")] // HTTP/0.9
    [InlineData("GET  HTTP/1.1\r\n\r\n", 400, "request target")]
    [InlineData("GET /a b HTTP/1.1\r\n\r\n", 400, "request target")]
    [InlineData("G(T /metrics HTTP/1.1\r\n\r\n", 400, "request line")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\n\n", 400, "request line")] // a TLS ClientHello on the plain port
    public void Strict_where_leniency_lets_requests_be_smuggled_or_misread(string text, int status, string reason)
    {
        var (outcome, _, _, refusal) = Parse(text);
        Assert.Equal(Outcome.Refused, outcome);
        Assert.Equal(status, refusal!.Status);
        Assert.Contains(reason, refusal.Reason);
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("GZIP", true)]
    [InlineData("deflate, gzip;q=0.5", true)]
    [InlineData("*", true)]
    [InlineData("gzip;q=0", false)]
    [InlineData("gzip; q=0.000", false)]
    [InlineData("gzip;q=0.001", true)]
    [InlineData("identity", false)]
    [InlineData("gzipx", false)]
    public void Gzip_is_used_when_accepted_and_not_refused_with_q_0(string acceptEncoding, bool gzip)
    {
        var (_, head, _, _) = Parse($"GET /metrics HTTP/1.1\r\nHost: a\r\nAccept-Encoding: {acceptEncoding}\r\n\r\n");
        Assert.Equal(gzip, head!.AcceptsGzip);
    }

    [Theory]
    [InlineData("HTTP/1.1", "Host: a\r\n", true)]
    [InlineData("HTTP/1.1", "Host: a\r\nConnection: close\r\n", false)]
    [InlineData("HTTP/1.1", "Host: a\r\nConnection: TE, Close\r\n", false)]
    [InlineData("HTTP/1.0", "", false)]
    [InlineData("HTTP/1.0", "Connection: keep-alive\r\n", true)]
    public void Keep_alive_follows_the_version_and_the_Connection_header(string version, string header, bool keepAlive)
    {
        var (_, head, _, _) = Parse($"GET / {version}\r\n{header}\r\n");
        Assert.Equal(keepAlive, head!.KeepAlive);
    }

    [Theory]
    [InlineData("Content-Length: 0\r\n", false)]
    [InlineData("Content-Length: 12\r\n", true)]
    [InlineData("Transfer-Encoding: chunked\r\n", true)]
    public void A_body_is_noticed_so_the_connection_can_be_closed_instead_of_misreading_it_as_the_next_request(string header, bool body)
    {
        var (_, head, _, _) = Parse($"POST /metrics HTTP/1.1\r\nHost: a\r\n{header}\r\n");
        Assert.Equal(body, head!.HasBody);
    }

    [Fact]
    public void A_head_that_never_ends_is_refused_at_16_KiB_and_so_are_101_fields()
    {
        var endless = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nX-A: " + new string('a', MaxHeadBytes));
        Assert.Equal(Outcome.Incomplete, Parse(endless[..(MaxHeadBytes - 1)]).Item1);
        var (outcome, _, _, refusal) = Parse(endless[..MaxHeadBytes]);
        Assert.Equal((Outcome.Refused, 431), (outcome, refusal!.Status));
        var many = "GET / HTTP/1.1\r\n" + string.Concat(Enumerable.Range(0, MaxHeaders + 1).Select(i => $"X-{i}: 1\r\n")) + "\r\n";
        Assert.Equal(431, Parse(many).Item4!.Status);
        var enough = "GET / HTTP/1.1\r\nHost: a\r\n" + string.Concat(Enumerable.Range(0, MaxHeaders - 1).Select(i => $"X-{i}: 1\r\n")) + "\r\n";
        Assert.Equal(Outcome.Complete, Parse(enough).Item1);
    }

    [Fact]
    public void Random_and_mutated_heads_never_throw_and_never_consume_more_than_given()
    {
        var real = Captured("prometheus-2.42-scrape.http");
        Gen.Int[0, real.Length - 1].Select(Gen.Byte, Gen.Int[0, 3]).Array[1, 8].Sample(edits =>
        {
            var bytes = (byte[])real.Clone();
            foreach (var (at, value, kind) in edits)
            {
                bytes[at] = kind == 0 ? (byte)'\n' : kind == 1 ? (byte)'\r' : value;
            }
            var (outcome, head, consumed, refusal) = Parse(bytes);
            Assert.True(consumed <= bytes.Length);
            Assert.Equal(outcome == Outcome.Complete, head is not null);
            Assert.Equal(outcome == Outcome.Refused, refusal is not null);
        }, iter: 5000);
        Gen.Byte.Array[0, 20_000].Sample(bytes =>
        {
            var (outcome, _, consumed, _) = Parse(bytes);
            Assert.True(consumed <= bytes.Length);
            Assert.True(outcome != Outcome.Incomplete || bytes.Length < MaxHeadBytes);
        }, iter: 2000);
    }
}
