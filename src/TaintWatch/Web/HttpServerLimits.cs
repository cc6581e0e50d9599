namespace TaintWatch.Web;

/// <summary>How long the metrics server waits on a client, and how many it holds at once.</summary>
/// <param name="MaxConnections">
/// Connections held at once. At this number a new client is still let in: the connection that has waited longest
/// without a request in progress is closed to make room (<see cref="ConnectionTable"/>), so idle or slow clients
/// can never lock a scraper out, and the daemon's descriptors and memory stay bounded.
/// </param>
/// <param name="HandshakeTimeout">For the TLS handshake, once the client's first byte has arrived.</param>
/// <param name="HeadTimeout">
/// From a new connection to the end of its first request's head, and from a later request's first byte to the end
/// of its head: a client that connects and says nothing, or sends a byte now and then, is dropped after this.
/// </param>
/// <param name="KeepAliveTimeout">Between two requests; above Prometheus' usual scrape intervals (Kestrel keeps 130 s).</param>
/// <param name="WriteTimeout">
/// For the client to take the next part of a response: one that stops reading is dropped after this, one that reads
/// slowly (a large scrape over a slow link) is served to the end.
/// </param>
public sealed record HttpServerLimits(int MaxConnections, TimeSpan HandshakeTimeout, TimeSpan HeadTimeout, TimeSpan KeepAliveTimeout, TimeSpan WriteTimeout)
{
    public static readonly HttpServerLimits Default = new(1024, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(130), TimeSpan.FromSeconds(30));
}
