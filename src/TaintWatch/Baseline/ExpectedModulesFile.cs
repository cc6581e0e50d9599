using YamlDotNet.RepresentationModel;
using TaintWatch.Config;

namespace TaintWatch.Baseline;

/// <summary>
/// Reads expected-modules.yaml:
/// <code>
/// signers:
///   - signer: Red Hat Enterprise Linux kernel signing key
///     sig_key: 67:C6:8A:…          # optional
///     verified: valid              # optional: only when the signature verifies against the kernel's keys
/// modules:
///   - name: scini
///   - name: nvidia*
///     signer: NVIDIA*              # optional: only when signed so
/// taint: [P, O, E]                 # optional: the taint bits this role may carry (letters or names)
/// </code>
/// Unknown keys are errors, so that a typo cannot quietly allow or forbid a module.
/// </summary>
public static class ExpectedModulesFile
{
    public const int MaxRules = 10_000;
    public const int MaxValueLength = 1024;

    public static ExpectedModules Load(string path)
    {
        var root = SafeYaml.LoadRoot(path);
        if (root is null)
        {
            return new ExpectedModules([], [], null);
        }
        if (root is not YamlMappingNode top)
        {
            throw new InvalidDataException($"{path}: expected a mapping with the keys signers, modules and taint");
        }
        var signers = new List<SignerRule>();
        var modules = new List<ModuleRule>();
        List<string>? taint = null;
        foreach (var (keyNode, value) in top.Children)
        {
            switch (SafeYaml.Scalar(keyNode, path, "a key"))
            {
                case "signers":
                    foreach (var entry in Entries(value, path, "signers"))
                    {
                        var fields = Fields(entry, path, "signers", "signer", "sig_key", "verified");
                        var signer = fields.GetValueOrDefault("signer") ?? throw new InvalidDataException($"{path}: line {entry.Start.Line}: a signers entry needs signer");
                        signers.Add(new SignerRule(signer, Key(fields.GetValueOrDefault("sig_key"), path, entry), Verified(fields.GetValueOrDefault("verified"), path, entry)));
                    }
                    break;
                case "modules":
                    foreach (var entry in Entries(value, path, "modules"))
                    {
                        var fields = Fields(entry, path, "modules", "name", "signer", "sig_key", "verified");
                        var name = fields.GetValueOrDefault("name") ?? throw new InvalidDataException($"{path}: line {entry.Start.Line}: a modules entry needs name");
                        modules.Add(new ModuleRule(name, fields.GetValueOrDefault("signer"), Key(fields.GetValueOrDefault("sig_key"), path, entry), Verified(fields.GetValueOrDefault("verified"), path, entry)));
                    }
                    break;
                case "taint":
                    taint = TaintPolicy.Parse(value, path);
                    break;
                case var other:
                    throw new InvalidDataException($"{path}: line {keyNode.Start.Line}: unknown key \"{other}\" (expected signers, modules or taint)");
            }
            if (signers.Count + modules.Count > MaxRules)
            {
                throw new InvalidDataException($"{path}: more than {MaxRules} rules");
            }
        }
        return new ExpectedModules(signers, modules, taint);
    }

    private static IEnumerable<YamlMappingNode> Entries(YamlNode node, string path, string section)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            yield break; // "modules:" with nothing under it
        }
        if (node is not YamlSequenceNode list)
        {
            throw new InvalidDataException($"{path}: line {node.Start.Line}: {section} must be a list (entries starting with \"- \")");
        }
        foreach (var item in list)
        {
            yield return item as YamlMappingNode
                ?? throw new InvalidDataException($"{path}: line {item.Start.Line}: each {section} entry must be a mapping such as \"- name: scini\"");
        }
    }

    private static Dictionary<string, string> Fields(YamlMappingNode entry, string path, string section, params string[] allowed)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in entry.Children)
        {
            var key = SafeYaml.Scalar(k, path, "a key");
            if (!allowed.Contains(key))
            {
                throw new InvalidDataException($"{path}: line {k.Start.Line}: {section} entries take {string.Join(", ", allowed)}, not \"{key}\"");
            }
            var value = SafeYaml.Scalar(v, path, key);
            if (value.Length is 0 or > MaxValueLength)
            {
                throw new InvalidDataException($"{path}: line {v.Start.Line}: {key} must be 1 to {MaxValueLength} characters");
            }
            fields[key] = value;
        }
        return fields;
    }

    /// <summary>"verified: valid" pins a rule to signatures that verify; no other value means anything yet.</summary>
    private static bool Verified(string? value, string path, YamlNode entry) => value switch
    {
        null => false,
        "valid" => true,
        _ => throw new InvalidDataException($"{path}: line {entry.Start.Line}: verified \"{value}\" must be \"valid\" (the only state a baseline pins)"),
    };

    private static string? Key(string? key, string path, YamlNode entry)
    {
        if (key is null)
        {
            return null;
        }
        var hex = ExpectedModules.NormalizeKey(key);
        if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
        {
            throw new InvalidDataException($"{path}: line {entry.Start.Line}: sig_key \"{key}\" is not hex bytes such as 67:C6:8A (as taintwatch inspect prints)");
        }
        return key;
    }
}
