namespace TaintWatch.Kernel;

/// <summary>
/// The taint bits of one kernel family and how that family prints its positional "Tainted:" string.
/// Decoding always goes from the numeric mask through this table, never from letters alone,
/// because letters collide across families (T, H, U mean different bits on RHEL and upstream).
/// </summary>
public sealed class TaintTable
{
    private readonly Dictionary<int, TaintFlag> _byBit;

    public TaintTable(string id, string title, IEnumerable<TaintFlag> flags, IReadOnlyList<int> printedBits, int? truncateTo = null, string? fixedSuffix = null)
    {
        Id = id;
        Title = title;
        _byBit = flags.ToDictionary(f => f.Bit);
        Flags = _byBit.Values.OrderBy(f => f.Bit).ToArray();
        PrintedBits = printedBits;
        TruncateTo = truncateTo;
        FixedSuffix = fixedSuffix;
    }

    /// <summary>Stable identifier used by --kernel.taint-table and the taint_table metric label, e.g. "rhel7.3".</summary>
    public string Id { get; }
    public string Title { get; }

    /// <summary>Every bit the family names, including placeholders, ordered by bit.</summary>
    public IReadOnlyList<TaintFlag> Flags { get; }

    /// <summary>Bits in the order the kernel prints them after "Tainted: ".</summary>
    public IReadOnlyList<int> PrintedBits { get; }

    /// <summary>Bits with a defined meaning (not placeholders): the series TaintWatch always exports.</summary>
    public IEnumerable<TaintFlag> MeaningfulFlags => Flags.Where(f => !f.IsPlaceholder);

    // RHEL 5 prints into a 20-byte buffer, so its string is cut to 19 characters.
    private int? TruncateTo { get; }
    private string? FixedSuffix { get; }

    public TaintFlag? Find(int bit) => _byBit.GetValueOrDefault(bit);

    /// <summary>The flag for a bit: defined, placeholder reported as unknown, or unknown.</summary>
    public TaintFlag Describe(int bit)
    {
        var flag = Find(bit);
        return flag is null || flag.IsPlaceholder ? TaintFlag.Unknown(bit) with { UnsetChar = flag?.UnsetChar ?? ' ' } : flag;
    }

    /// <summary>Decodes a mask into one entry per set bit, unknown bits included.</summary>
    public IReadOnlyList<TaintFlag> Decode(ulong mask)
    {
        var result = new List<TaintFlag>();
        for (var bit = 0; bit < 64; bit++)
        {
            if ((mask & (1UL << bit)) != 0)
            {
                result.Add(Describe(bit));
            }
        }
        return result;
    }

    /// <summary>The string this family's kernel prints in oops headers, e.g. "Tainted: P           OE  ------------ T".</summary>
    public string FormatTaintedString(ulong mask)
    {
        if (mask == 0)
        {
            return "Not tainted";
        }
        var chars = new System.Text.StringBuilder("Tainted: ");
        foreach (var bit in PrintedBits)
        {
            var flag = Find(bit);
            var set = (mask & (1UL << bit)) != 0;
            chars.Append(flag is null ? (set ? '?' : '-') : set ? flag.SetChar : flag.UnsetChar);
        }
        if (FixedSuffix is not null)
        {
            chars.Append(FixedSuffix);
        }
        var text = chars.ToString();
        return TruncateTo is int max && text.Length > max ? text[..max] : text;
    }

    /// <summary>
    /// Finds the bits for per-module letters such as "POE" or RHEL 8's "t". Letters are matched against
    /// set characters of defined flags; G (the "not proprietary" mark) means nothing.
    /// </summary>
    public bool TryParseLetters(string letters, out ulong mask, out string? error)
    {
        mask = 0;
        error = null;
        foreach (var c in letters)
        {
            if (c is 'G' or ' ' or '-')
            {
                continue;
            }
            var matches = Flags.Where(f => !f.IsPlaceholder && f.SetChar == c).ToList();
            if (matches.Count == 0)
            {
                error = $"'{c}' is not a taint letter of table {Id} ({Title}); letters it knows: {string.Concat(MeaningfulFlags.Where(f => f.SetChar != '\0').Select(f => f.SetChar))}";
                return false;
            }
            mask |= matches[0].Mask;
        }
        return true;
    }

    public override string ToString() => Id;
}
