namespace TaintWatch.Kernel;

/// <summary>
/// The taint tables of every kernel family TaintWatch supports (docs/taint-tables.md). Sources: upstream
/// include/linux/panic.h and kernel/panic.c (taint_flags[]); RHEL 5–10 include/linux/kernel.h, kernel/panic.c
/// and kernel/rh_taint.c of each release's kernel source package.
/// </summary>
public static class TaintTables
{
    // Upstream bits 0–19, in the words of Documentation/admin-guide/tainted-kernels.rst.
    private static readonly TaintFlag[] UpstreamFlags =
    [
        new(0, 'P', 'G', "PROPRIETARY_MODULE", "proprietary module was loaded"),
        new(1, 'F', ' ', "FORCED_MODULE", "module was force loaded"),
        new(2, 'S', ' ', "CPU_OUT_OF_SPEC", "kernel running on an out of specification system"),
        new(3, 'R', ' ', "FORCED_RMMOD", "module was force unloaded"),
        new(4, 'M', ' ', "MACHINE_CHECK", "processor reported a Machine Check Exception (MCE)"),
        new(5, 'B', ' ', "BAD_PAGE", "bad page referenced or some unexpected page flags"),
        new(6, 'U', ' ', "USER", "taint requested by userspace application"),
        new(7, 'D', ' ', "DIE", "kernel died recently, i.e. there was an OOPS or BUG"),
        new(8, 'A', ' ', "OVERRIDDEN_ACPI_TABLE", "an ACPI table was overridden by user"),
        new(9, 'W', ' ', "WARN", "kernel issued warning"),
        new(10, 'C', ' ', "CRAP", "staging driver was loaded"),
        new(11, 'I', ' ', "FIRMWARE_WORKAROUND", "workaround for bug in platform firmware applied"),
        new(12, 'O', ' ', "OOT_MODULE", "externally-built (\"out-of-tree\") module was loaded"),
        new(13, 'E', ' ', "UNSIGNED_MODULE", "unsigned module was loaded"),
        new(14, 'L', ' ', "SOFTLOCKUP", "soft lockup occurred"),
        new(15, 'K', ' ', "LIVEPATCH", "kernel has been live patched"),
        new(16, 'X', ' ', "AUX", "auxiliary taint, defined for and used by distros"),
        new(17, 'T', ' ', "RANDSTRUCT", "kernel was built with the struct randomization plugin"),
        new(18, 'N', ' ', "TEST", "an in-kernel test (such as a KUnit test) has been run"),
        new(19, 'J', ' ', "FWCTL", "userspace used a mutating debug operation in fwctl"),
    ];

    private static TaintFlag Placeholder(int bit, string name) => new(bit, '?', '-', name, $"reserved bit {bit} with no defined meaning", IsPlaceholder: true);

    private static IEnumerable<TaintFlag> Upstream(int lastBit) => UpstreamFlags.Where(f => f.Bit <= lastBit);

