//! The encrypted software key store (the default): keys are generated in this process, their
//! PKCS#8 encoding sealed with AES-256-GCM under a key-encryption key (KEK) the caller supplies,
//! and stored through [`SigningKeyRepo`]. The sealed blob is `0x01 ‖ nonce(12) ‖ ciphertext ‖
//! tag(16)`; its associated data binds the key id and algorithm, so a sealed key moved to another
//! row, or relabelled as another algorithm, does not open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use async_trait::async_trait;
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use signature::Signer as _;
use yinxin_domain::keys::{SigningKeyRepo, StoredSigningKey};
use zeroize::Zeroizing;

use crate::algorithm::SM2_DEFAULT_DISTID;
use crate::{CryptoError, KeyAlgorithm, KeyHandle, KeyId, KeyStore, Signer};

const SEAL_VERSION: u8 = 1;
const ID_PREFIX: &str = "sw:";

/// A P-256 key: RustCrypto's (encoding, the public key) and the same key loaded into ring,
/// which signs (its assembly arithmetic signs in a third of the time; every certificate and every
/// signed OCSP response is one signature). ring does not wipe its copy on drop; RustCrypto's is
/// wiped.
struct P256Key {
    key: p256::ecdsa::SigningKey,
    ring: ring::signature::EcdsaKeyPair,
}

impl P256Key {
    fn new(key: p256::ecdsa::SigningKey) -> Result<Self, CryptoError> {
        let private = Zeroizing::new(key.to_bytes());
        let ring = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            private.as_slice(),
            key.verifying_key().to_sec1_point(false).as_ref(),
            &ring::rand::SystemRandom::new(),
        )
        .map_err(|e| CryptoError::Signing(format!("p256 key: {e}")))?;
        Ok(Self { key, ring })
    }
}

/// The private half of a software key.
enum Private {
    Sm2(Box<sm2::dsa::SigningKey>),
    P256(Box<P256Key>),
    P384(Box<p384::ecdsa::SigningKey>),
    Rsa(Box<rsa::pkcs1v15::SigningKey<sha2_011::Sha256>>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// A private key held in memory (and zeroized on drop by the primitives' own types).
pub struct SoftwareKey {
    algorithm: KeyAlgorithm,
    public_key_der: Vec<u8>,
    private: Private,
}

impl std::fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SoftwareKey({})", self.algorithm)
    }
}

fn rng_failed(e: getrandom::Error) -> CryptoError {
    CryptoError::Signing(format!("operating system RNG: {e}"))
}

fn enc<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> CryptoError {
    move |e| CryptoError::Signing(format!("{what}: {e}"))
}

