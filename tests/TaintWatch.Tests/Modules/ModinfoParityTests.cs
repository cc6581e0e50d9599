using System.Security.Cryptography.X509Certificates;
using TaintWatch.Modules;
using TaintWatch.Modules.Signatures;
using TaintWatch.Tests.Support;
using Xunit.Abstractions;

namespace TaintWatch.Tests.Modules;

/// <summary>
/// `taintwatch inspect --modinfo` against kmod's modinfo on every module of Debian's signed kernel, plain and
/// recompressed as kernel builds do, and on modules signed here with sign-file. Every field modinfo prints
/// must be byte-identical.
/// </summary>
public class ModinfoParityTests(ITestOutputHelper log)
{
    private void AssertIdentical(IReadOnlyList<string> files, Func<string, string>? referenceFor = null, Func<string, string>? normalize = null)
    {
        Assert.NotEmpty(files);
        var references = Corpus.Modinfo(referenceFor is null ? files : files.Select(referenceFor).ToList());
        var mismatches = new List<string>();
        var ours = files.AsParallel().AsOrdered()
            .Select(f => (File: f, Text: ModinfoFormatter.Format(ModuleInspector.Inspect(f), strict: true)))
            .ToList();
        foreach (var (file, text) in ours)
        {
            var referencePath = Path.GetFullPath(referenceFor is null ? file : referenceFor(file));
            Assert.True(references.TryGetValue(referencePath, out var expected), $"modinfo printed nothing for {referencePath}");
            var actual = normalize is null ? text : normalize(text);
            expected = normalize is null ? expected : normalize(expected!);
            if (actual != expected)
            {
                mismatches.Add(file);
                if (mismatches.Count == 1)
                {
                    log.WriteLine($"first difference in {file}:\n--- modinfo\n{expected}\n--- taintwatch\n{actual}");
                }
            }
        }
        log.WriteLine($"{files.Count} modules compared, {mismatches.Count} differ");
        Assert.Empty(mismatches);
    }

    private static string WithoutFilename(string text) => string.Join('\n', text.Split('\n').Where(l => !l.StartsWith("filename:", StringComparison.Ordinal)));

    [Fact]
    public void Every_uncompressed_Debian_module_prints_exactly_as_modinfo()
    {
        var files = Corpus.Files(Corpus.ModuleDirectory, ".ko");
        Assert.True(files.Count > 3000, $"only {files.Count} modules in the corpus");
        AssertIdentical(files);
    }

    [Theory]
    [InlineData("xz-crc32", ".ko.xz")]
    [InlineData("xz-crc64", ".ko.xz")]
    [InlineData("zst", ".ko.zst")]
    public void Every_recompressed_module_prints_exactly_as_modinfo(string variant, string suffix)
    {
        AssertIdentical(Corpus.Files(Path.Combine(Corpus.Root, "variants", variant), suffix));
    }

    [Fact]
    public void Gzip_modules_match_modinfo_of_the_same_module()
    {
        var directory = Path.Combine(Corpus.Root, "variants", "gz");
        var files = Corpus.Files(directory, ".ko.gz");
        if (Corpus.ModinfoReadsGzip)
        {
            AssertIdentical(files);
        }
        else
        {
            // This modinfo was built without zlib and cannot read .ko.gz at all: TaintWatch shows more.
            // Compare with modinfo of the uncompressed original, filename line aside.
            AssertIdentical(files, f => Path.Combine(Corpus.ModuleDirectory, Path.GetRelativePath(directory, f)[..^3]), WithoutFilename);
        }
    }

    [Fact]
    public void Modules_signed_here_with_sign_file_match_modinfo_where_modinfo_decodes_them()
    {
        var files = Corpus.Files(Path.Combine(Corpus.Root, "signed"), ".ko");
        Assert.True(files.Count >= 50);
        AssertIdentical(files);
    }

