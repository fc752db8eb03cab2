//! Passkeys (ACC-3): a WebAuthn Level 3 relying-party verifier. Pure logic, no I/O.
//!
//! The "biometric login" of ACC-3 without the biometric: the fingerprint or face check happens on
//! the user's device, which then signs the server's challenge with a key that never leaves it.
//! The server sees a public key, a signature and a flag saying the device verified its user (UV);
//! it never sees, stores or compares biometric data. `docs/PASSKEYS.md` has the summary.
//!
//! A registration: [`new_challenge`], [`creation_options`] to the browser
//! (`navigator.credentials.create`), its answer parsed as [`RegistrationResponse`] and checked
//! with [`verify_registration`] (L3 §7.1), which gives the [`NewCredential`] to store. A login:
//! [`request_options`], then [`verify_assertion`] (§7.2) against the [`StoredCredential`]; store
//! the returned counter.
//!
//! Every byte of a response is untrusted: parsing is total (no panics, no indexing), sizes are
//! bounded before decoding, and each refusal is its own [`WebauthnError`] naming the field.

mod attestation;
mod authdata;
mod cbor;
mod client_data;
mod cose;
mod error;
#[cfg(any(test, feature = "test-support"))]
pub mod soft;
#[cfg(test)]
mod tests;

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};

pub use attestation::{AttestationObject, REGISTERED_FORMATS};
pub use authdata::{
    AttestedCredentialData, AuthenticatorData, FLAG_AT, FLAG_BE, FLAG_BS, FLAG_ED, FLAG_UP,
    FLAG_UV, MAX_CREDENTIAL_ID, parse as parse_authenticator_data,
};
pub use client_data::{ClientData, TYPE_CREATE, TYPE_GET};
pub use cose::{ALG_EDDSA, ALG_ES256, CredentialPublicKey};
pub use error::{WebauthnError, field};

/// Largest `clientDataJSON` accepted (decoded bytes). Real ones are a few hundred bytes.
pub const MAX_CLIENT_DATA: usize = 64 * 1024;
/// Largest `attestationObject` accepted (decoded bytes); room for a packed statement with a
/// certificate chain.
pub const MAX_ATTESTATION_OBJECT: usize = 64 * 1024;
/// Largest `authenticatorData` of an assertion accepted (decoded bytes).
pub const MAX_AUTHENTICATOR_DATA: usize = 64 * 1024;
/// Largest `signature` accepted: a DER ES256 signature is at most 72 bytes, Ed25519 64.
pub const MAX_SIGNATURE: usize = 1024;
/// A user handle is at most 64 bytes (WebAuthn L3, `user.id`).
pub const MAX_USER_HANDLE: usize = 64;
/// How long the browser waits for the user, in milliseconds (sent as `timeout`).
pub const TIMEOUT_MS: u64 = 300_000;

/// base64url, padding optional: the JSON encodings use none, some libraries add it.
const B64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The transports a credential may report (`AuthenticatorTransport`, WebAuthn L3); others are dropped, not stored.
const KNOWN_TRANSPORTS: [&str; 6] = ["ble", "hybrid", "internal", "nfc", "smart-card", "usb"];

/// This service as a WebAuthn relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP ID: a registrable domain the credentials are scoped to (`example.cn`, `localhost`).
    /// NEVER change it for a running service: every registered passkey is bound to it.
    pub id: String,
    /// The name browsers show when creating a passkey (`银信`).
    pub name: String,
    /// The exact origins the ceremonies may run on (`https://example.cn`,
    /// `http://localhost:8080`).
    pub origins: Vec<String>,
}

impl RelyingParty {
    /// Checks the settings: an RP ID that is a lower-case host name, and origins that are
    /// `https://` (or `http://` on `localhost`) on that host or a subdomain of it, without path.
    /// The error names what is wrong, for a configuration message.
    pub fn check(&self) -> Result<(), String> {
        let id = self.id.as_str();
        let host_like = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !host_like || id.starts_with('.') || id.ends_with('.') {
            return Err("passkey RP ID must be a lower-case host name such as example.cn".into());
        }
        if self.name.trim().is_empty() {
            return Err("passkey RP name is empty".into());
        }
        if self.origins.is_empty() {
            return Err("passkey origins are empty".into());
        }
        for origin in &self.origins {
            let (secure, rest) = if let Some(rest) = origin.strip_prefix("https://") {
                (true, rest)
            } else if let Some(rest) = origin.strip_prefix("http://") {
                (false, rest)
            } else {
                return Err(format!(
                    "passkey origin {origin:?} must start with https://"
                ));
            };
            let host = match rest.rsplit_once(':') {
                Some((host, port))
                    if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    host
                }
                _ => rest,
            };
            if host.contains(['/', '?', '#', '@', ':']) || host.is_empty() {
                return Err(format!(
                    "passkey origin {origin:?} must be scheme://host[:port] only"
                ));
            }
            if host != id && !host.ends_with(&format!(".{id}")) {
                return Err(format!(
                    "passkey origin {origin:?} is not on the RP ID {id} or a subdomain of it"
                ));
            }
            if !secure && host != "localhost" {
                return Err(format!(
                    "passkey origin {origin:?} must use https:// (http:// only on localhost)"
                ));
            }
        }
        Ok(())
    }
}

