//! Operating the CA (issue 5, `yinxin ca`): what the records hold, a new hierarchy for another
//! algorithm, and the rotation of an issuing CA under its existing root. Both write their records
//! in one transaction after every key and certificate was made; keys made for a write that then
//! fails are destroyed again, so a refused or failed command leaves nothing behind.

use std::time::SystemTime;

use sha2::{Digest, Sha256};
use yinxin_crypto::{KeyAlgorithm, KeyId, KeyStore};
use yinxin_domain::certificate::{CaRecord, CaRole, CertificateRepo};

use super::{CaConfig, CaError, CertificateAuthority, unix, urls};
use crate::cert::Issuer;
use crate::hierarchy::{
    CaCertificate, HierarchySpec, IssuingSet, create_evidence_signer, create_hierarchy,
    create_issuing,
};

/// Where a CA's private key lives (CERT-10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyLocation {
    /// The software key store, sealed in the key-store database.
    Software,
    /// A PKCS#11 token, by serial number (`None` if the record has none).
    Token(Option<String>),
}

impl std::fmt::Display for KeyLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Software => f.write_str("software store"),
            Self::Token(Some(serial)) => write!(f, "PKCS#11 token {serial}"),
            Self::Token(None) => f.write_str("PKCS#11 token (serial not recorded)"),
        }
    }
}

/// One CA as `yinxin ca show` prints it. CA records carry no PI: the names are the operator's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaInfo {
    /// `p256-issuing-1`, ….
    pub id: String,
    /// The key algorithm's stable name.
    pub algorithm: String,
    /// Its role.
    pub role: CaRole,
    /// The CA that issued it (`None` for a root).
    pub parent: Option<String>,
    /// Whether it is the one in use (a rotated-out issuing CA still answers for its
    /// certificates: CRL and OCSP).
    pub active: bool,
    /// Serial, lower-case hex.
    pub serial: String,
    /// The certificate's subject (RFC 4514).
    pub subject: String,
    /// notAfter, `YYYY-MM-DDTHH:MM:SSZ`.
    pub not_after: String,
    /// The key's id in its store.
    pub key_id: String,
    /// Where the key lives.
    pub key_location: KeyLocation,
    /// SHA-256 of the certificate's DER, lower-case hex.
    pub fingerprint: String,
}

fn info_of(r: &CaRecord) -> Result<CaInfo, CaError> {
    let cert = <x509_cert::Certificate as der::Decode>::from_der(&r.certificate)
        .map_err(|e| CaError::Internal(format!("CA {} certificate: {e}", r.id)))?;
    let tbs = cert.tbs_certificate();
    Ok(CaInfo {
        id: r.id.clone(),
        algorithm: r.algorithm.clone(),
        role: r.role,
        parent: r.parent.clone(),
        active: r.active,
        serial: r.serial.clone(),
        subject: tbs.subject().to_string(),
        not_after: tbs.validity().not_after.to_string(),
        key_id: r.key_id.clone(),
        key_location: if r.key_id.starts_with("p11:") {
            KeyLocation::Token(r.token_serial.clone())
        } else {
            KeyLocation::Software
        },
        fingerprint: hex::encode(Sha256::digest(&r.certificate)),
    })
}

/// The id of CA number `n` of a role: `p256-issuing-2`.
pub(super) fn ca_id(alg: KeyAlgorithm, role: CaRole, n: u32) -> String {
    format!("{alg}-{}-{n}", role.as_str())
}

fn record_of(c: &CaCertificate, id: String, parent: Option<String>, role: CaRole) -> CaRecord {
    CaRecord {
        id,
        algorithm: c.key.algorithm.as_str().to_owned(),
        role,
        parent,
        key_id: c.key.id.to_string(),
        token_serial: c.key.token_serial.clone(),
        certificate: c.certificate_der.clone(),
        serial: hex::encode(&c.serial),
        created_at: 0,
        active: true,
    }
}