impl SoftwareKey {
    /// Generates a fresh key from the operating system's RNG.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, CryptoError> {
        use sm2::elliptic_curve::Generate;
        let private = match algorithm {
            KeyAlgorithm::Sm2 => {
                let secret = sm2::SecretKey::try_generate().map_err(rng_failed)?;
                Private::Sm2(Box::new(
                    sm2::dsa::SigningKey::new(SM2_DEFAULT_DISTID, &secret)
                        .map_err(enc("sm2 key"))?,
                ))
            }
            KeyAlgorithm::EcdsaP256 => Private::P256(Box::new(P256Key::new(
                p256::ecdsa::SigningKey::try_generate().map_err(rng_failed)?,
            )?)),
            KeyAlgorithm::EcdsaP384 => Private::P384(Box::new(
                p384::ecdsa::SigningKey::try_generate().map_err(rng_failed)?,
            )),
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                let bits = algorithm.rsa_bits().unwrap_or(3072);
                let key =
                    rsa::PrivateKey::new(&mut getrandom::SysRng, bits).map_err(enc("rsa key"))?;
                Private::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(key)))
            }
            KeyAlgorithm::Ed25519 => {
                let mut seed = Zeroizing::new([0u8; 32]);
                getrandom::fill(seed.as_mut()).map_err(rng_failed)?;
                Private::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
        };
        Self::assemble(algorithm, private)
    }

    fn assemble(algorithm: KeyAlgorithm, private: Private) -> Result<Self, CryptoError> {
        let public = match &private {
            Private::Sm2(k) => k.verifying_key().to_public_key_der(),
            Private::P256(k) => k.key.verifying_key().to_public_key_der(),
            Private::P384(k) => k.verifying_key().to_public_key_der(),
            Private::Rsa(k) => k.as_ref().as_ref().to_public_key().to_public_key_der(),
            Private::Ed25519(k) => k.verifying_key().to_public_key_der(),
        }
        .map_err(enc("public key"))?;
        Ok(Self {
            algorithm,
            public_key_der: public.as_bytes().to_vec(),
            private,
        })
    }

    /// The PKCS#8 encoding of the private key, in a buffer wiped on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let doc = match &self.private {
            Private::Sm2(k) => sm2::SecretKey::from_bytes(&k.to_bytes())
                .map_err(enc("sm2 key"))?
                .to_pkcs8_der(),
            Private::P256(k) => k.key.to_pkcs8_der(),
            Private::P384(k) => k.to_pkcs8_der(),
            Private::Rsa(k) => k.as_ref().as_ref().to_pkcs8_der(),
            Private::Ed25519(k) => k.to_pkcs8_der(),
        }
        .map_err(enc("pkcs8"))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// A key of `algorithm` from its PKCS#8 encoding. An RSA key of another size than the
    /// algorithm names is refused.
    pub fn from_pkcs8_der(algorithm: KeyAlgorithm, der: &[u8]) -> Result<Self, CryptoError> {
        let bad = |e: pkcs8::Error| CryptoError::Invalid(format!("PKCS#8 {algorithm} key: {e}"));
        let private = match algorithm {
            KeyAlgorithm::Sm2 => {
                let secret = sm2::SecretKey::from_pkcs8_der(der).map_err(bad)?;
                Private::Sm2(Box::new(
                    sm2::dsa::SigningKey::new(SM2_DEFAULT_DISTID, &secret)
                        .map_err(enc("sm2 key"))?,
                ))
            }
            KeyAlgorithm::EcdsaP256 => Private::P256(Box::new(P256Key::new(
                p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(bad)?,
            )?)),
            KeyAlgorithm::EcdsaP384 => Private::P384(Box::new(
                p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(bad)?,
            )),
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                let key = rsa::PrivateKey::from_pkcs8_der(der).map_err(bad)?;
                let bits = rsa::traits::PublicKeyParts::n(&key).bit_width() as usize;
                if Some(bits) != algorithm.rsa_bits() {
                    return Err(CryptoError::Invalid(format!(
                        "an {algorithm} key has a {} bit modulus, not {bits}",
                        algorithm.rsa_bits().unwrap_or(0)
                    )));
                }
                Private::Rsa(Box::new(rsa::pkcs1v15::SigningKey::new(key)))
            }
            KeyAlgorithm::Ed25519 => Private::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(bad)?,
            )),
        };
        Self::assemble(algorithm, private)
    }
}

impl Signer for SoftwareKey {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let failed = |e: signature::Error| CryptoError::Signing(e.to_string());
        Ok(match &self.private {
            // GM/T 0009: the signature travels as DER SEQUENCE { r, s }, not the raw r‖s.
            Private::Sm2(k) => k.try_sign(message).map_err(failed)?.to_der().to_vec(),
            // DER ECDSA-Sig-Value, as RustCrypto's `to_der` gives it.
            Private::P256(k) => k
                .ring
                .sign(&ring::rand::SystemRandom::new(), message)
                .map_err(|_| CryptoError::Signing("p256 signature".into()))?
                .as_ref()
                .to_vec(),
            Private::P384(k) => {
                let s: p384::ecdsa::Signature = k.try_sign(message).map_err(failed)?;
                s.to_der().as_bytes().to_vec()
            }
            Private::Rsa(k) => {
                use signature::SignatureEncoding;
                k.try_sign(message).map_err(failed)?.to_vec()
            }
            Private::Ed25519(k) => k.try_sign(message).map_err(failed)?.to_bytes().to_vec(),
        })
    }
}

/// The default key store: sealed keys in the key-store database (module documentation).
pub struct SoftwareKeyStore {
    repo: Arc<dyn SigningKeyRepo>,
    kek: Zeroizing<[u8; 32]>,
    /// Opened keys, so that a CA key is unsealed once, not per signature.
    open: Mutex<HashMap<KeyId, Arc<SoftwareKey>>>,
}

impl std::fmt::Debug for SoftwareKeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SoftwareKeyStore")
    }
}

