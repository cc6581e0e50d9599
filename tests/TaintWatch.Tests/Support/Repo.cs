namespace TaintWatch.Tests.Support;

/// <summary>Locates the repository, its fixture trees and the built taintwatch binary.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Fixture(string name) => Path.Combine(Root, "tests", "fixtures", name);

    public static TaintWatch.Kernel.KernelPaths FixturePaths(string name) =>
        new(Path.Combine(Fixture(name), "proc"), Path.Combine(Fixture(name), "sys"), Fixture(name));

    /// <summary>The taintwatch executable next to the test assembly (the project reference copies it).</summary>
    public static string Binary
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("TAINTWATCH_BINARY");
            return string.IsNullOrEmpty(path) ? Path.Combine(AppContext.BaseDirectory, "taintwatch") : path;
        }
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TaintWatch.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("TaintWatch.sln not found above " + AppContext.BaseDirectory);
    }
}
