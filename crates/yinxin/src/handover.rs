//! `yinxin admin handover` (issue 8 item 12; PRIV-12, CERT-8; Electronic Signature Law arts. 23
//! and 24, PIPL art. 22; docs/TERMINATION.md): the certification records handed to the successor
//! provider in one file that only the successor opens and that proves who made it.
//!
//! The archive is a JSON document (`yinxin.handover.v1`) — the CA certificates, a fresh CRL of
//! each issuing CA, every certificate record with its DER and its holder's kept identity and
//! verifications (from custody for an erased holder), and the evidence log (every leaf, the last
//! signed checkpoint and the key that signed it) — **signed** as CMS SignedData by the service's
//! evidence-report key (EVID-2: its certificate and chain inside, so the successor checks it
//! against our root) and **enveloped** to the successor's certificate (CMS EnvelopedData,
//! `yinxin_pki::envelope`). The successor opens it with any CMS tool:
//!
//! ```text
//! openssl cms -decrypt -inform DER -in handover.p7m -recip successor.pem -inkey successor.key \
//!   | openssl cms -verify -inform DER -CAfile yinxin-root.pem -purpose any -out handover.json
//! ```
//!
//! Only in the closing mode (nothing new collected). The file is written beside its final path
//! and synced, linked into place (never over an existing file), then the handover recorded in
//! the database; a record that fails removes the archive again, so a refused or failed run
//! leaves neither. The archive never goes to the database or logs.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use serde_json::{Value, json};
use yinxin_domain::termination::Handover;

use crate::config::Config;
use crate::startup::{open, open_accounts_with, open_log, open_token, start_ca, unix_now};

/// `admin handover`, its arguments checked.
#[derive(Debug)]
pub struct HandoverRequest {
    /// The successor's certificate (PEM or DER), read already.
    pub successor_der: Vec<u8>,
    /// Where the archive goes (must not exist).
    pub out: PathBuf,
    /// Who makes it.
    pub operator: String,
    /// The evidence-report key that signs it (`p256` by default, the first one otherwise).
    pub algorithm: Option<yinxin_crypto::KeyAlgorithm>,
}

const HOLDERS_PER_BATCH: u32 = 500;
const LEAVES_PER_BATCH: u32 = 1000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads the successor's certificate: one PEM CERTIFICATE block, or DER.
pub fn read_certificate(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("--successor-certificate: cannot read {}", path.display()))?;
    match std::str::from_utf8(&bytes) {
        Ok(text) if text.contains("-----BEGIN") => {
            let blocks =
                yinxin_server::verify::pem_blocks(text, &["CERTIFICATE"]).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--successor-certificate: {} is PEM that cannot be read (a block is \
                         not base64)",
                        path.display()
                    )
                })?;
            match blocks.as_slice() {
                [one] => Ok(one.clone()),
                [] => bail!(
                    "--successor-certificate: {} holds no PEM CERTIFICATE",
                    path.display()
                ),
                _ => bail!(
                    "--successor-certificate: {} holds {} certificates; give the successor's \
                     encryption certificate alone",
                    path.display(),
                    blocks.len()
                ),
            }
        }
        _ => Ok(bytes),
    }
}

