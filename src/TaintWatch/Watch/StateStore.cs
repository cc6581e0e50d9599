using System.Text.Json;

namespace TaintWatch.Watch;

/// <summary>
/// Reads and writes state.json atomically: write a temporary file, fsync it, rename it over the old one,
/// fsync the directory (docs/state-file.md). A corrupt file is set aside (state.json.corrupt-&lt;time&gt;) with a warning, never fatal.
/// </summary>
public sealed class StateStore(string directory)
{
    private const int MaxStateBytes = 16 * 1024 * 1024;
    private byte[]? _lastWritten;

    public string Path => System.IO.Path.Combine(directory, "state.json");

    /// <summary>Loads the state, or a fresh one; <paramref name="warning"/> says why a file was not used.</summary>
    public WatchState Load(out string? warning)
    {
        warning = null;
        try
        {
            var info = new FileInfo(Path);
            if (!info.Exists)
            {
                return new WatchState();
            }
            if (info.Length > MaxStateBytes)
            {
                throw new JsonException($"{info.Length} bytes is larger than any state TaintWatch writes");
            }
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path));
            return Parse(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or KeyNotFoundException or ArgumentException)
        {
            var aside = $"{Path}.corrupt-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssZ}";
            try
            {
                File.Move(Path, aside, overwrite: true);
            }
            catch (IOException)
            {
            }
            warning = $"state file {Path} is corrupt ({e.Message}); moved to {aside} and starting fresh";
            return new WatchState();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warning = $"state file {Path} cannot be read ({e.Message}); starting fresh";
            return new WatchState();
        }
    }

    /// <summary>Writes atomically; returns an error text instead of throwing (a full or read-only disk must not stop the watcher).</summary>
    public string? Save(WatchState state)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            Write(writer, state);
        }
        var bytes = buffer.ToArray();
        // Unchanged state (the steady state of a quiet host) costs no write and no fsync.
        if (_lastWritten is not null && bytes.AsSpan().SequenceEqual(_lastWritten))
        {
            return null;
        }
        var temporary = Path + ".tmp";
        try
        {
            Directory.CreateDirectory(directory);
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, Path, overwrite: true);
            FsyncDirectory();
            _lastWritten = bytes;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
            return $"cannot write state file {Path}: {e.Message}";
        }
    }

    private void FsyncDirectory()
    {
        // Makes the rename itself durable; opening a directory read-only for fsync works on Linux.
        try
        {
            using var handle = File.OpenHandle(directory, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The format written (docs/state-file.md); version 1 (outbox as journald fields) is still read.</summary>
    public const int Version = 2;

    private static void Write(Utf8JsonWriter w, WatchState s)
    {
        w.WriteStartObject();
        w.WriteNumber("version", Version);
        w.WriteString("boot_id", s.BootId);
        w.WriteBoolean("initialized", s.Initialized);
        w.WriteNumber("sequence", s.Sequence);
        w.WriteStartObject("bits");
        foreach (var (bit, first) in s.Bits)
        {
            w.WriteNumber(bit.ToString(System.Globalization.CultureInfo.InvariantCulture), first);
        }
        w.WriteEndObject();
        WriteStrings(w, "modules", s.Modules);
        WriteStrings(w, "mismatched_files", s.MismatchedFiles);
        WriteStrings(w, "unverified_files", s.UnverifiedFiles);
        w.WriteStartArray("outbox");
        foreach (var e in s.Outbox)
        {
            StateEventFormat.Write(w, e);
        }
        w.WriteEndArray();
        LifecycleStateJson.Write(w, s.Lifecycle);
        w.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }

    private static WatchState Parse(JsonElement root)
    {
        var version = root.GetProperty("version").GetInt32();
        if (version is not (1 or Version))
        {
            throw new JsonException($"unknown state version {version}");
        }
        var state = new WatchState
        {
            BootId = root.GetProperty("boot_id").GetString() ?? "",
            Initialized = root.GetProperty("initialized").GetBoolean(),
            Sequence = root.GetProperty("sequence").GetInt64(),
        };
        foreach (var bit in root.GetProperty("bits").EnumerateObject())
        {
            state.Bits[int.Parse(bit.Name, System.Globalization.CultureInfo.InvariantCulture)] = bit.Value.GetDouble();
        }
        foreach (var m in root.GetProperty("modules").EnumerateArray())
        {
            state.Modules.Add(m.GetString() ?? throw new JsonException("a module name is null"));
        }
        foreach (var m in root.GetProperty("mismatched_files").EnumerateArray())
        {
            state.MismatchedFiles.Add(m.GetString() ?? throw new JsonException("a module name is null"));
        }
        // Added after version 2 was first written: absent in older files.
        if (root.TryGetProperty("unverified_files", out var unverified))
        {
            foreach (var m in unverified.EnumerateArray())
            {
                state.UnverifiedFiles.Add(m.GetString() ?? throw new JsonException("a module name is null"));
            }
        }
        foreach (var e in root.GetProperty("outbox").EnumerateArray())
        {
            state.Outbox.Add(version == 1 ? StateEventFormat.ReadVersion1(e) : StateEventFormat.Read(e));
        }
        if (root.TryGetProperty("lifecycle", out var lifecycle))
        {
            LifecycleStateJson.Read(lifecycle, state.Lifecycle); // absent in state files written before it existed
        }
        return state;
    }
}