fn aad(id: &str, algorithm: KeyAlgorithm) -> Vec<u8> {
    format!("yinxin/signing-key/v1|{id}|{algorithm}").into_bytes()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl SoftwareKeyStore {
    /// A store over `repo` whose keys are sealed under `kek`. The same KEK must be given on every
    /// start (the binary derives it from the vault root, which survives master-key rotation).
    pub fn new(repo: Arc<dyn SigningKeyRepo>, kek: Zeroizing<[u8; 32]>) -> Self {
        Self {
            repo,
            kek,
            open: Mutex::new(HashMap::new()),
        }
    }

    fn cipher(&self) -> Result<Aes256Gcm, CryptoError> {
        Aes256Gcm::new_from_slice(self.kek.as_ref())
            .map_err(|_| CryptoError::Signing("key-encryption key".into()))
    }

    fn seal(&self, id: &str, key: &SoftwareKey) -> Result<Vec<u8>, CryptoError> {
        let der = key.to_pkcs8_der()?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(rng_failed)?;
        let sealed = self
            .cipher()?
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: der.as_slice(),
                    aad: &aad(id, key.algorithm),
                },
            )
            .map_err(|_| CryptoError::Signing("sealing failed".into()))?;
        Ok([&[SEAL_VERSION][..], &nonce, &sealed].concat())
    }

    fn unseal(&self, row: &StoredSigningKey, sealed: &[u8]) -> Result<SoftwareKey, CryptoError> {
        let algorithm = KeyAlgorithm::parse(&row.algorithm)
            .ok_or_else(|| CryptoError::Unseal(row.id.clone()))?;
        let (version, rest) = sealed
            .split_first()
            .ok_or_else(|| CryptoError::Unseal(row.id.clone()))?;
        if *version != SEAL_VERSION || rest.len() < 12 + 16 {
            return Err(CryptoError::Unseal(row.id.clone()));
        }
        let (nonce, ct) = rest.split_at(12);
        let der = Zeroizing::new(
            self.cipher()?
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: ct,
                        aad: &aad(&row.id, algorithm),
                    },
                )
                .map_err(|_| CryptoError::Unseal(row.id.clone()))?,
        );
        let key = SoftwareKey::from_pkcs8_der(algorithm, &der)
            .map_err(|_| CryptoError::Unseal(row.id.clone()))?;
        if key.public_key_der != row.public_key {
            return Err(CryptoError::Unseal(row.id.clone()));
        }
        Ok(key)
    }

    fn cached(&self, id: &KeyId) -> Option<Arc<SoftwareKey>> {
        self.open.lock().ok().and_then(|m| m.get(id).cloned())
    }
}