/// The records of issuing CA number `n` and its OCSP and TSA certificates, under `root_id`.
fn set_records(set: &IssuingSet, alg: KeyAlgorithm, root_id: &str, n: u32) -> Vec<CaRecord> {
    let issuing = ca_id(alg, CaRole::Issuing, n);
    vec![
        record_of(
            &set.issuing,
            issuing.clone(),
            Some(root_id.to_owned()),
            CaRole::Issuing,
        ),
        record_of(
            &set.ocsp,
            ca_id(alg, CaRole::Ocsp, n),
            Some(issuing.clone()),
            CaRole::Ocsp,
        ),
        record_of(
            &set.tsa,
            ca_id(alg, CaRole::Timestamping, n),
            Some(issuing),
            CaRole::Timestamping,
        ),
    ]
}

fn spec_of(config: &CaConfig, alg: KeyAlgorithm, root_id: &str, issuing_id: &str) -> HierarchySpec {
    HierarchySpec {
        algorithm: alg,
        organization: config.organization.clone(),
        label: if alg == KeyAlgorithm::Sm2 {
            "SM2".into()
        } else {
            alg.as_str().to_uppercase()
        },
        root_urls: urls(&config.public_base_url, root_id),
        issuing_urls: urls(&config.public_base_url, issuing_id),
    }
}

/// Destroys keys made for records that were not written (best effort: the error that stopped the
/// write is the one reported).
async fn discard(keys: &dyn KeyStore, made: &[&CaCertificate]) {
    for c in made {
        if let Err(e) = keys.destroy(&c.key.id).await {
            tracing::warn!(key = %c.key.id, error = %e, "a CA key made for unwritten records was not destroyed");
        }
    }
}

/// The active CA records of an algorithm.
fn active_of(records: &[CaRecord], alg: KeyAlgorithm) -> impl Iterator<Item = &CaRecord> {
    records
        .iter()
        .filter(move |r| r.active && r.algorithm == alg.as_str())
}

/// Makes a whole hierarchy of `alg` (four keys, four certificates) and records it in one
/// transaction. The caller checked that `alg` has none.
pub(super) async fn create_recorded_hierarchy(
    keys: &dyn KeyStore,
    repo: &dyn CertificateRepo,
    config: &CaConfig,
    alg: KeyAlgorithm,
) -> Result<Vec<CaRecord>, CaError> {
    let root_id = ca_id(alg, CaRole::Root, 1);
    let spec = spec_of(config, alg, &root_id, &ca_id(alg, CaRole::Issuing, 1));
    let now = SystemTime::now();
    let h = create_hierarchy(keys, &spec, now).await?;
    let set = IssuingSet {
        issuing: h.issuing.clone(),
        ocsp: h.ocsp.clone(),
        tsa: h.tsa.clone(),
    };
    let mut records = vec![record_of(&h.root, root_id.clone(), None, CaRole::Root)];
    records.extend(set_records(&set, alg, &root_id, 1));
    for r in &mut records {
        r.created_at = unix(now);
    }
    if let Err(e) = repo.insert_cas(&records).await {
        discard(keys, &[&h.root, &h.issuing, &h.ocsp, &h.tsa]).await;
        return Err(e.into());
    }
    Ok(records)
}

