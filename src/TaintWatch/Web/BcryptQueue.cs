using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace TaintWatch.Web;

/// <summary>
/// Runs bcrypt verifications one at a time on a thread of their own, at a low CPU priority (nice 10), as
/// exporter-toolkit serialises them behind a mutex. A flood of wrong passwords then costs at most that one thread,
/// which gives way to everything else on the host: the daemon's polls and scrapes that need no bcrypt are not
/// slowed, and waiting requests hold no thread. The thread starts at the first verification and then sleeps
/// until the next one.
/// </summary>
public static partial class BcryptQueue
{
    private static readonly BlockingCollection<(string Password, string Hash, TaskCompletionSource<bool> Result)> Pending = new(new ConcurrentQueue<(string, string, TaskCompletionSource<bool>)>());
    private static readonly Lazy<Thread> Worker = new(() =>
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "bcrypt" };
        thread.Start();
        return thread;
    });

    /// <summary>
    /// A tenth of a normal thread's share when both want the CPU (CFS weights 110 and 1024): scrapes and polls come
    /// first, yet a login on a busy host still completes (at nice 19, 15 against 1024, it took seconds at load 25).
    /// </summary>
    private const int Nice = 10;

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    /// <summary>True when the password matches; false for a wrong one or a hash bcrypt cannot read.</summary>
    public static Task<bool> VerifyAsync(string password, string hash)
    {
        _ = Worker.Value;
        var result = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Pending.Add((password, hash, result));
        return result.Task;
    }

    private static void Run()
    {
        // On Linux the nice value belongs to the thread: PRIO_PROCESS with 0 lowers only this one. Failing is harmless.
        _ = SetPriority(0, 0, Nice);
        foreach (var (password, hash, result) in Pending.GetConsumingEnumerable())
        {
            try
            {
                result.SetResult(BCrypt.Net.BCrypt.Verify(password, hash));
            }
            catch (Exception e) when (e is BCrypt.Net.SaltParseException or ArgumentException)
            {
                result.SetResult(false); // cannot happen for a hash WebConfig accepted: a refusal rather than a failed request
            }
        }
    }
}
