//! What a leaf holds: a versioned, canonical binary encoding of one evidence entry (issue 7
//! item 2; docs/LEDGER.md is the normative description).
//!
//! A leaf holds **no personal information** (PRIV-16): only its type, a time, and salted
//! commitments `SHA-256(salt || canonical record bytes)` to the records it is evidence of, with a
//! 32-byte random salt that is kept *with the record*, never in the log. Shown the record and its
//! salt, anyone can check it matches its leaf; once the record and its salt are erased, the leaf
//! is 32 random-looking bytes per field, and nothing can be learnt from it — not even by guessing
//! a record, because the salt is unguessable.
//!
//! ```text
//! version (1 byte, = 1) ‖ type (1 byte) ‖ time (8 bytes, big-endian Unix ms, signed)
//!   ‖ the type's commitments, 32 bytes each, in the order below
//!   ‖ [CertificateRevoked only] reason (1 byte, RFC 5280 CRLReason)
//! ```
//!
//! Every encoding has exactly one parse and every valid entry exactly one encoding: fixed
//! lengths, no optional fields, trailing bytes refused.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// The encoding version this code writes and reads. NEVER change the meaning of an existing
/// version: every leaf already in the log was hashed over its bytes.
pub const ENTRY_VERSION: u8 = 1;

/// A 32-byte random salt, kept with the record it blinds (and erased with it: PRIV-16). Wiped
/// from memory on drop.
#[derive(Clone, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Salt(pub [u8; 32]);

impl Salt {
    /// A fresh salt from the operating system's RNG.
    pub fn random() -> Self {
        let mut s = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut s);
        Self(s)
    }
}

impl Salt {
    /// The salt of part `n` of a record: `SHA-256(salt || n)`. An entry's commitments each use
    /// their own part salt, so that one stored salt per record opens them all and no two
    /// commitments share a salt (docs/LEDGER.md).
    pub fn part(&self, n: u8) -> Salt {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update([n]);
        Salt(h.finalize().into())
    }
}

impl std::fmt::Debug for Salt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Salt(…)")
    }
}

/// `SHA-256(salt || record)`: binds a leaf to one record without revealing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Commitment(pub [u8; 32]);

impl Commitment {
    /// The commitment to `record` (its canonical bytes) under `salt`.
    pub fn to(salt: &Salt, record: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(salt.0);
        h.update(record);
        Self(h.finalize().into())
    }

    /// Whether `record` and `salt` are what this commits to.
    pub fn opens_to(&self, salt: &Salt, record: &[u8]) -> bool {
        Self::to(salt, record) == *self
    }
}

/// What an entry is evidence of, with its commitments (each to the record named).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryBody {
    /// Type 1 (CERT-1): a certificate issued; commits to the certificate's DER.
    CertificateIssued {
        /// The certificate (DER).
        certificate: Commitment,
    },
    /// Type 2 (CERT-2): a certificate renewed.
    CertificateRenewed {
        /// The new certificate (DER).
        certificate: Commitment,
        /// The certificate it renews (DER).
        renews: Commitment,
    },
    /// Type 3 (CERT-5): a certificate revoked.
    CertificateRevoked {
        /// The certificate (DER).
        certificate: Commitment,
        /// RFC 5280 CRLReason (0–10, not 7).
        reason: u8,
    },
    /// Type 4 (SIGN-4): a signature made, after its intent confirmation.
    Signature {
        /// The signature (CMS SignedData DER).
        signature: Commitment,
        /// The document or digest signed.
        document: Commitment,
        /// The intent confirmation record.
        intent: Commitment,
    },
    /// Type 5 (SIGN-3): an enterprise seal used.
    SealUse {
        /// The seal-use record (seal, agent, authorization).
        seal_use: Commitment,
        /// The document sealed.
        document: Commitment,
        /// The intent confirmation record.
        intent: Commitment,
    },
    /// Type 6 (SIGN-1): a timestamp token issued.
    Timestamp {
        /// The TimeStampToken (DER).
        token: Commitment,
    },
    /// Type 7 (PRIV-1, PRIV-2): a consent given.
    ConsentGiven {
        /// The consent record.
        consent: Commitment,
    },
    /// Type 8 (PRIV-4): a consent withdrawn.
    ConsentWithdrawn {
        /// The consent record withdrawn.
        consent: Commitment,
        /// The withdrawal record.
        withdrawal: Commitment,
    },
    /// Type 9 (PRIV-7, EVID-2): personal information provided to a processor, relying
    /// application or other recipient.
    Disclosure {
        /// The disclosure record.
        disclosure: Commitment,
    },
    /// Type 10 (PRIV-19): a staff member's access to personal information.
    StaffPiAccess {
        /// The access record.
        access: Commitment,
    },
}

