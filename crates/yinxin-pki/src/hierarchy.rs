//! A CA hierarchy of one algorithm (CERT-1, issue 5 §2): a self-signed root, an issuing CA under
//! it (path length 0), and the issuing CA's delegated OCSP responder and timestamping
//! certificates. Every key is generated in the given [`KeyStore`]; the root key signs only the
//! issuing CA (and the root's own CRL).

use std::time::{Duration, SystemTime};

use x509_cert::name::Name;
use yinxin_crypto::{KeyAlgorithm, KeyHandle, KeyStore};

use crate::PkiError;
use crate::cert::{CertificateSpec, Issuer, StatusUrls, issue, random_serial};
use crate::name::NameBuilder;
use crate::profile::{Profile, ProfileKind};

/// One CA-side certificate with its key.
#[derive(Clone, Debug)]
pub struct CaCertificate {
    /// The key, in the key store.
    pub key: KeyHandle,
    /// The certificate (DER).
    pub certificate_der: Vec<u8>,
    /// Its subject name.
    pub name: Name,
    /// Its serial number (big-endian bytes).
    pub serial: Vec<u8>,
    /// Which profile it was issued under.
    pub profile: ProfileKind,
}

/// A root, its issuing CA, and the issuing CA's OCSP and timestamping certificates.
#[derive(Clone, Debug)]
pub struct Hierarchy {
    /// The algorithm of every key in it.
    pub algorithm: KeyAlgorithm,
    /// The self-signed root.
    pub root: CaCertificate,
    /// The issuing CA (signs subscriber certificates and its CRL).
    pub issuing: CaCertificate,
    /// The issuing CA's delegated OCSP responder.
    pub ocsp: CaCertificate,
    /// The timestamp authority's certificate, issued by the issuing CA.
    pub tsa: CaCertificate,
}

/// How the hierarchy's names and URLs are made.
#[derive(Clone, Debug)]
pub struct HierarchySpec {
    /// The algorithm.
    pub algorithm: KeyAlgorithm,
    /// The operator's organization name (O=).
    pub organization: String,
    /// A short label in the common names (`SM2`, `ECC`).
    pub label: String,
    /// Status URLs written into certificates the root issues (the root's CRL).
    pub root_urls: StatusUrls,
    /// Status URLs written into certificates the issuing CA issues.
    pub issuing_urls: StatusUrls,
}

fn ca_name(spec: &HierarchySpec, what: &str) -> Result<Name, PkiError> {
    // X.520 bounds O and CN to 64 characters: a long operator name stays whole in O (cut at 64)
    // and the CN drops it rather than fail.
    let organization: String = spec.organization.chars().take(64).collect();
    let full = format!("{} {} {what}", spec.organization, spec.label);
    let cn = if full.chars().count() <= 64 {
        full
    } else {
        format!("{} {what}", spec.label)
    };
    NameBuilder::new()
        .country("CN")
        .organization(&organization)
        .common_name(&cn)
        .build()
}

async fn one(
    store: &dyn KeyStore,
    spec: &HierarchySpec,
    kind: ProfileKind,
    what: &str,
    issuer: Option<&Issuer<'_>>,
    now: SystemTime,
) -> Result<CaCertificate, PkiError> {
    let profile = Profile::builtin(kind);
    let key = store
        .generate(
            spec.algorithm,
            &format!("ca/{}/{}", spec.algorithm, kind.as_str()),
        )
        .await?;
    let name = ca_name(spec, what)?;
    let self_signer = match issuer {
        None => Some(store.signer(&key.id).await?),
        Some(_) => None,
    };
    let serial = random_serial()?;
    let serial_bytes = serial.as_bytes().to_vec();
    let (_, der) = issue(
        &CertificateSpec {
            profile: &profile,
            subject: name.clone(),
            subject_public_key: &key.public_key_der,
            // A minute back, for relying parties whose clocks run a little slow.
            not_before: now - Duration::from_secs(60),
            validity: profile.default_validity,
            extra_extensions: Vec::new(),
        },
        issuer,
        self_signer.as_deref(),
        serial,
    )?;
    Ok(CaCertificate {
        key,
        certificate_der: der,
        name,
        serial: serial_bytes,
        profile: kind,
    })
}

/// An issuing CA with its delegated OCSP responder and timestamping certificates: what a
/// rotation adds under an existing root.
#[derive(Clone, Debug)]
pub struct IssuingSet {
    /// The issuing CA.
    pub issuing: CaCertificate,
    /// Its delegated OCSP responder.
    pub ocsp: CaCertificate,
    /// The timestamp authority's certificate, issued by it.
    pub tsa: CaCertificate,
}

fn check_supported(store: &dyn KeyStore, algorithm: KeyAlgorithm) -> Result<(), PkiError> {
    if store.supports(algorithm) {
        Ok(())
    } else {
        Err(yinxin_crypto::CryptoError::Unsupported {
            store: store.backend(),
            algorithm,
        }
        .into())
    }
}

