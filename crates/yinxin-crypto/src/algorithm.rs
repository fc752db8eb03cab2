//! The key algorithms yinxin signs with, their object identifiers, and the signature algorithm
//! each implies. One key algorithm, one signature algorithm: a certificate's issuer key fixes how
//! the certificate is signed.

use std::fmt;

use der::asn1::{AnyRef, ObjectIdentifier};
use spki::AlgorithmIdentifierOwned;

/// GM/T 0009-2012 §10: the default distinguishing ID of an SM2 signer, `1234567812345678`.
/// NEVER change it: every SM2 signature made so far would stop verifying.
pub const SM2_DEFAULT_DISTID: &str = "1234567812345678";

/// Object identifiers used here, with where they are defined.
pub mod oid {
    use der::asn1::ObjectIdentifier;

    /// id-ecPublicKey (RFC 5480).
    pub const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    /// secp256r1 / prime256v1 (RFC 5480).
    pub const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    /// secp384r1 (RFC 5480).
    pub const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    /// The SM2 curve (GM/T 0006: sm2p256v1 / sm2ECC).
    pub const SM2_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
    /// SM2 signature with SM3 (GM/T 0006: SM3WithSM2Encryption).
    pub const SM2_WITH_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");
    /// SM3 hash (GM/T 0006).
    pub const SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401");
    /// ecdsa-with-SHA256 (RFC 5758).
    pub const ECDSA_WITH_SHA256: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
    /// ecdsa-with-SHA384 (RFC 5758).
    pub const ECDSA_WITH_SHA384: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
    /// rsaEncryption (RFC 8017).
    pub const RSA_ENCRYPTION: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    /// sha256WithRSAEncryption (RFC 8017).
    pub const SHA256_WITH_RSA: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
    /// id-Ed25519 (RFC 8410).
    pub const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
    /// id-sha256 (RFC 5754).
    pub const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
    /// id-sha384 (RFC 5754).
    pub const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
}

/// A key algorithm, and with it the signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// SM2 (GB/T 32918) with SM3, GM/T 0009 encoding, distinguishing ID [`SM2_DEFAULT_DISTID`].
    Sm2,
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384,
    /// RSA 2048 with PKCS#1 v1.5 and SHA-256.
    Rsa2048,
    /// RSA 3072 with PKCS#1 v1.5 and SHA-256.
    Rsa3072,
    /// RSA 4096 with PKCS#1 v1.5 and SHA-256.
    Rsa4096,
    /// Ed25519 (RFC 8032, RFC 8410).
    Ed25519,
}

impl KeyAlgorithm {
    /// Every algorithm.
    pub const ALL: [KeyAlgorithm; 7] = [
        Self::Sm2,
        Self::EcdsaP256,
        Self::EcdsaP384,
        Self::Rsa2048,
        Self::Rsa3072,
        Self::Rsa4096,
        Self::Ed25519,
    ];

    /// The stable name used in configuration, records and the API. NEVER rename one.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sm2 => "sm2",
            Self::EcdsaP256 => "p256",
            Self::EcdsaP384 => "p384",
            Self::Rsa2048 => "rsa2048",
            Self::Rsa3072 => "rsa3072",
            Self::Rsa4096 => "rsa4096",
            Self::Ed25519 => "ed25519",
        }
    }

    /// The algorithm of a stable name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The signature algorithm's OID.
    pub fn signature_oid(self) -> ObjectIdentifier {
        match self {
            Self::Sm2 => oid::SM2_WITH_SM3,
            Self::EcdsaP256 => oid::ECDSA_WITH_SHA256,
            Self::EcdsaP384 => oid::ECDSA_WITH_SHA384,
            Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096 => oid::SHA256_WITH_RSA,
            Self::Ed25519 => oid::ED25519,
        }
    }

    /// The AlgorithmIdentifier of the signature: no parameters for ECDSA, SM2 and Ed25519
    /// (RFC 5758 §3.2, RFC 8410 §3), NULL for RSA (RFC 8017 A.2.4).
    pub fn signature_algorithm(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.signature_oid(),
            parameters: self.is_rsa().then(|| AnyRef::NULL.into()),
        }
    }

    /// The digest the signature hashes with, as an AlgorithmIdentifier OID (for CMS and ESSCertIDv2).
    pub fn digest_oid(self) -> ObjectIdentifier {
        match self {
            Self::Sm2 => oid::SM3,
            Self::EcdsaP384 => oid::SHA384,
            _ => oid::SHA256,
        }
    }

    /// Whether this is one of the RSA sizes.
    pub fn is_rsa(self) -> bool {
        matches!(self, Self::Rsa2048 | Self::Rsa3072 | Self::Rsa4096)
    }

    /// The RSA modulus size in bits, for the RSA algorithms.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            Self::Rsa2048 => Some(2048),
            Self::Rsa3072 => Some(3072),
            Self::Rsa4096 => Some(4096),
            _ => None,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in KeyAlgorithm::ALL {
            assert_eq!(KeyAlgorithm::parse(a.as_str()), Some(a));
        }
        assert_eq!(KeyAlgorithm::parse("rsa1024"), None);
    }
}
