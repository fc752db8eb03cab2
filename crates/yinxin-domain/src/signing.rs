//! Confirmations of intent to sign (意愿认证, issue 6 item 3) and the record of every signature
//! made with a key the service holds (SIGN-1, SIGN-3).
//!
//! **An intent** is one person's confirmation that one key may sign one digest, once, soon. It
//! is bound, when it is created, to the account confirming it, the certificate of the key, the
//! digest algorithm and the digest of what will be signed (for a CMS signature the digest of the
//! content, for a PDF the SHA-256 of the document as it stands before signing). It is confirmed
//! by a fresh SMS code sent for it alone, or by a passkey assertion over a challenge that commits
//! to the digest; it is then usable once, until it expires. A person's hosted key signs nothing
//! without one.
//!
//! **A signature record** is written in the same transaction that uses the intent up
//! ([`IntentRepo::record_signature`]): a signature leaves the service only when its record is
//! stored and its intent (if it needed one) was still unused. An enterprise seal applied
//! automatically has no intent; its record names the seal authorization for `auto_sign` that
//! allowed it.
//!
//! Rows hold ids, digests and times only: no document, no name.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enterprise::wire_enum;
use crate::ids::AccountId;
use crate::ledger::EvidenceEntry;
use crate::repo::StoreResult;

wire_enum!(
    /// How an intent is confirmed.
    IntentMethod {
        /// A six-digit code sent by SMS to the account's real-name mobile for this intent only.
        Sms = "sms",
        /// A passkey assertion (user verified) whose challenge commits to the digest.
        Passkey = "passkey",
    }
);

wire_enum!(
    /// The digest algorithm of what is signed.
    IntentDigest {
        /// SHA-256 (international hierarchies).
        Sha256 = "sha256",
        /// SM3 (GB/T 32905, the SM2 hierarchy).
        Sm3 = "sm3",
    }
);

wire_enum!(
    /// What kind of signature a record is of.
    SignatureFormat {
        /// A detached CMS (CAdES-style) signature.
        Cms = "cms",
        /// A PDF signature (PAdES).
        Pades = "pades",
    }
);

/// A confirmation of intent, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntentRecord {
    /// Random id.
    pub id: String,
    /// The account that confirms: the key's holder, or the agent applying an enterprise's seal.
    pub account: AccountId,
    /// The serial (hex) of the certificate whose key may sign.
    pub certificate_serial: String,
    /// The digest algorithm.
    pub digest_algorithm: IntentDigest,
    /// The digest of what will be signed.
    pub digest: Vec<u8>,
    /// How it is to be confirmed.
    pub method: IntentMethod,
    /// For a passkey, the WebAuthn challenge (a commitment to the digest and a nonce).
    pub challenge: Option<Vec<u8>>,
    /// Unix second of creation.
    pub created_at: i64,
    /// Unix second after which it can be neither confirmed nor used.
    pub expires_at: i64,
    /// Unix second of confirmation.
    pub confirmed_at: Option<i64>,
    /// What confirmed it: `sms`, or `passkey:<keyed pseudonym of the credential>`.
    pub evidence: Option<String>,
    /// Unix second of its one use.
    pub used_at: Option<i64>,
}

/// One signature made with a key the service holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SignatureRecord {
    /// Random id.
    pub id: String,
    /// Who signed: the key's holder, or the agent who applied the seal.
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// The certificate (serial, hex) of the key.
    pub certificate_serial: String,
    /// The intent it used; `None` only for a seal applied under an `auto_sign` authorization.
    pub intent: Option<String>,
    /// The enterprise whose seal was applied.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub enterprise: Option<AccountId>,
    /// The seal applied.
    pub seal: Option<String>,
    /// The seal authorization that allowed it.
    pub seal_authorization: Option<String>,
    /// CMS or PAdES.
    pub format: SignatureFormat,
    /// The digest algorithm.
    pub digest_algorithm: IntentDigest,
    /// The digest signed (for a PDF, of the document before signing).
    #[serde(with = "hex_bytes")]
    #[schema(value_type = String)]
    pub digest: Vec<u8>,
    /// The document signed, for a PDF.
    pub document: Option<String>,
    /// Unix second.
    pub created_at: i64,
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::to_hex(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let t = String::deserialize(d)?;
        super::from_hex(&t).ok_or_else(|| serde::de::Error::custom("not hexadecimal"))
    }
}

