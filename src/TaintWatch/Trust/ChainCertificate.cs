using System.Formats.Asn1;
using System.Security.Cryptography;
using TaintWatch.Modules;

namespace TaintWatch.Trust;

/// <summary>
/// A certificate a module signature carries (openssl cms -sign without -nocerts), read as the kernel's
/// x509_cert_parse reads it (crypto/asymmetric_keys/x509_cert_parser.c, x509_public_key.c): its ids, the
/// authorityKeyIdentifier naming its issuer (sig->auth_ids), the signature over its TBS, and whether it is
/// self-signed (x509_check_for_self_signed).
/// </summary>
internal sealed class ChainCertificate
{
    public const string Source = "the signature's own certificates";

    private ChainCertificate(TrustAnchor anchor, int index, byte[] tbs, string signatureOid, byte[]? signatureParameters, byte[] signatureValue, SignerId? authorityId, byte[]? authorityKeyId)
    {
        Anchor = anchor;
        Index = index;
        Tbs = tbs;
        SignatureOid = signatureOid;
        SignatureParameters = signatureParameters;
        SignatureValue = signatureValue;
        AuthorityId = authorityId;
        AuthorityKeyId = authorityKeyId;
    }

    /// <summary>The certificate with its key and the ids trusted keys are matched by.</summary>
    public TrustAnchor Anchor { get; }

    /// <summary>Its place in the message's certificate set, from 1, as the kernel numbers X.509[n].</summary>
    public int Index { get; }

    /// <summary>The DER tbsCertificate: what its issuer signed.</summary>
    public byte[] Tbs { get; }

    public string SignatureOid { get; }

    public byte[]? SignatureParameters { get; }

    public byte[] SignatureValue { get; }

    /// <summary>auth_ids[0]: the authorityKeyIdentifier's issuer (first directoryName) and serial, when both are there.</summary>
    public SignerId? AuthorityId { get; }

    /// <summary>auth_ids[1]: the authorityKeyIdentifier's keyIdentifier.</summary>
    public byte[]? AuthorityKeyId { get; }

    /// <summary>Its own signature checks under its own key and its AKID, if any, names itself (x509->self_signed).</summary>
    public bool SelfSigned { get; private set; }

    /// <summary>id 0: issuer and serial, as a signature or an authorityKeyIdentifier names a certificate.</summary>
    public SignerId Id => new(Anchor.Issuer, Anchor.Serial, null);

    public string Subject => Anchor.Subject;

