using TaintWatch.Logging;
using TaintWatch.Modules.Signatures;
using TaintWatch.Status;
using TaintWatch.Trust;

namespace TaintWatch.Watch;

/// <summary>
/// Turns the difference between what the state says was reported and what the host shows now into events,
/// and records them in the state. Changes that happened while the daemon was down are reported once, with
/// SEEN_LATE=1; a new boot id starts afresh, reporting bits already set as "present at start". A module whose
/// file is still being read is reported at a later poll, once its signature is known or has timed out.
/// </summary>
public static class EventDetector
{
    /// <param name="firstPollOfProcess">True on the daemon's first poll: anything new since the state was written happened while it was down.</param>
    /// <param name="gone">Modules whose load the kernel announced (uevent) since the last poll but that are no longer loaded.</param>
    public static List<WatchEvent> Detect(WatchState state, HostStatus host, DateTimeOffset now, bool firstPollOfProcess, IReadOnlyList<ModuleStatus>? gone = null)
    {
        var snapshot = host.Snapshot;
        var events = new List<WatchEvent>();
        var bootId = snapshot.BootId ?? "unknown";
        if (state.BootId != bootId)
        {
            state.BootId = bootId;
            state.Bits.Clear();
            state.Modules.Clear();
            state.MismatchedFiles.Clear();
            state.UnverifiedFiles.Clear();
            state.PendingAtStart.Clear();
            state.PendingLate.Clear();
            state.Outbox.Clear();
            state.Initialized = false;
            state.Sequence = 0;
        }
        var startOfBoot = !state.Initialized;
        // A module already reported as loaded is handled by the unload below; only the unreported ones are transient.
        var transient = (gone ?? []).Where(m => !state.Modules.Contains(m.Name) && host[m.Name] is null).DistinctBy(m => m.Name).ToList();
        var late = firstPollOfProcess && !startOfBoot;
        var seconds = now.ToUnixTimeMilliseconds() / 1000.0;
        var context = new Context(state, snapshot.Table.Id, snapshot.Release ?? "unknown");

        if (snapshot.TaintMask is ulong mask)
        {
            foreach (var flag in snapshot.Table.Decode(mask).Where(f => !state.Bits.ContainsKey(f.Bit)))
            {
                state.Bits[flag.Bit] = seconds;
                List<string> carriers = flag.Letter == '?' ? [] : [.. snapshot.ModulesWithLetter(flag.SetChar).Select(m => m.Name)
                    .Concat(transient.Where(m => m.Module.TaintLetters.Contains(flag.SetChar, StringComparison.Ordinal)).Select(m => m.Name))];
                var by = carriers.Count > 0 ? $" (modules: {string.Join(", ", carriers)})" : "";
                var facts = new TaintBitFacts(flag.Bit, flag.Letter, flag.Name, mask, carriers);
                var subject = flag.Bit.ToString(System.Globalization.CultureInfo.InvariantCulture);
                events.Add(startOfBoot
                    ? context.New(WatchEventKind.TaintPresentAtStart, Priority.Info, subject,
                        $"Kernel taint flag {flag.Letter} ({flag.Name}, bit {flag.Bit}) was already set when watching began: {flag.Description}{by}") with { Taint = facts, SeenLate = late }
                    : context.New(WatchEventKind.TaintFlagSet, Priority.ForFlag(flag), subject,
                        $"Kernel taint flag {flag.Letter} ({flag.Name}, bit {flag.Bit}) set{(late ? " while TaintWatch was not running" : "")}: {flag.Description}{by}") with { Taint = facts, SeenLate = late });
            }
        }

        foreach (var module in host.Modules.Where(m => !state.Modules.Contains(m.Name)))
        {
            if (module.File?.IsPending == true)
            {
                // Reported when its file has been read (or has timed out), at a later poll, as it would have been now.
                if (startOfBoot)
                {
                    state.PendingAtStart.Add(module.Name);
                }
                if (late)
                {
                    state.PendingLate.Add(module.Name);
                }
                continue;
            }
            state.Modules.Add(module.Name);
            var atStart = state.PendingAtStart.Remove(module.Name) || startOfBoot;
            var seenLate = state.PendingLate.Remove(module.Name) || late;
            if (atStart && !module.IsConcerning)
            {
                continue; // modules already loaded at boot are only reported when they need attention
            }
            var taint = module.Module.IsTainting ? $" with taint ({module.Module.TaintLetters})" : "";
            events.Add(context.New(WatchEventKind.ModuleLoaded, module.IsConcerning ? Priority.Warning : Priority.Info, module.Name,
                $"Module {module.Name} {(atStart ? "loaded at start" : "loaded")}{taint}, {Describe(module.Signature)}{(module.Expected == false ? ", NOT in the expected-modules list" : "")}")
                with { Module = Facts(module), PresentAtStart = atStart, SeenLate = seenLate });
        }
        foreach (var module in transient)
        {
            var taint = module.Module.IsTainting ? $" with taint ({module.Module.TaintLetters})" : "";
            events.Add(context.New(WatchEventKind.ModuleLoaded, module.IsConcerning ? Priority.Warning : Priority.Info, module.Name,
                $"Module {module.Name} loaded{taint} and unloaded again before the next poll (seen by its uevent), {Describe(module.Signature)}")
                with { Module = Facts(module), Transient = true });
            events.Add(context.New(WatchEventKind.ModuleUnloaded, Priority.Info, module.Name, $"Module {module.Name} unloaded")
                with { Module = new ModuleFacts(module.Name), Transient = true });
        }
        state.PendingAtStart.RemoveWhere(n => host[n] is null);
        state.PendingLate.RemoveWhere(n => host[n] is null);
        foreach (var name in state.Modules.Where(n => host[n] is null).ToList())
        {
            state.Modules.Remove(name);
            state.MismatchedFiles.Remove(name);
            state.UnverifiedFiles.Remove(name);
            events.Add(context.New(WatchEventKind.ModuleUnloaded, Priority.Info, name, $"Module {name} unloaded")
                with { Module = new ModuleFacts(name), SeenLate = late });
        }
        foreach (var module in host.Modules.Where(m => m.FileMatchesLoaded == false && !state.MismatchedFiles.Contains(m.Name)))
        {
            state.MismatchedFiles.Add(module.Name);
            events.Add(context.New(WatchEventKind.ModuleFileChanged, Priority.Warning, module.Name,
                $"Module file {module.FilePath} is not the image of loaded module {module.Name} ({module.File!.MatchEvidence} differs): replaced since it was loaded")
                with { Module = Facts(module), MatchEvidence = module.File.MatchEvidence });
        }
        foreach (var name in state.MismatchedFiles.Where(n => host[n]?.FileMatchesLoaded == true).ToList())
        {
            state.MismatchedFiles.Remove(name);
        }
        // A loaded module's file whose signature no longer verifies (changed on disk, or a key revoked): once until
        // it verifies again. Only verdicts on a file count; the kernel's own (from E) is stated when it loads.
        foreach (var module in host.Modules.Where(m => NotVerifying(m) && !state.UnverifiedFiles.Contains(m.Name)))
        {
            state.UnverifiedFiles.Add(module.Name);
            var v = module.Verification!;
            events.Add(context.New(WatchEventKind.ModuleSignatureNotVerified, v.State == VerificationState.Untrusted ? Priority.Warning : Priority.Critical, module.Name,
                $"Signature of module file {module.FilePath} (loaded module {module.Name}) is {v.StateName}: {v.Problem}")
                with { Module = Facts(module) });
        }
        foreach (var name in state.UnverifiedFiles.Where(n => host[n] is { } m && m.Verification?.State == VerificationState.Valid).ToList())
        {
            state.UnverifiedFiles.Remove(name);
        }
        state.Initialized = true;
        return events;
    }

