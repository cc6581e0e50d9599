using System.Globalization;
using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Modules.Signatures;

namespace TaintWatch.Watch;

/// <summary>
/// Turns the difference between what the state says was reported and what the kernel shows now into events,
/// and records them in the state. Changes that happened while the daemon was down are reported once, with
/// SEEN_LATE=1; a new boot id starts afresh, reporting bits already set as "present at start".
/// </summary>
public static class EventDetector
{
    /// <param name="firstPollOfProcess">True on the daemon's first poll: anything new since the state was written happened while it was down.</param>
    /// <param name="gone">Modules whose load the kernel announced (uevent) since the last poll but that are no longer loaded.</param>
    public static List<WatchEvent> Detect(WatchState state, KernelSnapshot snapshot, IReadOnlyDictionary<string, LoadedModuleFile> files, DateTimeOffset now, bool firstPollOfProcess,
        IReadOnlyList<LoadedModuleFile>? gone = null, Baseline.ExpectedModules? baseline = null)
    {
        var events = new List<WatchEvent>();
        var bootId = snapshot.BootId ?? "unknown";
        if (state.BootId != bootId)
        {
            state.BootId = bootId;
            state.Bits.Clear();
            state.Modules.Clear();
            state.MismatchedFiles.Clear();
            state.Outbox.Clear();
            state.Initialized = false;
            state.Sequence = 0;
        }
        var startOfBoot = !state.Initialized;
        // A module already reported as loaded is handled by the unload below; only the unreported ones are transient.
        var transient = (gone ?? []).Where(f => !state.Modules.Contains(f.Module.Name) && !snapshot.Modules.Any(m => m.Name == f.Module.Name))
            .DistinctBy(f => f.Module.Name).ToList();
        var late = firstPollOfProcess && !startOfBoot;
        var seconds = now.ToUnixTimeMilliseconds() / 1000.0;

        if (snapshot.TaintMask is ulong mask)
        {
            foreach (var flag in snapshot.Table.Decode(mask).Where(f => !state.Bits.ContainsKey(f.Bit)))
            {
                state.Bits[flag.Bit] = seconds;
                var carriers = flag.Letter == '?' ? [] : snapshot.ModulesWithLetter(flag.SetChar).Select(m => m.Name)
                    .Concat(transient.Where(f => f.Module.TaintLetters.Contains(flag.SetChar, StringComparison.Ordinal)).Select(f => f.Module.Name)).ToList();
                var fields = Common(snapshot, state, startOfBoot ? "taint-present" : "taint-set", flag.Bit.ToString(CultureInfo.InvariantCulture));
                fields.Add(new("TAINT_BIT", flag.Bit.ToString(CultureInfo.InvariantCulture)));
                fields.Add(new("TAINT_FLAG", flag.Letter.ToString()));
                fields.Add(new("TAINT_NAME", flag.Name));
                fields.Add(new("TAINT_MASK", mask.ToString(CultureInfo.InvariantCulture)));
                fields.AddRange(carriers.Select(m => new KeyValuePair<string, string>("MODULE", m)));
                if (late)
                {
                    fields.Add(new("SEEN_LATE", "1"));
                }
                var by = carriers.Count > 0 ? $" (modules: {string.Join(", ", carriers)})" : "";
                events.Add(startOfBoot
                    ? new WatchEvent(WatchEventKind.TaintPresentAtStart, Priority.Info, $"Kernel taint flag {flag.Letter} ({flag.Name}, bit {flag.Bit}) was already set when watching began: {flag.Description}{by}", fields)
                    : new WatchEvent(WatchEventKind.TaintFlagSet, Priority.ForFlag(flag), $"Kernel taint flag {flag.Letter} ({flag.Name}, bit {flag.Bit}) set{(late ? " while TaintWatch was not running" : "")}: {flag.Description}{by}", fields));
            }
        }

        var loaded = snapshot.Modules.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var module in snapshot.Modules.Where(m => !state.Modules.Contains(m.Name)))
        {
            state.Modules.Add(module.Name);
            files.TryGetValue(module.Name, out var file);
            var signature = file?.Signature ?? ModuleSignature.UnknownBecause("not inspected");
            var expected = baseline?.IsExpected(module.Name, signature);
            var concerning = expected == false || expected is null && (module.IsTainting || signature.State != SignatureState.Signed);
            if (startOfBoot && !concerning)
            {
                continue; // modules already loaded at boot are only reported when they need attention
            }
            var fields = Common(snapshot, state, "module-loaded", module.Name);
            AddModuleFields(fields, module, file, signature);
            AddExpected(fields, expected);
            if (startOfBoot)
            {
                fields.Add(new("PRESENT_AT_START", "1"));
            }
            if (late)
            {
                fields.Add(new("SEEN_LATE", "1"));
            }
            var what = Describe(signature);
            events.Add(new WatchEvent(WatchEventKind.ModuleLoaded, concerning ? Priority.Warning : Priority.Info,
                $"Module {module.Name} {(startOfBoot ? "loaded at start" : "loaded")}{(module.IsTainting ? $" with taint ({module.TaintLetters})" : "")}, {what}{(expected == false ? ", NOT in the expected-modules list" : "")}", fields));
        }
        foreach (var file in transient)
        {
            var module = file.Module;
            var signature = file.Signature;
            var fields = Common(snapshot, state, "module-loaded", module.Name);
            AddModuleFields(fields, module, file, signature);
            fields.Add(new("MODULE_TRANSIENT", "1"));
            var expected = baseline?.IsExpected(module.Name, signature);
            AddExpected(fields, expected);
            var concerning = expected == false || expected is null && (module.IsTainting || signature.State != SignatureState.Signed);
            events.Add(new WatchEvent(WatchEventKind.ModuleLoaded, concerning ? Priority.Warning : Priority.Info,
                $"Module {module.Name} loaded{(module.IsTainting ? $" with taint ({module.TaintLetters})" : "")} and unloaded again before the next poll (seen by its uevent), {Describe(signature)}", fields));
            var unloaded = Common(snapshot, state, "module-unloaded", module.Name);
            unloaded.Add(new("MODULE", module.Name));
            unloaded.Add(new("MODULE_TRANSIENT", "1"));
            events.Add(new WatchEvent(WatchEventKind.ModuleUnloaded, Priority.Info, $"Module {module.Name} unloaded", unloaded));
        }
        foreach (var name in state.Modules.Where(n => !loaded.ContainsKey(n)).ToList())
        {
            state.Modules.Remove(name);
            state.MismatchedFiles.Remove(name);
            var fields = Common(snapshot, state, "module-unloaded", name);
            fields.Add(new("MODULE", name));
            if (late)
            {
                fields.Add(new("SEEN_LATE", "1"));
            }
            events.Add(new WatchEvent(WatchEventKind.ModuleUnloaded, Priority.Info, $"Module {name} unloaded", fields));
        }
        foreach (var file in files.Values.Where(f => f.MatchesLoaded == false && !state.MismatchedFiles.Contains(f.Module.Name)))
        {
            state.MismatchedFiles.Add(file.Module.Name);
            var fields = Common(snapshot, state, "module-file-changed", file.Module.Name);
            AddModuleFields(fields, file.Module, file, file.Signature);
            fields.Add(new("MATCH_EVIDENCE", file.MatchEvidence));
            events.Add(new WatchEvent(WatchEventKind.ModuleFileChanged, Priority.Warning,
                $"Module file {file.Location.Path} is not the image of loaded module {file.Module.Name} ({file.MatchEvidence} differs): replaced since it was loaded", fields));
        }
        foreach (var name in state.MismatchedFiles.Where(n => files.TryGetValue(n, out var f) && f.MatchesLoaded == true).ToList())
        {
            state.MismatchedFiles.Remove(name);
        }
        state.Initialized = true;
        return events;
    }

    private static void AddExpected(List<KeyValuePair<string, string>> fields, bool? expected)
    {
        if (expected is bool e)
        {
            fields.Add(new("MODULE_EXPECTED", e ? "1" : "0"));
        }
    }

    private static string Describe(ModuleSignature signature) => signature.State switch
    {
        SignatureState.Signed => $"signed by {signature.Signer ?? signature.KeyHex}",
        SignatureState.Unsigned => "UNSIGNED",
        _ => $"signature unknown: {signature.Problem}",
    };

    private static List<KeyValuePair<string, string>> Common(KernelSnapshot snapshot, WatchState state, string kind, string subject)
    {
        state.Sequence++;
        return
        [
            new("TAINTWATCH_EVENT_ID", $"{state.BootId}/{kind}/{subject}/{state.Sequence}"),
            new("TAINT_TABLE", snapshot.Table.Id),
            new("KERNEL_RELEASE", snapshot.Release ?? "unknown"),
        ];
    }

    private static void AddModuleFields(List<KeyValuePair<string, string>> fields, LoadedModule module, LoadedModuleFile? file, ModuleSignature signature)
    {
        fields.Add(new("MODULE", module.Name));
        fields.Add(new("MODULE_TAINT", module.TaintLetters));
        fields.Add(new("MODULE_SIGNATURE", signature.StateName));
        if (signature.Signer is not null)
        {
            fields.Add(new("MODULE_SIGNER", signature.Signer));
        }
        if (signature.Key is not null)
        {
            fields.Add(new("MODULE_SIG_KEY", signature.KeyHex));
        }
        if (signature.HashAlgorithm is not null)
        {
            fields.Add(new("MODULE_SIG_HASHALGO", signature.HashAlgorithm));
        }
        if (file?.Location.Path is { } path)
        {
            fields.Add(new("MODULE_FILE", path));
        }
        if ((module.Sys?.Version ?? file?.Inspection?.Get("version")) is { } version)
        {
            fields.Add(new("MODULE_VERSION", version));
        }
        if (module.Sys?.SrcVersion is { } src)
        {
            fields.Add(new("MODULE_SRCVERSION", src));
        }
        if (signature.Problem is not null)
        {
            fields.Add(new("MODULE_SIGNATURE_PROBLEM", signature.Problem));
        }
    }
}
