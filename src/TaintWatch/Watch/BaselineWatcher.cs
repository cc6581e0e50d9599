using TaintWatch.Baseline;

namespace TaintWatch.Watch;

/// <summary>
/// Keeps the expected-modules file loaded: re-read when its identity (inode, size, mtime, ctime) changes (one
/// statx per poll), so an edit takes effect without a restart. A broken edit keeps the last good list and is reported.
/// </summary>
/// <param name="path">The file, or null for none.</param>
/// <param name="optional">True for the default path: its absence means "no baseline", not a problem.</param>
public sealed class BaselineWatcher(string? path, bool optional = false)
{
    private Kernel.FileIdentity? _stamp;
    private bool _unreadable;

    /// <summary>The list in force, or null when no file is configured or none has loaded yet.</summary>
    public ExpectedModules? Current { get; private set; }

    /// <summary>Why the file could not be used, or null.</summary>
    public string? Problem { get; private set; }

    public bool Configured => path is not null;

    /// <summary>Re-reads the file when it changed; true when what is in force (or the problem) changed.</summary>
    public bool Refresh()
    {
        if (path is null)
        {
            return false;
        }
        var stamp = Kernel.FileIdentity.Of(path, out _);
        // An unreadable file is tried again at every poll (a failure is never cached); anything else only when
        // its identity changed, which an edit, a chmod or a restorecon (ctime) all do.
        if (stamp == _stamp && !_unreadable && (stamp is not null || Problem is not null || optional))
        {
            return false;
        }
        _stamp = stamp;
        var (before, beforeProblem) = (Current, Problem);
        if (stamp is null && optional)
        {
            (Current, Problem, _unreadable) = (null, null, false);
            return before is not null || beforeProblem is not null;
        }
        try
        {
            Current = ExpectedModulesFile.Load(path);
            (Problem, _unreadable) = (null, false);
        }
        catch (InvalidDataException e)
        {
            (Problem, _unreadable) = (Kept(e.Message), false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            (Problem, _unreadable) = (Kept(e.Message), true);
        }
        return !ReferenceEquals(before, Current) || beforeProblem != Problem;
    }

    private string Kept(string problem) => Current is null ? problem : $"{problem} (keeping the list loaded before)";
}
