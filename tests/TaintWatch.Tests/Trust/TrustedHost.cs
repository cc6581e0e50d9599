using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Trust;

/// <summary>
/// The upstream-clean fixture host running Debian's 6.1.0-56-amd64: its loaded modules' real files copied from the
/// corpus (so one can be tampered with) and the kernel image the trust anchors come from.
/// </summary>
internal sealed class TrustedHost : IDisposable
{
    public const string Release = "6.1.0-56-amd64";

    public TrustedHost()
    {
        var modules = Tree.PathOf($"lib/modules/{Release}");
        Directory.CreateDirectory(modules);
        foreach (var name in new[] { "modules.dep", "modules.builtin", "modules.builtin.modinfo" })
        {
            File.Copy(Path.Combine(Corpus.ModuleDirectory, name), Path.Combine(modules, name));
        }
        var dep = File.ReadAllLines(Path.Combine(modules, "modules.dep")).Select(l => l.Split(':')[0]).ToList();
        foreach (var loaded in File.ReadAllLines(Tree.PathOf("proc/modules")).Select(l => l.Split(' ')[0]))
        {
            var relative = dep.Single(p => Path.GetFileName(p) == loaded + ".ko");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(modules, relative))!);
            File.Copy(Path.Combine(Corpus.ModuleDirectory, relative), Path.Combine(modules, relative));
        }
        Directory.CreateDirectory(Tree.PathOf("boot"));
        File.CreateSymbolicLink(Tree.PathOf($"boot/vmlinuz-{Release}"), Path.Combine(Corpus.Root, "root/boot", $"vmlinuz-{Release}"));
    }

    public TempTree Tree { get; } = new("upstream-clean");

    public string[] PathArgs => ["--path.procfs", Tree.PathOf("proc"), "--path.sysfs", Tree.PathOf("sys"), "--path.rootfs", Tree.Root];

    public string ModuleFile(string name) =>
        Directory.EnumerateFiles(Tree.PathOf($"lib/modules/{Release}"), name + ".ko", SearchOption.AllDirectories).Single();

    /// <summary>Flips one byte in the middle of a module's file, keeping its signature: the file is no longer what was signed.</summary>
    public void Tamper(string name)
    {
        var path = ModuleFile(name);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose() => Tree.Dispose();
}
