//! Support records (ACC-7): an account holder opens a support request, writes to it, reads the
//! conversation and closes it; every message is kept.
//!
//! What people write is personal information (inventory field `support.record`): each body is
//! sealed with `Vault::seal_record` under the account's subject key, bound to its request, message
//! and author, and is opened only for the account holder's own access. The request rows hold ids,
//! a category, a status and times. Requests are read only through the owning account, so a
//! request of another account is, to the caller, one that does not exist (404).
//!
//! Staff answering (author `staff`, status `answered`) waits for staff roles and their audit trail
//! (issue 8).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::inventory::SUPPORT_RECORD;
use yinxin_domain::pi::Purpose;
use yinxin_domain::support::{
    self, SupportAuthor, SupportCategory, SupportMessageRecord, SupportRequestRecord, SupportStatus,
};
use yinxin_domain::{AccountId, DomainError, ErrorCode, SupportMessageId, SupportRequestId};
use yinxin_privacy::vault::VaultError;

use crate::service::{Accounts, ServiceResult, now};

/// A new support request as submitted (ACC-7).
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportRequestOpening {
    /// What it is about.
    pub category: SupportCategory,
    /// The first message: 1 to 4000 characters; no control characters but newline and tab.
    pub message: String,
}

/// A message added to one's own support request.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportReply {
    /// 1 to 4000 characters; no control characters but newline and tab.
    pub message: String,
}

impl std::fmt::Debug for SupportRequestOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupportRequestOpening")
            .field("category", &self.category)
            .field("message", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for SupportReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SupportReply(<redacted>)")
    }
}

/// A support message as its account holder reads it.
#[derive(Clone, Serialize, ToSchema)]
pub struct SupportMessage {
    /// The message (UUID v7, time-ordered).
    #[schema(value_type = String, format = Uuid)]
    pub id: SupportMessageId,
    /// Who wrote it.
    pub author: SupportAuthor,
    /// Unix second it was written.
    pub at: i64,
    /// What was written (opened from the vault for the holder's own access).
    pub body: String,
}

impl std::fmt::Debug for SupportMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupportMessage")
            .field("id", &self.id)
            .field("author", &self.author)
            .field("at", &self.at)
            .field("body", &"<redacted>")
            .finish()
    }
}

/// A support request with its messages, oldest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SupportConversation {
    /// The request.
    pub request: SupportRequestRecord,
    /// Every message, oldest first.
    pub messages: Vec<SupportMessage>,
}

fn no_such_request() -> DomainError {
    DomainError::new(
        ErrorCode::NotFound,
        "you have no support request with this id",
    )
}

fn closed() -> DomainError {
    DomainError::new(
        ErrorCode::Conflict,
        "this support request is closed; open a new one to write again",
    )
}

