//! Consent receipts signed by the service (PRIV-1, PRIV-2, PRIV-4).
//!
//! A receipt is a JWT (RFC 7519) signed with EdDSA / Ed25519 (RFC 8037) whose claims follow the
//! Kantara Initiative Consent Receipt Specification v1.1 (itself a JWT), with the ISO/IEC TS
//! 27560 record's extra facts: the action (given or withdrawn), the policy version and the
//! SHA-256 of the text shown. Who the receipt is about is the account id — pseudonymous — never a
//! name or a number. What the consent covers (purposes, PI categories, sensitive categories) is
//! rendered from the inventory, like the privacy notice.
//!
//! The signing key is derived from the vault's root key ([`Vault::service_secret`]), so every
//! node signs with the same key and it survives a master-key rotation. Its public key is stored
//! (`receipt_keys`) and published as a JWK set, and a key once published stays published, so a
//! receipt remains verifiable after the key changes (when issue 5's key store takes over).
//!
//! [`Vault::service_secret`]: yinxin_privacy::vault::Vault::service_secret

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use yinxin_domain::account::{ConsentRecord, ConsentScope};
use yinxin_domain::inventory::INVENTORY;
use yinxin_domain::{AccountId, ConsentId, DomainError, ErrorCode};

use crate::service::{Accounts, ServiceResult, now};

/// Who is responsible for the processing: the receipt's `piiControllers` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    /// Name of the personal-information handler.
    pub name: String,
    /// Contact for privacy matters (a person or office).
    pub contact: String,
    /// E-mail for privacy matters.
    pub email: String,
    /// The service's public base URL (policy and notice URLs are built from it).
    pub url: String,
}

