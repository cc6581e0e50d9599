namespace TaintWatch.Modules.Elf;

/// <summary>One section header, already checked to lie inside the file (unless it is NOBITS).</summary>
public sealed record ElfSection(int Index, string Name, uint Type, ulong Flags, long Offset, long Size)
{
    public const uint TypeProgBits = 1;
    public const uint TypeNote = 7;
    public const uint TypeNoBits = 8;
}
