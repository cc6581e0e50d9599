using System.Buffers.Binary;
using CsCheck;
using TaintWatch.Modules;
using TaintWatch.Modules.Compression;
using TaintWatch.Modules.Elf;
using TaintWatch.Modules.Signatures;
using TaintWatch.Tests.Support;

namespace TaintWatch.Tests.Modules;

/// <summary>Truncated, oversized, crafted and random module files: a clear error within bounded memory and time.</summary>
public class HostileModuleTests
{
    private static byte[] Signed => File.ReadAllBytes(Path.Combine(Repo.Fixture("modules"), "debian-signed.ko"));
    private static byte[] Unsigned => File.ReadAllBytes(Path.Combine(Repo.Fixture("modules"), "unsigned.ko"));

    private static ModuleInspection InspectBounded(byte[] data, long maxAllocation = 64L * 1024 * 1024)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = ModuleInspector.Inspect("/hostile.ko", data);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < maxAllocation, $"allocated {allocated} bytes for {data.Length} bytes of input");
        return result;
    }

    [Fact]
    public void A_signed_module_cut_anywhere_is_never_reported_unsigned()
    {
        var signed = Signed;
        var imageEnd = Unsigned.Length;
        for (var length = 0; length < signed.Length; length += 7)
        {
            var m = InspectBounded(signed[..length]);
            if (length == imageEnd)
            {
                continue; // exactly the unsigned image: indistinguishable from an unsigned module, correctly
            }
            Assert.True(m.Signature.State == SignatureState.Unknown, $"cut at {length}: {m.Signature.StateName} {m.Error}");
            Assert.False(string.IsNullOrEmpty(m.Signature.Problem));
        }
    }

    [Fact]
    public void An_empty_file_is_an_error_not_unsigned()
    {
        var m = InspectBounded([]);
        Assert.Equal("is empty (0 bytes)", m.Error);
        Assert.Equal(SignatureState.Unknown, m.Signature.State);
    }

    [Fact]
    public void A_2_GB_sparse_file_is_refused_without_reading_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"taintwatch-sparse-{Guid.NewGuid():N}.ko");
        try
        {
            using (var f = File.Create(path))
            {
                f.SetLength(2L * 1024 * 1024 * 1024);
            }
            var before = GC.GetAllocatedBytesForCurrentThread();
            var m = ModuleInspector.Inspect(path);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024);
            Assert.Contains("more than the 512 MiB", m.Error);
            Assert.Equal(SignatureState.Unknown, m.Signature.State);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("sig_len larger than the file")]
    [InlineData("sig_len zero")]
    [InlineData("unknown id_type")]
    [InlineData("signer_len past the start")]
    public void A_crafted_signature_block_is_unknown_with_a_reason(string mutation)
    {
        var data = Signed;
        var info = data.Length - 28 - 12;
        switch (mutation)
        {
            case "sig_len larger than the file":
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(info + 8), 0xFFFFFFF0);
                break;
            case "sig_len zero":
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(info + 8), 0);
                break;
            case "unknown id_type":
                data[info + 2] = 7;
                break;
            case "signer_len past the start":
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(info + 8), (uint)(data.Length - 40 - 10));
                data[info + 3] = 255;
                break;
        }
        var m = InspectBounded(data);
        Assert.Equal(SignatureState.Unknown, m.Signature.State);
        Assert.NotNull(m.Signature.Problem);
    }

    private static byte[] WithHeader(Action<byte[]> mutate)
    {
        var data = Unsigned;
        mutate(data);
        return data;
    }

    public static TheoryData<string> CraftedHeaders => new()
    {
        "e_shnum 0 with section 0 size 0xFFFFFFFF",
        "e_shentsize 0",
        "shstrtab size 0x7FFFFF00",
        "e_shoff beyond EOF",
        "e_shstrndx out of range",
        "section offset beyond EOF",
        "class 3",
        "big-endian flag on a little-endian file",
    };

    [Theory]
    [MemberData(nameof(CraftedHeaders))]
    public void A_crafted_ELF_section_table_is_a_clear_error(string mutation)
    {
        var data = WithHeader(d =>
        {
            var shoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(d.AsSpan(40));
            var shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan(62));
            switch (mutation)
            {
                case "e_shnum 0 with section 0 size 0xFFFFFFFF":
                    BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(60), 0);
                    BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(shoff + 32), 0xFFFFFFFF);
                    break;
                case "e_shentsize 0":
                    BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(58), 0);
                    break;
                case "shstrtab size 0x7FFFFF00":
                    BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(shoff + (shstrndx * 64) + 32), 0x7FFFFF00);
                    break;
                case "e_shoff beyond EOF":
                    BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(40), 0x7FFFFFFFFFFF);
                    break;
                case "e_shstrndx out of range":
                    BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(62), 60000);
                    break;
                case "section offset beyond EOF":
                    BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(shoff + (3 * 64) + 24), 0xFFFFFFFFFFFF0000);
                    break;
                case "class 3":
                    d[4] = 3;
                    break;
                case "big-endian flag on a little-endian file":
                    d[5] = 2;
                    break;
            }
        });
        var m = InspectBounded(data, 4L * 1024 * 1024);
        Assert.NotNull(m.Error);
        Assert.StartsWith("ELF", m.Error, StringComparison.Ordinal);
        Assert.Equal(SignatureState.Unknown, m.Signature.State);
    }

    [Theory]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.Zstd)]
    [InlineData(CompressionKind.Xz)]
    public void A_decompression_bomb_stops_at_the_cap(CompressionKind kind)
    {
        var bomb = Compress(kind, new byte[4 * 1024 * 1024]);
        var error = Assert.Throws<ModuleFormatException>(() => ModuleDecompressor.DecompressToArray(kind, bomb, outputLimit: 1024 * 1024));
        Assert.Contains("decompression bomb", error.Message);
    }

    [Fact]
    public void A_zstd_bomb_past_the_real_cap_is_refused_by_inspect()
    {
        var bomb = Compress(CompressionKind.Zstd, new byte[ModuleDecompressor.DefaultOutputLimit + 4096]);
        Assert.True(bomb.Length < 1024 * 1024);
        var m = ModuleInspector.Inspect("/bomb.ko.zst", bomb);
        Assert.Contains("decompression bomb", m.Error);
    }

    [Theory]
    [InlineData(CompressionKind.Gzip)]
    [InlineData(CompressionKind.Zstd)]
    [InlineData(CompressionKind.Xz)]
    public void Truncated_compressed_modules_are_detected_in_every_format(CompressionKind kind)
    {
        var compressed = Compress(kind, Signed);
        foreach (var cut in new[] { compressed.Length / 4, compressed.Length / 2, compressed.Length - 9, compressed.Length - 1 })
        {
            var m = InspectBounded(compressed[..cut]);
            Assert.NotNull(m.Error);
            Assert.Equal(SignatureState.Unknown, m.Signature.State);
        }
        var flipped = (byte[])compressed.Clone();
        flipped[flipped.Length / 2] ^= 0x55;
        Assert.NotNull(InspectBounded(flipped).Error);
    }

    [Fact]
    public void Concatenated_xz_streams_decode_whole()
    {
        var half = Signed.Length / 2;
        var twoStreams = Compress(CompressionKind.Xz, Signed[..half]).Concat(Compress(CompressionKind.Xz, Signed[half..])).ToArray();
        Assert.Equal(Signed, ModuleDecompressor.DecompressToArray(CompressionKind.Xz, twoStreams));
    }

    [Fact(Timeout = 300_000)] // a hang fails the test instead of stalling the suite
    public async Task Random_mutations_of_real_modules_never_crash_or_hang()
    {
        await Task.Run(MutateRealModules);
    }

    private static void MutateRealModules()
    {
        var magic = "~Module signature appended~\n"u8.ToArray();
        var seeds = new[] { Signed, Unsigned, File.ReadAllBytes(Path.Combine(Repo.Fixture("modules"), "rhel6-gpg-signed.ko")), Compress(CompressionKind.Xz, Signed), Compress(CompressionKind.Zstd, Signed), Compress(CompressionKind.Gzip, Signed) };
        var mutation = Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Int[1, 16], Gen.Int[0, int.MaxValue], Gen.Bool);
        mutation.Sample((seedIndex, count, seed, truncate) =>
        {
            var data = (byte[])seeds[seedIndex].Clone();
            var random = new Random(seed);
            for (var i = 0; i < count; i++)
            {
                data[random.Next(data.Length)] = (byte)random.Next(256);
            }
            if (truncate)
            {
                data = data[..random.Next(data.Length)];
            }
            var m = ModuleInspector.Inspect("/mutated.ko", data);
            _ = ModinfoFormatter.Format(m, strict: false);
            if (m.Error is not null)
            {
                // A file that is not a module says why, and claims nothing about its signature or contents.
                Assert.Equal(SignatureState.Unknown, m.Signature.State);
                Assert.Equal(m.Error, m.Signature.Problem);
                Assert.Empty(m.ModInfo);
            }
            else
            {
                Assert.True(m.ImageSize > 0);
            }
            // A signed file whose trailer is intact is never called unsigned, whatever else was damaged.
            if (seedIndex == 0 && data.AsSpan().EndsWith(magic))
            {
                Assert.NotEqual(SignatureState.Unsigned, m.Signature.State);
            }
            return true;
        }, iter: 3000, threads: 1);
    }

    [Fact]
    public void Random_bytes_into_the_PKCS7_and_OpenPGP_parsers_give_format_errors_only()
    {
        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            try
            {
                Pkcs7SignerInfo.Parse(bytes);
            }
            catch (ModuleFormatException)
            {
            }
            try
            {
                OpenPgpSignature.Parse(bytes);
            }
            catch (ModuleFormatException)
            {
            }
            try
            {
                ElfImage.Parse(bytes);
            }
            catch (ModuleFormatException)
            {
            }
        }, iter: 20000);
    }

    private static byte[] Compress(CompressionKind kind, byte[] data)
    {
        var tool = kind switch { CompressionKind.Xz => "xz", CompressionKind.Zstd => "zstd", _ => "gzip" };
        var start = new System.Diagnostics.ProcessStartInfo(tool) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        if (kind == CompressionKind.Gzip)
        {
            start.ArgumentList.Add("-n");
        }
        if (kind == CompressionKind.Zstd)
        {
            start.ArgumentList.Add("-q");
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        process.StandardInput.BaseStream.Write(data);
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        return output.ToArray();
    }
}
