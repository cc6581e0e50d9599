using TaintWatch.Baseline;
using TaintWatch.Kernel;
using TaintWatch.Modules;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Policy;

/// <summary>The taint: key of the expected-modules file: what a role may carry, refused when it names no bit, and written by baseline.</summary>
public sealed class TaintPolicyTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    private ExpectedModules Load(string yaml)
    {
        _tree.Write("expected.yaml", yaml);
        return ExpectedModulesFile.Load(_tree.PathOf("expected.yaml"));
    }

    [Fact]
    public void Letters_and_names_allow_bits_and_every_other_set_bit_is_unexpected()
    {
        var policy = Load("modules: []\ntaint: [P, O, E, OVERRIDDEN_ACPI_TABLE]\n");
        Assert.Equal(["P", "O", "E", "OVERRIDDEN_ACPI_TABLE"], policy.Taint);
        // rhel79-kpatch: P O E K and RHEL 7's T (Technology Preview, bit 29); A (bit 8) is allowed but not set.
        var s = KernelSnapshotReader.Read(Repo.FixturePaths("rhel79-kpatch"));
        var unexpected = policy.UnexpectedTaint(s.Table, s.TaintMask!.Value);
        Assert.Equal([(15, "LIVEPATCH"), (29, "TECH_PREVIEW")], unexpected.Select(f => (f.Bit, f.Name)).ToList());
    }

    [Fact]
    public void A_letter_means_its_bit_in_the_running_kernels_table()
    {
        var policy = Load("taint: [T]\n");
        // T is RHEL 7's Technology Preview (bit 29) but upstream's RANDSTRUCT (bit 17): allowed in both, by letter.
        Assert.Empty(policy.UnexpectedTaint(TaintTables.Rhel73, 1UL << 29));
        Assert.Empty(policy.UnexpectedTaint(TaintTables.Upstream20, 1UL << 17));
        Assert.Single(policy.UnexpectedTaint(TaintTables.Rhel80, 1UL << 29)); // RHEL 8.0's Technology Preview is lower-case t
    }

    [Fact]
    public void Unknown_bits_are_always_unexpected_and_no_taint_key_means_no_taint_policy()
    {
        Assert.Single(Load("taint: [P]\n").UnexpectedTaint(TaintTables.Upstream20, 1UL << 40));
        var none = Load("modules: []\n");
        Assert.Null(none.Taint);
        Assert.Empty(none.UnexpectedTaint(TaintTables.Upstream20, ulong.MaxValue));
        Assert.Equal(20, Load("taint: []\n").UnexpectedTaint(TaintTables.Upstream20, (1UL << 20) - 1).Count);
    }

    [Theory]
    [InlineData("taint: [Q]\n", "taint \"Q\" is not a taint letter or name")]
    [InlineData("taint: [G]\n", "taint \"G\" is not a taint letter or name")]
    [InlineData("taint: [POE]\n", "write one letter per entry")]
    [InlineData("taint: POE\n", "taint must be a list of letters such as \"taint: [P, O, E]\"")]
    [InlineData("taint: [[P]]\n", "a taint entry")]
    [InlineData("taints: [P]\n", "unknown key \"taints\" (expected signers, modules or taint)")]
    public void Anything_but_letters_and_names_is_refused_saying_what_to_write(string yaml, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => Load(yaml));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_taint_list_is_refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => Load("taint: [" + string.Join(", ", Enumerable.Repeat("P", 100)) + "]\n"));
        Assert.Contains("more than 64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Baseline_writes_the_known_good_hosts_bits_and_reads_them_back_as_allowed()
    {
        var paths = Repo.FixturePaths("rhel79-kpatch");
        var snapshot = KernelSnapshotReader.Read(paths);
        var text = TaintWatch.Cli.BaselineWriter.Write(TaintWatch.Cli.ModuleFiles.Join(snapshot, paths, null), "kp1", DateTimeOffset.UnixEpoch);
        Assert.Contains("taint: [\"P\", \"O\", \"E\", \"K\", \"T\"]  # PROPRIETARY_MODULE, OOT_MODULE, UNSIGNED_MODULE, LIVEPATCH, TECH_PREVIEW\n", text, StringComparison.Ordinal);
        var policy = Load(text);
        Assert.Empty(policy.UnexpectedTaint(snapshot.Table, snapshot.TaintMask!.Value));
        Assert.Single(policy.UnexpectedTaint(snapshot.Table, snapshot.TaintMask!.Value | (1UL << 9)));
    }

    [Fact]
    public void Baseline_of_an_untainted_host_allows_no_bit()
    {
        var paths = Repo.FixturePaths("upstream-clean");
        var snapshot = KernelSnapshotReader.Read(paths);
        var text = TaintWatch.Cli.BaselineWriter.Write(TaintWatch.Cli.ModuleFiles.Join(snapshot, paths, null), "clean", DateTimeOffset.UnixEpoch);
        Assert.Contains("taint: []  # the kernel is not tainted\n", text, StringComparison.Ordinal);
        Assert.Equal(["W"], Load(text).UnexpectedTaint(snapshot.Table, 1UL << 9).Select(f => f.Letter.ToString()));
    }
}
