using System.Security.Cryptography;

namespace TaintWatch.Trust;

/// <summary>
/// Checks the signature an issuer made over a certificate's TBS, as public_key_verify_signature does with
/// x509->sig, using the platform's crypto.
/// </summary>
internal static class CertificateSignature
{
    /// <summary>True when it checks under the issuer's key, false when not, null (with why) when the platform cannot tell.</summary>
    public static bool? Check(TrustAnchor issuer, ChainCertificate certificate, out string? problem)
    {
        var scheme = SignatureScheme.ForCertificate(certificate.SignatureOid, certificate.SignatureParameters, out var hash);
        if (scheme.Unsupported is not null)
        {
            problem = scheme.Unsupported;
            return null;
        }
        try
        {
            if (scheme.IsMlDsa)
            {
                problem = null;
                // ML-DSA is marked experimental in .NET 10 (SYSLIB5006); From() offers it only where the platform does.
#pragma warning disable SYSLIB5006
                using var mlDsa = issuer.Certificate.GetMLDsaPublicKey();
#pragma warning restore SYSLIB5006
                return mlDsa?.VerifyData(certificate.Tbs, certificate.SignatureValue) ?? false;
            }
            var digest = CryptographicOperations.HashData(hash!.Value, certificate.Tbs);
            return scheme.Verify(issuer, hash.Value, digest, null, certificate.SignatureValue, out problem);
        }
        catch (CryptographicException)
        {
            // A signature of the wrong shape for the key (hostile input) does not check.
            problem = null;
            return false;
        }
    }
}
