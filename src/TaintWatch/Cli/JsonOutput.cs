using System.Text.Json;
using TaintWatch.Kernel;

namespace TaintWatch.Cli;

/// <summary>Pieces of the documented JSON schema that several commands share.</summary>
public static class JsonOutput
{
    // Relaxed escaping keeps '+', '<' and quotes readable; the output is never embedded in HTML.
    public static JsonWriterOptions Options { get; } = new() { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteFlags(Utf8JsonWriter writer, string property, IEnumerable<TaintFlag> flags)
    {
        writer.WriteStartArray(property);
        foreach (var flag in flags)
        {
            writer.WriteStartObject();
            writer.WriteNumber("bit", flag.Bit);
            writer.WriteString("flag", flag.Letter.ToString());
            writer.WriteString("name", flag.Name);
            writer.WriteString("description", flag.Description);
            writer.WriteBoolean("known", !flag.IsPlaceholder);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    public static void WriteNumberOrNull(Utf8JsonWriter writer, string property, long? value)
    {
        if (value is long v)
        {
            writer.WriteNumber(property, v);
        }
        else
        {
            writer.WriteNull(property);
        }
    }

    public static void WriteBooleanOrNull(Utf8JsonWriter writer, string property, bool? value)
    {
        if (value is bool v)
        {
            writer.WriteBoolean(property, v);
        }
        else
        {
            writer.WriteNull(property);
        }
    }

    /// <summary>Runs a writer callback and prints the indented document.</summary>
    public static void Print(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options))
        {
            write(writer);
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
