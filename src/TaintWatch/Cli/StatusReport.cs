using System.Text.Json;
using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Modules.Signatures;

namespace TaintWatch.Cli;

/// <summary>An expected-modules list and where it was read from.</summary>
public sealed record ExpectedList(string Path, Baseline.ExpectedModules Rules);

/// <summary>The status report built from a snapshot, rendered as text for people and JSON for machines.</summary>
public sealed class StatusReport
{
    private StatusReport(KernelSnapshot snapshot, IReadOnlyList<LoadedModuleFile> files, string? moduleDirectory, SecurityPosture posture, ExpectedList? expected)
    {
        Expected = expected;
        Snapshot = snapshot;
        Posture = posture;
        SigningKey = KernelSigningKey.From(files);
        ModuleDirectory = moduleDirectory;
        Files = files.ToDictionary(f => f.Module.Name, StringComparer.Ordinal);
    }

    public KernelSnapshot Snapshot { get; }

    /// <summary>Each loaded module's file, signature and image match, by module name.</summary>
    public IReadOnlyDictionary<string, LoadedModuleFile> Files { get; }

    /// <summary>&lt;rootfs&gt;/lib/modules/&lt;release&gt; where module files were looked for.</summary>
    public string? ModuleDirectory { get; }

    public SecurityPosture Posture { get; }

    /// <summary>The signer of the kernel's own (in-tree) modules, or null when none is loaded and readable.</summary>
    public KernelSigningKey? SigningKey { get; }

    /// <summary>The expected-modules list in use, or null without one.</summary>
    public ExpectedList? Expected { get; }

    public static StatusReport From(KernelSnapshot snapshot, IReadOnlyList<LoadedModuleFile> files, string? moduleDirectory, SecurityPosture posture, ExpectedList? expected = null) =>
        new(snapshot, files, moduleDirectory, posture, expected);

    /// <summary>Whether a rule of the list covers the module (as the daemon's expected label); null without a list.</summary>
    public bool? IsExpected(LoadedModule m) => Expected?.Rules.IsExpected(m.Name, SignatureOf(m));

    /// <summary>Modules that carry taint letters first, then unsigned or unknown ones, then the rest, each group by name.</summary>
    public IEnumerable<LoadedModule> OrderedModules =>
        Snapshot.Modules.OrderBy(m => m.IsTainting ? 0 : SignatureOf(m).State == SignatureState.Signed ? 2 : 1).ThenBy(m => m.Name, StringComparer.Ordinal);

    private ModuleSignature SignatureOf(LoadedModule m) =>
        Files.TryGetValue(m.Name, out var f) ? f.Signature : ModuleSignature.UnknownBecause("not inspected");

    private static string MatchText(LoadedModuleFile? f) => f?.MatchesLoaded switch
    {
        true => "yes",
        false => "NO",
        _ => "-",
    };

    /// <summary>One line an operator can paste into a ticket.</summary>
    public string Verdict
    {
        get
        {
            var s = Snapshot;
            var release = s.Release ?? "unknown release";
            if (s.TaintMask is not ulong mask)
            {
                return $"VERDICT: UNKNOWN - the taint mask could not be read (kernel {release})";
            }
            if (mask == 0)
            {
                return $"VERDICT: NOT TAINTED - kernel {release}{SignatureSummary}";
            }
            var letters = string.Join(" ", s.SetFlags.Select(f => f.Letter == '?' ? f.Name : f.Letter.ToString()));
            var tainting = s.Modules.Where(m => m.IsTainting).Select(m => $"{m.Name}({m.TaintLetters})").ToList();
            var modules = tainting.Count == 0 ? "no loaded module carries a taint letter" : "modules " + string.Join(" ", tainting);
            return $"VERDICT: TAINTED {mask} ({letters}) - kernel {release}, table {s.Table.Id}; {modules}{SignatureSummary}";
        }
    }

    private string SignatureSummary
    {
        get
        {
            var unsigned = Snapshot.Modules.Where(m => SignatureOf(m).State == SignatureState.Unsigned).Select(m => m.Name).ToList();
            var unknown = Snapshot.Modules.Count(m => SignatureOf(m).State == SignatureState.Unknown);
            var replaced = Files.Values.Where(f => f.MatchesLoaded == false).Select(f => f.Module.Name).ToList();
            var parts = new List<string>();
            if (unsigned.Count > 0)
            {
                parts.Add($"unsigned module files: {string.Join(" ", unsigned)}");
            }
            if (unknown > 0)
            {
                parts.Add($"{unknown} module files unreadable or not found");
            }
            if (replaced.Count > 0)
            {
                parts.Add($"file differs from the loaded image: {string.Join(" ", replaced)}");
            }
            return parts.Count == 0 ? "" : "; " + string.Join("; ", parts);
        }
    }

