namespace TaintWatch.Trust;

/// <summary>Where trust anchors or revocations come from; the label of taintwatch_trusted_keys{source}.</summary>
public enum TrustSourceKind
{
    /// <summary>system_certificate_list in the kernel image: the .builtin_trusted_keys keyring.</summary>
    KernelImage,

    /// <summary>UEFI db: the .platform keyring (trusted for modules by RHEL kernels).</summary>
    Db,

    /// <summary>shim's MokListRT: the .machine keyring (or .platform).</summary>
    MokListRT,

    /// <summary>Certificates an operator named with --trust.keys (a site's own module key).</summary>
    KeysFile,

    /// <summary>UEFI dbx: revoked certificates and hashes (the .blacklist keyring).</summary>
    Dbx,

    /// <summary>shim's MokListXRT: revocations (the .blacklist keyring).</summary>
    MokListXRT,

    /// <summary>revocation_certificate_list in the kernel image (CONFIG_SYSTEM_REVOCATION_LIST).</summary>
    KernelRevocationList,
}

/// <param name="Kind">What kind of source.</param>
/// <param name="Name">What sig_verified_by names: the image or keys file path, or the variable name.</param>
/// <param name="Certificates">How many certificates it gave.</param>
/// <param name="Hashes">How many hashes it gave (dbx, MokListXRT).</param>
/// <param name="Problem">Why it gave nothing or less than it holds; null when it was read whole or is simply absent.</param>
/// <param name="Present">Whether the source exists here at all (no UEFI, no MOK, no keys directory).</param>
public sealed record TrustSource(TrustSourceKind Kind, string Name, int Certificates, int Hashes, string? Problem, bool Present = true)
{
    public bool Revokes => Kind is TrustSourceKind.Dbx or TrustSourceKind.MokListXRT or TrustSourceKind.KernelRevocationList;

    /// <summary>The metric label value.</summary>
    public string Label => Kind switch
    {
        TrustSourceKind.KernelImage => "kernel_image",
        TrustSourceKind.Db => "db",
        TrustSourceKind.MokListRT => "MokListRT",
        TrustSourceKind.KeysFile => "keys_file",
        TrustSourceKind.Dbx => "dbx",
        TrustSourceKind.MokListXRT => "MokListXRT",
        _ => "kernel_revocation_list",
    };
}
