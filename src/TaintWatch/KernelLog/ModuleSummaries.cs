namespace TaintWatch.KernelLog;

/// <summary>
/// What a whole log says about each module — every letter it carried in a list or a load message, whether it
/// was unsigned — and the module load/status messages themselves. Both are capped so a huge log stays bounded.
/// </summary>
internal sealed class ModuleSummaries
{
    public const int MaxEvents = 100_000;
    public const int MaxModules = 100_000;

    public List<ModuleLoadEvent> Events { get; } = [];

    public long EventCount { get; private set; }

    public Dictionary<string, ModuleSummary> Modules { get; } = new(StringComparer.Ordinal);

    /// <summary>Counts a module list; <paramref name="inReportList"/> is false for "Unloaded tainted modules:".</summary>
    public void Add(IEnumerable<ModuleListEntry> entries, long line, bool inReportList)
    {
        foreach (var entry in entries)
        {
            if (Summary(entry.Name, line) is not { } summary)
            {
                continue;
            }
            foreach (var letter in entry.Letters)
            {
                summary.Letters.Add(letter);
            }
            if (entry.Unverified || entry.Letters.Contains('E', StringComparison.Ordinal))
            {
                summary.Unsigned = true;
            }
            if (inReportList)
            {
                summary.Reports++;
            }
        }
    }

    public void Record(ModuleLoadEvent e)
    {
        EventCount++;
        if (Events.Count < MaxEvents)
        {
            Events.Add(e);
        }
        // Only messages that name a module and set a letter (or say it is unsigned) feed the module summary.
        if (e.Module is null || (e.Letter is null && e.Kind != ModuleLoadEventKind.UnsignedModule) || Summary(e.Module, e.Line) is not { } summary)
        {
            return;
        }
        if (e.Letter is char letter)
        {
            summary.Letters.Add(letter);
        }
        if (e.Kind is ModuleLoadEventKind.UnsignedModule)
        {
            summary.Unsigned = true;
        }
    }

    private ModuleSummary? Summary(string name, long line)
    {
        if (!Modules.TryGetValue(name, out var summary))
        {
            if (Modules.Count >= MaxModules)
            {
                return null;
            }
            summary = new ModuleSummary(name) { FirstLine = line };
            Modules[name] = summary;
        }
        return summary;
    }
}
