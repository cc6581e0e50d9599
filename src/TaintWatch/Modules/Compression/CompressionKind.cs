namespace TaintWatch.Modules.Compression;

/// <summary>How a module file is compressed, told by its magic bytes as kmod does, never by its name.</summary>
public enum CompressionKind
{
    None,
    Xz,
    Zstd,
    Gzip,
}
