using TaintWatch.Modules.Signatures;

namespace TaintWatch.Baseline;

/// <summary>
/// A trusted signer: every module signed by it is expected. Signer is a glob; the key, when given, must match too.
/// <paramref name="RequireValid"/> ("verified: valid"): only when the signature also verifies against the keys the
/// kernel trusts, so a file claiming the signer's name without its key is not expected.
/// </summary>
public sealed record SignerRule(string Signer, string? SigKey, bool RequireValid = false);

/// <summary>An allowed module (name glob, - and _ equal). With a signer or key it is expected only when signed so; with "verified: valid" only when that signature verifies.</summary>
public sealed record ModuleRule(string Name, string? Signer, string? SigKey, bool RequireValid = false);

/// <summary>
/// The operator's list of what may be loaded (--modules.expected-file): a role's policy. A loaded module is
/// expected when a module rule or a signer rule covers it; everything else is unexpected, and that is what alerts
/// page on. With a taint: list, the taint bits this role may carry; any other set bit is unexpected.
/// </summary>
/// <param name="taint">Allowed taint letters (P, O, E, or RHEL's lower-case ones) or names (OOT_MODULE); null when the file has no taint: key.</param>
public sealed class ExpectedModules(IReadOnlyList<SignerRule> signers, IReadOnlyList<ModuleRule> modules, IReadOnlyList<string>? taint = null)
{
    public IReadOnlyList<SignerRule> Signers { get; } = signers;

    public IReadOnlyList<ModuleRule> Modules { get; } = modules;

    /// <summary>The taint: entries as written; null means the policy says nothing about taint (no unexpected-taint series).</summary>
    public IReadOnlyList<string>? Taint { get; } = taint;

    /// <summary>Whether the policy allows this set bit: by its letter in the running kernel's table, or by its name. Unknown bits never are.</summary>
    public bool AllowsTaint(Kernel.TaintFlag flag) =>
        !flag.IsPlaceholder && Taint is { } allowed && allowed.Any(a => a == flag.Name || a.Length == 1 && a[0] == flag.SetChar);

    /// <summary>The set bits this policy does not allow; empty without a taint: key.</summary>
    public IReadOnlyList<Kernel.TaintFlag> UnexpectedTaint(Kernel.TaintTable table, ulong mask) =>
        Taint is null ? [] : table.Decode(mask).Where(f => !AllowsTaint(f)).ToList();

    /// <param name="verification">The signature checked against the trusted keys; null when not checked (yet), in
    /// which case a "verified: valid" rule is judged on names alone until it can be checked.</param>
    public bool IsExpected(string module, ModuleSignature signature, Trust.SignatureVerification? verification = null)
    {
        bool Verified(bool required) => !required || verification is null || verification.State == Trust.VerificationState.Valid;
        var name = Normalize(module);
        foreach (var rule in Modules)
        {
            if (Glob.Matches(Normalize(rule.Name), name) && (rule.Signer is null && rule.SigKey is null || SignedBy(signature, rule.Signer, rule.SigKey)) && Verified(rule.RequireValid))
            {
                return true;
            }
        }
        foreach (var rule in Signers)
        {
            if (SignedBy(signature, rule.Signer, rule.SigKey) && Verified(rule.RequireValid))
            {
                return true;
            }
        }
        return false;
    }

    private static bool SignedBy(ModuleSignature signature, string? signer, string? key) =>
        signature.State == SignatureState.Signed
        && (signer is null || signature.Signer is { } s && Glob.Matches(signer, s))
        && (key is null || NormalizeKey(signature.KeyHex) == NormalizeKey(key));

    private static string Normalize(string name) => name.Replace('-', '_');

    /// <summary>Keys compare as hex digits alone: "67:c6:8a" equals "67C68A".</summary>
    public static string NormalizeKey(string key) => key.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
}
