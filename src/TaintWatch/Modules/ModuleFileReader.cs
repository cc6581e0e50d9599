using TaintWatch.Kernel;

namespace TaintWatch.Modules;

/// <summary>
/// Reads module files on worker threads of its own, so that a file whose open() or read() never returns (a hung
/// NFS, FUSE or 9p mount under /lib/modules) stalls neither the poll loop nor the other files. Each file is read
/// again only when its identity (device, inode, size, mtime, ctime) changed; a file that could not be read is
/// never kept, so one made readable by chmod or restorecon is read at the next check. A worker stuck in a read is replaced, up to a
/// bound: its thread is lost until the kernel answers, which is all a user-space reader can do.
/// </summary>
public sealed class ModuleFileReader : IDisposable
{
    /// <summary>Workers besides the stuck ones; a stuck read leaves this many threads free for the other files.</summary>
    private readonly int _workers;

    /// <summary>Threads at most, stuck ones included.</summary>
    private readonly int _maxThreads;

    private readonly Func<string, ModuleInspection> _inspect;
    private readonly Action? _completed;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Queue<Read> _queue = new();
    private readonly Dictionary<string, Read> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (FileIdentity Identity, ModuleInspection Inspection)> _cache = new(StringComparer.Ordinal);
    private readonly List<Worker> _threads = [];
    private bool _disposed;

    /// <param name="workers">Files read at once.</param>
    /// <param name="timeout">How long a read may take before callers are told it timed out.</param>
    /// <param name="completed">Called on a worker thread when a read finishes (the daemon wakes its poll loop).</param>
    /// <param name="inspect">The reader of one file (tests pass one that blocks like a hung mount).</param>
    public ModuleFileReader(int workers, TimeSpan timeout, TimeProvider? time = null, Action? completed = null, Func<string, ModuleInspection>? inspect = null)
    {
        _workers = Math.Max(1, workers);
        _maxThreads = _workers + 6;
        Timeout = timeout;
        _time = time ?? TimeProvider.System;
        _completed = completed;
        // Evidence for verification is taken while the file is read: hashing it later would mean reading it twice.
        _inspect = inspect ?? (path => ModuleInspector.Inspect(path, collectEvidence: true));
    }

    public TimeSpan Timeout { get; }

    /// <summary>One file being read, or read.</summary>
    public sealed class Read
    {
        private readonly TaskCompletionSource<ModuleInspection> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal Read(string path, string root, long started)
        {
            Path = path;
            Root = root;
            Started = started;
        }

        public string Path { get; }

        /// <summary>The root the file's absolute symlinks are followed under (--path.rootfs).</summary>
        internal string Root { get; }

        internal long Started { get; }

        internal long? Running { get; set; }

        public ModuleInspection? Result { get; private set; }

        /// <summary>Where the file comes from, worked out by the worker after the read (null without a classifier).</summary>
        public ModuleOrigin? Origin { get; private set; }

        /// <summary>Classifies the file on the worker (it may follow a symlink, which is I/O under /lib/modules).</summary>
        internal Func<ModuleOrigin>? Classify { get; init; }

        /// <summary>Other work on the module tree (reading modules.dep) run in place of a file read; see <see cref="Run{T}"/>.</summary>
        internal Action? Job { get; init; }

        public bool IsCompleted => _done.Task.IsCompleted;

        internal void Complete(ModuleInspection result, ModuleOrigin? origin)
        {
            Origin = origin;
            Result = result;
            _done.SetResult(result);
        }

        internal bool Wait(TimeSpan timeout) => _done.Task.Wait(timeout);
    }

