using System.Globalization;
using TaintWatch.Watch;

namespace TaintWatch.Journal;

/// <summary>
/// An event as journald fields (docs/journal.md): the one place where event facts become MESSAGE_ID, TAINT_BIT,
/// MODULE_SIGNER and the rest. A field is left out when the event does not know it, never written empty.
/// </summary>
public static class EventFields
{
    public static List<KeyValuePair<string, string>> For(WatchEvent e)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("MESSAGE", e.Message),
            new("MESSAGE_ID", e.MessageId),
            new("PRIORITY", e.Priority.ToString(CultureInfo.InvariantCulture)),
            new("SYSLOG_IDENTIFIER", "taintwatch"),
        };
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                fields.Add(new(name, value));
            }
        }
        if (e.EventId.Length > 0)
        {
            Add("TAINTWATCH_EVENT_ID", e.EventId);
        }
        Add("TAINT_TABLE", e.TaintTable);
        Add("KERNEL_RELEASE", e.KernelRelease);
        if (e.Taint is { } taint)
        {
            Add("TAINT_BIT", taint.Bit.ToString(CultureInfo.InvariantCulture));
            Add("TAINT_FLAG", taint.Letter.ToString());
            Add("TAINT_NAME", taint.Name);
            Add("TAINT_MASK", taint.Mask.ToString(CultureInfo.InvariantCulture));
            foreach (var carrier in taint.Carriers)
            {
                Add("MODULE", carrier);
            }
        }
        if (e.Module is { } m)
        {
            Add("MODULE", m.Name);
            Add("MODULE_TAINT", m.TaintLetters);
            Add("MODULE_SIGNATURE", m.SignatureState);
            Add("MODULE_SIGNER", m.Signer);
            Add("MODULE_SIG_KEY", m.SigKey);
            Add("MODULE_SIG_HASHALGO", m.HashAlgorithm);
            Add("MODULE_FILE", m.File);
            Add("MODULE_VERSION", m.Version);
            Add("MODULE_SRCVERSION", m.SrcVersion);
            Add("MODULE_SIGNATURE_PROBLEM", m.SignatureProblem);
            Add("MODULE_SIGNATURE_VERIFIED", m.Verified);
            Add("MODULE_SIGNATURE_VERIFIED_BY", m.VerifiedBy);
            Add("MODULE_SIGNATURE_VERIFY_PROBLEM", m.VerifyProblem);
            Add("MODULE_EXPECTED", m.Expected switch { true => "1", false => "0", null => null });
        }
        if (e.LivePatch is { } p)
        {
            Add("LIVEPATCH", p.Name);
            Add("LIVEPATCH_EVENT", p.Change);
            Add("LIVEPATCH_ENABLED", p.Enabled);
            Add("LIVEPATCH_TRANSITION", p.Transition);
            Add("LIVEPATCH_OBJECTS", p.Objects is null ? null : string.Join(",", p.Objects));
            Add("LIVEPATCH_FUNCTIONS", p.Functions?.ToString(CultureInfo.InvariantCulture));
            Add("LIVEPATCH_TRANSITION_SECONDS", p.TransitionSeconds?.ToString(CultureInfo.InvariantCulture));
            Add("MODULE", p.Name); // the patch is its module: journalctl MODULE=<patch> finds both
        }
        Add("TAINT_EXPLANATION", e.Explanation);
        Add("MODULE_LISTING", e.Listing);
        Add("MATCH_EVIDENCE", e.MatchEvidence);
        Add("PRESENT_AT_START", e.PresentAtStart ? "1" : null);
        Add("MODULE_TRANSIENT", e.Transient ? "1" : null);
        Add("SEEN_LATE", e.SeenLate ? "1" : null);
        return fields;
    }
}
