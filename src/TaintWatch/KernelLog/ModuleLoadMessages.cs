using System.Text.RegularExpressions;
using TaintWatch.Kernel;

namespace TaintWatch.KernelLog;

/// <summary>Recognises the kernel's module-load and taint messages (kernel/module/main.c, kernel/module/signing.c and RHEL's rh_taint.c wordings) and the letter each implies.</summary>
public static partial class ModuleLoadMessages
{
    private sealed record Pattern(Regex Regex, ModuleLoadEventKind Kind, string? FlagName);

    private static readonly Pattern[] Patterns =
    [
        new(Unsigned(), ModuleLoadEventKind.UnsignedModule, "UNSIGNED_MODULE"),
        new(OutOfTree(), ModuleLoadEventKind.OutOfTree, "OOT_MODULE"),
        new(License(), ModuleLoadEventKind.ProprietaryLicense, "PROPRIETARY_MODULE"),
        new(Inherited(), ModuleLoadEventKind.InheritedProprietary, "PROPRIETARY_MODULE"),
        new(Staging(), ModuleLoadEventKind.Staging, "CRAP"),
        new(Livepatch(), ModuleLoadEventKind.Livepatch, "LIVEPATCH"),
        new(TestModule(), ModuleLoadEventKind.TestModule, "TEST"),
        new(Forced(), ModuleLoadEventKind.ForcedLoad, "FORCED_MODULE"),
        new(TechPreview(), ModuleLoadEventKind.TechPreview, "TECH_PREVIEW"),
        new(Partner(), ModuleLoadEventKind.PartnerSupported, "PARTNER_SUPPORTED"),
        new(SupportRemoved(), ModuleLoadEventKind.SupportRemoved, "SUPPORT_REMOVED"),
        new(NotSupported(), ModuleLoadEventKind.SupportRemoved, "SUPPORT_REMOVED"),
        new(UnsupportedHardware(), ModuleLoadEventKind.HardwareUnsupported, null),
        new(UntestedHardware(), ModuleLoadEventKind.HardwareUnsupported, null),
        new(UnprivilegedBpf(), ModuleLoadEventKind.UnprivilegedBpf, "UNPRIVILEGED_BPF"),
        new(Rejected(), ModuleLoadEventKind.LoadRejected, null),
        new(Lockdown(), ModuleLoadEventKind.LockdownRejected, null),
        new(UnknownKey(), ModuleLoadEventKind.UnknownKey, null),
        new(Blacklisted(), ModuleLoadEventKind.BlacklistedKey, null),
        new(GpgFailed(), ModuleLoadEventKind.GpgVerificationFailed, null),
        new(SupportStatus(), ModuleLoadEventKind.SupportUnmaintained, null),
        new(Fwctl(), ModuleLoadEventKind.FwctlDebugWrite, "FWCTL"),
    ];

    [GeneratedRegex(@"^(?<m>\S+): module verification failed: signature and/or required key missing - tainting kernel", RegexOptions.CultureInvariant)]
    private static partial Regex Unsigned();
    [GeneratedRegex(@"^(?<m>\S+): loading out-of-tree module taints kernel\.", RegexOptions.CultureInvariant)]
    private static partial Regex OutOfTree();
    [GeneratedRegex(@"^(?<m>\S+): module license (?:'(?<d>[^']*)' )?taints kernel\.", RegexOptions.CultureInvariant)]
    private static partial Regex License();
    [GeneratedRegex(@"^(?<m>\S+): module uses symbols (?:\S+ )?from proprietary module (?<d>\S+), inheriting taint\.", RegexOptions.CultureInvariant)]
    private static partial Regex Inherited();
    [GeneratedRegex(@"^(?<m>\S+): module is from the staging directory", RegexOptions.CultureInvariant)]
    private static partial Regex Staging();
    [GeneratedRegex(@"^(?<m>\S+): tainting kernel with TAINT_LIVEPATCH", RegexOptions.CultureInvariant)]
    private static partial Regex Livepatch();
    [GeneratedRegex(@"^(?<m>\S+): loading test module taints kernel\.", RegexOptions.CultureInvariant)]
    private static partial Regex TestModule();
    [GeneratedRegex(@"^(?<m>\S+): (?<d>.+): kernel tainted\.", RegexOptions.CultureInvariant)]
    private static partial Regex Forced();
    [GeneratedRegex(@"^TECH PREVIEW: (?<m>.+?) may not be fully supported\.", RegexOptions.CultureInvariant)]
    private static partial Regex TechPreview();
    [GeneratedRegex(@"^Warning: (?<m>.+?) is a Partner supported GPL module", RegexOptions.CultureInvariant)]
    private static partial Regex Partner();
    [GeneratedRegex(@"^Warning: (?<m>.+?) - Support for this device has been removed", RegexOptions.CultureInvariant)]
    private static partial Regex SupportRemoved();
    [GeneratedRegex(@"^(?<m>[A-Z0-9_]+) MODULE IS NOT SUPPORTED", RegexOptions.CultureInvariant)]
    private static partial Regex NotSupported();
    [GeneratedRegex(@"^UNSUPPORTED HARDWARE DEVICE: (?<m>.+)", RegexOptions.CultureInvariant)]
    private static partial Regex UnsupportedHardware();
    [GeneratedRegex(@"^Warning: (?<m>.+?) - this hardware has not undergone testing by Red Hat", RegexOptions.CultureInvariant)]
    private static partial Regex UntestedHardware();
    [GeneratedRegex(@"^Unprivileged BPF has been enabled", RegexOptions.CultureInvariant)]
    private static partial Regex UnprivilegedBpf();
    [GeneratedRegex(@"Loading of (?<d>.+?) is rejected", RegexOptions.CultureInvariant)]
    private static partial Regex Rejected();
    [GeneratedRegex(@"^Lockdown: (?<m>[^:]+): (?<d>.+?) is restricted", RegexOptions.CultureInvariant)]
    private static partial Regex Lockdown();
    [GeneratedRegex(@"Request for unknown module key '(?<d>[^']*)' err", RegexOptions.CultureInvariant)]
    private static partial Regex UnknownKey();
    [GeneratedRegex(@"Module key '(?<d>[^']*)' is in blacklist", RegexOptions.CultureInvariant)]
    private static partial Regex Blacklisted();
    [GeneratedRegex(@"^(?<d>Module signed with unknown public key|Module signature verification failed|An attempt to load unsigned module was rejected|ksign: module signed with unknown public key)", RegexOptions.CultureInvariant)]
    private static partial Regex GpgFailed();

