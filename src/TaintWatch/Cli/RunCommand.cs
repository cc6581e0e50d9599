using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using TaintWatch.Journal;
using TaintWatch.Kernel;
using TaintWatch.Metrics;
using TaintWatch.Daemon;
using TaintWatch.Logging;

namespace TaintWatch.Cli;

/// <summary>`taintwatch run`: the daemon the systemd unit starts.</summary>
public static class RunCommand
{
    public static Command Create(GlobalOptions global)
    {
        var listen = new Option<string[]>("--web.listen-address") { Description = "Address to serve metrics on, [host]:port (repeatable).", DefaultValueFactory = _ => [":9877"], AllowMultipleArgumentsPerToken = false };
        var path = new Option<string>("--web.telemetry-path") { Description = "Path of the metrics; '/' serves a small landing page.", DefaultValueFactory = _ => "/metrics" };
        var interval = new Option<string>("--poll.interval") { Description = "How often the kernel state is read (e.g. 5s, 500ms, 1m).", DefaultValueFactory = _ => "5s" };
        var state = new Option<string>("--state.directory") { Description = "Where per-boot state is kept. Default: $STATE_DIRECTORY (set by systemd's StateDirectory=) or /var/lib/taintwatch.", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("STATE_DIRECTORY")?.Split(':')[0] is { Length: > 0 } d ? d : "/var/lib/taintwatch" };
        var level = new Option<string>("--log.level") { Description = "debug, info, warn or error.", DefaultValueFactory = _ => "info" };
        var format = new Option<string>("--log.format") { Description = "auto (the journal when reachable, else stderr), journal or console.", DefaultValueFactory = _ => "auto" };
        var table = TableOption.Create("Override the taint table chosen from the kernel release.");
        var filesInterval = new Option<string>("--poll.module-files-interval") { Description = "How often the files of loaded modules are re-checked for replacement when nothing else changed (a new or changed module is always checked at once).", DefaultValueFactory = _ => "30s" };
        var webConfig = new Option<string?>("--web.config.file") { Description = "TLS, basic auth, response headers and rate limit in Prometheus exporter-toolkit's YAML (tls_server_config, basic_auth_users with bcrypt hashes, http_server_config.headers, rate_limit). Re-read on SIGHUP (systemctl reload); the certificate and key files are also re-read when they change." };
        var uevents = new Option<bool>("--poll.uevents") { Description = "Poll at once when the kernel announces a module load or unload (netlink uevents; no privilege needed), so a module loaded and unloaded within a second is still reported. --poll.uevents=false keeps only the timed poll.", DefaultValueFactory = _ => true };
        var expected = new Option<string?>("--modules.expected-file") { Description = $"Expected-modules list, the host role's policy (YAML: signers and modules, globs allowed, and taint: the taint letters the role may carry; write one with `taintwatch baseline`). Loaded modules get expected=\"true\"/\"false\" labels and taintwatch_modules_unexpected counts the rest; with taint:, taintwatch_kernel_taint_unexpected marks set bits it does not allow. Re-read when it changes and on SIGHUP. Default: {DefaultExpectedFile} when it exists." };
        var fileTimeout = new Option<string>("--poll.module-file-timeout") { Description = "How long one module file may take to read (a hung NFS, FUSE or 9p mount under /lib/modules) before its signature is reported as unknown, \"timed out\"; the kernel's taint state and the other modules are served meanwhile.", DefaultValueFactory = _ => "10s" };
        var stuck = new Option<string>("--livepatch.stuck-after") { Description = "How long a live patch may stay in transition (some tasks not yet switched) before a \"stuck\" journal event.", DefaultValueFactory = _ => "1m" };
        var trustKeys = TrustOptions.KeysOption();
        var journal = new Option<string>("--log.journal-socket") { Description = "journald's native socket.", DefaultValueFactory = _ => JournalWriter.DefaultSocket };
        var command = new Command("run", "Run the daemon: poll the kernel's taint state, serve Prometheus metrics, and write a journal event for every new taint bit, module load or unload, and replaced module file.\n\nExample:\n  taintwatch run --web.listen-address=127.0.0.1:9877 --poll.interval=5s")
        {
            listen, path, interval, filesInterval, fileTimeout, uevents, expected, stuck, trustKeys, state, level, format, table, journal, webConfig,
        };
        command.SetAction(r =>
        {
            var paths = global.Paths(r);
            if (!DurationParser.TryParse(r.GetValue(interval)!, out var period))
            {
                Console.Error.WriteLine($"taintwatch run: --poll.interval \"{r.GetValue(interval)}\" is not a duration such as 5s or 500ms");
                return ExitCodes.Error;
            }
            if (!DurationParser.TryParse(r.GetValue(filesInterval)!, out var filesPeriod))
            {
                Console.Error.WriteLine($"taintwatch run: --poll.module-files-interval \"{r.GetValue(filesInterval)}\" is not a duration such as 30s");
                return ExitCodes.Error;
            }
            if (!DurationParser.TryParse(r.GetValue(fileTimeout)!, out var filePatience) || filePatience <= TimeSpan.Zero)
            {
                Console.Error.WriteLine($"taintwatch run: --poll.module-file-timeout \"{r.GetValue(fileTimeout)}\" is not a positive duration such as 10s");
                return ExitCodes.Error;
            }
            if (!DurationParser.TryParse(r.GetValue(stuck)!, out var stuckAfter))
            {
                Console.Error.WriteLine($"taintwatch run: --livepatch.stuck-after \"{r.GetValue(stuck)}\" is not a duration such as 1m or 90s");
                return ExitCodes.Error;
            }
            if (!TableOption.TryResolveExplicit(r.GetValue(table), paths, "run", Console.Error, out var forced))
            {
                return ExitCodes.Error;
            }
            var options = new DaemonOptions(r.GetValue(listen)!, r.GetValue(path)!, period, paths, r.GetValue(state)!, r.GetValue(level)!, r.GetValue(format)!, forced, r.GetValue(journal)!, filesPeriod, r.GetValue(uevents),
                r.GetValue(expected) ?? DefaultExpectedFile, BaselineOptional: r.GetValue(expected) is null, ModuleFileTimeout: filePatience, LivePatchStuck: stuckAfter, TrustKeys: r.GetValue(trustKeys));
            return Run(options, r.GetValue(webConfig) is { Length: > 0 } configPath ? configPath : null);
        });
        return command;
    }

