using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TaintWatch.Web;

/// <summary>tls_server_config.client_auth_type, as Go's crypto/tls names and applies it.</summary>
public enum ClientAuth
{
    NoClientCert,
    RequestClientCert,
    RequireAnyClientCert,
    VerifyClientCertIfGiven,
    RequireAndVerifyClientCert,
}

/// <summary>
/// Client certificates as exporter-toolkit asks for them: whether to ask, whether one is required, whether it must
/// chain to client_ca_file / client_ca (or the system's roots when none is given) for client authentication, and
/// whether one of its subject alternative names must be in client_allowed_sans.
/// </summary>
public sealed class ClientCertificatePolicy(ClientAuth mode, X509Certificate2Collection? authorities, IReadOnlyList<string>? allowedSans)
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    public bool Ask => mode != ClientAuth.NoClientCert;

    /// <summary>Reads client_ca_file or client_ca; InvalidDataException when it holds no certificate.</summary>
    public static X509Certificate2Collection? LoadAuthorities(string? file, string? pem)
    {
        if (file is null && pem is null)
        {
            return null;
        }
        var authorities = new X509Certificate2Collection();
        try
        {
            if (file is not null)
            {
                authorities.ImportFromPemFile(file);
            }
            else
            {
                authorities.ImportFromPem(pem);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidDataException($"cannot read the client CA {file ?? "client_ca"}: {e.Message}", e);
        }
        return authorities.Count > 0 ? authorities : throw new InvalidDataException($"the client CA {file ?? "client_ca"} holds no PEM certificate; write the CA that signs the scrapers' certificates");
    }

    /// <summary>The TLS handshake's verdict on what the client sent (null: nothing).</summary>
    public bool Accepts(X509Certificate? presented)
    {
        if (presented is null)
        {
            return mode is ClientAuth.NoClientCert or ClientAuth.RequestClientCert or ClientAuth.VerifyClientCertIfGiven;
        }
        using var certificate = new X509Certificate2(presented);
        if (mode is ClientAuth.VerifyClientCertIfGiven or ClientAuth.RequireAndVerifyClientCert && !Chains(certificate))
        {
            return false;
        }
        return allowedSans is null || Sans(certificate).Any(san => allowedSans.Contains(san, StringComparer.Ordinal));
    }

    private bool Chains(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // as Go: no CRL or OCSP
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuthentication);
        if (authorities is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        }
        return chain.Build(certificate);
    }

    /// <summary>DNS names, e-mail addresses, IP addresses and URIs, as exporter-toolkit compares them.</summary>
    private static IEnumerable<string> Sans(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            foreach (var name in extension.EnumerateDnsNames())
            {
                yield return name;
            }
            foreach (IPAddress address in extension.EnumerateIPAddresses())
            {
                yield return address.ToString();
            }
        }
        // e-mail and URI names are not enumerated by .NET's extension type: read them from the formatted text.
        var formatted = certificate.Extensions["2.5.29.17"]?.Format(multiLine: true) ?? "";
        foreach (var line in formatted.Split(['\n', ','], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("RFC822 Name=", StringComparison.Ordinal) || line.StartsWith("email:", StringComparison.Ordinal))
            {
                yield return line[(line.IndexOfAny(['=', ':']) + 1)..];
            }
            else if (line.StartsWith("URL=", StringComparison.Ordinal) || line.StartsWith("URI:", StringComparison.Ordinal))
            {
                yield return line[(line.IndexOfAny(['=', ':']) + 1)..];
            }
        }
    }
}
