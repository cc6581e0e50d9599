using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Packaging;

/// <summary>
/// The binary inside the el8 package, run with Debian 11's glibc 2.31 (its loader and libraries, older than the
/// 2.34 a clang link on this host would need) and OpenSSL 1.1.1, the OpenSSL generation RHEL 8 ships; and with
/// this host's OpenSSL 3, as on RHEL 9 and 10.
/// scripts/install-deps.sh unpacks both into /var/cache/taintwatch-build/debian11-root.
/// </summary>
public sealed class RuntimeCompatibilityTests : IDisposable
{
    private static readonly string CompatRoot = Path.Combine(Environment.GetEnvironmentVariable("TAINTWATCH_BUILD_CACHE") ?? "/var/cache/taintwatch-build", "debian11-root");
    private readonly TempTree _tree = new("rhel79-scini");

    private static string Loader
    {
        get
        {
            var loader = Path.Combine(CompatRoot, "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
            Assert.True(File.Exists(loader), $"{loader} is missing: run scripts/install-deps.sh");
            return loader;
        }
    }

    private static string LibraryPath => $"{CompatRoot}/lib/x86_64-linux-gnu:{CompatRoot}/usr/lib/x86_64-linux-gnu";

    private static string Shipped => RpmPackages.ShippedBinary;

    [Fact]
    public void The_shipped_binary_runs_on_glibc_2_31_where_a_binary_needing_2_34_is_refused()
    {
        var run = Tool.Run(Loader, null, "--library-path", LibraryPath, Shipped, "decode", "12801");
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("UNSIGNED_MODULE", run.Output);
        // The control: this host's bash needs GLIBC_2.34, which that loader's libc does not have.
        var control = Tool.Run(Loader, null, "--library-path", LibraryPath, "/usr/bin/bash", "-c", "true");
        Assert.NotEqual(0, control.ExitCode);
        Assert.Contains("GLIBC_2.34' not found", control.Output);
    }

    [Fact]
    public async Task It_serves_TLS_through_OpenSSL_1_1_1()
    {
        var maps = await ServeTls(Loader, "--library-path", LibraryPath, Shipped);
        // What the process really mapped: Debian 11's libc, and libssl 1.1 (the shim found no libssl.so.3 it could load).
        Assert.Contains(CompatRoot + "/usr/lib/x86_64-linux-gnu/libssl.so.1.1", maps);
        Assert.Contains(CompatRoot + "/lib/x86_64-linux-gnu/libc-2.31.so", maps);
        Assert.DoesNotContain("libssl.so.3", maps);
    }

    [Fact]
    public async Task It_serves_TLS_through_OpenSSL_3()
    {
        var maps = await ServeTls(Shipped);
        Assert.Contains("libssl.so.3", maps);
        Assert.DoesNotContain("libssl.so.1.1", maps);
    }

    /// <summary>Starts `taintwatch run` (command: the binary, or a loader and its arguments) with TLS and basic auth,
    /// scrapes it over HTTPS, and returns the process's /proc/PID/maps.</summary>
    private async Task<string> ServeTls(params string[] command)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(_tree.PathOf("tls.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(_tree.PathOf("tls.key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(_tree.PathOf("web.yml"), $"tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\nbasic_auth_users:\n  prometheus: {BCrypt.Net.BCrypt.HashPassword("s3cret", workFactor: 4)}\n");
        var port = FreePort();
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in command.Skip(1).Concat(
        [
            "run", "--path.procfs", _tree.PathOf("proc"), "--path.sysfs", _tree.PathOf("sys"), "--path.rootfs", _tree.Root,
            "--web.listen-address", $"127.0.0.1:{port}", "--web.config.file", _tree.PathOf("web.yml"), "--state.directory", _tree.PathOf("state"),
            "--log.format", "console", "--poll.uevents=false",
        ]))
        {
            start.ArgumentList.Add(arg);
        }
        using var daemon = Process.Start(start)!;
        var stderr = daemon.StandardError.ReadToEndAsync();
        try
        {
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == certificate.Thumbprint };
            using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("prometheus:s3cret")));
            HttpResponseMessage? response = null;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (response is null && DateTime.UtcNow < deadline && !daemon.HasExited)
            {
                try
                {
                    response = await client.GetAsync($"https://127.0.0.1:{port}/metrics");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200);
                }
            }
            Assert.True(response is not null, "no HTTPS answer; daemon stderr: " + (daemon.HasExited ? await stderr : "(running)"));
            Assert.Equal(HttpStatusCode.OK, response!.StatusCode);
            Assert.Contains("taintwatch_kernel_tainted_mask 536883201", await response.Content.ReadAsStringAsync());
            return File.ReadAllText($"/proc/{daemon.Id}/maps");
        }
        finally
        {
            daemon.Kill();
            await daemon.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => _tree.Dispose();
}
