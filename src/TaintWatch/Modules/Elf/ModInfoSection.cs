using System.Text;

namespace TaintWatch.Modules.Elf;

/// <summary>The NUL-separated "key=value" strings of a module's .modinfo section, in file order.</summary>
public static class ModInfoSection
{
    /// <summary>Splits the section as kmod does: empty strings (padding) are skipped; a string without '=' is a key with an empty value.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Parse(ReadOnlySpan<byte> section)
    {
        var fields = new List<KeyValuePair<string, string>>();
        while (!section.IsEmpty)
        {
            var end = section.IndexOf((byte)0);
            var entry = end < 0 ? section : section[..end];
            section = end < 0 ? [] : section[(end + 1)..];
            if (entry.IsEmpty)
            {
                continue;
            }
            var equals = entry.IndexOf((byte)'=');
            var key = equals < 0 ? entry : entry[..equals];
            var value = equals < 0 ? [] : entry[(equals + 1)..];
            fields.Add(new(Encoding.UTF8.GetString(key), Encoding.UTF8.GetString(value)));
        }
        return fields;
    }
}
