//! The vocabulary of personal information: what a field is, why it is held, on what basis, for how
//! long, and what happens to it afterwards. The inventory ([`crate::inventory`]) is written in it.

use serde::Serialize;
use utoipa::ToSchema;

/// Category of a personal-information field (PRIV-5; the categories of 000 §1.2 and 004 1.x).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Who someone is: name, sex, birth date, address, work unit.
    Identity,
    /// An identity document and what is printed on it.
    IdentityDocument,
    /// Face, fingerprint, iris, voice: never stored (ACC-3, IDV-1(c)).
    Biometric,
    /// Bank cards, bank accounts, taxpayer identifiers.
    Financial,
    /// Mobile numbers and e-mail addresses.
    Contact,
    /// Device model, OS, identifiers, key (token) serial numbers (ACC-5, CERT-10).
    Device,
    /// Where a signature was made (SIGN-4).
    Location,
    /// Access logs and support records (ACC-5, ACC-7).
    Log,
    /// An enterprise and the people who act for it (ACC-2).
    Enterprise,
    /// Documents uploaded for signing and the signed files (SIGN-1): whatever they contain.
    Document,
}

/// Why a field is processed (PRIV-5: data is used only for the purposes declared for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Creating and keeping the account (ACC-1, ACC-2).
    AccountRegistration,
    /// Logging in and account recovery (ACC-3).
    Login,
    /// Detecting abnormal accounts and fraud (ACC-5).
    AccountSecurity,
    /// Real-name identity verification through a provider (IDV-1, IDV-2).
    RealNameVerification,
    /// Issuing, renewing and revoking certificates (CERT-1, CERT-4).
    CertificateIssuance,
    /// Telling the holder a certificate is about to expire (CERT-6).
    RenewalReminder,
    /// Providing certificate information to the relying applications where the holder uses the
    /// certificate, at the holder's word (CERT-6).
    CertificateInformation,
    /// Issuing an invoice the holder asked for (CERT-6).
    Invoicing,
    /// Making an electronic signature or seal (SIGN-1..SIGN-4).
    ElectronicSigning,
    /// Answering the user when they contact support (ACC-7).
    CustomerSupport,
    /// Providing case data to arbitration or mediation on a legal basis (EVID-2).
    DisputeResolution,
    /// Keeping records the law requires and producing them to authorities (CERT-7, ACC-6).
    LegalRecordKeeping,
    /// Answering the subject's own access and copy requests (PRIV-14).
    SubjectAccess,
}

impl Purpose {
    /// Every purpose, in the order declared.
    pub const ALL: [Self; 13] = [
        Self::AccountRegistration,
        Self::Login,
        Self::AccountSecurity,
        Self::RealNameVerification,
        Self::CertificateIssuance,
        Self::RenewalReminder,
        Self::CertificateInformation,
        Self::Invoicing,
        Self::ElectronicSigning,
        Self::CustomerSupport,
        Self::DisputeResolution,
        Self::LegalRecordKeeping,
        Self::SubjectAccess,
    ];

    /// The stored and wire form (as serialized).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountRegistration => "account_registration",
            Self::Login => "login",
            Self::AccountSecurity => "account_security",
            Self::RealNameVerification => "real_name_verification",
            Self::CertificateIssuance => "certificate_issuance",
            Self::RenewalReminder => "renewal_reminder",
            Self::CertificateInformation => "certificate_information",
            Self::Invoicing => "invoicing",
            Self::ElectronicSigning => "electronic_signing",
            Self::CustomerSupport => "customer_support",
            Self::DisputeResolution => "dispute_resolution",
            Self::LegalRecordKeeping => "legal_record_keeping",
            Self::SubjectAccess => "subject_access",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The legal basis of the processing (PIPL art. 13, 29; PRIV-2, PRIV-6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Consent to the privacy policy (PIPL art. 13(1); PRIV-1).
    Consent,
    /// Separate consent, required for sensitive PI and cross-border transfer (PIPL art. 29, 39; PRIV-2).
    SeparateConsent,
    /// Necessary to perform the contract the subject is party to (PIPL art. 13(2)).
    Contract,
    /// Necessary to meet a legal duty: MEAS, ESL, Cybersecurity Law (PIPL art. 13(3); PRIV-6).
    LegalObligation,
}

/// How long a field is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum Retention {
    /// Held in memory for one operation only and never written anywhere (biometrics).
    Transient,
    /// While the account exists, then `grace_days` after cancellation (ACC-6: 001 says 6 months).
    UntilAccountCancelled {
        /// Days after cancellation before the disposition applies.
        grace_days: u32,
    },
    /// Until `years` after the last certificate that carries it expires (CERT-7, ESL art. 24).
    AfterCertificateExpiry {
        /// Years after expiry.
        years: u32,
    },
    /// A fixed number of days after collection.
    Days {
        /// Days after collection.
        days: u32,
    },
    /// Until the permission or consent it depends on is withdrawn (PRIV-3, PRIV-4).
    UntilConsentWithdrawn,
}

/// What happens at the end of retention (PRIV-9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Disposition {
    /// Destroyed: the subject's data key is shredded or the field deleted.
    Erase,
    /// Replaced by an anonymous form that cannot be linked back to the person (PIPL art. 73(4)).
    Anonymize,
    /// Kept sealed, readable only for the legal purpose, under the rule named.
    KeepSealed {
        /// The rule that requires keeping it.
        legal_rule: &'static str,
    },
}

