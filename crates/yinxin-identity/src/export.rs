//! A subject's copy of their data (issue 8 item 2, in part; PRIV-14; docs/REQUESTS.md): every
//! field the vault holds for them — the list comes from the inventory, so nothing declared is
//! missed — and their records (consents, verifications, disclosures, signatures, staff accesses,
//! requests), as one JSON document — with, when the caller renders one, the same in a
//! human-readable PDF (`report_pdf_base64`) — encrypted to a passphrase they choose: Argon2id
//! derives the key, AES-256-GCM seals the document. The export is recorded as a `copy` request
//! fulfilled.
//!
//! The envelope (`yinxin-export-v1`):
//! `{format, kdf: {name: "argon2id", memory_kib, iterations, parallelism, salt}, cipher:
//! "aes-256-gcm", nonce, ciphertext}` (binary values base64). [`open`] opens it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yinxin_domain::DomainError;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::pi::Purpose;
use yinxin_domain::requests::RequestKind;
use zeroize::Zeroizing;

use crate::service::{Accounts, ServiceError, ServiceResult, now};

/// The envelope's format name.
pub const EXPORT_FORMAT: &str = "yinxin-export-v1";
/// The document's format name.
pub const DOCUMENT_FORMAT: &str = "yinxin-subject-data-v1";

const KDF_MEMORY_KIB: u32 = 19_456;
const KDF_ITERATIONS: u32 = 2;
const AAD: &[u8] = b"yinxin/export/v1";

/// Makes the human-readable PDF of an export document (the server's typesetter; the accounts
/// service has no fonts).
pub type ReportRenderer = dyn Fn(&serde_json::Value) -> Result<Vec<u8>, String> + Send + Sync;

/// Key derivation settings, as written in the envelope.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Kdf {
    /// `argon2id`.
    pub name: String,
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Salt, base64.
    pub salt: String,
}

/// An encrypted export.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExportEnvelope {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// How the key is derived from the passphrase.
    pub kdf: Kdf,
    /// `aes-256-gcm`.
    pub cipher: String,
    /// The 96-bit nonce, base64.
    pub nonce: String,
    /// The document, sealed, base64.
    pub ciphertext: String,
}

/// One field in the export.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExportedField {
    /// The inventory name.
    pub field: String,
    /// Its label (zh-CN).
    pub label_zh: String,
    /// Its label (English).
    pub label_en: String,
    /// The value, when it is text.
    pub value: Option<String>,
    /// The value, base64, when it is a file.
    pub value_base64: Option<String>,
}

fn key_of(passphrase: &str, salt: &[u8], kdf: &Kdf) -> Result<Zeroizing<[u8; 32]>, String> {
    let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|e| format!("kdf: {e}"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|e| format!("kdf: {e}"))?;
    Ok(key)
}

/// Seals `document` to `passphrase`.
pub fn seal(passphrase: &str, document: &[u8]) -> Result<ExportEnvelope, String> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let kdf = Kdf {
        name: "argon2id".into(),
        memory_kib: KDF_MEMORY_KIB,
        iterations: KDF_ITERATIONS,
        parallelism: 1,
        salt: STANDARD.encode(salt),
    };
    let key = key_of(passphrase, &salt, &kdf)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).map_err(|e| e.to_string())?;
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: document,
                aad: AAD,
            },
        )
        .map_err(|_| "sealing failed".to_owned())?;
    Ok(ExportEnvelope {
        format: EXPORT_FORMAT.into(),
        kdf,
        cipher: "aes-256-gcm".into(),
        nonce: STANDARD.encode(nonce),
        ciphertext: STANDARD.encode(sealed),
    })
}

/// Opens an export with its passphrase: the document's bytes, or why not (a wrong passphrase
/// and a changed file are told apart from nothing: both do not open).
pub fn open(envelope: &ExportEnvelope, passphrase: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    if envelope.format != EXPORT_FORMAT || envelope.cipher != "aes-256-gcm" {
        return Err("not a yinxin export".into());
    }
    if envelope.kdf.name != "argon2id" || envelope.kdf.memory_kib > 1 << 21 {
        return Err("kdf: not argon2id within bounds".into());
    }
    let b64 = |s: &str, what: &str| {
        STANDARD
            .decode(s)
            .map_err(|_| format!("{what}: not base64"))
    };
    let salt = b64(&envelope.kdf.salt, "salt")?;
    let nonce = b64(&envelope.nonce, "nonce")?;
    if nonce.len() != 12 {
        return Err("nonce: 12 bytes".into());
    }
    let sealed = b64(&envelope.ciphertext, "ciphertext")?;
    let key = key_of(passphrase, &salt, &envelope.kdf)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_ref()).map_err(|e| e.to_string())?;
    cipher
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &sealed,
                aad: AAD,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| "the passphrase is wrong, or the file was changed".into())
}

