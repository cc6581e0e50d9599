using TaintWatch.Kernel;
using TaintWatch.Modules.Signatures;

namespace TaintWatch.Modules;

/// <summary>A loaded module joined with its file on disk: where it is, its signature, and whether it is the loaded image.</summary>
/// <param name="Module">The module as the kernel lists it.</param>
/// <param name="Location">Where the file was looked for and found (or that it is built in / missing).</param>
/// <param name="Inspection">The file read, or null when there is no file.</param>
/// <param name="MatchesLoaded">True/false when build-id (else srcversion) could be compared; null when it cannot be told.</param>
/// <param name="MatchEvidence">"build-id", "srcversion" or why nothing could be compared.</param>
/// <param name="IsPending">The file is being read (within its deadline): nothing about it is known yet.</param>
/// <param name="Origin">Where the file comes from, worked out with its read (weak-updates links followed off the poll loop); null when not read.</param>
public sealed record LoadedModuleFile(LoadedModule Module, ModuleLocation Location, ModuleInspection? Inspection, bool? MatchesLoaded, string MatchEvidence, bool IsPending = false, ModuleOrigin? Origin = null)
{
    public ModuleSignature Signature => Inspection?.Signature
        ?? ModuleSignature.UnknownBecause(IsPending ? "module file not read yet" : Location.Problem ?? (Location.IsBuiltIn ? "built into the kernel image" : "module file not found"));

    /// <summary>Read (well or not), or known to have no file: neither pending nor unreadable (which is tried again).</summary>
    public bool IsSettled => !IsPending && Inspection?.IsUnreadable != true;

    /// <summary>A module whose file is being read.</summary>
    public static LoadedModuleFile Pending(LoadedModule module, ModuleLocation location) => new(module, location, null, null, "file not read yet", IsPending: true);

    public static LoadedModuleFile For(LoadedModule module, ModuleLocation location, ModuleInspection? alreadyRead = null, ModuleOrigin? origin = null)
    {
        if (!location.Found)
        {
            return new LoadedModuleFile(module, location, null, null, "no file");
        }
        var inspection = alreadyRead ?? ModuleInspector.Inspect(location.Path!);
        var (matches, evidence) = Compare(module, inspection);
        return new LoadedModuleFile(module, location, inspection, matches, evidence, Origin: origin);
    }

    /// <summary>The build-id in /sys/module/*/notes identifies the image exactly; srcversion is the fallback.</summary>
    private static (bool? Matches, string Evidence) Compare(LoadedModule module, ModuleInspection file)
    {
        if (file.Error is not null)
        {
            return (null, "file unreadable");
        }
        if (module.Sys?.BuildId is { } loadedId && file.BuildId is { } fileId)
        {
            return (string.Equals(loadedId, fileId, StringComparison.OrdinalIgnoreCase), "build-id");
        }
        if (module.Sys?.SrcVersion is { } loadedSrc && file.Get("srcversion") is { } fileSrc)
        {
            return (string.Equals(loadedSrc, fileSrc, StringComparison.OrdinalIgnoreCase), "srcversion");
        }
        return (null, "neither build-id nor srcversion on both sides");
    }
}
