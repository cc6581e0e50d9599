using TaintWatch.Kernel;

namespace TaintWatch.Trust;

/// <summary>
/// The asymmetric keys the running kernel holds, from /proc/keys (only those the reader may view: root sees the
/// system keyrings, an unprivileged user usually none). An X.509 key's description is "&lt;subject&gt;: &lt;SKID
/// or serial hex&gt;" (x509_key_preparse), so a trust anchor is matched by that hex.
/// </summary>
public sealed class ProcKeys
{
    private readonly List<string> _descriptions;

    private ProcKeys(List<string> descriptions) => _descriptions = descriptions;

    public int Count => _descriptions.Count;

    /// <summary>The asymmetric-key lines' descriptions; null with a reason when the file cannot be read.</summary>
    public static ProcKeys? Read(string path, out string? problem)
    {
        var text = BoundedFile.ReadText(path, 4 * 1024 * 1024);
        if (!text.Succeeded)
        {
            problem = text.Error;
            return null;
        }
        problem = null;
        return Parse(text.Value!);
    }

    public static ProcKeys Parse(string text)
    {
        var descriptions = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            // id flags usage timeout perm uid gid type description: summary
            var fields = line.Split(' ', 9, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 9 && fields[7] == "asymmetri")
            {
                descriptions.Add(fields[8]);
            }
        }
        return new ProcKeys(descriptions);
    }

    /// <summary>Whether the kernel holds a key with this certificate's SKID (or serial) in its description.</summary>
    public bool Holds(TrustAnchor anchor)
    {
        var needle = ": " + anchor.KernelKeyHex;
        return _descriptions.Any(d => d.Contains(needle, StringComparison.OrdinalIgnoreCase));
    }
}
