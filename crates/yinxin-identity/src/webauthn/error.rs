//! Why a passkey registration or assertion was refused.

/// JSON member names of the responses, used as the `field` of a refusal.
pub mod field {
    /// `id`: the credential id, base64url.
    pub const ID: &str = "id";
    /// `rawId`: the credential id, base64url.
    pub const RAW_ID: &str = "rawId";
    /// `type`: the credential type.
    pub const TYPE: &str = "type";
    /// `response.clientDataJSON`.
    pub const CLIENT_DATA: &str = "response.clientDataJSON";
    /// `response.attestationObject`.
    pub const ATTESTATION_OBJECT: &str = "response.attestationObject";
    /// `response.authenticatorData`.
    pub const AUTHENTICATOR_DATA: &str = "response.authenticatorData";
    /// `response.signature`.
    pub const SIGNATURE: &str = "response.signature";
    /// `response.userHandle`.
    pub const USER_HANDLE: &str = "response.userHandle";
    /// The stored credential public key (a server-side record, not a response member).
    pub const STORED_KEY: &str = "credential.publicKey";
}

/// A refusal of a passkey response. The text names the response member at fault and says what is
/// wrong with it; it never echoes the (attacker-controlled) bytes received.
///
/// Every variant but [`WebauthnError::StoredKey`] is a 4xx: `field()` and `to_string()` can build a
/// `yinxin_domain::DomainError::invalid`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebauthnError {
    /// A member is longer than this verifier accepts.
    #[error("{field}: longer than {limit} bytes")]
    TooLarge {
        /// The member.
        field: &'static str,
        /// Its limit in (decoded) bytes.
        limit: usize,
    },
    /// A member is not base64url.
    #[error("{field}: not base64url")]
    Base64 {
        /// The member.
        field: &'static str,
    },
    /// `type` is not `public-key`.
    #[error("type: must be \"public-key\"")]
    CredentialType,
    /// `id` is not the base64url form of `rawId`.
    #[error("id: is not the base64url encoding of rawId")]
    IdMismatch,
    /// `clientDataJSON` is not UTF-8 JSON with `type`, `challenge` and `origin` strings.
    #[error("response.clientDataJSON: not a JSON object with type, challenge and origin strings")]
    ClientDataMalformed,
    /// `clientDataJSON.type` is not the ceremony's.
    #[error("response.clientDataJSON: type is not \"{expected}\"")]
    ClientDataType {
        /// The type this ceremony requires.
        expected: &'static str,
    },
    /// `clientDataJSON.challenge` is not the challenge issued for this ceremony.
    #[error("response.clientDataJSON: challenge does not match the one issued")]
    ChallengeMismatch,
    /// `clientDataJSON.origin` is not one of the relying party's origins.
    #[error("response.clientDataJSON: origin is not an origin of this service")]
    OriginNotAllowed,
    /// `clientDataJSON.crossOrigin` is true: the ceremony ran in a cross-origin iframe.
    #[error("response.clientDataJSON: crossOrigin is true; passkeys are accepted only first-party")]
    CrossOrigin,
    /// A CBOR structure could not be decoded, or is not the shape the spec gives it.
    #[error("{field}: {what}")]
    Malformed {
        /// The member.
        field: &'static str,
        /// What is wrong (a fixed text).
        what: &'static str,
    },
    /// The authenticator data ends before a part its flags announce.
    #[error("{field}: authenticator data is truncated")]
    Truncated {
        /// The member.
        field: &'static str,
    },
    /// Bytes follow the authenticator data (or the CBOR item) where nothing may.
    #[error("{field}: unexpected bytes after the data")]
    TrailingBytes {
        /// The member.
        field: &'static str,
    },
    /// `rpIdHash` is not SHA-256 of this relying party's id.
    #[error("{field}: rpIdHash is not for this relying party's id")]
    RpIdMismatch {
        /// The member.
        field: &'static str,
    },
    /// The user-present flag (UP) is not set.
    #[error("{field}: user presence (UP flag) not asserted")]
    UserNotPresent {
        /// The member.
        field: &'static str,
    },
    /// The user-verified flag (UV) is not set: no biometric or PIN check on the device.
    #[error(
        "{field}: user verification (UV flag) not performed; a device PIN or biometric is required"
    )]
    UserNotVerified {
        /// The member.
        field: &'static str,
    },
    /// BS (backed up) is set while BE (backup eligible) is not.
    #[error("{field}: backup state set on a credential that is not backup eligible")]
    BackupState {
        /// The member.
        field: &'static str,
    },
    /// Registration data lacks the attested credential data (AT flag clear).
    #[error("response.attestationObject: no attested credential data (AT flag clear)")]
    NoCredentialData,
    /// An assertion carries attested credential data (AT flag set), which only a creation has.
    #[error("response.authenticatorData: attested credential data is not expected in an assertion")]
    UnexpectedCredentialData,
    /// The credential id is longer than WebAuthn allows (1023 bytes).
    #[error("{field}: credential id longer than 1023 bytes")]
    CredentialIdTooLong {
        /// The member.
        field: &'static str,
    },
    /// The credential public key is not a COSE key this verifier understands.
    #[error("{field}: credential public key: {what}")]
    CoseKey {
        /// The member.
        field: &'static str,
        /// What is wrong (a fixed text).
        what: &'static str,
    },
    /// The credential uses an algorithm other than ES256 (-7) or EdDSA (-8).
    #[error("{field}: credential algorithm {alg} is not supported (only ES256 -7 and EdDSA -8)")]
    UnsupportedAlgorithm {
        /// The member.
        field: &'static str,
        /// The COSE algorithm identifier received.
        alg: i64,
    },
    /// The attestation statement is malformed or does not verify.
    #[error("response.attestationObject: attestation statement: {what}")]
    Attestation {
        /// What is wrong (a fixed text).
        what: &'static str,
    },
    /// The attestation statement uses a form this verifier does not check.
    #[error("response.attestationObject: unsupported attestation: {what}")]
    UnsupportedAttestation {
        /// What is not supported (a fixed text).
        what: &'static str,
    },
    /// The assertion signature does not verify with the credential's public key.
    #[error("response.signature: does not verify with the credential's public key")]
    BadSignature,
    /// The assertion is for another credential than the stored one.
    #[error("rawId: not the credential this login is checked against")]
    CredentialMismatch,
    /// `userHandle` is not the handle of the credential's account.
    #[error("response.userHandle: not the account this credential belongs to")]
    UserHandleMismatch,
    /// The signature counter did not increase: the authenticator may have been cloned.
    #[error(
        "response.authenticatorData: signature counter {received} is not above the stored {stored}; the authenticator may have been cloned"
    )]
    CounterRegression {
        /// The counter stored after the last use.
        stored: u32,
        /// The counter received now.
        received: u32,
    },
    /// The stored public key does not parse: a server-side fault, not the client's.
    #[error("credential.publicKey: the stored key is not a usable COSE key")]
    StoredKey,
}

