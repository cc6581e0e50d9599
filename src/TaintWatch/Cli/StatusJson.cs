using System.Text.Json;

namespace TaintWatch.Cli;

/// <summary>`taintwatch status --json`: the versioned contract of docs/json/status.md (schema_version 1).</summary>
public static class StatusJson
{
    private static string StateOf(Kernel.LoadedModule m) =>
        m.Proc?.State.ToString().ToLowerInvariant() ?? m.Sys?.InitState ?? "unknown";

    public static void Write(StatusReport report, Utf8JsonWriter w)
    {
        var s = report.Snapshot;
        var posture = report.Posture;
        w.WriteStartObject();
        w.WriteNumber("schema_version", 1);
        w.WriteString("kernel_release", s.Release);
        w.WriteString("boot_id", s.BootId);
        w.WriteString("taint_table", s.Table.Id);
        w.WriteString("taint_table_reason", s.TableReason);
        if (s.TaintMask is ulong mask)
        {
            w.WriteNumber("taint_mask", mask);
            w.WriteString("tainted_string", s.Table.FormatTaintedString(mask));
        }
        else
        {
            w.WriteNull("taint_mask");
            w.WriteNull("tainted_string");
        }
        w.WriteBoolean("tainted", s.IsTainted);
        JsonOutput.WriteFlags(w, "flags", s.SetFlags);
        JsonOutput.WriteBooleanOrNull(w, "sig_enforce", s.SigEnforce);
        w.WriteStartObject("security");
        w.WriteString("secure_boot", posture.SecureBoot);
        w.WriteString("lockdown", posture.Lockdown);
        w.WriteString("sig_enforce", posture.SigEnforce);
        if (report.Host.SigningKey is { } key)
        {
            w.WriteStartObject("kernel_signing_key");
            w.WriteString("signer", key.Signer);
            w.WriteString("sig_key", key.KeyHex);
            w.WriteString("sig_hashalgo", key.HashAlgorithm);
            w.WriteNumber("modules", key.Modules);
            w.WriteNumber("other_intree_signed_modules", key.Others);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("kernel_signing_key");
        }
        w.WriteStartArray("problems");
        foreach (var problem in posture.Problems)
        {
            w.WriteStringValue(problem);
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteBoolean("modules_supported", s.ModulesSupported);
        w.WriteString("expected_modules_file", report.Expected?.Path);
        w.WriteStartArray("modules");
        foreach (var status in report.OrderedModules)
        {
            var m = status.Module;
            w.WriteStartObject();
            w.WriteString("name", m.Name);
            w.WriteString("taint", m.TaintLetters);
            w.WriteString("taint_source", m.TaintSource);
            w.WriteString("state", StateOf(m));
            if (m.Proc is { } p)
            {
                w.WriteNumber("size", p.Size);
                if (p.RefCount is int rc)
                {
                    w.WriteNumber("refcount", rc);
                }
                w.WriteStartArray("holders");
                foreach (var h in p.Holders)
                {
                    w.WriteStringValue(h);
                }
                w.WriteEndArray();
            }
            w.WriteString("version", m.Sys?.Version);
            w.WriteString("srcversion", m.Sys?.SrcVersion);
            w.WriteString("build_id", m.Sys?.BuildId);
            var f = status.File;
            w.WriteString("file", f?.Location.Path);
            w.WriteBoolean("builtin", f?.Location.IsBuiltIn ?? false);
            JsonOutput.WriteBooleanOrNull(w, "file_matches_loaded", f?.MatchesLoaded);
            w.WriteString("file_match_evidence", f?.MatchEvidence);
            InspectionJson.WriteSignature(w, "signature", status.Signature, status.Verification);
            JsonOutput.WriteBooleanOrNull(w, "expected", status.Expected);
            w.WriteString("origin", status.Origin.Kind);
            w.WriteString("vermagic", status.Vermagic);
            if (status.Origin.WeakTarget is { } target)
            {
                w.WriteString("weak_target", target);
                w.WriteString("weak_target_release", status.Origin.WeakTargetRelease);
                JsonOutput.WriteBooleanOrNull(w, "weak_target_kernel_installed", status.Origin.WeakTargetKernelInstalled);
            }
            if (f?.Inspection is { } file)
            {
                w.WriteString("file_version", file.Get("version"));
                w.WriteString("file_srcversion", file.Get("srcversion"));
                w.WriteString("license", file.Get("license"));
                w.WriteBoolean("intree", file.Get("intree") == "Y");
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("sources");
        foreach (var src in s.Sources)
        {
            w.WriteStartObject();
            w.WriteString("collector", src.Collector);
            w.WriteString("path", src.Path);
            w.WriteBoolean("success", src.Success);
            w.WriteString("problem", src.Problem);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("notes");
        foreach (var note in s.Notes)
        {
            w.WriteStringValue(note);
        }
        w.WriteEndArray();
        StatusLifecycleJson.Write(report, w);
        w.WriteString("verdict", report.Verdict);
        w.WriteEndObject();
    }
}
