//! Authenticator data (WebAuthn L3 §6.1; CTAP2 "Authenticator Data"):
//!
//! ```text
//! rpIdHash 32 | flags 1 | signCount 4 (big-endian)
//!   [AT] aaguid 16 | credentialIdLength 2 (big-endian) | credentialId | credentialPublicKey (COSE_Key, CBOR)
//!   [ED] extensions (CBOR map)
//! ```
//!
//! The parser is total: it reads with `split_at_checked`, never indexes, and refuses bytes left
//! over after the parts the flags announce.

use super::cbor;
use super::error::WebauthnError;

/// Bit 0: user present.
pub const FLAG_UP: u8 = 0x01;
/// Bit 2: user verified (biometric or PIN on the device).
pub const FLAG_UV: u8 = 0x04;
/// Bit 3: backup eligible (the credential may be synced, e.g. an iCloud or Google passkey).
pub const FLAG_BE: u8 = 0x08;
/// Bit 4: backed up (the credential is currently synced).
pub const FLAG_BS: u8 = 0x10;
/// Bit 6: attested credential data included.
pub const FLAG_AT: u8 = 0x40;
/// Bit 7: extension data included.
pub const FLAG_ED: u8 = 0x80;

/// WebAuthn caps credential ids at 1023 bytes (the `credentialId` step of L3 §7.1).
pub const MAX_CREDENTIAL_ID: usize = 1023;

/// Parsed authenticator data, borrowing from the bytes it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData<'a> {
    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    pub rp_id_hash: [u8; 32],
    /// The flags byte (`FLAG_*`).
    pub flags: u8,
    /// The signature counter (0 for authenticators without one).
    pub sign_count: u32,
    /// The attested credential data, present exactly when `FLAG_AT` is set.
    pub attested: Option<AttestedCredentialData<'a>>,
    /// The extensions map as CBOR bytes, present exactly when `FLAG_ED` is set.
    pub extensions: Option<&'a [u8]>,
}

/// Attested credential data: the new credential, in registration authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredentialData<'a> {
    /// The authenticator model's AAGUID (all zero for "none" attestation from many platforms).
    pub aaguid: [u8; 16],
    /// The credential id, at most [`MAX_CREDENTIAL_ID`] bytes.
    pub credential_id: &'a [u8],
    /// The credential public key: exactly the bytes of one CBOR item (not yet checked as COSE).
    pub public_key_cose: &'a [u8],
}

impl AuthenticatorData<'_> {
    /// Whether the flag bit(s) `flag` are all set.
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag == flag
    }
}

/// Parses authenticator data; `field` names the response member it came from, for refusals.
pub fn parse<'a>(
    bytes: &'a [u8],
    field: &'static str,
) -> Result<AuthenticatorData<'a>, WebauthnError> {
    let truncated = WebauthnError::Truncated { field };
    let (rp_id_hash, rest) = bytes.split_first_chunk::<32>().ok_or(truncated.clone())?;
    let (&flags, rest) = rest.split_first().ok_or(truncated.clone())?;
    let (count, mut rest) = rest.split_first_chunk::<4>().ok_or(truncated.clone())?;
    let sign_count = u32::from_be_bytes(*count);

    let attested = if flags & FLAG_AT != 0 {
        let (aaguid, after) = rest.split_first_chunk::<16>().ok_or(truncated.clone())?;
        let (len, after) = after.split_first_chunk::<2>().ok_or(truncated.clone())?;
        let len = usize::from(u16::from_be_bytes(*len));
        if len > MAX_CREDENTIAL_ID {
            return Err(WebauthnError::CredentialIdTooLong { field });
        }
        let (credential_id, after) = after.split_at_checked(len).ok_or(truncated.clone())?;
        if after.is_empty() {
            return Err(truncated);
        }
        let (_, key_len) = cbor::decode_prefix(after).ok_or(WebauthnError::CoseKey {
            field,
            what: "not well-formed CBOR",
        })?;
        let (public_key_cose, after) = after.split_at_checked(key_len).ok_or(truncated.clone())?;
        rest = after;
        Some(AttestedCredentialData {
            aaguid: *aaguid,
            credential_id,
            public_key_cose,
        })
    } else {
        None
    };

    let extensions = if flags & FLAG_ED != 0 {
        if rest.is_empty() {
            return Err(truncated);
        }
        let (value, used) = cbor::decode_prefix(rest).ok_or(WebauthnError::Malformed {
            field,
            what: "extensions are not well-formed CBOR",
        })?;
        if value.as_map().is_none() {
            return Err(WebauthnError::Malformed {
                field,
                what: "extensions are not a CBOR map",
            });
        }
        let (ext, after) = rest.split_at_checked(used).ok_or(truncated)?;
        rest = after;
        Some(ext)
    } else {
        None
    };

    if !rest.is_empty() {
        return Err(WebauthnError::TrailingBytes { field });
    }
    Ok(AuthenticatorData {
        rp_id_hash: *rp_id_hash,
        flags,
        sign_count,
        attested,
        extensions,
    })
}
