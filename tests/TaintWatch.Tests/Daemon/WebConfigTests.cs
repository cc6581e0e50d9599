using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using TaintWatch.Tests.Support;
using TaintWatch.Web;

namespace TaintWatch.Tests.Daemon;

/// <summary>TLS and basic auth from an exporter-toolkit web config, tested with real HTTPS requests.</summary>
public sealed class WebConfigTests : IDisposable
{
    private readonly TempTree _tree = new("rhel79-scini");
    private readonly Journald _journal = new();
    private readonly X509Certificate2 _certificate;

    public WebConfigTests()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(_tree.PathOf("tls.crt"), _certificate.ExportCertificatePem());
        File.WriteAllText(_tree.PathOf("tls.key"), key.ExportPkcs8PrivateKeyPem());
        var hash = BCrypt.Net.BCrypt.HashPassword("s3cret", workFactor: 10);
        File.WriteAllText(_tree.PathOf("web.yml"), $"tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\nbasic_auth_users:\n  prometheus: {hash}\n");
    }

    private HttpClient Client(string? user, string? password)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == _certificate.Thumbprint,
        };
        var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        if (user is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        return client;
    }

    [Fact]
    public async Task Https_with_the_right_password_scrapes_and_wrong_or_missing_passwords_are_refused()
    {
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"), "200ms", "--web.config.file", _tree.PathOf("web.yml"));
        daemon.WaitReady();
        Thread.Sleep(200);
        Assert.False(daemon.HasExited, "daemon exited: " + daemon.Stderr);
        var url = $"https://127.0.0.1:{daemon.Port}/metrics";
        using (var right = Client("prometheus", "s3cret"))
        {
            var response = await right.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("taintwatch_kernel_tainted_mask 536883201", await response.Content.ReadAsStringAsync());
        }
        using (var wrong = Client("prometheus", "guess"))
        {
            var response = await wrong.GetAsync(url);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString());
        }
        using (var unknown = Client("mallory", "s3cret"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await unknown.GetAsync(url)).StatusCode);
        }
        using (var none = Client(null, null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await none.GetAsync(url)).StatusCode);
        }
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync($"http://127.0.0.1:{daemon.Port}/metrics"));
    }

    [Theory]
    [InlineData("basic_auth_users:\n  a: plaintext\n", "bcrypt")]
    [InlineData("tls_server_config:\n  cert_file: x.crt\n", "both cert_file and key_file")]
    [InlineData("tls_server_confg:\n  cert_file: x\n", "unknown key tls_server_confg")]
    [InlineData("tls_server_config: [1, 2\n", "not valid YAML")]
    public void Invalid_web_configs_are_refused_with_the_reason(string yaml, string message)
    {
        File.WriteAllText(_tree.PathOf("bad.yml"), yaml);
        var error = Assert.Throws<InvalidDataException>(() => WebConfig.Load(_tree.PathOf("bad.yml")));
        Assert.Contains(message, error.Message);
        var r = Support.Cli.Run("run", "--web.config.file", _tree.PathOf("bad.yml"), "--path.procfs", _tree.PathOf("proc"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    [Fact]
    public void Verified_passwords_are_cached_so_bcrypt_runs_once()
    {
        var auth = new BasicAuthentication(new Dictionary<string, string> { ["u"] = BCrypt.Net.BCrypt.HashPassword("p", workFactor: 12) });
        var header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:p"));
        Assert.True(auth.IsAuthorized(header));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 100; i++)
        {
            Assert.True(auth.IsAuthorized(header));
        }
        // 100 bcrypt verifications at cost 12 would take many seconds; cached ones take microseconds.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2));
        Assert.False(auth.IsAuthorized("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:wrong"))));
        Assert.False(auth.IsAuthorized("Basic !!notbase64"));
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _journal.Dispose();
        _tree.Dispose();
    }
}
