namespace TaintWatch.Trust;

/// <summary>How a signature names its key: issuer and serial (sign-file's default), or subjectKeyIdentifier (sign-file -k).</summary>
public sealed record SignerId(byte[]? Issuer, byte[]? Serial, byte[]? SubjectKeyId)
{
    /// <summary>A dictionary key for lookups: "s:" + SKID hex, or "i:" + serial hex + issuer hex.</summary>
    public string Key => SubjectKeyId is not null
        ? "s:" + Convert.ToHexString(SubjectKeyId)
        : "i:" + Convert.ToHexString(Serial ?? []) + ":" + Convert.ToHexString(Issuer ?? []);

    public override string ToString() => SubjectKeyId is not null
        ? "subjectKeyIdentifier " + Convert.ToHexStringLower(SubjectKeyId)
        : "serial " + Convert.ToHexStringLower(Serial ?? []);
}
