namespace TaintWatch.Kernel;

/// <summary>Reads /sys/module/&lt;name&gt;/{taint,srcversion,version,initstate,notes/.note.gnu.build-id}.</summary>
public static class SysModuleReader
{
    public const int MaxDirectories = 100_000;
    private const int AttributeLimit = 4096;

    /// <summary>Names of every directory under /sys/module, or why they cannot be listed.</summary>
    public static Reading<IReadOnlyList<string>> ListModules(KernelPaths paths)
    {
        try
        {
            var names = new List<string>();
            foreach (var dir in Directory.EnumerateDirectories(paths.SysModule))
            {
                if (names.Count >= MaxDirectories)
                {
                    return Reading<IReadOnlyList<string>>.Fail(paths.SysModule, $"more than {MaxDirectories} entries");
                }
                names.Add(Path.GetFileName(dir));
            }
            names.Sort(StringComparer.Ordinal);
            return Reading<IReadOnlyList<string>>.Ok(paths.SysModule, names);
        }
        catch (DirectoryNotFoundException)
        {
            return Reading<IReadOnlyList<string>>.Missing(paths.SysModule);
        }
        catch (UnauthorizedAccessException)
        {
            return Reading<IReadOnlyList<string>>.Fail(paths.SysModule, "permission denied");
        }
        catch (IOException e)
        {
            return Reading<IReadOnlyList<string>>.Fail(paths.SysModule, e.Message);
        }
    }

    /// <summary>Reads one module's attributes; attributes that do not exist are null, unreadable ones are problems.</summary>
    public static SysModuleEntry Read(KernelPaths paths, string name)
    {
        var dir = Path.Combine(paths.SysModule, name);
        var problems = new List<string>();

        string? Attribute(string file)
        {
            var reading = BoundedFile.ReadText(Path.Combine(dir, file), AttributeLimit);
            if (reading.IsMissing)
            {
                return null;
            }
            if (!reading.Succeeded)
            {
                problems.Add(reading.Problem!);
                return null;
            }
            return reading.Value!.TrimEnd('\n', '\r', ' ');
        }

        var initState = Attribute("initstate");
        var taint = Attribute("taint");
        if (taint is not null && !taint.All(char.IsAsciiLetter))
        {
            problems.Add($"{Path.Combine(dir, "taint")}: \"{Quoting.Shorten(taint)}\" is not a string of taint letters");
            taint = null;
        }
        var srcVersion = Attribute("srcversion");
        var version = Attribute("version");
        string? buildId = null;
        var notes = BoundedFile.ReadBytes(Path.Combine(dir, "notes/.note.gnu.build-id"), AttributeLimit);
        if (notes.Succeeded)
        {
            buildId = ElfNote.FindBuildId(notes.Value);
            if (buildId is null)
            {
                problems.Add($"{notes.Source}: holds no GNU build-id note");
            }
        }
        else if (!notes.IsMissing)
        {
            problems.Add(notes.Problem!);
        }
        return new SysModuleEntry(name, taint, srcVersion, version, initState, buildId, problems);
    }
}
