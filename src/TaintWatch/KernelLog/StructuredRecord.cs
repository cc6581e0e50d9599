using System.Text;
using System.Text.Json;

namespace TaintWatch.KernelLog;

/// <summary>
/// Kernel messages kept inside structured log records, as people export and paste them: one JSON object per line
/// (<c>journalctl -o json</c> and <c>json-seq</c>, Docker's json-file, Loki's <c>logcli --output=jsonl</c>, Elasticsearch, CloudWatch,
/// Google Cloud Logging) and the field lines of <c>journalctl -o verbose</c> and <c>-o export</c>
/// ("MESSAGE=…"). The message is taken out so that the scanner reads it like any other line; a line that only
/// looks like a record (cut short, not JSON, no message field) is left as text.
/// </summary>
public static class StructuredRecord
{
    /// <summary>The fields that hold the message, most specific first: journald, then the log shippers' names.</summary>
    private static readonly string[] MessageFields = ["MESSAGE", "message", "msg", "log", "line", "textPayload", "@message"];

    /// <summary>Elasticsearch keeps the document under this field of each hit.</summary>
    private const string ElasticSource = "_source";

    private const string JournalMessage = "MESSAGE=";

    public enum Kind
    {
        /// <summary>Not a structured record: read the line as it is.</summary>
        Text,

        /// <summary>A record whose message was taken out.</summary>
        Message,

        /// <summary>Another field of a journal record (verbose or export), or the verbose record's header: nothing to read.</summary>
        OtherField,
    }

    /// <summary>
    /// What <paramref name="line"/> is. <paramref name="journalFields"/> says whether journal field lines have been
    /// seen before in this log: only then are other "NAME=value" lines skipped, so that a kernel message that merely
    /// looks like a field is never dropped from an ordinary log.
    /// </summary>
    public static Kind Read(string line, ref bool journalFields, out string message)
    {
        message = "";
        if (line.Length == 0 || (line[0] == '[' && !journalFields))
        {
            return Kind.Text; // most lines of a dmesg: a stamp, no record
        }
        var text = line.AsSpan().TrimStart(" \t\u001e"); // RS: json-seq (RFC 7464) begins each record with it
        if (text.IsEmpty)
        {
            return Kind.Text;
        }
        if (text[0] == '{')
        {
            return TryJson(text.TrimEnd(" \t\r"), out message) ? Kind.Message : Kind.Text;
        }
        if (text.StartsWith(JournalMessage, StringComparison.Ordinal))
        {
            journalFields = true;
            message = text[JournalMessage.Length..].TrimEnd('\r').ToString();
            return Kind.Message;
        }
        if (!journalFields)
        {
            if (text.StartsWith("__CURSOR=", StringComparison.Ordinal))
            {
                journalFields = true; // export format: each record begins with its cursor
                return Kind.OtherField;
            }
            return Kind.Text;
        }
        return IsJournalField(text) || IsVerboseHeader(text) ? Kind.OtherField : Kind.Text;
    }

    /// <summary>"NAME=value" with journald's field name rules: capitals, digits and '_', not starting with a digit.</summary>
    private static bool IsJournalField(ReadOnlySpan<char> text)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0 || char.IsAsciiDigit(text[0]))
        {
            return false;
        }
        foreach (var c in text[..equals])
        {
            if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>journalctl -o verbose's first line of a record: "Tue 2026-12-01 06:00:00.000000 UTC [s=…;i=…;b=…;m=…;t=…;x=…]".</summary>
    private static bool IsVerboseHeader(ReadOnlySpan<char> text) =>
        text.EndsWith("]", StringComparison.Ordinal) && text.Contains(" [s=", StringComparison.Ordinal) && text.Contains(";b=", StringComparison.Ordinal);

    private static bool TryJson(ReadOnlySpan<char> text, out string message)
    {
        message = "";
        if (text.Length < 2 || text[^1] != '}')
        {
            return false; // cut short (a capped line, a paste): read as text
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToArray());
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 16, AllowTrailingCommas = true });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            return FindMessage(ref reader, bytes, out message);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false; // not JSON after all, or a string with an invalid escape: read as text
        }
    }

    /// <summary>The first message field of the object the reader is at (or of its "_source"), in <see cref="MessageFields"/> order.</summary>
    private static bool FindMessage(ref Utf8JsonReader reader, byte[] bytes, out string message)
    {
        message = "";
        var rank = int.MaxValue;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            var index = Array.IndexOf(MessageFields, name);
            if (index >= 0 && index < rank)
            {
                if (ValueText(ref reader) is { } value)
                {
                    (message, rank) = (value, index);
                }
                continue;
            }
            if (name == ElasticSource && reader.TokenType == JsonTokenType.StartObject && rank == int.MaxValue)
            {
                if (FindMessage(ref reader, bytes, out var inner))
                {
                    (message, rank) = (inner, MessageFields.Length);
                }
                continue;
            }
            reader.Skip();
        }
        return rank != int.MaxValue;
    }

    /// <summary>A string value, or journald's array of bytes (a message that is not valid UTF-8); null for anything else.</summary>
    private static string? ValueText(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }
        var depth = reader.CurrentDepth;
        var bytes = new List<byte>();
        var allBytes = true;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetByte(out var b))
            {
                bytes.Add(b);
            }
            else
            {
                allBytes = false;
                reader.Skip(); // a nested object or array as a whole
            }
        }
        return allBytes ? Encoding.UTF8.GetString(bytes.ToArray()) : null;
    }
}
