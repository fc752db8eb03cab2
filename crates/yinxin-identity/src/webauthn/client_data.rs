//! `CollectedClientData` (WebAuthn L3 §5.8.1): the JSON the browser builds and the authenticator
//! signs the hash of. Only the members the relying party checks are read; others (such as
//! `topOrigin`, `tokenBinding` or future ones) are ignored, as the spec asks.

use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use super::error::WebauthnError;
use super::{RelyingParty, decode_b64url};

/// `type` of a registration's client data.
pub const TYPE_CREATE: &str = "webauthn.create";
/// `type` of an assertion's client data.
pub const TYPE_GET: &str = "webauthn.get";

/// The checked members of `CollectedClientData`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClientData {
    /// `webauthn.create` or `webauthn.get`.
    #[serde(rename = "type")]
    pub ceremony: String,
    /// The challenge, base64url as the browser wrote it.
    pub challenge: String,
    /// The origin of the page that ran the ceremony (`https://example.cn`).
    pub origin: String,
    /// True when the page was a cross-origin iframe.
    #[serde(rename = "crossOrigin", default)]
    pub cross_origin: Option<bool>,
}

impl ClientData {
    /// Parses the JSON. A duplicate member, a member of the wrong JSON type or bytes that are not
    /// UTF-8 JSON are refused.
    pub fn parse(bytes: &[u8]) -> Result<Self, WebauthnError> {
        serde_json::from_slice(bytes).map_err(|_| WebauthnError::ClientDataMalformed)
    }

    /// Checks type, challenge, origin and crossOrigin (the client-data steps of L3 §7.1 and §7.2).
    pub fn check(
        &self,
        expected_type: &'static str,
        expected_challenge: &[u8],
        rp: &RelyingParty,
    ) -> Result<(), WebauthnError> {
        if self.ceremony != expected_type {
            return Err(WebauthnError::ClientDataType {
                expected: expected_type,
            });
        }
        // An undecodable challenge is simply not the one issued.
        let challenge = decode_b64url(&self.challenge, super::error::field::CLIENT_DATA, 1024)
            .map_err(|_| WebauthnError::ChallengeMismatch)?;
        if !bool::from(challenge.as_slice().ct_eq(expected_challenge)) {
            return Err(WebauthnError::ChallengeMismatch);
        }
        if !rp.origins.contains(&self.origin) {
            return Err(WebauthnError::OriginNotAllowed);
        }
        if self.cross_origin == Some(true) {
            return Err(WebauthnError::CrossOrigin);
        }
        Ok(())
    }
}
