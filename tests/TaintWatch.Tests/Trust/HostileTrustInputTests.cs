using TaintWatch.Fuzz;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Trust;

/// <summary>
/// Every trust parser's kept fuzz inputs, cut short at many points and with bytes changed (a fixed seed, so a
/// failure repeats): each must answer with its documented error or a result, never a crash or a hang.
/// </summary>
public class HostileTrustInputTests
{
    public static TheoryData<string> Targets() => ["kernel-image", "certificate-list", "efi-signature-list", "pkcs7-message", "signature-chain", "proc-keys"];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Truncated_and_mutated_inputs_are_answered(string target)
    {
        var random = new Random(15);
        var run = FuzzTargets.All[target];
        var inputs = Directory.GetFiles(Path.Combine(Repo.Root, "tests/fuzz-corpus", target));
        Assert.NotEmpty(inputs);
        foreach (var file in inputs)
        {
            var data = File.ReadAllBytes(file);
            for (var i = 0; i <= 16; i++)
            {
                var cut = data[..(int)((long)data.Length * i / 16)];
                var error = Record.Exception(() => run(cut));
                Assert.True(error is null, $"{Path.GetFileName(file)} cut to {cut.Length}: {error}");
            }
            for (var i = 0; i < 64 && data.Length > 0; i++)
            {
                var mutated = (byte[])data.Clone();
                var at = random.Next(mutated.Length);
                // Mostly the extremes a length field can take, else any byte.
                mutated[at] = (i % 3) switch { 0 => 0xFF, 1 => 0x00, _ => (byte)random.Next(256) };
                var error = Record.Exception(() => run(mutated));
                Assert.True(error is null, $"{Path.GetFileName(file)} with byte {at} set to {mutated[at]:x2}: {error}");
            }
        }
    }
}
