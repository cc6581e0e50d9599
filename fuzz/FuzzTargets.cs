using System.Text;
using TaintWatch.Baseline;
using TaintWatch.Kernel;
using TaintWatch.KernelLog;
using TaintWatch.Modules;
using TaintWatch.Modules.Compression;
using TaintWatch.Modules.Elf;
using TaintWatch.Modules.Signatures;
using TaintWatch.Trust;
using TaintWatch.Uevents;
using TaintWatch.Web;

namespace TaintWatch.Fuzz;

/// <summary>
/// One entry per parser that reads bytes from disk or from the kernel. Each swallows only the error its parser
/// documents (a clear message); anything else escaping is a crash for afl++ and a failure for the regression
/// test that replays the kept corpus (tests/TaintWatch.Tests/Fuzz).
/// </summary>
public static class FuzzTargets
{
    /// <summary>Small caps so a fuzzer-made bomb costs milliseconds; the real caps are tested elsewhere.</summary>
    private const int OutputLimit = 8 << 20;

    // What the signed bytes hash to, for the signature-chain target: nothing a real signature matches.
    private static readonly Dictionary<string, byte[]> ZeroDigests = new(StringComparer.Ordinal)
    {
        ["sha1"] = new byte[20],
        ["sha256"] = new byte[32],
        ["sha384"] = new byte[48],
        ["sha512"] = new byte[64],
    };

    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        // The whole module reader: compression by magic, ELF, .modinfo, notes, appended signature, PKCS#7, OpenPGP.
        ["module"] = data =>
        {
            var inspection = ModuleInspector.Inspect("/fuzz.ko", data);
            _ = ModinfoFormatter.Format(inspection, strict: false);
        },
        ["elf"] = data => Expect<ModuleFormatException>(() => ElfImage.Parse(data)),
        ["pkcs7"] = data => Expect<ModuleFormatException>(() => Pkcs7SignerInfo.Parse(data)),
        ["appended-signature"] = data => AppendedSignature.Read(data.AsSpan(), out _),
        ["openpgp"] = data => Expect<ModuleFormatException>(() => OpenPgpSignature.Parse(data)),
        ["xz"] = data => Decompress(CompressionKind.Xz, data),
        ["zstd"] = data => Decompress(CompressionKind.Zstd, data),
        ["gzip"] = data => Decompress(CompressionKind.Gzip, data),
        ["proc-modules"] = data => ProcModulesParser.Parse(Encoding.UTF8.GetString(data)),
        ["taint-value"] = data =>
        {
            var text = Encoding.UTF8.GetString(data);
            foreach (var table in TaintTables.All)
            {
                if (TaintValueParser.TryParse(text, table, out var mask, out _, out _))
                {
                    _ = table.Decode(mask);
                    _ = table.FormatTaintedString(mask);
                }
            }
        },
        ["build-id-note"] = data => ElfNote.FindBuildId(data),
        ["kernel-log"] = data =>
        {
            var scanner = new KernelLogScanner();
            scanner.Scan(new StreamReader(new MemoryStream(data)));
        },
        ["uevent"] = data => Uevent.Parse(data, out _),
        // What a metrics client sends; the server gives the parser at most MaxHeadBytes at once.
        ["http-request"] = data => HttpRequestParser.Parse(data.AsSpan(0, Math.Min(data.Length, HttpRequestParser.MaxHeadBytes)), out _, out _, out _),
        // Trust anchors: a kernel image unpacked (bzImage, zboot, every payload format) and its certificate list.
        ["kernel-image"] = data => Expect<ModuleFormatException>(() =>
        {
            using var vmlinux = KernelImage.Unpack(data, OutputLimit);
            FindCertificates(vmlinux.Span);
        }),
        ["certificate-list"] = data => FindCertificates(data),
        ["efi-signature-list"] = data => Expect<ModuleFormatException>(() => EfiSignatureList.Parse(data)),
        ["pkcs7-message"] = data => Expect<ModuleFormatException>(() => Pkcs7Message.Parse(data)),
        // A signature and the certificates it carries, verified against no keys: each carried certificate is read
        // and, if self-issued, its own signature checked, as the kernel's x509_cert_parse does; the chain walked.
        ["signature-chain"] = data => Expect<ModuleFormatException>(() =>
            SignatureVerifier.Verify(new SignatureEvidence(Pkcs7Message.Parse(data), null, ZeroDigests, null, null), TrustStore.Empty)),
        ["proc-keys"] = data => ProcKeys.Parse(Encoding.UTF8.GetString(data)),
        ["expected-modules"] = data =>
        {
            var path = Path.Combine(Path.GetTempPath(), $"tw-fuzz-{Environment.ProcessId}.yaml");
            File.WriteAllBytes(path, data);
            Expect<InvalidDataException>(() => ExpectedModulesFile.Load(path));
        },
    };

    private static void FindCertificates(ReadOnlySpan<byte> image)
    {
        foreach (var der in KernelCertificateList.Find(image).Trusted)
        {
            Expect<ModuleFormatException>(() => TrustAnchor.Create(der, "fuzz"));
        }
    }

    private static void Decompress(CompressionKind kind, byte[] data) =>
        Expect<ModuleFormatException>(() =>
        {
            using var output = ModuleDecompressor.Decompress(kind, data, OutputLimit);
        });

    private static void Expect<TError>(Action parse)
        where TError : Exception
    {
        try
        {
            parse();
        }
        catch (TError)
        {
            // the documented, clear error
        }
    }
}
