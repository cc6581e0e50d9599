using System.Text;
using TaintWatch.Modules;

namespace TaintWatch.Trust;

/// <summary>
/// Certificates an operator adds with --trust.keys: a DER or PEM file (PEM may hold several), or a directory of
/// them (not recursive; hidden files and subdirectories skipped).
/// </summary>
public static class KeyFiles
{
    public const string DefaultDirectory = "/etc/taintwatch/keys.d";

    /// <summary>A certificate file is small; anything larger is not one.</summary>
    private const int FileLimit = 1024 * 1024;

    /// <summary>Loads every certificate under <paramref name="path"/>; each file is a source of its own.</summary>
    public static void Load(string path, List<TrustAnchor> anchors, List<TrustSource> sources)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0)
            {
                sources.Add(new TrustSource(TrustSourceKind.KeysFile, path, 0, 0, "holds no certificate files"));
            }
            foreach (var file in files)
            {
                LoadFile(file, anchors, sources);
            }
            return;
        }
        LoadFile(path, anchors, sources);
    }

    private static void LoadFile(string path, List<TrustAnchor> anchors, List<TrustSource> sources)
    {
        byte[] data;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                sources.Add(new TrustSource(TrustSourceKind.KeysFile, path, 0, 0, "does not exist"));
                return;
            }
            if (info.Length > FileLimit)
            {
                sources.Add(new TrustSource(TrustSourceKind.KeysFile, path, 0, 0, $"is {info.Length} bytes, too large for a certificate file"));
                return;
            }
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            sources.Add(new TrustSource(TrustSourceKind.KeysFile, path, 0, 0, e.Message));
            return;
        }
        var found = new List<TrustAnchor>();
        try
        {
            foreach (var der in Certificates(data))
            {
                found.Add(TrustAnchor.Create(der, path));
            }
        }
        catch (ModuleFormatException e)
        {
            sources.Add(new TrustSource(TrustSourceKind.KeysFile, path, 0, 0, e.Message));
            return;
        }
        anchors.AddRange(found);
        sources.Add(new TrustSource(TrustSourceKind.KeysFile, path, found.Count, 0, found.Count == 0 ? "holds no certificate (DER, or PEM \"BEGIN CERTIFICATE\" blocks)" : null));
    }

    /// <summary>The DER certificates of a PEM file's CERTIFICATE blocks, or the file itself when it is DER.</summary>
    internal static IEnumerable<byte[]> Certificates(byte[] data)
    {
        if (data.Length > 0 && data[0] == 0x30)
        {
            yield return data;
            yield break;
        }
        var text = Encoding.ASCII.GetString(data).AsMemory();
        while (System.Security.Cryptography.PemEncoding.TryFind(text.Span, out var fields))
        {
            if (text.Span[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                yield return Convert.FromBase64String(text.Span[fields.Base64Data].ToString());
            }
            text = text[fields.Location.End..];
        }
    }
}