    public const string DefaultExpectedFile = "/etc/taintwatch/expected-modules.yaml";

    public static int Run(DaemonOptions options, string? webConfigPath)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var address in options.ListenAddresses)
        {
            if (!TryParseEndpoint(address, out var endpoint))
            {
                Console.Error.WriteLine($"taintwatch run: --web.listen-address \"{address}\" is not [host]:port (e.g. :9877 or 127.0.0.1:9877)");
                return ExitCodes.Error;
            }
            endpoints.Add(endpoint);
        }
        using var sink = new EventSink(options.LogFormat, options.LogLevel, options.JournalSocket, Console.Error);
        Web.LiveWebConfig web;
        try
        {
            web = Web.LiveWebConfig.Load(webConfigPath, sink);
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"taintwatch run: --web.config.file: {e.Message}");
            return ExitCodes.Error;
        }
        var metrics = new TaintMetrics();
        var site = new Web.MetricsSite(options.TelemetryPath, metrics.Exposition, web);
        // Idle or slow clients make room for new ones rather than lock them out; the table is sized to the descriptors.
        var limits = Web.HttpServerLimits.Default with
        {
            MaxConnections = Web.DescriptorLimit.Connections(Web.DescriptorLimit.RaiseToHard(), Web.HttpServerLimits.Default.MaxConnections),
        };
        Web.MetricsServer server;
        try
        {
            server = Web.MetricsServer.Start(endpoints, site, sink, limits);
        }
        catch (SocketException e)
        {
            sink.Log(Priority.Critical, $"cannot serve metrics on {string.Join(", ", options.ListenAddresses)}: {e.Message}");
            Console.Error.WriteLine($"taintwatch run: cannot listen on {string.Join(", ", options.ListenAddresses)}: {e.Message}. Is another exporter using the port? Choose one with --web.listen-address.");
            return ExitCodes.Error;
        }
        using var stopping = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // end the poll loop and return, rather than be killed mid-write
            stopping.Cancel();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);
        using var loop = new PollLoop(options, TimeProvider.System, sink, metrics, new SystemdNotifier());
        // SIGHUP (systemctl reload): re-read the web config and the expected-modules file in this process. A broken
        // file keeps what is in force and logs one line; the certificate files are also re-read, without a signal,
        // at the first handshake after they change.
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // the default action would end the process (exit 129)
            web.Reload();
            loop.ReloadExpectedModules();
        });
        try
        {
            loop.Run(stopping.Token);
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return ExitCodes.Ok;
    }

    public static bool TryParseEndpoint(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !ushort.TryParse(text[(colon + 1)..], out var port))
        {
            return false;
        }
        var host = text[..colon].Trim('[', ']');
        IPAddress? ip = host switch
        {
            "" => IPAddress.IPv6Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
        };
        if (ip is null)
        {
            return false;
        }
        endpoint = new IPEndPoint(ip, port);
        return true;
    }
}
