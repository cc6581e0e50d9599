namespace TaintWatch.Modules.Signatures;

/// <summary>What a module file says about its signature, decoded from whichever format carries it.</summary>
/// <param name="State">signed, unsigned or unknown.</param>
/// <param name="Id">modinfo's sig_id: "PKCS#7", "X509" or "PGP" (RHEL 5/6 GPG sections are "PGP" too).</param>
/// <param name="Signer">Issuer CN (PKCS#7), signer name (X.509 legacy); null when the format names none.</param>
/// <param name="Key">Serial number, subjectKeyIdentifier or OpenPGP key id.</param>
/// <param name="KeyKind">"serial", "subjectKeyIdentifier", "x509-skid" or "pgp-keyid": what <paramref name="Key"/> is.</param>
/// <param name="HashAlgorithm">sha256, sha512…</param>
/// <param name="Value">The signature bytes (encryptedDigest, or the raw data for older formats).</param>
/// <param name="PublicKeyAlgorithm">rsa, ecdsa, dsa… where the format says.</param>
/// <param name="Created">Creation time (OpenPGP only).</param>
/// <param name="Location">"appended", ".module_sig" (RHEL 5) or ".note.module.sig" (RHEL 6).</param>
/// <param name="ShownByModinfo">Whether kmod's modinfo (v30, with OpenSSL) prints these fields for this file.</param>
/// <param name="Problem">Why the state is unknown, in words.</param>
public sealed record ModuleSignature(
    SignatureState State,
    string? Id = null,
    string? Signer = null,
    byte[]? Key = null,
    string? KeyKind = null,
    string? HashAlgorithm = null,
    byte[]? Value = null,
    string? PublicKeyAlgorithm = null,
    DateTimeOffset? Created = null,
    string? Location = null,
    bool ShownByModinfo = false,
    string? Problem = null)
{
    public static ModuleSignature Unsigned { get; } = new(SignatureState.Unsigned);

    public static ModuleSignature UnknownBecause(string problem) => new(SignatureState.Unknown, Problem: problem);

    /// <summary>The label value of the metric: signed, unsigned, unknown.</summary>
    public string StateName => State.ToString().ToLowerInvariant();

    /// <summary>sig_key as modinfo prints it: upper-case colon hex.</summary>
    public string KeyHex => Key is null ? "" : HexFormat.Colon(Key);
}
