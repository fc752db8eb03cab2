//! Errors of the key stores. Messages never carry key material, PINs or the message signed.

use crate::KeyAlgorithm;

/// What went wrong with a key or a signature.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// No key of that identifier in this store.
    #[error("no key {0} in this key store")]
    UnknownKey(String),
    /// The key was destroyed (CERT-3: a one-time key after its event).
    #[error("key {0} was destroyed")]
    Destroyed(String),
    /// The store cannot do this algorithm (a PKCS#11 token without SM2, say).
    #[error("the {store} key store does not offer {algorithm}")]
    Unsupported {
        /// `software` or `pkcs11`.
        store: &'static str,
        /// The algorithm asked for.
        algorithm: KeyAlgorithm,
    },
    /// A public key, signature or algorithm identifier that cannot be read or is not allowed.
    #[error("{0}")]
    Invalid(String),
    /// A signature that does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// A stored key that cannot be opened (wrong key-encryption key, or the row was altered).
    #[error("key {0} cannot be opened: wrong key-encryption key or altered record")]
    Unseal(String),
    /// The key-store database failed.
    #[error("key store database: {0}")]
    Store(#[from] yinxin_domain::repo::StoreError),
    /// The PKCS#11 module or token failed.
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    /// Signing or key generation failed inside the primitive.
    #[error("signing failed: {0}")]
    Signing(String),
}
