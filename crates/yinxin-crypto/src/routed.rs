//! Two key stores as one: keys of the algorithms the first (an HSM over PKCS#11) offers are
//! generated there, the others (SM2 on a token without SM2 mechanisms) in the second (the
//! software store). A key id names its store (`p11:`, `sw:`), so signing and destruction go to
//! the store that holds the key.

use std::sync::Arc;

use async_trait::async_trait;

use crate::{CryptoError, KeyAlgorithm, KeyHandle, KeyId, KeyStore, Signer};

/// The first store where it can, the second otherwise.
#[derive(Debug)]
pub struct RoutedKeyStore {
    first: Arc<dyn KeyStore>,
    second: Arc<dyn KeyStore>,
}

impl RoutedKeyStore {
    /// `first` is preferred for every algorithm it supports.
    pub fn new(first: Arc<dyn KeyStore>, second: Arc<dyn KeyStore>) -> Self {
        Self { first, second }
    }

    /// Which store generates keys of `algorithm`: `pkcs11` or `software`.
    pub fn backend_for(&self, algorithm: KeyAlgorithm) -> &'static str {
        self.pick(algorithm).backend()
    }

    fn pick(&self, algorithm: KeyAlgorithm) -> &dyn KeyStore {
        if self.first.supports(algorithm) {
            self.first.as_ref()
        } else {
            self.second.as_ref()
        }
    }

    fn holder(&self, id: &KeyId) -> &dyn KeyStore {
        if id.as_str().starts_with("p11:") == (self.first.backend() == "pkcs11") {
            self.first.as_ref()
        } else {
            self.second.as_ref()
        }
    }
}

#[async_trait]
impl KeyStore for RoutedKeyStore {
    fn backend(&self) -> &'static str {
        self.first.backend()
    }

    fn supports(&self, algorithm: KeyAlgorithm) -> bool {
        self.first.supports(algorithm) || self.second.supports(algorithm)
    }

    async fn generate(
        &self,
        algorithm: KeyAlgorithm,
        label: &str,
    ) -> Result<KeyHandle, CryptoError> {
        self.pick(algorithm).generate(algorithm, label).await
    }

    async fn signer(&self, id: &KeyId) -> Result<Arc<dyn Signer>, CryptoError> {
        self.holder(id).signer(id).await
    }

    async fn destroy(&self, id: &KeyId) -> Result<(), CryptoError> {
        self.holder(id).destroy(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkcs11::{Pkcs11Config, Pkcs11KeyStore};
    use crate::software::SoftwareKeyStore;
    use crate::verify::verify_signature;
    use yinxin_store::Backend;
    use yinxin_store::testing::TestDb;
    use zeroize::Zeroizing;

    /// SM2 goes to the software store when the token (SoftHSM2) has no SM2; P-256 to the token;
    /// each key signs and is destroyed where it lives.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keys_go_where_their_algorithm_is_offered() {
        let module = std::env::var_os("TEST_PKCS11_MODULE").unwrap_or_else(|| {
            panic!("TEST_PKCS11_MODULE is not set: run scripts/ensure-softhsm (scripts/test does)")
        });
        let token: Arc<dyn KeyStore> = Arc::new(
            Pkcs11KeyStore::open(&Pkcs11Config {
                module: module.into(),
                token_label: "yinxin-test".into(),
                pin: Zeroizing::new("1234".into()),
            })
            .unwrap(),
        );
        let db = TestDb::new(Backend::Sqlite).await;
        let software: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::new(
            db.stores.signing_keys.clone(),
            Zeroizing::new([5; 32]),
        ));
        let routed = RoutedKeyStore::new(token, software);
        assert_eq!(routed.backend_for(KeyAlgorithm::EcdsaP256), "pkcs11");
        assert_eq!(routed.backend_for(KeyAlgorithm::Sm2), "software");
        for (alg, prefix) in [
            (KeyAlgorithm::EcdsaP256, "p11:"),
            (KeyAlgorithm::Sm2, "sw:"),
        ] {
            let h = routed.generate(alg, "test/routed").await.unwrap();
            assert!(h.id.as_str().starts_with(prefix), "{alg}: {}", h.id);
            let sig = routed.signer(&h.id).await.unwrap().sign(b"m").unwrap();
            verify_signature(&h.public_key_der, alg.signature_oid(), b"m", &sig).unwrap();
            routed.destroy(&h.id).await.unwrap();
            assert!(routed.signer(&h.id).await.is_err());
        }
        db.cleanup().await;
    }
}
