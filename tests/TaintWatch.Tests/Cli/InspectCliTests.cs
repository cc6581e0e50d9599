using System.Text.Json;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Cli;

public class InspectCliTests
{
    private static string[] CorpusRoot => ["--path.rootfs", Path.Combine(Corpus.Root, "root"), "-k", Corpus.KernelRelease];

    [Fact]
    public void Inspect_by_name_prints_what_modinfo_prints_then_the_extras()
    {
        var ours = Support.Cli.Run(["inspect", "e1000", .. CorpusRoot]);
        var theirs = Corpus.Run("modinfo", "-b", Path.Combine(Corpus.Root, "root"), "-k", Corpus.KernelRelease, "e1000");
        Assert.Equal(0, ours.ExitCode);
        Assert.StartsWith(theirs, ours.Stdout);
        Assert.Contains("sig_state:      signed\n", ours.Stdout);
        var strict = Support.Cli.Run(["inspect", "--modinfo", "e1000", .. CorpusRoot]);
        Assert.Equal(theirs, strict.Stdout);
    }

    [Fact]
    public void Field_and_null_separator_work_as_modinfo()
    {
        var file = Path.Combine(Corpus.ModuleDirectory, "kernel/drivers/net/ethernet/intel/e1000/e1000.ko");
        Assert.Equal(Corpus.Run("modinfo", "-F", "signer", file), Support.Cli.Run("inspect", "-F", "signer", file).Stdout);
        Assert.Equal(Corpus.Run("modinfo", "-0", file), Support.Cli.Run("inspect", "--modinfo", "-0", file).Stdout);
    }

    [Fact]
    public void Built_in_modules_are_reported_as_built_in_like_modinfo()
    {
        var builtin = File.ReadLines(Path.Combine(Corpus.ModuleDirectory, "modules.builtin")).First();
        var name = Path.GetFileNameWithoutExtension(builtin);
        var ours = Support.Cli.Run(["inspect", "--modinfo", name, .. CorpusRoot]);
        var theirs = Corpus.Run("modinfo", "-b", Path.Combine(Corpus.Root, "root"), "-k", Corpus.KernelRelease, name);
        Assert.Equal(0, ours.ExitCode);
        Assert.Equal(theirs, ours.Stdout);
    }

    [Fact]
    public void All_walks_the_module_tree_and_summarises_by_signature_state()
    {
        var r = Support.Cli.Run(["inspect", "--all", .. CorpusRoot]);
        Assert.Equal(0, r.ExitCode);
        var count = Directory.EnumerateFiles(Corpus.ModuleDirectory, "*.ko", SearchOption.AllDirectories).Count();
        Assert.Contains($"{count} module files: {count} signed", r.Stdout);
    }

    [Fact]
    public void Json_has_the_signature_and_modinfo_fields()
    {
        var file = Path.Combine(Repo.Fixture("modules"), "rhel6-gpg-signed.ko");
        var r = Support.Cli.Run("inspect", "--json", file);
        using var doc = JsonDocument.Parse(r.Stdout);
        var m = doc.RootElement[0];
        Assert.Equal("signed", m.GetProperty("signature").GetProperty("state").GetString());
        Assert.Equal(".note.module.sig", m.GetProperty("signature").GetProperty("location").GetString());
        Assert.Equal("88:FF:63:04:EB:C6:E5:00", m.GetProperty("signature").GetProperty("sig_key").GetString());
        Assert.Contains(m.GetProperty("modinfo").EnumerateArray(), kv => kv.GetProperty("key").GetString() == "vermagic");
    }

    [Theory]
    [InlineData("/nonexistent.ko", "does not exist")]
    [InlineData("/proc/self", "is a directory")]
    [InlineData("/etc/hostname", "not an ELF file")]
    public void Files_that_are_not_modules_give_one_clear_line_and_exit_2(string path, string message)
    {
        var r = Support.Cli.Run("inspect", path);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void An_unknown_module_name_says_where_it_looked()
    {
        var r = Support.Cli.Run(["inspect", "scini", .. CorpusRoot]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("modules.dep", r.Stderr);
    }

    [Fact]
    public void Many_files_come_out_in_the_order_given_with_a_bad_one_reported_in_between()
    {
        // Enough files for both cores to take turns, given in reverse order of their paths.
        var files = Directory.EnumerateFiles(Corpus.ModuleDirectory, "*.ko", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(300).Reverse().ToList();
        files.Insert(150, "/nonexistent.ko");
        var r = Support.Cli.Run(["inspect", .. CorpusRoot, .. files]);
        Assert.Equal(2, r.ExitCode);
        var printed = r.Stdout.Split('\n').Where(l => l.StartsWith("filename:", StringComparison.Ordinal)).Select(l => l["filename:".Length..].Trim()).ToList();
        Assert.Equal(files.Where(f => f != "/nonexistent.ko"), printed);
        Assert.Equal(300, r.Stdout.Split('\n').Count(l => l.StartsWith("sig_verified:", StringComparison.Ordinal) && l.EndsWith("valid", StringComparison.Ordinal)));
        Assert.Contains("/nonexistent.ko: does not exist", r.Stderr);
    }

    [Fact]
    public void A_trust_keys_path_that_gives_nothing_is_told_not_silently_ignored()
    {
        var file = Path.Combine(Corpus.ModuleDirectory, "kernel/drivers/net/ethernet/intel/e1000/e1000.ko");
        var r = Support.Cli.Run(["inspect", .. CorpusRoot, "--trust.keys", "/nonexistent/site-key.der", file]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("warning: --trust.keys /nonexistent/site-key.der: does not exist", r.Stderr);
        Assert.Contains("sig_verified:   valid", r.Stdout);
        var quiet = Support.Cli.Run(["inspect", .. CorpusRoot, file]);
        Assert.DoesNotContain("--trust.keys", quiet.Stderr);
    }
}