/// A fresh 32-byte challenge (L3 §13.4.3 asks for at least 16 random bytes). Keep it
/// server-side with the ceremony and use it once.
pub fn new_challenge() -> [u8; 32] {
    rand::random()
}

/// base64url without padding, as the WebAuthn JSON encodings use.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url (padding optional) of at most `limit` decoded bytes; the text length is
/// checked before decoding.
pub(crate) fn decode_b64url(
    text: &str,
    field: &'static str,
    limit: usize,
) -> Result<Vec<u8>, WebauthnError> {
    let too_large = WebauthnError::TooLarge { field, limit };
    if text.len() > limit.div_ceil(3).saturating_mul(4) {
        return Err(too_large);
    }
    let bytes = B64URL_LENIENT
        .decode(text)
        .map_err(|_| WebauthnError::Base64 { field })?;
    if bytes.len() > limit {
        return Err(too_large);
    }
    Ok(bytes)
}

fn credential_descriptors(ids: &[Vec<u8>]) -> Vec<serde_json::Value> {
    ids.iter()
        .map(|id| json!({ "type": "public-key", "id": b64url(id) }))
        .collect()
}

/// `PublicKeyCredentialCreationOptionsJSON` (WebAuthn L3) for `navigator.credentials.create`:
/// ES256 and EdDSA keys, attestation `none`, a discoverable credential preferred, user
/// verification required. `exclude` lists the account's existing credential ids, so the same
/// authenticator is not registered twice.
pub fn creation_options(
    rp: &RelyingParty,
    challenge: &[u8],
    user_handle: &[u8],
    user_name: &str,
    display_name: &str,
    exclude: &[Vec<u8>],
) -> serde_json::Value {
    json!({
        "rp": { "id": rp.id, "name": rp.name },
        "user": {
            "id": b64url(user_handle),
            "name": user_name,
            "displayName": display_name,
        },
        "challenge": b64url(challenge),
        "pubKeyCredParams": [
            { "type": "public-key", "alg": ALG_ES256 },
            { "type": "public-key", "alg": ALG_EDDSA },
        ],
        "timeout": TIMEOUT_MS,
        "excludeCredentials": credential_descriptors(exclude),
        "authenticatorSelection": {
            "residentKey": "preferred",
            "requireResidentKey": false,
            "userVerification": "required",
        },
        "attestation": "none",
    })
}

/// `PublicKeyCredentialRequestOptionsJSON` (WebAuthn L3) for `navigator.credentials.get`. An empty
/// `allow` lets the user pick any passkey of this RP (discoverable login).
pub fn request_options(
    rp: &RelyingParty,
    challenge: &[u8],
    allow: &[Vec<u8>],
) -> serde_json::Value {
    json!({
        "challenge": b64url(challenge),
        "timeout": TIMEOUT_MS,
        "rpId": rp.id,
        "allowCredentials": credential_descriptors(allow),
        "userVerification": "required",
    })
}

/// `RegistrationResponseJSON` (WebAuthn L3), as `PublicKeyCredential.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponse {
    /// The credential id, base64url.
    pub id: String,
    /// The credential id, base64url (the same bytes as `id`).
    pub raw_id: String,
    /// Must be `public-key`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// The authenticator's answer.
    pub response: AttestationResponse,
    /// Client extension outputs (none are requested; ignored).
    #[serde(default)]
    pub client_extension_results: Option<serde_json::Value>,
    /// `platform` or `cross-platform`, if the browser says.
    #[serde(default)]
    pub authenticator_attachment: Option<String>,
}

/// `AuthenticatorAttestationResponseJSON`: the members this verifier reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponse {
    /// `clientDataJSON`, base64url.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// The CBOR attestation object, base64url.
    pub attestation_object: String,
    /// How the authenticator can be reached (`internal`, `hybrid`, `usb`, ...).
    #[serde(default)]
    pub transports: Option<Vec<String>>,
}

/// `AuthenticationResponseJSON` (WebAuthn L3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResponse {
    /// The credential id, base64url.
    pub id: String,
    /// The credential id, base64url (the same bytes as `id`).
    pub raw_id: String,
    /// Must be `public-key`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// The authenticator's answer.
    pub response: AssertionResponse,
    /// Client extension outputs (ignored).
    #[serde(default)]
    pub client_extension_results: Option<serde_json::Value>,
    /// `platform` or `cross-platform`, if the browser says.
    #[serde(default)]
    pub authenticator_attachment: Option<String>,
}

