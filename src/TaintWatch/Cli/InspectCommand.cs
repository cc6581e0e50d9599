using System.CommandLine;
using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Trust;

namespace TaintWatch.Cli;

/// <summary>`taintwatch inspect FILE|MODULE...`: modinfo's output, plus what modinfo cannot read.</summary>
public static class InspectCommand
{
    public sealed record Options(string[] Targets, bool All, string? Field, bool Strict, bool NullSeparated, bool Json, string? Release, string[]? TrustKeys = null);

    public static Command Create(GlobalOptions global)
    {
        var targets = new Argument<string[]>("module") { Description = "Module files (.ko, .ko.xz, .ko.zst, .ko.gz) or module names, looked up in <rootfs>/lib/modules/<release>/modules.dep.", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all", "-a") { Description = "Inspect every module file of the kernel's module tree and print a summary table (with --modinfo or -F: every module in that format)." };
        var field = new Option<string?>("--field", "-F") { Description = "Print only this field's values, as modinfo -F does (e.g. signer, sig_key, srcversion, build-id)." };
        var strict = new Option<bool>("--modinfo") { Description = "Print exactly what kmod's modinfo prints, without TaintWatch's extra fields." };
        var nul = new Option<bool>("--null", "-0") { Description = "Separate fields with NUL instead of newline, as modinfo -0." };
        var json = new Option<bool>("--json") { Description = "Print a JSON document instead of text." };
        var release = new Option<string?>("--kernel-release", "-k") { Description = "Kernel release whose modules to look in (default: the running kernel's, from --path.procfs)." };
        var trustKeys = TrustOptions.KeysOption();
        var command = new Command("inspect", "Read module files as modinfo does — .modinfo fields, appended PKCS#7 or X.509 signature (signer, key, hash) — plus what modinfo cannot: sign-file -k signatures, RHEL 5/6 GPG signatures, build-id; and check each signature against the keys the kernel trusts (sig_verified: valid, invalid, untrusted, revoked or unknown; sig_verified_by: the source holding the key).\n\nTrusted keys come from the kernel image (<rootfs>/lib/modules/<release>/vmlinuz, else <rootfs>/boot/vmlinuz-<release>), UEFI db and MokListRT (under --path.sysfs), and --trust.keys; revocations from dbx and MokListXRT.\n\nExamples:\n  taintwatch inspect e1000\n  taintwatch inspect -F signer /lib/modules/$(uname -r)/extra/scini.ko.xz\n  taintwatch inspect --trust.keys /etc/pki/site-module-key.der extra/scini.ko.xz\n  taintwatch inspect --all")
        {
            targets, all, field, strict, nul, json, release, trustKeys,
        };
        command.SetAction(r => Run(
            new Options(r.GetValue(targets) ?? [], r.GetValue(all), r.GetValue(field), r.GetValue(strict), r.GetValue(nul), r.GetValue(json), r.GetValue(release), r.GetValue(trustKeys)),
            global.Paths(r), StandardOutput.Writer, Console.Error));
        return command;
    }

    public static int Run(Options options, KernelPaths paths, TextWriter output, TextWriter error)
    {
        if (options.Targets.Length == 0 && !options.All)
        {
            error.WriteLine("taintwatch inspect: name a module file or module, or use --all. Try 'taintwatch inspect --help'.");
            return ExitCodes.Error;
        }
        // A short batch job: background (concurrent) collections would only add a thread's work to every pass.
        System.Runtime.GCSettings.LatencyMode = System.Runtime.GCLatencyMode.Batch;
        var os = BoundedFile.ReadText(paths.OsRelease, 256);
        var running = os.Succeeded ? os.Value!.Trim() : null;
        var release = string.IsNullOrEmpty(options.Release) ? running : options.Release;
        // modinfo's own output (--modinfo) needs no verification; everything else checks signatures, with the
        // trust anchors loaded on another core while the modules are read.
        var verify = !options.Strict;
        var trust = verify && !string.IsNullOrEmpty(release)
            ? Task.Run(() => TrustStoreLoader.Load(new TrustStoreLoader.Options(paths, release!, options.TrustKeys ?? [], running, AnchorCache.DefaultDirectory())))
            : null;
        var needsLocator = options.All || options.Targets.Any(t => !LooksLikeFile(t));
        if (needsLocator && string.IsNullOrEmpty(release))
        {
            error.WriteLine("taintwatch inspect: cannot tell the kernel release to look modules up in; give -k RELEASE");
            return ExitCodes.Error;
        }
        var locator = needsLocator ? ModuleLocator.Load(paths, release!) : null;

        var work = new List<(string Target, ModuleLocation? Location)>();
        if (options.All)
        {
            var files = ModuleTree.Files(locator!.Directory);
            if (files.Count == 0)
            {
                error.WriteLine($"taintwatch inspect: no module files under {locator.Directory}");
                return ExitCodes.Error;
            }
            work.AddRange(files.Select(f => (f, (ModuleLocation?)null)));
        }
        foreach (var target in options.Targets)
        {
            work.Add(LooksLikeFile(target) ? (target, null) : (target, locator!.Locate(target)));
        }

        var separator = options.NullSeparated ? '\0' : '\n';
        var summaryTable = options.All && options.Field is null && !options.Strict && !options.Json;
        var printModinfo = !options.Json && !summaryTable;
        Resolved Format(Resolved r) => !printModinfo || r.Inspection is not { Error: null } m ? r : r with
        {
            Text = options.Field is not null
                ? ModinfoFormatter.FormatField(m, options.Field, options.Strict, separator, r.BuiltinName)
                : ModinfoFormatter.Format(m, options.Strict, separator, r.BuiltinName),
        };
        // Reading, decompressing, hashing, checking and formatting run on every core, and results are printed in
        // the order of the arguments as they come. Signatures are checked in the same pass once the keys are loaded
        // (a cached image takes milliseconds); a file hashed before that waits, with those after it, for the keys.
        var failures = 0;
        var collected = printModinfo ? null : new List<ModuleInspection>(work.Count);
        TrustStore? store = null;
        Resolved Job((string Target, ModuleLocation? Location) item)
        {
            var r = Resolve(item.Target, item.Location, locator, verify);
            var waitsForKeys = verify && r.Inspection?.Evidence is not null && trust is { IsCompleted: false };
            return waitsForKeys ? r : Format(WithVerification(r, trust?.Result));
        }
        Resolved? Settle(Resolved r) =>
            r.Inspection?.Evidence is null ? r : trust is { IsCompleted: false } ? null : Format(WithVerification(r, trust?.Result));
        void Emit(Resolved r)
        {
            if (r.Inspection is not null)
            {
                collected?.Add(r.Inspection);
            }
            if (r.Problem is not null || r.Inspection!.Error is not null)
            {
                failures++;
                error.WriteLine(r.Problem is not null ? $"taintwatch inspect: {r.Problem}" : $"taintwatch inspect: {r.Inspection!.Path}: {r.Inspection.Error}");
            }
            else if (r.Text is not null)
            {
                output.Write(r.Text);
            }
        }
        void KeysLoaded()
        {
            // Every file is read: wait for the keys if they are still loading, then say what they lack.
            store = trust?.Result;
            TrustOptions.WarnAboutNamedKeys(error, "inspect", store, options.TrustKeys);
            if (store is { IsEmpty: true })
            {
                error.WriteLine($"taintwatch inspect: no trusted key could be read ({SignatureVerifier.DescribeSources(store)}): signatures show as unknown");
            }
        }
        ParallelWork.ForEachInOrder(work, Job, Settle, Emit, KeysLoaded, Environment.ProcessorCount);

        if (options.Json)
        {
            JsonOutput.Print(output, w =>
            {
                w.WriteStartArray();
                foreach (var inspection in collected!)
                {
                    InspectionJson.Write(w, inspection);
                }
                w.WriteEndArray();
            });
        }
        else if (summaryTable)
        {
            WriteSummary(output, collected!, store);
        }
        return failures == 0 ? ExitCodes.Ok : ExitCodes.Error;
    }

    private sealed record Resolved(ModuleInspection? Inspection, string? BuiltinName, string? Problem, string? Text = null);

    private static Resolved WithVerification(Resolved r, TrustStore? store)
    {
        if (r.Inspection?.Evidence is not { } evidence)
        {
            return r;
        }
        var verification = store is null
            ? SignatureVerification.Unknown("cannot tell which kernel's keys to check against: give -k RELEASE")
            : SignatureVerifier.Verify(evidence, store);
        return r with { Inspection = r.Inspection with { Verification = verification, Evidence = null } };
    }

    private static Resolved Resolve(string target, ModuleLocation? location, ModuleLocator? locator, bool verify)
    {
        if (location is null)
        {
            return new Resolved(ModuleInspector.Inspect(target, verify), null, null);
        }
        if (location.IsBuiltIn)
        {
            var fields = BuiltinModInfo.Read(locator!.Directory, location.Name);
            var inspection = new ModuleInspection("(builtin)", Modules.Compression.CompressionKind.None, 0, 0, fields, Modules.Signatures.ModuleSignature.Unsigned, null, null);
            return new Resolved(inspection, location.Name, null);
        }
        return location.Found ? new Resolved(ModuleInspector.Inspect(location.Path!, verify), null, null) : new Resolved(null, null, location.Problem);
    }

    private static bool LooksLikeFile(string target) =>
        target.Contains('/', StringComparison.Ordinal) || ModuleNames.IsModuleFileName(Path.GetFileName(target)) || File.Exists(target);

    private static void WriteSummary(TextWriter output, List<ModuleInspection> inspections, TrustStore? store)
    {
        var table = new TextTable("MODULE", "SIGNATURE", "VERIFIED", "SIGNER", "SIG_KEY", "HASH", "FILE");
        foreach (var m in inspections)
        {
            var s = m.Signature;
            table.Add(m.Name, s.StateName, m.Verification?.StateName ?? "-", s.Signer ?? "-", s.Key is null ? "-" : s.KeyHex, s.HashAlgorithm ?? "-", m.Path);
        }
        table.Write(output);
        var byState = inspections.GroupBy(m => m.Signature.StateName).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
        output.WriteLine();
        output.WriteLine($"{inspections.Count} module files: {string.Join(", ", byState)}");
        var verified = inspections.Where(m => m.Verification is not null).ToList();
        if (verified.Count > 0)
        {
            var byVerdict = Enum.GetValues<VerificationState>().Select(v => $"{verified.Count(m => m.Verification!.State == v)} {v.ToString().ToLowerInvariant()}");
            output.WriteLine($"{verified.Count} signatures verified: {string.Join(", ", byVerdict)}");
        }
        if (store is not null)
        {
            TrustOptions.WriteSources(output, store);
        }
    }
}
