using TaintWatch.Modules.Compression;
using TaintWatch.Modules.Signatures;

namespace TaintWatch.Modules;

/// <summary>Everything TaintWatch reads from one module file.</summary>
/// <param name="Path">Absolute path as given (symlinks not resolved, as modinfo prints it).</param>
/// <param name="Compression">Compression found by magic.</param>
/// <param name="FileSize">Size on disk.</param>
/// <param name="ImageSize">Size after decompression.</param>
/// <param name="ModInfo">.modinfo key/value pairs in file order.</param>
/// <param name="Signature">The signature, or why its state is unknown.</param>
/// <param name="BuildId">GNU build-id, lower-case hex.</param>
/// <param name="Error">Why the file could not be read as a module; null when it could.</param>
public sealed record ModuleInspection(
    string Path,
    CompressionKind Compression,
    long FileSize,
    long ImageSize,
    IReadOnlyList<KeyValuePair<string, string>> ModInfo,
    ModuleSignature Signature,
    string? BuildId,
    string? Error)
{
    /// <summary>What verifying the signature needs (digest of the signed bytes, parsed signature); null unless asked for.</summary>
    public Trust.SignatureEvidence? Evidence { get; init; }

    /// <summary>The signature checked against the trusted keys; null when not checked or the module is unsigned.</summary>
    public Trust.SignatureVerification? Verification { get; init; }

    public static ModuleInspection Failed(string path, string error, long fileSize = 0, CompressionKind compression = CompressionKind.None) =>
        new(path, compression, fileSize, 0, [], ModuleSignature.UnknownBecause(error), null, error);

    /// <summary>The file could not be read at all (missing, permission, I/O error, timeout): worth trying again, never kept.</summary>
    public static ModuleInspection Unreadable(string path, string error) => Failed(path, error) with { IsUnreadable = true };

    /// <summary>
    /// True when the file itself could not be read, as opposed to read and found not to be a valid module (a bomb,
    /// a corrupt ELF), which stays so until the file changes.
    /// </summary>
    public bool IsUnreadable { get; init; }

    /// <summary>The first value of a .modinfo key, e.g. "srcversion".</summary>
    public string? Get(string key) => ModInfo.FirstOrDefault(kv => kv.Key == key).Value;

    /// <summary>Module name: .modinfo "name", else the file name normalised as kmod does.</summary>
    public string Name => Get("name") ?? ModuleNames.FromPath(Path);
}
