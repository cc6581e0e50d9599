using TaintWatch.Cli;

namespace TaintWatch.Tests.Concurrency;

public class ParallelWorkTests
{
    [Fact]
    public void Results_come_out_in_the_items_order_however_long_each_job_takes()
    {
        var items = Enumerable.Range(0, 2000).ToList();
        var emitted = new List<int>();
        ParallelWork.ForEachInOrder(items, i =>
        {
            // Uneven jobs: later items often finish before earlier ones.
            Thread.SpinWait((i * 7919 % 13) * 200);
            return new Box(i * 2);
        }, b => b, b => emitted.Add(b.Value), () => { }, workers: 4);
        Assert.Equal(items.Select(i => i * 2), emitted);
    }

    [Fact]
    public void A_result_that_cannot_be_settled_yet_holds_back_those_after_it_until_the_end()
    {
        var ready = false;
        var emitted = new List<int>();
        var emittedBeforeReady = -1;
        ParallelWork.ForEachInOrder(Enumerable.Range(0, 500).ToList(), i => new Box(i),
            b => b.Value == 100 && !Volatile.Read(ref ready) ? null : b,
            b => emitted.Add(b.Value),
            () =>
            {
                emittedBeforeReady = emitted.Count;
                Volatile.Write(ref ready, true);
            },
            workers: 3);
        Assert.Equal(100, emittedBeforeReady);
        Assert.Equal(Enumerable.Range(0, 500), emitted);
    }

    [Fact]
    public void A_job_that_throws_stops_the_work_and_is_rethrown_to_the_caller()
    {
        var started = 0;
        var e = Assert.Throws<InvalidDataException>(() => ParallelWork.ForEachInOrder(Enumerable.Range(0, 100_000).ToList(), i =>
        {
            Interlocked.Increment(ref started);
            return i == 10 ? throw new InvalidDataException("job 10 failed") : new Box(i);
        }, b => b, _ => { }, () => { }, workers: 2));
        Assert.Equal("job 10 failed", e.Message);
        Assert.True(started < 100_000, $"{started} jobs started after the failure");
    }

    [Fact]
    public void A_result_never_settled_is_an_error_not_a_silent_loss()
    {
        Assert.Throws<InvalidOperationException>(() => ParallelWork.ForEachInOrder(new[] { 1, 2, 3 }, i => new Box(i),
            b => b.Value == 2 ? null : b, _ => { }, () => { }, workers: 2));
    }

    [Fact]
    public void No_items_emit_nothing()
    {
        var calls = 0;
        ParallelWork.ForEachInOrder(Array.Empty<int>(), i => new Box(i), b => b, _ => calls++, () => { }, workers: 2);
        Assert.Equal(0, calls);
    }

    private sealed record Box(int Value);
}
