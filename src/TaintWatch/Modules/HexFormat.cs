namespace TaintWatch.Modules;

/// <summary>Hex as modinfo prints it.</summary>
public static class HexFormat
{
    /// <summary>Upper-case, colon-separated ("4A:0F:…"), all on one line.</summary>
    public static string Colon(ReadOnlySpan<byte> bytes) => string.Join(':', bytes.ToArray().Select(b => b.ToString("X2")));

    /// <summary>
    /// modinfo's wrapped form: a "\n\t\t" after every 20 bytes unless it is the last, so each full line ends with ':'
    /// and continuation lines start with two tabs (kmod's hex_to_str).
    /// </summary>
    public static string ColonWrapped(ReadOnlySpan<byte> bytes)
    {
        var text = new System.Text.StringBuilder(bytes.Length * 3 + (bytes.Length / 20 * 3));
        for (var i = 0; i < bytes.Length; i++)
        {
            text.Append(bytes[i].ToString("X2"));
            if (i < bytes.Length - 1)
            {
                text.Append(':');
                if ((i + 1) % 20 == 0)
                {
                    text.Append("\n\t\t");
                }
            }
        }
        return text.ToString();
    }
}