/// Creates a hierarchy: four keys in `store`, four certificates. Nothing is recorded here; the
/// caller stores the result in one transaction.
pub async fn create_hierarchy(
    store: &dyn KeyStore,
    spec: &HierarchySpec,
    now: SystemTime,
) -> Result<Hierarchy, PkiError> {
    check_supported(store, spec.algorithm)?;
    let root = one(store, spec, ProfileKind::RootCa, "Root CA", None, now).await?;
    let root_signer = store.signer(&root.key.id).await?;
    let by_root = Issuer {
        name: root.name.clone(),
        signer: root_signer.as_ref(),
        urls: Some(spec.root_urls.clone()),
    };
    let IssuingSet { issuing, ocsp, tsa } = create_issuing(store, spec, &by_root, 1, now).await?;
    Ok(Hierarchy {
        algorithm: spec.algorithm,
        root,
        issuing,
        ocsp,
        tsa,
    })
}

/// Creates issuing CA number `number` (`… Issuing CA 2`) under the root that `root` signs for,
/// with its OCSP responder and TSA certificates: three new keys in `store`, whose certificates
/// carry `spec.issuing_urls`. Nothing is recorded here.
pub async fn create_issuing(
    store: &dyn KeyStore,
    spec: &HierarchySpec,
    root: &Issuer<'_>,
    number: u32,
    now: SystemTime,
) -> Result<IssuingSet, PkiError> {
    check_supported(store, spec.algorithm)?;
    let issuing = one(
        store,
        spec,
        ProfileKind::IssuingCa,
        &format!("Issuing CA {number}"),
        Some(root),
        now,
    )
    .await?;
    let issuing_signer = store.signer(&issuing.key.id).await?;
    let by_issuing = Issuer {
        name: issuing.name.clone(),
        signer: issuing_signer.as_ref(),
        urls: Some(spec.issuing_urls.clone()),
    };
    let ocsp = one(
        store,
        spec,
        ProfileKind::OcspResponder,
        "OCSP Responder",
        Some(&by_issuing),
        now,
    )
    .await?;
    let tsa = one(
        store,
        spec,
        ProfileKind::Timestamping,
        "Timestamp Authority",
        Some(&by_issuing),
        now,
    )
    .await?;
    Ok(IssuingSet { issuing, ocsp, tsa })
}

