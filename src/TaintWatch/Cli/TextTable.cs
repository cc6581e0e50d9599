namespace TaintWatch.Cli;

/// <summary>A plain left-aligned text table for terminals: columns sized to their widest cell.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public int Count => _rows.Count;

    public void Write(TextWriter output, string indent = "")
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        WriteRow(output, indent, headers, widths);
        foreach (var row in _rows)
        {
            WriteRow(output, indent, row, widths);
        }
    }

    private static void WriteRow(TextWriter output, string indent, string[] cells, int[] widths)
    {
        var parts = cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]));
        output.WriteLine((indent + string.Join("  ", parts)).TrimEnd());
    }
}
