using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TaintWatch.Tests.Web;

/// <summary>HTTP/1.1 spoken by hand on a socket, so that tests control every byte and every pause.</summary>
public static class RawHttp
{
    public static async Task<Stream> Connect(int port, string host = "127.0.0.1")
    {
        var client = new TcpClient(host.Contains(':') ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Parse(host), port);
        var stream = client.GetStream();
        stream.ReadTimeout = 10_000;
        return stream;
    }

    public static async Task Send(Stream stream, string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text));

    public sealed record Response(int Status, Dictionary<string, string> Headers, byte[] Body);

    /// <summary>Reads one response: head to the empty line, then Content-Length bytes (none after HEAD).</summary>
    public static Response Read(Stream stream, bool head = false)
    {
        var bytes = new List<byte>();
        while (bytes.Count < 4 || !(bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            var b = stream.ReadByte();
            if (b < 0)
            {
                throw new EndOfStreamException("connection closed after " + Encoding.ASCII.GetString(bytes.ToArray()));
            }
            bytes.Add((byte)b);
        }
        var lines = Encoding.ASCII.GetString(bytes.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var headers = lines.Skip(1).Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        var body = new byte[head ? 0 : int.Parse(headers["Content-Length"], System.Globalization.CultureInfo.InvariantCulture)];
        stream.ReadExactly(body);
        return new Response(int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, body);
    }

    public static bool ClosedByServer(Stream stream)
    {
        try
        {
            return stream.Read(new byte[1]) == 0;
        }
        catch (IOException)
        {
            return true; // reset
        }
    }

    /// <summary>As <see cref="Read"/>, without blocking a thread: many clients in one test process must not starve the pool the server also runs on.</summary>
    public static async Task<Response> ReadAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 4 || !(bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new EndOfStreamException("connection closed after " + Encoding.ASCII.GetString(bytes.ToArray()));
            }
            bytes.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString(bytes.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var headers = lines.Skip(1).Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        var body = new byte[int.Parse(headers["Content-Length"], System.Globalization.CultureInfo.InvariantCulture)];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return new Response(int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), headers, body);
    }
}
