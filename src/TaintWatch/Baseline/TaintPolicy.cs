using YamlDotNet.RepresentationModel;
using TaintWatch.Config;
using TaintWatch.Kernel;

namespace TaintWatch.Baseline;

/// <summary>
/// The taint: key of the expected-modules file: the taint bits a role may carry, as a list of letters
/// (<c>taint: [P, O, E]</c>, RHEL's lower-case letters too) or names (<c>OOT_MODULE</c>). The file is read before
/// the kernel's table is known, so each entry must be a letter or name of some table TaintWatch knows; a letter
/// means the bit that letter has in the running kernel's table. Anything else is refused, saying what to write.
/// </summary>
public static class TaintPolicy
{
    /// <summary>Every letter and name a known table defines (placeholders and G, the "not proprietary" mark, excluded).</summary>
    private static readonly HashSet<string> Known = TaintTables.All.SelectMany(t => t.MeaningfulFlags)
        .SelectMany(f => new[] { f.SetChar.ToString(), f.Name }).Where(s => s != "\0").ToHashSet(StringComparer.Ordinal);

    public static List<string> Parse(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return []; // "taint:" or "taint: []" alone: no bit is allowed
        }
        if (node is not YamlSequenceNode list)
        {
            throw new InvalidDataException($"{path}: line {node.Start.Line}: taint must be a list of letters such as \"taint: [P, O, E]\" (or names such as OOT_MODULE)");
        }
        var allowed = new List<string>();
        foreach (var item in list)
        {
            var entry = SafeYaml.Scalar(item, path, "a taint entry").Trim();
            if (!Known.Contains(entry))
            {
                throw new InvalidDataException($"{path}: line {item.Start.Line}: taint \"{Shorten(entry)}\" is not a taint letter or name; write one letter per entry, " +
                    $"as `taintwatch status` and `taintwatch decode` print them (letters: {Letters()}), or a name such as OOT_MODULE");
            }
            if (allowed.Count >= 64)
            {
                throw new InvalidDataException($"{path}: line {item.Start.Line}: more than 64 taint entries");
            }
            allowed.Add(entry);
        }
        return allowed;
    }

    private static string Letters() => string.Join(" ", Known.Where(k => k.Length == 1).Order(StringComparer.Ordinal));

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
