//! Identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random identifier (UUID v4, 122 bits of entropy).
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }

            /// The 16 bytes of the identifier.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }

            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// The pseudonymous identifier of a data subject (a person or an enterprise) in the vault.
    ///
    /// It is random and carries no personal information, so it may appear in logs and in the
    /// evidence log; the subject's fields never do. Its bytes are the associated data of sealing.
    SubjectId
);

uuid_id!(
    /// An account (personal or enterprise). Random, no personal information; distinct from the
    /// account's vault subject so that shredding the subject leaves an anonymous account row.
    AccountId
);

uuid_id!(
    /// One recorded consent or withdrawal (PRIV-1, PRIV-2): the receipt id.
    ConsentId
);

uuid_id!(
    /// An agent authorization: an enterprise's grant to a personal account to act for it (ACC-2).
    AuthorizationId
);

uuid_id!(
    /// A guardian's consent for a minor's registration (PRIV-13).
    GuardianConsentId
);

uuid_id!(
    /// A support request (ACC-7).
    SupportRequestId
);

macro_rules! ordered_id {
    ($($name:ident),+) => {$(
        impl $name {
            /// A time-ordered identifier (UUID v7: milliseconds, then a counter and random bits),
            /// so that records made in the same second keep their order when sorted by id.
            pub fn ordered() -> Self {
                Self(Uuid::now_v7())
            }
        }
    )+};
}

ordered_id!(
    ConsentId,
    AuthorizationId,
    GuardianConsentId,
    SupportRequestId
);

uuid_id!(
    /// One message of a support request (ACC-7). Also part of the associated data its sealed body
    /// is bound to, so a body cannot be moved to another message.
    SupportMessageId
);

ordered_id!(SupportMessageId);

uuid_id!(
    /// One login attempt as a risk-control record (ACC-5). Also part of the associated data its
    /// sealed facts are bound to.
    LoginEventId
);

ordered_id!(LoginEventId);

uuid_id!(
    /// One identity verification attempt (IDV-1, IDV-2).
    VerificationId
);

uuid_id!(
    /// One disclosure of data items to a processor (IDV-3, PRIV-7).
    DisclosureId
);

uuid_id!(
    /// One corporate-account deposit challenge (IDV-2).
    DepositId
);

uuid_id!(
    /// One personal identity credential (IDV-5, IDV-6).
    CredentialId
);

ordered_id!(VerificationId, DisclosureId, DepositId, CredentialId);

uuid_id!(
    /// One warranty that information about another person was submitted with that person's
    /// separate consent (IDV-4).
    WarrantyId
);

ordered_id!(WarrantyId);

uuid_id!(
    /// One enterprise seal (SIGN-3). Also part of the associated data its sealed image is bound to.
    SealId
);

uuid_id!(
    /// One authorization of an agent to use a seal (SIGN-3, ACC-2).
    SealAuthorizationId
);

uuid_id!(
    /// One signature image of a person (SIGN-2). Also part of the associated data its sealed
    /// image is bound to.
    SignatureImageId
);

ordered_id!(SealId, SealAuthorizationId, SignatureImageId);