/// Makes the archive (see the module documentation).
pub async fn run(config: Config, request: HandoverRequest) -> anyhow::Result<()> {
    let now = unix_now();
    let successor = yinxin_pki::envelope::check_recipient(&request.successor_der, now)
        .map_err(|e| anyhow::anyhow!("--successor-certificate: {e}"))?;
    if request.out.exists() {
        bail!(
            "--out: {} exists already; a handover archive is never overwritten",
            request.out.display()
        );
    }
    let dir = request
        .out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!("--out: the directory {} does not exist", dir.display());
    }
    let ca_config = config.ca()?;
    let token = open_token(&config)?;
    let opened = open(&config).await?;
    let result = async {
        let accounts = open_accounts_with(&config, &opened).await?;
        let plan = accounts
            .handover_plan()
            .await
            .map_err(|e| anyhow::anyhow!("no handover: {e}"))?;
        let (ca, _, keys) = start_ca(&opened, ca_config, token).await?;
        let log = open_log(&opened, keys.as_ref(), &config.log_origin()).await?;
        let id = uuid::Uuid::new_v4().to_string();

        // The CAs and a CRL of each issuing one, as of now.
        let cas = opened.stores.certificates.cas().await?;
        let mut crls = Vec::new();
        for c in cas
            .iter()
            .filter(|c| c.role == yinxin_domain::certificate::CaRole::Issuing)
        {
            let crl = ca
                .crl(&c.id)
                .await
                .map_err(|e| anyhow::anyhow!("the CRL of {}: {e}", c.id))?;
            crls.push(json!({"ca_id": c.id, "crl": b64(&crl)}));
        }
        let cas: Vec<Value> = cas
            .iter()
            .map(|c| {
                json!({"id": c.id, "algorithm": c.algorithm, "role": c.role.as_str(),
                       "parent": c.parent, "active": c.active, "serial": c.serial,
                       "certificate": b64(&c.certificate)})
            })
            .collect();

        // Every holder's records.
        let (mut holders, mut certificates) = (Vec::new(), 0u64);
        let mut after = None;
        loop {
            let batch = accounts
                .certificate_holders(after, HOLDERS_PER_BATCH)
                .await
                .map_err(|e| anyhow::anyhow!("certificate holders: {e}"))?;
            let Some(last) = batch.last().copied() else {
                break;
            };
            after = Some(last);
            for holder in batch {
                let mut records = accounts
                    .certification_records(holder)
                    .await
                    .map_err(|e| anyhow::anyhow!("the records of {holder}: {e}"))?;
                let mut certs = Vec::new();
                for r in ca.certificates_of(holder).await? {
                    certs.push(json!({
                        "serial": r.serial, "sha256_fingerprint": r.fingerprint,
                        "ca_id": r.ca_id, "profile": r.profile, "algorithm": r.algorithm,
                        "subject_mode": r.subject_mode, "issued_at": r.issued_at,
                        "not_before": r.not_before, "not_after": r.not_after,
                        "retain_until": r.retain_until, "renews": r.renews,
                        "revocation": r.revocation.as_ref().map(|v| json!({
                            "at": v.at, "reason": v.reason, "by": v.by})),
                        "certificate": records.certificates.remove(&r.serial).map(|d| b64(&d)),
                    }));
                }
                certificates += certs.len() as u64;
                let mut h = serde_json::to_value(&records)?;
                if let Some(h) = h.as_object_mut() {
                    h.insert("certificates".into(), Value::Array(certs));
                }
                holders.push(h);
            }
        }

        // The evidence log as it stands: every leaf and the last signed checkpoint.
        let checkpoint = log.latest_checkpoint().await?;
        let size = checkpoint.as_ref().map_or(0, |c| c.size);
        let mut leaves = Vec::new();
        let mut first = 0u64;
        while first < size {
            let count = u32::try_from((size - first).min(u64::from(LEAVES_PER_BATCH)))?;
            let batch = opened.stores.ledger.leaves(first, count).await?;
            if batch.is_empty() {
                bail!("the evidence log has no leaf {first} below its checkpoint of {size}");
            }
            first += batch.len() as u64;
            leaves.extend(batch.iter().map(|l| Value::from(b64(l))));
        }

        let holder_count = holders.len() as u64;
        let c = config.controller();
        let document = json!({
            "type": "yinxin.handover.v1",
            "id": id,
            "made_at": now,
            "operator": request.operator,
            "provider": {"name": c.name, "email": c.email, "url": c.url},
            "successor": {"subject": successor.subject,
                          "sha256_fingerprint": successor.fingerprint},
            "termination": {
                "terminates_at": plan.terminates_at, "notice": plan.notice,
                "subscribers_notified_at": plan.subscribers_notified_at,
                "regulator_reported_at": plan.regulator_reported_at,
                "closing_at": plan.closing_at,
            },
            "cas": cas,
            "crls": crls,
            "holders": holders,
            "evidence_log": {
                "origin": log.origin(), "vkey": log.vkey(), "size": size,
                "checkpoint": checkpoint.as_ref().map(|c| c.note.clone()),
                "leaves": leaves,
            },
        });
        let content = serde_json::to_vec(&document)?;

        // Signed by the evidence-report key, then enveloped to the successor.
        let mut signer = None;
        for alg in request
            .algorithm
            .into_iter()
            .chain([yinxin_crypto::KeyAlgorithm::EcdsaP256])
            .chain(ca.algorithms())
        {
            match ca.evidence_signer(alg).await {
                Ok(s) => {
                    signer = Some(s);
                    break;
                }
                Err(yinxin_pki::ca::CaError::NoHierarchy(_)) if request.algorithm != Some(alg) => {}
                Err(yinxin_pki::ca::CaError::NoHierarchy(_)) => {
                    bail!("--algorithm: the CA has no {alg} hierarchy, so no evidence-report key of it")
                }
                Err(e) => bail!("the evidence-report key of {alg}: {e}"),
            }
        }
        let s = signer.ok_or_else(|| anyhow::anyhow!("the CA has no evidence-report key"))?;
        let signed = yinxin_pki::cms::sign_signed_data(
            &yinxin_pki::cms::SignedDataSpec {
                content_type: yinxin_pki::cms::OID_DATA,
                payload: yinxin_pki::cms::Payload::Encapsulated(&content),
                signer_certificate_der: &s.certificate_der,
                include_certificate: true,
                chain: &s.chain,
                signing_time: Some(std::time::SystemTime::now()),
            },
            s.signer.as_ref(),
        )
        .map_err(|e| anyhow::anyhow!("not signed: {e}"))?;
        let archive = yinxin_pki::envelope::envelop(
            yinxin_pki::cms::OID_SIGNED_DATA,
            &signed,
            &request.successor_der,
        )
        .map_err(|e| anyhow::anyhow!("--successor-certificate: {e}"))?;
        let archive_sha256 = yinxin_identity::policy::sha256_hex(&archive);

        // Written beside and synced, put in place, then recorded.
        let partial = dir.join(format!(".handover-{id}.partial"));
        let written = (|| -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&partial)?;
            f.write_all(&archive)?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            bail!("--out: cannot write in {}: {e}", dir.display());
        }
        let record = Handover {
            id: id.clone(),
            made_at: now,
            operator: request.operator.clone(),
            successor_subject: successor.subject.clone(),
            successor_fingerprint: successor.fingerprint.clone(),
            archive_sha256: archive_sha256.clone(),
            holders: holder_count,
            certificates,
        };
        // In place (never over an existing file), then recorded; a record that fails takes the
        // archive back, so there is no archive without its record.
        let linked = std::fs::hard_link(&partial, &request.out);
        let _ = std::fs::remove_file(&partial);
        if let Err(e) = linked {
            bail!("--out: cannot write {}: {e}", request.out.display());
        }
        if let Err(e) = accounts.record_handover(&record).await {
            let _ = std::fs::remove_file(&request.out);
            bail!("the handover is not recorded, so no archive is left: {e}");
        }
        println!(
            "yinxin: handover {id} written to {}: {} holders, {certificates} certificates, the \
             evidence log of {size} leaves; signed by {}, enveloped to {} (SHA-256 {}); archive \
             SHA-256 {archive_sha256}",
            request.out.display(),
            record.holders,
            s.issuing_ca,
            successor.subject,
            successor.fingerprint
        );
        println!(
            "  the successor opens it: openssl cms -decrypt -inform DER -in {} -recip CERT \
             -inkey KEY | openssl cms -verify -inform DER -CAfile ROOT -purpose any -out handover.json",
            request.out.display()
        );
        anyhow::Ok(())
    }
    .await;
    opened.stores.close().await;
    result
}
