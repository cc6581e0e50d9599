using System.Text;

namespace TaintWatch.Web;

/// <summary>What the metrics endpoint needs of an HTTP/1.x request: method, path, and a few headers.</summary>
public sealed record HttpRequestHead(string Method, string Path, bool Http11, string? Authorization, bool AcceptsGzip, bool KeepAlive, bool HasBody);

/// <summary>An HTTP status to answer a request that cannot be served, and why (sent as the body).</summary>
public sealed record HttpRefusal(int Status, string Reason);

/// <summary>
/// Parses the head of an HTTP/1.0 or 1.1 request (RFC 9112 §2-5) from bytes received so far. Strict where
/// leniency has led to request smuggling (whitespace before a colon, obsolete line folding, bare CR, two
/// Content-Length values, a missing, repeated or malformed Host), lenient where RFC 9112 allows it (a bare LF ends a line, empty lines before the
/// request line). Bounded: a head longer than <see cref="MaxHeadBytes"/> or with more than
/// <see cref="MaxHeaders"/> fields is refused, so a client cannot make the daemon hold more.
/// </summary>
public static class HttpRequestParser
{
    public const int MaxHeadBytes = 16 * 1024;
    public const int MaxHeaders = 100;

    public enum Outcome
    {
        /// <summary>A whole head was read: <c>head</c> and <c>consumed</c> are set.</summary>
        Complete,

        /// <summary>No end of head yet: read more bytes.</summary>
        Incomplete,

        /// <summary>Not a request this server can answer: <c>refusal</c> says which status to send before closing.</summary>
        Refused,
    }

    public static Outcome Parse(ReadOnlySpan<byte> data, out HttpRequestHead? head, out int consumed, out HttpRefusal? refusal)
    {
        head = null;
        refusal = null;
        consumed = 0;
        var start = 0;
        while (start < data.Length && (data[start] == '\r' || data[start] == '\n'))
        {
            start++; // RFC 9112 §2.2: empty lines before the request line are ignored
        }
        var end = FindEndOfHead(data, start, out var afterEnd);
        if (end < 0)
        {
            if (data.Length >= MaxHeadBytes)
            {
                refusal = new HttpRefusal(431, $"request head larger than {MaxHeadBytes} bytes");
                return Outcome.Refused;
            }
            return Outcome.Incomplete;
        }
        if (afterEnd > MaxHeadBytes)
        {
            refusal = new HttpRefusal(431, $"request head larger than {MaxHeadBytes} bytes");
            return Outcome.Refused;
        }
        refusal = ParseHead(data[start..end], out head);
        consumed = afterEnd;
        return refusal is null ? Outcome.Complete : Outcome.Refused;
    }

    /// <summary>Index of the empty line that ends the head (CRLFCRLF or LFLF, mixed allowed), or -1.</summary>
    private static int FindEndOfHead(ReadOnlySpan<byte> data, int start, out int afterEnd)
    {
        afterEnd = 0;
        for (var from = start; ;)
        {
            var newline = data[from..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                return -1;
            }
            var at = from + newline;
            var next = at + 1;
            if (next < data.Length && data[next] == '\n')
            {
                afterEnd = next + 1;
                return at;
            }
            if (next + 1 < data.Length && data[next] == '\r' && data[next + 1] == '\n')
            {
                afterEnd = next + 2;
                return at;
            }
            from = next;
        }
    }

