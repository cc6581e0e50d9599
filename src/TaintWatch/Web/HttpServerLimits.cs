namespace TaintWatch.Web;

/// <summary>How long the metrics server waits on a client, and how many it serves at once.</summary>
/// <param name="MaxConnections">Clients served at once; more are closed at once (a Prometheus HA pair needs 2).</param>
/// <param name="HandshakeTimeout">For the TLS handshake.</param>
/// <param name="HeadTimeout">From a request's first byte to the end of its head (Kestrel's RequestHeadersTimeout is 30 s).</param>
/// <param name="KeepAliveTimeout">Between two requests; above Prometheus' usual scrape intervals (Kestrel keeps 130 s).</param>
/// <param name="WriteTimeout">For a response to be taken by a client that has stopped reading.</param>
public sealed record HttpServerLimits(int MaxConnections, TimeSpan HandshakeTimeout, TimeSpan HeadTimeout, TimeSpan KeepAliveTimeout, TimeSpan WriteTimeout)
{
    public static readonly HttpServerLimits Default = new(256, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(130), TimeSpan.FromSeconds(30));
}
