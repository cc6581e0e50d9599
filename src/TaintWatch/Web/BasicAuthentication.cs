using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace TaintWatch.Web;

/// <summary>
/// HTTP basic authentication against bcrypt hashes. bcrypt costs tens of milliseconds by design, so a
/// verified user:password pair is remembered (as a SHA-256, never in clear) and scrapes stay fast.
/// </summary>
public sealed class BasicAuthentication(IReadOnlyDictionary<string, string> users)
{
    private const int MaxCached = 1024;
    private readonly ConcurrentDictionary<string, bool> _verified = new(StringComparer.Ordinal);

    public bool Enabled => users.Count > 0;

    public async Task Invoke(HttpContext context, Func<Task> next)
    {
        if (!Enabled || IsAuthorized(context.Request.Headers.Authorization.ToString()))
        {
            await next();
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"TaintWatch\"";
        await context.Response.WriteAsync("Unauthorized\n");
    }

    public bool IsAuthorized(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            return false;
        }
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !users.TryGetValue(decoded[..colon], out var hash))
        {
            return false;
        }
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(decoded + "\0" + hash)));
        if (_verified.TryGetValue(key, out var ok))
        {
            return ok;
        }
        ok = BCrypt.Net.BCrypt.Verify(decoded[(colon + 1)..], hash);
        if (ok && _verified.Count < MaxCached)
        {
            _verified[key] = true;
        }
        return ok;
    }
}
