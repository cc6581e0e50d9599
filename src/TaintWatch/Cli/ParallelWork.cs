namespace TaintWatch.Cli;

/// <summary>
/// Runs one job per item on every core and hands the results on in the items' order, each as soon as it and
/// every one before it are done. Each worker claims the next item with one atomic increment (with thousands of
/// small jobs, PLINQ's ordered merge cost more in thread wake-ups than the jobs on a 2-core machine), and results
/// are passed on while the others still run, so they die young instead of being held, and copied by the
/// collector, until the end.
/// </summary>
public static class ParallelWork
{
    /// <param name="settle">Finishes a result for <paramref name="emit"/>, or answers null when it cannot yet (it then
    /// waits, with every result after it, for a later call); called in order, one at a time.</param>
    /// <param name="beforeLast">Called once every job is done, before the results still waiting are settled: it must
    /// make <paramref name="settle"/> able to finish all of them.</param>
    public static void ForEachInOrder<TItem, TResult>(IReadOnlyList<TItem> items, Func<TItem, TResult> job, Func<TResult, TResult?> settle, Action<TResult> emit, Action beforeLast, int workers)
        where TResult : class
    {
        var results = new TResult?[items.Count];
        var next = -1;
        var emitted = 0;
        var gate = new Lock();
        Exception? failure = null;

        void Drain(bool wait)
        {
            if (wait)
            {
                gate.Enter();
            }
            else if (!gate.TryEnter())
            {
                return; // another worker is passing results on and will take this one too, or the last drain will
            }
            try
            {
                while (emitted < results.Length && Volatile.Read(ref results[emitted]) is { } result && settle(result) is { } settled)
                {
                    results[emitted] = null;
                    emitted++;
                    emit(settled);
                }
            }
            finally
            {
                gate.Exit();
            }
        }

        void Work()
        {
            try
            {
                for (var i = Interlocked.Increment(ref next); i < items.Count; i = Interlocked.Increment(ref next))
                {
                    Volatile.Write(ref results[i], job(items[i]));
                    Drain(wait: false);
                }
            }
            catch (Exception e)
            {
                // A job that throws is a bug: stop every worker and rethrow on the caller's thread.
                Interlocked.CompareExchange(ref failure, e, null);
                Interlocked.Exchange(ref next, items.Count);
            }
        }

        var extra = Math.Clamp(Math.Min(workers, items.Count) - 1, 0, 63);
        var threads = new Thread[extra];
        for (var t = 0; t < extra; t++)
        {
            threads[t] = new Thread(Work) { IsBackground = true, Name = "parallel-work" };
            threads[t].Start();
        }
        Work();
        foreach (var thread in threads)
        {
            thread.Join();
        }
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        beforeLast();
        Drain(wait: true);
        if (emitted != results.Length)
        {
            throw new InvalidOperationException($"result {emitted} of {results.Length} could not be settled after every job was done");
        }
    }
}
