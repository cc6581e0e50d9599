using YamlDotNet.RepresentationModel;

namespace TaintWatch.Web;

/// <summary>
/// --web.config.file in Prometheus exporter-toolkit's schema: tls_server_config (cert_file, key_file,
/// min_version) and basic_auth_users (name: bcrypt hash). Read with YamlDotNet's node model, which needs no
/// reflection (NativeAOT). Unknown keys are errors, as in exporter-toolkit, so a typo cannot silently
/// turn TLS or authentication off.
/// </summary>
public sealed record WebConfig(string? CertFile, string? KeyFile, string? MinVersion, IReadOnlyDictionary<string, string> Users)
{
    public bool UsesTls => CertFile is not null;

    public static WebConfig Load(string path)
    {
        if (Config.SafeYaml.LoadRoot(path) is not YamlMappingNode root)
        {
            return new WebConfig(null, null, null, new Dictionary<string, string>());
        }
        string? cert = null, key = null, minVersion = null;
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in root.Children)
        {
            switch (Scalar(k, path))
            {
                case "tls_server_config":
                    foreach (var (tk, tv) in Mapping(v, path, "tls_server_config").Children)
                    {
                        var value = Scalar(tv, path);
                        switch (Scalar(tk, path))
                        {
                            case "cert_file":
                                cert = Resolve(path, value);
                                break;
                            case "key_file":
                                key = Resolve(path, value);
                                break;
                            case "min_version":
                                minVersion = value;
                                break;
                            case var other:
                                throw new InvalidDataException($"{path}: tls_server_config.{other} is not supported (supported: cert_file, key_file, min_version)");
                        }
                    }
                    break;
                case "basic_auth_users":
                    foreach (var (uk, uv) in Mapping(v, path, "basic_auth_users").Children)
                    {
                        var hash = Scalar(uv, path);
                        if (!hash.StartsWith("$2", StringComparison.Ordinal))
                        {
                            throw new InvalidDataException($"{path}: the password of {Scalar(uk, path)} must be a bcrypt hash (htpasswd -nBC 10 \"\" | tr -d ':\\n')");
                        }
                        users[Scalar(uk, path)] = hash;
                    }
                    break;
                case "http_server_config":
                    break; // headers and HTTP/2 switches: accepted, nothing to apply
                case var other:
                    throw new InvalidDataException($"{path}: unknown key {other} (expected tls_server_config, basic_auth_users, http_server_config)");
            }
        }
        if ((cert is null) != (key is null))
        {
            throw new InvalidDataException($"{path}: tls_server_config needs both cert_file and key_file");
        }
        return new WebConfig(cert, key, minVersion, users);
    }

    private static string Resolve(string configPath, string file) =>
        Path.IsPathRooted(file) ? file : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath))!, file);

    private static string Scalar(YamlNode node, string path) =>
        node is YamlScalarNode { Value: { } value } ? value : throw new InvalidDataException($"{path}: expected a plain value at line {node.Start.Line}");

    private static YamlMappingNode Mapping(YamlNode node, string path, string name) =>
        node as YamlMappingNode ?? throw new InvalidDataException($"{path}: {name} must be a mapping");
}
