using TaintWatch.Kernel;
using TaintWatch.Modules;

namespace TaintWatch.Trust;

/// <summary>
/// Reads db, dbx, MokListRT and MokListXRT as the kernel's load_uefi.c does: shim's MOK lists from the EFI
/// config table (/sys/firmware/efi/mok-variables/MokListRT, then MokListRT1, MokListRT2… when split) before
/// the runtime variable; variables through efivarfs, whose files start with 4 bytes of attributes.
/// </summary>
public static class EfiKeyVariables
{
    public const string ImageSecurityGuid = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
    public const string ShimLockGuid = "605dab50-e046-4300-abb6-3dd810dd8b23";

    /// <summary>dbx on a current machine is ~15–30 KiB; the spec bounds nothing, so a generous cap.</summary>
    private const int VariableLimit = 4 * 1024 * 1024;

    /// <param name="Entries">The variable's entries; empty when it is absent or unreadable.</param>
    /// <param name="Present">Whether the variable (or the mokvar table entry) exists.</param>
    /// <param name="Problem">Why it could not be read whole.</param>
    public sealed record Variable(List<EfiSignatureList.Entry> Entries, bool Present, string? Problem);

    public static Variable Read(string sysFs, string name)
    {
        var guid = name.StartsWith("Mok", StringComparison.Ordinal) ? ShimLockGuid : ImageSecurityGuid;
        var mokvar = Path.Combine(sysFs, "firmware/efi/mok-variables", name);
        if (name.StartsWith("Mok", StringComparison.Ordinal) && File.Exists(mokvar))
        {
            var entries = new List<EfiSignatureList.Entry>();
            for (var part = 0; ; part++)
            {
                var path = part == 0 ? mokvar : mokvar + part;
                if (part > 0 && !File.Exists(path))
                {
                    return new Variable(entries, true, null);
                }
                var value = BoundedFile.ReadBytes(path, VariableLimit);
                if (!value.Succeeded)
                {
                    return new Variable(entries, true, $"{path}: {value.Error}");
                }
                if (!TryParse(value.Value!, entries, path, out var problem))
                {
                    return new Variable(entries, true, problem);
                }
            }
        }
        var efivar = Path.Combine(sysFs, "firmware/efi/efivars", $"{name}-{guid}");
        var file = BoundedFile.ReadBytes(efivar, VariableLimit);
        if (!file.Succeeded)
        {
            return new Variable([], !file.IsMissing, file.IsMissing ? null : $"{efivar}: {file.Error}");
        }
        if (file.Value!.Length < 4)
        {
            return new Variable([], true, $"{efivar}: {file.Value.Length} bytes, less than efivarfs's 4 attribute bytes");
        }
        var result = new List<EfiSignatureList.Entry>();
        return TryParse(file.Value.AsSpan(4), result, efivar, out var error) ? new Variable(result, true, null) : new Variable([], true, error);
    }

    private static bool TryParse(ReadOnlySpan<byte> value, List<EfiSignatureList.Entry> into, string path, out string? problem)
    {
        try
        {
            into.AddRange(EfiSignatureList.Parse(value));
            problem = null;
            return true;
        }
        catch (ModuleFormatException e)
        {
            // The kernel drops the whole variable on a bad list (parse_efi_signature_list returns -EBADMSG).
            into.Clear();
            problem = $"{path}: {e.Message}";
            return false;
        }
    }
}
