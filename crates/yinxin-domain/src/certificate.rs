//! Certificates as the service records them (CERT-1, CERT-5, CERT-7, CERT-10): the CAs of each
//! hierarchy and every subscriber certificate with its status. The certificate itself carries PI
//! (the holder's name in its subject), so its DER is sealed under the holder
//! ([`crate::inventory::SUBSCRIBER_CERTIFICATE`]); what a relying party may see without the holder
//! — serial, fingerprint, status, validity, issuer, profile and a masked subject — is stored beside.

use async_trait::async_trait;

use crate::AccountId;
use crate::repo::StoreResult;

/// What a CA certificate is for in its hierarchy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaRole {
    /// A self-signed root.
    Root,
    /// Signs subscriber certificates and its CRL.
    Issuing,
    /// The issuing CA's delegated OCSP responder.
    Ocsp,
    /// The timestamp authority.
    Timestamping,
    /// The service's evidence-report signer (EVID-2), under an issuing CA. Stored beside the
    /// CAs (`service_certificates`); it signs documents, never certificates.
    Evidence,
}

impl CaRole {
    /// The stable name stored. NEVER rename one.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Root => "root",
            Self::Issuing => "issuing",
            Self::Ocsp => "ocsp",
            Self::Timestamping => "timestamping",
            Self::Evidence => "evidence",
        }
    }

    /// The role of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Root,
            Self::Issuing,
            Self::Ocsp,
            Self::Timestamping,
            Self::Evidence,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// One CA-side certificate and its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaRecord {
    /// Stable id used in URLs: `sm2-root-1`, `p256-issuing-1`, ….
    pub id: String,
    /// The key algorithm's stable name.
    pub algorithm: String,
    /// Its role.
    pub role: CaRole,
    /// The CA that issued it (`None` for a root).
    pub parent: Option<String>,
    /// The key in the key store (`sw:…`, `p11:…`).
    pub key_id: String,
    /// The token holding the key (PKCS#11), CERT-10.
    pub token_serial: Option<String>,
    /// The certificate (DER). No PI: CA names are the operator's.
    pub certificate: Vec<u8>,
    /// Serial, lower-case hex.
    pub serial: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Whether it is the one in use for its algorithm and role (rotation keeps the old ones).
    pub active: bool,
}

/// Why a certificate was revoked (RFC 5280 §5.3.1 names, snake_case) and by whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// Unix seconds.
    pub at: i64,
    /// The reason's stable name (`key_compromise`, …; `unspecified`).
    pub reason: String,
    /// Who: `holder:<account>`, `staff:<account>` or `operator:<name>` (the operator's console,
    /// `yinxin ca revoke`).
    pub by: String,
}

/// One subscriber certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// Serial, lower-case hex: the public handle.
    pub serial: String,
    /// SHA-256 of the DER, lower-case hex.
    pub fingerprint: String,
    /// The issuing CA's id.
    pub ca_id: String,
    /// The holder.
    pub holder: AccountId,
    /// The profile's stable name.
    pub profile: String,
    /// The subject key's algorithm.
    pub algorithm: String,
    /// The certificate DER sealed under the holder (vault record, field
    /// `certificate.subscriber_certificate`, record id = serial).
    pub sealed_der: Vec<u8>,
    /// The subject as the public query shows it, PI masked (CERT-5).
    pub masked_subject: String,
    /// How much identity the subject carries (CERT-4): `full`, `masked`, `keyed_hash`.
    pub subject_mode: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// A key the service holds for the subject (hosted key), if any.
    pub hosted_key_id: Option<String>,
    /// When the hosted key was destroyed (unix seconds), after which it never signs again
    /// (CERT-3: an event certificate's one-time key, destroyed once its event is signed).
    pub key_destroyed_at: Option<i64>,
    /// The serial this one renews.
    pub renews: Option<String>,
    /// Unix seconds.
    pub issued_at: i64,
    /// The earliest time the record may be deleted: expiry + 5 years (CERT-7).
    pub retain_until: i64,
    /// Set once revoked.
    pub revocation: Option<Revocation>,
}

