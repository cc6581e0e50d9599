using System.Text.Json;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.RealKernel;

/// <summary>
/// Runs tests/kernel/run.sh once: Debian's real kernel under QEMU, real modules loaded, TaintWatch (the
/// NativeAOT binary) watching. The tests then compare what TaintWatch said with what the kernel said.
/// </summary>
public sealed class QemuScenario : IDisposable
{
    public QemuScenario()
    {
        // A developer iterating on assertions can point the tests at an earlier run's results (kept, not deleted).
        if (Environment.GetEnvironmentVariable("TAINTWATCH_QEMU_RESULTS") is { Length: > 0 } earlier)
        {
            Results = earlier;
            _keep = true;
            return;
        }
        var binary = Environment.GetEnvironmentVariable("TAINTWATCH_AOT_BINARY");
        if (string.IsNullOrEmpty(binary))
        {
            throw new InvalidOperationException("TAINTWATCH_AOT_BINARY is not set: scripts/test.sh publishes the NativeAOT binary first");
        }
        _ = Corpus.Root; // the kernel image comes from the corpus
        var run = Tool.Run("bash", null, Path.Combine(Repo.Root, "tests/kernel/run.sh"), binary);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException("the QEMU scenario failed:\n" + run.Output);
        }
        Results = run.Output.Trim().Split('\n')[^1];
    }

    public string Results { get; }

    private readonly bool _keep;

    /// <summary>The work directory (results' parent) holds hard links to the whole module tree: remove it.</summary>
    public void Dispose()
    {
        if (_keep)
        {
            return;
        }
        try
        {
            Directory.Delete(Path.GetDirectoryName(Results)!, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public string Read(string relative) => File.ReadAllText(Path.Combine(Results, relative));

    public ulong Tainted(string step) => ulong.Parse(Read($"{step}/tainted").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>/sys/module/*/taint of the loaded modules that carry letters, as the kernel wrote them.</summary>
    public Dictionary<string, string> SysfsTaint(string step) =>
        Read($"{step}/sysfs-taint").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2)).Where(p => p.Length == 2 && p[1].Length > 0).ToDictionary(p => p[0], p => p[1]);

    public List<Dictionary<string, string>> Journal() =>
        Read("journal.json").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String)
                .ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }).ToList();
}

[CollectionDefinition("qemu")]
public sealed class QemuCollection : ICollectionFixture<QemuScenario>
{
}
