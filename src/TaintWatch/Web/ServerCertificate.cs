using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TaintWatch.Web;

/// <summary>
/// The certificate and key served, re-read when their files change: exporter-toolkit reads them again for every
/// TLS handshake, so a certificate renewed by certmonger or an ACME client is served without a restart. Here each
/// handshake costs a stat of the two files, and they are read again only when one changed (size or modification
/// time). A replacement that does not load (say, the certificate written but not yet its key) keeps the pair
/// served before and is logged once; it is tried again when the files next change.
/// </summary>
public sealed class ServerCertificate
{
    private readonly string? _certFile;
    private readonly string? _keyFile;
    private readonly Action<string> _log;
    private readonly object _lock = new();
    private SslStreamCertificateContext _context;
    private (long, DateTime, long, DateTime) _stamp;
    private (long, DateTime, long, DateTime)? _failedStamp;

    private ServerCertificate(string? certFile, string? keyFile, SslStreamCertificateContext context, (long, DateTime, long, DateTime) stamp, Action<string> log)
    {
        (_certFile, _keyFile, _context, _stamp, _log) = (certFile, keyFile, context, stamp, log);
    }

    /// <summary>Loads the pair now; InvalidDataException says why it cannot be served.</summary>
    public static ServerCertificate Load(TlsServerConfig tls, Action<string> log)
    {
        if (tls.CertFile is null || tls.KeyFile is null)
        {
            // Inline PEM (or one inline, one file): nothing on disk to watch for the inline part.
            var certPem = tls.CertPem ?? Read(tls.CertFile!, "cert_file");
            var keyPem = tls.KeyPem ?? Read(tls.KeyFile!, "key_file");
            return new ServerCertificate(null, null, Create(() => X509Certificate2.CreateFromPem(certPem, keyPem), "cert / key"), default, log);
        }
        (long, DateTime, long, DateTime) stamp;
        try
        {
            stamp = Stamp(tls.CertFile, tls.KeyFile);
        }
        catch (InvalidDataException e)
        {
            throw Unusable($"{tls.CertFile} / {tls.KeyFile}", e.InnerException ?? e);
        }
        var context = Create(() => X509Certificate2.CreateFromPemFile(tls.CertFile, tls.KeyFile), $"{tls.CertFile} / {tls.KeyFile}");
        return new ServerCertificate(tls.CertFile, tls.KeyFile, context, stamp, log);
    }

    /// <summary>What to serve to the connection being set up; re-reads the files first if they changed.</summary>
    public SslStreamCertificateContext Current()
    {
        if (_certFile is null || _keyFile is null)
        {
            return _context;
        }
        (long, DateTime, long, DateTime) stamp;
        try
        {
            stamp = Stamp(_certFile, _keyFile);
        }
        catch (InvalidDataException)
        {
            return _context; // a file briefly missing while it is replaced
        }
        lock (_lock)
        {
            if (stamp == _stamp || stamp == _failedStamp)
            {
                return _context;
            }
            try
            {
                _context = Create(() => X509Certificate2.CreateFromPemFile(_certFile, _keyFile), $"{_certFile} / {_keyFile}");
                _stamp = stamp;
                _failedStamp = null;
                _log($"TLS certificate {_certFile} changed on disk: serving the new one ({_context.TargetCertificate.Subject}, valid until {_context.TargetCertificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC) to new connections");
            }
            catch (InvalidDataException e)
            {
                _failedStamp = stamp;
                _log($"TLS certificate or key changed on disk but cannot be used ({e.Message}); still serving the previous one");
            }
            return _context;
        }
    }

    private static (long, DateTime, long, DateTime) Stamp(string certFile, string keyFile)
    {
        try
        {
            var cert = new FileInfo(certFile);
            var key = new FileInfo(keyFile);
            return (cert.Length, cert.LastWriteTimeUtc, key.Length, key.LastWriteTimeUtc);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    private static string Read(string file, string what)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"cannot read {what} {file}: {e.Message}", e);
        }
    }

    private static SslStreamCertificateContext Create(Func<X509Certificate2> load, string what)
    {
        try
        {
            var certificate = load();
            if (!certificate.HasPrivateKey)
            {
                throw new InvalidDataException($"{what}: the key does not belong to the certificate");
            }
            return SslStreamCertificateContext.Create(certificate, additionalCertificates: null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw Unusable(what, e);
        }
    }

    private static InvalidDataException Unusable(string what, Exception e) =>
        new($"cannot load the TLS certificate and key {what}: {e.Message}; the key must be the certificate's, both PEM, and readable by the service user (chgrp taintwatch key.pem; chmod 0640 key.pem)", e);
}
