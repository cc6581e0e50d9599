using TaintWatch.Kernel;
using TaintWatch.Modules.Compression;
using TaintWatch.Modules.Elf;
using TaintWatch.Modules.Signatures;

namespace TaintWatch.Modules;

/// <summary>Reads a module file as modinfo does — decompress, .modinfo, signature — plus build-id and GPG sections.</summary>
public static class ModuleInspector
{
    /// <summary>Largest file read from disk; the 2 GB sparse file of the hostile-input tests stops here unread.</summary>
    public const long FileSizeLimit = ModuleDecompressor.DefaultOutputLimit;

    /// <param name="collectEvidence">Also hash the signed bytes and parse the signature for verification (<see cref="Trust.SignatureVerifier"/>).</param>
    public static ModuleInspection Inspect(string path, bool collectEvidence = false)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        try
        {
            // FileShare.Read lets the runtime keep the length it learns on opening (one fstat, not two); on Linux
            // sharing modes lock nothing here (System.IO.DisableFileLocking), so a writer is not kept out.
            using var handle = File.OpenHandle(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read);
            var length = RandomAccess.GetLength(handle);
            if (length > FileSizeLimit)
            {
                return ModuleInspection.Failed(fullPath, $"is {length} bytes, more than the {FileSizeLimit / (1024 * 1024)} MiB TaintWatch reads", length);
            }
            if (length == 0)
            {
                return ModuleInspection.Failed(fullPath, "is empty (0 bytes)");
            }
            using var file = ByteSource.FromFile(handle, length);
            var compression = ModuleDecompressor.Detect(file.Read(0, (int)Math.Min(6, length)).Span);
            if (compression == CompressionKind.None)
            {
                // Uncompressed: read only the regions needed, not the whole file.
                return InspectImage(fullPath, file, length, compression, collectEvidence);
            }
            using var raw = PooledBytes.Rent((int)length);
            file.ReadExactly(raw.Array.AsSpan(0, (int)length), 0);
            return Inspect(fullPath, raw.Memory, collectEvidence);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return ModuleInspection.Unreadable(fullPath, "does not exist");
        }
        catch (UnauthorizedAccessException)
        {
            // .NET reports a directory as access denied: tell them apart only on this rare path.
            return ModuleInspection.Unreadable(fullPath, Directory.Exists(fullPath) ? "is a directory, not a module file" : "permission denied");
        }
        catch (IOException e)
        {
            return ModuleInspection.Unreadable(fullPath, e.Message);
        }
    }

    /// <summary>Inspects file contents already in memory (the daemon and the fuzz tests use this).</summary>
    public static ModuleInspection Inspect(string path, ReadOnlyMemory<byte> raw, bool collectEvidence = false)
    {
        if (raw.Length == 0)
        {
            return ModuleInspection.Failed(path, "is empty (0 bytes)");
        }
        var compression = ModuleDecompressor.Detect(raw.Span);
        if (compression == CompressionKind.None)
        {
            return InspectImage(path, ByteSource.FromMemory(raw), raw.Length, compression, collectEvidence);
        }
        PooledBytes decompressed;
        try
        {
            decompressed = ModuleDecompressor.Decompress(compression, raw);
        }
        catch (ModuleFormatException e)
        {
            ReleaseLargeBuffers(e.ExceededCap ? ModuleDecompressor.DefaultOutputLimit : 0);
            return ModuleInspection.Failed(path, e.Message, raw.Length, compression);
        }
        ModuleInspection result;
        using (decompressed)
        {
            result = InspectImage(path, ByteSource.FromMemory(decompressed.Memory), raw.Length, compression, collectEvidence);
        }
        ReleaseLargeBuffers(decompressed.Length);
        return result;
    }

    /// <summary>Reads the uncompressed image; nothing returned refers to its bytes (they may be pooled).</summary>
    private static ModuleInspection InspectImage(string path, ByteSource image, long fileSize, CompressionKind compression, bool collectEvidence)
    {
        ElfImage? elf = null;
        string? error = null;
        try
        {
            elf = ElfImage.Parse(image);
        }
        catch (ModuleFormatException e)
        {
            error = e.Message;
        }
        if (elf is null)
        {
            return ModuleInspection.Failed(path, error!, fileSize, compression) with { ImageSize = image.Length };
        }
        var modinfo = elf.Find(".modinfo") is { } section ? ModInfoSection.Parse(elf.Contents(section).Span) : [];
        var buildId = elf.Find(".note.gnu.build-id") is { } notes ? ElfNote.FindBuildId(elf.Contents(notes)) : null;
        var signature = ModuleSignatureReader.Read(image, elf);
        if (signature.State == SignatureState.Unsigned && image.Length > ImageEnd(elf))
        {
            // Bytes after the ELF image without the signature marker: most likely a signed file cut short.
            signature = ModuleSignature.UnknownBecause($"{image.Length - ImageEnd(elf)} bytes follow the ELF image without a signature marker (truncated signature?)");
        }
        return new ModuleInspection(path, compression, fileSize, image.Length, modinfo, signature, buildId, null)
        {
            Evidence = collectEvidence ? Trust.SignatureEvidence.Collect(image, signature) : null,
        };
    }

    /// <summary>
    /// After an image far larger than a module (a bomb that hit the cap, or nvidia.ko), give the memory back
    /// to the system at once: a long-running daemon must not keep a one-off peak resident.
    /// </summary>
    private static void ReleaseLargeBuffers(long size)
    {
        if (size > PooledBytes.PoolLimit)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
    }

    /// <summary>The end of the ELF image proper: the furthest of the section table and every section's bytes.</summary>
    private static long ImageEnd(ElfImage elf) =>
        Math.Max(elf.SectionTableEnd, elf.Sections.Where(s => s.Type != ElfSection.TypeNoBits).Select(s => s.Offset + s.Size).DefaultIfEmpty(0).Max());
}
