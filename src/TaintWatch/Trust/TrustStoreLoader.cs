using TaintWatch.Kernel;
using TaintWatch.Modules;

namespace TaintWatch.Trust;

/// <summary>
/// Gathers trust anchors for one kernel release under one root, as that kernel would find them: the image's
/// built-in list, UEFI db and MokListRT, the operator's --trust.keys; and revocations from dbx, MokListXRT and
/// the image's revocation list. /proc/keys is read as a cross-check when the release is the running one.
/// </summary>
public static class TrustStoreLoader
{
    /// <param name="KeyPaths">--trust.keys values; when empty, <see cref="KeyFiles.DefaultDirectory"/> under the root if it exists.</param>
    /// <param name="RunningRelease">The running kernel's release (for the /proc/keys cross-check); null when unknown.</param>
    /// <param name="CacheDirectory">Where the image's certificates are kept between runs (<see cref="AnchorCache"/>); null for none.</param>
    public sealed record Options(KernelPaths Paths, string Release, IReadOnlyList<string> KeyPaths, string? RunningRelease = null, string? CacheDirectory = null);

    /// <summary>The kernel image file: &lt;root&gt;/lib/modules/&lt;release&gt;/vmlinuz (RHEL 9+, Fedora), else &lt;root&gt;/boot/vmlinuz-&lt;release&gt;.</summary>
    public static string KernelImagePath(KernelPaths paths, string release)
    {
        var inModules = Path.Combine(paths.ModuleDirectory(release), "vmlinuz");
        return File.Exists(inModules) ? inModules : Path.Combine(paths.RootFs, "boot", "vmlinuz-" + release);
    }

    public static TrustStore Load(Options options)
    {
        var sources = new List<TrustSource>();
        var trusted = new List<TrustAnchor>();
        var revoked = new List<TrustAnchor>();
        var tbsHashes = new List<byte[]>();

        LoadKernelImage(KernelImagePath(options.Paths, options.Release), options.CacheDirectory, sources, trusted, revoked);
        LoadEfi(options.Paths.SysFs, "db", TrustSourceKind.Db, sources, trusted, tbsHashes);
        LoadEfi(options.Paths.SysFs, "MokListRT", TrustSourceKind.MokListRT, sources, trusted, tbsHashes);
        var keyPaths = options.KeyPaths;
        if (keyPaths.Count == 0)
        {
            var fallback = Path.Combine(options.Paths.RootFs, KeyFiles.DefaultDirectory.TrimStart('/'));
            keyPaths = Directory.Exists(fallback) ? [fallback] : [];
        }
        foreach (var path in keyPaths)
        {
            KeyFiles.Load(path, trusted, sources);
        }
        LoadEfi(options.Paths.SysFs, "dbx", TrustSourceKind.Dbx, sources, revoked, tbsHashes);
        LoadEfi(options.Paths.SysFs, "MokListXRT", TrustSourceKind.MokListXRT, sources, revoked, tbsHashes);

        ProcKeys? kernelKeys = null;
        if (options.RunningRelease == options.Release)
        {
            kernelKeys = ProcKeys.Read(Path.Combine(options.Paths.ProcFs, "keys"), out _);
        }
        return new TrustStore(sources, trusted, revoked, tbsHashes, kernelKeys);
    }

    private static void LoadKernelImage(string path, string? cacheDirectory, List<TrustSource> sources, List<TrustAnchor> trusted, List<TrustAnchor> revoked)
    {
        if (!File.Exists(path))
        {
            sources.Add(new TrustSource(TrustSourceKind.KernelImage, path, 0, 0, "does not exist: the kernel's built-in keys cannot be read", Present: false));
            return;
        }
        try
        {
            var image = KernelImage.Read(path);
            var cached = cacheDirectory is null ? null : AnchorCache.FileFor(cacheDirectory, image);
            var list = cached is null ? null : AnchorCache.TryRead(cached);
            if (list is null)
            {
                var scanner = new KernelCertificateList.Scanner();
                using (var vmlinux = KernelImage.Unpack(image, KernelImage.OutputLimit, scanner.Feed))
                {
                    list = scanner.Finish(vmlinux.Span);
                }
                // A vmlinux is tens of MiB: give it back now rather than keep it resident in a long-running daemon.
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                if (cached is not null && list.Trusted.Count > 0)
                {
                    AnchorCache.TryWrite(cached, new KernelCertificates(list.Trusted, list.Revoked));
                }
            }
            if (list.Trusted.Count == 0)
            {
                sources.Add(new TrustSource(TrustSourceKind.KernelImage, path, 0, 0, "holds no system_certificate_list (no run of DER certificates followed by its length)"));
                return;
            }
            trusted.AddRange(list.Trusted.Select(der => TrustAnchor.Create(der, path)));
            sources.Add(new TrustSource(TrustSourceKind.KernelImage, path, list.Trusted.Count, 0, null));
            if (list.Revoked.Count > 0)
            {
                revoked.AddRange(list.Revoked.Select(der => TrustAnchor.Create(der, path + " (revocation list)")));
                sources.Add(new TrustSource(TrustSourceKind.KernelRevocationList, path, list.Revoked.Count, 0, null));
            }
        }
        catch (ModuleFormatException e)
        {
            sources.Add(new TrustSource(TrustSourceKind.KernelImage, path, 0, 0, e.Message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            sources.Add(new TrustSource(TrustSourceKind.KernelImage, path, 0, 0, e.Message));
        }
    }

    private static void LoadEfi(string sysFs, string name, TrustSourceKind kind, List<TrustSource> sources, List<TrustAnchor> into, List<byte[]> tbsHashes)
    {
        var variable = EfiKeyVariables.Read(sysFs, name);
        var certificates = 0;
        var hashes = 0;
        string? problem = variable.Problem;
        foreach (var entry in variable.Entries)
        {
            if (entry.Type == EfiSignatureList.CertX509)
            {
                try
                {
                    into.Add(TrustAnchor.Create(entry.Data, name));
                    certificates++;
                }
                catch (ModuleFormatException e)
                {
                    // The kernel skips a certificate it cannot parse and goes on with the rest.
                    problem ??= "an X.509 entry " + e.Message;
                }
            }
            else if (entry.Type == EfiSignatureList.CertX509Sha256 && entry.Data.Length >= 32 && kind is TrustSourceKind.Dbx or TrustSourceKind.MokListXRT)
            {
                tbsHashes.Add(entry.Data[..32]);
                hashes++;
            }
            else if (entry.Type == EfiSignatureList.CertSha256 && kind is TrustSourceKind.Dbx or TrustSourceKind.MokListXRT)
            {
                // Hashes of EFI binaries ("bin:" blacklist entries): counted, but the kernel applies them to
                // kexec images and IMA, never to module signatures.
                hashes++;
            }
        }
        sources.Add(new TrustSource(kind, name, certificates, hashes, problem, variable.Present));
    }
}