/// How a value is normalized before its blind index is computed, so that the same value written
/// two ways finds the same subject.
///
/// NEVER change what a variant does: every stored index computed with it becomes unreachable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// All whitespace removed, ASCII letters upper-cased (document numbers: a trailing `x` is `X`).
    DocumentNumber,
    /// Digits only; after a leading `+`, a `86` country code removed; then every leading `0086`
    /// removed, so the result never starts with `0086` and applying it again changes nothing
    /// (found by the `normalization` fuzz target before any index was stored).
    Mobile,
    /// Trimmed and lower-cased.
    Email,
    /// All whitespace removed, upper-cased (unified social credit codes).
    CreditCode,
    /// Trimmed, ASCII letters lower-cased (usernames are case-insensitive).
    Username,
}

impl Normalization {
    /// The normalized form of `value`.
    pub fn apply(&self, value: &str) -> String {
        let v = value.trim();
        match self {
            Self::DocumentNumber | Self::CreditCode => v
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect(),
            Self::Email => v.to_lowercase(),
            Self::Username => v.to_ascii_lowercase(),
            Self::Mobile => {
                let digits: String = v.chars().filter(char::is_ascii_digit).collect();
                let mut rest = digits.as_str();
                if v.starts_with('+') {
                    rest = rest.strip_prefix("86").unwrap_or(rest);
                }
                while let Some(r) = rest.strip_prefix("0086") {
                    rest = r;
                }
                rest.to_owned()
            }
        }
    }
}

/// Where and how the field is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Storage {
    /// Sealed in the vault with the subject's data key.
    Sealed,
    /// Sealed, plus a keyed blind index for exact-match lookup.
    SealedIndexed {
        /// How the value is normalized before indexing.
        normalization: Normalization,
    },
    /// Never stored: passes through memory to a provider and is zeroized (biometrics).
    NeverStored,
}

/// One declared personal-information field. Values of this type exist only in
/// [`crate::inventory::INVENTORY`]: the struct is `#[non_exhaustive]`, so no other crate can make one,
/// and the vault only accepts fields by reference to a declaration.
#[derive(Debug, PartialEq, Eq, Serialize, ToSchema)]
#[non_exhaustive]
pub struct PiField {
    /// Stable storage name, `scope.field`. NEVER rename: stored records are keyed by it.
    pub name: &'static str,
    /// Name in the published notice (zh-CN).
    pub label_zh: &'static str,
    /// Name in the published notice (English).
    pub label_en: &'static str,
    /// Category.
    pub category: Category,
    /// Sensitive personal information under PIPL art. 28 (needs separate consent, PRIV-2).
    pub sensitive: bool,
    /// The only purposes it may be used for.
    #[schema(value_type = Vec<Purpose>)]
    pub purposes: &'static [Purpose],
    /// The legal basis of collection.
    pub legal_basis: LegalBasis,
    /// How long it is kept.
    pub retention: Retention,
    /// What happens at the end of retention.
    pub disposition: Disposition,
    /// How it is stored.
    pub storage: Storage,
    /// The requirement IDs (REQUIREMENTS.md) it exists because of.
    #[schema(value_type = Vec<String>)]
    pub requirements: &'static [&'static str],
}

impl PiField {
    /// Whether the field may be used for `purpose`.
    pub fn allows(&self, purpose: Purpose) -> bool {
        self.purposes.contains(&purpose)
    }

    /// Whether the vault may store it at all.
    pub fn storable(&self) -> bool {
        !matches!(self.storage, Storage::NeverStored)
    }

    /// The blind-index normalization, if the field is indexed.
    pub fn blind_index(&self) -> Option<Normalization> {
        match self.storage {
            Storage::SealedIndexed { normalization } => Some(normalization),
            _ => None,
        }
    }
}

/// `s` with all but its first `keep_start` and last `keep_end` characters replaced by `*`
/// (every character when it is that short): how PI is shown where it must be recognisable but not
/// readable (a document number in a credential, a name in the public certificate query).
pub fn mask(s: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= keep_start + keep_end {
        return "*".repeat(n);
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_start || i >= n - keep_end {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_are_stored_as_serialized() {
        for p in Purpose::ALL {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(Purpose::parse(p.as_str()), Some(p));
        }
        assert_eq!(Purpose::parse("marketing"), None);
    }

    #[test]
    fn mobile_normalization_strips_country_code_and_punctuation() {
        let n = Normalization::Mobile;
        assert_eq!(n.apply("+86 138-0013-8000"), "13800138000");
        assert_eq!(n.apply("0086 13800138000"), "13800138000");
        assert_eq!(n.apply(" 13800138000 "), "13800138000");
        // A number that merely starts with 86 is not a country code without '+' or '00'.
        assert_eq!(n.apply("8613800138000"), "8613800138000");
        // Idempotent even on doubled prefixes (fuzz/regressions/normalization).
        for v in [
            "+0086",
            "+0086 13800138000",
            "+86 0086 13800138000",
            "0086 0086 13800138000",
        ] {
            let once = n.apply(v);
            assert_eq!(n.apply(&once), once, "{v}");
        }
        assert_eq!(n.apply("+86 0086 13800138000"), "13800138000");
    }

    #[test]
    fn document_numbers_and_emails_normalize() {
        assert_eq!(
            Normalization::DocumentNumber.apply(" 11010519491231002x "),
            "11010519491231002X"
        );
        assert_eq!(
            Normalization::Email.apply(" Li.Lei@Example.CN "),
            "li.lei@example.cn"
        );
        assert_eq!(
            Normalization::CreditCode.apply("91350100m000100y43"),
            "91350100M000100Y43"
        );
    }
}
