using System.Buffers.Binary;
using System.Diagnostics;
using TaintWatch.Tests.Support;
using TaintWatch.Trust;

namespace TaintWatch.Tests.Trust;

/// <summary>Module files and UEFI variables made for the trust tests from the corpus's real modules and keys.</summary>
internal static class TrustFixtures
{
    public static string Signed(string name) => Path.Combine(Corpus.Root, "signed", name);

    public static string Key(string name) => Path.Combine(Corpus.Root, "signed/keys", name + ".pem");

    /// <summary>The certificate of a corpus key (the .pem holds key and certificate) as DER.</summary>
    public static byte[] CertificateDer(string key) => KeyFilesCertificates(File.ReadAllBytes(Key(key))).Single();

    private static IEnumerable<byte[]> KeyFilesCertificates(byte[] pem) => TaintWatch.Trust.KeyFiles.Certificates(pem);

    /// <summary>[module][PKCS#7][module_signature: id_type 2, sig_len][magic], as sign-file lays it out.</summary>
    public static byte[] Append(byte[] module, byte[] pkcs7)
    {
        var info = new byte[12];
        info[2] = 2;
        BinaryPrimitives.WriteUInt32BigEndian(info.AsSpan(8), (uint)pkcs7.Length);
        return [.. module, .. pkcs7, .. info, .. "~Module signature appended~\n"u8];
    }

    /// <summary>The module bytes before the signature block, and the PKCS#7 block itself.</summary>
    public static (byte[] Module, byte[] Signature) Split(byte[] file)
    {
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(file.Length - 28 - 4));
        var moduleEnd = file.Length - 40 - length;
        return (file[..moduleEnd], file[moduleEnd..(moduleEnd + length)]);
    }

    /// <summary>A detached CMS signature by openssl cms -sign over <paramref name="module"/>, DER.</summary>
    public static byte[] OpenSslSign(TempTree tree, byte[] module, string key, params string[] options)
    {
        var input = tree.PathOf("module.bin");
        var output = tree.PathOf("module.p7s");
        File.WriteAllBytes(input, module);
        var start = new ProcessStartInfo("openssl") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["cms", "-sign", "-binary", "-outform", "DER", "-in", input, "-out", output, "-signer", Key(key), "-inkey", Key(key), .. options])
        {
            start.ArgumentList.Add(a);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "openssl cms -sign failed: " + error);
        return File.ReadAllBytes(output);
    }

    /// <summary>One EFI_SIGNATURE_LIST holding <paramref name="entries"/> of one type (all the same size).</summary>
    public static byte[] SignatureList(Guid type, params byte[][] entries)
    {
        var size = 16 + entries[0].Length;
        var list = new byte[28 + (entries.Length * size)];
        type.TryWriteBytes(list);
        BinaryPrimitives.WriteUInt32LittleEndian(list.AsSpan(16), (uint)list.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(list.AsSpan(20), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(list.AsSpan(24), (uint)size);
        for (var i = 0; i < entries.Length; i++)
        {
            Guid.Parse("605dab50-e046-4300-abb6-3dd810dd8b23").TryWriteBytes(list.AsSpan(28 + (i * size)));
            entries[i].CopyTo(list, 28 + (i * size) + 16);
        }
        return list;
    }

    /// <summary>Writes a variable as efivarfs shows it: 4 attribute bytes (NV|BS|RT = 7), then the value.</summary>
    public static void WriteEfiVariable(TempTree tree, string name, byte[] value)
    {
        var guid = name.StartsWith("Mok", StringComparison.Ordinal) ? EfiKeyVariables.ShimLockGuid : EfiKeyVariables.ImageSecurityGuid;
        var path = tree.PathOf($"sys/firmware/efi/efivars/{name}-{guid}");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [7, 0, 0, 0, .. value]);
    }

    /// <summary>A store from the corpus image, with sysfs and keys as given.</summary>
    public static TrustStore Store(string? sysFs = null, params string[] keys)
    {
        var paths = new TaintWatch.Kernel.KernelPaths("/nonexistent-proc", sysFs ?? "/nonexistent-sys", Path.Combine(Corpus.Root, "root"));
        return TrustStoreLoader.Load(new TrustStoreLoader.Options(paths, Corpus.KernelRelease, keys));
    }

    public static SignatureVerification Verify(byte[] file, TrustStore store)
    {
        var inspection = TaintWatch.Modules.ModuleInspector.Inspect("/test.ko", file, collectEvidence: true);
        Assert.Null(inspection.Error);
        return SignatureVerifier.Verify(inspection.Evidence!, store);
    }
}
