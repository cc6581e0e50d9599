using System.Buffers.Binary;
using System.Formats.Asn1;

namespace TaintWatch.Trust;

/// <summary>
/// Finds the kernel's built-in certificate list in an unpacked (and, as shipped, symbol-stripped) vmlinux.
/// certs/system_certificates.S lays out, in .init.rodata: `system_certificate_list` (8-aligned) = the module
/// signing certificate and CONFIG_SYSTEM_TRUSTED_KEYS, DER X.509 certificates back to back; optionally the
/// CONFIG_SYSTEM_EXTRA_CERTIFICATE area; then, 8-aligned, `system_certificate_list_size` holding the list's
/// length. So a run of back-to-back certificates followed within a few KiB by its own length is the list: other
/// DER certificates in the image (cfg80211's regulatory keys, test vectors) are C arrays with no such length
/// after them. certs/revocation_certificates.S (CONFIG_SYSTEM_REVOCATION_LIST) has the same shape and links
/// after it, so a second such run is the revocation list.
/// </summary>
public static class KernelCertificateList
{
    /// <summary>How far after the last certificate the length may sit: CONFIG_SYSTEM_EXTRA_CERTIFICATE_SIZE (4 KiB by default) plus alignment.</summary>
    private const int SizeWindow = 64 * 1024;

    /// <summary>A certificate list longer than this is not one (the largest shipped lists are a few KiB).</summary>
    private const int MaxListLength = 4 * 1024 * 1024;

    /// <param name="Trusted">DER certificates of system_certificate_list, in order; empty when none was found.</param>
    /// <param name="Revoked">DER certificates of revocation_certificate_list, when the image has one.</param>
    /// <param name="Offset">Where the trusted list starts in the image, -1 when not found.</param>
    public sealed record Result(IReadOnlyList<byte[]> Trusted, IReadOnlyList<byte[]> Revoked, long Offset);

    public static Result Find(ReadOnlySpan<byte> image)
    {
        var scanner = new Scanner();
        return scanner.Finish(image);
    }

    /// <summary>
    /// Finds the lists while the image is still being decompressed: fed what is out so far, it says when the
    /// rest is not needed (the trusted list found, and a revocation list given room to follow it).
    /// </summary>
    public sealed class Scanner
    {
        /// <summary>A revocation list links right after the trusted one; this much further, none is coming.</summary>
        private const int RevocationRoom = 1 << 20;

        private readonly List<(int Offset, int End, List<byte[]> Certificates)> _lists = [];
        private int _next;

        /// <summary>Scans what is new in <paramref name="written"/>; true when decoding can stop.</summary>
        public bool Feed(ReadOnlySpan<byte> written)
        {
            _next = Scan(written, _next, final: false);
            return _lists.Count >= 2 || _lists.Count == 1 && _next >= _lists[0].End + RevocationRoom;
        }

        /// <summary>Scans the rest of the image (all of it, or as far as it was decompressed) and gives the lists.</summary>
        public Result Finish(ReadOnlySpan<byte> image)
        {
            Scan(image, _next, final: true);
            return _lists.Count == 0
                ? new Result([], [], -1)
                : new Result(_lists[0].Certificates, _lists.Count > 1 ? _lists[1].Certificates : [], _lists[0].Offset);
        }

        /// <summary>Scans from <paramref name="position"/>; returns where the next scan starts.</summary>
        private int Scan(ReadOnlySpan<byte> image, int position, bool final)
        {
            while (_lists.Count < 2 && position < image.Length)
            {
                var found = image[position..].IndexOf([(byte)0x30, (byte)0x82]);
                if (found < 0)
                {
                    // Keep the last byte: it may be the 0x30 of a pair split by the end of what is out.
                    return final ? image.Length : Math.Max(position, image.Length - 1);
                }
                var start = position + found;
                var run = Run(image, start);
                if (run.Count == 0)
                {
                    if (!final && image.Length - start < MaxCertificateProbe)
                    {
                        return start; // the certificate may be cut off by the end of what is out: look again later
                    }
                    position = start + 1;
                    continue;
                }
                var runEnd = start + run.Sum(c => c.Length);
                if (!final && image.Length - runEnd < SizeWindow + MaxCertificateProbe)
                {
                    return start; // the run may go on, or its length lie, past what is out: look again later
                }
                var listLength = ConfirmedLength(image, start, run, runEnd);
                if (listLength > 0)
                {
                    var certificates = new List<byte[]>();
                    var total = 0;
                    foreach (var c in run)
                    {
                        if (total == listLength)
                        {
                            break;
                        }
                        certificates.Add(c);
                        total += c.Length;
                    }
                    _lists.Add((start, runEnd, certificates));
                }
                position = runEnd;
            }
            return position;
        }
    }

