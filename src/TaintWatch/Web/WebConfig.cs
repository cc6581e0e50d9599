using System.Net.Security;
using System.Security.Authentication;
using TaintWatch.Config;
using YamlDotNet.RepresentationModel;

namespace TaintWatch.Web;

/// <summary>The TLS part of a web config: where the certificate and key are, and which protocol versions and suites.</summary>
/// <param name="CertFile">cert_file (resolved against the config's directory), or null when the PEM is inline (cert).</param>
/// <param name="CertPem">cert: the PEM itself, or null.</param>
/// <param name="ClientCaFile">client_ca_file (resolved), or null; ClientCaPem is client_ca, the PEM inline.</param>
public sealed record TlsServerConfig(string? CertFile, string? KeyFile, string? CertPem, string? KeyPem, SslProtocols Protocols, IReadOnlyList<TlsCipherSuite>? CipherSuites,
    ClientAuth ClientAuth = ClientAuth.NoClientCert, string? ClientCaFile = null, string? ClientCaPem = null, IReadOnlyList<string>? ClientAllowedSans = null);

/// <summary>rate_limit: at most one request per Interval on average, Burst at once (golang.org/x/time/rate's token bucket).</summary>
public sealed record RateLimit(TimeSpan Interval, int Burst);

/// <summary>
/// --web.config.file in Prometheus exporter-toolkit's schema (docs/web-configuration.md): tls_server_config,
/// http_server_config, basic_auth_users and rate_limit, with its names and its refusals (go-yaml's strict mode:
/// an unknown key is an error, so a typo cannot silently turn TLS or authentication off). What .NET cannot do as
/// Go does (curve_preferences, TLS 1.0/1.1) is refused rather than ignored. Every error
/// names the file, the line and what to write instead. Read with YamlDotNet's node model (no reflection: NativeAOT).
/// </summary>
public sealed record WebConfig(TlsServerConfig? Tls, IReadOnlyDictionary<string, string> Users, IReadOnlyList<KeyValuePair<string, string>> Headers, RateLimit? RateLimit)
{
    public static readonly WebConfig Empty = new(null, new Dictionary<string, string>(), [], null);

    public bool UsesTls => Tls is not null;

    /// <summary>Go's TLS version names (crypto/tls), as exporter-toolkit's min_version and max_version take them.</summary>
    private static readonly Dictionary<string, SslProtocols?> Versions = new(StringComparer.Ordinal)
    {
        ["TLS13"] = SslProtocols.Tls13,
        ["TLS12"] = SslProtocols.Tls12,
        ["TLS11"] = null,
        ["TLS10"] = null,
    };