/// One evidence entry: a leaf of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// When the event happened, Unix milliseconds.
    pub time_ms: i64,
    /// What happened.
    pub body: EntryBody,
}

/// Why bytes are not an entry. Names the part at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("entry {field}: {reason}")]
pub struct EntryError {
    /// `version`, `type`, `length` or `reason`.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

fn bad(field: &'static str, reason: impl Into<String>) -> EntryError {
    EntryError {
        field,
        reason: reason.into(),
    }
}

/// Whether `r` is an RFC 5280 CRLReason value (7 is unused).
fn valid_reason(r: u8) -> bool {
    r <= 10 && r != 7
}

impl EntryBody {
    /// The type byte.
    pub fn type_code(&self) -> u8 {
        match self {
            Self::CertificateIssued { .. } => 1,
            Self::CertificateRenewed { .. } => 2,
            Self::CertificateRevoked { .. } => 3,
            Self::Signature { .. } => 4,
            Self::SealUse { .. } => 5,
            Self::Timestamp { .. } => 6,
            Self::ConsentGiven { .. } => 7,
            Self::ConsentWithdrawn { .. } => 8,
            Self::Disclosure { .. } => 9,
            Self::StaffPiAccess { .. } => 10,
        }
    }

    /// The type's stable name (docs/LEDGER.md).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::CertificateIssued { .. } => "certificate_issued",
            Self::CertificateRenewed { .. } => "certificate_renewed",
            Self::CertificateRevoked { .. } => "certificate_revoked",
            Self::Signature { .. } => "signature",
            Self::SealUse { .. } => "seal_use",
            Self::Timestamp { .. } => "timestamp",
            Self::ConsentGiven { .. } => "consent_given",
            Self::ConsentWithdrawn { .. } => "consent_withdrawn",
            Self::Disclosure { .. } => "disclosure",
            Self::StaffPiAccess { .. } => "staff_pi_access",
        }
    }

    /// The commitments, in encoding order.
    pub fn commitments(&self) -> Vec<Commitment> {
        match self {
            Self::CertificateIssued { certificate } => vec![*certificate],
            Self::CertificateRenewed {
                certificate,
                renews,
            } => vec![*certificate, *renews],
            Self::CertificateRevoked { certificate, .. } => vec![*certificate],
            Self::Signature {
                signature,
                document,
                intent,
            } => vec![*signature, *document, *intent],
            Self::SealUse {
                seal_use,
                document,
                intent,
            } => vec![*seal_use, *document, *intent],
            Self::Timestamp { token } => vec![*token],
            Self::ConsentGiven { consent } => vec![*consent],
            Self::ConsentWithdrawn {
                consent,
                withdrawal,
            } => vec![*consent, *withdrawal],
            Self::Disclosure { disclosure } => vec![*disclosure],
            Self::StaffPiAccess { access } => vec![*access],
        }
    }
}

/// How many commitments a type carries, and whether it has a reason byte.
fn shape(type_code: u8) -> Option<(usize, bool)> {
    Some(match type_code {
        1 | 6 | 7 | 9 | 10 => (1, false),
        2 | 8 => (2, false),
        3 => (1, true),
        4 | 5 => (3, false),
        _ => return None,
    })
}

