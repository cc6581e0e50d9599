using System.Text.Json;
using TaintWatch.Lifecycle;

namespace TaintWatch.Watch;

/// <summary>The "lifecycle" object of state.json: <see cref="LifecycleState"/> written and read back.</summary>
public static class LifecycleStateJson
{
    public static void Write(Utf8JsonWriter w, LifecycleState s)
    {
        w.WriteStartObject("lifecycle");
        w.WriteString("boot_id", s.BootId);
        w.WriteStartObject("letters");
        foreach (var (module, letters) in s.Letters)
        {
            w.WriteString(module, letters);
        }
        w.WriteEndObject();
        w.WriteStartObject("unloaded_carriers");
        foreach (var (letter, modules) in s.UnloadedCarriers)
        {
            Strings(w, letter.ToString(), modules);
        }
        w.WriteEndObject();
        Numbers(w, "present_at_start", s.PresentAtStart);
        Numbers(w, "set_while_watching", s.SetWhileWatching);
        Numbers(w, "known_bits", s.KnownBits);
        Numbers(w, "reported_unexpected", s.ReportedUnexpected);
        Numbers(w, "reported_unexplained", s.ReportedUnexplained);
        Strings(w, "reported_hidden", s.ReportedHidden);
        w.WriteStartObject("live_patches");
        foreach (var (patch, state) in s.LivePatches)
        {
            w.WriteString(patch, state);
        }
        w.WriteEndObject();
        w.WriteStartObject("transition_since");
        foreach (var (patch, since) in s.TransitionSince)
        {
            w.WriteNumber(patch, since);
        }
        w.WriteEndObject();
        Strings(w, "reported_stuck", s.ReportedStuck);
        w.WriteEndObject();
    }

    public static void Read(JsonElement e, LifecycleState s)
    {
        s.BootId = e.GetProperty("boot_id").GetString() ?? "";
        foreach (var p in e.GetProperty("letters").EnumerateObject())
        {
            s.Letters[p.Name] = p.Value.GetString()!;
        }
        foreach (var p in e.GetProperty("unloaded_carriers").EnumerateObject())
        {
            if (p.Name.Length != 1)
            {
                throw new JsonException($"unloaded_carriers: \"{p.Name}\" is not one taint letter");
            }
            s.UnloadedCarriers[p.Name[0]] = new SortedSet<string>(p.Value.EnumerateArray().Select(m => m.GetString()!), StringComparer.Ordinal);
        }
        ReadNumbers(e, "present_at_start", s.PresentAtStart);
        ReadNumbers(e, "set_while_watching", s.SetWhileWatching);
        ReadNumbers(e, "known_bits", s.KnownBits);
        ReadNumbers(e, "reported_unexpected", s.ReportedUnexpected);
        ReadNumbers(e, "reported_unexplained", s.ReportedUnexplained);
        s.ReportedHidden.UnionWith(e.GetProperty("reported_hidden").EnumerateArray().Select(m => m.GetString()!));
        foreach (var p in e.GetProperty("live_patches").EnumerateObject())
        {
            s.LivePatches[p.Name] = p.Value.GetString()!;
        }
        foreach (var p in e.GetProperty("transition_since").EnumerateObject())
        {
            s.TransitionSince[p.Name] = p.Value.GetDouble();
        }
        s.ReportedStuck.UnionWith(e.GetProperty("reported_stuck").EnumerateArray().Select(m => m.GetString()!));
    }

    private static void Numbers(Utf8JsonWriter w, string name, IEnumerable<int> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteNumberValue(v);
        }
        w.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }

    private static void ReadNumbers(JsonElement e, string name, SortedSet<int> into)
    {
        foreach (var v in e.GetProperty(name).EnumerateArray())
        {
            into.Add(v.GetInt32());
        }
    }
}
