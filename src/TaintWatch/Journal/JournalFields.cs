using System.Buffers.Binary;
using System.Text;

namespace TaintWatch.Journal;

/// <summary>
/// Serialises fields for journald's native protocol (systemd.io JOURNAL_NATIVE_PROTOCOL): "NAME=value\n",
/// or, for values containing a newline, "NAME\n" + little-endian 64-bit length + value + "\n".
/// </summary>
public static class JournalFields
{
    /// <summary>journald's rule: A–Z, 0–9 and '_', not starting with '_' or a digit, at most 64 characters.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && !char.IsAsciiDigit(name[0]) && name[0] != '_' &&
        name.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_');

    public static byte[] Serialize(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var output = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        foreach (var (name, value) in fields)
        {
            if (!IsValidName(name))
            {
                throw new ArgumentException($"\"{name}\" is not a valid journal field name", nameof(fields));
            }
            var nameBytes = Encoding.ASCII.GetBytes(name);
            var valueBytes = Encoding.UTF8.GetBytes(value);
            output.Write(nameBytes);
            if (value.Contains('\n', StringComparison.Ordinal))
            {
                output.WriteByte((byte)'\n');
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)valueBytes.Length);
                output.Write(length);
            }
            else
            {
                output.WriteByte((byte)'=');
            }
            output.Write(valueBytes);
            output.WriteByte((byte)'\n');
        }
        return output.ToArray();
    }
}
