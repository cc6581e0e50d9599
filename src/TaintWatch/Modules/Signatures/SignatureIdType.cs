namespace TaintWatch.Modules.Signatures;

/// <summary>id_type of struct module_signature (include/linux/module_signature.h): PGP=0, X509=1, PKCS7=2.</summary>
public enum SignatureIdType : byte
{
    Pgp = 0,
    X509 = 1,
    Pkcs7 = 2,
}
