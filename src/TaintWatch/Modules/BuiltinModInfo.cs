using TaintWatch.Kernel;

namespace TaintWatch.Modules;

/// <summary>modules.builtin.modinfo: the .modinfo strings of built-in modules, each prefixed "module.".</summary>
public static class BuiltinModInfo
{
    public static IReadOnlyList<KeyValuePair<string, string>> Read(string moduleDirectory, string moduleName)
    {
        var file = BoundedFile.ReadBytes(Path.Combine(moduleDirectory, "modules.builtin.modinfo"), 64 * 1024 * 1024);
        if (!file.Succeeded)
        {
            return [];
        }
        var prefix = ModuleNames.Normalize(moduleName) + ".";
        return Elf.ModInfoSection.Parse(file.Value)
            .Where(kv => ModuleNames.Normalize(kv.Key.Split('.')[0]) + "." == prefix && kv.Key.Contains('.', StringComparison.Ordinal))
            .Select(kv => new KeyValuePair<string, string>(kv.Key[(kv.Key.IndexOf('.', StringComparison.Ordinal) + 1)..], kv.Value))
            .ToList();
    }
}