/// Makes and records an evidence-report signer (EVID-2) for every active issuing CA of
/// `records` that has no active one: a hierarchy made before signers existed, or an issuing CA
/// rotated in since. Each signer is recorded on its own (a failure destroys its key); the new
/// records are returned. Two nodes racing make one signer: the loser's id conflicts, its key is
/// destroyed, and the caller reads the records again.
pub(super) async fn ensure_evidence_signers(
    keys: &dyn KeyStore,
    repo: &dyn CertificateRepo,
    config: &CaConfig,
    records: &[CaRecord],
) -> Result<Vec<CaRecord>, CaError> {
    let mut made = Vec::new();
    for issuing in records
        .iter()
        .filter(|r| r.active && r.role == CaRole::Issuing)
    {
        let has = records.iter().any(|r| {
            r.active && r.role == CaRole::Evidence && r.parent.as_ref() == Some(&issuing.id)
        });
        if has {
            continue;
        }
        let alg = KeyAlgorithm::parse(&issuing.algorithm)
            .ok_or_else(|| CaError::Internal(format!("CA {} algorithm", issuing.id)))?;
        let root_id = issuing
            .parent
            .clone()
            .ok_or_else(|| CaError::Internal(format!("CA {} has no root", issuing.id)))?;
        let cert = <x509_cert::Certificate as der::Decode>::from_der(&issuing.certificate)
            .map_err(|e| CaError::Internal(format!("CA {} certificate: {e}", issuing.id)))?;
        let spec = spec_of(config, alg, &root_id, &issuing.id);
        let signer = keys.signer(&KeyId::new(&issuing.key_id)).await?;
        let now = SystemTime::now();
        let by_issuing = Issuer {
            name: cert.tbs_certificate().subject().clone(),
            signer: signer.as_ref(),
            urls: Some(spec.issuing_urls.clone()),
        };
        let c = create_evidence_signer(keys, &spec, &by_issuing, now).await?;
        // `p256-issuing-2` → `p256-evidence-2`; a later signer of the same CA gets a suffix.
        let base = issuing
            .id
            .replacen(CaRole::Issuing.as_str(), CaRole::Evidence.as_str(), 1);
        let taken = |id: &str| records.iter().any(|r| r.id == id);
        let id = (1..)
            .map(|k| {
                if k == 1 {
                    base.clone()
                } else {
                    format!("{base}.{k}")
                }
            })
            .find(|id| !taken(id))
            .unwrap_or(base);
        let mut record = record_of(&c, id, Some(issuing.id.clone()), CaRole::Evidence);
        record.created_at = unix(now);
        match repo.insert_cas(std::slice::from_ref(&record)).await {
            Ok(()) => made.push(record),
            // Another node starting at the same moment recorded its signer first: use that one.
            Err(yinxin_domain::repo::StoreError::Conflict(_)) => discard(keys, &[&c]).await,
            Err(e) => {
                discard(keys, &[&c]).await;
                return Err(e.into());
            }
        }
    }
    Ok(made)
}

impl CertificateAuthority {
    /// Every CA of every hierarchy as recorded now (not as loaded at start), oldest first.
    pub async fn ca_infos(&self) -> Result<Vec<CaInfo>, CaError> {
        self.repo.cas().await?.iter().map(info_of).collect()
    }

    /// `yinxin ca add`: a new hierarchy (root, issuing CA, OCSP responder, TSA) for an algorithm
    /// that has no active one, recorded in one transaction. A running server serves it from its
    /// next start. Refused, with nothing written, if `alg` already has one.
    pub async fn add_hierarchy(&self, alg: KeyAlgorithm) -> Result<Vec<CaRecord>, CaError> {
        let records = self.repo.cas().await?;
        if let Some(r) = active_of(&records, alg).find(|r| r.role == CaRole::Root) {
            return Err(CaError::Invalid(format!(
                "algorithm {alg} already has an active hierarchy (root {}); `yinxin ca rotate \
                 --algorithm {alg}` makes a new issuing CA under it",
                r.id
            )));
        }
        create_recorded_hierarchy(self.keys.as_ref(), self.repo.as_ref(), &self.config, alg).await
    }

