namespace TaintWatch.Status;

/// <summary>
/// The key the kernel's own modules are signed with, told from the loaded modules: the signer of most in-tree
/// (intree=Y, no O letter), signed module files. Null when no such module is loaded or readable.
/// </summary>
/// <param name="Modules">Loaded in-tree modules signed with it.</param>
/// <param name="Others">Loaded in-tree modules signed with any other key (worth a look: a rebuilt or swapped module).</param>
public sealed record KernelSigningKey(string Signer, string KeyHex, string HashAlgorithm, int Modules, int Others)
{
    public static KernelSigningKey? From(IEnumerable<ModuleStatus> modules)
    {
        var signed = modules
            .Where(m => m.InTree == true && !m.Module.TaintLetters.Contains('O', StringComparison.Ordinal) && m.Signature.State == TaintWatch.Modules.Signatures.SignatureState.Signed)
            .Select(m => m.Signature)
            .ToList();
        var best = signed.GroupBy(s => (Signer: s.Signer ?? "", s.KeyHex))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key.Signer, StringComparer.Ordinal).ThenBy(g => g.Key.KeyHex, StringComparer.Ordinal)
            .FirstOrDefault();
        if (best is null)
        {
            return null;
        }
        var hash = best.GroupBy(s => s.HashAlgorithm ?? "").OrderByDescending(g => g.Count()).First().Key;
        return new KernelSigningKey(best.Key.Signer, best.Key.KeyHex, hash, best.Count(), signed.Count - best.Count());
    }
}
