using System.Buffers.Binary;

namespace TaintWatch.Modules.Signatures;

/// <summary>
/// The signature appended after a module's ELF image:
/// [module][signer][key id][signature][struct module_signature, 12 bytes]["~Module signature appended~\n"].
/// Layout from the kernel's include/linux/module_signature.h (struct module_signature); the same acceptance rules as kmod's libkmod-signature.c, so that "signed"
/// here means what modinfo shows as signed.
/// </summary>
public sealed record AppendedSignature(
    byte Algorithm,
    byte Hash,
    SignatureIdType IdType,
    byte[] Signer,
    byte[] KeyId,
    byte[] Data,
    long ModuleLength)
{
    public static ReadOnlySpan<byte> Magic => "~Module signature appended~\n"u8;

    public const int InfoSize = 12;

    /// <summary>kmod's pkey_hash_algo table: names of the hash field of non-PKCS#7 signatures.</summary>
    public static readonly string[] HashNames = ["md4", "md5", "sha1", "rmd160", "sha256", "sha384", "sha512", "sha224", "sm3"];

    public static bool HasMagic(ReadOnlySpan<byte> file) => file.EndsWith(Magic);

    public static bool HasMagic(ByteSource file) => file.Length >= Magic.Length && HasMagic(file.Read(file.Length - Magic.Length, Magic.Length).Span);

    /// <summary>
    /// Reads the trailer. Returns null with a reason when the file ends with the magic but the block is not
    /// one kmod accepts (modinfo then shows no signature), and null without a reason when there is no magic.
    /// </summary>
    public static AppendedSignature? Read(ReadOnlySpan<byte> file, out string? problem) =>
        Read(ByteSource.FromMemory(file.ToArray()), out problem);

    /// <summary>Reads only the trailer and the signature bytes it points to.</summary>
    public static AppendedSignature? Read(ByteSource file, out string? problem)
    {
        problem = null;
        if (!HasMagic(file))
        {
            return null;
        }
        var infoStart = file.Length - Magic.Length - InfoSize;
        if (infoStart < 0)
        {
            problem = "signature trailer is truncated: no room for the 12-byte module_signature block";
            return null;
        }
        var info = file.Read(infoStart, InfoSize).Span;
        var algorithm = info[0];
        var hash = info[1];
        var idType = info[2];
        var signerLength = info[3];
        var keyIdLength = info[4];
        var signatureLength = BinaryPrimitives.ReadUInt32BigEndian(info[8..]);
        if (algorithm >= 2 || hash >= HashNames.Length || idType >= 3)
        {
            problem = $"module_signature block has values no kernel writes (algo {algorithm}, hash {hash}, id_type {idType})";
            return null;
        }
        if (signatureLength == 0)
        {
            problem = "module_signature block says the signature is 0 bytes long";
            return null;
        }
        var payload = (long)signatureLength + signerLength + keyIdLength;
        if (payload > infoStart)
        {
            problem = $"module_signature block claims {payload} bytes of signature data but only {infoStart} precede it";
            return null;
        }
        var signerStart = infoStart - payload;
        var block = file.Read(signerStart, (int)payload).Span;
        return new AppendedSignature(
            algorithm,
            hash,
            (SignatureIdType)idType,
            block[..signerLength].ToArray(),
            block.Slice(signerLength, keyIdLength).ToArray(),
            block[(signerLength + keyIdLength)..].ToArray(),
            signerStart);
    }
}