#[async_trait]
impl KeyStore for SoftwareKeyStore {
    fn backend(&self) -> &'static str {
        "software"
    }

    fn supports(&self, _algorithm: KeyAlgorithm) -> bool {
        true
    }

    async fn generate(
        &self,
        algorithm: KeyAlgorithm,
        label: &str,
    ) -> Result<KeyHandle, CryptoError> {
        // RSA generation takes hundreds of milliseconds: keep it off the async workers.
        let key = tokio::task::spawn_blocking(move || SoftwareKey::generate(algorithm))
            .await
            .map_err(|e| CryptoError::Signing(format!("key generation task: {e}")))??;
        let id = format!("{ID_PREFIX}{}", uuid::Uuid::now_v7());
        let row = StoredSigningKey {
            id: id.clone(),
            algorithm: algorithm.as_str().to_owned(),
            label: label.to_owned(),
            public_key: key.public_key_der.clone(),
            sealed_private_key: Some(self.seal(&id, &key)?),
            created_at: now(),
            destroyed_at: None,
        };
        self.repo.insert_signing_key(&row).await?;
        let handle = KeyHandle {
            id: KeyId::new(id),
            algorithm,
            public_key_der: key.public_key_der.clone(),
            token_serial: None,
        };
        if let Ok(mut open) = self.open.lock() {
            open.insert(handle.id.clone(), Arc::new(key));
        }
        Ok(handle)
    }

    async fn signer(&self, id: &KeyId) -> Result<Arc<dyn Signer>, CryptoError> {
        if let Some(key) = self.cached(id) {
            return Ok(key);
        }
        if !id.as_str().starts_with(ID_PREFIX) {
            return Err(CryptoError::UnknownKey(id.to_string()));
        }
        let row = self
            .repo
            .signing_key(id.as_str())
            .await?
            .ok_or_else(|| CryptoError::UnknownKey(id.to_string()))?;
        let sealed = row
            .sealed_private_key
            .as_deref()
            .ok_or_else(|| CryptoError::Destroyed(id.to_string()))?;
        let key = Arc::new(self.unseal(&row, sealed)?);
        if let Ok(mut open) = self.open.lock() {
            open.insert(id.clone(), key.clone());
        }
        Ok(key)
    }

    async fn destroy(&self, id: &KeyId) -> Result<(), CryptoError> {
        if let Ok(mut open) = self.open.lock() {
            open.remove(id);
        }
        if self.repo.signing_key(id.as_str()).await?.is_none() {
            return Err(CryptoError::UnknownKey(id.to_string()));
        }
        self.repo.destroy_signing_key(id.as_str(), now()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yinxin_store::backend_tests;
    use yinxin_store::testing::TestDb;

    fn kek(b: u8) -> Zeroizing<[u8; 32]> {
        Zeroizing::new([b; 32])
    }

    async fn keys_survive_a_restart_and_open_only_with_their_kek(db: &TestDb) {
        let repo = db.stores.signing_keys.clone();
        let store = SoftwareKeyStore::new(repo.clone(), kek(7));
        for alg in [
            KeyAlgorithm::Sm2,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::Ed25519,
        ] {
            let h = store.generate(alg, "test/restart").await.unwrap();
            assert!(h.id.as_str().starts_with("sw:"));
            let sig = store.signer(&h.id).await.unwrap().sign(b"m").unwrap();
            crate::verify::verify_signature(&h.public_key_der, alg.signature_oid(), b"m", &sig)
                .unwrap();

            // A new store over the same database (a restart) opens it; the private key in the row
            // is not the plaintext PKCS#8.
            let again = SoftwareKeyStore::new(repo.clone(), kek(7));
            let signer = again.signer(&h.id).await.unwrap();
            assert_eq!(signer.public_key_der(), h.public_key_der.as_slice());
            let row = repo.signing_key(h.id.as_str()).await.unwrap().unwrap();
            let sealed = row.sealed_private_key.clone().unwrap();
            let plain = SoftwareKey::from_pkcs8_der(
                alg,
                &again.unseal(&row, &sealed).unwrap().to_pkcs8_der().unwrap(),
            )
            .unwrap()
            .to_pkcs8_der()
            .unwrap();
            assert!(!sealed.windows(plain.len()).any(|w| w == plain.as_slice()));

            // Another KEK does not open it, and says which key without saying more.
            let wrong = SoftwareKeyStore::new(repo.clone(), kek(8));
            let err = wrong.signer(&h.id).await.unwrap_err();
            assert!(matches!(err, CryptoError::Unseal(_)), "{err}");
        }
    }

    async fn a_sealed_key_moved_to_another_row_does_not_open(db: &TestDb) {
        let repo = db.stores.signing_keys.clone();
        let store = SoftwareKeyStore::new(repo.clone(), kek(1));
        let a = store.generate(KeyAlgorithm::EcdsaP256, "a").await.unwrap();
        let row = repo.signing_key(a.id.as_str()).await.unwrap().unwrap();
        let moved = StoredSigningKey {
            id: "sw:moved".into(),
            ..row
        };
        repo.insert_signing_key(&moved).await.unwrap();
        let fresh = SoftwareKeyStore::new(repo.clone(), kek(1));
        let err = fresh.signer(&KeyId::new("sw:moved")).await.unwrap_err();
        assert!(matches!(err, CryptoError::Unseal(_)), "{err}");
    }

    async fn destroyed_keys_stay_destroyed_and_the_destruction_is_recorded(db: &TestDb) {
        let repo = db.stores.signing_keys.clone();
        let store = SoftwareKeyStore::new(repo.clone(), kek(2));
        let h = store
            .generate(KeyAlgorithm::EcdsaP256, "event/x")
            .await
            .unwrap();
        store.signer(&h.id).await.unwrap();
        store.destroy(&h.id).await.unwrap();
        store.destroy(&h.id).await.unwrap();
        let err = store.signer(&h.id).await.unwrap_err();
        assert!(matches!(err, CryptoError::Destroyed(_)), "{err}");
        let row = repo.signing_key(h.id.as_str()).await.unwrap().unwrap();
        assert!(row.sealed_private_key.is_none());
        assert!(row.destroyed_at.is_some());
        let unknown = store.signer(&KeyId::new("sw:nope")).await.unwrap_err();
        assert!(matches!(unknown, CryptoError::UnknownKey(_)), "{unknown}");
        let foreign = store.signer(&KeyId::new("p11:00")).await.unwrap_err();
        assert!(matches!(foreign, CryptoError::UnknownKey(_)), "{foreign}");
        assert!(matches!(
            store.destroy(&KeyId::new("sw:nope")).await,
            Err(CryptoError::UnknownKey(_))
        ));
    }

    backend_tests!(
        keys_survive_a_restart_and_open_only_with_their_kek,
        a_sealed_key_moved_to_another_row_does_not_open,
        destroyed_keys_stay_destroyed_and_the_destruction_is_recorded,
    );
}
