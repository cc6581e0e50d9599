using System.Text;

namespace TaintWatch.Web;

/// <summary>A response of the metrics endpoint: status, type, body, and any further header lines ("Name: value").</summary>
public sealed record HttpResponse(int Status, string ContentType, ReadOnlyMemory<byte> Body, params string[] Headers)
{
    public static HttpResponse Text(int status, string text, params string[] headers) =>
        new(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text), headers);

    public static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };
}
