using System.Globalization;

namespace TaintWatch.Kernel;

/// <summary>Takes one snapshot of the kernel's taint state from a root (real or fixture).</summary>
public static class KernelSnapshotReader
{
    /// <summary>/proc/modules of a real host is well under 1 MiB; 8 MiB leaves room and still bounds memory.</summary>
    public const int ProcModulesLimit = 8 * 1024 * 1024;

    /// <param name="cache">
    /// The daemon's cache: /sys/module is then not listed, and each module's attributes are read once.
    /// Without it (the CLI) everything is read, and sysfs directories missing from /proc/modules are noted.
    /// </param>
    public static KernelSnapshot Read(KernelPaths paths, TaintTable? tableOverride = null, SnapshotCache? cache = null)
    {
        var sources = new List<SourceStatus>();
        var notes = new List<string>();

        var release = BoundedFile.ReadText(paths.OsRelease, 256).Map(text => ParseRelease(paths.OsRelease, text));
        sources.Add(Status(Collectors.Release, release));
        var (table, reason) = tableOverride is not null
            ? (tableOverride, $"table {tableOverride.Id} chosen by --table")
            : TaintTableSelector.Select(release.Value);

        var bootId = BoundedFile.ReadText(paths.BootId, 256);
        var mask = BoundedFile.ReadText(paths.Tainted, 256).Map(text => ParseTaintMask(paths.Tainted, text));
        sources.Add(Status(Collectors.Taint, mask));

        var procBytes = BoundedFile.ReadBytes(paths.ProcModules, ProcModulesLimit);
        if (cache is not null && procBytes.Succeeded && cache.SameProcModules(procBytes.Value) && cache.LastModules is { } reuse)
        {
            // Nothing loaded or unloaded since the last poll: reuse the parsed and joined module list.
            sources.Add(new SourceStatus(Collectors.Modules, paths.ProcModules, reuse.Problems.Count == 0, reuse.Problems.Count == 0 ? null : reuse.Problems[0]));
            sources.Add(new SourceStatus(Collectors.Sysfs, paths.SysModule, true, null));
            var enforceQuick = ReadSigEnforce(paths, sources);
            return new KernelSnapshot(release.Value, bootId.Succeeded ? bootId.Value!.Trim() : null, mask.Succeeded ? mask.Value : null,
                table, reason, true, reuse.Modules, enforceQuick, sources, reuse.Notes);
        }
        var procText = procBytes.Succeeded && Array.IndexOf(procBytes.Value!, (byte)0) >= 0
            ? Reading<string>.Fail(paths.ProcModules, "contains NUL bytes: not a text file")
            : new Reading<string>(procBytes.Source, procBytes.Succeeded ? System.Text.Encoding.UTF8.GetString(procBytes.Value!) : null, procBytes.Error, procBytes.IsMissing);
        var modulesSupported = !procText.IsMissing;
        var procEntries = new Dictionary<string, ProcModuleEntry>(StringComparer.Ordinal);
        if (procText.Succeeded)
        {
            var parsed = ProcModulesParser.Parse(procText.Value!);
            foreach (var entry in parsed.Modules)
            {
                procEntries[entry.Name] = entry;
            }
            var problem = parsed.Problems.Count == 0 ? null : $"{paths.ProcModules}: {string.Join("; ", parsed.Problems)}";
            if (parsed.Modules.Count == 0 && procText.Value!.Trim().Length > 0 && problem is null)
            {
                problem = $"{paths.ProcModules}: no module lines";
            }
            sources.Add(new SourceStatus(Collectors.Modules, paths.ProcModules, problem is null, problem));
        }
        else if (procText.IsMissing)
        {
            sources.Add(new SourceStatus(Collectors.Modules, paths.ProcModules, true, null));
        }
        else
        {
            sources.Add(Status(Collectors.Modules, procText));
        }

        var (sysEntries, sysProblems) = cache is not null
            ? ReadSysfsOnce(paths, procEntries, cache)
            : ReadSysfsListing(paths, procEntries, modulesSupported);
        sources.Add(new SourceStatus(Collectors.Sysfs, paths.SysModule, sysProblems.Count == 0,
            sysProblems.Count == 0 ? null : string.Join("; ", sysProblems.Take(5)) + (sysProblems.Count > 5 ? $" (and {sysProblems.Count - 5} more)" : "")));

        var enforce = ReadSigEnforce(paths, sources);
        var modules = Join(procEntries, sysEntries, procText.Succeeded, notes);
        if (cache is not null)
        {
            var problems = sources.Where(x => x.Collector is Collectors.Modules or Collectors.Sysfs && !x.Success).Select(x => x.Problem!).ToList();
            cache.LastModules = procText.Succeeded && problems.Count == 0 ? (modules, problems, notes) : null;
        }
        return new KernelSnapshot(release.Value, bootId.Succeeded ? bootId.Value!.Trim() : null, mask.Succeeded ? mask.Value : null,
            table, reason, modulesSupported, modules, enforce, sources, notes);
    }

