using TaintWatch.Journal;
using TaintWatch.Logging;

namespace TaintWatch.Web;

/// <summary>
/// The web config in force, replaced whole when SIGHUP asks for a re-read. A file that no longer loads (bad YAML,
/// a certificate that does not match its key, a bad hash) keeps the last good settings and is logged in one line.
/// Whether the port speaks TLS is fixed at start: a reload that would turn TLS on or off is refused, as the
/// listening socket and what clients expect of it cannot change under them.
/// </summary>
public sealed class LiveWebConfig
{
    private readonly string? _path;
    private readonly EventSink? _sink;
    private WebSettings _current;

    public LiveWebConfig(WebSettings settings, string? path = null, EventSink? sink = null)
    {
        (_current, _path, _sink) = (settings, path, sink);
        UsesTls = settings.Certificate is not null;
    }

    /// <summary>Reads the file at start; InvalidDataException says what is wrong with it.</summary>
    public static LiveWebConfig Load(string? path, EventSink sink)
    {
        var settings = path is null ? WebSettings.Plain : WebSettings.From(WebConfig.Load(path), m => sink.Log(Priority.Notice, m));
        return new LiveWebConfig(settings, path, sink);
    }

    public bool UsesTls { get; }

    public WebSettings Current => Volatile.Read(ref _current);

    /// <summary>Re-reads the file (SIGHUP); true when the new settings are in force. Logs one line either way.</summary>
    public bool Reload()
    {
        if (_path is null)
        {
            return false;
        }
        try
        {
            var config = WebConfig.Load(_path);
            if (config.UsesTls != UsesTls)
            {
                throw new InvalidDataException($"{_path}: TLS was {(UsesTls ? "on" : "off")} at start and would be turned {(UsesTls ? "off" : "on")}; that needs a restart (systemctl restart taintwatch)");
            }
            var settings = WebSettings.From(config, m => _sink?.Log(Priority.Notice, m));
            Volatile.Write(ref _current, settings);
            _sink?.Log(Priority.Notice, $"web config {_path} reloaded: {config.Users.Count} basic-auth user(s), TLS {(config.UsesTls ? "on" : "off")}, {config.Headers.Count} extra header(s)");
            return true;
        }
        catch (InvalidDataException e)
        {
            _sink?.Log(Priority.Warning, $"web config not reloaded, keeping the last good one: {e.Message}");
            return false;
        }
    }
}