/// An export passphrase: 12 characters or more (at most 1,024 bytes).
pub(crate) fn check_passphrase(passphrase: &str) -> ServiceResult<()> {
    if passphrase.chars().count() < 12 || passphrase.len() > 1024 {
        return Err(DomainError::invalid(
            "passphrase",
            "12 characters or more: the export is encrypted to it",
        )
        .into());
    }
    Ok(())
}

impl Accounts {
    /// `account`'s data as one document sealed to `passphrase` (at least 12 characters), and
    /// the `copy` request it fulfils, recorded.
    pub async fn export(
        &self,
        account: &AccountRecord,
        passphrase: &str,
        report: Option<&ReportRenderer>,
    ) -> ServiceResult<ExportEnvelope> {
        let envelope = self.sealed_copy(account, passphrase, None, report).await?;
        self.record_met_request(account, RequestKind::Copy, Vec::new(), "system", now())
            .await?;
        Ok(envelope)
    }

    /// `account`'s data sealed to `passphrase`, recorded by the caller (see [`Accounts::export`]);
    /// with a `scope` (inventory field names), its fields and files only those.
    pub(crate) async fn sealed_copy(
        &self,
        account: &AccountRecord,
        passphrase: &str,
        scope: Option<&[String]>,
        report: Option<&ReportRenderer>,
    ) -> ServiceResult<ExportEnvelope> {
        check_passphrase(passphrase)?;
        let at = now();
        self.rate_limit(
            "export",
            &account.id.to_string(),
            self.config.exports_per_hour,
            3600,
            at,
            "too many exports this hour",
        )
        .await?;
        let mut fields = Vec::new();
        let mut withheld = Vec::new();
        for f in self.vault.stored_fields(account.subject).await? {
            if scope.is_some_and(|s| !s.iter().any(|n| n == f.name)) {
                continue;
            }
            let Some(v) = self.vault.get(account.subject, f).await? else {
                continue;
            };
            let Ok(bytes) = v.expose(Purpose::SubjectAccess) else {
                withheld.push(f.name);
                continue;
            };
            let (value, value_base64) = match std::str::from_utf8(bytes) {
                Ok(t) => (Some(t.to_owned()), None),
                Err(_) => (None, Some(STANDARD.encode(bytes))),
            };
            fields.push(ExportedField {
                field: f.name.into(),
                label_zh: f.label_zh.into(),
                label_en: f.label_en.into(),
                value,
                value_base64,
            });
        }
        let files = self.files_of(account, scope).await?;
        let json = |e: serde_json::Error| ServiceError::Internal(format!("export: {e}"));
        let document = serde_json::json!({
            "format": DOCUMENT_FORMAT,
            "generated_at": at,
            "account": {"id": account.id, "kind": account.kind, "created_at": account.created_at},
            "fields": fields,
            "withheld": withheld,
            "consents": self.repo.consents_of(account.id).await?,
            "verifications": self.repo.verifications_of(account.id).await?,
            "disclosures": self.repo.disclosures_of(account.id).await?,
            "signatures": self.repo.signatures_by(account.id, 10_000).await?,
            "staff_accesses": self.accesses_to_me(account).await?,
            "requests": self.repo.subject_requests_of(account.id).await?,
            "app_disclosures": self.repo.app_disclosures_of(account.id).await?,
            "incidents": self.my_incidents(account).await?,
            "files": files,
        });
        let mut document = document;
        if let Some(render) = report {
            // The human-readable copy, made from the same document, sealed with it.
            let pdf = render(&document).map_err(ServiceError::Internal)?;
            if let Some(obj) = document.as_object_mut() {
                obj.insert("report_pdf_base64".into(), STANDARD.encode(pdf).into());
            }
        }
        let plain = Zeroizing::new(serde_json::to_vec(&document).map_err(json)?);
        drop(document);
        let envelope = seal(passphrase, &plain).map_err(ServiceError::Internal)?;
        tracing::info!(account = %account.id, fields = fields.len(), "data exported to the subject");
        Ok(envelope)
    }
}

/// The total of file bytes one export carries (documents are the large ones); the files past it
/// are listed without their content, which the owner downloads one by one.
const EXPORT_FILE_BYTES: usize = 64 << 20;