    /// <summary>Starts reading a file, or joins the read of it already under way.</summary>
    /// <param name="root">--path.rootfs: absolute symlinks (weak-updates) are followed under it.</param>
    /// <param name="classify">Works out the file's origin on the worker, after the read.</param>
    public Read Start(string path, string root = "/", Func<ModuleOrigin>? classify = null)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_inFlight.TryGetValue(path, out var running))
            {
                EnsureWorkers(); // it may be queued behind a read that is stuck
                return running;
            }
            var read = new Read(path, root, _time.GetTimestamp()) { Classify = classify };
            _inFlight[path] = read;
            _queue.Enqueue(read);
            EnsureWorkers();
            Monitor.PulseAll(_gate);
            return read;
        }
    }

    /// <summary>
    /// Runs other work on the module tree (reading modules.dep) on these threads: a hung mount stalls it as it would
    /// a file, never the caller, and no thread is created for it (a thread made every check would leave its stack
    /// in glibc's cache, resident).
    /// </summary>
    public Task<T> Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Job()
        {
            try
            {
                done.SetResult(work());
            }
#pragma warning disable CA1031 // handed to the waiting caller
            catch (Exception e)
#pragma warning restore CA1031
            {
                done.SetException(e);
            }
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _queue.Enqueue(new Read("", "/", _time.GetTimestamp()) { Job = Job });
            EnsureWorkers();
            Monitor.PulseAll(_gate);
        }
        return done.Task;
    }

    /// <summary>Waits until every read has finished or <paramref name="budget"/> has passed; true when all finished.</summary>
    public static bool WaitAll(IReadOnlyCollection<Read> reads, TimeSpan budget)
    {
        var deadline = DateTime.UtcNow + budget;
        foreach (var read in reads)
        {
            var left = deadline - DateTime.UtcNow;
            if (!read.IsCompleted && (left <= TimeSpan.Zero || !read.Wait(left)))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The result of a read: what was read, null while it is within its deadline, or a timed-out failure.</summary>
    public ModuleInspection? ResultOf(Read read)
    {
        if (read.Result is { } done)
        {
            return done;
        }
        var waited = _time.GetElapsedTime(read.Started);
        return waited < Timeout ? null
            : ModuleInspection.Unreadable(read.Path, $"timed out after {Timeout.TotalSeconds:0.#} s reading the file (a hung mount?); it is read again when it answers");
    }

    /// <summary>Reads still under way (stuck ones included).</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>Keeps enough free workers: a thread in a read past the timeout counts as stuck.</summary>
    private void EnsureWorkers()
    {
        var now = _time.GetTimestamp();
        var stuck = _threads.Count(w => w.Current?.Running is long started && _time.GetElapsedTime(started, now) >= Timeout);
        while (_threads.Count - stuck < _workers && _threads.Count < _maxThreads)
        {
            var worker = new Worker();
            var thread = new Thread(() => Work(worker)) { IsBackground = true, Name = "module-files" };
            _threads.Add(worker);
            thread.Start();
        }
    }

    private sealed class Worker
    {
        public Read? Current { get; set; }
    }

    private void Work(Worker worker)
    {
        while (true)
        {
            Read read;
            lock (_gate)
            {
                while (_queue.Count == 0 && !_disposed)
                {
                    Monitor.Wait(_gate);
                }
                if (_disposed)
                {
                    _threads.Remove(worker);
                    return;
                }
                read = _queue.Dequeue();
                read.Running = _time.GetTimestamp();
                worker.Current = read;
            }
            ModuleInspection? result = null;
            ModuleOrigin? origin = null;
            if (read.Job is { } job)
            {
                job();
            }
            else
            {
                result = ReadOne(read.Path, read.Root);
                origin = read.Classify?.Invoke();
            }
            bool leave;
            lock (_gate)
            {
                worker.Current = null;
                if (result is not null)
                {
                    _inFlight.Remove(read.Path);
                    read.Complete(result, origin);
                }
                // A replacement was started while this one was stuck: leave when there are more than enough.
                leave = _threads.Count > _workers && _queue.Count == 0;
                if (leave)
                {
                    _threads.Remove(worker);
                }
            }
            _completed?.Invoke();
            if (leave)
            {
                return;
            }
        }
    }

    private ModuleInspection ReadOne(string path, string root)
    {
        var file = RootedPath.Resolve(path, root);
        var identity = FileIdentity.Of(file, out var problem);
        if (identity is not FileIdentity id)
        {
            lock (_gate)
            {
                _cache.Remove(path);
            }
            return ModuleInspection.Unreadable(path, problem!);
        }
        if (id.Kind != FileKind.Regular)
        {
            // A FIFO would block open() until a writer comes; a device could be anything.
            return ModuleInspection.Unreadable(path, $"{path}: not a regular file ({id.KindName})");
        }
        lock (_gate)
        {
            if (_cache.TryGetValue(path, out var cached) && cached.Identity == id)
            {
                return cached.Inspection;
            }
        }
        // Read through the link, named as modinfo names it: by the path it was found at.
        var inspection = file == path ? _inspect(path) : _inspect(file) with { Path = System.IO.Path.GetFullPath(path) };
        lock (_gate)
        {
            // A file that could not be read is read again next time; one read and found wanting (a bomb, a
            // corrupt ELF) stays so until its identity changes.
            if (!inspection.IsUnreadable)
            {
                _cache[path] = (id, inspection);
            }
            else
            {
                _cache.Remove(path);
            }
        }
        return inspection;
    }

    /// <summary>Forgets files that no loaded module uses any more.</summary>
    public void Forget(IReadOnlySet<string> keep)
    {
        lock (_gate)
        {
            foreach (var stale in _cache.Keys.Where(p => !keep.Contains(p)).ToList())
            {
                _cache.Remove(stale);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }
}
