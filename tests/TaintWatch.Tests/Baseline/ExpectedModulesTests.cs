using System.Text;
using CsCheck;
using TaintWatch.Baseline;
using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Modules.Signatures;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Baseline;

/// <summary>The expected-modules file: globs, parsing, hostile content, and `taintwatch baseline` read back.</summary>
public sealed class ExpectedModulesTests : IDisposable
{
    private readonly TempTree _tree = new();

    private ExpectedModules Load(string yaml)
    {
        _tree.Write("expected.yaml", yaml);
        return ExpectedModulesFile.Load(_tree.PathOf("expected.yaml"));
    }

    private string LoadError(string yaml)
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(yaml));
        return e.Message;
    }

    private static ModuleSignature Signed(string signer, string key) => FromFixture(signer, key);

    /// <summary>A real signature read from a fixture module, then checked against the rules by its signer and key.</summary>
    private static ModuleSignature FromFixture(string signer, string key)
    {
        var real = ModuleInspector.Inspect(Path.Combine(Repo.Fixture("rhel79-scini"), "lib/modules/3.10.0-1160.21.1.el7.x86_64/kernel/fs/xfs/xfs.ko.xz")).Signature;
        Assert.Equal(SignatureState.Signed, real.State);
        return signer == real.Signer && key == real.KeyHex ? real : throw new ArgumentException("only the fixture's signer is available");
    }

    private const string RedHat = "Red Hat Enterprise Linux kernel signing key";
    private const string RedHatKey = "67:C6:8A:84:D4:0D:B0:66:D0:54:B5:2F:D0:9F:EA:A2:1D:EE:DD:10";

    [Theory]
    [InlineData("nvidia*", "nvidia_uvm", true)]
    [InlineData("nvidia*", "nouveau", false)]
    [InlineData("nv?dia", "nvidia", true)]
    [InlineData("nf_[a-c]*", "nf_conntrack", true)]
    [InlineData("nf_[!a-c]*", "nf_conntrack", false)]
    [InlineData("*", "", true)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    [InlineData("[*]", "*", true)]
    [InlineData("[[]x", "[x", true)]
    [InlineData("scini", "scini2", false)]
    public void Globs_match_as_the_shell_does(string pattern, string text, bool matches) => Assert.Equal(matches, Glob.Matches(pattern, text));

    [Fact]
    public void A_pathological_glob_is_answered_in_linear_time_not_exponential()
    {
        // Backtracking into every star would take 2^30 steps here; one backtracking point takes a few thousand.
        Assert.False(Glob.Matches(string.Concat(Enumerable.Repeat("a*", 30)) + "b", new string('a', 60)));
    }

    [Fact]
    public void Module_rules_match_names_with_dash_and_underscore_equal_and_signer_rules_match_any_module_they_signed()
    {
        var rules = Load($"""
            signers:
              - signer: "Red Hat*"
                sig_key: "{RedHatKey.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant()}"
            modules:
              - name: scini
              - name: "nvidia*"
                signer: NVIDIA*
            """);
        Assert.True(rules.IsExpected("xfs", Signed(RedHat, RedHatKey)));
        Assert.True(rules.IsExpected("scini", ModuleSignature.UnknownBecause("x")));
        Assert.False(rules.IsExpected("nvidia_uvm", ModuleSignature.UnknownBecause("unsigned or unreadable: not NVIDIA's")));
        Assert.False(rules.IsExpected("xfs", ModuleSignature.UnknownBecause("file gone")));
        Assert.True(Load("modules:\n  - name: nf-conntrack\n").IsExpected("nf_conntrack", ModuleSignature.UnknownBecause("x")));
        Assert.False(Load("signers:\n  - signer: \"Red Hat*\"\n    sig_key: \"00:11\"\n").IsExpected("xfs", Signed(RedHat, RedHatKey)));
    }

    [Theory]
    [InlineData("modulez:\n  - name: x\n", "unknown key \"modulez\"")]
    [InlineData("modules:\n  - nam: x\n", "not \"nam\"")]
    [InlineData("modules:\n  - signer: x\n", "needs name")]
    [InlineData("signers:\n  - sig_key: \"00\"\n", "needs signer")]
    [InlineData("modules: scini\n", "must be a list")]
    [InlineData("modules:\n  - scini\n", "must be a mapping")]
    [InlineData("signers:\n  - signer: x\n    sig_key: \"zz:11\"\n", "is not hex")]
    [InlineData("- a\n- b\n", "expected a mapping")]
    [InlineData("modules:\n  - name: [a, b]\n", "must be a plain value")]
    [InlineData("modules:\n  - name: \"\"\n", "1 to 1024 characters")]
    [InlineData("modules: [\n", "not valid YAML")]
    [InlineData("base: &a [x]\nmodules: *a\n", "anchors (&a) are not allowed")]
    public void Mistakes_are_refused_with_the_line_and_what_to_write(string yaml, string message) => Assert.Contains(message, LoadError(yaml), StringComparison.Ordinal);

    [Fact]
    public void Hostile_files_are_refused_without_a_crash_or_unbounded_memory()
    {
        Assert.Contains("nested deeper", LoadError(new string('[', 1_000_000)), StringComparison.Ordinal); // would overflow the node builder's stack
        Assert.Contains("more than", LoadError("# " + new string('x', 2 << 20)), StringComparison.Ordinal);
        var many = new StringBuilder("modules:\n");
        for (var i = 0; i <= ExpectedModulesFile.MaxRules; i++)
        {
            many.Append("  - {name: m").Append(i).Append("}\n");
        }
        Assert.Contains("more than 10000 rules", LoadError(many.ToString()), StringComparison.Ordinal);
        Assert.Empty(Load("").Modules);
        Assert.Empty(Load("modules:\n").Modules);
        Gen.Byte.Array[0, 400].Sample(bytes =>
        {
            File.WriteAllBytes(_tree.PathOf("garbage.yaml"), bytes);
            try
            {
                ExpectedModulesFile.Load(_tree.PathOf("garbage.yaml"));
            }
            catch (InvalidDataException)
            {
            }
        }, iter: 2000);
    }

    [Theory]
    [InlineData("rhel79-scini")]
    [InlineData("rhel93")]
    [InlineData("rhel86")]
    public void A_baseline_written_on_a_host_expects_every_module_loaded_there_and_nothing_new(string fixture)
    {
        var root = Repo.Fixture(fixture);
        var paths = new KernelPaths(Path.Combine(root, "proc"), Path.Combine(root, "sys"), root);
        var snapshot = KernelSnapshotReader.Read(paths);
        var host = TaintWatch.Cli.ModuleFiles.Join(snapshot, paths, expected: null);
        var rules = Load(TaintWatch.Cli.BaselineWriter.Write(host, "host\nwith \"odd\" name", DateTimeOffset.UnixEpoch));
        Assert.NotEmpty(host.Modules);
        Assert.All(host.Modules, m => Assert.True(rules.IsExpected(m.Name, m.Signature), m.Name));
        Assert.False(rules.IsExpected("rootkit", ModuleSignature.UnknownBecause("not found")));
    }

    [Fact]
    public void The_baseline_command_writes_atomically_and_will_not_overwrite_without_force()
    {
        var target = _tree.PathOf("out.yaml");
        var first = Support.Cli.Run(["baseline", "-o", target, .. Support.Cli.FixtureArgs("rhel79-scini")]);
        Assert.Equal(0, first.ExitCode);
        Assert.Contains("wrote", first.Stderr, StringComparison.Ordinal);
        var rules = ExpectedModulesFile.Load(target);
        Assert.Equal(RedHat, Assert.Single(rules.Signers).Signer);
        Assert.Contains(rules.Modules, m => m.Name == "scini" && m.Signer is null);
        var again = Support.Cli.Run(["baseline", "-o", target, .. Support.Cli.FixtureArgs("rhel79-scini")]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, Support.Cli.Run(["baseline", "-o", target, "--force", .. Support.Cli.FixtureArgs("rhel79-scini")]).ExitCode);
        Assert.Empty(Directory.GetFiles(_tree.Root, "out.yaml.tmp-*"));
    }

    [Fact]
    public void The_shipped_example_file_loads_and_expects_the_distribution_key()
    {
        var rules = ExpectedModulesFile.Load(Path.Combine(Repo.Root, "packaging/systemd/expected-modules.example.yaml"));
        Assert.Equal(RedHat, Assert.Single(rules.Signers).Signer);
        Assert.Empty(rules.Modules);
        Assert.True(rules.IsExpected("xfs", Signed(RedHat, RedHatKey)));
    }

    public void Dispose() => _tree.Dispose();
}
