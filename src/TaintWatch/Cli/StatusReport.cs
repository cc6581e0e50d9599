using TaintWatch.Kernel;
using TaintWatch.Modules.Signatures;
using TaintWatch.Status;

namespace TaintWatch.Cli;

/// <summary>An expected-modules list and where it was read from.</summary>
public sealed record ExpectedList(string Path, Baseline.ExpectedModules Rules);

/// <summary>
/// What `taintwatch status` reports: the host's status with the security posture, in the order and with the
/// verdict people read. <see cref="StatusText"/> renders it for people, <see cref="StatusJson"/> for machines.
/// </summary>
public sealed class StatusReport(HostStatus host, string? moduleDirectory, SecurityPosture posture, ExpectedList? expected, Lifecycle.LifecycleView? lifecycle = null)
{
    /// <summary>Live patches, counters, the listing comparison and the taint policy; the CLI does not watch, so it knows no unloads.</summary>
    public Lifecycle.LifecycleView? Lifecycle { get; } = lifecycle;

    public HostStatus Host { get; } = host;

    public KernelSnapshot Snapshot => Host.Snapshot;

    /// <summary>&lt;rootfs&gt;/lib/modules/&lt;release&gt; where module files were looked for.</summary>
    public string? ModuleDirectory { get; } = moduleDirectory;

    public SecurityPosture Posture { get; } = posture;

    /// <summary>The expected-modules list in use, or null without one.</summary>
    public ExpectedList? Expected { get; } = expected;

    /// <summary>Modules that carry taint letters first, then unsigned or unknown ones, then the rest, each group by name.</summary>
    public IEnumerable<ModuleStatus> OrderedModules =>
        Host.Modules.OrderBy(m => m.Module.IsTainting ? 0 : m.Signature.State == SignatureState.Signed ? 2 : 1).ThenBy(m => m.Name, StringComparer.Ordinal);

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
            var unsigned = Host.Modules.Where(m => m.Signature.State == SignatureState.Unsigned).Select(m => m.Name).ToList();
            var unknown = Host.Modules.Count(m => m.Signature.State == SignatureState.Unknown);
            var replaced = Host.Modules.Where(m => m.FileMatchesLoaded == false).Select(m => m.Name).ToList();
            var parts = new List<string>();
            // Every module file whose signature does not verify, named with its path: the lines a ticket needs.
            foreach (var state in new[] { Trust.VerificationState.Invalid, Trust.VerificationState.Revoked, Trust.VerificationState.Untrusted })
            {
                var files = Host.Modules.Where(m => m.Verification?.State == state).Select(m => m.FilePath ?? m.Name).ToList();
                if (files.Count > 0)
                {
                    parts.Add($"{state.ToString().ToUpperInvariant()} signature: {string.Join(" ", files)}");
                }
            }
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
}
