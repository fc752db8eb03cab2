//! The personal-information vault (PRIV-10, PRIV-16).
//!
//! Key hierarchy:
//!
//! ```text
//! master key (file, 0600)  ──HKDF──▶ KEK ──wraps──▶ subject data key (one per subject, key store)
//!                                        └─wraps──▶ blind-index root key (key store)
//!                                                     └──HKDF(field)──▶ per-field HMAC key
//! ```
//!
//! Sealed fields and blind indexes live in the data database; wrapped keys live in the key store, a
//! separate database. Shredding a subject destroys its data key in the key store and deletes its
//! fields and index entries from the data: every copy of the data, backups included, is then
//! unreadable for that subject, because no copy of the data ever held the key.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use yinxin_domain::inventory::{self, INVENTORY};
use yinxin_domain::pi::PiField;
use yinxin_domain::repo::{
    BlindIndexEntry, ErasedRows, KeyRepo, PiRepo, SealedField, StoreError, SubjectKeyState,
    VaultRoot, WrappedKey,
};
use yinxin_domain::sensitive::Sensitive;
use yinxin_domain::{DomainError, ErrorCode, SubjectId};
use zeroize::Zeroizing;

use crate::master_key::MasterKey;
use crate::seal::{self, Cipher};

/// Why a vault operation failed. No variant carries a PI value.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The field or purpose is refused by the inventory, or the subject was shredded.
    #[error(transparent)]
    Refused(#[from] DomainError),
    /// The master key is not the one the key store was wrapped with.
    #[error(
        "the master key (fingerprint {presented}) does not open the existing vault (wrapped by fingerprint {expected})"
    )]
    MasterKeyMismatch {
        /// Fingerprint of the key presented.
        presented: String,
        /// Fingerprint the key store records.
        expected: String,
    },
    /// A stored blob failed authentication.
    #[error(
        "stored {what} for subject {subject} failed authentication (altered, or moved from elsewhere)"
    )]
    Tampered {
        /// The subject.
        subject: SubjectId,
        /// Which blob (a field name or "data key").
        what: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl VaultError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Refused(e) => e.code,
            Self::MasterKeyMismatch { .. } => ErrorCode::MasterKeyMismatch,
            Self::Tampered { .. } => ErrorCode::Tampered,
            Self::Store(StoreError::Conflict(_)) => ErrorCode::Conflict,
            Self::Store(_) => ErrorCode::StorageUnavailable,
        }
    }

    fn shredded(subject: SubjectId) -> Self {
        Self::Refused(DomainError::new(
            ErrorCode::SubjectShredded,
            format!("subject {subject} was erased: its data key was destroyed"),
        ))
    }
}

/// Result of a vault operation.
pub type VaultResult<T> = Result<T, VaultError>;

/// What [`Vault::shred`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShredReport {
    /// Whether a data key was destroyed now (false if already shredded or never created).
    pub key_destroyed: bool,
    /// Sealed fields deleted from the data.
    pub fields_deleted: u64,
    /// Blind-index entries deleted from the data.
    pub index_entries_deleted: u64,
}

/// Whether a master key opens the vault in a key store (checked before anything is written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MasterKeyCheck {
    /// The key store has no vault yet.
    Fresh,
    /// The key opens the vault.
    Opens,
}

/// The vault. Cheap to clone; share one per process.
#[derive(Clone)]
pub struct Vault {
    inner: Arc<Inner>,
}

struct Inner {
    kek: Zeroizing<[u8; 32]>,
    fingerprint: String,
    index_keys: HashMap<&'static str, Zeroizing<[u8; 32]>>,
    index_root: Zeroizing<[u8; 32]>,
    cipher: Cipher,
    pi: Arc<dyn PiRepo>,
    keys: Arc<dyn KeyRepo>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("master_key_fingerprint", &self.inner.fingerprint)
            .field("cipher", &self.inner.cipher)
            .finish_non_exhaustive()
    }
}

const AAD_INDEX_ROOT: &[u8] = b"yinxin/vault/index-root/v1";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn aad_data_key(subject: SubjectId) -> Vec<u8> {
    [b"yinxin/vault/data-key/v1\0".as_slice(), subject.as_bytes()].concat()
}

