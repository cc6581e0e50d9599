using System.Text.Json;

namespace TaintWatch.Cli;

/// <summary>
/// The lifecycle members of `taintwatch status --json`: taint_policy (null without taint:), taint_without_carrier,
/// live_patches (null when unreadable or unsupported), kernel_counters (null members where absent), listing_mismatch.
/// </summary>
public static class StatusLifecycleJson
{
    public static void Write(StatusReport report, Utf8JsonWriter w)
    {
        if (report.Lifecycle is not { } view)
        {
            return;
        }
        if (view.Unexpected is { } policy)
        {
            w.WriteStartObject("taint_policy");
            Strings(w, "allowed", report.Expected?.Rules.Taint ?? []);
            Strings(w, "unexpected", policy.Where(u => u.Unexpected).Select(u => u.Flag.Name));
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("taint_policy");
        }
        Strings(w, "taint_without_carrier", view.ModuleBits.Where(b => b.Unexplained is not null).Select(b => b.Flag.Name));
        if (view.LivePatches is { } patches)
        {
            w.WriteStartArray("live_patches");
            foreach (var p in patches)
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                JsonOutput.WriteBooleanOrNull(w, "enabled", p.Enabled);
                JsonOutput.WriteBooleanOrNull(w, "transition", p.Transition);
                w.WriteStartObject("objects");
                foreach (var o in p.Objects)
                {
                    Strings(w, o.Name, o.Functions);
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        else
        {
            w.WriteNull("live_patches");
        }
        w.WriteStartObject("kernel_counters");
        Number(w, "warnings", view.Counters.Warnings);
        Number(w, "oopses", view.Counters.Oopses);
        w.WriteEndObject();
        if (view.Listing is { } listing)
        {
            w.WriteStartObject("listing_mismatch");
            Strings(w, "sysfs_only", listing.SysfsOnly);
            Strings(w, "proc_only", listing.ProcOnly);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("listing_mismatch");
        }
    }

    private static void Number(Utf8JsonWriter w, string name, ulong? value)
    {
        if (value is ulong v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
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
}
