//! Support records (ACC-7): when a user contacts the service, the conversation and its resolution
//! are recorded.
//!
//! A [`SupportRequestRecord`] is the conversation: whose it is, what it is about, where it stands.
//! Its rows hold ids, a category, a status and times. What people wrote is personal information
//! (inventory field `support.record`): each [`SupportMessageRecord`] carries its body *sealed* in
//! the vault under the account's subject key, so erasing the subject (crypto-shredding, PRIV-16)
//! makes every body unreadable, backups included.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enterprise::wire_enum;
use crate::error::DomainError;
use crate::ids::{AccountId, SupportMessageId, SupportRequestId};
use crate::repo::StoreResult;

wire_enum!(
    /// What a support request is about (ACC-7).
    SupportCategory {
        /// Registration, login, sessions, the account's data.
        Account = "account",
        /// Applying for, renewing or revoking a certificate.
        Certificate = "certificate",
        /// Signing or verifying a signature.
        Signature = "signature",
        /// Real-name identity verification.
        IdentityVerification = "identity_verification",
        /// Personal information and its rights (access, correction, erasure, consents).
        Privacy = "privacy",
        /// Anything else.
        Other = "other",
    }
);

wire_enum!(
    /// Where a support request stands.
    SupportStatus {
        /// Waiting for the service: opened, or the customer wrote last.
        Open = "open",
        /// The service wrote last; waiting for the customer.
        Answered = "answered",
        /// Closed by the customer. Nothing more can be added.
        Closed = "closed",
    }
);

wire_enum!(
    /// Who wrote a support message.
    SupportAuthor {
        /// The account holder.
        Customer = "customer",
        /// The service's support staff. Nothing writes these yet: staff answering needs staff
        /// roles and their audit trail (issue 8); the model and the storage already allow it.
        Staff = "staff",
    }
);

/// A support request as stored: no personal information.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SupportRequestRecord {
    /// The request (UUID v7, time-ordered).
    #[schema(value_type = String, format = Uuid)]
    pub id: SupportRequestId,
    /// Whose request it is. Only this account may read it.
    #[schema(value_type = String, format = Uuid)]
    pub account: AccountId,
    /// What it is about.
    pub category: SupportCategory,
    /// Where it stands.
    pub status: SupportStatus,
    /// Unix second it was opened.
    pub created_at: i64,
    /// Unix second of its last message or status change.
    pub updated_at: i64,
}

/// One message of a support request, as stored. The body is sealed by the vault
/// (`Vault::seal_record`, field `support.record`) and never stored in clear.
#[derive(Clone, PartialEq, Eq)]
pub struct SupportMessageRecord {
    /// The message (UUID v7, time-ordered).
    pub id: SupportMessageId,
    /// Which request it belongs to.
    pub request: SupportRequestId,
    /// Who wrote it.
    pub author: SupportAuthor,
    /// Unix second it was written.
    pub at: i64,
    /// The body, sealed under the account's subject key.
    pub body_sealed: Vec<u8>,
}

impl std::fmt::Debug for SupportMessageRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupportMessageRecord")
            .field("id", &self.id)
            .field("request", &self.request)
            .field("author", &self.author)
            .field("at", &self.at)
            .field(
                "body_sealed",
                &format_args!("<{} bytes>", self.body_sealed.len()),
            )
            .finish()
    }
}

impl SupportMessageRecord {
    /// The record id its body is sealed under: request, message and author, so that a sealed
    /// body moved to another message, another request, or relabelled as the other author's, no
    /// longer opens.
    pub fn seal_id(
        request: SupportRequestId,
        id: SupportMessageId,
        author: SupportAuthor,
    ) -> Vec<u8> {
        [
            request.as_bytes().as_slice(),
            id.as_bytes().as_slice(),
            author.as_str().as_bytes(),
        ]
        .concat()
    }
}

/// The longest message, in characters (Unicode scalar values).
pub const MESSAGE_MAX_CHARS: usize = 4000;

