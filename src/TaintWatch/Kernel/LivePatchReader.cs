namespace TaintWatch.Kernel;

/// <summary>
/// Reads /sys/kernel/livepatch (Documentation/ABI/testing/sysfs-kernel-livepatch): per patch the "enabled" and
/// "transition" attributes ("0" or "1"), and below it one directory per patched object holding one directory
/// per function ("name,sympos"). Missing directory: the kernel has no CONFIG_LIVEPATCH (or none was ever loaded).
/// </summary>
public static class LivePatchReader
{
    /// <summary>A host has a handful of patches of a few hundred functions; these caps bound memory whatever the tree holds.</summary>
    public const int MaxPatches = 256;
    public const int MaxEntriesPerDirectory = 4096;
    public const int MaxFunctionsPerPatch = 4096;

    /// <param name="known">Objects already read for a patch (they do not change while it exists): the daemon lists them once, not every poll.</param>
    public static Reading<IReadOnlyList<LivePatch>> Read(KernelPaths paths, IReadOnlyDictionary<string, IReadOnlyList<LivePatchObject>>? known = null)
    {
        var root = paths.LivePatch;
        var names = List(root, out var problem);
        if (names is null)
        {
            return problem is null ? Reading<IReadOnlyList<LivePatch>>.Missing(root) : Reading<IReadOnlyList<LivePatch>>.Fail(root, problem);
        }
        if (names.Count > MaxPatches)
        {
            return Reading<IReadOnlyList<LivePatch>>.Fail(root, $"more than {MaxPatches} entries; is this really /sys/kernel/livepatch?");
        }
        return Reading<IReadOnlyList<LivePatch>>.Ok(root, names.Select(name => ReadPatch(Path.Combine(root, name), name, known?.GetValueOrDefault(name))).ToList());
    }

    private static LivePatch ReadPatch(string dir, string name, IReadOnlyList<LivePatchObject>? knownObjects)
    {
        var problems = new List<string>();
        var enabled = Flag(Path.Combine(dir, "enabled"), problems);
        var transition = Flag(Path.Combine(dir, "transition"), problems);
        if (knownObjects is not null)
        {
            return new LivePatch(name, enabled, transition, knownObjects, problems);
        }
        var objects = new List<LivePatchObject>();
        var budget = MaxFunctionsPerPatch;
        var objectNames = List(dir, out var listProblem) ?? [];
        foreach (var obj in objectNames)
        {
            var functions = List(Path.Combine(dir, obj), out var functionsProblem) ?? [];
            if (functions.Count > budget)
            {
                problems.Add($"{dir}: more than {MaxFunctionsPerPatch} patched functions; only the first are read");
                objects.Add(new LivePatchObject(obj, functions.Take(budget).ToList()));
                break;
            }
            budget -= functions.Count;
            if (functionsProblem is not null)
            {
                problems.Add($"{Path.Combine(dir, obj)}: {functionsProblem}");
            }
            objects.Add(new LivePatchObject(obj, functions));
        }
        if (listProblem is not null)
        {
            problems.Add($"{dir}: {listProblem}");
        }
        return new LivePatch(name, enabled, transition, objects, problems);
    }

    /// <summary>"0" or "1" and a newline, as the kernel prints a bool attribute; anything else is a problem, never a guess.</summary>
    private static bool? Flag(string path, List<string> problems)
    {
        var reading = BoundedFile.ReadText(path, 64);
        if (!reading.Succeeded)
        {
            problems.Add(reading.Problem!);
            return null;
        }
        switch (reading.Value!.Trim())
        {
            case "1":
                return true;
            case "0":
                return false;
            case var other:
                problems.Add($"{path}: \"{Quoting.Shorten(other)}\" is not 0 or 1");
                return null;
        }
    }

    /// <summary>Sorted names of the subdirectories; null (with the reason, or none when missing) when unlistable.</summary>
    private static List<string>? List(string dir, out string? problem)
    {
        problem = null;
        try
        {
            var names = new List<string>();
            foreach (var entry in Directory.EnumerateDirectories(dir))
            {
                if (names.Count > MaxEntriesPerDirectory)
                {
                    problem = $"more than {MaxEntriesPerDirectory} entries; only the first are read";
                    break;
                }
                names.Add(Path.GetFileName(entry));
            }
            names.Sort(StringComparer.Ordinal);
            return names;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            problem = "permission denied";
            return null;
        }
        catch (IOException e)
        {
            problem = e.Message;
            return null;
        }
    }
}
