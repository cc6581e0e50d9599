using System.Buffers.Binary;
using System.Text;

namespace TaintWatch.Modules.Elf;

/// <summary>
/// A small, bounds-checked reader of the ELF section table: every offset, size and count is checked
/// against the file before use, so a crafted header can neither read outside the buffer nor make it
/// allocate (it only slices). Reads ELF32/ELF64 of either byte order (x86_64, aarch64, ppc64le, s390x).
/// ELFSharp allocates gigabytes or loops on crafted section tables (it trusts e_shnum and section sizes);
/// the tests use it as an oracle on real modules instead.
/// </summary>
public sealed class ElfImage
{
    private readonly ByteSource _data;

    private ElfImage(ByteSource data, bool is64, bool bigEndian, ushort machine, IReadOnlyList<ElfSection> sections, long sectionTableEnd)
    {
        _data = data;
        Is64 = is64;
        BigEndian = bigEndian;
        Machine = machine;
        Sections = sections;
        SectionTableEnd = sectionTableEnd;
    }

    public bool Is64 { get; }
    public bool BigEndian { get; }
    public ushort Machine { get; }
    public IReadOnlyList<ElfSection> Sections { get; }

    /// <summary>Where the section header table ends: signature data may follow, nothing else should.</summary>
    public long SectionTableEnd { get; }

    public static bool HasElfMagic(ReadOnlySpan<byte> data) => data is [0x7F, (byte)'E', (byte)'L', (byte)'F', ..];

    public ElfSection? Find(string name) => Sections.FirstOrDefault(s => s.Name == name);

    /// <summary>The bytes of a section (empty for NOBITS).</summary>
    public ReadOnlyMemory<byte> Contents(ElfSection section) =>
        section.Type == ElfSection.TypeNoBits ? ReadOnlyMemory<byte>.Empty : _data.Read(section.Offset, (int)section.Size);

    /// <summary>Parses the header and section table; throws <see cref="ModuleFormatException"/> with the reason.</summary>
    public static ElfImage Parse(ReadOnlyMemory<byte> memory) => Parse(ByteSource.FromMemory(memory));