/// `AuthenticatorAssertionResponseJSON`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    /// `clientDataJSON`, base64url.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// The authenticator data, base64url.
    pub authenticator_data: String,
    /// The signature over `authenticatorData ‖ SHA-256(clientDataJSON)`, base64url.
    pub signature: String,
    /// The account's user handle, for a discoverable credential; base64url.
    #[serde(default)]
    pub user_handle: Option<String>,
}

/// A verified new passkey: what to store with the account. Nothing here is biometric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    /// The credential id (≤ 1023 bytes): how a login names the passkey.
    pub credential_id: Vec<u8>,
    /// The COSE_Key bytes as received; [`CredentialPublicKey::from_cose`] parses them again.
    pub public_key_cose: Vec<u8>,
    /// COSE algorithm: [`ALG_ES256`] or [`ALG_EDDSA`].
    pub algorithm: i64,
    /// The signature counter at registration (0 if the authenticator keeps none).
    pub sign_count: u32,
    /// BE: the passkey may be synced to the user's other devices.
    pub backup_eligible: bool,
    /// BS: the passkey is synced now.
    pub backed_up: bool,
    /// The authenticator model (often all zero with attestation "none").
    pub aaguid: [u8; 16],
    /// The attestation statement format received (one of [`REGISTERED_FORMATS`]); recorded, not
    /// relied on.
    pub attestation_format: String,
    /// Transports the browser reported, known values only (for `allowCredentials` hints).
    pub transports: Vec<String>,
}

/// A stored passkey, as a login checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The COSE_Key bytes stored at registration.
    pub public_key_cose: Vec<u8>,
    /// The counter after the last accepted use.
    pub sign_count: u32,
    /// The user handle of the account the credential belongs to.
    pub user_handle: Vec<u8>,
}

/// An accepted login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionOutcome {
    /// The counter to store in place of the old one.
    pub new_sign_count: u32,
    /// Always true: an assertion without UV is refused. Kept so callers need not assume it.
    pub user_verified: bool,
    /// BE reported by this assertion.
    pub backup_eligible: bool,
    /// BS reported by this assertion (a passkey may become synced after registration).
    pub backed_up: bool,
}

/// Checks the parts common to both ceremonies: `type` and `id` against `rawId`; returns `rawId`.
fn check_credential_envelope(
    credential_type: &str,
    id: &str,
    raw_id: &str,
) -> Result<Vec<u8>, WebauthnError> {
    if credential_type != "public-key" {
        return Err(WebauthnError::CredentialType);
    }
    let raw = decode_b64url(raw_id, field::RAW_ID, MAX_CREDENTIAL_ID)?;
    let id = decode_b64url(id, field::ID, MAX_CREDENTIAL_ID)?;
    if id != raw {
        return Err(WebauthnError::IdMismatch);
    }
    Ok(raw)
}

/// Checks the authenticator data against the RP: rpIdHash, UP, UV, and BS only with BE.
fn check_flags_and_rp(
    data: &AuthenticatorData<'_>,
    rp: &RelyingParty,
    field: &'static str,
) -> Result<(), WebauthnError> {
    let expected: [u8; 32] = Sha256::digest(rp.id.as_bytes()).into();
    if data.rp_id_hash != expected {
        return Err(WebauthnError::RpIdMismatch { field });
    }
    if !data.has(FLAG_UP) {
        return Err(WebauthnError::UserNotPresent { field });
    }
    // ACC-3: the device must have checked its user (biometric or PIN); presence alone is a tap.
    if !data.has(FLAG_UV) {
        return Err(WebauthnError::UserNotVerified { field });
    }
    if data.has(FLAG_BS) && !data.has(FLAG_BE) {
        return Err(WebauthnError::BackupState { field });
    }
    Ok(())
}