fn aad_field(subject: SubjectId, field: &str) -> Vec<u8> {
    [
        b"yinxin/vault/field/v1\0".as_slice(),
        subject.as_bytes(),
        field.as_bytes(),
    ]
    .concat()
}

/// Associated data of a value of a multi-valued field: subject, field and record id. The subject
/// has a fixed length and field names hold no NUL, so the encoding is unambiguous; the distinct
/// prefix keeps a record blob and a single-valued field's blob from ever opening as each other.
fn aad_service(context: &str, record_id: &str) -> Vec<u8> {
    [
        b"yinxin/vault/service-record/v1\0".as_slice(),
        context.as_bytes(),
        b"\0",
        record_id.as_bytes(),
    ]
    .concat()
}

fn aad_record(subject: SubjectId, field: &str, record_id: &[u8]) -> Vec<u8> {
    [
        b"yinxin/vault/record/v1\0".as_slice(),
        subject.as_bytes(),
        field.as_bytes(),
        b"\0",
        record_id,
    ]
    .concat()
}

fn random_key() -> Zeroizing<[u8; 32]> {
    let mut k = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(k.as_mut());
    k
}

fn to_key(bytes: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    let arr: [u8; 32] = bytes.try_into().ok()?;
    Some(Zeroizing::new(arr))
}

/// NEVER change this derivation: every stored blind index becomes unreachable.
fn derive_index_keys(root: &[u8; 32]) -> HashMap<&'static str, Zeroizing<[u8; 32]>> {
    let hk = Hkdf::<Sha256>::new(Some(b"yinxin/blind-index"), root);
    INVENTORY
        .iter()
        .filter(|f| f.blind_index().is_some())
        .map(|f| {
            let mut k = Zeroizing::new([0u8; 32]);
            let info = [b"yinxin/blind-index/v1/".as_slice(), f.name.as_bytes()].concat();
            // 32 bytes from HKDF-SHA256 cannot fail.
            let _ = hk.expand(&info, k.as_mut());
            (f.name, k)
        })
        .collect()
}

fn undeclared(name: &str) -> VaultError {
    VaultError::Refused(DomainError::new(
        ErrorCode::PiFieldUndeclared,
        format!("field {name:?} is not declared in the personal-information inventory"),
    ))
}

/// The declared field named `name`, or the refusal a caller should return (PRIV-5).
pub fn declared_field(name: &str) -> VaultResult<&'static PiField> {
    inventory::field(name).ok_or_else(|| undeclared(name))
}

impl Vault {
    /// Checks, reading only, whether `master` opens the vault in `keys`. Call before migrating
    /// or writing anything, so a wrong key changes nothing.
    pub async fn check_master_key(
        master: &MasterKey,
        keys: &dyn KeyRepo,
    ) -> VaultResult<MasterKeyCheck> {
        match keys.vault_root().await? {
            None => Ok(MasterKeyCheck::Fresh),
            Some(root) => {
                unwrap_root(master, &root)?;
                Ok(MasterKeyCheck::Opens)
            }
        }
    }

    /// Opens the vault, creating its root on first use. New values are sealed with `cipher`.
    pub async fn open(
        master: &MasterKey,
        keys: Arc<dyn KeyRepo>,
        pi: Arc<dyn PiRepo>,
        cipher: Cipher,
    ) -> VaultResult<Self> {
        let kek = master.kek();
        let root = match keys.vault_root().await? {
            Some(root) => root,
            None => {
                let index_root = random_key();
                let fresh = VaultRoot {
                    kek_fingerprint: master.fingerprint(),
                    wrapped_index_key: seal::seal(
                        cipher,
                        &kek,
                        AAD_INDEX_ROOT,
                        index_root.as_ref(),
                    ),
                    created_at: now(),
                    rotated_at: None,
                };
                keys.create_vault_root(&fresh).await?
            }
        };
        let index_root = unwrap_root(master, &root)?;
        Ok(Self {
            inner: Arc::new(Inner {
                kek,
                fingerprint: master.fingerprint(),
                index_keys: derive_index_keys(&index_root),
                index_root,
                cipher,
                pi,
                keys,
            }),
        })
    }

    /// Fingerprint of the master key this vault is open with.
    pub fn master_key_fingerprint(&self) -> &str {
        &self.inner.fingerprint
    }