    // RHEL 8.10 / 9.4+ (drivers/base/driver.c): "Warning: Unmaintained hardware is detected: megaraid_sas:0073:1000 @ 0000:01:00.0",
    // "Warning: Deprecated Driver is detected: qla4xxx will not be maintained in a future major release and may be disabled",
    // "Warning: Disabled Hardware is detected: …". Not anchored: knowledge-base articles quote it after a bullet.
    [GeneratedRegex(@"Warning: (?<status>Unmaintained|Deprecated|Disabled) (?:[Hh]ardware|[Dd]river) is detected:\s+(?<m>[^\s:]+)(?::(?<d>\S+))?", RegexOptions.CultureInvariant)]
    private static partial Regex SupportStatus();

    // drivers/fwctl/main.c: dev_warn(&fwctl->dev, "%s(%d): has requested full access to the physical device", comm, pid),
    // printed once when FWCTL_RPC_DEBUG_WRITE sets TAINT_FWCTL. It names a device and a process, not a module.
    [GeneratedRegex(@"^(?<d>\S+ \S+: .+\(\d+\)): has requested full access to the physical device", RegexOptions.CultureInvariant)]
    private static partial Regex Fwctl();

    // Words at least one of which every message above contains: lines without them skip the regexes. One
    // vectorised pass over the line looks for all of them (most lines of a log contain none).
    private static readonly System.Buffers.SearchValues<string> Keywords = System.Buffers.SearchValues.Create(
        ["taint", "TECH PREVIEW", "Warning: ", "NOT SUPPORTED", "UNSUPPORTED", "Unprivileged BPF", "rejected", "Lockdown", "key", "staging", "signature", "full access"],
        StringComparison.Ordinal);

    public static ModuleLoadEvent? Match(string text, long line, TaintTable table)
    {
        if (text.AsSpan().IndexOfAny(Keywords) < 0)
        {
            return null;
        }
        foreach (var pattern in Patterns)
        {
            var match = pattern.Regex.Match(text);
            if (!match.Success)
            {
                continue;
            }
            var module = match.Groups["m"].Success ? match.Groups["m"].Value : null;
            var detail = match.Groups["d"].Success ? match.Groups["d"].Value : null;
            var kind = match.Groups["status"].Value switch
            {
                "Deprecated" => ModuleLoadEventKind.SupportDeprecated,
                "Disabled" => ModuleLoadEventKind.SupportDisabled,
                _ => pattern.Kind,
            };
            return new ModuleLoadEvent(line, kind, module, LetterFor(pattern, table), detail, text);
        }
        return null;
    }

    /// <summary>The letter this event sets in the log's kernel family (RHEL 7.0–7.2 mark unsigned modules F; RHEL 8.6+ tech preview X).</summary>
    private static char? LetterFor(Pattern pattern, TaintTable table)
    {
        var name = pattern.FlagName;
        if (name is null)
        {
            return null;
        }
        if (pattern.Kind == ModuleLoadEventKind.UnsignedModule && table.Id == "rhel7.0")
        {
            name = "FORCED_MODULE";
        }
        if (pattern.Kind == ModuleLoadEventKind.TechPreview && table.Id is "rhel8.6" or "rhel9.0" or "rhel9.3" or "rhel10")
        {
            name = "AUX";
        }
        var flag = table.Flags.FirstOrDefault(f => f.Name == name && !f.IsPlaceholder);
        return flag?.SetChar;
    }
}
