namespace TaintWatch.Modules;

/// <summary>Hex as modinfo prints it.</summary>
public static class HexFormat
{
    /// <summary>Upper-case, colon-separated ("4A:0F:…"), all on one line.</summary>
    public static string Colon(ReadOnlySpan<byte> bytes) => Format(bytes, wrap: false);

    /// <summary>
    /// modinfo's wrapped form: a "\n\t\t" after every 20 bytes unless it is the last, so each full line ends with ':'
    /// and continuation lines start with two tabs (kmod's hex_to_str).
    /// </summary>
    public static string ColonWrapped(ReadOnlySpan<byte> bytes) => Format(bytes, wrap: true);

    private static string Format(ReadOnlySpan<byte> bytes, bool wrap)
    {
        if (bytes.IsEmpty)
        {
            return "";
        }
        var breaks = wrap ? (bytes.Length - 1) / 20 : 0;
        var chars = new char[(bytes.Length * 3) - 1 + (breaks * 3)];
        var at = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[at++] = Digits[bytes[i] >> 4];
            chars[at++] = Digits[bytes[i] & 0xF];
            if (i < bytes.Length - 1)
            {
                chars[at++] = ':';
                if (wrap && (i + 1) % 20 == 0)
                {
                    chars[at++] = '\n';
                    chars[at++] = '\t';
                    chars[at++] = '\t';
                }
            }
        }
        return new string(chars);
    }

    private static ReadOnlySpan<char> Digits => "0123456789ABCDEF";
}
