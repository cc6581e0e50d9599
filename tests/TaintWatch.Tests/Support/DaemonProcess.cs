using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TaintWatch.Tests.Support;

/// <summary>The real `taintwatch run` process on a fixture tree, with a fake NOTIFY_SOCKET that records sd_notify messages.</summary>
public sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly Socket _notify;
    private readonly Thread _notifyReader;
    private readonly StringBuilder _stderr = new();

    public DaemonProcess(TempTree tree, string journalSocket, string stateDirectory, string interval = "200ms", params string[] extra)
        : this(new Launch(), tree, journalSocket, stateDirectory, interval, extra)
    {
    }

    /// <param name="uid">Run as this user (via setpriv), as the service's unprivileged user would; null for the current one.</param>
    public DaemonProcess(int? uid, TempTree tree, string journalSocket, string stateDirectory, string interval = "200ms", params string[] extra)
        : this(new Launch(uid), tree, journalSocket, stateDirectory, interval, extra)
    {
    }

    /// <summary>How the process is started: its user, working directory and extra environment.</summary>
    public sealed record Launch(int? Uid = null, string? WorkingDirectory = null, IReadOnlyDictionary<string, string>? Environment = null);

    public DaemonProcess(Launch launch, TempTree tree, string journalSocket, string stateDirectory, string interval = "200ms", params string[] extra)
    {
        var uid = launch.Uid;
        Port = FreePort();
        var notifyPath = Path.Combine(Path.GetTempPath(), $"tw-notify-{Guid.NewGuid():N}");
        _notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        _notifyReader = new Thread(ReadNotifications) { IsBackground = true };
        _notifyReader.Start();
        var start = new ProcessStartInfo(uid is null ? Repo.Binary : "setpriv") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        if (uid is int id)
        {
            foreach (var a in new[] { $"--reuid={id}", $"--regid={id}", "--clear-groups", "--", Repo.Binary })
            {
                start.ArgumentList.Add(a);
            }
            File.SetUnixFileMode(notifyPath, (UnixFileMode)0x1B6); // 0666: the unprivileged daemon must reach it
        }
        foreach (var arg in new[]
        {
            "run", "--path.procfs", tree.PathOf("proc"), "--path.sysfs", tree.PathOf("sys"), "--path.rootfs", tree.Root,
            "--web.listen-address", $"127.0.0.1:{Port}", "--state.directory", stateDirectory, "--poll.interval", interval,
            "--log.format", "journal", "--log.journal-socket", journalSocket, "--poll.module-files-interval", "500ms",
        }.Concat(extra))
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["NOTIFY_SOCKET"] = notifyPath;
        foreach (var (name, value) in launch.Environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        if (launch.WorkingDirectory is { } cwd)
        {
            start.WorkingDirectory = cwd;
        }
        _process = Process.Start(start)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public int Port { get; }

    public List<string> Notifications { get; } = [];

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public int Pid => _process.Id;

    public void WaitReady(int timeoutMs = 30_000) =>
        Wait.Until(() => { lock (Notifications) { return Notifications.Contains("READY=1"); } }, timeoutMs, () => "daemon never sent READY=1; stderr: " + Stderr);

    public string Scrape(string path = "/metrics")
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return client.GetStringAsync($"http://127.0.0.1:{Port}{path}").GetAwaiter().GetResult();
    }

    /// <summary>Waits until a scrape satisfies the condition (the poll loop runs every interval).</summary>
    public string ScrapeUntil(Func<string, bool> condition, int timeoutMs = 20_000)
    {
        string last = "";
        Wait.Until(() => condition(last = Scrape()), timeoutMs, () => "metrics never matched; last scrape:\n" + last);
        return last;
    }

    public void Kill9()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>SIGHUP, as `systemctl reload` sends it.</summary>
    public void Hangup()
    {
        using var kill = Process.Start("kill", ["-HUP", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGTERM, as systemd stops a service; returns how long the process took to exit.</summary>
    public TimeSpan Terminate()
    {
        var watch = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }
        if (!_process.WaitForExit(10_000))
        {
            throw new TimeoutException("daemon did not stop within 10 s of SIGTERM");
        }
        return watch.Elapsed;
    }

    private void ReadNotifications()
    {
        var buffer = new byte[4096];
        while (true)
        {
            int n;
            try
            {
                n = _notify.Receive(buffer);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (Notifications)
            {
                Notifications.Add(Encoding.UTF8.GetString(buffer, 0, n));
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        _notify.Dispose();
    }
}

public static class Wait
{
    public static void Until(Func<bool> condition, int timeoutMs, Func<string> message)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return;
            }
            Thread.Sleep(50);
        }
        if (!condition())
        {
            throw new TimeoutException(message());
        }
    }
}
