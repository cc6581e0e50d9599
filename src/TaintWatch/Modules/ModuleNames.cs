namespace TaintWatch.Modules;

/// <summary>Module names as kmod normalises them: '-' becomes '_', and the name ends at the first '.'.</summary>
public static class ModuleNames
{
    public static string Normalize(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return (dot >= 0 ? name[..dot] : name).Replace('-', '_');
    }

    public static string FromPath(string path) => Normalize(System.IO.Path.GetFileName(path));

    /// <summary>File names a module can have: .ko, .ko.xz, .ko.zst, .ko.gz.</summary>
    public static bool IsModuleFileName(string fileName) =>
        fileName.EndsWith(".ko", StringComparison.Ordinal) || fileName.EndsWith(".ko.xz", StringComparison.Ordinal) ||
        fileName.EndsWith(".ko.zst", StringComparison.Ordinal) || fileName.EndsWith(".ko.gz", StringComparison.Ordinal);
}
