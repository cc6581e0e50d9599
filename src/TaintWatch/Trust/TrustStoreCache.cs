using TaintWatch.Kernel;

namespace TaintWatch.Trust;

/// <summary>
/// The daemon's trust anchors for the running kernel: loaded once per release on a thread of their own (unpacking
/// the kernel image takes a second or two of CPU), so the first poll is not held up; until they are in, module
/// signatures stay unverified rather than guessed.
/// </summary>
public sealed class TrustStoreCache(KernelPaths paths, IReadOnlyList<string> keyPaths, Action? loaded = null, string? cacheDirectory = null)
{
    private readonly object _gate = new();
    private string? _release;
    private Task<TrustStore>? _loading;

    /// <summary>The store for <paramref name="release"/>, or null while it is being loaded or when the release is unknown.</summary>
    public TrustStore? For(string? release)
    {
        if (release is null)
        {
            return null;
        }
        lock (_gate)
        {
            if (_release != release || _loading is null)
            {
                _release = release;
                _loading = Task.Run(() =>
                {
                    var store = TrustStoreLoader.Load(new TrustStoreLoader.Options(paths, release, keyPaths, release, cacheDirectory));
                    loaded?.Invoke();
                    return store;
                });
            }
            return _loading.IsCompletedSuccessfully ? _loading.Result : null;
        }
    }

    /// <summary>Waits for the store of <paramref name="release"/> (the command line, which has nothing else to do meanwhile).</summary>
    public static TrustStore Load(KernelPaths paths, string release, IReadOnlyList<string> keyPaths) =>
        TrustStoreLoader.Load(new TrustStoreLoader.Options(paths, release, keyPaths, release, AnchorCache.DefaultDirectory()));
}
