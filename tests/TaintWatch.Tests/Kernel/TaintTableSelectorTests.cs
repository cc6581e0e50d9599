using TaintWatch.Kernel;

namespace TaintWatch.Tests.Kernel;

public class TaintTableSelectorTests
{
    [Theory]
    [InlineData("2.6.18-274.7.1.el5", "rhel5")]
    [InlineData("2.6.18-419.el5PAE", "rhel5")]
    [InlineData("2.6.32-754.35.1.el6.x86_64", "rhel6")]
    [InlineData("3.10.0-123.el7.x86_64", "rhel7.0")]
    [InlineData("3.10.0-327.36.3.el7.x86_64", "rhel7.0")]
    [InlineData("3.10.0-514.el7.x86_64", "rhel7.3")]
    [InlineData("3.10.0-1160.21.1.el7.x86_64", "rhel7.3")]
    [InlineData("4.18.0-240.22.1.el8_3.x86_64", "rhel8.0")]
    [InlineData("4.18.0-348.el8.x86_64", "rhel8.0")]
    [InlineData("4.18.0-372.32.1.el8_6.x86_64", "rhel8.6")]
    [InlineData("4.18.0-477.27.2.el8_8.aarch64", "rhel8.6")]
    [InlineData("4.18.0-553.el8_10.x86_64", "rhel8.6")]
    [InlineData("5.14.0-284.30.1.el9_2.x86_64", "rhel9.0")]
    [InlineData("5.14.0-362.8.1.el9_3.x86_64", "rhel9.3")]
    [InlineData("5.14.0-570.12.1.el9_6.ppc64le", "rhel9.3")]
    [InlineData("6.12.0-55.9.1.el10_0.x86_64", "rhel10")]
    [InlineData("6.1.0-56-amd64", "upstream-19")]
    [InlineData("6.17.0-rc1-g2465bb83e0b4", "upstream")]
    [InlineData("4.19.0-27-amd64", "upstream-18")]
    [InlineData("5.15.0-200.131.27.el8uek.x86_64", "upstream-18")]
    [InlineData("3.2.0-4-amd64", "upstream-13")]
    public void The_release_string_chooses_the_family(string release, string expected)
    {
        Assert.Equal(expected, TaintTableSelector.Select(release).Table.Id);
    }

    [Theory]
    [InlineData("99999999999.1.0", "upstream")] // newest there is: all 20 flags
    [InlineData("6.99999999999.0", "upstream")]
    [InlineData("3.10.0-1160.el99999999999", "upstream-13")] // no RHEL: a 3.10 upstream kernel
    [InlineData("4.18.0-99999999999.el8.x86_64", "rhel8.0")]
    public void Numbers_too_large_for_an_int_choose_a_table_instead_of_throwing(string release, string expected)
    {
        // afl++ found these in kernel logs ("Not tainted 99999999999.1.0 #1"); /proc/sys/kernel/osrelease is read the same way.
        Assert.Equal(expected, TaintTableSelector.Select(release).Table.Id);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-kernel")]
    public void Unknown_releases_fall_back_to_upstream_and_say_so(string? release)
    {
        var (table, reason) = TaintTableSelector.Select(release);
        Assert.Equal("upstream", table.Id);
        Assert.Contains("upstream", reason);
    }
}
