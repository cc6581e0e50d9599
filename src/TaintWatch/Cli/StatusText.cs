using TaintWatch.Modules;
using TaintWatch.Modules.Signatures;
using TaintWatch.Status;

namespace TaintWatch.Cli;

/// <summary>`taintwatch status` for people: the mask decoded, the posture, a table of modules and the verdict.</summary>
public static class StatusText
{
    public static void Write(StatusReport report, TextWriter output)
    {
        var s = report.Snapshot;
        var posture = report.Posture;
        output.WriteLine($"Kernel:      {s.Release ?? "unknown"}");
        output.WriteLine($"Taint table: {s.Table.Id} - {s.Table.Title} ({s.TableReason})");
        if (s.TaintMask is ulong mask)
        {
            output.WriteLine($"Taint mask:  {mask} (0x{mask:x})  '{s.Table.FormatTaintedString(mask)}'");
            var flags = s.SetFlags;
            if (flags.Count > 0)
            {
                output.WriteLine();
                // With a taint: policy, each bit is marked allowed or not (the ALLOWED column).
                var policy = report.Lifecycle?.Unexpected?.ToDictionary(u => u.Flag.Bit, u => !u.Unexpected);
                var rows = policy is null ? new TextTable("BIT", "FLAG", "NAME", "MODULES", "MEANING") : new TextTable("BIT", "FLAG", "NAME", "MODULES", "ALLOWED", "MEANING");
                foreach (var flag in flags)
                {
                    var carriers = flag.Letter == '?' ? "" : string.Join(",", s.ModulesWithLetter(flag.SetChar).Select(m => m.Name));
                    string[] cells = [flag.Bit.ToString(System.Globalization.CultureInfo.InvariantCulture), flag.Letter.ToString(), flag.Name, carriers.Length == 0 ? "-" : carriers, flag.Description];
                    rows.Add(policy is null ? cells : [.. cells[..4], policy.GetValueOrDefault(flag.Bit) ? "yes" : "NO", cells[4]]);
                }
                rows.Write(output, "  ");
                StatusLifecycleText.WriteTaint(report, output);
            }
        }
        else
        {
            output.WriteLine("Taint mask:  unknown");
        }
        output.WriteLine($"Secure Boot: {posture.SecureBoot}   Lockdown: {posture.Lockdown}   Module signature enforcement (sig_enforce): {posture.SigEnforce}");
        output.WriteLine(report.Host.SigningKey is { } key
            ? $"Kernel signing key: {key.Signer} (key {(key.KeyHex.Length > 0 ? key.KeyHex : "-")}, {key.HashAlgorithm}), signs {key.Modules} loaded in-tree modules{(key.Others > 0 ? $"; {key.Others} other in-tree modules are signed by another key" : "")}"
            : "Kernel signing key: unknown (no signed in-tree module is loaded and readable)");
        StatusLifecycleText.WriteHost(report, output);
        output.WriteLine();
        if (!s.ModulesSupported)
        {
            output.WriteLine("Modules:     this kernel has no loadable module support (no /proc/modules), so no module can taint it.");
        }
        else
        {
            WriteModules(report, output);
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
        output.WriteLine(report.Verdict);
    }

    private static void WriteModules(StatusReport report, TextWriter output)
    {
        var modules = report.Host.Modules;
        var expected = report.Expected;
        output.WriteLine($"Modules:     {modules.Count} loaded, {modules.Count(m => m.Module.IsTainting)} carrying taint letters");
        if (modules.Count == 0)
        {
            return;
        }
        string[] columns = ["MODULE", "TAINT", "SIGNATURE", "VERIFIED", "SIGNER", "SIG_KEY", "HASH", "FILE=LOADED", "ORIGIN", "FILE"];
        var rows = new TextTable(expected is null ? columns : [.. columns[..9], "EXPECTED", .. columns[9..]]);
        foreach (var m in report.OrderedModules)
        {
            var sig = m.Signature;
            string[] cells = [m.Name, m.Module.IsTainting ? m.Module.TaintLetters : "-", sig.StateName, m.Verification?.StateName ?? "-", sig.Signer ?? "-", ShortKey(sig), sig.HashAlgorithm ?? "-", MatchText(m.FileMatchesLoaded),
                m.Origin.Kind, m.FilePath ?? (m.IsBuiltIn ? "(builtin)" : "(not found)")];
            rows.Add(expected is null ? cells : [.. cells[..9], m.Expected == true ? "yes" : "NO", .. cells[9..]]);
        }
        rows.Write(output, "  ");
        StatusLifecycleText.WriteModules(report, output);
        if (expected is not null)
        {
            var unexpected = modules.Where(m => m.Expected == false).Select(m => m.Name).Order(StringComparer.Ordinal).ToList();
            output.WriteLine(unexpected.Count == 0
                ? $"  Every loaded module is on the expected list ({expected.Path})."
                : $"  Not on the expected list ({expected.Path}): {string.Join(" ", unexpected)}");
        }
        var unknown = modules.Where(m => m.Signature.State == SignatureState.Unknown && m.File is not null).OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        var notFound = unknown.Where(m => m.File!.Location.NotIndexed).ToList();
        if (notFound.Count > 0)
        {
            output.WriteLine($"  No file in {Path.Combine(report.ModuleDirectory ?? "lib/modules", "modules.dep")} (loaded from elsewhere with insmod, or removed since): {string.Join(" ", notFound.Select(m => m.Name))}");
        }
        foreach (var m in unknown.Except(notFound))
        {
            output.WriteLine($"  {m.Name}: signature unknown: {m.Signature.Problem}");
        }
        foreach (var m in modules.Where(m => m.Verification is { State: not Trust.VerificationState.Valid, Problem: not null }).OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            output.WriteLine($"  {m.Name}: signature {m.Verification!.StateName}: {m.Verification.Problem}");
        }
        if (report.Host.Trust is { } trust)
        {
            output.WriteLine("  Trusted keys:");
            var lines = new StringWriter();
            TrustOptions.WriteSources(lines, trust);
            foreach (var line in lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                output.WriteLine("    " + line);
            }
        }
    }

    private static string MatchText(bool? matches) => matches switch
    {
        true => "yes",
        false => "NO",
        _ => "-",
    };

    /// <summary>Keys are long (20-byte serials): the table shows the first 8 bytes; --json has them whole.</summary>
    private static string ShortKey(ModuleSignature sig) =>
        sig.Key is null ? "-" : sig.Key.Length <= 8 ? sig.KeyHex : HexFormat.Colon(sig.Key.AsSpan(0, 8)) + "...";
}
