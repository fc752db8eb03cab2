//! The provider seam (IDV-3): what a verification provider is asked and what it answers.
//!
//! A provider receives the factors of one check and returns only a comparison result (or, for
//! ID-card capture, the fields it read). Values travel in [`Secret`]s, wiped when dropped;
//! images are bytes already inspected by `yinxin_domain::image`. Nothing here logs a value: the
//! `Debug` forms name the check, never its content.

use std::time::Duration;

use async_trait::async_trait;
use yinxin_domain::verification::{Factor, Method};
use zeroize::Zeroizing;

/// A value sent to a provider: wiped on drop, never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(pub Zeroizing<String>);

impl Secret {
    /// Wraps a value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(Zeroizing::new(s.into()))
    }

    /// The value, for the wire.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Image bytes (already structurally checked): wiped on drop, never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ImageBytes(pub Zeroizing<Vec<u8>>);

impl ImageBytes {
    /// Wraps bytes.
    pub fn new(b: Vec<u8>) -> Self {
        Self(Zeroizing::new(b))
    }

    /// The bytes.
    pub fn reveal(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for ImageBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ImageBytes({} bytes)", self.0.len())
    }
}

/// One check to run.
#[derive(Clone)]
pub enum Check {
    /// Carrier 3-factor: name + resident ID + mobile.
    Carrier {
        /// Name.
        name: Secret,
        /// Resident ID number (18 characters, normal form).
        id_number: Secret,
        /// Mainland mobile (11 digits).
        mobile: Secret,
    },
    /// Bank-card 4-factor.
    BankCard {
        /// Name.
        name: Secret,
        /// Resident ID number.
        id_number: Secret,
        /// Card number, digits only, Luhn-valid.
        card_number: Secret,
        /// Bank-reserved mobile.
        mobile: Secret,
    },
    /// Face comparison: both images compared with the authoritative photo of (name, ID).
    Face {
        /// Name.
        name: Secret,
        /// Resident ID number.
        id_number: Secret,
        /// The photo page of the document.
        document_photo: ImageBytes,
        /// The live face image.
        face: ImageBytes,
    },
    /// ID-card capture: the provider reads both faces.
    IdCardCapture {
        /// Portrait face (name, sex, ethnicity, birth, address, number, photo).
        front: ImageBytes,
        /// National-emblem face (issuing authority, validity period).
        back: ImageBytes,
    },
    /// Enterprise information: name + USCC + legal representative's name and ID number.
    Enterprise {
        /// Registered name.
        name: Secret,
        /// Unified social credit code (18 characters).
        credit_code: Secret,
        /// Legal representative's name.
        legal_rep_name: Secret,
        /// Legal representative's resident ID number.
        legal_rep_id_number: Secret,
    },
    /// Send a small deposit to a corporate account (its amount is what the enterprise confirms).
    Deposit {
        /// Account holder name (the enterprise's registered name).
        account_name: Secret,
        /// Corporate bank account number.
        account_number: Secret,
        /// Amount in fen (1..=99).
        amount_fen: u32,
        /// Our reference for the transfer (no PI: a random id).
        reference: String,
    },
}

impl Check {
    /// The method this check belongs to.
    pub fn method(&self) -> Method {
        match self {
            Self::Carrier { .. } => Method::Carrier,
            Self::BankCard { .. } => Method::BankCard,
            Self::Face { .. } => Method::Face,
            Self::IdCardCapture { .. } => Method::IdCardCapture,
            Self::Enterprise { .. } => Method::Enterprise,
            Self::Deposit { .. } => Method::EnterpriseAccount,
        }
    }
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Check({})", self.method().as_str())
    }
}

/// The fields an ID-card capture read. Shown to the user, compared with the account, not stored.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IdCardFields {
    /// 姓名.
    pub name: Secret,
    /// 性别.
    pub sex: Secret,
    /// 民族.
    pub ethnicity: Secret,
    /// 出生, as the card prints it (e.g. `1980/1/1`).
    pub birth: Secret,
    /// 住址.
    pub address: Secret,
    /// 公民身份号码.
    pub id_number: Secret,
    /// 签发机关.
    pub authority: Secret,
    /// 有效期限 (e.g. `2010.07.21-2020.07.21`).
    pub valid_date: Secret,
}

impl std::fmt::Debug for IdCardFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdCardFields(..)")
    }
}

/// A provider's answer to a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Every factor matched.
    Match,
    /// These factors did not match (a provider that cannot say which names all it compared).
    Mismatch(Vec<Factor>),
    /// ID-card capture: the fields read.
    Read(Box<IdCardFields>),
    /// The deposit was sent; the provider's transfer id.
    DepositSent {
        /// Provider's transfer id.
        transfer_id: String,
    },
}

/// Why a provider gave no answer. Never carries a value that was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The call did not finish in time.
    #[error("the provider did not answer within {0:?}")]
    Timeout(Duration),
    /// The provider could not be reached or answered something unreadable.
    #[error("the provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the call (auth, quota, malformed request): its code and message.
    #[error("the provider refused the call: {code}: {message}")]
    Refused {
        /// Provider's error code.
        code: String,
        /// Provider's message.
        message: String,
    },
    /// The provider does not offer this method.
    #[error("the provider does not offer {0:?}")]
    Unsupported(Method),
}

/// A verification provider (IDV-3). Implementations speak one provider's documented protocol.
#[async_trait]
pub trait IdentityProvider: Send + Sync + std::fmt::Debug {
    /// The configured name of this provider (the processor register's key).
    fn name(&self) -> &str;

    /// Whether this provider offers `method`.
    fn supports(&self, method: Method) -> bool;

    /// Runs one check. Timeouts are the caller's (the router's) business; an implementation may
    /// still bound its own connect time.
    async fn check(&self, check: &Check) -> Result<Answer, ProviderError>;
}
