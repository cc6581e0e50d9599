using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace TaintWatch.Config;

/// <summary>
/// Loads an operator's YAML file with limits: size, nesting depth and no aliases. The node model builds
/// nested nodes recursively, so "[[[[…" a million deep would overflow the stack, and aliases can multiply
/// a small file into a huge graph ("billion laughs"). The event parser checks both before anything is built.
/// </summary>
public static class SafeYaml
{
    public const int MaxBytes = 1 << 20;
    public const int MaxDepth = 16;

    /// <summary>The root node of the first document, or null for an empty file; InvalidDataException says what is wrong.</summary>
    public static YamlNode? LoadRoot(string path)
    {
        string text;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096);
            if (stream.CanSeek && stream.Length > MaxBytes)
            {
                throw new InvalidDataException($"{path}: {stream.Length} bytes, more than the {MaxBytes} a configuration file may have");
            }
            using var reader = new StreamReader(stream);
            var buffer = new char[MaxBytes + 1];
            var read = reader.ReadBlock(buffer, 0, buffer.Length);
            if (read > MaxBytes)
            {
                throw new InvalidDataException($"{path}: more than {MaxBytes} bytes");
            }
            text = new string(buffer, 0, read);
        }
        catch (FileNotFoundException)
        {
            throw new InvalidDataException($"{path}: does not exist");
        }
        try
        {
            Check(text, path);
            YamlStream yaml = [];
            yaml.Load(new StringReader(text));
            return yaml.Documents.Count == 0 ? null : yaml.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{path}: line {e.Start.Line}: not valid YAML: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's scanner throws these on some malformed input (afl++ found "[ \"Rkey\"\n\n# ed\nmod\x7figner:]").
            throw new InvalidDataException($"{path}: not valid YAML ({e.Message})", e);
        }
    }

    private static void Check(string text, string path)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case AnchorAlias alias:
                    throw new InvalidDataException($"{path}: line {alias.Start.Line}: aliases (*{alias.Value}) are not allowed");
                case NodeEvent { Anchor.IsEmpty: false } anchored:
                    throw new InvalidDataException($"{path}: line {anchored.Start.Line}: anchors (&{anchored.Anchor}) are not allowed");
                case MappingStart or SequenceStart:
                    if (++depth > MaxDepth)
                    {
                        throw new InvalidDataException($"{path}: line {parser.Current.Start.Line}: nested deeper than {MaxDepth} levels");
                    }
                    break;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    public static string Scalar(YamlNode node, string path, string what) => node is YamlScalarNode { Value: { } value }
        ? value
        : throw new InvalidDataException($"{path}: line {node.Start.Line}: {what} must be a plain value");
}
