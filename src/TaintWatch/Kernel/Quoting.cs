namespace TaintWatch.Kernel;

/// <summary>How TaintWatch quotes text it read (a file's content, a log line, a signer) in its own messages.</summary>
public static class Quoting
{
    /// <summary>At most <paramref name="max"/> characters (cut with "..."), control characters escaped as \xNN: hostile text stays one readable line.</summary>
    public static string Shorten(string text, int max = 60)
    {
        var cut = text.Length <= max ? text : text[..(max - 3)] + "...";
        return cut.Any(char.IsControl)
            ? string.Concat(cut.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()))
            : cut;
    }
}
