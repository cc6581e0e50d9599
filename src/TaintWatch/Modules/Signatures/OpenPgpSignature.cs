using System.Buffers.Binary;

namespace TaintWatch.Modules.Signatures;

/// <summary>
/// An OpenPGP signature packet (RFC 4880 §5.2), as RHEL 5 (.module_sig section) and RHEL 6 (.note.module.sig,
/// note "module.sig" type 100) keep GPG module signatures (RHEL 5/6 kernel/module-verify-sig.c).
/// </summary>
public sealed record OpenPgpSignature(
    int Version,
    byte SignatureType,
    DateTimeOffset? Created,
    ulong? KeyId,
    byte PublicKeyAlgorithm,
    byte HashAlgorithm,
    ushort HashLeft16,
    IReadOnlyList<byte[]> Values)
{
    private const int SignaturePacketTag = 2;

    public string HashName => HashAlgorithm switch
    {
        1 => "md5",
        2 => "sha1",
        3 => "rmd160",
        8 => "sha256",
        9 => "sha384",
        10 => "sha512",
        11 => "sha224",
        _ => $"hash-{HashAlgorithm}",
    };

    public string PublicKeyAlgorithmName => PublicKeyAlgorithm switch
    {
        1 or 3 => "rsa",
        17 => "dsa",
        19 => "ecdsa",
        22 => "eddsa",
        _ => $"pubkey-{PublicKeyAlgorithm}",
    };

    /// <summary>Finds and parses the first signature packet; throws <see cref="ModuleFormatException"/> on malformed packets.</summary>
    public static OpenPgpSignature Parse(ReadOnlySpan<byte> data)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            var (tag, bodyStart, bodyLength) = ReadPacket(data, offset);
            if (tag == SignaturePacketTag)
            {
                return ParseSignature(data.Slice(bodyStart, bodyLength));
            }
            offset = bodyStart + bodyLength;
        }
        throw new ModuleFormatException("OpenPGP data holds no signature packet");
    }

    private static (int Tag, int BodyStart, int BodyLength) ReadPacket(ReadOnlySpan<byte> data, int offset)
    {
        var ctb = data[offset];
        if ((ctb & 0x80) == 0)
        {
            throw new ModuleFormatException($"byte 0x{ctb:x2} at offset {offset} is not an OpenPGP packet tag");
        }
        int tag;
        long length;
        var header = offset + 1;
        if ((ctb & 0x40) == 0)
        {
            // Old format: tag in bits 5–2, length type in bits 1–0.
            tag = (ctb >> 2) & 0x0F;
            var lengthBytes = (ctb & 3) switch { 0 => 1, 1 => 2, 2 => 4, _ => 0 };
            if (lengthBytes == 0)
            {
                length = data.Length - header;
            }
            else
            {
                Need(data, header, lengthBytes);
                length = lengthBytes switch
                {
                    1 => data[header],
                    2 => BinaryPrimitives.ReadUInt16BigEndian(data[header..]),
                    _ => BinaryPrimitives.ReadUInt32BigEndian(data[header..]),
                };
                header += lengthBytes;
            }
        }
        else
        {
            tag = ctb & 0x3F;
            Need(data, header, 1);
            var first = data[header];
            if (first < 192)
            {
                length = first;
                header += 1;
            }
            else if (first < 224)
            {
                Need(data, header, 2);
                length = ((first - 192) << 8) + data[header + 1] + 192;
                header += 2;
            }
            else if (first == 255)
            {
                Need(data, header, 5);
                length = BinaryPrimitives.ReadUInt32BigEndian(data[(header + 1)..]);
                header += 5;
            }
            else
            {
                throw new ModuleFormatException("OpenPGP partial body lengths are not used for module signatures");
            }
        }
        if (length > data.Length - header)
        {
            throw new ModuleFormatException($"OpenPGP packet claims {length} bytes but only {data.Length - header} remain");
        }
        return (tag, header, (int)length);
    }

    private static OpenPgpSignature ParseSignature(ReadOnlySpan<byte> body)
    {
        Need(body, 0, 1);
        var version = body[0];
        switch (version)
        {
            case 3:
                {
                    Need(body, 0, 19);
                    if (body[1] != 5)
                    {
                        throw new ModuleFormatException($"OpenPGP v3 signature has hashed length {body[1]}, not 5");
                    }
                    var created = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(body[3..]));
                    var keyId = BinaryPrimitives.ReadUInt64BigEndian(body[7..]);
                    return new OpenPgpSignature(3, body[2], created, keyId, body[15], body[16], BinaryPrimitives.ReadUInt16BigEndian(body[17..]), ReadValues(body[19..]));
                }
            case 4:
                {
                    Need(body, 0, 6);
                    var hashedLength = BinaryPrimitives.ReadUInt16BigEndian(body[4..]);
                    Need(body, 6, hashedLength + 2);
                    var hashed = body.Slice(6, hashedLength);
                    var unhashedStart = 6 + hashedLength;
                    var unhashedLength = BinaryPrimitives.ReadUInt16BigEndian(body[unhashedStart..]);
                    Need(body, unhashedStart + 2, unhashedLength + 2);
                    var unhashed = body.Slice(unhashedStart + 2, unhashedLength);
                    DateTimeOffset? created = null;
                    ulong? keyId = null;
                    // The kernel looks for the issuer in the hashed area first, then the unhashed one.
                    ReadSubpackets(hashed, ref created, ref keyId);
                    ReadSubpackets(unhashed, ref created, ref keyId);
                    var rest = unhashedStart + 2 + unhashedLength;
                    return new OpenPgpSignature(4, body[1], created, keyId, body[2], body[3], BinaryPrimitives.ReadUInt16BigEndian(body[rest..]), ReadValues(body[(rest + 2)..]));
                }
            default:
                throw new ModuleFormatException($"OpenPGP signature version {version} is not 3 or 4");
        }
    }

    private static void ReadSubpackets(ReadOnlySpan<byte> area, ref DateTimeOffset? created, ref ulong? keyId)
    {
        var offset = 0;
        while (offset < area.Length)
        {
            int length = area[offset];
            var header = 1;
            if (length >= 192 && length < 255)
            {
                Need(area, offset, 2);
                length = ((length - 192) << 8) + area[offset + 1] + 192;
                header = 2;
            }
            else if (length == 255)
            {
                Need(area, offset, 5);
                var big = BinaryPrimitives.ReadUInt32BigEndian(area[(offset + 1)..]);
                length = big > int.MaxValue ? int.MaxValue : (int)big;
                header = 5;
            }
            if (length < 1 || length > area.Length - offset - header)
            {
                throw new ModuleFormatException("OpenPGP subpacket length runs past its area");
            }
            var type = area[offset + header] & 0x7F;
            var data = area.Slice(offset + header + 1, length - 1);
            if (type == 2 && data.Length == 4)
            {
                created ??= DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadUInt32BigEndian(data));
            }
            else if (type == 16 && data.Length == 8)
            {
                keyId ??= BinaryPrimitives.ReadUInt64BigEndian(data);
            }
            offset += header + length;
        }
    }

    /// <summary>The signature's MPIs (r and s for DSA): 2-byte bit count, then the bytes.</summary>
    private static List<byte[]> ReadValues(ReadOnlySpan<byte> data)
    {
        var values = new List<byte[]>();
        var offset = 0;
        while (offset + 2 <= data.Length && values.Count < 4)
        {
            var bits = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            var bytes = (bits + 7) / 8;
            if (bytes > data.Length - offset - 2)
            {
                throw new ModuleFormatException($"OpenPGP MPI of {bits} bits runs past the packet");
            }
            values.Add(data.Slice(offset + 2, bytes).ToArray());
            offset += 2 + bytes;
        }
        if (values.Count == 0)
        {
            throw new ModuleFormatException("OpenPGP signature carries no signature value");
        }
        return values;
    }

    private static void Need(ReadOnlySpan<byte> data, int offset, int count)
    {
        if (offset < 0 || count < 0 || offset > data.Length - count)
        {
            throw new ModuleFormatException("OpenPGP packet is truncated");
        }
    }
}
