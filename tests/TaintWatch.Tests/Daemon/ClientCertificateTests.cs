using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Daemon;

/// <summary>
/// client_auth_type, client_ca_file and client_allowed_sans as exporter-toolkit applies them, on the real daemon
/// with real TLS clients: a scraper's certificate signed by the CA and carrying an allowed name is let in; none,
/// a self-signed one, or one whose names were dropped from the list by a reload, are refused.
/// </summary>
public sealed class ClientCertificateTests : IDisposable
{
    private readonly TempTree _tree = new("rhel79-scini");
    private readonly Journald _journal = new();
    private readonly X509Certificate2 _scraper;
    private readonly X509Certificate2 _rogue;

    public ClientCertificateTests()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Scrapers CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        File.WriteAllText(_tree.PathOf("ca.crt"), ca.ExportCertificatePem());
        _scraper = Client("prometheus.example", ca);
        _rogue = Client("prometheus.example", null);

        using var serverKey = RSA.Create(2048);
        using var server = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(_tree.PathOf("tls.crt"), server.ExportCertificatePem());
        File.WriteAllText(_tree.PathOf("tls.key"), serverKey.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>A client-authentication certificate for <paramref name="name"/>, signed by the CA or by itself.</summary>
    private static X509Certificate2 Client(string name, X509Certificate2? ca)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        if (ca is null)
        {
            return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        }
        using var signed = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
        return signed.CopyWithPrivateKey(key);
    }

    private void WriteWebConfig(string allowedSan) => File.WriteAllText(_tree.PathOf("web.yml"),
        $"tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  client_allowed_sans: [{allowedSan}]\n");

    /// <summary>The status of a scrape presenting <paramref name="certificate"/>, or null when the handshake is refused.</summary>
    private static HttpStatusCode? Scrape(int port, X509Certificate2? certificate)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null };
        if (certificate is not null)
        {
            handler.ClientCertificateOptions = ClientCertificateOption.Manual;
            handler.ClientCertificates.Add(certificate);
        }
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            return client.GetAsync($"https://127.0.0.1:{port}/metrics").GetAwaiter().GetResult().StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    [Fact]
    public void Only_a_certificate_signed_by_the_client_CA_with_an_allowed_name_is_let_in()
    {
        WriteWebConfig("prometheus.example");
        using var daemon = new DaemonProcess(_tree, _journal.Socket, _tree.PathOf("state"), "200ms", "--web.config.file", _tree.PathOf("web.yml"));
        daemon.WaitReady();
        Assert.Equal(HttpStatusCode.OK, Scrape(daemon.Port, _scraper));
        Assert.Null(Scrape(daemon.Port, null));
        Assert.Null(Scrape(daemon.Port, _rogue));

        // The name is no longer allowed: after a reload, the same certificate is refused.
        WriteWebConfig("other.example");
        daemon.Hangup();
        Wait.Until(() => Scrape(daemon.Port, _scraper) is null, 10_000, () => "the scraper is still let in");
        Assert.False(daemon.HasExited, daemon.Stderr);
    }

    public void Dispose()
    {
        _scraper.Dispose();
        _rogue.Dispose();
        _journal.Dispose();
        _tree.Dispose();
    }
}