    /// `yinxin ca rotate`: a new issuing CA of `alg` (a new key, its certificate signed by the
    /// existing root's key, id `ALG-issuing-N` for the next N) with its own OCSP responder and
    /// TSA certificates; the old issuing CA and its OCSP and TSA records become inactive in the
    /// same transaction. The old CA's key stays: its CRL and OCSP answers for the certificates it
    /// issued go on (a server loads retired issuing CAs for that). Returns the new records and
    /// the ids retired.
    pub async fn rotate_issuing(
        &self,
        alg: KeyAlgorithm,
    ) -> Result<(Vec<CaRecord>, Vec<String>), CaError> {
        let records = self.repo.cas().await?;
        let old = active_of(&records, alg)
            .find(|r| r.role == CaRole::Issuing)
            .ok_or_else(|| {
                CaError::Invalid(format!(
                    "algorithm {alg} has no active hierarchy to rotate; `yinxin ca add \
                     --algorithm {alg}` makes one"
                ))
            })?;
        let root = records
            .iter()
            .find(|r| Some(&r.id) == old.parent.as_ref() && r.role == CaRole::Root)
            .ok_or_else(|| CaError::Internal(format!("CA {} has no root record", old.id)))?;
        // The next number after every CA of this algorithm made so far, whatever its role.
        let prefix = format!("{alg}-");
        let n = records
            .iter()
            .filter_map(|r| r.id.strip_prefix(&prefix))
            .filter_map(|rest| rest.rsplit_once('-'))
            .filter_map(|(_, n)| n.parse::<u32>().ok())
            .max()
            .unwrap_or(0)
            + 1;
        let mut retire = vec![old.id.clone()];
        retire.extend(
            records
                .iter()
                .filter(|r| r.active && r.parent.as_ref() == Some(&old.id))
                .map(|r| r.id.clone()),
        );

        let issuing_id = ca_id(alg, CaRole::Issuing, n);
        let spec = spec_of(&self.config, alg, &root.id, &issuing_id);
        let root_cert = <x509_cert::Certificate as der::Decode>::from_der(&root.certificate)
            .map_err(|e| CaError::Internal(format!("CA {} certificate: {e}", root.id)))?;
        let root_signer = self.keys.signer(&KeyId::new(&root.key_id)).await?;
        let by_root = Issuer {
            name: root_cert.tbs_certificate().subject().clone(),
            signer: root_signer.as_ref(),
            urls: Some(spec.root_urls.clone()),
        };
        let now = SystemTime::now();
        let set = create_issuing(self.keys.as_ref(), &spec, &by_root, n, now).await?;
        let mut new = set_records(&set, alg, &root.id, n);
        for r in &mut new {
            r.created_at = unix(now);
        }
        if let Err(e) = self.repo.rotate_cas(&new, &retire).await {
            discard(self.keys.as_ref(), &[&set.issuing, &set.ocsp, &set.tsa]).await;
            return Err(e.into());
        }
        Ok((new, retire))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::ca::{Actor, IssueRequest, SubjectKey, SubjectMode, VerifiedSubject};
    use crate::crl::RevocationReason;
    use crate::profile::ProfileKind;
    use crate::testing::{openssl, openssl_request, write_pem};
    use yinxin_crypto::software::SoftwareKeyStore;
    use yinxin_domain::{AccountId, SubjectId};
    use yinxin_privacy::Cipher;
    use yinxin_privacy::master_key::MasterKey;
    use yinxin_privacy::vault::Vault;
    use yinxin_store::backend_tests;
    use yinxin_store::testing::TestDb;
    use zeroize::Zeroizing;

    async fn start(db: &TestDb, master: &MasterKey) -> CertificateAuthority {
        let vault = Vault::open(
            master,
            db.stores.keys.clone(),
            db.stores.pi.clone(),
            Cipher::default(),
        )
        .await
        .unwrap();
        let keys: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::new(
            db.stores.signing_keys.clone(),
            Zeroizing::new([5; 32]),
        ));
        let config = CaConfig {
            organization: "yinxin test".into(),
            public_base_url: "http://127.0.0.1:1/".into(),
            algorithms: vec![KeyAlgorithm::EcdsaP256],
            subject_mode: SubjectMode::KeyedHash,
            crl_validity: Duration::from_secs(3600),
        };
        CertificateAuthority::start(keys, db.stores.certificates.clone(), vault, config)
            .await
            .unwrap()
    }

    fn ids(records: &[CaRecord]) -> Vec<&str> {
        records.iter().map(|r| r.id.as_str()).collect()
    }

