//! Full certificate revocation lists (RFC 5280 §5), signed by an issuing CA's key through any
//! [`yinxin_crypto::Signer`].
//!
//! A CRL is v2 with a CRL number and an authority key identifier (the SHA-1 key identifier of
//! [`key_identifier`], the same value the issuer's certificates carry as their AKI and its own
//! SKI). Entries carry a reason code only when a reason other than `unspecified` is given (RFC
//! 5280 §5.3.1 recommends omitting `unspecified`).
//!
//! The TBSCertList is written here field by field rather than through x509-cert's `CrlBuilder`:
//! that builder copies the issuer certificate's own *authority* key identifier into the CRL (the
//! key id of the issuer's issuer, wrong for any CA below a root), and keeping a million typed
//! entries alive only to encode them once costs memory for nothing. Each entry is encoded straight
//! into one buffer (the reason-code extensions are encoded once per reason and reused), so the
//! work is linear in the number of entries; `revokedCertificates` is a SEQUENCE OF, kept in the
//! caller's order, with no sorting.

use std::time::SystemTime;

use der::asn1::OctetString;
use der::{Decode, Encode, Header, Length, Tag};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;
use x509_cert::certificate::Version;
use x509_cert::ext::pkix::crl::CrlReason;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlNumber, KeyUsage, KeyUsages};
use x509_cert::ext::{Extension, Extensions, ToExtension};
use x509_cert::serial_number::SerialNumber;
use yinxin_crypto::Signer;

use crate::PkiError;
use crate::cert::{der_time, key_identifier};

/// Why a certificate was revoked (RFC 5280 §5.3.1 CRLReason; code 7 is not assigned).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    /// unspecified (0). Never written into a CRL entry (RFC 5280 recommends omitting it).
    Unspecified,
    /// keyCompromise (1).
    KeyCompromise,
    /// cACompromise (2).
    CaCompromise,
    /// affiliationChanged (3).
    AffiliationChanged,
    /// superseded (4).
    Superseded,
    /// cessationOfOperation (5).
    CessationOfOperation,
    /// certificateHold (6).
    CertificateHold,
    /// removeFromCRL (8), for delta CRLs.
    RemoveFromCrl,
    /// privilegeWithdrawn (9).
    PrivilegeWithdrawn,
    /// aACompromise (10).
    AaCompromise,
}

impl RevocationReason {
    /// Every reason, in code order.
    pub const ALL: [Self; 10] = [
        Self::Unspecified,
        Self::KeyCompromise,
        Self::CaCompromise,
        Self::AffiliationChanged,
        Self::Superseded,
        Self::CessationOfOperation,
        Self::CertificateHold,
        Self::RemoveFromCrl,
        Self::PrivilegeWithdrawn,
        Self::AaCompromise,
    ];

    /// The stable name used in records and the API. NEVER rename one.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "key_compromise",
            Self::CaCompromise => "ca_compromise",
            Self::AffiliationChanged => "affiliation_changed",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessation_of_operation",
            Self::CertificateHold => "certificate_hold",
            Self::RemoveFromCrl => "remove_from_crl",
            Self::PrivilegeWithdrawn => "privilege_withdrawn",
            Self::AaCompromise => "aa_compromise",
        }
    }

    /// The reason named by [`as_str`](Self::as_str); `None` for any other string.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The CRLReason code (RFC 5280 §5.3.1).
    pub fn code(self) -> u8 {
        match self {
            Self::Unspecified => 0,
            Self::KeyCompromise => 1,
            Self::CaCompromise => 2,
            Self::AffiliationChanged => 3,
            Self::Superseded => 4,
            Self::CessationOfOperation => 5,
            Self::CertificateHold => 6,
            Self::RemoveFromCrl => 8,
            Self::PrivilegeWithdrawn => 9,
            Self::AaCompromise => 10,
        }
    }

    /// The reason a CRL entry or an OCSP response carries.
    pub fn from_crl_reason(r: CrlReason) -> Self {
        Self::ALL
            .into_iter()
            .find(|x| x.crl_reason() == r)
            .unwrap_or(Self::Unspecified)
    }

    fn crl_reason(self) -> CrlReason {
        match self {
            Self::Unspecified => CrlReason::Unspecified,
            Self::KeyCompromise => CrlReason::KeyCompromise,
            Self::CaCompromise => CrlReason::CaCompromise,
            Self::AffiliationChanged => CrlReason::AffiliationChanged,
            Self::Superseded => CrlReason::Superseded,
            Self::CessationOfOperation => CrlReason::CessationOfOperation,
            Self::CertificateHold => CrlReason::CertificateHold,
            Self::RemoveFromCrl => CrlReason::RemoveFromCRL,
            Self::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
            Self::AaCompromise => CrlReason::AaCompromise,
        }
    }
}

