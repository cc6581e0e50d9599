using System.Security.Cryptography;
using System.Text;

namespace TaintWatch.Web;

/// <summary>
/// HTTP basic authentication against bcrypt hashes, as exporter-toolkit does it. bcrypt costs tens of milliseconds
/// of CPU by design, so:
/// - one verification runs at a time, on a thread of its own at the lowest priority (<see cref="BcryptQueue"/>):
///   a wrong-password flood takes that thread only, and requests that need no bcrypt are still served at once;
/// - results are remembered by a digest of user, hash and password (never the password in clear): a scraper's
///   right password costs one verification, a repeated wrong one costs none. Failures are kept apart from
///   successes, so a flood of wrong passwords cannot push a scraper's cached success out;
/// - an unknown user is checked against one of the real users' hashes, so the answer takes as long as for a known
///   user with a wrong password and timing does not tell which user names exist.
/// </summary>
public sealed class BasicAuthentication
{
    private const int MaxSuccesses = 64;
    private const int MaxFailures = 1024;

    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly string[] _decoys;
    private readonly Dictionary<string, bool> _successes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _failures = new(StringComparer.Ordinal);
    private int _verifications;

    public BasicAuthentication(IReadOnlyDictionary<string, string> users)
    {
        _users = users;
        _decoys = [.. users.Values.Order(StringComparer.Ordinal)];
    }

    public static readonly BasicAuthentication None = new(new Dictionary<string, string>());

    public bool Enabled => _users.Count > 0;

    /// <summary>bcrypt verifications made so far (a remembered result makes none).</summary>
    public int Verifications => Volatile.Read(ref _verifications);

    /// <summary>Whether an Authorization header value names a user and its password (RFC 7617; the scheme in any case).</summary>
    public async ValueTask<bool> IsAuthorizedAsync(string? header, CancellationToken cancellationToken)
    {
        if (!Enabled || !TryDecode(header, out var user, out var password))
        {
            return false;
        }
        var known = _users.TryGetValue(user, out var hash);
        hash ??= _decoys[(int)(StableHash(user) % (uint)_decoys.Length)];
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{user}\0{hash}\0{password}")));
        if (Remembered(key) is { } remembered)
        {
            return remembered && known;
        }
        Interlocked.Increment(ref _verifications);
        var matches = await BcryptQueue.VerifyAsync(password, hash).WaitAsync(cancellationToken);
        var ok = matches && known;
        Remember(key, ok);
        return ok;
    }

    private bool? Remembered(string key)
    {
        lock (_successes)
        {
            return _successes.ContainsKey(key) ? true : _failures.ContainsKey(key) ? false : null;
        }
    }

    private void Remember(string key, bool ok)
    {
        lock (_successes)
        {
            var cache = ok ? _successes : _failures;
            if (cache.Count >= (ok ? MaxSuccesses : MaxFailures))
            {
                // Drop a tenth, at random as exporter-toolkit does, so that the next ones need no eviction.
                foreach (var old in cache.Keys.OrderBy(_ => Random.Shared.Next()).Take(Math.Max(1, cache.Count / 10)).ToList())
                {
                    cache.Remove(old);
                }
            }
            cache[key] = ok;
        }
    }

    /// <summary>"Basic" in any case, one or more spaces, then base64 of user:password (RFC 9110 §11.1, RFC 7617).</summary>
    internal static bool TryDecode(string? header, out string user, out string password)
    {
        user = password = "";
        if (header is null || header.Length < 6 || !header.AsSpan(0, 5).Equals("Basic", StringComparison.OrdinalIgnoreCase) || header[5] != ' ')
        {
            return false;
        }
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(header[6..].Trim(' ')));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }
        (user, password) = (decoded[..colon], decoded[(colon + 1)..]);
        return true;
    }

    /// <summary>The same decoy hash for the same unknown name, whatever the process (string.GetHashCode is randomised).</summary>
    private static uint StableHash(string text) => BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