    /// The cipher new values are sealed with.
    pub fn cipher(&self) -> Cipher {
        self.inner.cipher
    }

    /// Seals and stores `value` as `field` of `subject`, replacing any earlier value, and keeps the
    /// field's blind index (if declared) in step. Refuses fields that may never be stored.
    pub async fn put(
        &self,
        subject: SubjectId,
        field: &'static PiField,
        value: &[u8],
    ) -> VaultResult<()> {
        self.put_all(subject, &[(field, value)]).await
    }

    /// [`Vault::put`] for several fields of one subject, in one transaction: every field is
    /// checked against the inventory before anything is sealed, and either all are stored or none.
    pub async fn put_all(
        &self,
        subject: SubjectId,
        values: &[(&'static PiField, &[u8])],
    ) -> VaultResult<()> {
        for (field, _) in values {
            check_storable(field)?;
        }
        let key = self
            .data_key(subject, true)
            .await?
            .ok_or_else(|| VaultError::shredded(subject))?;
        let mut rows = Vec::with_capacity(values.len());
        for (field, value) in values {
            let sealed = SealedField {
                subject,
                field: field.name.to_owned(),
                sealed: seal::seal(
                    self.inner.cipher,
                    &key,
                    &aad_field(subject, field.name),
                    value,
                ),
                updated_at: now(),
            };
            rows.push((sealed, self.index_entry(field, value)?));
        }
        self.inner.pi.put_fields(&rows).await?;
        // A shred that ran between reading the key and writing the fields must win: erase again.
        if matches!(
            self.inner.keys.subject_key(subject).await?,
            SubjectKeyState::Shredded { .. }
        ) {
            self.inner.pi.erase_subject(subject).await?;
            return Err(VaultError::shredded(subject));
        }
        tracing::debug!(%subject, fields = values.len(), "pi fields sealed");
        Ok(())
    }

    /// [`Vault::put`] for text.
    pub async fn put_str(
        &self,
        subject: SubjectId,
        field: &'static PiField,
        value: &str,
    ) -> VaultResult<()> {
        self.put(subject, field, value.as_bytes()).await
    }

    /// The value of `field` for `subject`, if stored. Refused with `SUBJECT_SHREDDED` once the
    /// subject is erased, whatever copy of the data is read.
    pub async fn get(
        &self,
        subject: SubjectId,
        field: &'static PiField,
    ) -> VaultResult<Option<Sensitive<Vec<u8>>>> {
        Ok(self
            .open_field(subject, field)
            .await?
            .map(|plain| Sensitive::new(field, plain.to_vec())))
    }

    /// [`Vault::get`] for text.
    pub async fn get_string(
        &self,
        subject: SubjectId,
        field: &'static PiField,
    ) -> VaultResult<Option<Sensitive<String>>> {
        let Some(plain) = self.open_field(subject, field).await? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&plain).map_err(|_| VaultError::Tampered {
            subject,
            what: field.name.to_owned(),
        })?;
        Ok(Some(Sensitive::new(field, text.to_owned())))
    }

    /// [`Vault::get_string`] for several fields of one subject at once: one read of the
    /// subject's fields and one of its data key, however many fields are asked for (issuance
    /// reads the name and the document number on every certificate).
    pub async fn get_strings<const N: usize>(
        &self,
        subject: SubjectId,
        fields: [&'static PiField; N],
    ) -> VaultResult<[Option<Sensitive<String>>; N]> {
        for f in fields {
            check_storable(f)?;
        }
        let stored = self.inner.pi.fields_of(subject).await?;
        let mut out = [const { None }; N];
        let found = |f: &PiField| stored.iter().find(|s| s.field == f.name);
        if !fields.iter().any(|f| found(f).is_some()) {
            return match self.inner.keys.subject_key(subject).await? {
                SubjectKeyState::Shredded { .. } => Err(VaultError::shredded(subject)),
                _ => Ok(out),
            };
        }
        let key = self
            .data_key(subject, false)
            .await?
            .ok_or_else(|| VaultError::shredded(subject))?;
        for (slot, field) in out.iter_mut().zip(fields) {
            let Some(sealed) = found(field) else { continue };
            let tampered = || VaultError::Tampered {
                subject,
                what: field.name.to_owned(),
            };
            let plain = seal::open(&key, &aad_field(subject, field.name), &sealed.sealed)
                .map_err(|_| tampered())?;
            let text = std::str::from_utf8(&plain).map_err(|_| tampered())?;
            *slot = Some(Sensitive::new(field, text.to_owned()));
        }
        Ok(out)
    }

    async fn open_field(
        &self,
        subject: SubjectId,
        field: &'static PiField,
    ) -> VaultResult<Option<Zeroizing<Vec<u8>>>> {
        let field = check_storable(field)?;
        let Some(stored) = self.inner.pi.get_field(subject, field.name).await? else {
            return match self.inner.keys.subject_key(subject).await? {
                SubjectKeyState::Shredded { .. } => Err(VaultError::shredded(subject)),
                _ => Ok(None),
            };
        };
        let key = self
            .data_key(subject, false)
            .await?
            .ok_or_else(|| VaultError::shredded(subject))?;
        seal::open(&key, &aad_field(subject, field.name), &stored.sealed)
            .map(Some)
            .map_err(|_| VaultError::Tampered {
                subject,
                what: field.name.to_owned(),
            })
    }

    /// Seals one value of a multi-valued field (a support message, ACC-7) under `subject`'s data
    /// key, for the caller to store with its record. The associated data binds subject, field and
    /// `record_id`, so the blob opens only as that record of that subject; shredding the subject
    /// makes it unreadable like the subject's other fields. Refuses fields the inventory does not
    /// declare or declares never stored, and subjects already shredded. Nothing is written here:
    /// the blob lives in the caller's table, and is deleted with its record.
    pub async fn seal_record(
        &self,
        subject: SubjectId,
        field: &'static PiField,
        record_id: &[u8],
        value: &[u8],
    ) -> VaultResult<Vec<u8>> {
        let field = check_storable(field)?;
        let key = self
            .data_key(subject, true)
            .await?
            .ok_or_else(|| VaultError::shredded(subject))?;
        Ok(seal::seal(
            self.inner.cipher,
            &key,
            &aad_record(subject, field.name, record_id),
            value,
        ))
    }

    /// Opens what [`Vault::seal_record`] sealed for the same subject, field and record id.
    /// `SUBJECT_SHREDDED` once the subject is erased; `TAMPERED` if the blob was altered or
    /// belongs to another record or subject.
    pub async fn open_record(
        &self,
        subject: SubjectId,
        field: &'static PiField,
        record_id: &[u8],
        blob: &[u8],
    ) -> VaultResult<Sensitive<Vec<u8>>> {
        let field = check_storable(field)?;
        let key = self
            .data_key(subject, false)
            .await?
            .ok_or_else(|| VaultError::shredded(subject))?;
        let plain =
            seal::open(&key, &aad_record(subject, field.name, record_id), blob).map_err(|_| {
                VaultError::Tampered {
                    subject,
                    what: format!("{} record", field.name),
                }
            })?;
        Ok(Sensitive::new(field, plain.to_vec()))
    }

    /// The declared fields `subject` has a value stored for (names only, nothing opened), in
    /// inventory order: what a staff view or an export goes through. A stored name the
    /// inventory no longer declares is skipped.
    pub async fn stored_fields(&self, subject: SubjectId) -> VaultResult<Vec<&'static PiField>> {
        let stored = self.inner.pi.fields_of(subject).await?;
        Ok(yinxin_domain::inventory::INVENTORY
            .iter()
            .copied()
            .filter(|f| stored.iter().any(|s| s.field == f.name))
            .collect())
    }

    /// Subjects whose `field` equals `value` after the field's normalization (blind index).
    pub async fn find(&self, field: &'static PiField, value: &str) -> VaultResult<Vec<SubjectId>> {
        let field = check_storable(field)?;
        let Some(entry) = self.index_entry(field, value.as_bytes())? else {
            return Err(VaultError::Refused(DomainError::new(
                ErrorCode::PiFieldNotIndexed,
                format!(
                    "field {} has no blind index; it cannot be searched",
                    field.name
                ),
            )));
        };
        Ok(self
            .inner
            .pi
            .find_by_index(field.name, &entry.digest)
            .await?)
    }

    /// Deletes `fields` of `subject` with their blind-index entries, in one transaction, and
    /// leaves the subject's other fields and its data key: for information that goes while its
    /// subject stays (IDV-4: an enterprise's legal representative objects, and their name and
    /// document go from the enterprise's subject). Refuses undeclared fields before deleting
    /// anything. Idempotent; returns how many stored fields were deleted.
    pub async fn delete_fields(
        &self,
        subject: SubjectId,
        fields: &[&'static PiField],
    ) -> VaultResult<u64> {
        let mut names = Vec::with_capacity(fields.len());
        for field in fields {
            if !inventory::is_declared(field) {
                return Err(undeclared(field.name));
            }
            names.push(field.name);
        }
        let deleted = self.inner.pi.delete_fields(subject, &names).await?;
        tracing::info!(%subject, fields = ?names, deleted, "pi fields deleted");
        Ok(deleted)
    }

    /// Erases a subject (PRIV-16): destroys its data key in the key store first (after which no
    /// copy of its data opens), then deletes its sealed fields and blind-index entries. Idempotent:
    /// run it again to finish an erasure that was interrupted.
    pub async fn shred(&self, subject: SubjectId) -> VaultResult<ShredReport> {
        let key_destroyed = self.inner.keys.shred_subject_key(subject, now()).await?;
        let erased = self.inner.pi.erase_subject(subject).await?;
        tracing::info!(%subject, key_destroyed, "subject shredded");
        Ok(ShredReport {
            key_destroyed,
            fields_deleted: erased.fields,
            index_entries_deleted: erased.index_entries,
        })
    }

    /// [`Vault::shred`] of many subjects: every data key destroyed first, in one key-store
    /// transaction (one WAL truncation), then their sealed fields and index entries deleted in
    /// one data transaction. Returns how many keys were destroyed now and the rows deleted.
    /// Idempotent like `shred`.
    pub async fn shred_many(&self, subjects: &[SubjectId]) -> VaultResult<(u64, ErasedRows)> {
        if subjects.is_empty() {
            return Ok((0, ErasedRows::default()));
        }
        let destroyed = self.inner.keys.shred_subject_keys(subjects, now()).await?;
        let erased = self.inner.pi.erase_subjects(subjects).await?;
        tracing::info!(subjects = subjects.len(), destroyed, "subjects shredded");
        Ok((destroyed, erased))
    }

    /// Re-wraps every data key and the index root under `new_master`, in one key-store
    /// transaction; the sealed data is not touched. Returns the vault open with the new key.
    pub async fn rotate_master_key(&self, new_master: &MasterKey) -> VaultResult<Self> {
        let new_kek = new_master.kek();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut rewrapped = Vec::new();
            for (subject, wk) in self.inner.keys.wrapped_keys().await? {
                let dek = self.unwrap_data_key(subject, &wk)?;
                rewrapped.push((
                    subject,
                    WrappedKey {
                        kek_fingerprint: new_master.fingerprint(),
                        wrapped: seal::seal(
                            self.inner.cipher,
                            &new_kek,
                            &aad_data_key(subject),
                            dek.as_ref(),
                        ),
                    },
                ));
            }
            let root = VaultRoot {
                kek_fingerprint: new_master.fingerprint(),
                wrapped_index_key: seal::seal(
                    self.inner.cipher,
                    &new_kek,
                    AAD_INDEX_ROOT,
                    self.inner.index_root.as_ref(),
                ),
                created_at: 0,
                rotated_at: Some(now()),
            };
            match self
                .inner
                .keys
                .rewrap(&self.inner.fingerprint, &root, &rewrapped)
                .await
            {
                Ok(()) => break,
                Err(StoreError::Conflict(_)) if attempt < 5 => continue,
                Err(e) => return Err(e.into()),
            }
        }
        tracing::info!(
            old = %self.inner.fingerprint,
            new = %new_master.fingerprint(),
            "master key rotated"
        );
        Self::open(
            new_master,
            self.inner.keys.clone(),
            self.inner.pi.clone(),
            self.inner.cipher,
        )
        .await
    }

    /// The subject's data key; created on first write when `create` is set. `None` when shredded.
    async fn data_key(
        &self,
        subject: SubjectId,
        create: bool,
    ) -> VaultResult<Option<Zeroizing<[u8; 32]>>> {
        let state = match self.inner.keys.subject_key(subject).await? {
            SubjectKeyState::Absent if create => {
                let dek = random_key();
                let wk = WrappedKey {
                    kek_fingerprint: self.inner.fingerprint.clone(),
                    wrapped: seal::seal(
                        self.inner.cipher,
                        &self.inner.kek,
                        &aad_data_key(subject),
                        dek.as_ref(),
                    ),
                };
                self.inner
                    .keys
                    .create_subject_key(subject, &wk, now())
                    .await?
            }
            state => state,
        };
        match state {
            SubjectKeyState::Active(wk) => Ok(Some(self.unwrap_data_key(subject, &wk)?)),
            SubjectKeyState::Shredded { .. } => Ok(None),
            SubjectKeyState::Absent => Err(VaultError::Tampered {
                subject,
                what: "data key (missing while fields exist)".into(),
            }),
        }
    }

    fn unwrap_data_key(
        &self,
        subject: SubjectId,
        wk: &WrappedKey,
    ) -> VaultResult<Zeroizing<[u8; 32]>> {
        if wk.kek_fingerprint != self.inner.fingerprint {
            return Err(VaultError::MasterKeyMismatch {
                presented: self.inner.fingerprint.clone(),
                expected: wk.kek_fingerprint.clone(),
            });
        }
        seal::open(&self.inner.kek, &aad_data_key(subject), &wk.wrapped)
            .ok()
            .and_then(|k| to_key(&k))
            .ok_or_else(|| VaultError::Tampered {
                subject,
                what: "data key".into(),
            })
    }

    fn index_entry(
        &self,
        field: &'static PiField,
        value: &[u8],
    ) -> VaultResult<Option<BlindIndexEntry>> {
        let Some(norm) = field.blind_index() else {
            return Ok(None);
        };
        let key = self
            .inner
            .index_keys
            .get(field.name)
            .ok_or_else(|| undeclared(field.name))?;
        let normalized = Zeroizing::new(norm.apply(&String::from_utf8_lossy(value)));
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
            .map_err(|_| undeclared(field.name))?;
        mac.update(normalized.as_bytes());
        Ok(Some(BlindIndexEntry {
            field: field.name.to_owned(),
            digest: mac.finalize().into_bytes().to_vec(),
        }))
    }
}

impl Vault {
    /// The blind-index digest of `value` for `field` (for bulk loading in benchmarks and
    /// migrations; lookups go through [`Vault::find`]).
    #[doc(hidden)]
    pub fn blind_digest(
        &self,
        field: &'static PiField,
        value: &str,
    ) -> VaultResult<Option<Vec<u8>>> {
        Ok(self
            .index_entry(check_storable(field)?, value.as_bytes())?
            .map(|e| e.digest))
    }
}

impl Vault {
    /// A keyed pseudonym of `value` for `context` (HMAC-SHA256 under a key derived from the
    /// vault's index root, so every node sharing the store computes the same one and nobody
    /// without the master key can reverse it by enumeration — an IPv4 address could be, if
    /// hashed without a key). For short-lived counters (rate limits) keyed by PI such as a
    /// source address or a mobile number, and for keys that must match a person without holding
    /// their PI (IDV-4: a warranty names the other person by the pseudonym of their identity
    /// document); never for lookups of stored PI (that is [`Vault::find`]).
    ///
    /// NEVER change this derivation, nor a `context` in use: stored pseudonyms (third-party
    /// warranties) would no longer match the people they name.
    pub fn pseudonym(&self, context: &str, value: &[u8]) -> [u8; 32] {
        let hk = Hkdf::<Sha256>::new(Some(b"yinxin/pseudonym"), self.inner.index_root.as_ref());
        let mut key = Zeroizing::new([0u8; 32]);
        let info = [b"yinxin/pseudonym/v1/".as_slice(), context.as_bytes()].concat();
        // 32 bytes from HKDF-SHA256 cannot fail.
        let _ = hk.expand(&info, key.as_mut());
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(value);
        mac.finalize().into_bytes().into()
    }
}

impl Vault {
    /// A 32-byte secret for `context`, derived from the vault's root key (HKDF-SHA256 with its
    /// own salt, so it is unrelated to the blind-index and pseudonym keys): the same on every
    /// node sharing the key store, unchanged by a master-key rotation (the root is re-wrapped,
    /// not replaced), and unreachable without the master key. For service signing keys that have
    /// no key store of their own yet (consent receipts, PRIV-1).
    pub fn service_secret(&self, context: &str) -> Zeroizing<[u8; 32]> {
        let hk = Hkdf::<Sha256>::new(
            Some(b"yinxin/service-secret"),
            self.inner.index_root.as_ref(),
        );
        let mut key = Zeroizing::new([0u8; 32]);
        let info = [b"yinxin/service-secret/v1/".as_slice(), context.as_bytes()].concat();
        // 32 bytes from HKDF-SHA256 cannot fail.
        let _ = hk.expand(&info, key.as_mut());
        key
    }

