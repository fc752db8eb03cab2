//! The SMS gateway (ACC-3): one trait, a development outbox, and an adapter for a real provider.
//!
//! - [`outbox::Outbox`] (the default on a fresh start) appends each message to a JSON-lines file
//!   and keeps it readable through `GET /api/v1/dev/sms-outbox` — only when the outbox is the
//!   configured gateway. The file holds a keyed pseudonym and a masked form of the number, never
//!   the number itself; the code is there by design (it is what a developer needs to read).
//! - [`aliyun::Aliyun`] speaks Alibaba Cloud's documented `SendSms` RPC API (version
//!   2017-05-25, signature version 1.0, HMAC-SHA1), configured by endpoint and credentials.

pub mod aliyun;
pub mod outbox;

use async_trait::async_trait;

/// One message to send: a template and its parameters, as SMS providers in China require
/// (free text is not allowed; templates are approved in advance).
#[derive(Clone)]
pub struct SmsMessage {
    /// Mainland mobile, 11 digits.
    pub mobile: String,
    /// Provider template code (e.g. `SMS_123456789`).
    pub template: String,
    /// Template parameters, e.g. `[("code", "123456")]`.
    pub params: Vec<(String, String)>,
}

impl std::fmt::Debug for SmsMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsMessage")
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

/// The provider's receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmsReceipt {
    /// Provider's message or request id.
    pub provider_id: String,
}

/// Why a message was not sent. Never carries the number or the code.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The provider refused (its code and message).
    #[error("SMS provider refused: {code}: {message}")]
    Refused {
        /// Provider's error code.
        code: String,
        /// Provider's message.
        message: String,
    },
    /// The provider could not be reached or answered nonsense.
    #[error("SMS provider unavailable: {0}")]
    Unavailable(String),
}

/// Sends text messages.
#[async_trait]
pub trait SmsGateway: Send + Sync + std::fmt::Debug {
    /// Sends one message.
    async fn send(&self, message: &SmsMessage) -> Result<SmsReceipt, SmsError>;

    /// A name for the start-up banner and logs (`outbox`, `aliyun`).
    fn name(&self) -> &'static str;
}
