using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

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

    /// <summary>bcrypt verifications made so far (a cached pair makes none).</summary>
    public int Verifications => _verifications;

    private int _verifications;

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
        Interlocked.Increment(ref _verifications);
        ok = BCrypt.Net.BCrypt.Verify(decoded[(colon + 1)..], hash);
        if (ok && _verified.Count < MaxCached)
        {
            _verified[key] = true;
        }
        return ok;
    }
}
