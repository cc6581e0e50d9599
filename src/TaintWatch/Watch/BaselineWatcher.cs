using TaintWatch.Baseline;

namespace TaintWatch.Watch;

/// <summary>
/// Keeps the expected-modules file loaded: re-read when its size or times change (one stat per poll), so an
/// edit takes effect without a restart. A broken edit keeps the last good list and is reported.
/// </summary>
/// <param name="path">The file, or null for none.</param>
/// <param name="optional">True for the default path: its absence means "no baseline", not a problem.</param>
public sealed class BaselineWatcher(string? path, bool optional = false)
{
    private (long Length, DateTime Modified, DateTime Changed)? _stamp;

    /// <summary>The list in force, or null when no file is configured or none has loaded yet.</summary>
    public ExpectedModules? Current { get; private set; }

    /// <summary>Why the file could not be used, or null.</summary>
    public string? Problem { get; private set; }

    public bool Configured => path is not null;

    private volatile bool _reread;

    /// <summary>Makes the next <see cref="Refresh"/> read the file even if it looks unchanged (SIGHUP; from any thread).</summary>
    public void RequestReread() => _reread = true;

    /// <summary>Re-reads the file when it changed; true when what is in force (or the problem) changed.</summary>
    public bool Refresh()
    {
        if (path is null)
        {
            return false;
        }
        (long, DateTime, DateTime)? stamp;
        try
        {
            var info = new FileInfo(path);
            stamp = info.Exists ? (info.Length, info.LastWriteTimeUtc, info.CreationTimeUtc) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stamp = null;
        }
        var forced = _reread;
        _reread = false;
        if (!forced && stamp == _stamp && (stamp is not null || Problem is not null || optional))
        {
            return false;
        }
        _stamp = stamp;
        if (stamp is null && optional)
        {
            var changed = Current is not null || Problem is not null;
            (Current, Problem) = (null, null);
            return changed;
        }
        try
        {
            Current = ExpectedModulesFile.Load(path);
            Problem = null;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            Problem = Current is null ? e.Message : $"{e.Message} (keeping the list loaded before)";
        }
        return true;
    }
}