impl std::fmt::Debug for CertificateRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateRecord")
            .field("serial", &self.serial)
            .field("ca_id", &self.ca_id)
            .field("profile", &self.profile)
            .field("revoked", &self.revocation.is_some())
            .finish_non_exhaustive()
    }
}

/// One entry of a CRL: serial and revocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedSerial {
    /// Lower-case hex.
    pub serial: String,
    /// Unix seconds.
    pub at: i64,
    /// Stable reason name.
    pub reason: String,
}

/// Storage of CAs and certificates.
#[async_trait]
pub trait CertificateRepo: Send + Sync + std::fmt::Debug {
    /// Records the CAs of a new hierarchy, all or none.
    async fn insert_cas(&self, cas: &[CaRecord]) -> StoreResult<()>;
    /// Rotation (issue 5): records `new` and marks every CA of `retire` inactive, in one
    /// transaction — all or none. A `retire` id that is not an active CA is a
    /// [`crate::repo::StoreError::Conflict`] (another rotation got there first) and nothing is
    /// written; so is a `new` id or serial that exists.
    async fn rotate_cas(&self, new: &[CaRecord], retire: &[String]) -> StoreResult<()>;
    /// Every CA record, oldest first.
    async fn cas(&self) -> StoreResult<Vec<CaRecord>>;
    /// Records an issued certificate. A serial that exists is a [`crate::repo::StoreError::Conflict`].
    async fn insert_certificate(
        &self,
        record: &CertificateRecord,
        evidence: Option<&crate::ledger::EvidenceEntry>,
    ) -> StoreResult<()>;
    /// The certificate of a serial (lower-case hex).
    async fn certificate(&self, serial: &str) -> StoreResult<Option<CertificateRecord>>;
    /// The certificate of a SHA-256 fingerprint (lower-case hex).
    async fn certificate_by_fingerprint(
        &self,
        fingerprint: &str,
    ) -> StoreResult<Option<CertificateRecord>>;
    /// A holder's certificates, newest first.
    async fn certificates_of(&self, holder: AccountId) -> StoreResult<Vec<CertificateRecord>>;
    /// Marks a certificate revoked and queues the revocation's evidence entry with its salt in
    /// the same transaction (issue 7 item 2); `false` (and nothing written) if it was already
    /// revoked or does not exist.
    async fn revoke(
        &self,
        serial: &str,
        revocation: &Revocation,
        evidence: &crate::ledger::EvidenceEntry,
    ) -> StoreResult<bool>;
    /// The revoked, unexpired-at-`now` certificates of an issuing CA, for its CRL.
    async fn revoked_of(&self, ca_id: &str, now: i64) -> StoreResult<Vec<RevokedSerial>>;
    /// Records that a hosted key was destroyed, on every certificate of that key (a same-key
    /// renewal shares it) not yet marked; returns how many were marked.
    async fn record_key_destroyed(&self, hosted_key_id: &str, at: i64) -> StoreResult<u64>;
    /// The certificates of a hosted key, oldest first.
    async fn certificates_of_hosted_key(
        &self,
        hosted_key_id: &str,
    ) -> StoreResult<Vec<CertificateRecord>>;
    /// The certificate renewing `serial`, if it was renewed.
    async fn renewal_of(&self, serial: &str) -> StoreResult<Option<CertificateRecord>>;
    /// Event certificates expired at `now` whose one-time key is not yet recorded destroyed, at
    /// most `limit`, earliest expiry first.
    async fn event_keys_to_destroy(
        &self,
        now: i64,
        limit: u32,
    ) -> StoreResult<Vec<CertificateRecord>>;
    /// The next CRL number of a CA (1, 2, …), taken atomically.
    async fn next_crl_number(&self, ca_id: &str) -> StoreResult<u64>;
}