/// Checks a support message and returns it as it will be stored: line ends normalized to `\n`,
/// 1 to [`MESSAGE_MAX_CHARS`] characters, not blank, no control characters except newline and
/// tab. A refusal names the field `message` and never repeats the text.
pub fn check_message(text: &str) -> Result<String, DomainError> {
    // Browsers submit a textarea with CRLF line ends; they are not what the rule is about.
    let text = text.replace("\r\n", "\n");
    if text.trim().is_empty() {
        return Err(DomainError::invalid("message", "must not be empty"));
    }
    let chars = text.chars().count();
    if chars > MESSAGE_MAX_CHARS {
        return Err(DomainError::invalid(
            "message",
            format!("must be at most {MESSAGE_MAX_CHARS} characters (this one has {chars})"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(DomainError::invalid(
            "message",
            "must not contain control characters other than newline and tab",
        ));
    }
    Ok(text)
}

/// Support requests and their messages (ACC-7). Every read of a request is scoped by the account
/// that owns it, so that no query can return another account's request.
#[async_trait]
pub trait SupportRepo: Send + Sync + std::fmt::Debug {
    /// Stores a new request and its first message in one transaction.
    async fn insert_request(
        &self,
        request: &SupportRequestRecord,
        first: &SupportMessageRecord,
    ) -> StoreResult<()>;

    /// Every request of `account`, newest first.
    async fn requests_of(&self, account: AccountId) -> StoreResult<Vec<SupportRequestRecord>>;

    /// The request `id` if `account` owns it.
    async fn request(
        &self,
        account: AccountId,
        id: SupportRequestId,
    ) -> StoreResult<Option<SupportRequestRecord>>;

    /// Stores a message on a request of `account` that is not closed and, in the same
    /// transaction, sets the request's status to `status` and its `updated_at` to the message's
    /// time. False (and nothing stored) if the request is not `account`'s or is closed.
    async fn insert_message(
        &self,
        account: AccountId,
        message: &SupportMessageRecord,
        status: SupportStatus,
    ) -> StoreResult<bool>;

    /// Closes a request of `account` unless already closed; true if this call closed it.
    async fn close_request(
        &self,
        account: AccountId,
        id: SupportRequestId,
        at: i64,
    ) -> StoreResult<bool>;

    /// Every message of a request, oldest first.
    async fn messages_of(
        &self,
        request: SupportRequestId,
    ) -> StoreResult<Vec<SupportMessageRecord>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn a_message_is_checked_by_length_and_characters() {
        assert_eq!(
            check_message("证书申请失败\r\n\t谢谢").unwrap(),
            "证书申请失败\n\t谢谢"
        );
        for bad in ["", "  \n\t ", "a\u{0}b", "a\u{1b}[31m", "a\rb", "a\u{85}b"] {
            let e = check_message(bad).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{bad:?}");
            assert!(e.message.starts_with("message: "), "{}", e.message);
        }
        let longest = "字".repeat(MESSAGE_MAX_CHARS);
        assert!(check_message(&longest).is_ok());
        let e = check_message(&format!("{longest}字")).unwrap_err();
        assert!(e.message.contains("4001"), "{}", e.message);
        assert!(!e.message.contains('字'));
    }

    #[test]
    fn wire_forms_round_trip() {
        for c in SupportCategory::ALL {
            assert_eq!(SupportCategory::parse(c.as_str()), Some(*c));
        }
        for s in SupportStatus::ALL {
            assert_eq!(SupportStatus::parse(s.as_str()), Some(*s));
        }
        for a in SupportAuthor::ALL {
            assert_eq!(SupportAuthor::parse(a.as_str()), Some(*a));
        }
        assert_eq!(SupportCategory::parse("complaint"), None);
    }

    #[test]
    fn the_seal_id_binds_request_message_and_author() {
        let r = SupportRequestId::ordered();
        let m = SupportMessageId::ordered();
        let a = SupportMessageRecord::seal_id(r, m, SupportAuthor::Customer);
        assert_ne!(a, SupportMessageRecord::seal_id(r, m, SupportAuthor::Staff));
        assert_ne!(
            a,
            SupportMessageRecord::seal_id(SupportRequestId::ordered(), m, SupportAuthor::Customer)
        );
        assert_ne!(
            a,
            SupportMessageRecord::seal_id(r, SupportMessageId::ordered(), SupportAuthor::Customer)
        );
    }
}
