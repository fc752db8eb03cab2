//! The event binding of an event certificate (CERT-3, 事件型证书): a short-lived certificate bound
//! to one event by the digest of the event's features (what is signed, by whom, when — the caller
//! decides what the features are and hashes them). The binding is a dedicated, non-critical X.509
//! extension, so that any relying party can read it and software that does not know it still
//! validates the certificate:
//!
//! ```text
//! id-yinxin-eventBinding OBJECT IDENTIFIER ::= { 2 25 3179520717 1 }   -- EVENT_BINDING
//!
//! EventBinding ::= SEQUENCE {
//!     digestAlgorithm  AlgorithmIdentifier,  -- id-sha256 (NULL or absent parameters) or id-sm3
//!     digest           OCTET STRING }        -- 32 octets
//! ```
//!
//! yinxin has no registered arc yet, so the identifier is a placeholder under the registration-free
//! UUID arc `2.25` (X.667) with a random 32-bit number (the OID library here takes arcs of at most
//! 32 bits, so a full 128-bit UUID does not fit). An operator going to production registers an
//! arc — an IANA Private Enterprise Number, or one under 1.2.156 from the national OID registry —
//! and changes [`EVENT_BINDING`], the one place it is defined.

use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extension;

use crate::PkiError;

/// The event binding extension's OID (module documentation: a placeholder arc).
pub const EVENT_BINDING: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.25.3179520717.1");
/// id-sha256 (NIST).
pub const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// id-sm3 (GM/T 0006).
pub const OID_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401");

/// The digest algorithms an event's features may be hashed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventDigestAlgorithm {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SM3 (GB/T 32905).
    Sm3,
}

impl EventDigestAlgorithm {
    /// The stable name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sm3 => "sm3",
        }
    }

    /// The algorithm of an API name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Sha256, Self::Sm3]
            .into_iter()
            .find(|a| a.as_str() == s)
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            Self::Sha256 => OID_SHA256,
            Self::Sm3 => OID_SM3,
        }
    }
}

/// What binds an event certificate to its event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventBinding {
    /// How the features were hashed.
    pub algorithm: EventDigestAlgorithm,
    /// The digest of the event's features (32 bytes for both algorithms).
    pub digest: Vec<u8>,
}

#[derive(Sequence)]
struct EventBindingAsn1 {
    digest_algorithm: AlgorithmIdentifierOwned,
    digest: OctetString,
}

impl EventBinding {
    /// A binding, refused unless the digest has the algorithm's length.
    pub fn new(algorithm: EventDigestAlgorithm, digest: Vec<u8>) -> Result<Self, PkiError> {
        if digest.len() != 32 {
            return Err(PkiError::Invalid(format!(
                "an {} digest is 32 bytes (64 hex digits), not {}",
                algorithm.as_str(),
                digest.len()
            )));
        }
        Ok(Self { algorithm, digest })
    }

    /// The extension an event certificate carries (non-critical).
    pub fn extension(&self) -> Result<Extension, PkiError> {
        let value = EventBindingAsn1 {
            digest_algorithm: AlgorithmIdentifierOwned {
                oid: self.algorithm.oid(),
                parameters: None,
            },
            digest: OctetString::new(self.digest.clone())?,
        }
        .to_der()?;
        Ok(Extension {
            extn_id: EVENT_BINDING,
            critical: false,
            extn_value: OctetString::new(value)?,
        })
    }

    /// The binding a certificate (DER) carries, if any: `Ok(None)` for a certificate without the
    /// extension, an error for one whose extension is malformed or names another digest.
    pub fn of_certificate(cert_der: &[u8]) -> Result<Option<Self>, PkiError> {
        let cert = x509_cert::Certificate::from_der(cert_der)
            .map_err(|e| PkiError::Invalid(format!("not a DER certificate: {e}")))?;
        let Some(ext) = cert
            .tbs_certificate()
            .extensions()
            .into_iter()
            .flatten()
            .find(|e| e.extn_id == EVENT_BINDING)
        else {
            return Ok(None);
        };
        let v = EventBindingAsn1::from_der(ext.extn_value.as_bytes())
            .map_err(|e| PkiError::Invalid(format!("the event binding is malformed: {e}")))?;
        let algorithm = [EventDigestAlgorithm::Sha256, EventDigestAlgorithm::Sm3]
            .into_iter()
            .find(|a| a.oid() == v.digest_algorithm.oid)
            .ok_or_else(|| {
                PkiError::Invalid("the event binding names an unknown digest algorithm".into())
            })?;
        Self::new(algorithm, v.digest.as_bytes().to_vec()).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_lengths_are_checked() {
        for n in [0, 31, 33, 64] {
            let err = EventBinding::new(EventDigestAlgorithm::Sm3, vec![0; n]).unwrap_err();
            assert!(err.to_string().contains("32 bytes"), "{err}");
        }
        assert!(EventBinding::new(EventDigestAlgorithm::Sha256, vec![7; 32]).is_ok());
        assert_eq!(
            EventDigestAlgorithm::parse("sm3"),
            Some(EventDigestAlgorithm::Sm3)
        );
        assert_eq!(EventDigestAlgorithm::parse("md5"), None);
    }

    #[test]
    fn the_extension_is_non_critical_der() {
        let b = EventBinding::new(EventDigestAlgorithm::Sha256, vec![0xab; 32]).unwrap();
        let ext = b.extension().unwrap();
        assert!(!ext.critical);
        // SEQUENCE { SEQUENCE { OID sha256 }, OCTET STRING (32) }
        let v = ext.extn_value.as_bytes();
        assert_eq!(&v[..4], &[0x30, 0x2f, 0x30, 0x0b]);
        assert_eq!(&v[v.len() - 34..v.len() - 32], &[0x04, 0x20]);
    }
}