/// Lower-case hexadecimal.
pub fn to_hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

/// Bytes from hexadecimal (either case, even length), or `None`.
pub fn from_hex(t: &str) -> Option<Vec<u8>> {
    if !t.len().is_multiple_of(2) || !t.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).ok())
        .collect()
}

/// A document uploaded for signing, or a signed version of one (its bytes are sealed apart).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct DocumentRecord {
    /// Random id.
    pub id: String,
    /// The account that uploaded it (or signed the version it comes from).
    #[schema(value_type = String, format = Uuid)]
    pub owner: AccountId,
    /// The version it was signed from.
    pub parent: Option<String>,
    /// SHA-256 of the file, hex: what an intent binds for a SHA-256 key.
    #[serde(with = "hex_bytes")]
    #[schema(value_type = String)]
    pub sha256: Vec<u8>,
    /// SM3 of the file, hex: what an intent binds for an SM2 key.
    #[serde(with = "hex_bytes")]
    #[schema(value_type = String)]
    pub sm3: Vec<u8>,
    /// Bytes.
    pub size: u64,
    /// Pages.
    pub pages: u32,
    /// Unix second.
    pub created_at: i64,
}

impl DocumentRecord {
    /// The digest of the file under `alg`.
    pub fn digest(&self, alg: IntentDigest) -> &[u8] {
        match alg {
            IntentDigest::Sha256 => &self.sha256,
            IntentDigest::Sm3 => &self.sm3,
        }
    }
}

/// Why an intent cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntentRefusal {
    /// It was used already.
    Used,
    /// It is not confirmed (yet).
    Unconfirmed,
    /// It expired.
    Expired,
}

/// Intents and signature records.
#[async_trait]
pub trait IntentRepo: Send + Sync + std::fmt::Debug {
    /// Stores a new intent.
    async fn insert_intent(&self, r: &IntentRecord) -> StoreResult<()>;

    /// The intent with this id, if it is `account`'s.
    async fn intent(&self, id: &str, account: AccountId) -> StoreResult<Option<IntentRecord>>;

    /// Marks it confirmed, once, while unexpired: false otherwise.
    async fn confirm_intent(&self, id: &str, evidence: &str, at: i64) -> StoreResult<bool>;

    /// In one transaction: uses up the record's intent (confirmed, unused, unexpired at
    /// `record.created_at`), stores the signed document if there is one (its record and its
    /// sealed bytes), and stores the record. `Err(refusal)` inside `Ok` when the intent cannot
    /// be used, and then nothing is written. A record without an intent is stored as is. The
    /// evidence entry (and its salt) is queued for the log in the same transaction.
    async fn record_signature(
        &self,
        record: &SignatureRecord,
        signed: Option<(&DocumentRecord, &[u8])>,
        evidence: &EvidenceEntry,
    ) -> StoreResult<Result<(), IntentRefusal>>;

    /// Stores an uploaded document and its sealed bytes.
    async fn insert_document(&self, d: &DocumentRecord, sealed: &[u8]) -> StoreResult<()>;

    /// A document of `owner`, with its sealed bytes.
    async fn document(
        &self,
        id: &str,
        owner: AccountId,
    ) -> StoreResult<Option<(DocumentRecord, Vec<u8>)>>;

    /// Every document of `owner`, oldest first, without its bytes (the subject's copy of their
    /// data, issue 8 item 2, reads each with [`IntentRepo::document`] when it fits).
    async fn documents_of(&self, owner: AccountId) -> StoreResult<Vec<DocumentRecord>>;

    /// The signature `id`, if `account` made it (another account's is `None`: authorization
    /// by object).
    async fn signature(&self, id: &str, account: AccountId)
    -> StoreResult<Option<SignatureRecord>>;

    /// The signatures `account` made, newest first, at most `limit`.
    async fn signatures_by(
        &self,
        account: AccountId,
        limit: u32,
    ) -> StoreResult<Vec<SignatureRecord>>;
}
