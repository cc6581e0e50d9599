using System.Buffers.Binary;
using System.Text;

namespace TaintWatch.Tests.Packaging;

/// <summary>
/// The symbol versions an ELF64 little-endian file needs from each shared library: its .gnu.version_r section
/// (SHT_GNU_verneed), read as the dynamic loader reads it. Enough to find the highest GLIBC_* version.
/// </summary>
internal static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;

    public static IReadOnlyList<(string Library, string Version)> Read(string path)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file");
        }
        var sectionTable = checked((int)U64(elf, 0x28));
        var entrySize = U16(elf, 0x3A);
        var count = U16(elf, 0x3C);
        var needs = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            var header = sectionTable + (i * entrySize);
            if (U32(elf, header + 4) != ShtGnuVerneed)
            {
                continue;
            }
            var offset = checked((int)U64(elf, header + 0x18));
            var strings = sectionTable + ((int)U32(elf, header + 0x28) * entrySize);
            var stringsOffset = checked((int)U64(elf, strings + 0x18));
            var entries = U32(elf, header + 0x2C);
            for (var need = offset; entries-- > 0;)
            {
                var library = CString(elf, stringsOffset + (int)U32(elf, need + 4));
                var aux = need + (int)U32(elf, need + 8);
                for (var n = U16(elf, need + 2); n-- > 0; aux += (int)U32(elf, aux + 12))
                {
                    needs.Add((library, CString(elf, stringsOffset + (int)U32(elf, aux + 8))));
                    if (U32(elf, aux + 12) == 0)
                    {
                        break;
                    }
                }
                var next = U32(elf, need + 12);
                if (next == 0)
                {
                    break;
                }
                need += (int)next;
            }
        }
        return needs;
    }

    /// <summary>"GLIBC_2.28" as 2.28; null for other version names (GLIBC_PRIVATE, …).</summary>
    public static Version? GlibcVersion(string name) =>
        name.StartsWith("GLIBC_", StringComparison.Ordinal) && Version.TryParse(name["GLIBC_".Length..], out var v) ? v : null;

    private static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at, 2));

    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at, 4));

    private static ulong U64(byte[] b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at, 8));

    private static string CString(byte[] b, int at) => Encoding.ASCII.GetString(b, at, Array.IndexOf(b, (byte)0, at) - at);
}