/// Verifies a registration (L3 §7.1) against the challenge issued for it. On success the
/// credential is new and belongs to whoever asked for `expected_challenge`; the caller still
/// checks that its id is not registered already (the "credentialId is not yet registered" step of §7.1).
pub fn verify_registration(
    rp: &RelyingParty,
    expected_challenge: &[u8],
    resp: &RegistrationResponse,
) -> Result<NewCredential, WebauthnError> {
    let raw_id = check_credential_envelope(&resp.credential_type, &resp.id, &resp.raw_id)?;

    let client_data_json = decode_b64url(
        &resp.response.client_data_json,
        field::CLIENT_DATA,
        MAX_CLIENT_DATA,
    )?;
    ClientData::parse(&client_data_json)?.check(TYPE_CREATE, expected_challenge, rp)?;
    let client_data_hash: [u8; 32] = Sha256::digest(&client_data_json).into();

    let attestation_object = decode_b64url(
        &resp.response.attestation_object,
        field::ATTESTATION_OBJECT,
        MAX_ATTESTATION_OBJECT,
    )?;
    let attestation = AttestationObject::parse(&attestation_object)?;
    let data = parse_authenticator_data(&attestation.auth_data, field::ATTESTATION_OBJECT)?;
    check_flags_and_rp(&data, rp, field::ATTESTATION_OBJECT)?;
    let credential = data
        .attested
        .as_ref()
        .ok_or(WebauthnError::NoCredentialData)?;
    if credential.credential_id != raw_id.as_slice() {
        return Err(WebauthnError::Malformed {
            field: field::RAW_ID,
            what: "not the credential id in the authenticator data",
        });
    }
    let key =
        CredentialPublicKey::from_cose(credential.public_key_cose, field::ATTESTATION_OBJECT)?;
    attestation.verify_statement(&key, &client_data_hash)?;

    let transports = resp
        .response
        .transports
        .iter()
        .flatten()
        .filter_map(|t| {
            KNOWN_TRANSPORTS
                .into_iter()
                .find(|known| *known == t.as_str())
        })
        .map(str::to_owned)
        .collect();
    Ok(NewCredential {
        credential_id: raw_id,
        public_key_cose: credential.public_key_cose.to_vec(),
        algorithm: key.algorithm(),
        sign_count: data.sign_count,
        backup_eligible: data.has(FLAG_BE),
        backed_up: data.has(FLAG_BS),
        aaguid: credential.aaguid,
        attestation_format: attestation.fmt.to_owned(),
        transports,
    })
}

/// Verifies a login (L3 §7.2) with `stored`, the credential the response's `rawId` names, against
/// the challenge issued for it.
///
/// Counter rule (§6.1.1, and the `signCount` step of §7.2): when the stored or the received counter is
/// non-zero, the received one must be greater, or the login is refused as a possible clone
/// ([`WebauthnError::CounterRegression`]). Both zero is an authenticator without a counter
/// (synced passkeys): accepted.
pub fn verify_assertion(
    rp: &RelyingParty,
    expected_challenge: &[u8],
    stored: &StoredCredential,
    resp: &AuthenticationResponse,
) -> Result<AssertionOutcome, WebauthnError> {
    let raw_id = check_credential_envelope(&resp.credential_type, &resp.id, &resp.raw_id)?;
    if raw_id != stored.credential_id {
        return Err(WebauthnError::CredentialMismatch);
    }

    let client_data_json = decode_b64url(
        &resp.response.client_data_json,
        field::CLIENT_DATA,
        MAX_CLIENT_DATA,
    )?;
    ClientData::parse(&client_data_json)?.check(TYPE_GET, expected_challenge, rp)?;

    let authenticator_data = decode_b64url(
        &resp.response.authenticator_data,
        field::AUTHENTICATOR_DATA,
        MAX_AUTHENTICATOR_DATA,
    )?;
    let data = parse_authenticator_data(&authenticator_data, field::AUTHENTICATOR_DATA)?;
    if data.attested.is_some() {
        return Err(WebauthnError::UnexpectedCredentialData);
    }
    check_flags_and_rp(&data, rp, field::AUTHENTICATOR_DATA)?;

    // A browser sends null (or, in some libraries, "") when the credential is not discoverable.
    if let Some(handle) = resp
        .response
        .user_handle
        .as_deref()
        .filter(|h| !h.is_empty())
    {
        let handle = decode_b64url(handle, field::USER_HANDLE, MAX_USER_HANDLE)?;
        if handle != stored.user_handle {
            return Err(WebauthnError::UserHandleMismatch);
        }
    }

    let key = CredentialPublicKey::from_cose(&stored.public_key_cose, field::STORED_KEY)
        .map_err(|_| WebauthnError::StoredKey)?;
    let signature = decode_b64url(&resp.response.signature, field::SIGNATURE, MAX_SIGNATURE)?;
    let mut signed = authenticator_data.clone();
    signed.extend_from_slice(&Sha256::digest(&client_data_json));
    if !key.verify(&signed, &signature) {
        return Err(WebauthnError::BadSignature);
    }

    let received = data.sign_count;
    if (received != 0 || stored.sign_count != 0) && received <= stored.sign_count {
        return Err(WebauthnError::CounterRegression {
            stored: stored.sign_count,
            received,
        });
    }
    Ok(AssertionOutcome {
        new_sign_count: received,
        user_verified: data.has(FLAG_UV),
        backup_eligible: data.has(FLAG_BE),
        backed_up: data.has(FLAG_BS),
    })
}
