using System.Diagnostics;
using System.Text.Json;

namespace TaintWatch.Tests.Support;

/// <summary>A real systemd-journald, started standalone as a private namespace instance, read back with journalctl.</summary>
public sealed class Journald : IDisposable
{
    private Process? _process;

    public Journald()
    {
        Namespace = "tw" + Guid.NewGuid().ToString("N")[..10];
        Start();
    }

    public string Namespace { get; }

    public string Socket => $"/run/systemd/journal.{Namespace}/socket";

    public void Start()
    {
        // A killed journald leaves its socket behind: remove it so that "exists" means "the new one is bound".
        if (File.Exists(Socket))
        {
            File.Delete(Socket);
        }
        _process = Process.Start(new ProcessStartInfo("/lib/systemd/systemd-journald", Namespace) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })!;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(Socket) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }
        if (!File.Exists(Socket))
        {
            throw new InvalidOperationException("systemd-journald did not create " + Socket);
        }
    }

    /// <summary>Stops journald (its socket stays behind, as after a crash).</summary>
    public void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    /// <summary>Entries written by taintwatch, oldest first, as journalctl -o json gives them.</summary>
    public List<Dictionary<string, string>> Entries()
    {
        var start = new ProcessStartInfo("journalctl", ["--namespace=" + Namespace, "-o", "json", "--all", "--no-pager", "SYSLOG_IDENTIFIER=taintwatch"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var entries = new List<Dictionary<string, string>>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var doc = JsonDocument.Parse(line);
            var entry = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                entry[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Array => string.Join("\u001f", property.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString())),
                    _ => property.Value.ToString(),
                };
            }
            entries.Add(entry);
        }
        return entries;
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
    }
}
