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
        var names = new SubjectAlternativeNameBuilder(); // Go's TLS (Prometheus) ignores the CN
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
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
        // Plain HTTP on the TLS port: answered at once, as Go's net/http does, rather than left to time out.
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var mistaken = await plain.GetAsync($"http://127.0.0.1:{daemon.Port}/metrics");
        Assert.Equal(HttpStatusCode.BadRequest, mistaken.StatusCode);
        Assert.Equal("Client sent an HTTP request to an HTTPS server.\n", await mistaken.Content.ReadAsStringAsync());
    }

    [Fact]
    public void A_real_Prometheus_scrapes_the_daemon_over_TLS_with_basic_auth()
    {
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"), "200ms", "--web.config.file", _tree.PathOf("web.yml"));
        daemon.WaitReady();
        var port = DaemonProcess.FreePort();
        File.WriteAllText(_tree.PathOf("prometheus.yml"), $$"""
            global: { scrape_interval: 1s, scrape_timeout: 1s }
            scrape_configs:
              - job_name: taintwatch
                scheme: https
                tls_config: { ca_file: {{_tree.PathOf("tls.crt")}}, server_name: localhost }
                basic_auth: { username: prometheus, password: s3cret }
                static_configs: [ { targets: ['127.0.0.1:{{daemon.Port}}'] } ]
            """);
        var start = new System.Diagnostics.ProcessStartInfo("prometheus") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--config.file=" + _tree.PathOf("prometheus.yml"), "--storage.tsdb.path=" + _tree.PathOf("tsdb"), $"--web.listen-address=127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(arg);
        }
        using var prometheus = System.Diagnostics.Process.Start(start)!;
        var log = new StringBuilder();
        prometheus.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        prometheus.BeginErrorReadLine();
        try
        {
            using var api = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            string Query(string promql)
            {
                try
                {
                    return api.GetStringAsync($"http://127.0.0.1:{port}/api/v1/query?query={Uri.EscapeDataString(promql)}").GetAwaiter().GetResult();
                }
                catch (HttpRequestException)
                {
                    return ""; // not listening yet
                }
            }

            // The first value of an instant query, as Prometheus' API gives it.
            string? Value(string promql)
            {
                var json = Query(promql);
                if (json.Length == 0)
                {
                    return null;
                }
                var result = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("data").GetProperty("result");
                return result.GetArrayLength() == 0 ? null : result[0].GetProperty("value")[1].GetString();
            }
            // Prometheus stores what it scraped: the mask, every module's signature series, and that the scrape went well.
            Wait.Until(() => Value("taintwatch_kernel_tainted_mask") == "536883201", 60_000, () => "Prometheus never stored the mask; its log: " + log);
            Assert.Equal("1", Value("up{job=\"taintwatch\"}"));
            var modules = Value("sum(taintwatch_modules)");
            Assert.NotNull(modules);
            Assert.Equal(modules, Value("count(taintwatch_module_signature_info)"));
        }
        finally
        {
            prometheus.Kill();
            prometheus.WaitForExit();
        }
    }

    [Theory]
    [InlineData("basic_auth_users:\n  a: plaintext\n", "line 2: the password of a is not a bcrypt hash", "htpasswd -nBC 10")]
    [InlineData("basic_auth_users:\n  a: $2y$10$tooshort\n", "line 2: the password of a is not a bcrypt hash", "htpasswd")]
    [InlineData("basic_auth_users:\n  a: $2y$03$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0\n", "not a bcrypt hash", "a cost from 04 to 31")]
    [InlineData("tls_server_config:\n  cert_file: x.crt\n", "missing one of key or key_file", "both cert_file and key_file")]
    [InlineData("tls_server_confg:\n  cert_file: x\n", "line 2: unknown key tls_server_confg", "write tls_server_config")]
    [InlineData("tls_server_config: [1, 2\n", "not valid YAML", "line 2")]
    [InlineData("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  min_version: tls13\n", "line 4: unknown TLS version: tls13", "write TLS12 or TLS13")]
    [InlineData("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  min_version: TLS11\n", "line 4: min_version TLS11: TaintWatch serves TLS 1.2 and 1.3 only", "write TLS12 or TLS13")]
    [InlineData("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  min_version: TLS13\n  max_version: TLS12\n", "min_version is above max_version", "write a min_version")]
    [InlineData("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n", "line 4: unknown cipher: TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")]
    [InlineData("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  curve_preferences: [P256]\n", "unknown curve: P256", "write CurveP256, CurveP384, CurveP521, X25519")]
    [InlineData("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  curve_preferences: [X25519]\n", "curve_preferences cannot be applied", "remove it")]
    [InlineData("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_auth_type: RequestClientCert\n  client_allowed_sans: [prometheus]\n", "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert", "write one of them")]
    [InlineData("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_auth_type: VerifyClientCert\n", "line 4: invalid ClientAuth: VerifyClientCert", "RequireAndVerifyClientCert")]
    [InlineData("tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_ca_file: ca.crt\n", "client CA's have been configured without a Client Auth Policy", "client_auth_type: RequireAndVerifyClientCert")]
    [InlineData("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", "line 3: invalid value for X-Frame-Options: \"allow\"", "\"deny\", \"sameorigin\"")]
    [InlineData("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n", "invalid value for X-Content-Type-Options", "\"nosniff\"")]
    [InlineData("http_server_config:\n  headers:\n    Server: taintwatch\n", "HTTP header \"Server\" can not be configured", "Strict-Transport-Security")]
    [InlineData("http_server_config:\n  http2: maybe\n", "line 2: http_server_config.http2 \"maybe\" is not a boolean", "write true or false")]
    [InlineData("http_server_config:\n  http3: true\n", "http_server_config.http3 is not a setting", "write http2 or headers")]
    [InlineData("rate_limit:\n  interval: 1s\n  burst: 0\n", "rate_limit.burst must be at least 1", "burst: 1")]
    [InlineData("rate_limit:\n  interval: soon\n  burst: 5\n", "line 2: rate_limit.interval \"soon\" is not a duration", "1s")]
    public void Invalid_web_configs_are_refused_at_start_with_the_line_and_what_to_write(string yaml, string message, string advice)
    {
        File.WriteAllText(_tree.PathOf("bad.yml"), yaml);
        var error = Assert.Throws<InvalidDataException>(() => WebConfig.Load(_tree.PathOf("bad.yml")));
        Assert.Contains(message, error.Message);
        Assert.Contains(advice, error.Message);
        var r = Support.Cli.Run("run", "--web.config.file", _tree.PathOf("bad.yml"), "--path.procfs", _tree.PathOf("proc"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }

    [Theory]
    [InlineData("missing.crt", "tls.key", "cannot load the TLS certificate and key")]
    [InlineData("tls.crt", "other.key", "cannot load the TLS certificate and key")]
    [InlineData("tls.key", "tls.key", "cannot load the TLS certificate and key")]
    public void A_certificate_that_cannot_be_served_is_refused_at_start(string cert, string key, string message)
    {
        using (var other = RSA.Create(2048))
        {
            File.WriteAllText(_tree.PathOf("other.key"), other.ExportPkcs8PrivateKeyPem());
        }
        File.WriteAllText(_tree.PathOf("bad.yml"), $"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n");
        var r = Support.Cli.Run("run", "--web.config.file", _tree.PathOf("bad.yml"), "--path.procfs", _tree.PathOf("proc"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.Contains("chmod 0640", r.Stderr);
    }

    [Fact]
    public void A_full_exporter_toolkit_config_is_accepted()
    {
        File.WriteAllText(_tree.PathOf("full.yml"), $$"""
            tls_server_config:
              cert_file: tls.crt
              key_file: tls.key
              client_auth_type: NoClientCert
              min_version: TLS12
              max_version: TLS13
              cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
              prefer_server_cipher_suites: true
            http_server_config:
              http2: false
              headers:
                X-Frame-Options: deny
                X-Content-Type-Options: nosniff
                Strict-Transport-Security: max-age=31536000
            rate_limit:
              interval: 100ms
              burst: 20
            basic_auth_users:
              prometheus: {{BCrypt.Net.BCrypt.HashPassword("x", workFactor: 4)}}
            """);
        var config = WebConfig.Load(_tree.PathOf("full.yml"));
        Assert.Equal(_tree.PathOf("tls.crt"), config.Tls!.CertFile);
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13, config.Tls.Protocols);
        // Go applies cipher_suites to TLS 1.2 only; TLS 1.3's own suites stay on.
        Assert.Contains(System.Net.Security.TlsCipherSuite.TLS_AES_128_GCM_SHA256, config.Tls.CipherSuites!);
        Assert.Equal(3, config.Headers.Count);
        Assert.Equal(new RateLimit(TimeSpan.FromMilliseconds(100), 20), config.RateLimit);
        Assert.Single(config.Users);
    }

    [Fact]
    public async Task Verified_passwords_are_cached_so_bcrypt_runs_once()
    {
        var auth = new BasicAuthentication(new Dictionary<string, string> { ["u"] = BCrypt.Net.BCrypt.HashPassword("p", workFactor: 12) });
        var header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:p"));
        Assert.True(await auth.IsAuthorizedAsync(header, default));
        Assert.Equal(1, auth.Verifications);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(await auth.IsAuthorizedAsync(header, default));
        }
        Assert.Equal(1, auth.Verifications); // bcrypt at cost 12 ran once, not 101 times
        var wrong = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:wrong"));
        Assert.False(await auth.IsAuthorizedAsync(wrong, default));
        Assert.False(await auth.IsAuthorizedAsync(wrong, default));
        Assert.Equal(2, auth.Verifications); // a repeated wrong password is remembered too, as exporter-toolkit does
        Assert.False(await auth.IsAuthorizedAsync("Basic !!notbase64", default));
        // RFC 9110 §11.1: the scheme is case-insensitive.
        Assert.True(await auth.IsAuthorizedAsync("basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:p")), default));
        Assert.True(await auth.IsAuthorizedAsync("BASIC  " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:p")), default));
        Assert.False(await auth.IsAuthorizedAsync("Bearer " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:p")), default));
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _journal.Dispose();
        _tree.Dispose();
    }
}