const HEADER: usize = 1 + 1 + 8;

impl Entry {
    /// The canonical encoding (the leaf data). Refuses a revocation reason outside CRLReason.
    pub fn encode(&self) -> Result<Vec<u8>, EntryError> {
        let commitments = self.body.commitments();
        let mut out = Vec::with_capacity(HEADER + 32 * commitments.len() + 1);
        out.push(ENTRY_VERSION);
        out.push(self.body.type_code());
        out.extend_from_slice(&self.time_ms.to_be_bytes());
        for c in &commitments {
            out.extend_from_slice(&c.0);
        }
        if let EntryBody::CertificateRevoked { reason, .. } = self.body {
            if !valid_reason(reason) {
                return Err(bad(
                    "reason",
                    format!("{reason} is not an RFC 5280 CRLReason (0–10, not 7)"),
                ));
            }
            out.push(reason);
        }
        Ok(out)
    }

    /// This entry as the evidence of the record `kind`/`record_id` blinded by `salt`, ready to be
    /// queued in the record's own transaction: encoded, with its RFC 6962 leaf hash (stored
    /// beside the salt, so that the record's proof bundle finds its leaf), queued now.
    pub fn evidence(
        &self,
        kind: &'static str,
        record_id: String,
        salt: &Salt,
    ) -> Result<yinxin_domain::ledger::EvidenceEntry, EntryError> {
        let entry = self.encode()?;
        let queued_at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Ok(yinxin_domain::ledger::EvidenceEntry {
            kind,
            record_id,
            salt: salt.0,
            leaf_hash: crate::tree::leaf_hash(&entry),
            entry,
            queued_at_ms,
        })
    }

    /// Reads an encoded entry, refusing anything that is not exactly one canonical encoding.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let (&version, rest) = bytes
            .split_first()
            .ok_or_else(|| bad("length", "no bytes"))?;
        if version != ENTRY_VERSION {
            return Err(bad(
                "version",
                format!("{version} is not a known encoding version (1 is)"),
            ));
        }
        let (&type_code, rest) = rest
            .split_first()
            .ok_or_else(|| bad("length", "no type byte"))?;
        let (count, has_reason) = shape(type_code).ok_or_else(|| {
            bad(
                "type",
                format!("{type_code} is not a known entry type (1–10)"),
            )
        })?;
        let want = 8 + 32 * count + usize::from(has_reason);
        if rest.len() != want {
            return Err(bad(
                "length",
                format!(
                    "type {type_code} has {} bytes, {} after the type byte expected",
                    rest.len(),
                    want
                ),
            ));
        }
        let (time, rest) = rest.split_at(8);
        let time_ms = i64::from_be_bytes(time.try_into().map_err(|_| bad("length", "time"))?);
        let mut cs = rest.chunks_exact(32).map(|c| {
            let mut a = [0u8; 32];
            a.copy_from_slice(c);
            Commitment(a)
        });
        let mut next = || cs.next().ok_or_else(|| bad("length", "missing commitment"));
        let body = match type_code {
            1 => EntryBody::CertificateIssued {
                certificate: next()?,
            },
            2 => EntryBody::CertificateRenewed {
                certificate: next()?,
                renews: next()?,
            },
            3 => {
                let certificate = next()?;
                let reason = *rest.last().ok_or_else(|| bad("length", "no reason"))?;
                if !valid_reason(reason) {
                    return Err(bad(
                        "reason",
                        format!("{reason} is not an RFC 5280 CRLReason (0–10, not 7)"),
                    ));
                }
                EntryBody::CertificateRevoked {
                    certificate,
                    reason,
                }
            }
            4 => EntryBody::Signature {
                signature: next()?,
                document: next()?,
                intent: next()?,
            },
            5 => EntryBody::SealUse {
                seal_use: next()?,
                document: next()?,
                intent: next()?,
            },
            6 => EntryBody::Timestamp { token: next()? },
            7 => EntryBody::ConsentGiven { consent: next()? },
            8 => EntryBody::ConsentWithdrawn {
                consent: next()?,
                withdrawal: next()?,
            },
            9 => EntryBody::Disclosure {
                disclosure: next()?,
            },
            _ => EntryBody::StaffPiAccess { access: next()? },
        };
        Ok(Self { time_ms, body })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn c(b: u8) -> Commitment {
        Commitment([b; 32])
    }

