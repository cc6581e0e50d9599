using TaintWatch.Fuzz;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Fuzz;

/// <summary>
/// Replays what the afl++ campaigns (fuzz/run.sh) kept in tests/fuzz-corpus/TARGET/: the coverage-minimised
/// corpus and every crash or hang they found (files named crashes-* and hangs-*), each through the same target
/// as under the fuzzer. A crash that comes back fails here, with the file named.
/// </summary>
public sealed class FuzzCorpusTests
{
    private static string CorpusRoot => Path.Combine(Repo.Root, "tests", "fuzz-corpus");

    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_kept_input_of_the_target_is_answered_without_a_crash(string target)
    {
        var directory = Path.Combine(CorpusRoot, target);
        Assert.True(Directory.Exists(directory), $"no corpus kept for {target}: run fuzz/run.sh {target}");
        var inputs = Directory.GetFiles(directory);
        Assert.NotEmpty(inputs);
        foreach (var input in inputs)
        {
            var data = File.ReadAllBytes(input);
            var error = Record.Exception(() => FuzzTargets.All[target](data));
            Assert.True(error is null, $"{Path.GetFileName(input)}: {error}");
        }
    }

    [Fact]
    public void Every_kept_corpus_belongs_to_a_known_target()
    {
        foreach (var directory in Directory.GetDirectories(CorpusRoot))
        {
            Assert.Contains(Path.GetFileName(directory), FuzzTargets.All.Keys);
        }
    }
}
