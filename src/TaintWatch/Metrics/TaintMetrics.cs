using Prometheus;
using TaintWatch.Kernel;
using TaintWatch.Status;
using TaintWatch.Watch;

namespace TaintWatch.Metrics;

/// <summary>
/// The metrics of docs/metrics.md in a registry of their own (no process or runtime metrics). Updated once per
/// poll from the host's status: a scrape only serialises what is there, it never reads the kernel or a file.
/// Series of modules that disappeared are removed, and a value not read (yet) is absent, never 0.
/// </summary>
public sealed class TaintMetrics
{
    private readonly Gauge _tainted;
    private readonly Gauge _mask;
    private readonly Gauge _firstSeen;
    private readonly Gauge _kernelInfo;
    private readonly Gauge _moduleTainted;
    private readonly Gauge _signatureInfo;
    private readonly Gauge _moduleInfo;
    private readonly Gauge _fileMatches;
    private readonly Gauge _modules;
    private readonly Gauge _sigEnforce;
    private readonly Gauge _unexpected;
    private readonly Gauge _secureBoot;
    private readonly Gauge _lockdown;
    private readonly Gauge _sigEnforceState;
    private readonly Gauge _signingKey;
    private readonly Counter _taintEvents;
    private readonly Counter _moduleEvents;
    private readonly Gauge _collectorSuccess;
    private readonly Gauge _lastPoll;
    private readonly Histogram _pollDuration;
    private readonly Gauge _ready;
    private readonly Gauge _pendingFiles;
    private readonly Gauge _trustedKeys;

