using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Daemon;

/// <summary>
/// Day two: SIGHUP re-reads the web config and the expected-modules file in the same process; a certificate and key
/// replaced on disk are served to new connections without a signal; a broken file keeps what was in force.
/// Tested on the real daemon with real TLS clients.
/// </summary>
public sealed class ReloadTests : IDisposable
{
    private readonly TempTree _tree = new("rhel79-scini");
    private readonly Journald _journal = new();

    private string State => _tree.PathOf("state");

    /// <summary>Writes a fresh self-signed certificate and its key; returns the certificate's thumbprint.</summary>
    private string WriteCertificate(string certFile, string keyFile, string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(_tree.PathOf(keyFile), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(_tree.PathOf(certFile), certificate.ExportCertificatePem());
        return certificate.Thumbprint;
    }

    private void WriteWebConfig(string certFile, string keyFile, string user, string password) =>
        File.WriteAllText(_tree.PathOf("web.yml"), $"tls_server_config:\n  cert_file: {certFile}\n  key_file: {keyFile}\nbasic_auth_users:\n  {user}: {BCrypt.Net.BCrypt.HashPassword(password, workFactor: 4)}\n");

    /// <summary>The thumbprint of the certificate a new TLS connection is served.</summary>
    private static string Served(int port)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, port);
        string? thumbprint = null;
        using var ssl = new SslStream(client.GetStream(), false, (_, cert, _, _) =>
        {
            thumbprint = cert is null ? null : new X509Certificate2(cert).Thumbprint;
            return thumbprint is not null; // self-signed: what matters here is which one
        });
        ssl.AuthenticateAsClient("localhost");
        return thumbprint!;
    }

    private static HttpStatusCode Scrape(int port, string user, string password)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return client.GetAsync($"https://127.0.0.1:{port}/metrics").GetAwaiter().GetResult().StatusCode;
    }

    private int Logged(string text) => _journal.Entries().Count(e => e["MESSAGE"].Contains(text, StringComparison.Ordinal));

    [Fact]
    public void Sighup_serves_the_new_certificate_and_users_in_the_same_process()
    {
        var first = WriteCertificate("a.crt", "a.key", "first");
        WriteWebConfig("a.crt", "a.key", "alice", "alice-pw");
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State, "200ms", "--web.config.file", _tree.PathOf("web.yml"));
        daemon.WaitReady();
        var pid = daemon.Pid;
        Assert.Equal(first, Served(daemon.Port));
        Assert.Equal(HttpStatusCode.OK, Scrape(daemon.Port, "alice", "alice-pw"));

        var second = WriteCertificate("b.crt", "b.key", "second");
        WriteWebConfig("b.crt", "b.key", "bob", "bob-pw");
        Thread.Sleep(500);
        // Not yet: the web config itself is read on SIGHUP only.
        Assert.Equal(first, Served(daemon.Port));
        Assert.Equal(HttpStatusCode.OK, Scrape(daemon.Port, "alice", "alice-pw"));

        daemon.Hangup();
        Wait.Until(() => Served(daemon.Port) == second, 10_000, () => "the new certificate was never served; stderr: " + daemon.Stderr);
        Assert.Equal(HttpStatusCode.OK, Scrape(daemon.Port, "bob", "bob-pw"));
        Assert.Equal(HttpStatusCode.Unauthorized, Scrape(daemon.Port, "alice", "alice-pw"));
        Assert.False(daemon.HasExited, "SIGHUP ended the daemon: " + daemon.Stderr);
        Assert.Equal(pid, daemon.Pid);
        Wait.Until(() => Logged("reloaded: 1 basic-auth user(s), TLS on") == 1, 5_000, () => "no reload line in the journal");
    }

    [Fact]
    public void A_certificate_replaced_on_disk_is_served_without_a_signal_and_a_broken_one_keeps_the_last()
    {
        var first = WriteCertificate("tls.crt", "tls.key", "first");
        WriteWebConfig("tls.crt", "tls.key", "alice", "alice-pw");
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State, "200ms", "--web.config.file", _tree.PathOf("web.yml"));
        daemon.WaitReady();
        Assert.Equal(first, Served(daemon.Port));

        // Renewed in place, as certmonger or an ACME client does: the next connection gets it.
        var renewed = WriteCertificate("tls.crt", "tls.key", "renewed");
        Wait.Until(() => Served(daemon.Port) == renewed, 10_000, () => "the renewed certificate was never served");
        Assert.Equal(1, Logged("changed on disk: serving the new one"));

        // A certificate whose key is not there: the renewed pair stays, and one line says why.
        using (var stray = RSA.Create(2048))
        {
            File.WriteAllText(_tree.PathOf("tls.key"), stray.ExportPkcs8PrivateKeyPem());
        }
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(renewed, Served(daemon.Port));
        }
        Assert.Equal(HttpStatusCode.OK, Scrape(daemon.Port, "alice", "alice-pw"));
        Wait.Until(() => Logged("cannot be used") == 1, 5_000, () => "no line for the broken pair");
        Thread.Sleep(300);
        Assert.Equal(1, Logged("cannot be used"));
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public void A_broken_web_config_on_sighup_keeps_the_last_good_one_and_logs_one_line()
    {
        var first = WriteCertificate("tls.crt", "tls.key", "first");
        WriteWebConfig("tls.crt", "tls.key", "alice", "alice-pw");
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State, "200ms", "--web.config.file", _tree.PathOf("web.yml"));
        daemon.WaitReady();
        var pid = daemon.Pid;
        foreach (var broken in new[]
        {
            "basic_auth_users: [\n",                                                    // not YAML
            "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  min_version: tls13\n", // a typo
            "basic_auth_users:\n  bob: hunter2\n",                                      // TLS off, and no hash
        })
        {
            var before = Logged("web config not reloaded");
            File.WriteAllText(_tree.PathOf("web.yml"), broken);
            daemon.Hangup();
            Wait.Until(() => Logged("web config not reloaded") == before + 1, 5_000, () => "no line for: " + broken);
            Assert.Equal(first, Served(daemon.Port));
            Assert.Equal(HttpStatusCode.OK, Scrape(daemon.Port, "alice", "alice-pw"));
        }
        Assert.Equal(3, Logged("keeping the last good one"));
        Assert.False(daemon.HasExited, daemon.Stderr);
        Assert.Equal(pid, daemon.Pid);
    }

    [Fact]
    public void Sighup_reads_the_expected_modules_file_again()
    {
        var expected = _tree.PathOf("expected-modules.yaml");
        Assert.Equal(0, Support.Cli.Run("baseline", "-o", expected, "--path.procfs", _tree.PathOf("proc"), "--path.sysfs", _tree.PathOf("sys"), "--path.rootfs", _tree.Root).ExitCode);
        using var daemon = new DaemonProcess(_tree, _journal.Socket, State, "200ms", "--modules.expected-file", expected);
        daemon.WaitReady();
        daemon.ScrapeUntil(m => m.Contains("taintwatch_modules_unexpected 0", StringComparison.Ordinal));
        // scini no longer expected, in a file of the same size and modification time: only the signal tells.
        var written = File.GetLastWriteTimeUtc(expected);
        File.WriteAllText(expected, File.ReadAllText(expected).Replace("name: \"scini\"", "name: \"scinx\"", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(expected, written);
        daemon.Hangup();
        var metrics = daemon.ScrapeUntil(m => m.Contains("taintwatch_modules_unexpected 1", StringComparison.Ordinal));
        Assert.Matches("taintwatch_module_signature_info\\{module=\"scini\",[^}]*expected=\"false\"[^}]*\\} 1", metrics);
        Assert.False(daemon.HasExited, daemon.Stderr);
    }

    public void Dispose()
    {
        _journal.Dispose();
        _tree.Dispose();
    }
}
