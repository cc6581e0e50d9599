using System.CommandLine;
using TaintWatch.Trust;

namespace TaintWatch.Cli;

/// <summary>The --trust.keys flag shared by inspect, status and run, and how trust sources are reported.</summary>
public static class TrustOptions
{
    public static Option<string[]> KeysOption() => new("--trust.keys")
    {
        Description = $"A DER or PEM certificate, or a directory of them, to trust for module signatures besides the kernel image's built-in keys, UEFI db and MokListRT (a site's own module signing key). Repeatable. Default: {KeyFiles.DefaultDirectory} under --path.rootfs when it exists.",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>
    /// Tells on standard error why a certificate file or directory named with --trust.keys gave nothing (a typo
    /// in the path would otherwise only show as modules left untrusted). The default directory stays quiet.
    /// </summary>
    public static void WarnAboutNamedKeys(TextWriter error, string command, TrustStore? store, IReadOnlyList<string>? named)
    {
        if (store is null || named is not { Count: > 0 })
        {
            return;
        }
        foreach (var s in store.Sources.Where(s => s.Kind == TrustSourceKind.KeysFile && s.Problem is not null))
        {
            var given = named.FirstOrDefault(n => s.Name == n || s.Name.StartsWith(n.TrimEnd('/') + "/", StringComparison.Ordinal));
            if (given is not null)
            {
                error.WriteLine($"taintwatch {command}: warning: --trust.keys {s.Name}: {s.Problem}");
            }
        }
    }

    /// <summary>One line per source: how many certificates and hashes it gave, or why none.</summary>
    public static void WriteSources(TextWriter output, TrustStore store)
    {
        foreach (var s in store.Sources.Where(s => s.Present || s.Kind == TrustSourceKind.KernelImage))
        {
            var what = s.Revokes ? $"{s.Certificates} revoked certificates, {s.Hashes} hashes" : $"{s.Certificates} trusted certificates";
            var held = !s.Revokes && store.KernelKeys is { } keys
                ? $", {store.Trusted.Count(a => a.Source == s.Name && keys.Holds(a))} held by the running kernel"
                : "";
            output.WriteLine($"{s.Label} {s.Name}: {what}{held}{(s.Problem is null ? "" : " (" + s.Problem + ")")}");
        }
    }
}
