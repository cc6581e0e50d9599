using System.Diagnostics;
using System.Text;

namespace TaintWatch.Tests.Support;

/// <summary>
/// The real-module corpus that tests/corpus/prepare.sh builds from Debian's signed kernel package, and kmod's
/// modinfo as the reference to compare against.
/// </summary>
public static class Corpus
{
    public const string KernelRelease = "6.1.0-56-amd64";

    public static string Root
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("TAINTWATCH_CORPUS");
            root = string.IsNullOrEmpty(root) ? "/var/cache/taintwatch-test" : root;
            if (!File.Exists(Path.Combine(root, $".complete-{KernelRelease}-v3")))
            {
                throw new InvalidOperationException($"the real-module corpus is missing in {root}: run tests/corpus/prepare.sh (scripts/test.sh does)");
            }
            return root;
        }
    }

    public static string ModuleDirectory => Path.Combine(Root, "root/lib/modules", KernelRelease);

    public static List<string> Files(string directory, string suffix) =>
        Directory.EnumerateFiles(directory, "*" + suffix, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

    /// <summary>Runs modinfo on many files in batches and splits its output per file (each starts with "filename:").</summary>
    public static Dictionary<string, string> Modinfo(IReadOnlyList<string> files, params string[] options)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var batch in files.Chunk(400))
        {
            var start = new ProcessStartInfo("modinfo") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var o in options)
            {
                start.ArgumentList.Add(o);
            }
            foreach (var f in batch)
            {
                start.ArgumentList.Add(f);
            }
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            _ = stderr.Result;
            string? current = null;
            var block = new StringBuilder();
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("filename:", StringComparison.Ordinal))
                {
                    if (current is not null)
                    {
                        result[current] = block.ToString();
                    }
                    current = line["filename:".Length..].Trim();
                    block.Clear();
                }
                block.Append(line).Append('\n');
            }
            if (current is not null)
            {
                result[current] = block.ToString().TrimEnd('\n') + "\n";
            }
        }
        return result;
    }

    public static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return text;
    }

    /// <summary>Whether this modinfo was built with zlib (Debian 12's kmod 30 is not: it cannot read .ko.gz).</summary>
    public static bool ModinfoReadsGzip => Run("modinfo", "--version").Contains("+ZLIB", StringComparison.Ordinal);
}