    /// The key slot of `subject`'s **custody** (issue 8 item 4; PIPL art. 47, CERT-7): when a
    /// subject is erased, what the law keeps of it is re-sealed with [`Vault::seal_record`]
    /// under this subject instead — a data key of its own in the key store, so that erasing the
    /// subject destroys everything else, and destroying this one ([`Vault::shred`] of it) ends
    /// the custody the same way, backups included. Derived from the subject id alone (SHA-256,
    /// as a UUID), so it needs no record of its own and names no one.
    pub fn custody_subject(subject: SubjectId) -> SubjectId {
        let digest = Sha256::new()
            .chain_update(b"yinxin/custody/v1")
            .chain_update(subject.as_bytes())
            .finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
        SubjectId::from(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    /// Seals a record the service holds in its own right (a legal demand's document, PRIV-6)
    /// under the service key of `context`, bound to `record_id`: not under any subject's key, so
    /// a subject's erasure does not destroy the record the service must keep, yet nothing opens
    /// it without the master key.
    pub fn seal_service_record(&self, context: &str, record_id: &str, plain: &[u8]) -> Vec<u8> {
        let key = self.service_secret(&format!("service-record/{context}"));
        seal::seal(
            self.inner.cipher,
            &key,
            &aad_service(context, record_id),
            plain,
        )
    }

    /// Opens what [`Vault::seal_service_record`] sealed; `TAMPERED` if it was not sealed for
    /// this context and record.
    pub fn open_service_record(
        &self,
        context: &str,
        record_id: &str,
        sealed: &[u8],
    ) -> VaultResult<Zeroizing<Vec<u8>>> {
        let key = self.service_secret(&format!("service-record/{context}"));
        seal::open(&key, &aad_service(context, record_id), sealed).map_err(|_| {
            VaultError::Refused(DomainError::new(
                ErrorCode::Tampered,
                format!("{context} record {record_id} does not open"),
            ))
        })
    }
}

/// Seals `value` for `subject`/`field` under an already unwrapped data key. Exposed for the
/// benchmark of the raw sealing cost; the vault's own path is [`Vault::put`].
#[doc(hidden)]
pub fn seal_with_data_key(
    cipher: Cipher,
    key: &[u8; 32],
    subject: SubjectId,
    field: &str,
    value: &[u8],
) -> Vec<u8> {
    seal::seal(cipher, key, &aad_field(subject, field), value)
}

/// Opens what [`seal_with_data_key`] sealed.
#[doc(hidden)]
pub fn open_with_data_key(
    key: &[u8; 32],
    subject: SubjectId,
    field: &str,
    blob: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    seal::open(key, &aad_field(subject, field), blob).ok()
}

fn check_storable(field: &'static PiField) -> VaultResult<&'static PiField> {
    if !inventory::is_declared(field) {
        return Err(undeclared(field.name));
    }
    if !field.storable() {
        return Err(VaultError::Refused(DomainError::new(
            ErrorCode::PiFieldNotStorable,
            format!(
                "field {} is declared never stored ({:?} data is compared and discarded, not retained)",
                field.name, field.category
            ),
        )));
    }
    Ok(field)
}

fn unwrap_root(master: &MasterKey, root: &VaultRoot) -> VaultResult<Zeroizing<[u8; 32]>> {
    let mismatch = || VaultError::MasterKeyMismatch {
        presented: master.fingerprint(),
        expected: root.kek_fingerprint.clone(),
    };
    if root.kek_fingerprint != master.fingerprint() {
        return Err(mismatch());
    }
    seal::open(&master.kek(), AAD_INDEX_ROOT, &root.wrapped_index_key)
        .ok()
        .and_then(|k| to_key(&k))
        .ok_or_else(mismatch)
}
