//! Envelopes: one document signed by several signers (issue 6 item 6; SIGN-1, SIGN-3, ACC-2).
//!
//! An envelope is sent by its owner with a document of theirs and a list of signers — persons, or
//! enterprises through an agent who applies a seal — each with fields placed on pages. Signers
//! sign in a fixed order (`sequential`: only the first signer with fields left may sign) or in
//! any order (`parallel`). Every signature is made over the envelope's **current version** (the
//! last signed one), and the store moves `current` from that version to the new one with a
//! compare-and-set, so two signers working at once never fork the file: the second is refused
//! and signs again over the first's version (their intent bound the old digest, so they confirm
//! afresh — nobody signs a version they did not see).
//!
//! The **audit trail** is the envelope's events, numbered from 1 within the envelope: sent,
//! notified, viewed, intent confirmed, signed, declined, cancelled, expired, completed. An event
//! holds ids, kinds and times only — no name, no number, no document.
//!
//! The document's versions are stored sealed under the owner's subject (the envelope is the
//! owner's record); a signer reads them through the envelope while it names them.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enterprise::wire_enum;
use crate::ids::AccountId;
use crate::repo::StoreResult;
use crate::signing::{DocumentRecord, IntentRefusal, SignatureRecord};

wire_enum!(
    /// In which order signers sign.
    EnvelopeOrder {
        /// One after another, in the order listed.
        Sequential = "sequential",
        /// In any order.
        Parallel = "parallel",
    }
);

wire_enum!(
    /// Where an envelope stands.
    EnvelopeState {
        /// Out for signature.
        Sent = "sent",
        /// Every field signed.
        Completed = "completed",
        /// A signer declined.
        Declined = "declined",
        /// It expired before every field was signed.
        Expired = "expired",
        /// The owner cancelled it.
        Cancelled = "cancelled",
    }
);

wire_enum!(
    /// What a field on the page receives.
    FieldKind {
        /// A person's signature (their signature image, or invisible without a rectangle).
        Signature = "signature",
        /// An enterprise's seal in the rectangle.
        Seal = "seal",
        /// An enterprise's seal cut across the right edges of the pages from `page` on (骑缝章).
        CrossPageSeal = "cross_page_seal",
    }
);

wire_enum!(
    /// What happened, in the audit trail.
    EnvelopeEventKind {
        /// The owner sent it.
        Sent = "sent",
        /// A signer was told it is their turn (or, in parallel, that it waits for them).
        Notified = "notified",
        /// A signer (or the owner) read the current version.
        Viewed = "viewed",
        /// A signer confirmed their intent to sign the current version.
        IntentConfirmed = "intent_confirmed",
        /// A signer signed a field.
        Signed = "signed",
        /// A signer declined.
        Declined = "declined",
        /// The owner cancelled it.
        Cancelled = "cancelled",
        /// It expired.
        Expired = "expired",
        /// The last field was signed.
        Completed = "completed",
    }
);

/// A field of a signer's, placed on a page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeField {
    /// What it receives.
    pub kind: FieldKind,
    /// The page, from 1.
    pub page: usize,
    /// `[llx, lly, urx, ury]` in points; omitted for an invisible signature.
    #[serde(default)]
    pub rect: Option<[f64; 4]>,
}

/// A signer of an envelope.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct EnvelopeSigner {
    /// Their place in the list, from 0.
    pub position: u32,
    /// The person who signs: the signer, or the agent applying the enterprise's seal.
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// The enterprise whose seal the agent applies.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub enterprise: Option<AccountId>,
    /// Their fields, signed in this order.
    pub fields: Vec<EnvelopeField>,
    /// How many of the fields are signed.
    pub signed_fields: u32,
    /// Whether they declined.
    pub declined: bool,
}

impl EnvelopeSigner {
    /// Whether every field of theirs is signed.
    pub fn done(&self) -> bool {
        self.signed_fields as usize >= self.fields.len()
    }
}

/// An envelope as stored.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Envelope {
    /// Random id.
    pub id: String,
    /// Who sent it.
    #[schema(value_type = String, format = Uuid)]
    pub owner: AccountId,
    /// The document as sent.
    pub document: String,
    /// The current version: the last signed one (the document until someone signs).
    pub current: String,
    /// The order.
    pub order: EnvelopeOrder,
    /// Where it stands.
    pub state: EnvelopeState,
    /// Unix second.
    pub created_at: i64,
    /// Unix second after which it can no longer be signed.
    pub expires_at: i64,
    /// Unix second at which it was completed, declined, cancelled or expired.
    pub closed_at: Option<i64>,
    /// The signers, by position.
    pub signers: Vec<EnvelopeSigner>,
}

impl Envelope {
    /// The state at `at`: an envelope still `sent` past its expiry is expired.
    pub fn state_at(&self, at: i64) -> EnvelopeState {
        if self.state == EnvelopeState::Sent && at >= self.expires_at {
            EnvelopeState::Expired
        } else {
            self.state
        }
    }

