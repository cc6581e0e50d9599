namespace TaintWatch.Web;

/// <summary>
/// rate_limit as exporter-toolkit applies it (golang.org/x/time/rate): a bucket of Burst tokens, full at start,
/// refilled by one every Interval; a request that finds it empty is answered 429 at once.
/// </summary>
public sealed class TokenBucket(RateLimit limit, TimeProvider time)
{
    private readonly object _lock = new();
    private double _tokens = limit.Burst;
    private long _last = time.GetTimestamp();

    public bool TryTake()
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(limit.Burst, _tokens + (time.GetElapsedTime(_last, now) / limit.Interval));
            _last = now;
            if (_tokens < 1)
            {
                return false;
            }
            _tokens--;
            return true;
        }
    }
}