    [Fact]
    public void Signed_here_fields_are_the_certificate_serial_issuer_CN_and_the_requested_hash()
    {
        foreach (var key in new[] { "rsa", "ecdsa" })
        {
            using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Corpus.Root, "signed/keys", key + ".pem")));
            var serial = cert.GetSerialNumber().Reverse().SkipWhile(b => b == 0).ToArray();
            var skid = cert.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes.ToArray();
            foreach (var hash in new[] { "sha256", "sha384", "sha512" })
            {
                var bySerial = ModuleInspector.Inspect(Path.Combine(Corpus.Root, "signed", $"e1000-{key}-{hash}.ko")).Signature;
                Assert.Equal(SignatureState.Signed, bySerial.State);
                Assert.Equal("TaintWatch test module signing key", bySerial.Signer);
                Assert.Equal(serial, bySerial.Key);
                Assert.Equal(hash, bySerial.HashAlgorithm);
                Assert.Equal(key, bySerial.PublicKeyAlgorithm);
                Assert.True(bySerial.ShownByModinfo);

                // sign-file -k: the signer is identified by subjectKeyIdentifier. kmod 30 prints no signature
                // fields at all for these; TaintWatch shows sig_id, the SKID as sig_key, the hash and the value.
                var path = Path.Combine(Corpus.Root, "signed", $"e1000-{key}-{hash}-skid.ko");
                var bySkid = ModuleInspector.Inspect(path).Signature;
                Assert.Equal(SignatureState.Signed, bySkid.State);
                Assert.Equal(skid, bySkid.Key);
                Assert.Equal("subjectKeyIdentifier", bySkid.KeyKind);
                Assert.Equal(hash, bySkid.HashAlgorithm);
                Assert.Null(bySkid.Signer);
                Assert.False(bySkid.ShownByModinfo);
                Assert.DoesNotContain("sig_id", Corpus.Run("modinfo", path));
                var full = ModinfoFormatter.Format(ModuleInspector.Inspect(path), strict: false);
                Assert.Contains("sig_id:         PKCS#7\n", full);
                Assert.Contains($"sig_key:        {HexFormat.ColonWrapped(skid)}\n", full);
                Assert.Contains("sig_key_type:   subjectKeyIdentifier\n", full);
            }
        }
    }

    [Fact]
    public void Stripped_modules_are_unsigned_in_both_tools()
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Corpus.Root, "signed"), "*-unsigned.ko"))
        {
            Assert.Equal(SignatureState.Unsigned, ModuleInspector.Inspect(file).Signature.State);
            Assert.Equal("", Corpus.Run("modinfo", "-F", "signer", file));
            Assert.Equal("", ModinfoFormatter.FormatField(ModuleInspector.Inspect(file), "signer", strict: false));
        }
    }

    [Theory]
    [InlineData("signer")]
    [InlineData("sig_key")]
    [InlineData("signature")]
    [InlineData("parm")]
    [InlineData("alias")]
    [InlineData("depends")]
    [InlineData("vermagic")]
    [InlineData("filename")]
    [InlineData("nonexistent")]
    public void Single_fields_print_as_modinfo_F_does(string field)
    {
        var files = Corpus.Files(Path.Combine(Corpus.ModuleDirectory, "kernel/drivers/net/ethernet/intel"), ".ko").Take(40).ToList();
        foreach (var file in files)
        {
            Assert.Equal(Corpus.Run("modinfo", "-F", field, file), ModinfoFormatter.FormatField(ModuleInspector.Inspect(file), field, strict: true));
        }
    }

    [Fact]
    public void Module_names_resolve_through_modules_dep_as_modinfo_k_does()
    {
        var paths = new TaintWatch.Kernel.KernelPaths("/nonexistent", "/nonexistent", Path.Combine(Corpus.Root, "root"));
        var locator = ModuleLocator.Load(paths, Corpus.KernelRelease);
        foreach (var name in new[] { "e1000", "snd-hda-intel", "snd_hda_intel", "xfs", "9p" })
        {
            var location = locator.Locate(name);
            Assert.True(location.Found, name);
            var expected = Corpus.Run("modinfo", "-b", Path.Combine(Corpus.Root, "root"), "-k", Corpus.KernelRelease, "-F", "filename", name).Trim();
            Assert.Equal(expected, location.Path);
        }
        Assert.True(locator.Locate("ext4").Found || locator.Locate("ext4").IsBuiltIn);
        Assert.False(locator.Locate("scini").Found);
        Assert.Contains("not found", locator.Locate("scini").Problem);
    }
}