/// One of the subject's files in the export: a record sealed under them (issue 8 item 2: "plus
/// the subject's files").
#[derive(Clone, Debug, Serialize)]
struct ExportedFile {
    /// The inventory field it is stored as.
    field: &'static str,
    /// Its record id (certificate serial, document id, image id).
    id: String,
    media_type: &'static str,
    /// Unix second it was made, when the record says.
    created_at: Option<i64>,
    /// The bytes, base64; `None` past [`EXPORT_FILE_BYTES`] (then `omitted` says where it is).
    content_base64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    omitted: Option<String>,
}

/// The files of one export and the bytes they may still take.
struct Files {
    list: Vec<ExportedFile>,
    budget: usize,
}

impl Files {
    fn fits(&self, len: usize) -> bool {
        len <= self.budget
    }

    /// Adds a file, with its content while the budget allows, else naming where it is.
    fn add(
        &mut self,
        field: &'static yinxin_domain::pi::PiField,
        id: String,
        media_type: &'static str,
        created_at: Option<i64>,
        bytes: Option<&[u8]>,
        elsewhere: &str,
    ) {
        let content_base64 = bytes.filter(|b| self.fits(b.len())).map(|b| {
            self.budget -= b.len();
            STANDARD.encode(b)
        });
        let omitted = content_base64.is_none().then(|| elsewhere.to_owned());
        self.list.push(ExportedFile {
            field: field.name,
            id,
            media_type,
            created_at,
            content_base64,
            omitted,
        });
    }
}

impl Accounts {
    /// The subject's files: their certificates (holder), signature images (personal), seal
    /// images (enterprise) and uploaded documents (owner), each opened under their key.
    async fn files_of(
        &self,
        account: &AccountRecord,
        scope: Option<&[String]>,
    ) -> ServiceResult<Vec<ExportedFile>> {
        use yinxin_domain::inventory::{SEAL_IMAGE, SIGNING_DOCUMENT, SUBSCRIBER_CERTIFICATE};
        use yinxin_domain::pi::PiField;
        let mut files = Files {
            list: Vec::new(),
            budget: EXPORT_FILE_BYTES,
        };
        let open = |field: &'static PiField, record_id: Vec<u8>, sealed: Vec<u8>| {
            let vault = self.vault.clone();
            let subject = account.subject;
            async move {
                let plain = vault
                    .open_record(subject, field, &record_id, &sealed)
                    .await?;
                ServiceResult::Ok(plain.expose(Purpose::SubjectAccess)?.clone())
            }
        };
        let wanted = |field: &PiField| scope.is_none_or(|s| s.iter().any(|n| n == field.name));
        if wanted(&SUBSCRIBER_CERTIFICATE) {
            for c in self.repo.retained_certificates(account.id).await? {
                let der = open(
                    &SUBSCRIBER_CERTIFICATE,
                    c.serial.as_bytes().to_vec(),
                    c.sealed_der,
                )
                .await?;
                files.add(
                    &SUBSCRIBER_CERTIFICATE,
                    c.serial,
                    "application/pkix-cert",
                    None,
                    Some(&der),
                    "GET /api/v1/me/certificates",
                );
            }
        }
        for image in self.repo.signature_images_of(account.id).await? {
            if !wanted(crate::seals::signature_field(image.source)) {
                continue;
            }
            let (record, png) = self.signature_image(account, image.id).await?;
            files.add(
                crate::seals::signature_field(record.source),
                record.id.to_string(),
                "image/png",
                Some(record.created_at),
                Some(&png),
                &format!("GET /api/v1/signature-images/{}", record.id),
            );
        }
        if account.kind == yinxin_domain::account::AccountKind::Enterprise && wanted(&SEAL_IMAGE) {
            for seal in self.repo.seals_of(account.id).await? {
                let Some((record, sealed)) = self.repo.seal(account.id, seal.id).await? else {
                    continue;
                };
                // Sealed under the seal id's 16 bytes (`record_seal`), not its text.
                let png = open(&SEAL_IMAGE, record.id.as_bytes().to_vec(), sealed).await?;
                files.add(
                    &SEAL_IMAGE,
                    record.id.to_string(),
                    "image/png",
                    Some(record.created_at),
                    Some(&png),
                    &format!(
                        "GET /api/v1/enterprises/{}/seals/{}/image",
                        account.id, record.id
                    ),
                );
            }
        }
        if wanted(&SIGNING_DOCUMENT) {
            // The records first, the bytes of each only when it fits.
            for d in self.repo.documents_of(account.id).await? {
                let path = format!("GET /api/v1/documents/{}/content", d.id);
                let bytes = match self.repo.document(&d.id, account.id).await? {
                    Some((_, sealed))
                        if files.fits(usize::try_from(d.size).unwrap_or(usize::MAX)) =>
                    {
                        Some(open(&SIGNING_DOCUMENT, d.id.as_bytes().to_vec(), sealed).await?)
                    }
                    _ => None,
                };
                files.add(
                    &SIGNING_DOCUMENT,
                    d.id,
                    "application/pdf",
                    Some(d.created_at),
                    bytes.as_deref(),
                    &path,
                );
            }
        }
        Ok(files.list)
    }
}