    /// <summary>The daemon's way: only modules /proc/modules lists, each read once per instance (<see cref="SnapshotCache"/>).</summary>
    private static (Dictionary<string, SysModuleEntry>, List<string>) ReadSysfsOnce(KernelPaths paths, Dictionary<string, ProcModuleEntry> procEntries, SnapshotCache cache)
    {
        var entries = new Dictionary<string, SysModuleEntry>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var entry in procEntries.Values)
        {
            var sys = cache.Get(paths, entry);
            if (sys.InitState is not null || sys.Taint is not null || sys.SrcVersion is not null)
            {
                entries[entry.Name] = sys;
            }
            problems.AddRange(sys.Problems);
        }
        cache.Retain(procEntries.Keys);
        return (entries, problems);
    }

    /// <summary>
    /// The CLI's way: every directory of /sys/module that is a loaded module (in /proc/modules or with an
    /// initstate), so that a module sysfs knows but /proc/modules does not can be noted.
    /// </summary>
    private static (Dictionary<string, SysModuleEntry>, List<string>) ReadSysfsListing(KernelPaths paths, Dictionary<string, ProcModuleEntry> procEntries, bool modulesSupported)
    {
        var entries = new Dictionary<string, SysModuleEntry>(StringComparer.Ordinal);
        var problems = new List<string>();
        var listing = SysModuleReader.ListModules(paths);
        if (!listing.Succeeded)
        {
            if (!listing.IsMissing || modulesSupported)
            {
                problems.Add(listing.Problem!);
            }
            return (entries, problems);
        }
        foreach (var name in listing.Value!)
        {
            // Built-in modules have directories too; only loaded ones carry taint.
            if (!procEntries.ContainsKey(name) && !File.Exists(Path.Combine(paths.SysModule, name, "initstate")))
            {
                continue;
            }
            var entry = SysModuleReader.Read(paths, name);
            entries[name] = entry;
            problems.AddRange(entry.Problems);
        }
        return (entries, problems);
    }

    private static bool? ReadSigEnforce(KernelPaths paths, List<SourceStatus> sources)
    {
        var sigEnforce = BoundedFile.ReadText(paths.SigEnforce, 64);
        if (!sigEnforce.Succeeded && !sigEnforce.IsMissing)
        {
            sources.Add(Status(Collectors.SigEnforce, sigEnforce));
        }
        return sigEnforce.Succeeded ? sigEnforce.Value!.Trim() is "Y" or "1" : null;
    }

    private static List<LoadedModule> Join(Dictionary<string, ProcModuleEntry> proc, Dictionary<string, SysModuleEntry> sys, bool procRead, List<string> notes)
    {
        var modules = new List<LoadedModule>();
        foreach (var name in proc.Keys.Union(sys.Keys).Order(StringComparer.Ordinal))
        {
            proc.TryGetValue(name, out var p);
            sys.TryGetValue(name, out var s);
            if (p is null && procRead)
            {
                notes.Add($"{name}: has /sys/module/{name}/initstate ({s!.InitState}) but is not in /proc/modules (loading or unloading as we read)");
            }
            if (p is not null && s?.Taint is not null && !SameLetters(p.TaintLetters, s.Taint))
            {
                notes.Add($"{name}: /proc/modules shows ({p.TaintLetters}) but /sys/module/{name}/taint shows ({s.Taint}); the taint file is used");
            }
            modules.Add(new LoadedModule(name, p, s));
        }
        return modules;
    }

    private static bool SameLetters(string a, string b) => a.Order().SequenceEqual(b.Order());

    private static Reading<string> ParseRelease(string source, string text)
    {
        var release = text.Trim();
        return release.Length > 0 && release.All(c => c > ' ' && c < 127)
            ? Reading<string>.Ok(source, release)
            : Reading<string>.Fail(source, release.Length == 0 ? "is empty" : $"\"{ProcModulesParser.Shorten(release)}\" is not a kernel release string");
    }

    /// <summary>Parses the decimal value the kernel prints (an unsigned long).</summary>
    public static Reading<ulong> ParseTaintMask(string source, string text)
    {
        var trimmed = text.Trim();
        return ulong.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? Reading<ulong>.Ok(source, value)
            : Reading<ulong>.Fail(source, trimmed.Length == 0 ? "is empty" : $"\"{ProcModulesParser.Shorten(trimmed)}\" is not a decimal taint mask");
    }

    private static SourceStatus Status<T>(string collector, Reading<T> reading) =>
        new(collector, reading.Source, reading.Succeeded, reading.Problem);
}
