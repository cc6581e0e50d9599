using SharpFuzz;
using TaintWatch.Fuzz;

// Usage (under afl-fuzz, see fuzz/run.sh): TaintWatch.Fuzz TARGET
if (args.Length != 1 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: TaintWatch.Fuzz TARGET   (targets: {string.Join(", ", FuzzTargets.All.Keys)})");
    return 2;
}
Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    target(copy.ToArray());
});
return 0;