    private static HttpRefusal? ParseHead(ReadOnlySpan<byte> head, out HttpRequestHead? request)
    {
        request = null;
        var lineEnd = head.IndexOf((byte)'\n');
        var requestLine = TrimCr(lineEnd < 0 ? head : head[..lineEnd]);
        if (ParseRequestLine(requestLine, out var method, out var path, out var http11) is { } bad)
        {
            return bad;
        }
        string? authorization = null;
        var gzip = false;
        bool? connectionClose = null;
        long? contentLength = null;
        var chunked = false;
        var hosts = 0;
        var count = 0;
        var rest = lineEnd < 0 ? [] : head[(lineEnd + 1)..];
        while (rest.Length > 0)
        {
            var next = rest.IndexOf((byte)'\n');
            var line = TrimCr(next < 0 ? rest : rest[..next]);
            rest = next < 0 ? [] : rest[(next + 1)..];
            if (++count > MaxHeaders)
            {
                return new HttpRefusal(431, $"more than {MaxHeaders} header fields");
            }
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t'))
            {
                return new HttpRefusal(400, "obsolete line folding in a header field");
            }
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return new HttpRefusal(400, "malformed header field");
            }
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (value.IndexOfAny((byte)'\r', (byte)'\0') >= 0)
            {
                return new HttpRefusal(400, "control character in a header field");
            }
            var name = line[..colon];
            if (Ascii.EqualsIgnoreCase(name, "host"u8))
            {
                if (++hosts > 1)
                {
                    return new HttpRefusal(400, "too many Host headers");
                }
                if (!IsValidHost(value))
                {
                    return new HttpRefusal(400, "malformed Host header");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "authorization"u8))
            {
                authorization = Encoding.Latin1.GetString(value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "accept-encoding"u8))
            {
                gzip |= AcceptsGzip(value);
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                if (HasToken(value, "close"u8))
                {
                    connectionClose = true;
                }
                else if (HasToken(value, "keep-alive"u8))
                {
                    connectionClose ??= false;
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!long.TryParse(value, System.Globalization.NumberStyles.None, null, out var length) || (contentLength is { } seen && seen != length))
                {
                    return new HttpRefusal(400, "invalid Content-Length");
                }
                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                // RFC 9112 §6.1: only chunked framing is understood here; as Go's net/http, one field saying exactly that.
                if (chunked)
                {
                    return new HttpRefusal(501, "too many transfer encodings");
                }
                if (!Ascii.EqualsIgnoreCase(value, "chunked"u8))
                {
                    return new HttpRefusal(501, "unsupported transfer encoding");
                }
                if (!http11)
                {
                    return new HttpRefusal(400, "Transfer-Encoding in an HTTP/1.0 request"); // RFC 9112 §6.1: faulty framing
                }
                chunked = true;
            }
        }
        // RFC 9112 §3.2: an HTTP/1.1 request without Host is refused (as Go's net/http does, with the same words).
        if (http11 && hosts == 0)
        {
            return new HttpRefusal(400, "missing required Host header");
        }
        if (chunked && contentLength is not null)
        {
            return new HttpRefusal(400, "both Transfer-Encoding and Content-Length");
        }
        // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes it unless asked to keep it.
        var keepAlive = http11 ? connectionClose != true : connectionClose == false;
        request = new HttpRequestHead(method, path, http11, authorization, gzip, keepAlive, chunked || contentLength > 0);
        return null;
    }

    private static HttpRefusal? ParseRequestLine(ReadOnlySpan<byte> line, out string method, out string path, out bool http11)
    {
        method = path = "";
        http11 = false;
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace == firstSpace || !IsToken(line[..firstSpace]))
        {
            return new HttpRefusal(400, "malformed request line");
        }
        var version = line[(lastSpace + 1)..];
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            http11 = true;
        }
        else if (!version.SequenceEqual("HTTP/1.0"u8))
        {
            return version.StartsWith("HTTP/"u8) ? new HttpRefusal(505, "only HTTP/1.0 and HTTP/1.1 are served") : new HttpRefusal(400, "malformed request line");
        }
        var target = line[(firstSpace + 1)..lastSpace];
        if (target.Length == 0 || target.IndexOfAnyInRange((byte)0, (byte)' ') >= 0 || target.IndexOf((byte)0x7f) >= 0)
        {
            return new HttpRefusal(400, "malformed request target");
        }
        method = Encoding.ASCII.GetString(line[..firstSpace]);
        path = PathOf(target);
        return null;
    }

    /// <summary>The path of an origin-form ("/metrics?x") or absolute-form ("http://host:9877/metrics") target.</summary>
    private static string PathOf(ReadOnlySpan<byte> target)
    {
        if (target[0] != '/')
        {
            var scheme = target.IndexOf("://"u8);
            if (scheme > 0)
            {
                var afterAuthority = target[(scheme + 3)..];
                var slash = afterAuthority.IndexOf((byte)'/');
                target = slash < 0 ? "/"u8 : afterAuthority[slash..];
            }
        }
        var query = target.IndexOfAny((byte)'?', (byte)'#');
        return Encoding.Latin1.GetString(query < 0 ? target : target[..query]);
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;

    /// <summary>RFC 9110 §5.6.2 token: the characters allowed in methods and field names.</summary>
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        foreach (var c in text)
        {
            if (c <= ' ' || c >= 0x7f || "\"(),/:;<=>?@[\\]{}"u8.Contains(c))
            {
                return false;
            }
        }
        return text.Length > 0;
    }

    /// <summary>
    /// The characters a Host value may hold (RFC 3986 host and port: unreserved, sub-delims, ':', '[', ']', '%'
    /// for escapes, '@' as Go allows); empty is valid (RFC 9112 §3.2, a target without an authority).
    /// </summary>
    private static bool IsValidHost(ReadOnlySpan<byte> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit((char)c) && !"!$%&'()*+,-.:;=@[]_~"u8.Contains(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>gzip listed without q=0 (RFC 9110 §12.5.3).</summary>
    private static bool AcceptsGzip(ReadOnlySpan<byte> value)
    {
        foreach (var range in value.Split((byte)','))
        {
            var item = value[range].Trim(" \t"u8);
            var semicolon = item.IndexOf((byte)';');
            var coding = (semicolon < 0 ? item : item[..semicolon]).Trim(" \t"u8);
            if (!Ascii.EqualsIgnoreCase(coding, "gzip"u8) && !coding.SequenceEqual("*"u8))
            {
                continue;
            }
            var parameters = semicolon < 0 ? [] : item[(semicolon + 1)..];
            var q = parameters.IndexOf("q="u8);
            if (q < 0 || !IsZero(parameters[(q + 2)..].Trim(" \t"u8)))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsZero(ReadOnlySpan<byte> qvalue) => qvalue.Length > 0 && qvalue[0] == '0' && qvalue[1..].TrimStart((byte)'.').TrimStart((byte)'0').Length == 0;

    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }
        return false;
    }
}
