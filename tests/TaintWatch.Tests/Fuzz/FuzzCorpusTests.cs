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

/// <summary>
/// Between afl++ campaigns (not installed on every machine): byte flips, cuts and splices of each kept input,
/// from a fixed seed so a failure is reproducible, through the same target. Covers decoders added since the
/// last campaign (the lzma and bzip2 kernel payloads) with thousands of malformed inputs.
/// </summary>
public sealed class FuzzMutationTests
{
    [Theory]
    [InlineData("kernel-image", 4000)]
    [InlineData("xz", 1500)]
    public void Mutations_of_the_kept_inputs_are_answered_without_a_crash(string target, int mutations)
    {
        var inputs = Directory.GetFiles(Path.Combine(Repo.Root, "tests", "fuzz-corpus", target)).OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        var random = new Random(20261201);
        for (var n = 0; n < mutations; n++)
        {
            var data = (byte[])inputs[n % inputs.Length].Clone();
            switch (random.Next(3))
            {
                case 0:
                    for (var flips = random.Next(1, 8); flips > 0 && data.Length > 0; flips--)
                    {
                        data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                    }
                    break;
                case 1:
                    data = data[..random.Next(data.Length + 1)];
                    break;
                default:
                    var other = inputs[random.Next(inputs.Length)];
                    var at = random.Next(data.Length + 1);
                    data = [.. data.AsSpan(0, at), .. other.AsSpan(random.Next(other.Length + 1))];
                    break;
            }
            var error = Record.Exception(() => FuzzTargets.All[target](data));
            Assert.True(error is null, $"mutation {n} of input {n % inputs.Length}: {error}");
        }
    }
}
