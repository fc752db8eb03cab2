//! The personal identity credential (IDV-5, IDV-6).
//!
//! A compact JWS (RFC 7515) signed EdDSA / Ed25519 (RFC 8037) — an algorithm the certificate
//! authority also offers — whose claims state who was verified (name, masked document number),
//! how (method), how well (assurance level), when, and until when. A relying party checks it
//! offline against the keys at `/.well-known/yinxin-credential-keys`.
//!
//! The token is not stored: it carries the name, which lives only in the vault. The record
//! (`identity_credentials`) keeps the facts, and the token is signed again from them when the
//! holder asks; Ed25519 signatures are deterministic, so it is the same token each time.
//! Re-verification issues a new credential and marks the old one superseded (IDV-5).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::inventory::{PERSON_DOCUMENT_NUMBER, PERSON_DOCUMENT_TYPE, PERSON_NAME};
use yinxin_domain::pi::Purpose;
use yinxin_domain::verification::CredentialRecord;
use yinxin_domain::{DomainError, ErrorCode};

use super::service::Verifications;
use crate::receipt::{ReceiptJwk, kid_of};
use crate::service::{ServiceResult, mask, now};

/// The `typ` of the JWS header.
pub const CREDENTIAL_TYP: &str = "yinxin-idc+jwt";

/// A credential: the token and its claims in clear.
#[derive(Clone, Serialize, ToSchema)]
pub struct IssuedCredential {
    /// The compact JWS: `header.claims.signature`, base64url.
    pub credential: String,
    /// The claims, as signed.
    #[schema(value_type = Object)]
    pub claims: Value,
    /// The record.
    pub record: CredentialRecord,
}

impl std::fmt::Debug for IssuedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredential")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

impl Verifications {
    fn credential_key(&self) -> SigningKey {
        SigningKey::from_bytes(
            &self
                .accounts
                .vault
                .service_secret("identity-credential/ed25519"),
        )
    }

    pub(crate) async fn publish_credential_key(&self) -> ServiceResult<()> {
        let public = self.credential_key().verifying_key().to_bytes();
        self.accounts
            .repo
            .publish_credential_key(&kid_of(&public), &public, now())
            .await?;
        Ok(())
    }

    /// Every credential key ever published, newest first, as JWKs.
    pub async fn credential_keys(&self) -> ServiceResult<Vec<ReceiptJwk>> {
        Ok(self
            .accounts
            .repo
            .credential_keys()
            .await?
            .iter()
            .map(|k| ReceiptJwk::of(k))
            .collect())
    }

    /// The holder's current credential. None yet (or all superseded) is `NOT_FOUND`.
    pub async fn credential(&self, holder: &AccountRecord) -> ServiceResult<IssuedCredential> {
        let record = self
            .latest_credential_record(holder.id)
            .await?
            .ok_or_else(|| {
                DomainError::new(
                    ErrorCode::NotFound,
                    "no identity credential: verify your identity first",
                )
            })?;
        self.sign_credential(holder, &record).await
    }

    pub(crate) async fn sign_credential(
        &self,
        holder: &AccountRecord,
        c: &CredentialRecord,
    ) -> ServiceResult<IssuedCredential> {
        let read = |f| {
            self.accounts
                .read_for(holder.subject, f, Purpose::RealNameVerification)
        };
        let name = read(&PERSON_NAME).await?.unwrap_or_default();
        let doc_type = read(&PERSON_DOCUMENT_TYPE).await?.unwrap_or_default();
        let number = read(&PERSON_DOCUMENT_NUMBER).await?.unwrap_or_default();
        let controller = &self.accounts.controller;
        let claims = json!({
            "iss": controller.url,
            "sub": holder.id.to_string(),
            "jti": c.id.to_string(),
            "iat": c.issued_at,
            "nbf": c.issued_at,
            "exp": c.expires_at,
            "type": "PersonalIdentityCredential",
            "name": name.as_str(),
            "document_type": doc_type.as_str(),
            "document_number_masked": mask(&number, 4, 4),
            "assurance_level": c.assurance.as_str(),
            "verification_method": c.method.as_str(),
            "verified_at": c.issued_at,
        });
        let key = self.credential_key();
        let public = key.verifying_key().to_bytes();
        let header = json!({"alg": "EdDSA", "typ": CREDENTIAL_TYP, "kid": kid_of(&public)});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = key.sign(signing_input.as_bytes());
        Ok(IssuedCredential {
            credential: format!(
                "{signing_input}.{}",
                URL_SAFE_NO_PAD.encode(signature.to_bytes())
            ),
            claims,
            record: c.clone(),
        })
    }
}
