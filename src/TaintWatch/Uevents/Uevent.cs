using System.Text;

namespace TaintWatch.Uevents;

/// <summary>
/// One kernel uevent as it arrives on NETLINK_KOBJECT_UEVENT: a header "ACTION@DEVPATH" and NUL-separated
/// KEY=VALUE pairs (lib/kobject_uevent.c). Only what TaintWatch needs is kept: module add and remove.
/// </summary>
/// <param name="Action">add, remove, change, bind, …</param>
/// <param name="DevPath">e.g. /module/tw_gpl</param>
/// <param name="Subsystem">SUBSYSTEM=, e.g. module</param>
/// <param name="Sequence">SEQNUM=, the kernel's event counter (0 when absent)</param>
public sealed record Uevent(string Action, string DevPath, string? Subsystem, ulong Sequence)
{
    /// <summary>The kernel's buffer for one event is 2048 bytes (UEVENT_BUFFER_SIZE); anything longer is not from it.</summary>
    public const int MaxLength = 8192;

    /// <summary>The module's name when this is a module event (DEVPATH=/module/&lt;name&gt;), else null.</summary>
    public string? ModuleName => Subsystem == "module" && DevPath.StartsWith("/module/", StringComparison.Ordinal) && IsModuleName(DevPath.AsSpan(8))
        ? DevPath[8..]
        : null;

    /// <summary>A name the kernel could give a module (MODULE_NAME_LEN is 56): never a path, never "..".</summary>
    private static bool IsModuleName(ReadOnlySpan<char> name) =>
        name.Length is > 0 and < 64 && !name.ContainsAnyExcept(NameCharacters);

    private static readonly System.Buffers.SearchValues<char> NameCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

    public bool IsModuleAdd => Action == "add" && ModuleName is not null;

    public bool IsModuleRemove => Action == "remove" && ModuleName is not null;

    /// <summary>Parses one datagram; null (with the reason) for anything that is not a well-formed kernel uevent.</summary>
    public static Uevent? Parse(ReadOnlySpan<byte> datagram, out string? problem)
    {
        problem = null;
        if (datagram.Length == 0 || datagram.Length > MaxLength)
        {
            problem = $"length {datagram.Length} outside 1..{MaxLength}";
            return null;
        }
        var headerEnd = datagram.IndexOf((byte)0);
        var header = headerEnd < 0 ? datagram : datagram[..headerEnd];
        var at = header.IndexOf((byte)'@');
        if (at <= 0 || at == header.Length - 1)
        {
            // udevd's re-broadcasts start with "libudev" and never reach group 1; anything else is not ours to read.
            problem = "no ACTION@DEVPATH header";
            return null;
        }
        string? action = null, devPath = null, subsystem = null;
        ulong sequence = 0;
        var rest = headerEnd < 0 ? [] : datagram[(headerEnd + 1)..];
        while (rest.Length > 0)
        {
            var end = rest.IndexOf((byte)0);
            var pair = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            var eq = pair.IndexOf((byte)'=');
            if (eq <= 0)
            {
                continue;
            }
            var key = pair[..eq];
            var value = pair[(eq + 1)..];
            if (key.SequenceEqual("ACTION"u8))
            {
                action = Text(value);
            }
            else if (key.SequenceEqual("DEVPATH"u8))
            {
                devPath = Text(value);
            }
            else if (key.SequenceEqual("SUBSYSTEM"u8))
            {
                subsystem = Text(value);
            }
            else if (key.SequenceEqual("SEQNUM"u8))
            {
                ulong.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out sequence);
            }
        }
        // The header alone is enough (older kernels' minimal events); the pairs, when present, must agree with it.
        action ??= Text(header[..at]);
        devPath ??= Text(header[(at + 1)..]);
        if (!header[..at].SequenceEqual(Encoding.UTF8.GetBytes(action)))
        {
            problem = "ACTION disagrees with the header";
            return null;
        }
        return new Uevent(action, devPath, subsystem, sequence);
    }

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
