namespace TaintWatch.Tests.Support;

/// <summary>A scratch directory, optionally seeded with a copy of a fixture tree, removed on dispose.</summary>
public sealed class TempTree : IDisposable
{
    public TempTree(string? fixture = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "taintwatch-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        if (fixture is not null)
        {
            CopyDirectory(Repo.Fixture(fixture), Root);
        }
    }

    public string Root { get; }

    public TaintWatch.Kernel.KernelPaths Paths => new(Path.Combine(Root, "proc"), Path.Combine(Root, "sys"), Root);

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public void Write(string relative, string content)
    {
        var path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public void Dispose()
    {
        try
        {
            foreach (var file in Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories))
            {
                File.SetUnixFileMode(file, (UnixFileMode)0x1ff);
            }
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }
}
