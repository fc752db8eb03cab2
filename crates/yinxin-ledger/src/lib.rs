//! The evidence log of yinxin (issue 7; EVID-1, EVID-2, PRIV-7, PRIV-19): an append-only Merkle
//! log of every issuance, revocation, signature, seal use, timestamp, consent, disclosure and
//! staff access to personal information, with signed checkpoints and proofs. docs/LEDGER.md.
//!
//! - [`tree`] — RFC 6962 / RFC 9162 hashing, proof plans over stored complete subtrees, and
//!   proof verification. Pure.
//! - [`entry`] — the canonical, versioned leaf encoding: types, times, salted commitments, never
//!   personal information (PRIV-16).
//! - [`note`] — checkpoints in the C2SP tlog-checkpoint / signed-note format, Ed25519, and the
//!   vkey format of the verifier key.
//! - [`log`] — the log over a [`LedgerRepo`](yinxin_domain::ledger::LedgerRepo): submit,
//!   sequence (one sequencer per database, by a lease row), checkpoints refused unless they
//!   extend the previous one, proofs, the start-up check.
//! - [`bundle`] — proof bundles: a C2SP tlog-proof carrying the entry, with the anchors'
//!   receipts; checked offline against the log's key.
//! - [`anchor`] — external anchors of checkpoints (an RFC 3161 TSA, …).
//! - [`memory`] — the storage in memory, for tests.

pub mod anchor;
pub mod bundle;
pub mod entry;
pub mod log;
pub mod memory;
pub mod note;
pub mod tree;

pub use entry::{Commitment, Entry, EntryBody, EntryError, Salt};
pub use log::{InclusionProof, LedgerError, Log, TreeCheck, TreeReport};
pub use memory::MemoryLedger;
pub use note::{Checkpoint, LogKey, NoteError, NoteVerifier};