    private static bool NotVerifying(ModuleStatus m) =>
        m.Verification is { State: VerificationState.Invalid or VerificationState.Revoked or VerificationState.Untrusted, VerifiedBy: not "running kernel" }
        && m.File?.IsPending != true;

    private static string Describe(ModuleSignature signature) => signature.State switch
    {
        SignatureState.Signed => $"signed by {signature.Signer ?? signature.KeyHex}",
        SignatureState.Unsigned => "UNSIGNED",
        _ => $"signature unknown: {signature.Problem}",
    };

    private static ModuleFacts Facts(ModuleStatus module)
    {
        var signature = module.Signature;
        return new ModuleFacts(module.Name, module.Module.TaintLetters, signature.StateName, signature.Signer, signature.Key is null ? null : signature.KeyHex,
            signature.HashAlgorithm, module.FilePath, module.Version, module.Module.Sys?.SrcVersion, signature.Problem, module.Expected,
            module.Verification?.StateName, module.Verification?.VerifiedBy, module.Verification?.Problem);
    }

    /// <summary>Numbers events in the state's sequence, so each has a stable identity.</summary>
    private sealed class Context(WatchState state, string table, string release)
    {
        public WatchEvent New(WatchEventKind kind, int priority, string subject, string message)
        {
            state.Sequence++;
            return new WatchEvent(kind, priority, message, $"{state.BootId}/{WatchEventKinds.Name(kind)}/{subject}/{state.Sequence}", table, release);
        }
    }
}