    public TaintMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        Exposition = new MetricsExposition(Registry);
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _tainted = f.CreateGauge("taintwatch_kernel_tainted", "Whether each taint bit of the kernel's table is set (1) or not (0); unknown set bits appear with flag \"?\".", "bit", "flag", "name");
        _mask = f.CreateGauge("taintwatch_kernel_tainted_mask", "Raw value of /proc/sys/kernel/tainted (absent until read, and while it cannot be read).", Unread);
        _firstSeen = f.CreateGauge("taintwatch_kernel_taint_first_seen_timestamp_seconds", "When TaintWatch first saw this bit set during this boot.", "bit", "flag", "name");
        _kernelInfo = f.CreateGauge("taintwatch_kernel_info", "The running kernel and the taint table used to decode it.", "release", "taint_table");
        _moduleTainted = f.CreateGauge("taintwatch_module_tainted", "One series per taint letter carried by a loaded module.", "module", "flag", "name");
        _signatureInfo = f.CreateGauge("taintwatch_module_signature_info", "Signature of each loaded module's file: state signed, unsigned or unknown (file not found or unreadable); verified valid, invalid, untrusted, revoked or unknown against the keys the kernel trusts (none: unsigned, built in, or not checked yet).", "module", "state", "sig_id", "signer", "sig_key", "sig_hashalgo", "expected", "verified");
        _moduleInfo = f.CreateGauge("taintwatch_module_info", "Each loaded module's version, srcversion, licence, in-tree mark, file, where the file comes from (origin: kernel, updates, extra, weak-updates, built-in, other, unknown) and vermagic.", "module", "version", "srcversion", "license", "intree", "file", "expected", "origin", "vermagic");
        _unexpected = f.CreateGauge("taintwatch_modules_unexpected", "Loaded modules that no rule of the expected-modules file covers (absent when no such file is in use).", Unread);
        _fileMatches = f.CreateGauge("taintwatch_module_file_matches_loaded", "1 when the module file on disk is the image that was loaded (build-id, else srcversion); absent when it cannot be told.", "module");
        _modules = f.CreateGauge("taintwatch_modules", "Loaded modules by signature state.", "state");
        _sigEnforce = f.CreateGauge("taintwatch_module_sig_enforce", "Value of /sys/module/module/parameters/sig_enforce (absent when not readable).", Unread);
        _secureBoot = f.CreateGauge("taintwatch_secure_boot_info", "Secure Boot as the EFI SecureBoot variable says: state enabled, disabled, unsupported (not UEFI) or unknown (unreadable).", "state");
        _lockdown = f.CreateGauge("taintwatch_kernel_lockdown_info", "Kernel lockdown mode from /sys/kernel/security/lockdown: none, integrity, confidentiality, unsupported or unknown (unreadable).", "mode");
        _sigEnforceState = f.CreateGauge("taintwatch_module_sig_enforce_info", "Module signature enforcement: state on, off, unsupported or unknown (unreadable).", "state");
        _signingKey = f.CreateGauge("taintwatch_kernel_signing_key_info", "The key that signs most loaded in-tree modules (the kernel's own); state unknown when no signed in-tree module is loaded and readable.", "state", "signer", "sig_key", "sig_hashalgo");
        _taintEvents = f.CreateCounter("taintwatch_taint_events_total", "Taint bits seen going from 0 to 1 by this daemon.", "bit", "flag", "name");
        _moduleEvents = f.CreateCounter("taintwatch_module_events_total", "Module events seen by this daemon.", "event");
        _collectorSuccess = f.CreateGauge("taintwatch_collector_success", "1 when the last poll could read this source.", "collector");
        _lastPoll = f.CreateGauge("taintwatch_last_poll_timestamp_seconds", "End of the last complete poll (Unix seconds).", Unread);
        _ready = f.CreateGauge("taintwatch_ready", "1 when the last poll read the kernel's taint mask; 0 before the first poll and while it cannot be read (the kernel's series are then absent; taintwatch_collector_success says which source failed).");
        _pendingFiles = f.CreateGauge("taintwatch_module_files_pending", "Files of loaded modules still being read; their signature is reported as unknown until read, or as timed out after --poll.module-file-timeout.", Unread);
        _trustedKeys = f.CreateGauge("taintwatch_trusted_keys", "Certificates each trust source gave for verifying module signatures (kernel_image, db, MokListRT, keys_file) or revoked (dbx, MokListXRT, kernel_revocation_list; hashes included): 0 for a source that exists but gave none, so a broken anchor shows. Absent until the sources have been read.", "source");
        _pollDuration = f.CreateHistogram("taintwatch_poll_duration_seconds", "Time taken by one poll.", new HistogramConfiguration { Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
        var build = f.CreateGauge("taintwatch_build_info", "TaintWatch build.", "version", "revision", "runtime");
        build.WithLabels(BuildInfo.Version, BuildInfo.Revision, System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription).Set(1);
        foreach (var e in new[] { "loaded", "unloaded", "file_changed", "signature_not_verified" })
        {
            _moduleEvents.WithLabels(e);
        }
    }

    /// <summary>A gauge without labels is absent until set: a value TaintWatch has not read is never served as 0.</summary>
    private static readonly GaugeConfiguration Unread = new() { SuppressInitialValue = true };

    public CollectorRegistry Registry { get; }

    /// <summary>What scrapes are served; every method below that changes a metric invalidates it.</summary>
    public MetricsExposition Exposition { get; }

    public void ObservePoll(TimeSpan duration, DateTimeOffset end)
    {
        _pollDuration.Observe(duration.TotalSeconds);
        _lastPoll.Set(end.ToUnixTimeMilliseconds() / 1000.0);
        Exposition.Invalidate();
    }

    public void CountEvent(WatchEvent e)
    {
        switch (e.Kind)
        {
            case WatchEventKind.TaintFlagSet when e.Taint is { } taint:
                _taintEvents.WithLabels(taint.Bit.ToString(System.Globalization.CultureInfo.InvariantCulture), taint.Letter.ToString(), taint.Name).Inc();
                break;
            case WatchEventKind.ModuleLoaded:
                _moduleEvents.WithLabels("loaded").Inc();
                break;
            case WatchEventKind.ModuleUnloaded:
                _moduleEvents.WithLabels("unloaded").Inc();
                break;
            case WatchEventKind.ModuleFileChanged:
                _moduleEvents.WithLabels("file_changed").Inc();
                break;
            case WatchEventKind.ModuleSignatureNotVerified:
                _moduleEvents.WithLabels("signature_not_verified").Inc();
                break;
        }
        Exposition.Invalidate();
    }

    public void Update(HostStatus host, WatchState state, IReadOnlyDictionary<string, bool> collectors, int pendingFiles = 0)
    {
        var snapshot = host.Snapshot;
        var table = snapshot.Table;
        if (snapshot.TaintMask is ulong mask)
        {
            var tainted = new Dictionary<string[], double>(LabelComparer.Instance);
            foreach (var flag in table.MeaningfulFlags)
            {
                tainted[[Bit(flag), flag.Letter.ToString(), flag.Name]] = (mask & flag.Mask) != 0 ? 1 : 0;
            }
            foreach (var flag in table.Decode(mask).Where(f => f.IsPlaceholder))
            {
                tainted[[Bit(flag), "?", flag.Name]] = 1;
            }
            Sync(_tainted, tainted);
            // Set alone does not bring back a series that was unpublished.
            _mask.Set(mask);
            _mask.Publish();
            _ready.Set(1);
        }
        else
        {
            // Unreadable now: serve no bit rather than the last value read or a 0 nobody read.
            Sync(_tainted, new Dictionary<string[], double>(LabelComparer.Instance));
            _mask.Unpublish();
            _ready.Set(0);
        }
        Sync(_firstSeen, snapshot.SetFlags.Where(f => state.Bits.ContainsKey(f.Bit)).ToDictionary(f => new[] { Bit(f), f.Letter.ToString(), f.Name }, f => state.Bits[f.Bit], LabelComparer.Instance));
        Sync(_kernelInfo, new Dictionary<string[], double>(LabelComparer.Instance) { [[snapshot.Release ?? "unknown", table.Id]] = 1 });

        var moduleTainted = new Dictionary<string[], double>(LabelComparer.Instance);
        var signatures = new Dictionary<string[], double>(LabelComparer.Instance);
        var infos = new Dictionary<string[], double>(LabelComparer.Instance);
        var matches = new Dictionary<string[], double>(LabelComparer.Instance);
        var states = new Dictionary<string[], double>(LabelComparer.Instance) { [["signed"]] = 0, [["unsigned"]] = 0, [["unknown"]] = 0 };
        foreach (var module in host.Modules)
        {
            foreach (var letter in module.Module.TaintLetters.Distinct())
            {
                var flag = table.Flags.FirstOrDefault(f => f.SetChar == letter && !f.IsPlaceholder);
                moduleTainted[[module.Name, letter.ToString(), flag?.Name ?? $"UNKNOWN_{letter}"]] = 1;
            }
            var sig = module.Signature;
            // "" without an expected-modules file: alert rules tell "no list" from "not on the list".
            var expected = module.Expected switch { true => "true", false => "false", null => "" };
            signatures[[module.Name, sig.StateName, sig.Id ?? "", sig.Signer ?? "", sig.KeyHex, sig.HashAlgorithm ?? "", expected, module.VerificationName]] = 1;
            states[[sig.StateName]] += 1;
            var intree = module.InTree switch { true => "Y", false => "N", null => "" };
            infos[[module.Name, module.Version ?? "", module.SrcVersion ?? "", module.License ?? "", intree, module.FilePath ?? (module.IsBuiltIn ? "(builtin)" : ""), expected,
                module.Origin.Kind, module.Vermagic ?? ""]] = 1;
            if (module.FileMatchesLoaded is bool match)
            {
                matches[[module.Name]] = match ? 1 : 0;
            }
        }
        Sync(_moduleTainted, moduleTainted);
        Sync(_signatureInfo, signatures);
        Sync(_moduleInfo, infos);
        Sync(_fileMatches, matches);
        Sync(_modules, states);
        var trusted = new Dictionary<string[], double>(LabelComparer.Instance);
        foreach (var source in host.Trust?.Sources.Where(s => s.Present || s.Kind == Trust.TrustSourceKind.KernelImage) ?? [])
        {
            var key = new[] { source.Label };
            trusted[key] = trusted.GetValueOrDefault(key) + source.Certificates + source.Hashes;
        }
        Sync(_trustedKeys, trusted);
        if (host.Expected is null)
        {
            _unexpected.Unpublish();
        }
        else
        {
            _unexpected.Set(host.Modules.Count(m => m.Expected == false));
            _unexpected.Publish();
        }
        if (snapshot.SigEnforce is bool enforce)
        {
            _sigEnforce.Set(enforce ? 1 : 0);
            _sigEnforce.Publish();
        }
        else
        {
            _sigEnforce.Unpublish();
        }
        _pendingFiles.Set(pendingFiles);
        Sync(_collectorSuccess, collectors.ToDictionary(c => new[] { c.Key }, c => c.Value ? 1.0 : 0.0, LabelComparer.Instance));
        Exposition.Invalidate();
    }

    /// <summary>One series per posture item, whose label says the state: "unknown" is never folded into 0.</summary>
    public void UpdatePosture(SecurityPosture posture, KernelSigningKey? key)
    {
        Sync(_secureBoot, new Dictionary<string[], double>(LabelComparer.Instance) { [[posture.SecureBoot]] = 1 });
        Sync(_lockdown, new Dictionary<string[], double>(LabelComparer.Instance) { [[posture.Lockdown]] = 1 });
        Sync(_sigEnforceState, new Dictionary<string[], double>(LabelComparer.Instance) { [[posture.SigEnforce]] = 1 });
        Sync(_signingKey, new Dictionary<string[], double>(LabelComparer.Instance)
        {
            [key is null ? ["unknown", "", "", ""] : ["known", key.Signer, key.KeyHex, key.HashAlgorithm]] = 1,
        });
        Exposition.Invalidate();
    }

    private static string Bit(TaintFlag flag) => flag.Bit.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Makes a labelled gauge hold exactly these series: new ones set, vanished ones removed.</summary>
    internal static void Sync(Gauge gauge, Dictionary<string[], double> desired)
    {
        foreach (var labels in gauge.GetAllLabelValues().ToList())
        {
            if (!desired.ContainsKey(labels))
            {
                gauge.RemoveLabelled(labels);
            }
        }
        foreach (var (labels, value) in desired)
        {
            gauge.WithLabels(labels).Set(value);
        }
    }

    internal sealed class LabelComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(string[] obj)
        {
            var hash = new HashCode();
            foreach (var s in obj)
            {
                hash.Add(s, StringComparer.Ordinal);
            }
            return hash.ToHashCode();
        }
    }
}
