using TaintWatch.Baseline;
using TaintWatch.Kernel;
using TaintWatch.Modules;

namespace TaintWatch.Status;

/// <summary>
/// The kernel snapshot with every loaded module resolved (<see cref="ModuleStatus"/>): built once per poll by the
/// daemon and once per run by the CLI, and the only input of events, metrics, `status` and `baseline`.
/// </summary>
public sealed class HostStatus
{
    private readonly Dictionary<string, ModuleStatus> _byName;

    private HostStatus(KernelSnapshot snapshot, List<ModuleStatus> modules, ExpectedModules? expected, Trust.TrustStore? trust)
    {
        Trust = trust;
        Snapshot = snapshot;
        Modules = modules;
        Expected = expected;
        _byName = modules.ToDictionary(m => m.Name, StringComparer.Ordinal);
        SigningKey = KernelSigningKey.From(modules);
    }

    public KernelSnapshot Snapshot { get; }

    /// <summary>Every loaded module, in the snapshot's order (by name).</summary>
    public IReadOnlyList<ModuleStatus> Modules { get; }

    /// <summary>The expected-modules list in force, or null without one.</summary>
    public ExpectedModules? Expected { get; }

    /// <summary>The key that signs the kernel's own loaded modules, or null when none is loaded and readable.</summary>
    public KernelSigningKey? SigningKey { get; }

    /// <summary>The trust anchors module signatures were verified against; null when none are loaded (yet).</summary>
    public Trust.TrustStore? Trust { get; }

    public ModuleStatus? this[string module] => _byName.GetValueOrDefault(module);

    /// <param name="files">Each loaded module's file by module name (<see cref="ModuleFileCache"/>).</param>
    /// <param name="paths">The roots read, so that each module's origin can be told; null leaves origins unknown.</param>
    /// <param name="trust">Trust anchors to verify signatures against; null to leave them unverified.</param>
    public static HostStatus Build(KernelSnapshot snapshot, IReadOnlyDictionary<string, LoadedModuleFile> files, ExpectedModules? expected, KernelPaths? paths = null, Trust.TrustStore? trust = null) =>
        new(snapshot, snapshot.Modules.Select(m => ModuleStatus.Resolve(m, files.GetValueOrDefault(m.Name), expected, paths, snapshot.Release, trust, snapshot.SigEnforce is not null)).ToList(), expected, trust);
}
