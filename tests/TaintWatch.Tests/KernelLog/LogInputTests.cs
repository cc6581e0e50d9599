using System.IO.Compression;
using System.Text;
using TaintWatch.KernelLog;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.KernelLog;

/// <summary>Logs as they were saved: rotated and gzipped by logrotate, or re-encoded by a Windows editor.</summary>
public class LogInputTests
{
    private static readonly string Dmesg = File.ReadAllText(Path.Combine(Repo.Fixture("logs"), "qemu-debian12-warn.dmesg"));

    private static string ReadAll(byte[] bytes)
    {
        using var reader = LogInput.Open(new MemoryStream(bytes), "test.log");
        return reader.ReadToEnd();
    }

    [Theory]
    [InlineData("utf-8")]
    [InlineData("utf-16")] // little-endian with a BOM: Notepad's "Unicode", PowerShell 5's `>`
    [InlineData("utf-16BE")]
    [InlineData("utf-32")]
    public void Text_is_decoded_by_its_byte_order_mark(string encoding)
    {
        var e = Encoding.GetEncoding(encoding);
        Assert.Equal(Dmesg, ReadAll([.. e.GetPreamble(), .. e.GetBytes(Dmesg)]));
    }

    [Fact]
    public void Text_without_a_mark_is_UTF_8_and_short_inputs_are_read_whole()
    {
        Assert.Equal(Dmesg, ReadAll(Encoding.UTF8.GetBytes(Dmesg)));
        Assert.Equal("", ReadAll([]));
        Assert.Equal("BZ", ReadAll("BZ"u8.ToArray())); // shorter than any magic number
        Assert.Equal("\u001f", ReadAll([0x1f]));
    }

    [Fact]
    public void Gzip_made_by_the_gzip_tool_is_read_as_it_streams_with_concatenated_members()
    {
        var directory = Directory.CreateTempSubdirectory("tw-log-gzip-");
        try
        {
            var log = Path.Combine(directory.FullName, "messages");
            File.WriteAllText(log, Dmesg);
            Assert.Equal(0, Tool.Run("gzip", directory.FullName, "-k", "-9", log).ExitCode);
            var gz = File.ReadAllBytes(log + ".gz");
            Assert.Equal(Dmesg, ReadAll(gz));
            Assert.Equal(Dmesg + Dmesg, ReadAll([.. gz, .. gz])); // `cat a.gz b.gz` is one gzip file to gzip -d
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_corrupt_gzip_is_an_error_not_garbage()
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(Dmesg));
        }
        var bytes = packed.ToArray();
        bytes[bytes.Length / 2] ^= 0xff;
        Assert.Throws<InvalidDataException>(() => ReadAll(bytes));
    }

    [Theory]
    [InlineData(new byte[] { 0xfd, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0, 0, 4 }, "xz -dc test.log | taintwatch scan-log")]
    [InlineData(new byte[] { 0x28, 0xb5, 0x2f, 0xfd, 0, 0 }, "zstd -dc test.log")]
    [InlineData(new byte[] { (byte)'B', (byte)'Z', (byte)'h', (byte)'9', 0x31, 0x41 }, "bzip2 -dc test.log")]
    public void Other_compressed_logs_are_refused_with_the_command_that_reads_them(byte[] magic, string advice)
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadAll(magic));
        Assert.Contains(advice, e.Message);
    }
}
