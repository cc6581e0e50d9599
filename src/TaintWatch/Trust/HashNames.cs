using System.Security.Cryptography;

namespace TaintWatch.Trust;

/// <summary>Digest names as module signatures name them, and the platform's algorithm for each it can compute.</summary>
public static class HashNames
{
    public static string? FromOid(string oid) => oid switch
    {
        "1.3.14.3.2.26" => "sha1",
        "2.16.840.1.101.3.4.2.1" => "sha256",
        "2.16.840.1.101.3.4.2.2" => "sha384",
        "2.16.840.1.101.3.4.2.3" => "sha512",
        "2.16.840.1.101.3.4.2.8" => "sha3-256",
        "2.16.840.1.101.3.4.2.9" => "sha3-384",
        "2.16.840.1.101.3.4.2.10" => "sha3-512",
        _ => null,
    };

    public static HashAlgorithmName? ToAlgorithm(string name) => name switch
    {
        "sha1" => HashAlgorithmName.SHA1,
        "sha256" => HashAlgorithmName.SHA256,
        "sha384" => HashAlgorithmName.SHA384,
        "sha512" => HashAlgorithmName.SHA512,
        "sha3-256" when SHA3_256.IsSupported => HashAlgorithmName.SHA3_256,
        "sha3-384" when SHA3_384.IsSupported => HashAlgorithmName.SHA3_384,
        "sha3-512" when SHA3_512.IsSupported => HashAlgorithmName.SHA3_512,
        _ => null,
    };
}
