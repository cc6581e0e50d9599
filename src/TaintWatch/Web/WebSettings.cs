using System.Net.Security;

namespace TaintWatch.Web;

/// <summary>One web config made ready to serve: users, extra headers, rate limit and, with TLS, the certificate and options.</summary>
public sealed class WebSettings
{
    private WebSettings(BasicAuthentication auth, string[] headers, TokenBucket? rateLimit, ServerCertificate? certificate, TlsServerConfig? tls, ClientCertificatePolicy? clients)
    {
        (Auth, Headers, RateLimit, Certificate, _tls, _clients) = (auth, headers, rateLimit, certificate, tls, clients);
    }

    private readonly TlsServerConfig? _tls;
    private readonly ClientCertificatePolicy? _clients;

    public static readonly WebSettings Plain = new(BasicAuthentication.None, [], null, null, null, null);

    public BasicAuthentication Auth { get; }

    /// <summary>http_server_config.headers as "Name: value" lines, sent with every response.</summary>
    public string[] Headers { get; }

    public TokenBucket? RateLimit { get; }

    public ServerCertificate? Certificate { get; }

    /// <summary>Loads the certificate now (InvalidDataException when it cannot be served) and prepares the rest.</summary>
    public static WebSettings From(WebConfig config, Action<string> log) => new(
        new BasicAuthentication(config.Users),
        [.. config.Headers.Select(h => $"{h.Key}: {h.Value}")],
        config.RateLimit is { } limit ? new TokenBucket(limit, TimeProvider.System) : null,
        config.Tls is { } tls ? ServerCertificate.Load(tls, log) : null,
        config.Tls,
        config.Tls is { } t ? new ClientCertificatePolicy(t.ClientAuth, ClientCertificatePolicy.LoadAuthorities(t.ClientCaFile, t.ClientCaPem), t.ClientAllowedSans) : null);

    /// <summary>The options for one TLS handshake: the certificate as it is on disk now, the versions and suites configured.</summary>
    public SslServerAuthenticationOptions? TlsOptions() => Certificate is null || _tls is null ? null : new SslServerAuthenticationOptions
    {
        ServerCertificateContext = Certificate.Current(),
        EnabledSslProtocols = _tls.Protocols,
        CipherSuitesPolicy = _tls.CipherSuites is { } suites ? new CipherSuitesPolicy(suites) : null,
        AllowRenegotiation = false,
        ClientCertificateRequired = _clients?.Ask == true,
        RemoteCertificateValidationCallback = _clients is { Ask: true } clients ? (_, certificate, _, _) => clients.Accepts(certificate) : null,
    };
}
