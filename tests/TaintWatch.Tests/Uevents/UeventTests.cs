using System.Buffers.Binary;
using System.Text;
using CsCheck;
using TaintWatch.Uevents;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Uevents;

/// <summary>The uevent parser on every datagram Debian's 6.1 kernel sent during the QEMU scenario, and on hostile ones.</summary>
public sealed class UeventTests
{
    /// <summary>tests/kernel/scenario.sh captured these: a 4-byte little-endian length, then the datagram.</summary>
    private static List<byte[]> Captured()
    {
        var data = File.ReadAllBytes(Path.Combine(Repo.Root, "tests/fixtures/uevents/debian-6.1.0-56-qemu.bin"));
        var result = new List<byte[]>();
        for (var i = 0; i < data.Length;)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(i));
            result.Add(data.AsSpan(i + 4, length).ToArray());
            i += 4 + length;
        }
        return result;
    }

    [Fact]
    public void Every_captured_kernel_uevent_parses_and_only_module_events_name_a_module()
    {
        var events = Captured().Select(d => Uevent.Parse(d, out var problem) ?? throw new InvalidDataException(problem)).ToList();
        Assert.True(events.Count >= 20);
        var modules = events.Where(e => e.ModuleName is not null).ToList();
        Assert.Equal(["tw_gpl", "tw_badsig", "tw_prop", "dummy", "tw_staging"], modules.Where(e => e.IsModuleAdd).Select(e => e.ModuleName).Distinct().Take(5));
        Assert.Contains(modules, e => e.IsModuleRemove && e.ModuleName == "tw_staging");
        // The dummy driver's network device events are not module events.
        var net = Assert.Single(events, e => e.DevPath == "/devices/virtual/net/dummy0");
        Assert.Equal(("add", "net", (string?)null), (net.Action, net.Subsystem, net.ModuleName));
        // SEQNUM increases by one from event to event (the kernel's counter; only module events were kept whole).
        Assert.Equal(678UL, events[0].Sequence);
        Assert.Equal("add", events[0].Action);
    }

    [Theory]
    [InlineData("", "length 0")]
    [InlineData("libudev\0\xfe\xed\xca\xfe", "no ACTION@DEVPATH")]
    [InlineData("add@\0ACTION=add\0", "no ACTION@DEVPATH")]
    [InlineData("@/module/x\0", "no ACTION@DEVPATH")]
    [InlineData("add@/module/x\0ACTION=remove\0DEVPATH=/module/x\0SUBSYSTEM=module\0", "disagrees")]
    public void Malformed_datagrams_are_refused_with_a_reason(string text, string reason)
    {
        Assert.Null(Uevent.Parse(Encoding.Latin1.GetBytes(text), out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/module/..")]
    [InlineData("/module/a/b")]
    [InlineData("/module/")]
    [InlineData("/module/x y")]
    [InlineData("/module/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void A_device_path_that_is_not_a_plain_module_name_names_no_module(string devPath)
    {
        var e = Uevent.Parse(Encoding.UTF8.GetBytes($"add@{devPath}\0ACTION=add\0DEVPATH={devPath}\0SUBSYSTEM=module\0"), out _);
        Assert.NotNull(e);
        Assert.Null(e.ModuleName);
        Assert.False(e.IsModuleAdd);
    }

    [Fact]
    public void A_datagram_longer_than_any_kernel_uevent_is_refused_without_reading_it()
    {
        var huge = new byte[Uevent.MaxLength + 1];
        "add@/module/x\0"u8.CopyTo(huge);
        Assert.Null(Uevent.Parse(huge, out var problem));
        Assert.Contains("outside", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Mutated_captured_datagrams_never_throw()
    {
        var captured = Captured();
        Gen.Int[0, captured.Count - 1].Select(Gen.Byte.Array[0, 64], Gen.Int[0, 200]).Sample((index, noise, at) =>
        {
            var d = captured[index].ToList();
            d.InsertRange(Math.Min(at, d.Count), noise);
            var e = Uevent.Parse(d.ToArray(), out var problem);
            Assert.True(e is not null || problem is not null);
            if (e?.ModuleName is { } name)
            {
                Assert.DoesNotContain('/', name);
                Assert.NotEqual("..", name);
            }
        }, iter: 3000);
    }
}