impl Accounts {
    /// Opens a support request with its first message (ACC-7). The message is checked before
    /// anything is written, then sealed in the vault; the request and the message are stored in
    /// one transaction. An account may have `support_open_requests_max` requests open at once.
    pub async fn open_support_request(
        &self,
        account: &AccountRecord,
        o: &SupportRequestOpening,
    ) -> ServiceResult<SupportConversation> {
        let text = support::check_message(&o.message)?;
        let max = self.config.support_open_requests_max;
        let open = self
            .repo
            .requests_of(account.id)
            .await?
            .iter()
            .filter(|r| r.status != SupportStatus::Closed)
            .count();
        // Checked, then inserted: two requests racing may overshoot by one, which is harmless.
        if open >= max {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!(
                    "you already have {open} open support requests (at most {max}); close one \
                     before opening another"
                ),
            )
            .into());
        }
        let at = now();
        let request = SupportRequestRecord {
            id: SupportRequestId::ordered(),
            account: account.id,
            category: o.category,
            status: SupportStatus::Open,
            created_at: at,
            updated_at: at,
        };
        let first = self
            .seal_message(account, request.id, SupportAuthor::Customer, &text, at)
            .await?;
        self.repo.insert_request(&request, &first).await?;
        tracing::info!(account = %account.id, request = %request.id, category = request.category.as_str(), "support request opened");
        Ok(SupportConversation {
            request,
            messages: vec![SupportMessage {
                id: first.id,
                author: first.author,
                at,
                body: text,
            }],
        })
    }

    /// The account's support requests, newest first (without their messages).
    pub async fn support_requests(
        &self,
        account: AccountId,
    ) -> ServiceResult<Vec<SupportRequestRecord>> {
        Ok(self.repo.requests_of(account).await?)
    }

    /// One of the account's support requests with its messages, opened from the vault for the
    /// holder's own access. Another account's request is `NOT_FOUND`.
    pub async fn support_request(
        &self,
        account: &AccountRecord,
        id: SupportRequestId,
    ) -> ServiceResult<SupportConversation> {
        let request = self
            .repo
            .request(account.id, id)
            .await?
            .ok_or_else(no_such_request)?;
        let mut messages = Vec::new();
        for m in self.repo.messages_of(request.id).await? {
            let seal_id = SupportMessageRecord::seal_id(m.request, m.id, m.author);
            let opened = self
                .vault
                .open_record(account.subject, &SUPPORT_RECORD, &seal_id, &m.body_sealed)
                .await?;
            let body = String::from_utf8(opened.expose(Purpose::SubjectAccess)?.clone()).map_err(
                |_| VaultError::Tampered {
                    subject: account.subject,
                    what: format!("support message {}", m.id),
                },
            )?;
            messages.push(SupportMessage {
                id: m.id,
                author: m.author,
                at: m.at,
                body,
            });
        }
        Ok(SupportConversation { request, messages })
    }

    /// Adds the holder's message to their own request, which becomes `open` (waiting for the
    /// service) again. Refused on a closed request (`CONFLICT`).
    pub async fn add_support_message(
        &self,
        account: &AccountRecord,
        id: SupportRequestId,
        r: &SupportReply,
    ) -> ServiceResult<SupportMessage> {
        let text = support::check_message(&r.message)?;
        let request = self
            .repo
            .request(account.id, id)
            .await?
            .ok_or_else(no_such_request)?;
        if request.status == SupportStatus::Closed {
            return Err(closed().into());
        }
        let at = now();
        let m = self
            .seal_message(account, id, SupportAuthor::Customer, &text, at)
            .await?;
        if !self
            .repo
            .insert_message(account.id, &m, SupportStatus::Open)
            .await?
        {
            // Closed between the read and the write (the store refuses atomically).
            return Err(closed().into());
        }
        tracing::info!(account = %account.id, request = %id, message = %m.id, "support message added");
        Ok(SupportMessage {
            id: m.id,
            author: m.author,
            at,
            body: text,
        })
    }

    /// Closes the holder's own request. Its messages stay, as the record of the conversation.
    pub async fn close_support_request(
        &self,
        account: AccountId,
        id: SupportRequestId,
    ) -> ServiceResult<SupportRequestRecord> {
        let at = now();
        if !self.repo.close_request(account, id, at).await? {
            return Err(match self.repo.request(account, id).await? {
                Some(_) => DomainError::new(
                    ErrorCode::Conflict,
                    "this support request is already closed",
                ),
                None => no_such_request(),
            }
            .into());
        }
        tracing::info!(%account, request = %id, "support request closed");
        Ok(self
            .repo
            .request(account, id)
            .await?
            .ok_or_else(no_such_request)?)
    }

    async fn seal_message(
        &self,
        account: &AccountRecord,
        request: SupportRequestId,
        author: SupportAuthor,
        text: &str,
        at: i64,
    ) -> ServiceResult<SupportMessageRecord> {
        let id = SupportMessageId::ordered();
        let body_sealed = self
            .vault
            .seal_record(
                account.subject,
                &SUPPORT_RECORD,
                &SupportMessageRecord::seal_id(request, id, author),
                text.as_bytes(),
            )
            .await?;
        Ok(SupportMessageRecord {
            id,
            request,
            author,
            at,
            body_sealed,
        })
    }
}
