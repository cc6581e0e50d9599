using TaintWatch.Kernel;
using System.Globalization;
using System.Text;
using TaintWatch.Baseline;
using TaintWatch.Modules.Signatures;
using TaintWatch.Status;

namespace TaintWatch.Cli;

/// <summary>
/// Renders a host's loaded modules as an expected-modules file that ExpectedModulesFile reads back: every module
/// loaded now is expected by it. Values are double-quoted with escapes, whatever a signer's name holds.
/// </summary>
public static class BaselineWriter
{
    public static string Write(HostStatus status, string host, DateTimeOffset now)
    {
        var snapshot = status.Snapshot;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# TaintWatch expected modules, written by `taintwatch baseline` on {Comment(host)} at {now:yyyy-MM-ddTHH:mm:ssZ}\n");
        text.Append(CultureInfo.InvariantCulture, $"# Kernel {Comment(snapshot.Release ?? "unknown")}, {snapshot.Modules.Count} modules loaded. Review before use: this host is taken as known-good.\n");
        text.Append("# signers: every module signed by one of these is expected. modules: names (globs allowed: nvidia*),\n");
        text.Append("# optionally only when signed by signer (glob) / sig_key. Anything else loaded is unexpected.\n");
        var key = status.SigningKey;
        var signers = new ExpectedModules(key is null ? [] : [new SignerRule(EscapeGlob(key.Signer), key.KeyHex.Length > 0 ? key.KeyHex : null)], []);
        // Pinned to verified signatures only where every module the rule covers verified as valid now.
        var keyVerified = key is not null && status.Trust is not null
            && status.Modules.Where(m => signers.IsExpected(m.Name, m.Signature)).All(m => m.Verification?.State == Trust.VerificationState.Valid);
        text.Append("signers:");
        if (key is null)
        {
            text.Append(" []  # no signed in-tree module is loaded: the kernel's key could not be told\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  # the kernel's own key: it signs {key.Modules} of the loaded in-tree modules\n  - signer: {Quote(EscapeGlob(key.Signer))}\n");
            if (key.KeyHex.Length > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"    sig_key: {Quote(key.KeyHex)}\n");
            }
            if (keyVerified)
            {
                text.Append("    verified: \"valid\"\n");
            }
        }
        // Before modules:, so that module lines appended to the file by hand still land in its list.
        AppendTaint(text, snapshot);
        var extra = status.Modules.Where(m => !signers.IsExpected(m.Name, m.Signature)).OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        text.Append(extra.Count == 0 ? "modules: []\n" : "modules:\n");
        foreach (var module in extra)
        {
            var signature = module.Signature;
            var why = signature.State switch
            {
                SignatureState.Signed => "signed by another key",
                SignatureState.Unsigned => "UNSIGNED",
                _ => $"signature unknown: {Quoting.Shorten(signature.Problem ?? "")}",
            };
            var taint = module.Module.IsTainting ? $", taint {module.Module.TaintLetters}" : "";
            text.Append(CultureInfo.InvariantCulture, $"  - name: {Quote(module.Name)}  # {Comment(why)}{taint}\n");
            if (signature.State == SignatureState.Signed)
            {
                if (signature.Signer is not null)
                {
                    text.Append(CultureInfo.InvariantCulture, $"    signer: {Quote(EscapeGlob(signature.Signer))}\n");
                }
                if (signature.KeyHex.Length > 0)
                {
                    text.Append(CultureInfo.InvariantCulture, $"    sig_key: {Quote(signature.KeyHex)}\n");
                }
                if (module.Verification?.State == Trust.VerificationState.Valid)
                {
                    text.Append(CultureInfo.InvariantCulture, $"    verified: \"valid\"  # by {Comment(module.Verification.VerifiedBy ?? "")}\n");
                }
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// The known-good host's set bits as this role's allowed taint. Bits its table does not know cannot be allowed by
    /// letter, so they are named in a comment; an unreadable mask writes no taint: key (no taint policy) rather than a guess.
    /// </summary>
    private static void AppendTaint(StringBuilder text, Kernel.KernelSnapshot snapshot)
    {
        if (snapshot.TaintMask is not ulong mask)
        {
            text.Append("# taint: not written: the kernel's taint mask could not be read\n");
            return;
        }
        var flags = snapshot.Table.Decode(mask);
        var known = flags.Where(f => !f.IsPlaceholder).ToList();
        text.Append(CultureInfo.InvariantCulture, $"# taint: the bits this role may carry (letters of table {snapshot.Table.Id}; mask {mask}). Any other set bit is unexpected.\n");
        text.Append("taint: [").Append(string.Join(", ", known.Select(f => Quote(f.SetChar.ToString())))).Append(']');
        text.Append(known.Count == 0 ? "  # the kernel is not tainted\n" : $"  # {string.Join(", ", known.Select(f => f.Name))}\n");
        foreach (var unknown in flags.Where(f => f.IsPlaceholder))
        {
            text.Append(CultureInfo.InvariantCulture, $"# bit {unknown.Bit} is set but table {snapshot.Table.Id} does not define it: it cannot be allowed and stays unexpected\n");
        }
    }

    /// <summary>A signer is matched as a glob: its own *, ? and [ must match themselves.</summary>
    private static string EscapeGlob(string text) => text.Replace("[", "[[]", StringComparison.Ordinal).Replace("*", "[*]", StringComparison.Ordinal).Replace("?", "[?]", StringComparison.Ordinal);

    /// <summary>A YAML double-quoted scalar: backslash, quote and control characters escaped.</summary>
    private static string Quote(string value)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in value)
        {
            quoted.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                < ' ' or '\u007f' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }


    private static string Comment(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