    /// <summary>More than the longest certificate (a 16 KiB RSA key with extensions is ~3 KiB).</summary>
    private const int MaxCertificateProbe = 64 * 1024;

    /// <summary>The certificates lying back to back from <paramref name="start"/>.</summary>
    private static List<byte[]> Run(ReadOnlySpan<byte> image, int start)
    {
        var run = new List<byte[]>();
        var offset = start;
        var total = 0;
        while (offset < image.Length && total < MaxListLength)
        {
            var length = CertificateLength(image[offset..]);
            if (length == 0)
            {
                break;
            }
            run.Add(image.Slice(offset, length).ToArray());
            offset += length;
            total += length;
        }
        return run;
    }

    /// <summary>
    /// The list length the image confirms: the length of the run, or of a prefix of it at a certificate boundary
    /// (an inserted extra certificate follows the list), found as a 32- or 64-bit little-endian value at an
    /// 8-byte-aligned offset after the run. 0 when no such value is there.
    /// </summary>
    private static int ConfirmedLength(ReadOnlySpan<byte> image, int start, List<byte[]> run, int runEnd)
    {
        var prefixes = new HashSet<uint>();
        var sum = 0;
        foreach (var c in run)
        {
            sum += c.Length;
            prefixes.Add((uint)sum);
        }
        var firstSlot = start + ((runEnd - start + 7) & ~7);
        var lastSlot = Math.Min(image.Length - 8, runEnd + SizeWindow);
        for (var slot = firstSlot; slot <= lastSlot; slot += 8)
        {
            var value = BinaryPrimitives.ReadUInt32LittleEndian(image[slot..]);
            if (value != 0 && prefixes.Contains(value))
            {
                return (int)value;
            }
        }
        return 0;
    }

    /// <summary>
    /// The length of the DER X.509 certificate at the start of <paramref name="data"/>: SEQUENCE { tbsCertificate
    /// SEQUENCE (v3 "[0] INTEGER 2", or v1), signatureAlgorithm SEQUENCE, signature BIT STRING } exactly; else 0.
    /// </summary>
    internal static int CertificateLength(ReadOnlySpan<byte> data)
    {
        try
        {
            if (data.Length < 64 || data[0] != 0x30
                || !AsnDecoder.TryReadEncodedValue(data, AsnEncodingRules.DER, out var tag, out var contentOffset, out var contentLength, out var consumed)
                || tag != Asn1Tag.Sequence)
            {
                return 0;
            }
            var content = data.Slice(contentOffset, contentLength);
            if (!AsnDecoder.TryReadEncodedValue(content, AsnEncodingRules.DER, out tag, out var tbsOffset, out var tbsLength, out var tbsConsumed)
                || tag != Asn1Tag.Sequence || tbsLength < 4)
            {
                return 0;
            }
            var tbs = content.Slice(tbsOffset, tbsLength);
            var versioned = tbs[0] == 0xA0 && tbs[1] == 0x03 && tbs[2] == 0x02 && tbs[3] == 0x01;
            if (!versioned && tbs[0] != 0x02)
            {
                return 0;
            }
            var rest = content[tbsConsumed..];
            if (!AsnDecoder.TryReadEncodedValue(rest, AsnEncodingRules.DER, out tag, out _, out _, out var algorithmConsumed) || tag != Asn1Tag.Sequence)
            {
                return 0;
            }
            rest = rest[algorithmConsumed..];
            if (!AsnDecoder.TryReadEncodedValue(rest, AsnEncodingRules.DER, out tag, out _, out _, out var signatureConsumed)
                || tag != Asn1Tag.PrimitiveBitString || signatureConsumed != rest.Length)
            {
                return 0;
            }
            return consumed;
        }
        catch (AsnContentException)
        {
            return 0;
        }
    }
}