    /// Issue 5 on both backends: a hierarchy added for an algorithm the configuration does not
    /// name is loaded at the next start; a second one is refused with nothing written; an
    /// operator revokes with a CA-side reason (CERT-1); after a rotation and a restart the old
    /// issuing CA still signs its CRL and its responder still answers for what it issued, while
    /// issuance goes to the new one.
    async fn add_rotate_and_revoke_as_operator(db: &TestDb) {
        let master = MasterKey::generate();
        let ca = start(db, &master).await;
        let added = ca.add_hierarchy(KeyAlgorithm::EcdsaP384).await.unwrap();
        assert_eq!(
            ids(&added),
            [
                "p384-root-1",
                "p384-issuing-1",
                "p384-ocsp-1",
                "p384-timestamping-1"
            ]
        );
        // The first hierarchy's four and its evidence-report signer (EVID-2), then the new four:
        // the new issuing CA's signer is made at the next start.
        let recorded = db.stores.certificates.cas().await.unwrap();
        assert_eq!(recorded.len(), 9);
        assert!(recorded.iter().any(|r| r.id == "p256-evidence-1"
            && r.role == CaRole::Evidence
            && r.parent.as_deref() == Some("p256-issuing-1")));
        for alg in [KeyAlgorithm::EcdsaP384, KeyAlgorithm::EcdsaP256] {
            let err = ca.add_hierarchy(alg).await.unwrap_err();
            assert!(
                matches!(&err, CaError::Invalid(m) if m.contains(&format!("{alg} already has"))),
                "{err}"
            );
        }
        let err = ca.rotate_issuing(KeyAlgorithm::Ed25519).await.unwrap_err();
        assert!(
            err.to_string().contains("ed25519 has no active hierarchy"),
            "{err}"
        );
        assert_eq!(db.stores.certificates.cas().await.unwrap(), recorded);

        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        let (csr, _) = openssl_request(dir.path(), "p256");
        let subject = VerifiedSubject {
            account: AccountId::random(),
            vault_subject: SubjectId::random(),
            name: "张三".into(),
            document_number: "11010519491231002X".into(),
            enterprise: false,
            organization: None,
        };
        let request = |alg| IssueRequest {
            subject: subject.clone(),
            key: SubjectKey::Request(&csr),
            profile: ProfileKind::PersonalSigning,
            ca_algorithm: alg,
            validity: None,
            event: None,
        };
        let (rec, der) = ca.issue(request(KeyAlgorithm::EcdsaP256)).await.unwrap();
        assert_eq!(rec.ca_id, "p256-issuing-1");
        for (actor, reason, want) in [
            (
                "a b",
                RevocationReason::CaCompromise,
                "operator: is 1 to 64",
            ),
            (
                "ops",
                RevocationReason::CertificateHold,
                "not a revocation reason",
            ),
            (
                "ops",
                RevocationReason::RemoveFromCrl,
                "not a revocation reason",
            ),
        ] {
            let err = ca
                .revoke(&rec.serial, Actor::Operator(actor.into()), reason)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, CaError::Invalid(m) if m.contains(want)),
                "{err}"
            );
        }
        let revoked = ca
            .revoke(
                &rec.serial,
                Actor::Operator("ops@ca.example".into()),
                RevocationReason::CaCompromise,
            )
            .await
            .unwrap();
        let r = revoked.revocation.unwrap();
        assert_eq!(
            (r.by.as_str(), r.reason.as_str()),
            ("operator:ops@ca.example", "ca_compromise")
        );

        let old_chain = ca.chain_pem(KeyAlgorithm::EcdsaP256).unwrap();
        let (new, retired) = ca.rotate_issuing(KeyAlgorithm::EcdsaP256).await.unwrap();
        assert_eq!(
            ids(&new),
            ["p256-issuing-2", "p256-ocsp-2", "p256-timestamping-2"]
        );
        let mut retired = retired;
        retired.sort();
        assert_eq!(
            retired,
            [
                "p256-evidence-1",
                "p256-issuing-1",
                "p256-ocsp-1",
                "p256-timestamping-1"
            ]
        );

        // A restart: both hierarchies, the rotated one issuing from its new CA.
        let ca = start(db, &master).await;
        assert_eq!(
            ca.algorithms(),
            [KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384]
        );
        assert_eq!(
            ca.issuing_ca_id(KeyAlgorithm::EcdsaP256).unwrap(),
            "p256-issuing-2"
        );
        let new_chain = ca.chain_pem(KeyAlgorithm::EcdsaP256).unwrap();
        let root_of = |chain: &str| {
            chain
                .split_inclusive("-----END CERTIFICATE-----\n")
                .nth(1)
                .unwrap()
                .to_owned()
        };
        assert_eq!(root_of(&new_chain), root_of(&old_chain));
        assert_ne!(new_chain, old_chain);
        // Each active issuing CA has its one evidence-report signer; the retired one's is
        // retired with it, and another start makes none.
        let signers = |infos: Vec<CaRecord>| {
            let mut v: Vec<(String, Option<String>)> = infos
                .into_iter()
                .filter(|r| r.active && r.role == CaRole::Evidence)
                .map(|r| (r.id, r.parent))
                .collect();
            v.sort();
            v
        };
        let want = [
            (
                "p256-evidence-2".to_owned(),
                Some("p256-issuing-2".to_owned()),
            ),
            (
                "p384-evidence-1".to_owned(),
                Some("p384-issuing-1".to_owned()),
            ),
        ];
        assert_eq!(signers(db.stores.certificates.cas().await.unwrap()), want);
        let again = start(db, &master).await;
        assert_eq!(signers(db.stores.certificates.cas().await.unwrap()), want);
        let evidence = again
            .evidence_signer(KeyAlgorithm::EcdsaP256)
            .await
            .unwrap();
        assert_eq!(evidence.issuing_ca, "p256-issuing-2");
        write_pem(&p("evidence.pem"), &evidence.certificate_der);
        write_pem(&p("evidence-issuing.pem"), &evidence.chain[0]);
        write_pem(&p("evidence-root.pem"), &evidence.chain[1]);
        let s = |n: &str| p(n).display().to_string();
        let out = openssl(&[
            "verify",
            "-CAfile",
            &s("evidence-root.pem"),
            "-untrusted",
            &s("evidence-issuing.pem"),
            "-purpose",
            "any",
            &s("evidence.pem"),
        ]);
        assert!(out.contains("evidence.pem: OK"), "{out}");
        let text = openssl(&["x509", "-in", &s("evidence.pem"), "-noout", "-text"]);
        assert!(
            text.contains("Digital Signature, Non Repudiation")
                && (text.contains("1.3.6.1.5.5.7.3.36") || text.contains("Document Signing"))
                && text.contains("Evidence Report Signer"),
            "{text}"
        );

        let (later, _) = ca.issue(request(KeyAlgorithm::EcdsaP256)).await.unwrap();
        assert_eq!(later.ca_id, "p256-issuing-2");
        let (p384, _) = ca.issue(request(KeyAlgorithm::EcdsaP384)).await.unwrap();
        assert_eq!(p384.ca_id, "p384-issuing-1");

        // The old CA's CRL, signed by it, lists the revocation; its responder says revoked.
        std::fs::write(p("old-chain.pem"), &old_chain).unwrap();
        std::fs::write(
            p("old-issuing.pem"),
            old_chain
                .split_inclusive("-----END CERTIFICATE-----\n")
                .next()
                .unwrap(),
        )
        .unwrap();
        write_pem(&p("leaf.pem"), &der);
        std::fs::write(p("old.crl"), ca.crl("p256-issuing-1").await.unwrap()).unwrap();
        let s = |n: &str| p(n).display().to_string();
        let text = openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            &s("old.crl"),
            "-CAfile",
            &s("old-chain.pem"),
            "-noout",
            "-text",
        ]);
        assert!(
            text.contains("verify OK") && text.contains(&rec.serial.to_uppercase()),
            "{text}"
        );
        let out = openssl(&[
            "ocsp",
            "-issuer",
            &s("old-issuing.pem"),
            "-cert",
            &s("leaf.pem"),
            "-no_nonce",
            "-reqout",
            &s("req.der"),
        ]);
        let req = std::fs::read(p("req.der")).unwrap_or_else(|_| panic!("{out}"));
        std::fs::write(p("resp.der"), ca.ocsp(&req).await).unwrap();
        let status = openssl(&[
            "ocsp",
            "-respin",
            &s("resp.der"),
            "-issuer",
            &s("old-issuing.pem"),
            "-cert",
            &s("leaf.pem"),
            "-CAfile",
            &s("old-chain.pem"),
            "-resp_text",
        ]);
        assert!(
            status.contains("Response verify OK")
                && status.contains(": revoked")
                && status.contains("Reason: cACompromise"),
            "{status}"
        );

        // A second rotation retires the second CA only, and numbers the next one 3.
        let (new, retired) = ca.rotate_issuing(KeyAlgorithm::EcdsaP256).await.unwrap();
        assert_eq!(new[0].id, "p256-issuing-3");
        let mut retired = retired;
        retired.sort();
        assert_eq!(
            retired,
            [
                "p256-evidence-2",
                "p256-issuing-2",
                "p256-ocsp-2",
                "p256-timestamping-2"
            ]
        );
    }

    backend_tests!(add_rotate_and_revoke_as_operator);
}
