using TaintWatch.Baseline;
using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Modules.Signatures;
using TaintWatch.Trust;

namespace TaintWatch.Status;

/// <summary>
/// One loaded module, resolved once: what the kernel says of it, its file on disk, the file's signature and
/// whether the expected-modules list covers it. Events, metrics, `status` and `baseline` all read this view,
/// so each fact about a module is worked out in one place.
/// </summary>
/// <param name="Module">The module as /proc/modules and /sys/module list it.</param>
/// <param name="File">Its file joined by <see cref="ModuleFileCache"/>; null when no file could be looked for (release unknown).</param>
/// <param name="Expected">Whether a rule of the expected-modules list covers it; null without a list.</param>
/// <param name="Origin">Where its file comes from (kernel, updates, extra, weak-updates, built-in, other, unknown).</param>
public sealed record ModuleStatus(LoadedModule Module, LoadedModuleFile? File, bool? Expected, ModuleOrigin Origin)
{
    public string Name => Module.Name;

    /// <summary>
    /// The signature checked against the keys the kernel trusts; for a module whose file cannot be read, the
    /// kernel's own verdict from its E letter. Null for unsigned and built-in modules, a file still being read,
    /// and while no trust anchors are loaded.
    /// </summary>
    public SignatureVerification? Verification { get; init; }

    /// <summary>The verdict's word for metrics, tables and baselines: valid, invalid, untrusted, revoked, unknown, or "none".</summary>
    public string VerificationName => Verification?.StateName ?? "none";

    /// <summary>The file's signature, or why it is unknown.</summary>
    public ModuleSignature Signature => File?.Signature ?? ModuleSignature.UnknownBecause("kernel release unknown: module files cannot be found");

    /// <summary>The loaded module's version (/sys/module), else its file's.</summary>
    public string? Version => Module.Sys?.Version ?? File?.Inspection?.Get("version");

    /// <summary>The loaded module's srcversion (/sys/module), else its file's.</summary>
    public string? SrcVersion => Module.Sys?.SrcVersion ?? File?.Inspection?.Get("srcversion");

    public string? License => File?.Inspection?.Get("license");

    /// <summary>Built from the kernel's tree (.modinfo intree=Y); null when the file was not read.</summary>
    public bool? InTree => File?.Inspection is { Error: null } file ? file.Get("intree") == "Y" : null;

    /// <summary>The module file's path; null when it is built in or was not found.</summary>
    public string? FilePath => File?.Location.Path;

    public bool IsBuiltIn => File?.Location.IsBuiltIn == true;

    /// <summary>The file's vermagic (the kernel it was built for, as modinfo prints it); null when the file was not read.</summary>
    public string? Vermagic => File?.Inspection?.Get("vermagic");

    /// <summary>True/false when the file on disk could be compared with the loaded image; null when not.</summary>
    public bool? FileMatchesLoaded => File?.MatchesLoaded;

    /// <summary>
    /// Needs an operator's look: outside the expected list, or, where there is no list, carrying taint letters or
    /// not known to be signed.
    /// </summary>
    /// <remarks>A file whose signature is invalid or revoked always needs a look: the expected list matches signer
    /// names, which the file itself claims.</remarks>
    public bool IsConcerning => Verification?.State is VerificationState.Invalid or VerificationState.Revoked
        || Expected == false || Expected is null && (Module.IsTainting || Signature.State != SignatureState.Signed);

    /// <param name="paths">Where the module tree is, to tell the file's origin; null leaves it unknown.</param>
    /// <param name="kernelChecksSignatures">The kernel verifies module signatures (CONFIG_MODULE_SIG: sig_enforce is
    /// there to read), so a missing E letter means it accepted the signature.</param>
    public static ModuleStatus Resolve(LoadedModule module, LoadedModuleFile? file, ExpectedModules? expected, KernelPaths? paths = null, string? release = null,
        TrustStore? trust = null, bool kernelChecksSignatures = false)
    {
        var signature = file?.Signature ?? ModuleSignature.UnknownBecause("kernel release unknown: module files cannot be found");
        // Worked out with the file's read, off the poll loop; until then from the path alone (no link followed here).
        var origin = file?.Origin ?? (file is not null && paths is not null ? ModuleOrigin.Of(file.Location, paths, release, followLinks: false) : new ModuleOrigin(ModuleOrigin.Unknown));
        var verification = Verify(module, file, trust, kernelChecksSignatures);
        return new ModuleStatus(module, file, expected?.IsExpected(module.Name, signature, verification), origin) { Verification = verification };
    }

    private static SignatureVerification? Verify(LoadedModule module, LoadedModuleFile? file, TrustStore? trust, bool kernelChecksSignatures)
    {
        if (trust is null || file is null || file.IsPending || file.Location.IsBuiltIn)
        {
            return null;
        }
        if (file.Inspection is { Error: null, Evidence: { } evidence })
        {
            return trust.Verify(evidence);
        }
        if (file.Inspection is { Error: null })
        {
            return null; // unsigned: nothing to verify
        }
        // No readable file: what the kernel itself decided when it loaded the module.
        return kernelChecksSignatures && (module.Sys?.Taint is not null || module.Proc is not null)
            ? SignatureVerification.FromKernel(module.TaintLetters.Contains('E', StringComparison.Ordinal))
            : null;
    }
}