impl WebauthnError {
    /// The response member the refusal is about (`response.clientDataJSON`, `rawId`, ...).
    pub fn field(&self) -> &'static str {
        match self {
            Self::TooLarge { field, .. }
            | Self::Base64 { field }
            | Self::Malformed { field, .. }
            | Self::Truncated { field }
            | Self::TrailingBytes { field }
            | Self::RpIdMismatch { field }
            | Self::UserNotPresent { field }
            | Self::UserNotVerified { field }
            | Self::BackupState { field }
            | Self::CredentialIdTooLong { field }
            | Self::CoseKey { field, .. }
            | Self::UnsupportedAlgorithm { field, .. } => field,
            Self::CredentialType => field::TYPE,
            Self::IdMismatch => field::ID,
            Self::ClientDataMalformed
            | Self::ClientDataType { .. }
            | Self::ChallengeMismatch
            | Self::OriginNotAllowed
            | Self::CrossOrigin => field::CLIENT_DATA,
            Self::NoCredentialData
            | Self::Attestation { .. }
            | Self::UnsupportedAttestation { .. } => field::ATTESTATION_OBJECT,
            Self::UnexpectedCredentialData | Self::CounterRegression { .. } => {
                field::AUTHENTICATOR_DATA
            }
            Self::BadSignature => field::SIGNATURE,
            Self::CredentialMismatch => field::RAW_ID,
            Self::UserHandleMismatch => field::USER_HANDLE,
            Self::StoredKey => field::STORED_KEY,
        }
    }

    /// The text without the leading `"{field}: "`, for `DomainError::invalid(e.field(), e.reason())`.
    pub fn reason(&self) -> String {
        let text = self.to_string();
        match text.split_once(": ") {
            Some((field, reason)) if field == self.field() => reason.to_owned(),
            _ => text,
        }
    }

    /// True when the fault is the server's (the stored key), not the response's.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Self::StoredKey)
    }
}
