namespace TaintWatch.KernelLog;

/// <summary>What a whole log says about one module: every taint letter it carried, and whether it was unsigned.</summary>
public sealed class ModuleSummary(string name)
{
    public string Name { get; } = name;

    public SortedSet<char> Letters { get; } = [];

    /// <summary>E (or RHEL 7.0's F via verification message), RHEL 5 'U', RHEL 6 "(U)", or a "verification failed" message.</summary>
    public bool Unsigned { get; set; }

    public int Reports { get; set; }

    public long FirstLine { get; set; }

    public string LettersText => string.Concat(Letters);
}