    fn all() -> Vec<EntryBody> {
        vec![
            EntryBody::CertificateIssued { certificate: c(1) },
            EntryBody::CertificateRenewed {
                certificate: c(1),
                renews: c(2),
            },
            EntryBody::CertificateRevoked {
                certificate: c(1),
                reason: 1,
            },
            EntryBody::Signature {
                signature: c(1),
                document: c(2),
                intent: c(3),
            },
            EntryBody::SealUse {
                seal_use: c(1),
                document: c(2),
                intent: c(3),
            },
            EntryBody::Timestamp { token: c(4) },
            EntryBody::ConsentGiven { consent: c(5) },
            EntryBody::ConsentWithdrawn {
                consent: c(5),
                withdrawal: c(6),
            },
            EntryBody::Disclosure { disclosure: c(7) },
            EntryBody::StaffPiAccess { access: c(8) },
        ]
    }

    #[test]
    fn every_type_round_trips_and_codes_are_distinct() {
        let mut codes = vec![];
        for body in all() {
            let e = Entry { time_ms: -5, body };
            let bytes = e.encode().unwrap();
            assert_eq!(bytes[0], ENTRY_VERSION);
            assert_eq!(Entry::decode(&bytes).unwrap(), e);
            codes.push(bytes[1]);
            // No trailing or missing byte is accepted.
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(Entry::decode(&longer).unwrap_err().field, "length");
            assert_eq!(
                Entry::decode(&bytes[..bytes.len() - 1]).unwrap_err().field,
                "length"
            );
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 10);
    }

    #[test]
    fn the_encoding_is_the_documented_one() {
        let e = Entry {
            time_ms: 0x0102_0304_0506_0708,
            body: EntryBody::CertificateRevoked {
                certificate: c(0xaa),
                reason: 4,
            },
        };
        let mut want = vec![1, 3, 1, 2, 3, 4, 5, 6, 7, 8];
        want.extend([0xaa; 32]);
        want.push(4);
        assert_eq!(e.encode().unwrap(), want);
    }

    #[test]
    fn refusals_name_the_part() {
        assert_eq!(Entry::decode(&[]).unwrap_err().field, "length");
        assert_eq!(Entry::decode(&[2, 1]).unwrap_err().field, "version");
        assert_eq!(Entry::decode(&[1, 11]).unwrap_err().field, "type");
        let mut bytes = Entry {
            time_ms: 1,
            body: EntryBody::CertificateRevoked {
                certificate: c(1),
                reason: 0,
            },
        }
        .encode()
        .unwrap();
        *bytes.last_mut().unwrap() = 7;
        assert_eq!(Entry::decode(&bytes).unwrap_err().field, "reason");
        let bad = Entry {
            time_ms: 1,
            body: EntryBody::CertificateRevoked {
                certificate: c(1),
                reason: 11,
            },
        };
        assert_eq!(bad.encode().unwrap_err().field, "reason");
    }

    #[test]
    fn a_commitment_opens_only_with_its_record_and_salt() {
        let salt = Salt::random();
        let k = Commitment::to(&salt, b"consent record");
        assert!(k.opens_to(&salt, b"consent record"));
        assert!(!k.opens_to(&salt, b"consent recorD"));
        assert!(!k.opens_to(&Salt::random(), b"consent record"));
        assert_ne!(Salt::random(), Salt::random());
        assert_eq!(format!("{salt:?}"), "Salt(…)");
    }
}
