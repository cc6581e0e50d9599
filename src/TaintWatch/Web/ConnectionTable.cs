namespace TaintWatch.Web;

/// <summary>
/// The connections the metrics server holds, and which one gives way when it holds as many as it may. A fixed cap
/// that refuses newcomers lets one client with a few hundred idle sockets lock every scraper out; here a newcomer
/// is always let in and the connection that has waited longest without a request in progress is closed instead:
/// first one that never completed a request (an idle or slow client), then an idle kept-alive one (a scraper
/// reconnects at its next scrape), last one stuck writing to a client that stopped reading. A connection whose
/// request is being answered is never closed, so a scraper that has sent its request is always served.
/// </summary>
public sealed class ConnectionTable(int capacity)
{
    /// <summary>What a connection is doing, in the order connections give way (lowest first); Busy never does.</summary>
    public enum Stage
    {
        WaitingFirstRequest,
        WaitingNextRequest,
        Writing,
        Busy,
    }

    /// <summary>One held connection; <see cref="Evicted"/> is cancelled when it must give way.</summary>
    public sealed class Entry : IDisposable
    {
        internal LinkedListNode<Entry>? Node;
        internal Stage Stage = Stage.Busy;
        internal bool Closed;
        private readonly CancellationTokenSource _evicted = new();

        public CancellationToken Evicted => _evicted.Token;

        internal void Evict()
        {
            try
            {
                _evicted.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // it ended meanwhile
            }
        }

        public void Dispose() => _evicted.Dispose();
    }

    private readonly object _lock = new();
    private readonly LinkedList<Entry>[] _yielding = [new(), new(), new()];
    private int _open;

    public int Open => Volatile.Read(ref _open);

    public int Capacity => capacity;

    /// <summary>Admits a new connection; <paramref name="evicted"/> is true when another was closed to make room.</summary>
    /// <returns>Its entry, or null when every held connection is being answered (the newcomer is then closed).</returns>
    public Entry? Admit(out bool evicted)
    {
        Entry? victim = null;
        evicted = false;
        lock (_lock)
        {
            if (_open >= capacity)
            {
                victim = _yielding.Select(list => list.First?.Value).FirstOrDefault(e => e is not null);
                if (victim is null)
                {
                    return null;
                }
                Remove(victim);
                victim.Closed = true;
                _open--;
            }
            _open++;
        }
        if (victim is not null)
        {
            victim.Evict();
            evicted = true;
        }
        return new Entry();
    }

    /// <summary>Moves a connection to a stage; false when it was closed to make room and must end.</summary>
    public bool Enter(Entry entry, Stage stage)
    {
        lock (_lock)
        {
            if (entry.Closed)
            {
                return false;
            }
            Remove(entry);
            entry.Stage = stage;
            if (stage != Stage.Busy)
            {
                entry.Node = _yielding[(int)stage].AddLast(entry);
            }
            return true;
        }
    }

    /// <summary>The connection has ended (on its own or evicted).</summary>
    public void Release(Entry entry)
    {
        lock (_lock)
        {
            if (!entry.Closed)
            {
                Remove(entry);
                entry.Closed = true;
                _open--;
            }
        }
        entry.Dispose();
    }

    private void Remove(Entry entry)
    {
        if (entry.Node is { } node)
        {
            _yielding[(int)entry.Stage].Remove(node);
            entry.Node = null;
        }
    }
}
