namespace TaintWatch.Trust;

/// <summary>What checking a module signature against the trusted keys found; exactly one per signature.</summary>
public enum VerificationState
{
    /// <summary>The maths checks and a trusted source holds the key.</summary>
    Valid,

    /// <summary>The maths fails (the file is not what was signed), or the kernel refuses the signature's form.</summary>
    Invalid,

    /// <summary>No trusted source holds the signing key.</summary>
    Untrusted,

    /// <summary>The key or its hash is in dbx, MokListXRT or the image's revocation list.</summary>
    Revoked,

    /// <summary>Cannot be told: no source readable, an unsupported algorithm, a format not verified.</summary>
    Unknown,
}