    /// <summary>The names Go's tls.CipherSuites() lists, which exporter-toolkit's cipher_suites accepts (the TLS 1.3 ones always apply).</summary>
    private static readonly string[] CipherSuiteNames =
    [
        "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ];

    private static readonly TlsCipherSuite[] Tls13Suites = [TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256];

    private static readonly string[] Curves = ["CurveP256", "CurveP384", "CurveP521", "X25519"];

    private static readonly string[] ClientAuthTypes = ["NoClientCert", "RequestClientCert", "RequireAnyClientCert", "RequireClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"];

    /// <summary>The headers exporter-toolkit lets a web config add, with the only values it accepts where it names them.</summary>
    private static readonly Dictionary<string, string[]> ExtraHeaders = new(StringComparer.Ordinal)
    {
        ["Strict-Transport-Security"] = [],
        ["X-Content-Type-Options"] = ["nosniff"],
        ["X-Frame-Options"] = ["deny", "sameorigin"],
        ["X-XSS-Protection"] = [],
        ["Content-Security-Policy"] = [],
    };

    public static WebConfig Load(string path)
    {
        if (SafeYaml.LoadRoot(path) is not { } root)
        {
            return Empty;
        }
        var reader = new Reader(path);
        TlsServerConfig? tls = null;
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        var headers = new List<KeyValuePair<string, string>>();
        RateLimit? rateLimit = null;
        foreach (var (key, value) in reader.Mapping(root, "the file"))
        {
            switch (key)
            {
                case "tls_server_config":
                    tls = ReadTls(reader, value);
                    break;
                case "basic_auth_users":
                    foreach (var (user, hash) in reader.Mapping(value, "basic_auth_users"))
                    {
                        var text = reader.Scalar(hash, $"the password of {user}");
                        if (!BcryptHash.TryCost(text, out _))
                        {
                            throw reader.Error(hash, $"the password of {user} is not a bcrypt hash (\"$2y$\", a cost from 04 to 31, \"$\", 53 characters); write the output of: htpasswd -nBC 10 \"\" | tr -d ':\\n'");
                        }
                        users[user] = text;
                    }
                    break;
                case "http_server_config":
                    foreach (var (httpKey, httpValue) in reader.Mapping(value, "http_server_config"))
                    {
                        switch (httpKey)
                        {
                            case "http2":
                                reader.Bool(httpValue, "http_server_config.http2"); // HTTP/1.1 is served either way; a client offered h2 by ALPN falls back
                                break;
                            case "headers":
                                foreach (var (name, headerValue) in reader.Mapping(httpValue, "http_server_config.headers"))
                                {
                                    headers.Add(new(name, ReadHeader(reader, name, headerValue)));
                                }
                                break;
                            default:
                                throw reader.Error(httpValue, $"http_server_config.{httpKey} is not a setting; write http2 or headers");
                        }
                    }
                    break;
                case "rate_limit":
                    rateLimit = ReadRateLimit(reader, value);
                    break;
                default:
                    throw reader.Error(value, $"unknown key {key}; write tls_server_config, http_server_config, basic_auth_users or rate_limit");
            }
        }
        return new WebConfig(tls, users, headers, rateLimit);
    }

    private static TlsServerConfig? ReadTls(Reader reader, YamlNode node)
    {
        string? certFile = null, keyFile = null, cert = null, key = null, clientAuth = null, clientCaFile = null, clientCa = null;
        List<string>? allowedSans = null;
        SslProtocols min = SslProtocols.Tls12, max = SslProtocols.Tls13;
        List<TlsCipherSuite>? suites = null;
        foreach (var (name, value) in reader.Mapping(node, "tls_server_config"))
        {
            switch (name)
            {
                case "cert_file":
                    certFile = reader.OptionalPath(value);
                    break;
                case "key_file":
                    keyFile = reader.OptionalPath(value);
                    break;
                case "cert":
                    cert = reader.Optional(value);
                    break;
                case "key":
                    key = reader.Optional(value);
                    break;
                case "min_version":
                    min = ReadVersion(reader, value, name);
                    break;
                case "max_version":
                    max = ReadVersion(reader, value, name);
                    break;
                case "cipher_suites":
                    suites = [];
                    foreach (var item in reader.Sequence(value, name))
                    {
                        var suite = reader.Scalar(item, "a cipher suite");
                        if (!CipherSuiteNames.Contains(suite, StringComparer.Ordinal))
                        {
                            throw reader.Error(item, $"unknown cipher: {suite}; write Go's names, such as {string.Join(", ", CipherSuiteNames.Skip(13))}");
                        }
                        suites.Add(Enum.Parse<TlsCipherSuite>(suite));
                    }
                    break;
                case "curve_preferences":
                    foreach (var item in reader.Sequence(value, name))
                    {
                        var curve = reader.Scalar(item, "a curve");
                        if (!Curves.Contains(curve, StringComparer.Ordinal))
                        {
                            throw reader.Error(item, $"unknown curve: {curve}; write {string.Join(", ", Curves)}");
                        }
                    }
                    throw reader.Error(value, "curve_preferences cannot be applied by TaintWatch (.NET does not let a server choose its TLS groups); remove it to use OpenSSL's (X25519, P-256, P-384, P-521)");
                case "prefer_server_cipher_suites":
                    reader.Bool(value, name); // no effect in Go since 1.18 either
                    break;
                case "client_auth_type":
                    clientAuth = reader.Optional(value);
                    if (clientAuth is not null && !ClientAuthTypes.Contains(clientAuth, StringComparer.Ordinal))
                    {
                        throw reader.Error(value, $"invalid ClientAuth: {clientAuth}; write one of {string.Join(", ", ClientAuthTypes)}");
                    }
                    break;
                case "client_ca_file":
                    clientCaFile = reader.OptionalPath(value);
                    break;
                case "client_ca":
                    clientCa = reader.Optional(value);
                    break;
                case "client_allowed_sans":
                    allowedSans = [.. reader.Sequence(value, name).Select(item => reader.Scalar(item, "a subject alternative name"))];
                    break;
                default:
                    throw reader.Error(value, $"tls_server_config.{name} is not a setting; write cert_file, key_file (or cert, key), min_version, max_version, cipher_suites, prefer_server_cipher_suites, client_auth_type, client_ca_file (or client_ca), client_allowed_sans");
            }
        }
        // "RequireClientCert" is exporter-toolkit's older name for RequireAnyClientCert.
        var auth = clientAuth is null ? ClientAuth.NoClientCert : Enum.Parse<ClientAuth>(clientAuth == "RequireClientCert" ? "RequireAnyClientCert" : clientAuth);
        if ((clientCaFile is not null || clientCa is not null) && auth == ClientAuth.NoClientCert)
        {
            throw reader.Error(node, "client CA's have been configured without a Client Auth Policy; write client_auth_type: RequireAndVerifyClientCert (or remove client_ca_file)");
        }
        if (allowedSans is not null && auth is not (ClientAuth.RequireAnyClientCert or ClientAuth.RequireAndVerifyClientCert))
        {
            throw reader.Error(node, "client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert; write one of them");
        }
        if (certFile is null && cert is null && keyFile is null && key is null)
        {
            return null; // as exporter-toolkit: no certificate, no key, no TLS
        }
        if (certFile is null && cert is null)
        {
            throw reader.Error(node, "tls_server_config needs both cert_file and key_file: missing one of cert or cert_file");
        }
        if (keyFile is null && key is null)
        {
            throw reader.Error(node, "tls_server_config needs both cert_file and key_file: missing one of key or key_file");
        }
        if (min > max)
        {
            throw reader.Error(node, $"min_version is above max_version; write a min_version no higher than max_version");
        }
        var protocols = (min <= SslProtocols.Tls12 ? SslProtocols.Tls12 : SslProtocols.None) | (max >= SslProtocols.Tls13 ? SslProtocols.Tls13 : SslProtocols.None);
        return new TlsServerConfig(certFile, keyFile, certFile is null ? cert : null, keyFile is null ? key : null, protocols,
            suites is null ? null : [.. suites.Union(Tls13Suites)], auth, clientCaFile, clientCaFile is null ? clientCa : null, allowedSans);
    }

    private static SslProtocols ReadVersion(Reader reader, YamlNode node, string name)
    {
        var text = reader.Scalar(node, name);
        if (!Versions.TryGetValue(text, out var version))
        {
            throw reader.Error(node, $"unknown TLS version: {text}; write TLS12 or TLS13 (upper case, no dot)");
        }
        return version ?? throw reader.Error(node, $"{name} {text}: TaintWatch serves TLS 1.2 and 1.3 only; write TLS12 or TLS13");
    }

    private static string ReadHeader(Reader reader, string name, YamlNode node)
    {
        var value = reader.Scalar(node, $"header {name}");
        if (!ExtraHeaders.TryGetValue(name, out var allowed))
        {
            throw reader.Error(node, $"HTTP header \"{name}\" can not be configured; write one of {string.Join(", ", ExtraHeaders.Keys)}");
        }
        if (allowed.Length > 0 && !allowed.Contains(value, StringComparer.Ordinal))
        {
            throw reader.Error(node, $"invalid value for {name}: \"{value}\"; write one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}");
        }
        if (value.Any(c => c < 0x20 || c == 0x7f))
        {
            throw reader.Error(node, $"the value of {name} has a control character; write it on one line");
        }
        return value;
    }

    private static RateLimit? ReadRateLimit(Reader reader, YamlNode node)
    {
        var interval = TimeSpan.Zero;
        var burst = 0;
        foreach (var (name, value) in reader.Mapping(node, "rate_limit"))
        {
            switch (name)
            {
                case "interval":
                    var text = reader.Scalar(value, "rate_limit.interval");
                    if (text != "0" && !Cli.DurationParser.TryParse(text, out interval))
                    {
                        throw reader.Error(value, $"rate_limit.interval \"{text}\" is not a duration; write one such as 1s or 100ms");
                    }
                    break;
                case "burst":
                    if (!int.TryParse(reader.Scalar(value, "rate_limit.burst"), System.Globalization.NumberStyles.None, null, out burst))
                    {
                        throw reader.Error(value, "rate_limit.burst must be a whole number; write one such as 10");
                    }
                    break;
                default:
                    throw reader.Error(value, $"rate_limit.{name} is not a setting; write interval and burst");
            }
        }
        if (interval == TimeSpan.Zero)
        {
            return null; // as exporter-toolkit: no interval, no limit
        }
        if (burst < 1)
        {
            throw reader.Error(node, "rate_limit.burst must be at least 1 (0 refuses every request); write burst: 1 or more");
        }
        return new RateLimit(interval, burst);
    }

    /// <summary>Reads nodes and turns what is wrong with them into "file: line N: what; write what".</summary>
    private sealed class Reader(string path)
    {
        public InvalidDataException Error(YamlNode node, string message) => new($"{path}: line {node.Start.Line}: {message}");

        public IEnumerable<(string Key, YamlNode Value)> Mapping(YamlNode node, string what)
        {
            if (node is YamlScalarNode { Value: null or "" })
            {
                return []; // an empty section, as "basic_auth_users:" with nothing under it
            }
            if (node is not YamlMappingNode mapping)
            {
                throw Error(node, $"{what} must be a mapping of names to values");
            }
            return mapping.Children.Select(pair => (Scalar(pair.Key, $"a key of {what}"), pair.Value));
        }

        public IEnumerable<YamlNode> Sequence(YamlNode node, string what) =>
            node as YamlSequenceNode ?? throw Error(node, $"{what} must be a list, such as [{what switch { "cipher_suites" => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", _ => "X25519" }}]");

        public string Scalar(YamlNode node, string what) =>
            node is YamlScalarNode { Value: { } value } ? value : throw Error(node, $"{what} must be a plain value");

        /// <summary>A value that may be left empty, as Go's zero value: null then.</summary>
        public string? Optional(YamlNode node) => Scalar(node, "the value") is { Length: > 0 } text ? text : null;

        public string? OptionalPath(YamlNode node) => Optional(node) is { } file
            ? Path.IsPathRooted(file) ? file : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, file)
            : null;

        public bool Bool(YamlNode node, string what) => Scalar(node, what) switch
        {
            "true" or "True" or "TRUE" or "yes" or "on" => true,
            "false" or "False" or "FALSE" or "no" or "off" => false,
            var other => throw Error(node, $"{what} \"{other}\" is not a boolean; write true or false"),
        };
    }
}