/// The service's evidence-report signer under the issuing CA that `issuing` signs for (EVID-2):
/// a new key in `store` and its certificate (documentSigning), carrying `spec.issuing_urls`.
pub async fn create_evidence_signer(
    store: &dyn KeyStore,
    spec: &HierarchySpec,
    issuing: &Issuer<'_>,
    now: SystemTime,
) -> Result<CaCertificate, PkiError> {
    check_supported(store, spec.algorithm)?;
    one(
        store,
        spec,
        ProfileKind::EvidenceSigning,
        "Evidence Report Signer",
        Some(issuing),
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{openssl, sw_store, test_spec, verify_chain, write_pem};
    use yinxin_crypto::Signer;
    use yinxin_crypto::software::SoftwareKey;

    /// Root → issuing CA → leaf, OCSP and TSA certificates of each algorithm, made with keys in
    /// `store`, verified by OpenSSL (SM2 with the GM/T 0009 default distinguishing ID).
    async fn check_hierarchies(store: &dyn KeyStore, algorithms: &[KeyAlgorithm]) {
        let dir = tempfile::tempdir().unwrap();
        for &alg in algorithms {
            let spec = test_spec(alg);
            let h = create_hierarchy(store, &spec, SystemTime::now())
                .await
                .unwrap();
            let issuing_signer = store.signer(&h.issuing.key.id).await.unwrap();
            let subscriber = SoftwareKey::generate(alg).unwrap();
            let profile = Profile::builtin(ProfileKind::PersonalSigning);
            let (_, leaf) = issue(
                &CertificateSpec {
                    profile: &profile,
                    subject: NameBuilder::new()
                        .country("CN")
                        .common_name("张三")
                        .build()
                        .unwrap(),
                    subject_public_key: subscriber.public_key_der(),
                    not_before: SystemTime::now(),
                    validity: profile.default_validity,
                    extra_extensions: vec![],
                },
                Some(&Issuer {
                    name: h.issuing.name.clone(),
                    signer: issuing_signer.as_ref(),
                    urls: Some(spec.issuing_urls.clone()),
                }),
                None,
                random_serial().unwrap(),
            )
            .unwrap();
            let p = |n: &str| dir.path().join(format!("{alg}-{n}.pem"));
            write_pem(&p("root"), &h.root.certificate_der);
            write_pem(&p("issuing"), &h.issuing.certificate_der);
            write_pem(&p("leaf"), &leaf);
            write_pem(&p("ocsp"), &h.ocsp.certificate_der);
            write_pem(&p("tsa"), &h.tsa.certificate_der);
            for which in ["leaf", "ocsp", "tsa"] {
                let out = verify_chain(alg, &p("root"), &p("issuing"), &p(which), which == "tsa");
                assert!(out.contains(": OK"), "{alg} {which}: {out}");
            }
            let text = openssl(&[
                "x509",
                "-noout",
                "-text",
                "-in",
                &p("leaf").display().to_string(),
            ]);
            assert!(text.contains("CRL Distribution Points"), "{text}");
            assert!(
                text.contains("OCSP - URI:http://127.0.0.1:1/pki/ocsp"),
                "{text}"
            );
            assert!(
                text.contains("Digital Signature, Non Repudiation"),
                "{text}"
            );
            let ocsp = openssl(&[
                "x509",
                "-noout",
                "-text",
                "-in",
                &p("ocsp").display().to_string(),
            ]);
            assert!(
                ocsp.contains("OCSP Signing") && ocsp.contains("OCSP No Check"),
                "{ocsp}"
            );
            let tsa = openssl(&[
                "x509",
                "-noout",
                "-text",
                "-in",
                &p("tsa").display().to_string(),
            ]);
            assert!(
                tsa.contains("critical") && tsa.contains("Time Stamping"),
                "{tsa}"
            );
            // Leave the token as found (the software store's database is dropped anyway).
            for k in [&h.root.key, &h.issuing.key, &h.ocsp.key, &h.tsa.key] {
                store.destroy(&k.id).await.unwrap();
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openssl_verifies_every_hierarchy_and_leaf() {
        let (db, store) = sw_store().await;
        check_hierarchies(
            &store,
            &[
                KeyAlgorithm::Sm2,
                KeyAlgorithm::EcdsaP256,
                KeyAlgorithm::EcdsaP384,
                KeyAlgorithm::Rsa2048,
                KeyAlgorithm::Ed25519,
            ],
        )
        .await;
        db.cleanup().await;
    }

    /// The same issuance with every CA key on a PKCS#11 token (SoftHSM2, set up by
    /// scripts/ensure-softhsm); SM2 is refused there because SoftHSM2 has no SM2 mechanism.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_same_hierarchies_with_ca_keys_on_a_pkcs11_token() {
        use yinxin_crypto::pkcs11::{Pkcs11Config, Pkcs11KeyStore};
        let how = "run `export SOFTHSM2_CONF=$(scripts/ensure-softhsm | tail -n 1) \
                   TEST_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so` first (scripts/test does)";
        let module = std::env::var_os("TEST_PKCS11_MODULE")
            .unwrap_or_else(|| panic!("TEST_PKCS11_MODULE is not set: {how}"));
        let store = Pkcs11KeyStore::open(&Pkcs11Config {
            module: module.into(),
            token_label: "yinxin-test".into(),
            pin: zeroize::Zeroizing::new("1234".into()),
        })
        .unwrap();
        check_hierarchies(
            &store,
            &[
                KeyAlgorithm::EcdsaP256,
                KeyAlgorithm::EcdsaP384,
                KeyAlgorithm::Rsa2048,
                KeyAlgorithm::Ed25519,
            ],
        )
        .await;
        let spec = test_spec(KeyAlgorithm::Sm2);
        let err = create_hierarchy(&store, &spec, SystemTime::now())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("does not offer sm2"), "{err}");
    }

    /// A certificate whose signature was altered fails OpenSSL's check, for every algorithm (so
    /// the test above can fail).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openssl_refuses_an_altered_signature() {
        let (db, store) = sw_store().await;
        let dir = tempfile::tempdir().unwrap();
        for alg in [
            KeyAlgorithm::Sm2,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::Ed25519,
        ] {
            let spec = test_spec(alg);
            let h = create_hierarchy(&store, &spec, SystemTime::now())
                .await
                .unwrap();
            let mut altered = h.ocsp.certificate_der.clone();
            // The signature BIT STRING ends the certificate: change its last bit of r‖s / s.
            *altered.last_mut().unwrap() ^= 0x01;
            let p = |n: &str| dir.path().join(format!("{alg}-{n}.pem"));
            write_pem(&p("root"), &h.root.certificate_der);
            write_pem(&p("issuing"), &h.issuing.certificate_der);
            write_pem(&p("ocsp"), &h.ocsp.certificate_der);
            write_pem(&p("altered"), &altered);
            let good = verify_chain(alg, &p("root"), &p("issuing"), &p("ocsp"), false);
            assert!(good.contains(": OK"), "{alg}: {good}");
            let bad = verify_chain(alg, &p("root"), &p("issuing"), &p("altered"), false);
            assert!(!bad.contains(": OK"), "{alg}: {bad}");
            assert!(bad.contains("signature failure"), "{alg}: {bad}");
        }
        db.cleanup().await;
    }

    #[test]
    fn validity_beyond_the_profile_is_refused() {
        let key = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let profile = Profile::builtin(ProfileKind::Event);
        let err = issue(
            &CertificateSpec {
                profile: &profile,
                subject: NameBuilder::new().common_name("x").build().unwrap(),
                subject_public_key: key.public_key_der(),
                not_before: SystemTime::now(),
                validity: Duration::from_secs(2 * 24 * 3600),
                extra_extensions: vec![],
            },
            None,
            Some(&key),
            random_serial().unwrap(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("at most 86400 seconds"), "{err}");
    }
}
