using System.Globalization;
using System.Text.Json;

namespace TaintWatch.Watch;

/// <summary>
/// An undelivered event as the state file keeps it (docs/state-file.md): its facts under stable names, the kind
/// as a stable string. Version 1 kept journald fields and the enum member's name; it is still read, so an
/// upgraded host delivers what its older daemon had decided.
/// </summary>
public static class StateEventFormat
{
    public static void Write(Utf8JsonWriter w, WatchEvent e)
    {
        w.WriteStartObject();
        w.WriteString("kind", WatchEventKinds.Name(e.Kind));
        w.WriteNumber("priority", e.Priority);
        w.WriteString("message", e.Message);
        w.WriteString("event_id", e.EventId);
        w.WriteString("taint_table", e.TaintTable);
        w.WriteString("kernel_release", e.KernelRelease);
        if (e.Taint is { } t)
        {
            w.WriteStartObject("taint");
            w.WriteNumber("bit", t.Bit);
            w.WriteString("flag", t.Letter.ToString());
            w.WriteString("name", t.Name);
            w.WriteNumber("mask", t.Mask);
            w.WriteStartArray("carriers");
            foreach (var c in t.Carriers)
            {
                w.WriteStringValue(c);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        if (e.Module is { } m)
        {
            w.WriteStartObject("module");
            w.WriteString("name", m.Name);
            w.WriteString("taint", m.TaintLetters);
            w.WriteString("signature", m.SignatureState);
            w.WriteString("signer", m.Signer);
            w.WriteString("sig_key", m.SigKey);
            w.WriteString("sig_hashalgo", m.HashAlgorithm);
            w.WriteString("file", m.File);
            w.WriteString("version", m.Version);
            w.WriteString("srcversion", m.SrcVersion);
            w.WriteString("signature_problem", m.SignatureProblem);
            if (m.Expected is bool expected)
            {
                w.WriteBoolean("expected", expected);
            }
            w.WriteString("verified", m.Verified);
            w.WriteString("verified_by", m.VerifiedBy);
            w.WriteString("verify_problem", m.VerifyProblem);
            w.WriteEndObject();
        }
        w.WriteBoolean("seen_late", e.SeenLate);
        w.WriteBoolean("transient", e.Transient);
        w.WriteBoolean("present_at_start", e.PresentAtStart);
        w.WriteString("match_evidence", e.MatchEvidence);
        w.WriteString("explanation", e.Explanation);
        w.WriteString("listing", e.Listing);
        if (e.LivePatch is { } p)
        {
            w.WriteStartObject("livepatch");
            w.WriteString("name", p.Name);
            w.WriteString("change", p.Change);
            w.WriteString("enabled", p.Enabled);
            w.WriteString("transition", p.Transition);
            if (p.Objects is not null)
            {
                w.WriteStartArray("objects");
                foreach (var o in p.Objects)
                {
                    w.WriteStringValue(o);
                }
                w.WriteEndArray();
            }
            if (p.Functions is int functions)
            {
                w.WriteNumber("functions", functions);
            }
            if (p.TransitionSeconds is long seconds)
            {
                w.WriteNumber("transition_seconds", seconds);
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    public static WatchEvent Read(JsonElement e)
    {
        var kindName = e.GetProperty("kind").GetString() ?? "";
        if (!WatchEventKinds.TryParse(kindName, out var kind))
        {
            throw new JsonException($"unknown event kind \"{kindName}\"");
        }
        var result = new WatchEvent(kind, e.GetProperty("priority").GetInt32(), Text(e, "message") ?? "", Text(e, "event_id") ?? "", Text(e, "taint_table"), Text(e, "kernel_release"))
        {
            SeenLate = Flag(e, "seen_late"),
            Transient = Flag(e, "transient"),
            PresentAtStart = Flag(e, "present_at_start"),
            MatchEvidence = Text(e, "match_evidence"),
            Explanation = Text(e, "explanation"),
            Listing = Text(e, "listing"),
        };
        if (e.TryGetProperty("livepatch", out var lp) && lp.ValueKind == JsonValueKind.Object)
        {
            result = result with
            {
                LivePatch = new LivePatchFacts(Text(lp, "name") ?? throw new JsonException("a live patch event without a patch name"), Text(lp, "change") ?? "", Text(lp, "enabled"), Text(lp, "transition"),
                    lp.TryGetProperty("objects", out _) ? Strings(lp, "objects") : null,
                    lp.TryGetProperty("functions", out var fn) ? fn.GetInt32() : null,
                    lp.TryGetProperty("transition_seconds", out var ts) ? ts.GetInt64() : null),
            };
        }
        if (e.TryGetProperty("taint", out var t) && t.ValueKind == JsonValueKind.Object)
        {
            var flag = Text(t, "flag") is { Length: 1 } f ? f[0] : throw new JsonException("a taint flag is not one letter");
            result = result with { Taint = new TaintBitFacts(t.GetProperty("bit").GetInt32(), flag, Text(t, "name") ?? "", t.GetProperty("mask").GetUInt64(), Strings(t, "carriers")) };
        }
        if (e.TryGetProperty("module", out var m) && m.ValueKind == JsonValueKind.Object)
        {
            bool? expected = m.TryGetProperty("expected", out var x) ? x.GetBoolean() : null;
            result = result with
            {
                Module = new ModuleFacts(Text(m, "name") ?? throw new JsonException("a module event without a module name"), Text(m, "taint"), Text(m, "signature"), Text(m, "signer"),
                    Text(m, "sig_key"), Text(m, "sig_hashalgo"), Text(m, "file"), Text(m, "version"), Text(m, "srcversion"), Text(m, "signature_problem"), expected,
                    Text(m, "verified"), Text(m, "verified_by"), Text(m, "verify_problem")),
            };
        }
        return result;
    }

    /// <summary>Version 1: {"kind": enum member name, "priority", "message", "fields": [[NAME, value], …]} with journald's field names.</summary>
    public static WatchEvent ReadVersion1(JsonElement e)
    {
        var kindName = e.GetProperty("kind").GetString() ?? "";
        if (!Enum.TryParse<WatchEventKind>(kindName, ignoreCase: false, out var kind) || !Enum.IsDefined(kind))
        {
            throw new JsonException($"unknown event kind \"{kindName}\"");
        }
        var fields = e.GetProperty("fields").EnumerateArray()
            .Select(f => (Name: f[0].GetString() ?? "", Value: f[1].GetString() ?? "")).ToList();
        string? One(string name) => fields.Where(f => f.Name == name).Select(f => f.Value).FirstOrDefault();
        var modules = fields.Where(f => f.Name == "MODULE").Select(f => f.Value).ToList();
        var result = new WatchEvent(kind, e.GetProperty("priority").GetInt32(), e.GetProperty("message").GetString() ?? "", One("TAINTWATCH_EVENT_ID") ?? "", One("TAINT_TABLE"), One("KERNEL_RELEASE"))
        {
            SeenLate = One("SEEN_LATE") == "1",
            Transient = One("MODULE_TRANSIENT") == "1",
            PresentAtStart = One("PRESENT_AT_START") == "1",
            MatchEvidence = One("MATCH_EVIDENCE"),
        };
        if (One("TAINT_BIT") is { } bit)
        {
            var flag = One("TAINT_FLAG") is { Length: 1 } f ? f[0] : '?';
            result = result with
            {
                Taint = new TaintBitFacts(int.Parse(bit, CultureInfo.InvariantCulture), flag, One("TAINT_NAME") ?? "", ulong.Parse(One("TAINT_MASK") ?? "0", CultureInfo.InvariantCulture), modules),
            };
        }
        else if (modules.Count > 0)
        {
            bool? expected = One("MODULE_EXPECTED") switch { "1" => true, "0" => false, _ => null };
            result = result with
            {
                Module = new ModuleFacts(modules[0], One("MODULE_TAINT"), One("MODULE_SIGNATURE"), One("MODULE_SIGNER"), One("MODULE_SIG_KEY"), One("MODULE_SIG_HASHALGO"),
                    One("MODULE_FILE"), One("MODULE_VERSION"), One("MODULE_SRCVERSION"), One("MODULE_SIGNATURE_PROBLEM"), expected),
            };
        }
        return result;
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetString() : null;

    private static bool Flag(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.GetBoolean();

    private static List<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : [];
}