impl std::fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One revoked certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    /// The certificate's serial number: big-endian bytes of a non-negative integer (leading zero
    /// bytes allowed), at most 20 octets once encoded.
    pub serial: Vec<u8>,
    /// When it was revoked (written in whole seconds).
    pub revoked_at: SystemTime,
    /// Why; `None` or `Some(Unspecified)` writes no reason code.
    pub reason: Option<RevocationReason>,
}

/// Appends a DER header of `tag` for `len` content bytes.
fn header(out: &mut Vec<u8>, tag: Tag, len: usize) -> Result<(), PkiError> {
    Header::new(tag, Length::try_from(len)?).encode_to_vec(out)?;
    Ok(())
}

/// Appends a value's DER encoding.
fn put<T: Encode>(out: &mut Vec<u8>, value: &T) -> Result<(), PkiError> {
    value.encode_to_vec(out)?;
    Ok(())
}

/// The crlEntryExtensions (an `Extensions` SEQUENCE holding one reasonCode) of a reason, or
/// nothing for `unspecified`.
fn reason_extensions(
    reason: RevocationReason,
    issuer: &x509_cert::name::Name,
) -> Result<Vec<u8>, PkiError> {
    if reason == RevocationReason::Unspecified {
        return Ok(Vec::new());
    }
    let ext: Extension = reason.crl_reason().to_extension(issuer, &[])?;
    let exts: Extensions = vec![ext];
    Ok(exts.to_der()?)
}

/// Appends one `revokedCertificates` element: SEQUENCE { userCertificate, revocationDate,
/// crlEntryExtensions OPTIONAL }. `scratch` is reused between entries.
fn put_entry(
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    index: usize,
    entry: &RevokedEntry,
    reason_exts: &[Vec<u8>],
) -> Result<(), PkiError> {
    if entry.serial.is_empty() {
        return Err(PkiError::Invalid(format!(
            "revoked entry {index}: the serial number is empty"
        )));
    }
    let serial =
        SerialNumber::<x509_cert::certificate::Rfc5280>::new(&entry.serial).map_err(|e| {
            PkiError::Invalid(format!(
                "revoked entry {index}: the serial number is not a serial of at most 20 octets: {e}"
            ))
        })?;
    let at = der_time(
        entry.revoked_at,
        &format!("the revocation time of entry {index}"),
    )?;
    scratch.clear();
    put(scratch, &serial)?;
    put(scratch, &at)?;
    if let Some(reason) = entry.reason {
        let exts = reason_exts
            .iter()
            .zip(RevocationReason::ALL)
            .find(|(_, r)| *r == reason)
            .map(|(e, _)| e.as_slice())
            .unwrap_or_default();
        scratch.extend_from_slice(exts);
    }
    header(out, Tag::Sequence, scratch.len())?;
    out.extend_from_slice(scratch);
    Ok(())
}

