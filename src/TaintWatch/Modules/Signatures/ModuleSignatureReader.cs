using System.Text;
using TaintWatch.Modules.Elf;

namespace TaintWatch.Modules.Signatures;

/// <summary>Finds and decodes a module's signature in any of the formats RHEL 5 to 10 and upstream use.</summary>
public static class ModuleSignatureReader
{
    private const uint RhelSixNoteType = 100;

    /// <param name="image">The whole, decompressed module file.</param>
    /// <param name="elf">Its parsed section table, or null when the ELF could not be parsed.</param>
    public static ModuleSignature Read(ByteSource image, ElfImage? elf)
    {
        if (AppendedSignature.HasMagic(image))
        {
            var appended = AppendedSignature.Read(image, out var problem);
            return appended is null ? ModuleSignature.UnknownBecause(problem!) : FromAppended(appended);
        }
        if (elf is null)
        {
            return ModuleSignature.UnknownBecause("the ELF section table could not be read, so GPG signature sections cannot be ruled out");
        }
        // RHEL 5: the raw GPG signature in a PROGBITS section named .module_sig.
        if (elf.Find(".module_sig") is { } rhel5)
        {
            return FromOpenPgp(elf.Contents(rhel5).Span, ".module_sig");
        }
        // RHEL 6: an ELF note "module.sig" of type 100 in .note.module.sig.
        if (elf.Find(".note.module.sig") is { } rhel6)
        {
            foreach (var note in TaintWatch.Kernel.ElfNote.Enumerate(elf.Contents(rhel6)))
            {
                if (note.Name == "module.sig" && note.Type == RhelSixNoteType)
                {
                    return FromOpenPgp(note.Descriptor.Span, ".note.module.sig");
                }
            }
            return ModuleSignature.UnknownBecause(".note.module.sig holds no \"module.sig\" note of type 100");
        }
        return ModuleSignature.Unsigned;
    }

    private static ModuleSignature FromAppended(AppendedSignature s)
    {
        if (s.IdType != SignatureIdType.Pkcs7)
        {
            // RHEL 7's X.509 format (and the never-shipped PGP one): signer and key id are stored in clear.
            return new ModuleSignature(
                SignatureState.Signed,
                Id: s.IdType == SignatureIdType.X509 ? "X509" : "PGP",
                Signer: Encoding.UTF8.GetString(s.Signer),
                Key: s.KeyId,
                KeyKind: s.IdType == SignatureIdType.X509 ? "x509-skid" : "pgp-keyid",
                HashAlgorithm: AppendedSignature.HashNames[s.Hash],
                Value: s.Data,
                PublicKeyAlgorithm: s.Algorithm == 1 ? "rsa" : "dsa",
                Location: "appended",
                ShownByModinfo: true);
        }
        Pkcs7SignerInfo signer;
        try
        {
            signer = Pkcs7SignerInfo.Parse(s.Data);
        }
        catch (ModuleFormatException e)
        {
            return ModuleSignature.UnknownBecause("the appended PKCS#7 signature cannot be parsed: " + e.Message);
        }
        var bySerial = signer.SerialNumber is not null;
        return new ModuleSignature(
            SignatureState.Signed,
            Id: "PKCS#7",
            Signer: signer.IssuerCommonName is null ? null : Encoding.UTF8.GetString(signer.IssuerCommonName),
            Key: bySerial ? signer.SerialNumber : signer.SubjectKeyIdentifier,
            KeyKind: bySerial ? "serial" : "subjectKeyIdentifier",
            HashAlgorithm: Pkcs7SignerInfo.DigestName(signer.DigestAlgorithmOid),
            Value: signer.EncryptedDigest,
            PublicKeyAlgorithm: Pkcs7SignerInfo.SignatureAlgorithmName(signer.SignatureAlgorithmOid),
            Location: "appended",
            // kmod (with OpenSSL) requires issuerAndSerialNumber: `sign-file -k` signatures show nothing in modinfo.
            ShownByModinfo: bySerial);
    }

    private static ModuleSignature FromOpenPgp(ReadOnlySpan<byte> data, string location)
    {
        try
        {
            var pgp = OpenPgpSignature.Parse(data);
            return new ModuleSignature(
                SignatureState.Signed,
                Id: "PGP",
                Key: pgp.KeyId is ulong id ? BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(id)) : null,
                KeyKind: "pgp-keyid",
                HashAlgorithm: pgp.HashName,
                Value: pgp.Values.SelectMany(v => v).ToArray(),
                PublicKeyAlgorithm: pgp.PublicKeyAlgorithmName,
                Created: pgp.Created,
                Location: location,
                ShownByModinfo: false);
        }
        catch (ModuleFormatException e)
        {
            return ModuleSignature.UnknownBecause($"the GPG signature in {location} cannot be parsed: {e.Message}");
        }
    }
}