    /// <summary>Parses the header and section table, reading only those regions of the source.</summary>
    public static ElfImage Parse(ByteSource source)
    {
        var fileLength = source.Length;
        var data = source.Read(0, (int)Math.Min(64, fileLength)).Span;
        if (data.Length < 16 || !HasElfMagic(data))
        {
            throw new ModuleFormatException("not an ELF file (no \\x7FELF magic)");
        }
        var is64 = data[4] switch
        {
            1 => false,
            2 => true,
            _ => throw new ModuleFormatException($"ELF class {data[4]} is neither 32- nor 64-bit"),
        };
        var bigEndian = data[5] switch
        {
            1 => false,
            2 => true,
            _ => throw new ModuleFormatException($"ELF data encoding {data[5]} is neither little- nor big-endian"),
        };
        if (data[6] != 1)
        {
            throw new ModuleFormatException($"ELF version {data[6]} is not 1");
        }
        var headerSize = is64 ? 64 : 52;
        if (data.Length < headerSize)
        {
            throw new ModuleFormatException($"ELF header is truncated ({data.Length} of {headerSize} bytes)");
        }
        var header = new FieldReader(data, bigEndian);
        var machine = header.U16(18);
        var sectionOffset = is64 ? (long)Math.Min(header.U64(40), long.MaxValue) : header.U32(32);
        var entrySize = header.U16(is64 ? 58 : 46);
        long count = header.U16(is64 ? 60 : 48);
        long nameIndex = header.U16(is64 ? 62 : 50);
        var expectedEntrySize = is64 ? 64 : 40;
        if (sectionOffset == 0)
        {
            throw new ModuleFormatException("ELF file has no section header table");
        }
        if (entrySize != expectedEntrySize)
        {
            throw new ModuleFormatException($"ELF section header size is {entrySize}, expected {expectedEntrySize}");
        }
        if (sectionOffset > fileLength - expectedEntrySize)
        {
            throw new ModuleFormatException($"ELF section header table at offset {sectionOffset} lies beyond the end of the {fileLength}-byte file");
        }
        var first = new FieldReader(source.Read(sectionOffset, expectedEntrySize).Span, bigEndian);
        // e_shnum == 0 / e_shstrndx == SHN_XINDEX: the real values live in section 0 (ELF extended numbering).
        if (count == 0)
        {
            count = (long)Math.Min(is64 ? first.U64(32) : first.U32(20), long.MaxValue);
        }
        if (nameIndex == 0xFFFF)
        {
            nameIndex = first.U32(is64 ? 40 : 24);
        }
        var available = (fileLength - sectionOffset) / expectedEntrySize;
        if (count <= 0 || count > available)
        {
            throw new ModuleFormatException($"ELF section count {count} does not fit the file (room for {available} headers after offset {sectionOffset})");
        }
        if (nameIndex == 0 || nameIndex >= count)
        {
            throw new ModuleFormatException($"ELF section-name table index {nameIndex} is out of range (0..{count - 1})");
        }

        // e_shnum is 16 bits, but extended numbering can claim more: at most what fits in the file, read once.
        var table = new FieldReader(source.Read(sectionOffset, checked((int)(count * expectedEntrySize))).Span, bigEndian);
        var raw = new (uint Name, uint Type, ulong Flags, long Offset, long Size)[count];
        for (var i = 0; i < count; i++)
        {
            var h = (long)i * expectedEntrySize;
            var type = table.U32(h + 4);
            var offset = is64 ? table.U64(h + 24) : table.U32(h + 16);
            var size = is64 ? table.U64(h + 32) : table.U32(h + 20);
            var flags = is64 ? table.U64(h + 8) : table.U32(h + 8);
            if (type != ElfSection.TypeNoBits && i != 0 && (offset > (ulong)fileLength || size > (ulong)fileLength - offset))
            {
                throw new ModuleFormatException($"ELF section {i} (offset {offset}, size {size}) extends beyond the end of the {fileLength}-byte file");
            }
            // Section 0 is the null section (it may carry extended counts in its size field): it has no bytes.
            raw[i] = i == 0 ? (table.U32(h), type, flags, 0, 0) : (table.U32(h), type, flags, (long)offset, (long)size);
        }
        var names = raw[nameIndex];
        if (names.Type == ElfSection.TypeNoBits)
        {
            throw new ModuleFormatException("ELF section-name table has no contents");
        }
        var nameTable = source.Read(names.Offset, (int)names.Size).Span;
        var sections = new ElfSection[count];
        for (var i = 0; i < count; i++)
        {
            sections[i] = new ElfSection(i, NameAt(nameTable, raw[i].Name), raw[i].Type, raw[i].Flags, raw[i].Offset, raw[i].Size);
        }
        return new ElfImage(source, is64, bigEndian, machine, sections, sectionOffset + (count * expectedEntrySize));
    }

    private static string NameAt(ReadOnlySpan<byte> table, uint offset)
    {
        if (offset >= table.Length)
        {
            return "";
        }
        var rest = table[(int)offset..];
        var end = rest.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? rest : rest[..end]);
    }

    /// <summary>Reads fixed-width fields at checked offsets in the file's byte order.</summary>
    private readonly ref struct FieldReader(ReadOnlySpan<byte> data, bool bigEndian)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public ushort U16(long offset) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(Slice(offset, 2)) : BinaryPrimitives.ReadUInt16LittleEndian(Slice(offset, 2));
        public uint U32(long offset) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(Slice(offset, 4)) : BinaryPrimitives.ReadUInt32LittleEndian(Slice(offset, 4));
        public ulong U64(long offset) => bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(Slice(offset, 8)) : BinaryPrimitives.ReadUInt64LittleEndian(Slice(offset, 8));

        private ReadOnlySpan<byte> Slice(long offset, int length) =>
            offset >= 0 && offset <= _data.Length - length
                ? _data.Slice((int)offset, length)
                : throw new ModuleFormatException($"ELF field at offset {offset} lies beyond the {_data.Length} bytes read");
    }
}
