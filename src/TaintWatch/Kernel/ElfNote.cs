namespace TaintWatch.Kernel;

/// <summary>Reads ELF notes (namesz, descsz, type, name, desc; 4-byte aligned), as in .note.gnu.build-id.</summary>
public static class ElfNote
{
    public const uint GnuBuildIdType = 3;

    public readonly record struct Note(string Name, uint Type, ReadOnlyMemory<byte> Descriptor);

    /// <summary>Every well-formed note in the buffer; stops at the first malformed one.</summary>
    public static IEnumerable<Note> Enumerate(ReadOnlyMemory<byte> data)
    {
        var offset = 0;
        while (data.Length - offset >= 12)
        {
            var span = data.Span;
            var nameSize = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);
            var descSize = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 4)..]);
            var type = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[(offset + 8)..]);
            var nameStart = (long)offset + 12;
            var descStart = nameStart + Align4(nameSize);
            var end = descStart + Align4(descSize);
            if (nameSize > int.MaxValue || descSize > int.MaxValue || descStart + descSize > data.Length)
            {
                yield break;
            }
            var nameBytes = data.Span.Slice((int)nameStart, (int)nameSize);
            var terminator = nameBytes.IndexOf((byte)0);
            var name = System.Text.Encoding.ASCII.GetString(terminator >= 0 ? nameBytes[..terminator] : nameBytes);
            yield return new Note(name, type, data.Slice((int)descStart, (int)descSize));
            if (end > data.Length)
            {
                yield break;
            }
            offset = (int)end;
        }
    }

    /// <summary>The GNU build-id in lower-case hex, or null when the buffer holds none.</summary>
    public static string? FindBuildId(ReadOnlyMemory<byte> data)
    {
        foreach (var note in Enumerate(data))
        {
            if (note.Name == "GNU" && note.Type == GnuBuildIdType && note.Descriptor.Length > 0)
            {
                return Convert.ToHexStringLower(note.Descriptor.Span);
            }
        }
        return null;
    }

    private static long Align4(uint value) => ((long)value + 3) & ~3L;
}
