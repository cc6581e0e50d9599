using System.Text.Json;
using TaintWatch.Modules;

namespace TaintWatch.Cli;

/// <summary>The JSON form of a module inspection (docs/json/inspect.schema.json).</summary>
public static class InspectionJson
{
    public static void Write(Utf8JsonWriter w, ModuleInspection m, bool includeModInfo = true)
    {
        w.WriteStartObject();
        w.WriteString("path", m.Path);
        w.WriteString("name", m.Name);
        w.WriteString("compression", TaintWatch.Modules.Compression.ModuleDecompressor.Name(m.Compression));
        w.WriteNumber("file_size", m.FileSize);
        w.WriteNumber("image_size", m.ImageSize);
        w.WriteString("error", m.Error);
        w.WriteString("build_id", m.BuildId);
        WriteSignature(w, "signature", m.Signature, m.Verification);
        if (includeModInfo)
        {
            w.WriteStartArray("modinfo");
            foreach (var (key, value) in m.ModInfo)
            {
                w.WriteStartObject();
                w.WriteString("key", key);
                w.WriteString("value", value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    public static void WriteSignature(Utf8JsonWriter w, string property, TaintWatch.Modules.Signatures.ModuleSignature s, TaintWatch.Trust.SignatureVerification? verification = null)
    {
        w.WriteStartObject(property);
        w.WriteString("state", s.StateName);
        w.WriteString("sig_id", s.Id);
        w.WriteString("signer", s.Signer);
        w.WriteString("sig_key", s.Key is null ? null : s.KeyHex);
        w.WriteString("sig_key_type", s.KeyKind);
        w.WriteString("sig_hashalgo", s.HashAlgorithm);
        w.WriteString("sig_key_algo", s.PublicKeyAlgorithm);
        w.WriteString("location", s.Location);
        if (s.Created is DateTimeOffset created)
        {
            w.WriteString("created", created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        }
        w.WriteBoolean("shown_by_modinfo", s.ShownByModinfo);
        w.WriteString("problem", s.Problem);
        w.WriteString("signature", s.Value is null ? null : HexFormat.Colon(s.Value));
        if (verification is not null)
        {
            WriteVerification(w, verification);
        }
        w.WriteEndObject();
    }

    /// <summary>"verification": {state, verified_by, problem, signature_checks, kernel_holds_key}.</summary>
    public static void WriteVerification(Utf8JsonWriter w, TaintWatch.Trust.SignatureVerification v)
    {
        w.WriteStartObject("verification");
        w.WriteString("state", v.StateName);
        w.WriteString("verified_by", v.VerifiedBy);
        w.WriteString("problem", v.Problem);
        w.WriteBoolean("signature_checks", v.SignatureChecks);
        if (v.KernelHoldsKey is bool held)
        {
            w.WriteBoolean("kernel_holds_key", held);
        }
        else
        {
            w.WriteNull("kernel_holds_key");
        }
        w.WriteEndObject();
    }
}
