using System.Text;

namespace TaintWatch.Cli;

/// <summary>
/// A buffered UTF-8 writer on stdout. Console.Out flushes on every write, which made `inspect --all`
/// spend more time writing its 10 MB than reading 4,000 modules. Program.Main flushes it on exit.
/// </summary>
public static class StandardOutput
{
    public static TextWriter Writer { get; } = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024) { AutoFlush = false };
}