    private static IEnumerable<TaintFlag> Placeholders(int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(b => Placeholder(b, $"TAINT_{b}"));

    private static int[] Bits(int from, int to) => Enumerable.Range(from, to - from + 1).ToArray();

    private static readonly TaintFlag TechPreview = new(29, 'T', ' ', "TECH_PREVIEW", "a Red Hat Technology Preview driver or feature is in use (not fully supported)");
    private static readonly TaintFlag HardwareUnsupported = new(28, 'H', ' ', "HARDWARE_UNSUPPORTED", "hardware that Red Hat does not support is in use");
    private static readonly string AuxOnRhel = "auxiliary taint: on RHEL 8.6 and later, a Technology Preview driver or feature is in use";

    /// <summary>Upstream Linux, bits 0–19 (6.15 and later print all 20 positions).</summary>
    public static readonly TaintTable Upstream20 = new("upstream", "Linux upstream (bits 0-19)", Upstream(19), Bits(0, 19));

    /// <summary>RHEL 5 (2.6.18): bit 6 means an unsigned module, and the printed string is cut to 19 characters.</summary>
    public static readonly TaintTable Rhel5 = new("rhel5", "RHEL 5 (2.6.18)",
        Upstream(5).Concat(
        [
            new(6, 'U', ' ', "UNSIGNED_MODULE", "unsigned module was loaded (RHEL 5 GPG module signing; not printed in the Tainted: string)"),
            Placeholder(27, "TAINT_27"), Placeholder(28, "RESERVED28"),
            TechPreview with { Description = TechPreview.Description + " (not printed: RHEL 5 truncates the Tainted: string)" },
            Placeholder(30, "RESERVED30"), Placeholder(31, "RESERVED31"),
        ]),
        Bits(0, 5), truncateTo: 19, fixedSuffix: "--------------------- ");

    /// <summary>RHEL 6 (2.6.32): no unsigned-module bit at all; bits 12–13 are placeholders.</summary>
    public static readonly TaintTable Rhel6 = new("rhel6", "RHEL 6 (2.6.32)",
        Upstream(11).Concat([Placeholder(12, "TAINT_12"), Placeholder(13, "TAINT_13"), UpstreamFlags[14]])
            .Concat(Placeholders(15, 26))
            .Concat(
            [
                new(27, 'Z', ' ', "BIT_BY_ZOMBIE", "the OMGZOMBIES debugging switch was given on the kernel command line"),
                HardwareUnsupported, TechPreview,
            ]),
        Bits(0, 29));

    /// <summary>RHEL 7.0–7.2 (3.10.0 before -514): an unsigned module sets F; bit 13 is not printed.</summary>
    public static readonly TaintTable Rhel70 = new("rhel7.0", "RHEL 7.0-7.2 (3.10.0 before -514)",
        Upstream(12).Select(f => f.Bit == 1 ? f with { Description = "module was force loaded, or (RHEL 7.0-7.2) an unsigned module was loaded" } : f)
            .Append(Placeholder(13, "TAINT_13"))
            .Concat(Placeholders(14, 27))
            .Concat([HardwareUnsupported, TechPreview]),
        Bits(0, 12).Concat(Bits(14, 29)).ToArray());

    /// <summary>RHEL 7.3 and later (3.10.0-514+): E, L and K exist; 30 printed positions.</summary>
    public static readonly TaintTable Rhel73 = new("rhel7.3", "RHEL 7.3+ (3.10.0-514 and later)",
        Upstream(15).Concat(Placeholders(16, 27)).Concat([HardwareUnsupported, TechPreview]),
        Bits(0, 29));

    private static IEnumerable<TaintFlag> Rhel8Flags(bool auxIsTechPreview) =>
        Upstream(17).Select(f => f.Bit == 16 && auxIsTechPreview ? f with { Description = AuxOnRhel } : f)
            .Concat(Placeholders(18, 26))
            .Concat(
            [
                new(27, 'r', ' ', "SUPPORT_REMOVED", "hardware or a driver whose support was removed in this major release is in use"),
                Placeholder(28, "TAINT_28"),
                new(29, 't', ' ', "TECH_PREVIEW", auxIsTechPreview
                    ? "Technology Preview (not set by RHEL 8.6+ kernels, which use X instead)"
                    : "a Red Hat Technology Preview driver or feature is in use (not fully supported)"),
                new(30, 'u', ' ', "UNPRIVILEGED_BPF", "unprivileged BPF was enabled"),
                Placeholder(31, "TAINT_31"),
            ]);

    /// <summary>RHEL 8.0–8.5: Technology Preview sets bit 29 't'.</summary>
    public static readonly TaintTable Rhel80 = new("rhel8.0", "RHEL 8.0-8.5 (4.18.0 before -372)", Rhel8Flags(auxIsTechPreview: false), Bits(0, 31));

    /// <summary>RHEL 8.6 and later: Technology Preview moved to bit 16 'X'.</summary>
    public static readonly TaintTable Rhel86 = new("rhel8.6", "RHEL 8.6+ (4.18.0-372 and later)", Rhel8Flags(auxIsTechPreview: true), Bits(0, 31));

    private static IEnumerable<TaintFlag> Rhel9Flags(bool hasTest) =>
        Upstream(hasTest ? 18 : 17).Select(f => f.Bit == 16 ? f with { Description = AuxOnRhel } : f)
            .Concat(hasTest ? [] : [Placeholder(18, "TAINT_18")])
            .Concat(Placeholders(19, 25))
            .Concat(
            [
                new(26, 'p', ' ', "PARTNER_SUPPORTED", "a partner-supported GPL module was loaded (not supported directly by Red Hat)"),
                new(27, 'h', ' ', "SUPPORT_REMOVED", "hardware or a driver whose support was removed in this major release is in use"),
                Placeholder(28, "RESERVED28"), Placeholder(29, "RESERVED29"), Placeholder(30, "RESERVED30"),
                new(31, 'u', ' ', "UNPRIVILEGED_BPF", "unprivileged BPF was enabled"),
            ]);

    /// <summary>RHEL 9.0–9.2 (5.14.0 before -362): bit 18 is a placeholder.</summary>
    public static readonly TaintTable Rhel90 = new("rhel9.0", "RHEL 9.0-9.2 (5.14.0 before -362)", Rhel9Flags(hasTest: false), Bits(0, 31));

    /// <summary>RHEL 9.3 and later: bit 18 is TEST 'N'.</summary>
    public static readonly TaintTable Rhel93 = new("rhel9.3", "RHEL 9.3+ (5.14.0-362 and later)", Rhel9Flags(hasTest: true), Bits(0, 31));

    /// <summary>RHEL 10 (6.12): upstream 0–18, no PARTNER_SUPPORTED, no FWCTL.</summary>
    public static readonly TaintTable Rhel10 = new("rhel10", "RHEL 10 (6.12)",
        Upstream(18).Select(f => f.Bit == 16 ? f with { Description = AuxOnRhel } : f)
            .Concat(Placeholders(19, 26))
            .Concat(
            [
                new(27, 'h', ' ', "SUPPORT_REMOVED", "hardware or a driver whose support was removed in this major release is in use"),
                Placeholder(28, "RESERVED28"), Placeholder(29, "RESERVED29"), Placeholder(30, "RESERVED30"),
                new(31, 'u', ' ', "UNPRIVILEGED_BPF", "unprivileged BPF was enabled"),
            ]),
        Bits(0, 31));

    public static IReadOnlyList<TaintTable> All { get; } = [Upstream20, Rhel5, Rhel6, Rhel70, Rhel73, Rhel80, Rhel86, Rhel90, Rhel93, Rhel10];

    /// <summary>An upstream table printing the first <paramref name="positions"/> bits, as kernels of that era did.</summary>
    public static TaintTable UpstreamWithWidth(int positions)
    {
        positions = Math.Clamp(positions, 6, 20);
        return positions == 20 ? Upstream20 : new TaintTable($"upstream-{positions}", $"Linux upstream ({positions} printed flags)", Upstream(positions - 1), Bits(0, positions - 1));
    }

    public static TaintTable? FindById(string id) =>
        All.FirstOrDefault(t => string.Equals(t.Id, id, StringComparison.OrdinalIgnoreCase));
}