    /// The signers who may sign now: in sequential order the first with fields left, in
    /// parallel every one with fields left (none once the envelope is closed).
    pub fn turn(&self, at: i64) -> Vec<&EnvelopeSigner> {
        if self.state_at(at) != EnvelopeState::Sent {
            return Vec::new();
        }
        let mut open = self.signers.iter().filter(|s| !s.done() && !s.declined);
        match self.order {
            EnvelopeOrder::Sequential => open.next().into_iter().collect(),
            EnvelopeOrder::Parallel => open.collect(),
        }
    }

    /// The signers `account` acts as (a person may sign for themself and as an agent).
    pub fn signer_of(&self, account: AccountId) -> Vec<&EnvelopeSigner> {
        self.signers
            .iter()
            .filter(|s| s.account == account)
            .collect()
    }
}

/// One event of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct EnvelopeEvent {
    /// From 1, in the order the events happened.
    pub seq: u32,
    /// Unix second.
    pub at: i64,
    /// What happened.
    pub kind: EnvelopeEventKind,
    /// Who did it (or was notified); none for an expiry.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub account: Option<AccountId>,
    /// The signer concerned, by position.
    pub position: Option<u32>,
    /// An id the event concerns: the version viewed or made, the intent, the signature.
    pub reference: Option<String>,
}

/// A signature made in an envelope, to be stored with everything it changes.
#[derive(Debug)]
pub struct EnvelopeSigning<'a> {
    /// The envelope.
    pub envelope: &'a str,
    /// The signer's position.
    pub position: u32,
    /// The version signed over; the store refuses if `current` is no longer this.
    pub from_version: &'a str,
    /// Fields of the signer already signed when they signed (the compare-and-set on the signer).
    pub signed_fields: u32,
    /// The signature's record (its intent is used up with it).
    pub record: &'a SignatureRecord,
    /// The new version and its sealed bytes.
    pub version: (&'a DocumentRecord, &'a [u8]),
    /// When the intent was confirmed, for the trail.
    pub intent_confirmed_at: Option<i64>,
    /// Whether this signature completes the envelope.
    pub completes: bool,
    /// The signature's evidence entry, queued with it.
    pub evidence: &'a crate::ledger::EvidenceEntry,
}

/// Why a signature in an envelope was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvelopeRefusal {
    /// Another signature moved the current version, or the envelope closed, meanwhile.
    Moved,
    /// The intent could not be used.
    Intent(IntentRefusal),
}

/// Envelopes, their signers and their trail.
#[async_trait]
pub trait EnvelopeRepo: Send + Sync + std::fmt::Debug {
    /// Stores a new envelope with its signers, and its first event (`sent`).
    async fn insert_envelope(&self, e: &Envelope) -> StoreResult<()>;

    /// The envelope with this id (whoever asks: the caller checks who may see it).
    async fn envelope(&self, id: &str) -> StoreResult<Option<Envelope>>;

    /// The envelopes `account` sent or signs in, newest first, at most `limit`.
    async fn envelopes_of(&self, account: AccountId, limit: u32) -> StoreResult<Vec<Envelope>>;

    /// The ids of envelopes still `sent` whose `expires_at` is at or before `at`, the longest
    /// expired first, at most `limit`.
    async fn expired_envelopes(&self, at: i64, limit: u32) -> StoreResult<Vec<String>>;

    /// Appends an event to the trail.
    async fn push_event(
        &self,
        envelope: &str,
        kind: EnvelopeEventKind,
        account: Option<AccountId>,
        position: Option<u32>,
        reference: Option<&str>,
        at: i64,
    ) -> StoreResult<()>;

    /// The trail, in order.
    async fn events(&self, envelope: &str) -> StoreResult<Vec<EnvelopeEvent>>;

    /// In one transaction: moves `current` from `from_version` to the new version (refused as
    /// [`EnvelopeRefusal::Moved`] unless the envelope is `sent`, unexpired at the record's time,
    /// still at that version, and the signer still at `signed_fields`), uses up the intent,
    /// stores the version and the record, counts the field, and appends the trail's events
    /// (`intent_confirmed`, `signed`, and `completed` when it completes). Nothing is written on
    /// a refusal.
    async fn envelope_signed(
        &self,
        s: &EnvelopeSigning<'_>,
    ) -> StoreResult<Result<(), EnvelopeRefusal>>;

    /// Closes a `sent` envelope as `state` (declined, cancelled, expired) at `at`, with its
    /// event; false if it was no longer `sent`. A decline marks the signer at `position`.
    async fn close_envelope(
        &self,
        envelope: &str,
        state: EnvelopeState,
        account: Option<AccountId>,
        position: Option<u32>,
        at: i64,
    ) -> StoreResult<bool>;
}