impl Default for Controller {
    fn default() -> Self {
        Self {
            name: "yinxin (印信) electronic certification service".into(),
            contact: "Personal information protection officer".into(),
            email: "privacy@localhost".into(),
            url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// A signed receipt and its claims in clear.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConsentReceipt {
    /// The JWT: `header.claims.signature`, base64url, signed EdDSA (Ed25519).
    pub receipt: String,
    /// The claims, as signed.
    #[schema(value_type = Object)]
    pub claims: Value,
}

/// A published receipt-verification key, as a JWK (RFC 8037).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReceiptJwk {
    /// `OKP`.
    pub kty: &'static str,
    /// `Ed25519`.
    pub crv: &'static str,
    /// The public key, base64url.
    pub x: String,
    /// Key id: hex of the first 8 bytes of the SHA-256 of the public key.
    pub kid: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: &'static str,
    /// `EdDSA`.
    pub alg: &'static str,
}

impl ReceiptJwk {
    /// The JWK of a raw Ed25519 public key.
    pub fn of(public_key: &[u8]) -> Self {
        Self {
            kty: "OKP",
            crv: "Ed25519",
            x: URL_SAFE_NO_PAD.encode(public_key),
            kid: kid_of(public_key),
            use_: "sig",
            alg: "EdDSA",
        }
    }
}

pub(crate) fn kid_of(public_key: &[u8]) -> String {
    Sha256::digest(public_key)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a consent of `scope` covers, from the inventory: (purposes, PI categories, sensitive
/// categories, whether PI goes to third parties).
fn coverage(scope: ConsentScope) -> (Vec<Value>, Vec<Value>, Vec<String>, bool) {
    let sent = scope
        .methods()
        .iter()
        .flat_map(|m| m.data_items().iter())
        .collect::<BTreeSet<_>>();
    let fields: Vec<_> = INVENTORY
        .iter()
        // What a verification consent covers is what goes to the provider, biometric data
        // included (it is sent, never stored); the others cover what is stored.
        .filter(|f| f.storable() || sent.contains(&f.name))
        .filter(|f| match scope {
            ConsentScope::PrivacyPolicy => true,
            ConsentScope::SensitivePersonalInformation => f.sensitive,
            // Provision to third parties and transfers abroad concern the identity data that
            // verification providers receive (IDV-3); the processors are in the notice.
            ConsentScope::ThirdPartyProvision | ConsentScope::CrossBorderTransfer => f
                .purposes
                .contains(&yinxin_domain::pi::Purpose::RealNameVerification),
            _ => sent.contains(&f.name),
        })
        .collect();
    let mut purposes = BTreeSet::new();
    let mut categories = BTreeSet::new();
    let mut sensitive = BTreeSet::new();
    for f in &fields {
        for p in f.purposes {
            purposes.insert(serde_json::to_value(p).unwrap_or(Value::Null).to_string());
        }
        categories.insert(
            serde_json::to_value(f.category)
                .unwrap_or(Value::Null)
                .to_string(),
        );
        if f.sensitive {
            sensitive.insert(format!("{} / {}", f.label_zh, f.label_en));
        }
    }
    let unquote = |s: String| Value::from(s.trim_matches('"').to_owned());
    (
        purposes.into_iter().map(unquote).collect(),
        categories.into_iter().map(unquote).collect(),
        sensitive.into_iter().collect(),
        matches!(
            scope,
            ConsentScope::ThirdPartyProvision | ConsentScope::CrossBorderTransfer
        ) || !scope.methods().is_empty(),
    )
}

impl Accounts {
    fn receipt_key(&self) -> SigningKey {
        SigningKey::from_bytes(&self.vault.service_secret("consent-receipt/ed25519"))
    }

    /// Publishes the current receipt key (once; earlier keys stay published).
    pub(crate) async fn publish_receipt_key(&self) -> ServiceResult<()> {
        let public = self.receipt_key().verifying_key().to_bytes();
        self.repo
            .publish_receipt_key(&kid_of(&public), &public, now())
            .await?;
        Ok(())
    }

    /// Every receipt-verification key ever published, newest first, as JWKs.
    pub async fn receipt_keys(&self) -> ServiceResult<Vec<ReceiptJwk>> {
        Ok(self
            .repo
            .receipt_keys()
            .await?
            .iter()
            .map(|k| ReceiptJwk::of(k))
            .collect())
    }

    /// The signed receipt of one of the account's own consent records. Another account's record
    /// is `NOT_FOUND`.
    pub async fn consent_receipt(
        &self,
        account: AccountId,
        id: ConsentId,
    ) -> ServiceResult<ConsentReceipt> {
        let record = self
            .repo
            .consents_of(account)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| {
                DomainError::new(ErrorCode::NotFound, "no such consent record of yours")
            })?;
        let claims = self.receipt_claims(&record);
        let key = self.receipt_key();
        let public = key.verifying_key().to_bytes();
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": kid_of(&public)});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = key.sign(signing_input.as_bytes());
        Ok(ConsentReceipt {
            receipt: format!(
                "{signing_input}.{}",
                URL_SAFE_NO_PAD.encode(signature.to_bytes())
            ),
            claims,
        })
    }

    fn receipt_claims(&self, c: &ConsentRecord) -> Value {
        let controller = &self.controller;
        let (purposes, pi_categories, spi, third_party) = coverage(c.scope);
        let primary = c.scope == ConsentScope::PrivacyPolicy;
        json!({
            // Kantara Consent Receipt v1.1
            "version": "KI-CR-v1.1.0",
            "jurisdiction": "CN",
            "iat": now(),
            "iss": controller.url,
            "jti": c.id.to_string(),
            "consentTimestamp": c.at,
            "collectionMethod": c.channel,
            "consentReceiptID": c.id.to_string(),
            "language": "zh-CN",
            "piiPrincipalId": c.account.to_string(),
            "piiControllers": [{
                "piiController": controller.name,
                "contact": controller.contact,
                "email": controller.email,
                "piiControllerUrl": controller.url,
            }],
            "policyUrl": format!("{}/privacy", controller.url.trim_end_matches('/')),
            "services": [{
                "service": "yinxin electronic certification",
                "purposes": [{
                    "purpose": c.scope.as_str(),
                    "purposeCategory": purposes,
                    "consentType": "EXPLICIT",
                    "piiCategory": pi_categories,
                    "primaryPurpose": primary,
                    "termination": "until withdrawn or the account is cancelled; withdraw with \
                                    POST /api/v1/consents",
                    "thirdPartyDisclosure": third_party,
                    "thirdPartyName": if third_party {
                        "the processors listed in the privacy notice"
                    } else {
                        ""
                    },
                }],
            }],
            "sensitive": !spi.is_empty(),
            "spiCat": spi,
            // ISO/IEC TS 27560 record facts
            "action": c.action.as_str(),
            "policyVersion": c.policy_version,
            "policyTextSha256": c.text_sha256,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_consent_covers_exactly_the_sensitive_fields() {
        let (_, _, spi, third) = coverage(ConsentScope::SensitivePersonalInformation);
        assert!(!third);
        assert!(spi.iter().any(|s| s.contains("Identity document number")));
        // Biometrics are never stored, so no consent covers storing them.
        assert!(!spi.iter().any(|s| s.contains("Face")));
        let (_, _, _, third) = coverage(ConsentScope::ThirdPartyProvision);
        assert!(third);
        // The face-comparison consent names the biometric data it sends (IDV-1(c)).
        let (_, _, spi, third) = coverage(ConsentScope::IdvFace);
        assert!(third);
        assert!(spi.iter().any(|s| s.contains("Face")), "{spi:?}");
        let (_, cats, _, _) = coverage(ConsentScope::IdvCarrier);
        assert!(!cats.is_empty());
    }

    #[test]
    fn kid_is_the_hash_prefix() {
        let jwk = ReceiptJwk::of(&[0u8; 32]);
        assert_eq!(jwk.kid.len(), 16);
        assert_eq!(jwk.x.len(), 43);
    }
}
