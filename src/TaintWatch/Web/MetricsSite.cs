using System.Net;
using System.Text;
using TaintWatch.Metrics;

namespace TaintWatch.Web;

/// <summary>
/// What the daemon serves: the metrics at --web.telemetry-path and a landing page at "/" that links to them,
/// both behind basic authentication when the web config has users, with its extra headers on every response.
/// GET and HEAD only.
/// </summary>
public sealed class MetricsSite(string telemetryPath, MetricsExposition metrics, LiveWebConfig web)
{
    private const string MetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly byte[] _landingPage = Encoding.UTF8.GetBytes(
        $"<html><head><title>TaintWatch</title></head><body><h1>TaintWatch {BuildInfo.Version}</h1>" +
        $"<p>Kernel taint, per-module taint and module signatures of this host.</p><p><a href=\"{WebUtility.HtmlEncode(telemetryPath)}\">Metrics</a></p></body></html>\n");

    public LiveWebConfig Web => web;

    public async ValueTask<HttpResponse> RespondAsync(HttpRequestHead request, CancellationToken cancellationToken)
    {
        var settings = web.Current;
        var response = await RespondAsync(request, settings, cancellationToken);
        return settings.Headers.Length == 0 ? response : response with { Headers = [.. response.Headers, .. settings.Headers] };
    }

    private async ValueTask<HttpResponse> RespondAsync(HttpRequestHead request, WebSettings settings, CancellationToken cancellationToken)
    {
        if (settings.RateLimit is { } limit && !limit.TryTake())
        {
            return HttpResponse.Text(429, "Too Many Requests\n");
        }
        if (settings.Auth.Enabled && !await settings.Auth.IsAuthorizedAsync(request.Authorization, cancellationToken))
        {
            return HttpResponse.Text(401, "Unauthorized\n", "WWW-Authenticate: Basic realm=\"TaintWatch\"");
        }
        if (request.Method is not ("GET" or "HEAD"))
        {
            return HttpResponse.Text(405, "Only GET and HEAD are served.\n", "Allow: GET, HEAD");
        }
        if (Matches(request.Path, telemetryPath))
        {
            var body = await metrics.GetAsync(request.AcceptsGzip, cancellationToken);
            return request.AcceptsGzip
                ? new HttpResponse(200, MetricsContentType, body, "Content-Encoding: gzip", "Vary: Accept-Encoding")
                : new HttpResponse(200, MetricsContentType, body, "Vary: Accept-Encoding");
        }
        if (request.Path == "/")
        {
            return new HttpResponse(200, "text/html; charset=utf-8", _landingPage);
        }
        return HttpResponse.Text(404, $"Not found. The metrics are at {telemetryPath}.\n");
    }

    /// <summary>As ASP.NET Core's routing did: case-insensitive, one trailing slash allowed.</summary>
    private static bool Matches(string path, string route) =>
        path.Equals(route, StringComparison.OrdinalIgnoreCase)
        || (path.Length == route.Length + 1 && path[^1] == '/' && path.StartsWith(route, StringComparison.OrdinalIgnoreCase));
}
