using System.Buffers.Binary;
using System.Diagnostics;
using TaintWatch.Modules;
using TaintWatch.Tests.Support;
using TaintWatch.Trust;

namespace TaintWatch.Tests.Trust;

/// <summary>
/// The kernel image unpacker and certificate-list finder: the corpus's real Debian bzImage, small bzImages made
/// here with each compressor the kernel's build uses, and hostile images (truncated, bombs, unknown formats).
/// </summary>
public class KernelImageTests
{
    private static readonly byte[] Certificate = File.ReadAllBytes(Path.Combine(Repo.Root, "tests/fixtures/trust/test-module-key.der"));

    /// <summary>A vmlinux-like blob: some bytes, the list 8-aligned, then its length as a 64-bit value.</summary>
    private static byte[] Vmlinux(params byte[][] certificates)
    {
        var body = certificates.SelectMany(c => c).ToArray();
        var blob = new List<byte>([0x7F, (byte)'E', (byte)'L', (byte)'F']);
        blob.AddRange(new byte[4092]);
        blob.AddRange(body);
        blob.AddRange(new byte[(8 - (blob.Count % 8)) % 8]);
        blob.AddRange(BitConverter.GetBytes((long)body.Length));
        blob.AddRange(new byte[4096]);
        return [.. blob];
    }

