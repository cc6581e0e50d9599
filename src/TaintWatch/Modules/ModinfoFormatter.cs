using System.Text;
using TaintWatch.Modules.Signatures;

namespace TaintWatch.Modules;

/// <summary>
/// Prints an inspection as kmod's modinfo (v30) does: "filename:", the .modinfo fields in file order with
/// values in column 16, the signature fields, then "parm:" lines (last-declared first). In full mode the
/// fields modinfo cannot show follow: signatures it cannot decode (sign-file -k, RHEL 5/6 GPG), build-id.
/// </summary>
public static class ModinfoFormatter
{
    /// <summary>Field names only TaintWatch prints, after modinfo's own.</summary>
    public static readonly string[] ExtraFields = ["sig_verified", "sig_verified_by", "sig_verify_problem", "sig_state", "sig_problem", "sig_location", "sig_key_type", "sig_key_algo", "sig_created", "build-id", "compression"];

    /// <param name="strict">Print exactly what modinfo prints, nothing more.</param>
    /// <param name="separator">'\n', or '\0' for modinfo -0.</param>
    public static string Format(ModuleInspection m, bool strict, char separator = '\n', string? builtinName = null)
    {
        var output = new StringBuilder();
        if (builtinName is not null)
        {
            output.Append($"{"name:",-16}{builtinName}{separator}");
        }
        output.Append($"{"filename:",-16}{(builtinName is null ? m.Path : "(builtin)")}{separator}");
        foreach (var (key, value) in FieldsInOrder(m, strict))
        {
            if (separator == '\0')
            {
                output.Append($"{key}={value}\0");
            }
            else
            {
                output.Append(key).Append(':').Append(' ', Math.Max(0, 15 - key.Length)).Append(value).Append(separator);
            }
        }
        foreach (var p in Parameters(m))
        {
            output.Append($"{"parm:",-16}{p.Name}:{FormatParameter(p)}{separator}");
        }
        if (!strict)
        {
            foreach (var (key, value) in Extras(m))
            {
                output.Append(key).Append(':').Append(' ', Math.Max(0, 15 - key.Length)).Append(value).Append(separator);
            }
        }
        return output.ToString();
    }

    /// <summary>What `modinfo -F field` prints: the values alone, one per separator.</summary>
    public static string FormatField(ModuleInspection m, string field, bool strict, char separator = '\n', string? builtinName = null)
    {
        if (field == "filename")
        {
            return (builtinName is null ? m.Path : "(builtin)") + separator;
        }
        if (field == "parm")
        {
            return string.Concat(Parameters(m).Select(p => (p.Description is null ? $"{p.Name}: ({p.Type})" : $"{p.Name}:{FormatParameter(p)}") + separator));
        }
        var fields = FieldsInOrder(m, strict).Concat(strict ? [] : Extras(m));
        return string.Concat(fields.Where(kv => kv.Key == field).Select(kv => kv.Value + separator));
    }

    private static IEnumerable<KeyValuePair<string, string>> FieldsInOrder(ModuleInspection m, bool strict)
    {
        foreach (var kv in m.ModInfo)
        {
            if (kv.Key is not ("parm" or "parmtype"))
            {
                yield return kv;
            }
        }
        var sig = m.Signature;
        if (sig.State == SignatureState.Signed && (sig.ShownByModinfo || !strict))
        {
            yield return new("sig_id", sig.Id ?? "");
            if (sig.ShownByModinfo || sig.Signer is not null)
            {
                yield return new("signer", sig.Signer ?? "");
            }
            yield return new("sig_key", HexFormat.ColonWrapped(sig.Key ?? []));
            yield return new("sig_hashalgo", sig.HashAlgorithm ?? "");
            yield return new("signature", HexFormat.ColonWrapped(sig.Value ?? []));
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> Extras(ModuleInspection m)
    {
        if (m.Verification is { } verified)
        {
            yield return new("sig_verified", verified.StateName);
            if (verified.VerifiedBy is not null)
            {
                yield return new("sig_verified_by", verified.VerifiedBy);
            }
            if (verified.Problem is not null)
            {
                yield return new("sig_verify_problem", verified.Problem);
            }
        }
        var sig = m.Signature;
        yield return new("sig_state", sig.StateName);
        if (sig.Problem is not null)
        {
            yield return new("sig_problem", sig.Problem);
        }
        if (sig.State == SignatureState.Signed)
        {
            yield return new("sig_location", sig.Location ?? "");
            yield return new("sig_key_type", sig.KeyKind ?? "");
            if (sig.PublicKeyAlgorithm is not null)
            {
                yield return new("sig_key_algo", sig.PublicKeyAlgorithm);
            }
            if (sig.Created is DateTimeOffset created)
            {
                yield return new("sig_created", created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
            }
        }
        if (m.BuildId is not null)
        {
            yield return new("build-id", m.BuildId.ToUpperInvariant());
        }
        yield return new("compression", TaintWatch.Modules.Compression.ModuleDecompressor.Name(m.Compression));
    }

    public sealed record Parameter(string Name, string? Description, string? Type);

    /// <summary>Joins parm= and parmtype= by name; like modinfo, a newly seen name goes to the front.</summary>
    public static IReadOnlyList<Parameter> Parameters(ModuleInspection m)
    {
        var list = new List<Parameter>();
        foreach (var (key, value) in m.ModInfo)
        {
            if (key is not ("parm" or "parmtype"))
            {
                continue;
            }
            var colon = value.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue; // modinfo skips "parm" values without a ':' (it prints an error instead)
            }
            var name = value[..colon];
            var rest = value[(colon + 1)..];
            var index = list.FindIndex(p => p.Name == name);
            if (index < 0)
            {
                list.Insert(0, new Parameter(name, null, null));
                index = 0;
            }
            list[index] = key == "parm" ? list[index] with { Description = rest } : list[index] with { Type = rest };
        }
        return list;
    }

    private static string FormatParameter(Parameter p) =>
        p.Description is null ? p.Type ?? "" : p.Type is null ? p.Description : $"{p.Description} ({p.Type})";
}