/// The record lists of a document, in order (each an array of objects).
const RECORD_LISTS: [&str; 8] = [
    "consents",
    "verifications",
    "disclosures",
    "app_disclosures",
    "signatures",
    "staff_accesses",
    "requests",
    "incidents",
];

/// The JSON Schema (draft 2020-12) of the export document [`DOCUMENT_FORMAT`], generated from
/// the inventory: a field's name must be one the inventory declares as stored, its value text or
/// base64. `GET /api/v1/privacy/export-schema` serves it.
pub fn export_schema() -> serde_json::Value {
    use serde_json::json;
    use yinxin_domain::inventory::INVENTORY;
    use yinxin_domain::pi::Storage;
    let stored: Vec<&str> = INVENTORY
        .iter()
        .filter(|f| !matches!(f.storage, Storage::NeverStored))
        .map(|f| f.name)
        .collect();
    let mut properties = serde_json::Map::new();
    properties.insert("format".into(), json!({"const": DOCUMENT_FORMAT}));
    properties.insert(
        "generated_at".into(),
        json!({"type": "integer", "description": "Unix second"}),
    );
    properties.insert(
        "account".into(),
        json!({
            "type": "object",
            "required": ["id", "kind", "created_at"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "kind": {"enum": ["personal", "enterprise"]},
                "created_at": {"type": "integer"}
            },
            "additionalProperties": false
        }),
    );
    properties.insert(
        "fields".into(),
        json!({
            "type": "array",
            "description": "Every field the vault holds for the subject",
            "items": {
                "type": "object",
                "required": ["field", "label_zh", "label_en", "value", "value_base64"],
                "properties": {
                    "field": {"enum": stored},
                    "label_zh": {"type": "string"},
                    "label_en": {"type": "string"},
                    "value": {"type": ["string", "null"]},
                    "value_base64": {"type": ["string", "null"], "contentEncoding": "base64"}
                },
                "oneOf": [
                    {"properties": {"value": {"type": "string"}, "value_base64": {"type": "null"}}},
                    {"properties": {"value": {"type": "null"}, "value_base64": {"type": "string"}}}
                ],
                "additionalProperties": false
            }
        }),
    );
    properties.insert(
        "withheld".into(),
        json!({"type": "array", "items": {"enum": stored}}),
    );
    for list in RECORD_LISTS {
        properties.insert(
            list.into(),
            json!({"type": "array", "items": {"type": "object"}}),
        );
    }
    properties.insert(
        "files".into(),
        json!({
            "type": "array",
            "description": "The subject's files: certificates, signature and seal images, documents",
            "items": {
                "type": "object",
                "required": ["field", "id", "media_type", "created_at", "content_base64"],
                "properties": {
                    "field": {"enum": stored},
                    "id": {"type": "string"},
                    "media_type": {"enum": ["application/pkix-cert", "image/png", "application/pdf"]},
                    "created_at": {"type": ["integer", "null"]},
                    "content_base64": {"type": ["string", "null"], "contentEncoding": "base64"},
                    "omitted": {"type": "string"}
                },
                "additionalProperties": false
            }
        }),
    );
    properties.insert(
        "report_pdf_base64".into(),
        json!({"type": "string", "contentEncoding": "base64", "contentMediaType": "application/pdf"}),
    );
    let mut required: Vec<&str> = vec![
        "format",
        "generated_at",
        "account",
        "fields",
        "withheld",
        "files",
    ];
    required.extend(RECORD_LISTS);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:yinxin:schema:yinxin-subject-data-v1",
        "title": "A copy of a subject's data (yinxin-subject-data-v1)",
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_opens_only_with_its_passphrase_and_unchanged() {
        let e = seal("correct horse battery", b"{\"a\":1}").unwrap();
        assert_eq!(&*open(&e, "correct horse battery").unwrap(), b"{\"a\":1}");
        assert!(open(&e, "wrong horse battery").is_err());
        let mut changed = e.clone();
        let mut c = STANDARD.decode(&changed.ciphertext).unwrap();
        c[0] ^= 1;
        changed.ciphertext = STANDARD.encode(c);
        assert!(open(&changed, "correct horse battery").is_err());
        let mut other = e;
        other.format = "zip".into();
        assert!(open(&other, "correct horse battery").is_err());
    }
}