    /// <summary>
    /// Reads carried certificate number <paramref name="index"/>. Throws <see cref="ChainRefusal"/> where the
    /// kernel's parser fails, which fails the whole signature.
    /// </summary>
    public static ChainCertificate Read(byte[] der, int index)
    {
        TrustAnchor anchor;
        try
        {
            anchor = TrustAnchor.Create(der, Source);
        }
        catch (ModuleFormatException e)
        {
            throw new ChainRefusal(VerificationState.Invalid, $"certificate {index} the signature carries {e.Message}, so the kernel refuses the whole signature (EBADMSG)");
        }
        var keyOid = anchor.Certificate.PublicKey.Oid.Value;
        if (keyOid is not ("1.2.840.113549.1.1.1" or "1.2.840.10045.2.1" or "2.16.840.1.101.3.4.3.17" or "2.16.840.1.101.3.4.3.18" or "2.16.840.1.101.3.4.3.19"))
        {
            throw new ChainRefusal(VerificationState.Unknown, $"certificate {index} the signature carries (\"{anchor.Subject}\") has a {keyOid} key, which the kernel does not parse (ENOPKG: it would load the module as unverified)");
        }
        string signatureOid;
        byte[]? parameters;
        byte[] tbs;
        byte[] signature;
        SignerId? authorityId = null;
        byte[]? authorityKeyId = null;
        try
        {
            var certificate = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            tbs = certificate.ReadEncodedValue().ToArray();
            var algorithm = certificate.ReadSequence();
            signatureOid = algorithm.ReadObjectIdentifier();
            parameters = algorithm.HasData ? algorithm.ReadEncodedValue().ToArray() : null;
            signature = certificate.ReadBitString(out _);
            if (anchor.Certificate.Extensions["2.5.29.35"] is { } akid)
            {
                (authorityId, authorityKeyId) = ReadAuthorityKeyIdentifier(akid.RawData);
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            throw new ChainRefusal(VerificationState.Invalid, $"certificate {index} the signature carries is not valid DER ({e.Message}), so the kernel refuses the whole signature (EBADMSG)");
        }
        var read = new ChainCertificate(anchor, index, tbs, signatureOid, parameters, signature, authorityId, authorityKeyId);
        read.CheckSelfSigned();
        return read;
    }

    /// <summary>
    /// x509_check_for_self_signed: same subject and issuer, an AKID (if any) naming itself, and its own signature
    /// checking. A self-issued certificate whose own signature fails fails the parse, and with it the signature.
    /// </summary>
    private void CheckSelfSigned()
    {
        if (!Anchor.Certificate.SubjectName.RawData.AsSpan().SequenceEqual(Anchor.Issuer))
        {
            return;
        }
        if (AuthorityId is not null || AuthorityKeyId is not null)
        {
            var bySkid = Same(Anchor.SubjectKeyId, AuthorityKeyId);
            var byId = AuthorityId is not null && AuthorityId.Key == Id.Key;
            if (!bySkid && !byId)
            {
                return;
            }
            if (bySkid != byId && AuthorityId is not null && AuthorityKeyId is not null)
            {
                throw new ChainRefusal(VerificationState.Invalid, $"certificate {Index} the signature carries (\"{Subject}\") is self-issued but its authorityKeyIdentifier names itself only in part, so the kernel refuses the whole signature (EKEYREJECTED)");
            }
        }
        var checks = CertificateSignature.Check(Anchor, this, out var problem);
        if (checks is null)
        {
            // Whether the kernel's parse accepts the message hangs on this signature: TaintWatch cannot tell.
            throw new ChainRefusal(VerificationState.Unknown, $"certificate {Index} the signature carries (\"{Subject}\") is self-issued, and the kernel refuses the whole signature if its own signature fails, which TaintWatch cannot check ({problem})");
        }
        if (checks == false)
        {
            throw new ChainRefusal(VerificationState.Invalid, $"certificate {Index} the signature carries (\"{Subject}\") is self-signed but its own signature does not check, so the kernel refuses the whole signature (EKEYREJECTED)");
        }
        SelfSigned = true;
    }

    /// <summary>AuthorityKeyIdentifier ::= SEQUENCE { [0] keyIdentifier, [1] GeneralNames, [2] serial } (x509_akid.asn1).</summary>
    private static (SignerId? Id, byte[]? KeyId) ReadAuthorityKeyIdentifier(byte[] extension)
    {
        var akid = new AsnReader(extension, AsnEncodingRules.DER).ReadSequence();
        byte[]? keyId = null;
        byte[]? issuer = null;
        byte[]? serial = null;
        if (akid.HasData && akid.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            keyId = akid.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
        }
        if (akid.HasData && akid.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
        {
            var names = akid.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1));
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (issuer is null && tag.HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 4)))
                {
                    // directoryName [4] Name: explicit, since Name is a CHOICE.
                    issuer = names.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)).ReadEncodedValue().ToArray();
                }
                else
                {
                    names.ReadEncodedValue();
                }
            }
        }
        if (akid.HasData && akid.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
        {
            serial = akid.ReadIntegerBytes(new Asn1Tag(TagClass.ContextSpecific, 2)).ToArray();
        }
        return (issuer is not null && serial is not null ? new SignerId(issuer, serial, null) : null, keyId);
    }

    /// <summary>Both present and equal, as asymmetric_key_id_same (a missing id never matches).</summary>
    internal static bool Same(byte[]? a, byte[]? b) => a is not null && b is not null && a.AsSpan().SequenceEqual(b);
}
