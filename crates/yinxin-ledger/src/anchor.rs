//! External anchoring of checkpoints (issue 7 item 5; EVID-1): periodically the latest signed
//! checkpoint is handed to every configured [`Anchor`] — a party outside the service that
//! records when it saw it — and the receipts are stored (`ledger_anchors`) and carried in proof
//! bundles. A rewritten history would then contradict a receipt the service cannot forge. The
//! first real anchor is an RFC 3161 TSA (`yinxin-server/src/anchor.rs`): its token over the
//! SHA-256 of the signed note is the receipt.

use async_trait::async_trait;

/// One external anchor.
#[async_trait]
pub trait Anchor: Send + Sync + std::fmt::Debug {
    /// Its stable name as recorded with its receipts (`rfc3161:<url>`).
    fn name(&self) -> &str;

    /// Anchors the signed note `note` (a checkpoint, verbatim): the receipt, checked by the
    /// anchor itself to be over this note, or why there is none (no secret in it).
    async fn anchor(&self, note: &str) -> Result<Vec<u8>, String>;
}

/// What one anchor did with the latest checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorOutcome {
    /// A receipt for the checkpoint of this size was stored.
    Anchored {
        /// The anchor.
        anchor: String,
        /// The checkpoint's size.
        size: u64,
    },
    /// It already has a receipt for the latest checkpoint.
    UpToDate {
        /// The anchor.
        anchor: String,
    },
    /// It gave no receipt this time (retried at the next period).
    Failed {
        /// The anchor.
        anchor: String,
        /// Why.
        reason: String,
    },
}
