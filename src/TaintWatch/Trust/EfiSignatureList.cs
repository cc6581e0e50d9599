using System.Buffers.Binary;
using TaintWatch.Modules;

namespace TaintWatch.Trust;

/// <summary>
/// EFI_SIGNATURE_LIST (UEFI spec §32.4.1), the format of the db, dbx, MokListRT and MokListXRT variables:
/// lists of { SignatureType GUID, u32 SignatureListSize, u32 SignatureHeaderSize, u32 SignatureSize, header,
/// EFI_SIGNATURE_DATA { owner GUID, data }[] }. Sizes are checked as the kernel's parse_efi_signature_list()
/// does (security/integrity/platform_certs/efi_parser.c), which refuses the whole variable on a bad one.
/// </summary>
public static class EfiSignatureList
{
    public static readonly Guid CertX509 = new("a5c059a1-94e4-4aa7-87b5-ab155c2bf072");
    public static readonly Guid CertSha256 = new("c1c41626-504c-4092-aca9-41f936934328");
    public static readonly Guid CertX509Sha256 = new("3bd2a492-96c0-4079-b420-fcf98ef103ed");

    private const int ListHeaderSize = 28;
    private const int GuidSize = 16;

    /// <param name="Type">The list's SignatureType.</param>
    /// <param name="Owner">The entry's SignatureOwner.</param>
    /// <param name="Data">The entry's bytes: a DER certificate, a SHA-256 hash, or a TBS hash with revocation time.</param>
    public sealed record Entry(Guid Type, Guid Owner, byte[] Data);

    /// <summary>Parses a variable's value (without efivarfs's 4 attribute bytes); throws <see cref="ModuleFormatException"/> on any bad size.</summary>
    public static List<Entry> Parse(ReadOnlySpan<byte> data)
    {
        var entries = new List<Entry>();
        var offset = 0;
        while (offset < data.Length)
        {
            var remaining = data.Length - offset;
            if (remaining < ListHeaderSize)
            {
                throw new ModuleFormatException($"EFI signature list at offset {offset} is truncated: {remaining} bytes, less than its 28-byte header");
            }
            var header = data.Slice(offset, ListHeaderSize);
            var type = new Guid(header[..GuidSize]);
            var listSize = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
            var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
            var entrySize = BinaryPrimitives.ReadUInt32LittleEndian(header[24..]);
            if (listSize > remaining)
            {
                throw new ModuleFormatException($"EFI signature list at offset {offset} claims {listSize} bytes but only {remaining} remain");
            }
            if (listSize < ListHeaderSize || listSize - ListHeaderSize < headerSize || entrySize < GuidSize)
            {
                throw new ModuleFormatException($"EFI signature list at offset {offset} has sizes that do not fit together (list {listSize}, header {headerSize}, entry {entrySize})");
            }
            var entriesSize = listSize - ListHeaderSize - headerSize;
            if (entriesSize < entrySize || entriesSize % entrySize != 0)
            {
                throw new ModuleFormatException($"EFI signature list at offset {offset} holds {entriesSize} bytes of entries, not a whole number of {entrySize}-byte entries");
            }
            var entryOffset = offset + ListHeaderSize + (int)headerSize;
            for (var i = 0; i < entriesSize / entrySize; i++)
            {
                var entry = data.Slice(entryOffset + (int)(i * entrySize), (int)entrySize);
                entries.Add(new Entry(type, new Guid(entry[..GuidSize]), entry[GuidSize..].ToArray()));
            }
            offset += (int)listSize;
        }
        return entries;
    }

    public static string TypeName(Guid type) =>
        type == CertX509 ? "x509" : type == CertSha256 ? "sha256" : type == CertX509Sha256 ? "x509-sha256" : type.ToString();
}