/// Builds and signs a full CRL of the CA whose certificate is `issuer_certificate_der`, with
/// `signer` holding that certificate's key. Returns the DER CertificateList.
///
/// The CRL is v2 with the CRL number `crl_number` and the issuer's key identifier as authority
/// key identifier; `this_update`, `next_update` and revocation times are written in whole
/// seconds. Entries keep the order given. `next_update` must be later than `this_update`.
pub fn build_crl(
    issuer_certificate_der: &[u8],
    signer: &dyn Signer,
    crl_number: u64,
    this_update: SystemTime,
    next_update: SystemTime,
    revoked: &[RevokedEntry],
) -> Result<Vec<u8>, PkiError> {
    let this = der_time(this_update, "this_update")?;
    let next = der_time(next_update, "next_update")?;
    if next.to_unix_duration() <= this.to_unix_duration() {
        return Err(PkiError::Invalid(format!(
            "next_update ({next}) must be later than this_update ({this})"
        )));
    }
    let issuer = Certificate::from_der(issuer_certificate_der)
        .map_err(|e| PkiError::Invalid(format!("the issuer certificate cannot be read: {e}")))?;
    let tbs_cert = issuer.tbs_certificate();
    let issuer_spki_der = tbs_cert.subject_public_key_info().to_der()?;
    let signer_spki = SubjectPublicKeyInfoOwned::from_der(signer.public_key_der())
        .map_err(|e| PkiError::Invalid(format!("the signer's public key cannot be read: {e}")))?;
    if &signer_spki != tbs_cert.subject_public_key_info() {
        return Err(PkiError::Invalid(
            "the signer's key is not the key of the issuer certificate".into(),
        ));
    }
    if let Some((_, KeyUsage(ku))) = tbs_cert.get_extension::<KeyUsage>()?
        && !ku.contains(KeyUsages::CRLSign)
    {
        return Err(PkiError::Invalid(
            "the issuer certificate's key usage does not allow signing CRLs (cRLSign)".into(),
        ));
    }
    let issuer_name = tbs_cert.subject().clone();
    let signature_algorithm = signer.algorithm().signature_algorithm();

    // crlExtensions: [0] EXPLICIT Extensions { cRLNumber, authorityKeyIdentifier }.
    let crl_extensions: Extensions = vec![
        CrlNumber::try_from(crl_number)?.to_extension(&issuer_name, &[])?,
        AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(key_identifier(&issuer_spki_der)?)?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        }
        .to_extension(&issuer_name, &[])?,
    ];
    let crl_extensions = crl_extensions.to_der()?;

    // revokedCertificates, straight into one buffer (absent when there are none: RFC 5280
    // §5.1.2.6 "the revoked certificates list MUST be absent").
    let reason_exts = RevocationReason::ALL
        .iter()
        .map(|r| reason_extensions(*r, &issuer_name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut entries = Vec::with_capacity(revoked.len().saturating_mul(56));
    let mut scratch = Vec::with_capacity(64);
    for (index, entry) in revoked.iter().enumerate() {
        put_entry(&mut entries, &mut scratch, index, entry, &reason_exts)?;
    }

    let mut body = Vec::with_capacity(entries.len().saturating_add(1024));
    put(&mut body, &Version::V2)?;
    put(&mut body, &signature_algorithm)?;
    put(&mut body, &issuer_name)?;
    put(&mut body, &this)?;
    put(&mut body, &next)?;
    if !revoked.is_empty() {
        header(&mut body, Tag::Sequence, entries.len())?;
        body.extend_from_slice(&entries);
    }
    drop(entries);
    header(
        &mut body,
        Tag::ContextSpecific {
            constructed: true,
            number: der::TagNumber(0),
        },
        crl_extensions.len(),
    )?;
    body.extend_from_slice(&crl_extensions);

    let mut tbs = Vec::with_capacity(body.len().saturating_add(8));
    header(&mut tbs, Tag::Sequence, body.len())?;
    tbs.extend_from_slice(&body);
    drop(body);

    let signature = signer.sign(&tbs)?;
    let mut tail = Vec::with_capacity(signature.len().saturating_add(64));
    put(&mut tail, &signature_algorithm)?;
    put(&mut tail, &der::asn1::BitString::from_bytes(&signature)?)?;

    let mut crl = Vec::with_capacity(tbs.len().saturating_add(tail.len()).saturating_add(8));
    header(
        &mut crl,
        Tag::Sequence,
        tbs.len().saturating_add(tail.len()),
    )?;
    crl.extend_from_slice(&tbs);
    crl.extend_from_slice(&tail);
    Ok(crl)
}

/// What a CRL says of one certificate, once its signature by the issuer has been checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrlFinding {
    /// `None`: not on the list (good as of `this_update`); else when and why it was revoked.
    pub revoked: Option<(SystemTime, RevocationReason)>,
    /// The CRL's thisUpdate.
    pub this_update: SystemTime,
    /// The CRL's nextUpdate, if any.
    pub next_update: Option<SystemTime>,
}

