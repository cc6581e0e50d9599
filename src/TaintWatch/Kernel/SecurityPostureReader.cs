namespace TaintWatch.Kernel;

/// <summary>Reads Secure Boot (efivars), kernel lockdown (securityfs) and sig_enforce; never writes, never guesses.</summary>
public static class SecurityPostureReader
{
    private const int Limit = 4096;

    public static SecurityPosture Read(KernelPaths paths)
    {
        var problems = new List<string>();
        return new SecurityPosture(SecureBoot(paths, problems), Lockdown(paths, problems), SigEnforce(paths, problems), problems);
    }

    private static string SecureBoot(KernelPaths paths, List<string> problems)
    {
        if (!Directory.Exists(paths.Efi))
        {
            return SecurityPosture.Unsupported; // booted by BIOS: there is no Secure Boot
        }
        // efivarfs: u32 attributes, then one byte. The old sysfs interface gives the byte alone.
        foreach (var (path, offset) in new[] { (paths.SecureBootVariable, 4), (paths.LegacySecureBootVariable, 0) })
        {
            var reading = BoundedFile.ReadBytes(path, Limit);
            if (reading.IsMissing)
            {
                continue;
            }
            if (!reading.Succeeded)
            {
                problems.Add(reading.Problem!);
                return SecurityPosture.Unknown;
            }
            var bytes = reading.Value!;
            if (bytes.Length != offset + 1 || bytes[offset] > 1)
            {
                problems.Add($"{path}: {bytes.Length} bytes, expected {offset + 1} ending in 0 or 1");
                return SecurityPosture.Unknown;
            }
            return bytes[offset] == 1 ? "enabled" : "disabled";
        }
        // UEFI without the variable: firmware without Secure Boot, unless efivarfs is simply not mounted.
        if (Directory.Exists(Path.GetDirectoryName(paths.SecureBootVariable)) && Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(paths.SecureBootVariable)!).Any())
        {
            return SecurityPosture.Unsupported;
        }
        problems.Add($"{Path.GetDirectoryName(paths.SecureBootVariable)}: efivarfs not mounted or empty");
        return SecurityPosture.Unknown;
    }

    private static string Lockdown(KernelPaths paths, List<string> problems)
    {
        var reading = BoundedFile.ReadText(paths.Lockdown, Limit);
        if (reading.IsMissing)
        {
            // Without securityfs (or without permission to list it) the absence of the file proves nothing.
            try
            {
                if (Directory.Exists(paths.SecurityFs) && Directory.EnumerateFileSystemEntries(paths.SecurityFs).Any())
                {
                    return SecurityPosture.Unsupported;
                }
                problems.Add($"{paths.SecurityFs}: securityfs not mounted");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"{paths.SecurityFs}: {e.Message}");
            }
            return SecurityPosture.Unknown;
        }
        if (!reading.Succeeded)
        {
            problems.Add(reading.Problem!);
            return SecurityPosture.Unknown;
        }
        var text = reading.Value!;
        var open = text.IndexOf('[', StringComparison.Ordinal);
        var close = open < 0 ? -1 : text.IndexOf(']', open);
        var mode = close > open + 1 ? text[(open + 1)..close] : "";
        if (mode is not ("none" or "integrity" or "confidentiality"))
        {
            problems.Add($"{paths.Lockdown}: \"{Quoting.Shorten(text.Trim())}\" names no mode in brackets");
            return SecurityPosture.Unknown;
        }
        return mode;
    }

    private static string SigEnforce(KernelPaths paths, List<string> problems)
    {
        var reading = BoundedFile.ReadText(paths.SigEnforce, 64);
        if (reading.IsMissing)
        {
            return Directory.Exists(paths.SysModule) ? SecurityPosture.Unsupported : SecurityPosture.Unknown;
        }
        if (!reading.Succeeded)
        {
            problems.Add(reading.Problem!);
            return SecurityPosture.Unknown;
        }
        switch (reading.Value!.Trim())
        {
            case "Y" or "1":
                return "on";
            case "N" or "0":
                return "off";
            default:
                problems.Add($"{paths.SigEnforce}: \"{Quoting.Shorten(reading.Value.Trim())}\" is not Y or N");
                return SecurityPosture.Unknown;
        }
    }
}
