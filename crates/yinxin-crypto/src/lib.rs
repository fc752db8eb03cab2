//! Signing keys for the certificate authority, the OCSP responder, the timestamp authority and the
//! evidence log, behind one [`KeyStore`] seam with two real back ends (CERT-1, CERT-10):
//!
//! - [`software::SoftwareKeyStore`] — the default: keys generated here, their PKCS#8 encoding
//!   sealed with AES-256-GCM under a key-encryption key the caller supplies (the binary derives it
//!   from the vault root), stored through [`yinxin_domain::keys::SigningKeyRepo`] in the key-store
//!   database. The private key never reaches the database, a log or an error in plaintext.
//! - [`pkcs11::Pkcs11KeyStore`] — a PKCS#11 token (tested with SoftHSM2): keys are generated on
//!   the token as sensitive and non-extractable, and every signature is made by the token.
//! - [`routed::RoutedKeyStore`] — a token for what it offers, the software store for the rest
//!   (SM2 on a token without SM2).
//!
//! A [`Signer`] signs a message (it hashes itself) and returns the signature in the encoding that
//! X.509, CRLs, OCSP and CMS carry: DER `SEQUENCE { r, s }` for ECDSA and SM2 (GM/T 0009), the
//! PKCS#1 v1.5 block for RSA, the 64 raw bytes for Ed25519. [`verify::verify_signature`] checks
//! such a signature against a SubjectPublicKeyInfo, which is what a CSR check needs.

pub mod algorithm;
pub mod error;
pub mod pkcs11;
pub mod routed;
pub mod software;
pub mod verify;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

pub use algorithm::KeyAlgorithm;
pub use error::CryptoError;

/// The identifier of a key in a [`KeyStore`]. It names the back end (`sw:` or `p11:`) so that a
/// record of which key signed what says where that key lives.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Wraps a stored identifier. The prefix is not checked here: the store that is asked for a
    /// key refuses identifiers that are not its own.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a store says about a key it generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHandle {
    /// The key's identifier in its store.
    pub id: KeyId,
    /// Its algorithm.
    pub algorithm: KeyAlgorithm,
    /// Its public key as a DER SubjectPublicKeyInfo.
    pub public_key_der: Vec<u8>,
    /// The serial number of the token that holds it (PKCS#11), recorded with certificates
    /// (CERT-10); `None` for the software store.
    pub token_serial: Option<String>,
}

/// A private key that signs. Implementations hash the message themselves with the algorithm's
/// digest (SM3 with the SM2 Z value, SHA-256, SHA-384) and return the X.509 encoding of the
/// signature (see the crate documentation).
pub trait Signer: Send + Sync + fmt::Debug {
    /// The key's algorithm (and so the signature algorithm).
    fn algorithm(&self) -> KeyAlgorithm;
    /// The public key as a DER SubjectPublicKeyInfo.
    fn public_key_der(&self) -> &[u8];
    /// Signs `message`.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// Where signing keys are generated, kept and destroyed.
#[async_trait]
pub trait KeyStore: Send + Sync + fmt::Debug {
    /// `software` or `pkcs11`, for banners and records.
    fn backend(&self) -> &'static str;
    /// Whether this store can generate and use keys of `algorithm` (a token may lack SM2).
    fn supports(&self, algorithm: KeyAlgorithm) -> bool;
    /// Generates a key. `label` says what it is for (`ca/sm2/root`, `event/…`); it is stored with
    /// the key and is not secret.
    async fn generate(
        &self,
        algorithm: KeyAlgorithm,
        label: &str,
    ) -> Result<KeyHandle, CryptoError>;
    /// A signer for a key generated earlier.
    async fn signer(&self, id: &KeyId) -> Result<Arc<dyn Signer>, CryptoError>;
    /// Destroys a key for good (an event certificate's one-time key, CERT-3). Destroying a key
    /// that is already destroyed is not an error; asking for its signer afterwards is
    /// [`CryptoError::Destroyed`].
    async fn destroy(&self, id: &KeyId) -> Result<(), CryptoError>;
}