    private static byte[] BzImage(byte[] payload)
    {
        var setup = new byte[1024];
        setup[0x1F1] = 1;
        "HdrS"u8.CopyTo(setup.AsSpan(0x202));
        BinaryPrimitives.WriteUInt16LittleEndian(setup.AsSpan(0x206), 0x20F);
        BinaryPrimitives.WriteUInt32LittleEndian(setup.AsSpan(0x248), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(setup.AsSpan(0x24C), (uint)payload.Length);
        return [.. setup, .. payload];
    }

    private static byte[] Compress(string tool, byte[] data, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        process.StandardInput.BaseStream.Write(data);
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.ToArray();
    }

    private static byte[] WithSize(byte[] compressed, int size) => [.. compressed, .. BitConverter.GetBytes(size)];

    public static TheoryData<string> Compressors() => ["xz", "gzip", "zstd", "lz4", "lzma", "bzip2"];

    /// <summary>The payload as arch/x86/boot/compressed/Makefile's cmd_*_with_size makes it (gzip carries its size).</summary>
    private static byte[] Payload(string compressor, byte[] vmlinux) => compressor switch
    {
        // xz with CRC32 and the x86 BCJ filter.
        "xz" => WithSize(Compress("xz", vmlinux, "--check=crc32", "--x86", "--lzma2=dict=1MiB", "-c"), vmlinux.Length),
        "gzip" => Compress("gzip", vmlinux, "-n", "-9", "-c"),
        "zstd" => WithSize(Compress("zstd", vmlinux, "-q", "-19", "-c"), vmlinux.Length),
        "lz4" => WithSize(Compress("lz4", vmlinux, "-l", "-q", "-c"), vmlinux.Length),
        "lzma" => WithSize(Compress("xz", vmlinux, "--format=lzma", "-9", "-c"), vmlinux.Length),
        _ => WithSize(Compress("bzip2", vmlinux, "-9", "-c"), vmlinux.Length),
    };

    [Theory]
    [MemberData(nameof(Compressors))]
    public void Each_payload_format_of_a_bzImage_gives_the_certificate_list(string compressor)
    {
        var vmlinux = Vmlinux(Certificate, Certificate);
        var payload = Payload(compressor, vmlinux);
        using var unpacked = KernelImage.Unpack(BzImage(payload));
        Assert.Equal(vmlinux, unpacked.Span.ToArray());
        var list = KernelCertificateList.Find(unpacked.Span);
        Assert.Equal(2, list.Trusted.Count);
        Assert.Equal(Certificate, list.Trusted[0]);
        Assert.Equal(4096, list.Offset);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(97)]
    [InlineData(4096)]
    public void Fed_as_it_decompresses_in_any_steps_the_scanner_finds_what_a_whole_scan_finds(int step)
    {
        // Padding first, so the lists lie well past the first steps; then a trusted list and a revocation list.
        byte[] image = [.. new byte[300_000], .. Vmlinux(Certificate), .. Vmlinux(Certificate, Certificate), .. new byte[200_000]];
        var whole = KernelCertificateList.Find(image);
        var scanner = new KernelCertificateList.Scanner();
        var stoppedAt = image.Length;
        for (var length = step; length < image.Length; length += step * 1000)
        {
            if (scanner.Feed(image.AsSpan(0, length)))
            {
                stoppedAt = length;
                break;
            }
        }
        var fed = scanner.Finish(image.AsSpan(0, stoppedAt));
        Assert.Equal((1, 2, whole.Offset), (fed.Trusted.Count, fed.Revoked.Count, fed.Offset));
        Assert.Equal(whole.Trusted, fed.Trusted);
    }

    [Fact]
    public void The_real_image_is_decompressed_only_as_far_as_its_certificate_list()
    {
        var scanner = new KernelCertificateList.Scanner();
        using var partial = KernelImage.Unpack(Path.Combine(Corpus.Root, "root/boot/vmlinuz-6.1.0-56-amd64"), scanner.Feed);
        var list = scanner.Finish(partial.Span);
        using var whole = KernelImage.Unpack(Path.Combine(Corpus.Root, "root/boot/vmlinuz-6.1.0-56-amd64"));
        Assert.True(partial.Length < whole.Length * 3 / 4, $"{partial.Length} of {whole.Length} bytes decompressed");
        Assert.Equal(KernelCertificateList.Find(whole.Span).Trusted, list.Trusted);
    }

    [Fact]
    public void Certificates_without_their_length_after_them_are_not_the_list()
    {
        // cfg80211's regulatory keys and test vectors are DER certificates in .rodata with no length after them.
        var blob = new byte[8192];
        Certificate.CopyTo(blob, 1000);
        Assert.Empty(KernelCertificateList.Find(blob).Trusted);
    }

    [Fact]
    public void A_second_list_after_the_first_is_the_revocation_list()
    {
        var first = Vmlinux(Certificate);
        var second = Vmlinux(Certificate, Certificate);
        var list = KernelCertificateList.Find([.. first, .. second]);
        Assert.Single(list.Trusted);
        Assert.Equal(2, list.Revoked.Count);
    }

    [Fact]
    public void A_truncated_real_bzImage_says_the_payload_runs_past_its_end()
    {
        var image = File.ReadAllBytes(Path.Combine(Corpus.Root, "root/boot/vmlinuz-6.1.0-56-amd64"));
        var e = Assert.Throws<ModuleFormatException>(() => KernelImage.Unpack(image.AsMemory(0, image.Length / 2)));
        Assert.Contains("beyond its", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_payload_is_refused_with_the_decoders_reason()
    {
        var image = File.ReadAllBytes(Path.Combine(Corpus.Root, "root/boot/vmlinuz-6.1.0-56-amd64"));
        image[image.Length / 2] ^= 0xFF;
        var e = Assert.Throws<ModuleFormatException>(() => KernelImage.Unpack(image));
        Assert.Contains("xz data", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Compressors))]
    public void A_payload_that_decompresses_past_the_cap_is_refused_as_a_bomb(string compressor)
    {
        var zeros = new byte[4 << 20];
        var payload = Payload(compressor, zeros);
        var e = Assert.Throws<ModuleFormatException>(() => KernelImage.Unpack(BzImage(payload), outputLimit: 1 << 20));
        Assert.Contains("decompression bomb", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lzma")]
    [InlineData("bzip2")]
    public void A_truncated_or_corrupt_lzma_or_bzip2_payload_is_refused_with_the_decoders_reason(string compressor)
    {
        var vmlinux = Vmlinux(Certificate, Certificate);
        var payload = Payload(compressor, vmlinux);
        var truncated = Assert.Throws<ModuleFormatException>(() => KernelImage.Unpack(BzImage([.. payload.AsSpan(0, payload.Length / 2), .. BitConverter.GetBytes(vmlinux.Length)]))).Message;
        Assert.Contains(compressor, truncated, StringComparison.Ordinal);
        var corrupt = (byte[])payload.Clone();
        for (var i = 40; i < corrupt.Length - 8; i += 97)
        {
            corrupt[i] ^= 0x5A;
        }
        var garbled = Assert.Throws<ModuleFormatException>(() => KernelImage.Unpack(BzImage(corrupt))).Message;
        Assert.Contains(compressor, garbled, StringComparison.Ordinal);
    }

    [Fact]
    public void An_lzo_kernel_is_named_and_refused_with_what_can_be_read()
    {
        var e = Assert.Throws<ModuleFormatException>(() => KernelImage.Unpack(BzImage([0x89, 0x4C, 0x5A, 0x4F, 0x00, 0x0D, 0x0A, 0x1A, 0x0A, .. new byte[64]])));
        Assert.Contains("lzo", e.Message, StringComparison.Ordinal);
        Assert.Contains("CONFIG_KERNEL_GZIP", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_is_refused()
    {
        var e = Assert.Throws<ModuleFormatException>(() => KernelImage.Unpack(new byte[4096]));
        Assert.Contains("neither ELF nor compressed", e.Message, StringComparison.Ordinal);
    }
}
