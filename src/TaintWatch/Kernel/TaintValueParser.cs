using System.Globalization;

namespace TaintWatch.Kernel;

/// <summary>Parses what a user types to decode: a decimal or 0x-hex mask, or a string of taint letters.</summary>
public static class TaintValueParser
{
    public enum InputKind
    {
        Mask,
        Letters,
    }

    public static bool TryParse(string input, TaintTable table, out ulong mask, out InputKind kind, out string? error)
    {
        var text = input.Trim();
        mask = 0;
        kind = InputKind.Mask;
        error = null;
        if (text.Length == 0)
        {
            error = "nothing to decode: give a taint value such as 12801 or 0x3201, or letters such as POE";
            return false;
        }
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mask))
            {
                return true;
            }
            error = $"\"{Quoting.Shorten(text)}\" is not a hexadecimal taint value (at most 16 hex digits after 0x)";
            return false;
        }
        if (text.All(char.IsAsciiDigit))
        {
            if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out mask))
            {
                return true;
            }
            error = $"\"{Quoting.Shorten(text)}\" is larger than a 64-bit taint value";
            return false;
        }
        var letters = text.Trim('(', ')');
        if (letters.Length > 0 && letters.All(c => char.IsAsciiLetter(c) || c is ' ' or '-'))
        {
            kind = InputKind.Letters;
            return table.TryParseLetters(letters, out mask, out error);
        }
        error = $"\"{Quoting.Shorten(text)}\" is neither a taint value (12801, 0x3201) nor taint letters (POE)";
        return false;
    }
}