/// Reads the CRL `crl_der` for the certificate of `serial` (INTEGER content octets) issued by
/// the CA whose certificate is `issuer_der`: `Ok(None)` when the CRL is not that CA's (another
/// issuer name) — a file may carry several CAs' CRLs; `Err` when it is that CA's but cannot be
/// read or its signature does not verify with the CA's key, so that a forged list is never
/// taken for one. Delta CRLs and partitioned CRLs are not told apart (the full CRLs this service
/// writes are neither).
pub fn lookup(
    crl_der: &[u8],
    issuer_der: &[u8],
    serial: &[u8],
) -> Result<Option<CrlFinding>, PkiError> {
    let bad = |what: String| PkiError::Invalid(format!("the CRL {what}"));
    let crl: x509_cert::crl::CertificateList = der::Decode::from_der(crl_der)
        .map_err(|e| bad(format!("is not a DER CertificateList: {e}")))?;
    let issuer = Certificate::from_der(issuer_der)
        .map_err(|e| bad(format!("issuer certificate cannot be read: {e}")))?;
    let tbs = &crl.tbs_cert_list;
    if &tbs.issuer != issuer.tbs_certificate().subject() {
        return Ok(None);
    }
    let spki = issuer
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()?;
    let sig = crl
        .signature
        .as_bytes()
        .ok_or_else(|| bad("signature is not whole bytes".into()))?;
    yinxin_crypto::verify::verify_signature(
        &spki,
        crl.signature_algorithm.oid,
        &tbs.to_der()?,
        sig,
    )
    .map_err(|e| {
        bad(format!(
            "signature does not verify with its issuer's key: {e}"
        ))
    })?;
    let revoked = tbs
        .revoked_certificates
        .iter()
        .flatten()
        .find(|r| r.serial_number.as_bytes() == serial)
        .map(|r| {
            let reason = r
                .crl_entry_extensions
                .iter()
                .flatten()
                .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_REASONS)
                .and_then(|e| CrlReason::from_der(e.extn_value.as_bytes()).ok())
                .map_or(
                    RevocationReason::Unspecified,
                    RevocationReason::from_crl_reason,
                );
            (r.revocation_date.to_system_time(), reason)
        });
    Ok(Some(CrlFinding {
        revoked,
        this_update: tbs.this_update.to_system_time(),
        next_update: tbs.next_update.map(|t| t.to_system_time()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::{Hierarchy, create_hierarchy};
    use crate::testing::{openssl, sw_store, test_spec, write_pem};
    use std::path::{Path, PathBuf};
    use std::time::Duration;
    use x509_cert::crl::CertificateList;
    use yinxin_crypto::KeyAlgorithm;
    use yinxin_crypto::software::SoftwareKeyStore;

    const ALGORITHMS: [KeyAlgorithm; 4] = [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::Sm2,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Ed25519,
    ];

    /// 2026-03-01T08:00:00.750Z: the fraction must not reach the CRL.
    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(1_772_352_000_750)
    }

    fn three_entries() -> Vec<RevokedEntry> {
        vec![
            RevokedEntry {
                serial: vec![0x4a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07],
                revoked_at: t0() - Duration::from_secs(3600),
                reason: Some(RevocationReason::KeyCompromise),
            },
            RevokedEntry {
                // The top bit set: DER needs a leading 0x00 to keep it positive.
                serial: vec![0xc5, 0xde, 0xad, 0xbe, 0xef],
                revoked_at: t0() - Duration::from_secs(7200),
                reason: None,
            },
            RevokedEntry {
                serial: vec![0x00, 0x00, 0x7f, 0x11, 0x22],
                revoked_at: t0() - Duration::from_secs(60),
                reason: Some(RevocationReason::Superseded),
            },
        ]
    }

    async fn hierarchy(store: &SoftwareKeyStore, alg: KeyAlgorithm) -> Hierarchy {
        let spec = test_spec(alg);
        // Certificates valid from a little before the CRL's thisUpdate.
        create_hierarchy(store, &spec, SystemTime::now())
            .await
            .unwrap()
    }

    async fn crl_of(
        store: &SoftwareKeyStore,
        h: &Hierarchy,
        number: u64,
        revoked: &[RevokedEntry],
    ) -> Vec<u8> {
        use yinxin_crypto::KeyStore;
        let signer = store.signer(&h.issuing.key.id).await.unwrap();
        let now = SystemTime::now();
        build_crl(
            &h.issuing.certificate_der,
            signer.as_ref(),
            number,
            now,
            now + Duration::from_secs(7 * 24 * 3600),
            revoked,
        )
        .unwrap()
    }

    fn s(p: &Path) -> String {
        p.display().to_string()
    }

    fn write_der(dir: &Path, name: &str, der: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, der).unwrap();
        p
    }

    /// `openssl crl -verify` of a DER CRL under the issuing CA's certificate.
    fn openssl_crl_verify(crl: &Path, issuing_pem: &Path) -> String {
        openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            &s(crl),
            "-CAfile",
            &s(issuing_pem),
            "-noout",
            "-verify",
        ])
    }

    /// The CRL's signature checked by OpenSSL as a raw SM2 signature over the TBSCertList with SM3
    /// and the GM/T 0009 default distinguishing ID (what `openssl crl -verify` cannot be told to
    /// use; see `sm2_crl_…` below).
    fn openssl_sm2_tbs_verify(dir: &Path, crl_der: &[u8], issuing_spki: &[u8]) -> String {
        let crl: CertificateList = CertificateList::from_der(crl_der).unwrap();
        let tbs = write_der(dir, "sm2-tbs.der", &crl.tbs_cert_list.to_der().unwrap());
        let sig = write_der(dir, "sm2-sig.der", crl.signature.raw_bytes());
        let public = write_der(dir, "sm2-pub.der", issuing_spki);
        crate::testing::sm2_verify_with_distid(&public, &tbs, &sig)
    }

    /// Every algorithm: a CRL of three entries and an empty one verify under the issuing CA, and
    /// `openssl crl -text` shows the serials, the reasons (and none for the entry without one),
    /// the CRL number, the next update and the authority key identifier.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openssl_verifies_crls_of_every_algorithm() {
        let (db, store) = sw_store().await;
        let dir = tempfile::tempdir().unwrap();
        for alg in ALGORITHMS {
            let h = hierarchy(&store, alg).await;
            let issuing = dir.path().join(format!("{alg}-issuing.pem"));
            write_pem(&issuing, &h.issuing.certificate_der);
            let full = write_der(
                dir.path(),
                &format!("{alg}-full.crl"),
                &crl_of(&store, &h, 42, &three_entries()).await,
            );
            let empty_der = crl_of(&store, &h, 43, &[]).await;
            let empty = write_der(dir.path(), &format!("{alg}-empty.crl"), &empty_der);
            for crl in [&full, &empty] {
                let out = openssl_crl_verify(crl, &issuing);
                if alg == KeyAlgorithm::Sm2 {
                    // OpenSSL 3.0 verifies a CRL's SM2 signature without a distinguishing ID
                    // (X509_CRL_verify passes none and `openssl crl` has no -vfyopt), so a CRL
                    // signed with the GM/T 0009 default ID fails there — exactly as one made by
                    // `openssl ca -gencrl -sigopt distid:1234567812345678` does (see
                    // `openssl_ca_sm2_crl_with_the_default_id_fails_openssl_crl_too`). The
                    // signature is checked by OpenSSL with the ID instead.
                    assert!(!out.contains("verify OK"), "{alg}: SM2 now verifies: {out}");
                    let der = std::fs::read(crl).unwrap();
                    let raw =
                        openssl_sm2_tbs_verify(dir.path(), &der, &h.issuing.key.public_key_der);
                    assert!(
                        raw.contains("Signature Verified Successfully"),
                        "{alg}: {raw}"
                    );
                } else {
                    assert!(out.contains("verify OK"), "{alg}: {out}");
                }
            }
            let text = openssl(&["crl", "-inform", "DER", "-in", &s(&full), "-noout", "-text"]);
            for want in [
                "Version 2 (0x1)",
                "X509v3 CRL Number:",
                "42",
                "Next Update:",
                "X509v3 Authority Key Identifier:",
                "Serial Number: 4A01020304050607",
                "Serial Number: C5DEADBEEF",
                "Serial Number: 7F1122",
                "Key Compromise",
                "Superseded",
                // Whole seconds (no fraction) as UTCTime.
                "GMT",
            ] {
                assert!(text.contains(want), "{alg}: no {want:?} in {text}");
            }
            assert_eq!(
                text.matches("X509v3 CRL Reason Code").count(),
                2,
                "{alg}: only two entries carry a reason: {text}"
            );
            let ski = hex_upper_colon(
                &crate::cert::key_identifier(&h.issuing.key.public_key_der).unwrap(),
            );
            assert!(text.contains(&ski), "{alg}: AKI {ski} in {text}");
            let empty_text = openssl(&[
                "crl",
                "-inform",
                "DER",
                "-in",
                &s(&empty),
                "-noout",
                "-text",
            ]);
            assert!(
                empty_text.contains("No Revoked Certificates") && empty_text.contains("43"),
                "{alg}: {empty_text}"
            );
        }
        db.cleanup().await;
    }

    fn hex_upper_colon(b: &[u8]) -> String {
        b.iter()
            .map(|x| format!("{x:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// A CRL whose signature has one bit flipped fails verification, for every algorithm (so the
    /// test above can fail).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openssl_refuses_a_crl_with_an_altered_signature() {
        let (db, store) = sw_store().await;
        let dir = tempfile::tempdir().unwrap();
        for alg in ALGORITHMS {
            let h = hierarchy(&store, alg).await;
            let issuing = dir.path().join(format!("{alg}-issuing.pem"));
            write_pem(&issuing, &h.issuing.certificate_der);
            let mut der = crl_of(&store, &h, 7, &three_entries()).await;
            // The signature BIT STRING ends the CRL: flip the last bit of r‖s / s / the block.
            *der.last_mut().unwrap() ^= 0x01;
            let altered = write_der(dir.path(), &format!("{alg}-altered.crl"), &der);
            let out = openssl_crl_verify(&altered, &issuing);
            assert!(!out.contains("verify OK"), "{alg}: {out}");
            if alg == KeyAlgorithm::Sm2 {
                let raw = openssl_sm2_tbs_verify(dir.path(), &der, &h.issuing.key.public_key_der);
                assert!(!raw.contains("Verified Successfully"), "{alg}: {raw}");
                assert!(
                    raw.contains("Signature Verification Failure"),
                    "{alg}: {raw}"
                );
            } else {
                assert!(out.contains("verify failure"), "{alg}: {out}");
            }
        }
        db.cleanup().await;
    }

    /// Whether `openssl crl -verify` can check any SM2 CRL signed with the GM/T 0009 default
    /// distinguishing ID: one made by OpenSSL's own `openssl ca -gencrl -sigopt distid:…` fails
    /// exactly like ours, while one `openssl ca` signs with its no-ID default verifies — an
    /// OpenSSL 3.0 limitation, not a fault of the CRLs built here.
    #[test]
    fn openssl_ca_sm2_crl_with_the_default_id_fails_openssl_crl_too() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let p = |n: &str| s(&d.join(n));
        std::fs::write(d.join("index.txt"), "").unwrap();
        std::fs::write(d.join("crlnumber"), "01\n").unwrap();
        std::fs::write(
            d.join("ca.cnf"),
            format!(
                "[ca]\ndefault_ca = d\n[d]\ndatabase = {}\ncrlnumber = {}\ndefault_md = sm3\n\
                 default_crl_days = 7\n[req]\ndistinguished_name = dn\n[dn]\n\
                 [v3_ca]\nbasicConstraints = critical,CA:true\n\
                 keyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n",
                p("index.txt"),
                p("crlnumber")
            ),
        )
        .unwrap();
        let out = openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:SM2",
            "-out",
            &p("ca.key"),
        ]);
        assert!(d.join("ca.key").exists(), "{out}");
        let out = openssl(&[
            "req",
            "-new",
            "-x509",
            "-config",
            &p("ca.cnf"),
            "-extensions",
            "v3_ca",
            "-key",
            &p("ca.key"),
            "-sm3",
            "-subj",
            "/CN=SM2 CA",
            "-days",
            "30",
            "-sigopt",
            "distid:1234567812345678",
            "-out",
            &p("ca.pem"),
        ]);
        assert!(d.join("ca.pem").exists(), "{out}");
        let gencrl = |name: &str, distid: bool| {
            let mut args = vec![
                "ca".to_string(),
                "-gencrl".into(),
                "-config".into(),
                p("ca.cnf"),
                "-keyfile".into(),
                p("ca.key"),
                "-cert".into(),
                p("ca.pem"),
                "-out".into(),
                p(name),
            ];
            if distid {
                args.extend(["-sigopt".into(), "distid:1234567812345678".into()]);
            }
            let out = openssl(&args);
            assert!(d.join(name).exists(), "{out}");
            openssl(&[
                "crl",
                "-in",
                &p(name),
                "-CAfile",
                &p("ca.pem"),
                "-noout",
                "-verify",
            ])
        };
        let with_id = gencrl("with-id.crl", true);
        let without_id = gencrl("without-id.crl", false);
        assert!(!with_id.contains("verify OK"), "{with_id}");
        assert!(without_id.contains("verify OK"), "{without_id}");
    }

    /// A relying party's lookup (a PDF's /DSS, issue 6 item 7): the entry with its time and
    /// reason, absence as good, another CA's list passed over, a forged one refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lookups_believe_only_the_issuers_signature() {
        let (db, store) = sw_store().await;
        let h = hierarchy(&store, KeyAlgorithm::EcdsaP256).await;
        let der = crl_of(&store, &h, 7, &three_entries()).await;
        let issuer = &h.issuing.certificate_der;
        let found = lookup(&der, issuer, &[0x4a, 1, 2, 3, 4, 5, 6, 7])
            .unwrap()
            .unwrap();
        let (at, reason) = found.revoked.unwrap();
        assert_eq!(reason, RevocationReason::KeyCompromise);
        let whole = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(whole(at), whole(t0() - Duration::from_secs(3600)));
        // No reason written: unspecified; the INTEGER content with its leading 0x00.
        let found = lookup(&der, issuer, &[0x00, 0xc5, 0xde, 0xad, 0xbe, 0xef])
            .unwrap()
            .unwrap();
        assert_eq!(found.revoked.unwrap().1, RevocationReason::Unspecified);
        // Not listed: good as of thisUpdate.
        let found = lookup(&der, issuer, &[0x33]).unwrap().unwrap();
        assert_eq!(found.revoked, None);
        assert!(found.next_update.unwrap() > found.this_update);
        // The root's name is not the list's issuer: not its CRL.
        assert_eq!(
            lookup(&der, &h.root.certificate_der, &[0x33]).unwrap(),
            None
        );
        // One byte of the signed part changed: refused, never read as good.
        let mut forged = der.clone();
        let i = forged
            .windows(3)
            .position(|w| w == [0x7f, 0x11, 0x22])
            .unwrap();
        forged[i + 2] ^= 1;
        let e = lookup(&forged, issuer, &[0x33]).unwrap_err();
        assert!(e.to_string().contains("does not verify"), "{e}");
        assert!(lookup(b"not a crl", issuer, &[0x33]).is_err());
        db.cleanup().await;
    }

    /// The structure read back: v2, entries in the given order, no reason code for `None` or
    /// `unspecified`, whole seconds, signature valid by yinxin-crypto's own check too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_crl_reads_back_as_built() {
        use yinxin_crypto::KeyStore;
        let (db, store) = sw_store().await;
        let h = hierarchy(&store, KeyAlgorithm::EcdsaP256).await;
        let signer = store.signer(&h.issuing.key.id).await.unwrap();
        let mut entries = three_entries();
        entries.push(RevokedEntry {
            serial: vec![9],
            revoked_at: t0(),
            reason: Some(RevocationReason::Unspecified),
        });
        let der = build_crl(
            &h.issuing.certificate_der,
            signer.as_ref(),
            u64::MAX,
            t0(),
            t0() + Duration::from_secs(86400),
            &entries,
        )
        .unwrap();
        let crl: CertificateList = CertificateList::from_der(&der).unwrap();
        assert_eq!(crl.to_der().unwrap(), der, "DER round trip");
        let tbs = &crl.tbs_cert_list;
        assert_eq!(tbs.version, Version::V2);
        let whole = SystemTime::UNIX_EPOCH + Duration::from_secs(1_772_352_000);
        assert_eq!(tbs.this_update.to_system_time(), whole);
        assert_eq!(
            tbs.next_update.unwrap().to_system_time(),
            whole + Duration::from_secs(86400)
        );
        let revoked = tbs.revoked_certificates.as_ref().unwrap();
        assert_eq!(revoked.len(), 4);
        let serials: Vec<&[u8]> = revoked.iter().map(|r| r.serial_number.as_bytes()).collect();
        assert_eq!(
            serials,
            vec![
                &[0x4a, 1, 2, 3, 4, 5, 6, 7][..],
                // The INTEGER's content: a 0x00 keeps it positive.
                &[0x00, 0xc5, 0xde, 0xad, 0xbe, 0xef][..],
                &[0x7f, 0x11, 0x22][..],
                &[9][..]
            ]
        );
        assert!(revoked[1].crl_entry_extensions.is_none());
        assert!(revoked[3].crl_entry_extensions.is_none());
        let reason = |i: usize| {
            let exts = revoked[i].crl_entry_extensions.as_ref().unwrap();
            assert_eq!(exts.len(), 1);
            assert!(!exts[0].critical);
            CrlReason::from_der(exts[0].extn_value.as_bytes()).unwrap()
        };
        assert_eq!(reason(0), CrlReason::KeyCompromise);
        assert_eq!(reason(2), CrlReason::Superseded);
        let exts = tbs.crl_extensions.as_ref().unwrap();
        let number = exts
            .iter()
            .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_NUMBER)
            .unwrap();
        assert_eq!(
            CrlNumber::from_der(number.extn_value.as_bytes()).unwrap(),
            CrlNumber::try_from(u64::MAX).unwrap()
        );
        let aki = exts
            .iter()
            .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER)
            .unwrap();
        let aki = AuthorityKeyIdentifier::from_der(aki.extn_value.as_bytes()).unwrap();
        assert_eq!(
            aki.key_identifier.unwrap().as_bytes(),
            crate::cert::key_identifier(&h.issuing.key.public_key_der)
                .unwrap()
                .as_slice()
        );
        assert_eq!(tbs.signature, crl.signature_algorithm);
        let issuing = Certificate::from_der(&h.issuing.certificate_der).unwrap();
        assert_eq!(tbs.issuer, *issuing.tbs_certificate().subject());
        yinxin_crypto::verify::verify_signature(
            &h.issuing.key.public_key_der,
            crl.signature_algorithm.oid,
            &tbs.to_der().unwrap(),
            crl.signature.raw_bytes(),
        )
        .unwrap();
        db.cleanup().await;
    }

    #[test]
    fn next_update_not_after_this_update_is_refused() {
        let key = yinxin_crypto::software::SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let issuer = self_issued_ca(&key);
        for next in [
            t0() - Duration::from_secs(1),
            t0(),
            // Within the same second: equal once written in whole seconds.
            t0() + Duration::from_millis(100),
        ] {
            let err = build_crl(&issuer, &key, 1, t0(), next, &[]).unwrap_err();
            assert!(matches!(err, PkiError::Invalid(_)), "{err:?}");
            assert!(
                err.to_string().contains("next_update (2026-03-01T"),
                "{err}"
            );
            assert!(
                err.to_string().contains("must be later than this_update"),
                "{err}"
            );
        }
        build_crl(&issuer, &key, 1, t0(), t0() + Duration::from_secs(1), &[]).unwrap();
    }

    fn self_issued_ca(key: &yinxin_crypto::software::SoftwareKey) -> Vec<u8> {
        use crate::profile::{Profile, ProfileKind};
        let profile = Profile::builtin(ProfileKind::IssuingCa);
        crate::cert::issue(
            &crate::cert::CertificateSpec {
                profile: &profile,
                subject: crate::name::NameBuilder::new()
                    .common_name("CRL test CA")
                    .build()
                    .unwrap(),
                subject_public_key: key.public_key_der(),
                not_before: t0(),
                validity: profile.default_validity,
                extra_extensions: vec![],
            },
            None,
            Some(key),
            crate::cert::random_serial().unwrap(),
        )
        .unwrap()
        .1
    }

    #[test]
    fn bad_inputs_are_refused_clearly() {
        use yinxin_crypto::software::SoftwareKey;
        let key = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let other = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let issuer = self_issued_ca(&key);
        let next = t0() + Duration::from_secs(3600);
        let entry = |serial: Vec<u8>| RevokedEntry {
            serial,
            revoked_at: t0(),
            reason: None,
        };
        let err = build_crl(&issuer, &other, 1, t0(), next, &[]).unwrap_err();
        assert!(
            err.to_string().contains("not the key of the issuer"),
            "{err}"
        );
        let err = build_crl(b"not a certificate", &key, 1, t0(), next, &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("issuer certificate cannot be read"),
            "{err}"
        );
        let err = build_crl(
            &issuer,
            &key,
            1,
            t0(),
            next,
            &[entry(vec![1]), entry(vec![])],
        )
        .unwrap_err();
        assert!(
            err.to_string() == "revoked entry 1: the serial number is empty",
            "{err}"
        );
        let err = build_crl(&issuer, &key, 1, t0(), next, &[entry(vec![0xff; 20])]).unwrap_err();
        assert!(err.to_string().contains("at most 20 octets"), "{err}");
        build_crl(&issuer, &key, 1, t0(), next, &[entry(vec![0x7f; 20])]).unwrap();
        let err = build_crl(
            &issuer,
            &key,
            1,
            t0(),
            next,
            &[RevokedEntry {
                serial: vec![1],
                revoked_at: SystemTime::UNIX_EPOCH - Duration::from_secs(1),
                reason: None,
            }],
        )
        .unwrap_err();
        assert!(err.to_string().contains("entry 0 is before 1970"), "{err}");
        // A certificate whose key may not sign CRLs.
        use crate::profile::{Profile, ProfileKind};
        let profile = Profile::builtin(ProfileKind::OcspResponder);
        let (_, ocsp) = crate::cert::issue(
            &crate::cert::CertificateSpec {
                profile: &profile,
                subject: crate::name::NameBuilder::new()
                    .common_name("r")
                    .build()
                    .unwrap(),
                subject_public_key: key.public_key_der(),
                not_before: t0(),
                validity: profile.default_validity,
                extra_extensions: vec![],
            },
            None,
            Some(&key),
            crate::cert::random_serial().unwrap(),
        )
        .unwrap();
        let err = build_crl(&ocsp, &key, 1, t0(), next, &[]).unwrap_err();
        assert!(err.to_string().contains("cRLSign"), "{err}");
    }

    #[test]
    fn reason_names_and_codes_are_stable() {
        let want = [
            ("unspecified", 0),
            ("key_compromise", 1),
            ("ca_compromise", 2),
            ("affiliation_changed", 3),
            ("superseded", 4),
            ("cessation_of_operation", 5),
            ("certificate_hold", 6),
            ("remove_from_crl", 8),
            ("privilege_withdrawn", 9),
            ("aa_compromise", 10),
        ];
        for (r, (name, code)) in RevocationReason::ALL.into_iter().zip(want) {
            assert_eq!(r.as_str(), name);
            assert_eq!(r.code(), code);
            assert_eq!(RevocationReason::parse(name), Some(r));
            assert_eq!(r.crl_reason() as u32, u32::from(code));
        }
        assert_eq!(RevocationReason::parse("keyCompromise"), None);
        assert_eq!(RevocationReason::parse(""), None);
    }
}