    public void WriteText(TextWriter output)
    {
        var s = Snapshot;
        output.WriteLine($"Kernel:      {s.Release ?? "unknown"}");
        output.WriteLine($"Taint table: {s.Table.Id} - {s.Table.Title} ({s.TableReason})");
        if (s.TaintMask is ulong mask)
        {
            output.WriteLine($"Taint mask:  {mask} (0x{mask:x})  '{s.Table.FormatTaintedString(mask)}'");
            var flags = s.SetFlags;
            if (flags.Count > 0)
            {
                output.WriteLine();
                var rows = new TextTable("BIT", "FLAG", "NAME", "MODULES", "MEANING");
                foreach (var flag in flags)
                {
                    var carriers = flag.Letter == '?' ? "" : string.Join(",", s.ModulesWithLetter(flag.SetChar).Select(m => m.Name));
                    rows.Add(flag.Bit.ToString(), flag.Letter.ToString(), flag.Name, carriers.Length == 0 ? "-" : carriers, flag.Description);
                }
                rows.Write(output, "  ");
            }
        }
        else
        {
            output.WriteLine("Taint mask:  unknown");
        }
        output.WriteLine($"Secure Boot: {Posture.SecureBoot}   Lockdown: {Posture.Lockdown}   Module signature enforcement (sig_enforce): {Posture.SigEnforce}");
        output.WriteLine(SigningKey is { } key
            ? $"Kernel signing key: {key.Signer} (key {(key.KeyHex.Length > 0 ? key.KeyHex : "-")}, {key.HashAlgorithm}), signs {key.Modules} loaded in-tree modules{(key.Others > 0 ? $"; {key.Others} other in-tree modules are signed by another key" : "")}"
            : "Kernel signing key: unknown (no signed in-tree module is loaded and readable)");
        output.WriteLine();
        if (!s.ModulesSupported)
        {
            output.WriteLine("Modules:     this kernel has no loadable module support (no /proc/modules), so no module can taint it.");
        }
        else
        {
            var tainting = s.Modules.Count(m => m.IsTainting);
            output.WriteLine($"Modules:     {s.Modules.Count} loaded, {tainting} carrying taint letters");
            if (s.Modules.Count > 0)
            {
                string[] columns = ["MODULE", "TAINT", "SIGNATURE", "SIGNER", "SIG_KEY", "HASH", "FILE=LOADED", "FILE"];
                var rows = new TextTable(Expected is null ? columns : [.. columns[..7], "EXPECTED", columns[7]]);
                foreach (var m in OrderedModules)
                {
                    Files.TryGetValue(m.Name, out var f);
                    var sig = SignatureOf(m);
                    string[] cells = [m.Name, m.IsTainting ? m.TaintLetters : "-", sig.StateName, sig.Signer ?? "-", ShortKey(sig), sig.HashAlgorithm ?? "-", MatchText(f),
                        f?.Location.Path ?? (f?.Location.IsBuiltIn == true ? "(builtin)" : "(not found)")];
                    rows.Add(Expected is null ? cells : [.. cells[..7], IsExpected(m) == true ? "yes" : "NO", cells[7]]);
                }
                rows.Write(output, "  ");
                if (Expected is not null)
                {
                    var unexpected = s.Modules.Where(m => IsExpected(m) == false).Select(m => m.Name).Order(StringComparer.Ordinal).ToList();
                    output.WriteLine(unexpected.Count == 0
                        ? $"  Every loaded module is on the expected list ({Expected.Path})."
                        : $"  Not on the expected list ({Expected.Path}): {string.Join(" ", unexpected)}");
                }
                var unknown = Files.Values.Where(f => f.Signature.State == SignatureState.Unknown).OrderBy(f => f.Module.Name, StringComparer.Ordinal).ToList();
                var notFound = unknown.Where(f => !f.Location.Found && !f.Location.IsBuiltIn).ToList();
                if (notFound.Count > 0)
                {
                    output.WriteLine($"  No file in {Path.Combine(ModuleDirectory ?? "lib/modules", "modules.dep")} (loaded from elsewhere with insmod, or removed since): {string.Join(" ", notFound.Select(f => f.Module.Name))}");
                }
                foreach (var f in unknown.Except(notFound))
                {
                    output.WriteLine($"  {f.Module.Name}: signature unknown: {f.Signature.Problem}");
                }
            }
        }
        foreach (var note in s.Notes)
        {
            output.WriteLine($"Note: {note}");
        }
        foreach (var source in s.Sources.Where(x => !x.Success))
        {
            output.WriteLine($"Problem: {source.Problem}");
        }
        output.WriteLine();
        output.WriteLine(Verdict);
    }

    /// <summary>Keys are long (20-byte serials): the table shows the first 8 bytes; --json has them whole.</summary>
    private static string ShortKey(ModuleSignature sig) =>
        sig.Key is null ? "-" : sig.Key.Length <= 8 ? sig.KeyHex : HexFormat.Colon(sig.Key.AsSpan(0, 8)) + "...";

    private static string StateOf(LoadedModule m) =>
        m.Proc?.State.ToString().ToLowerInvariant() ?? m.Sys?.InitState ?? "unknown";

    public void WriteJson(Utf8JsonWriter w)
    {
        var s = Snapshot;
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
        w.WriteString("secure_boot", Posture.SecureBoot);
        w.WriteString("lockdown", Posture.Lockdown);
        w.WriteString("sig_enforce", Posture.SigEnforce);
        if (SigningKey is { } key)
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
        foreach (var problem in Posture.Problems)
        {
            w.WriteStringValue(problem);
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteBoolean("modules_supported", s.ModulesSupported);
        w.WriteString("expected_modules_file", Expected?.Path);
        w.WriteStartArray("modules");
        foreach (var m in OrderedModules)
        {
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
            Files.TryGetValue(m.Name, out var f);
            w.WriteString("file", f?.Location.Path);
            w.WriteBoolean("builtin", f?.Location.IsBuiltIn ?? false);
            JsonOutput.WriteBooleanOrNull(w, "file_matches_loaded", f?.MatchesLoaded);
            w.WriteString("file_match_evidence", f?.MatchEvidence);
            InspectionJson.WriteSignature(w, "signature", SignatureOf(m));
            JsonOutput.WriteBooleanOrNull(w, "expected", IsExpected(m));
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
        w.WriteString("verdict", Verdict);
        w.WriteEndObject();
    }
}
