using System.Security.Cryptography;
using TaintWatch.Modules;
using TaintWatch.Modules.Compression;
using TaintWatch.Modules.Signatures;

namespace TaintWatch.Trust;

/// <summary>
/// What verifying a module's signature needs, taken while its image is at hand: the parsed signature and the
/// digest of the signed bytes (the image before the signature block, kernel/module/signing.c), hashed once,
/// streaming, with the algorithm the signature names. Nothing here refers to the image's (pooled) bytes.
/// </summary>
public sealed record SignatureEvidence(Pkcs7Message? Message, LegacyX509Signature? Legacy, IReadOnlyDictionary<string, byte[]> Digests, string? Unverifiable, string? Malformed)
{
    private const int ChunkSize = 256 * 1024;

    /// <summary>Collects evidence for a signed module; null for an unsigned one (nothing to verify).</summary>
    public static SignatureEvidence? Collect(ByteSource image, ModuleSignature signature)
    {
        if (signature.State == SignatureState.Unsigned)
        {
            return null;
        }
        if (signature.State == SignatureState.Unknown)
        {
            return Fail(unverifiable: signature.Problem ?? "the signature could not be read");
        }
        if (signature.Location != "appended")
        {
            return Fail(unverifiable: $"not verified: RHEL 5/6 GPG signatures ({signature.Location}) are checked against the GPG keys built into those kernels, which TaintWatch does not read");
        }
        var appended = AppendedSignature.Read(image, out var problem);
        if (appended is null)
        {
            return Fail(malformed: problem ?? "the appended signature cannot be read");
        }
        switch (appended.IdType)
        {
            case SignatureIdType.Pkcs7:
                Pkcs7Message message;
                try
                {
                    message = Pkcs7Message.Parse(appended.Data);
                }
                catch (ModuleFormatException e)
                {
                    // The kernel refuses an unparseable signature at load (fatal, not a taint).
                    return Fail(malformed: e.Message);
                }
                if (appended.Signer.Length != 0 || appended.KeyId.Length != 0 || appended.Algorithm != 0 || appended.Hash != 0)
                {
                    return Fail(malformed: "module_signature has signer, key id, algorithm or hash set, which the kernel refuses for PKCS#7 (mod_check_sig: -EBADMSG)");
                }
                var algorithms = message.Signers.Select(s => HashNames.FromOid(s.DigestOid)).OfType<string>().Distinct().ToArray();
                return new SignatureEvidence(message, null, Digest(image, appended.ModuleLength, algorithms), null, null);
            case SignatureIdType.X509:
                var hash = AppendedSignature.HashNames[appended.Hash];
                var legacy = new LegacyX509Signature(System.Text.Encoding.UTF8.GetString(appended.Signer), appended.KeyId, hash, appended.Algorithm, appended.Data);
                var known = HashNames.ToAlgorithm(hash) is null ? [] : new[] { hash };
                return new SignatureEvidence(null, legacy, Digest(image, appended.ModuleLength, known), null, null);
            default:
                return Fail(unverifiable: "not verified: the PGP form of the appended signature was never used by a shipped kernel");
        }
    }

    private static SignatureEvidence Fail(string? unverifiable = null, string? malformed = null) =>
        new(null, null, new Dictionary<string, byte[]>(), unverifiable, malformed);

    /// <summary>Hashes the first <paramref name="length"/> bytes once, with every algorithm named, reading in chunks.</summary>
    private static Dictionary<string, byte[]> Digest(ByteSource image, long length, string[] algorithms)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (algorithms.Length == 0)
        {
            return result;
        }
        var hashes = algorithms.Select(a => IncrementalHash.CreateHash(HashNames.ToAlgorithm(a)!.Value)).ToArray();
        var buffer = PooledBytes.RentArray(ChunkSize);
        try
        {
            for (long offset = 0; offset < length; offset += ChunkSize)
            {
                var count = (int)Math.Min(ChunkSize, length - offset);
                var chunk = buffer.AsSpan(0, count);
                image.ReadExactly(chunk, offset);
                foreach (var h in hashes)
                {
                    h.AppendData(chunk);
                }
            }
            for (var i = 0; i < algorithms.Length; i++)
            {
                result[algorithms[i]] = hashes[i].GetHashAndReset();
            }
        }
        finally
        {
            PooledBytes.ReturnArray(buffer);
            foreach (var h in hashes)
            {
                h.Dispose();
            }
        }
        return result;
    }
}

/// <summary>RHEL 7's early appended form (id_type X509): signer name and SKID in clear, then an MPI-framed RSA signature.</summary>
public sealed record LegacyX509Signature(string Signer, byte[] KeyId, string Hash, byte Algorithm, byte[] Data);
