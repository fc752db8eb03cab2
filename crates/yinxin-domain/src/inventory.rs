//! The inventory of personal information, as code (PRIV-5).
//!
//! Every personal-information field yinxin may hold is declared here, once: its category, whether it
//! is sensitive (PIPL art. 28), the purposes it may serve, the legal basis, how long it is kept, what
//! happens afterwards, how it is stored, and the requirements it exists because of. The vault refuses
//! anything not declared here; `yinxin inventory` prints it and `GET /api/v1/privacy/inventory` serves
//! it, so the published privacy notice is generated from the same list the code obeys.
//!
//! Adding a field: declare a `static` below, add it to [`INVENTORY`], cite the requirement, and state
//! the narrowest purposes that work. When in doubt, collect less.

use crate::pi::{
    Category as C, Disposition, LegalBasis as B, Normalization as N, PiField, Purpose as P,
    Retention, Storage,
};

/// ACC-6: 001 4.4 anonymizes account data 6 months after cancellation.
const ACCOUNT_LIFETIME: Retention = Retention::UntilAccountCancelled { grace_days: 183 };
/// CERT-7: certificate service records kept at least 5 years after the certificate expires.
const CERTIFICATE_RECORDS: Retention = Retention::AfterCertificateExpiry { years: 5 };
/// Cybersecurity Law art. 21(3): network logs kept no less than six months.
const NETWORK_LOGS: Retention = Retention::Days { days: 180 };
/// The legal rule that keeps certification records sealed rather than erased.
const ESL_RECORDS: Disposition = Disposition::KeepSealed {
    legal_rule: "ESL art. 24 / MEAS: certification records kept 5 years after the certificate expires (CERT-7)",
};
const INDEXED_DOC: Storage = Storage::SealedIndexed {
    normalization: N::DocumentNumber,
};

macro_rules! field {
    ($name:literal, $zh:literal, $en:literal, $cat:expr, sensitive: $s:expr, [$($p:expr),+ $(,)?],
     $basis:expr, $ret:expr, $disp:expr, $storage:expr, [$($r:literal),+ $(,)?]) => {
        PiField {
            name: $name,
            label_zh: $zh,
            label_en: $en,
            category: $cat,
            sensitive: $s,
            purposes: &[$($p),+],
            legal_basis: $basis,
            retention: $ret,
            disposition: $disp,
            storage: $storage,
            requirements: &[$($r),+],
        }
    };
}

// ---- an account (ACC-1, ACC-3) ----

/// The username chosen at registration. An online identifier, so personal information; the
/// validator refuses usernames shaped like a mobile, e-mail or document number, so it never
/// carries other PI. Indexed (unique) for login.
pub static ACCOUNT_USERNAME: PiField = field!("account.username", "用户名", "Username", C::Identity,
    sensitive: false, [P::AccountRegistration, P::Login, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase,
    Storage::SealedIndexed { normalization: N::Username }, ["ACC-1", "ACC-3"]);

// ---- a person (ACC-1, IDV-1, CERT-4) ----

/// The person's name.
pub static PERSON_NAME: PiField = field!("person.name", "姓名", "Name", C::Identity, sensitive: false,
    [P::AccountRegistration, P::RealNameVerification, P::CertificateIssuance, P::ElectronicSigning,
     P::Invoicing, P::CertificateInformation, P::LegalRecordKeeping, P::SubjectAccess],
    B::Contract, CERTIFICATE_RECORDS, ESL_RECORDS, Storage::Sealed, ["ACC-1", "CERT-4", "CERT-7"]);
/// Country or region of nationality.
pub static PERSON_COUNTRY: PiField = field!("person.country_region", "国家或地区", "Country or region",
    C::Identity, sensitive: false,
    [P::AccountRegistration, P::RealNameVerification, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Anonymize, Storage::Sealed, ["ACC-1"]);
/// Which identity document (resident ID card, passport, travel permit, permanent resident card).
pub static PERSON_DOCUMENT_TYPE: PiField = field!("person.document_type", "证件类型", "Identity document type",
    C::IdentityDocument, sensitive: false,
    [P::AccountRegistration, P::RealNameVerification, P::CertificateIssuance, P::LegalRecordKeeping,
     P::SubjectAccess],
    B::Contract, CERTIFICATE_RECORDS, ESL_RECORDS, Storage::Sealed, ["ACC-1", "CERT-7"]);
/// The identity document number (PIPL art. 28: specific identity, sensitive).
pub static PERSON_DOCUMENT_NUMBER: PiField = field!("person.document_number", "证件号码", "Identity document number",
    C::IdentityDocument, sensitive: true,
    [P::AccountRegistration, P::RealNameVerification, P::CertificateIssuance,
     P::CertificateInformation, P::LegalRecordKeeping, P::SubjectAccess],
    B::SeparateConsent, CERTIFICATE_RECORDS, ESL_RECORDS, INDEXED_DOC, ["ACC-1", "IDV-1", "CERT-4", "CERT-7"]);
/// Real-name mobile number.
pub static PERSON_MOBILE: PiField = field!("person.mobile", "实名手机号", "Real-name mobile number",
    C::Contact, sensitive: false,
    [P::AccountRegistration, P::Login, P::RealNameVerification, P::RenewalReminder, P::AccountSecurity,
     P::ElectronicSigning, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase,
    Storage::SealedIndexed { normalization: N::Mobile }, ["ACC-1", "ACC-3", "IDV-1", "CERT-6"]);
/// E-mail address.
pub static PERSON_EMAIL: PiField = field!("person.email", "电子邮箱", "E-mail address",
    C::Contact, sensitive: false,
    [P::AccountRegistration, P::Login, P::Invoicing, P::CustomerSupport, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase,
    Storage::SealedIndexed { normalization: N::Email }, ["ACC-1", "CERT-6"]);
/// Work unit, recorded in a certificate when the holder asks (CERT-4).
pub static PERSON_WORK_UNIT: PiField = field!("person.work_unit", "工作单位", "Work unit",
    C::Identity, sensitive: false,
    [P::CertificateIssuance, P::CertificateInformation, P::LegalRecordKeeping, P::SubjectAccess],
    B::Consent, CERTIFICATE_RECORDS, ESL_RECORDS, Storage::Sealed, ["CERT-4", "CERT-6"]);

// ---- read off an identity card (IDV-1: 000 §1.2(3)) ----

/// Sex, as printed on the card.
pub static IDCARD_SEX: PiField = field!("idcard.sex", "性别", "Sex", C::IdentityDocument, sensitive: false,
    [P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-1"]);
/// Ethnicity, as printed on the card.
pub static IDCARD_ETHNICITY: PiField = field!("idcard.ethnicity", "民族", "Ethnicity", C::IdentityDocument,
    sensitive: true, [P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-1"]);
/// Date of birth, as printed on the card.
pub static IDCARD_BIRTH_DATE: PiField = field!("idcard.birth_date", "出生日期", "Date of birth",
    C::IdentityDocument, sensitive: false, [P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-1", "PRIV-13"]);
/// Address, as printed on the card.
pub static IDCARD_ADDRESS: PiField = field!("idcard.address", "住址", "Address", C::IdentityDocument,
    sensitive: false, [P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-1"]);
/// Image of the card's faces, including the portrait.
pub static IDCARD_IMAGE: PiField = field!("idcard.image", "证件照片", "Identity document image",
    C::IdentityDocument, sensitive: true, [P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-1"]);
/// Issuing authority, as printed on the card.
pub static IDCARD_ISSUER: PiField = field!("idcard.issuing_authority", "签发机关", "Issuing authority",
    C::IdentityDocument, sensitive: false, [P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-1"]);
/// Validity period, as printed on the card.
pub static IDCARD_VALIDITY: PiField = field!("idcard.validity_period", "有效期限", "Validity period",
    C::IdentityDocument, sensitive: false, [P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-1"]);

// ---- biometrics: declared so that they can be refused (ACC-3, IDV-1(c)) ----

/// Face image or video for comparison and liveness. Passes through memory; never stored.
pub static BIOMETRIC_FACE: PiField = field!("biometric.face", "人脸图像或视频", "Face image or video",
    C::Biometric, sensitive: true, [P::RealNameVerification, P::Login],
    B::SeparateConsent, Retention::Transient, Disposition::Erase, Storage::NeverStored,
    ["ACC-3", "IDV-1"]);
/// Fingerprint or iris for optional biometric login. Compared on the device; never stored.
pub static BIOMETRIC_FINGERPRINT_IRIS: PiField = field!("biometric.fingerprint_iris", "指纹或虹膜", "Fingerprint or iris",
    C::Biometric, sensitive: true, [P::Login],
    B::SeparateConsent, Retention::Transient, Disposition::Erase, Storage::NeverStored, ["ACC-3"]);

// ---- financial (IDV-1(b), IDV-2, CERT-6) ----

/// Bank card number for the 4-factor check.
pub static BANK_CARD_NUMBER: PiField = field!("bank.card_number", "银行卡号", "Bank card number",
    C::Financial, sensitive: true, [P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-1"]);
/// Mobile number reserved at the bank, for the 4-factor check.
pub static BANK_RESERVED_MOBILE: PiField = field!("bank.reserved_mobile", "银行预留手机号", "Bank-reserved mobile number",
    C::Financial, sensitive: true, [P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-1"]);
/// Taxpayer identification number, only when the holder asks for an invoice.
pub static TAXPAYER_ID: PiField = field!("invoice.taxpayer_id", "纳税人识别号", "Taxpayer identification number",
    C::Financial, sensitive: false, [P::Invoicing, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["CERT-6"]);

// ---- an enterprise and the people who act for it (ACC-2, IDV-2) ----

/// Enterprise name.
pub static ENTERPRISE_NAME: PiField = field!("enterprise.name", "企业名称", "Enterprise name",
    C::Enterprise, sensitive: false,
    [P::AccountRegistration, P::RealNameVerification, P::CertificateIssuance, P::ElectronicSigning,
     P::Invoicing, P::CertificateInformation, P::LegalRecordKeeping, P::SubjectAccess],
    B::Contract, CERTIFICATE_RECORDS, ESL_RECORDS, Storage::Sealed, ["ACC-2", "CERT-6"]);
/// Unified social credit code or organization code.
pub static ENTERPRISE_CREDIT_CODE: PiField = field!("enterprise.credit_code", "统一社会信用代码或组织机构代码",
    "Unified social credit code or organization code", C::Enterprise, sensitive: false,
    [P::AccountRegistration, P::RealNameVerification, P::CertificateIssuance, P::LegalRecordKeeping,
     P::SubjectAccess],
    B::Contract, CERTIFICATE_RECORDS, ESL_RECORDS,
    Storage::SealedIndexed { normalization: N::CreditCode }, ["ACC-2", "IDV-2", "CERT-6"]);
/// Legal representative's name.
/// Also read, for `electronic_signing`, to make the legal representative's seal (SIGN-3).
pub static LEGAL_REP_NAME: PiField = field!("enterprise.legal_rep_name", "法定代表人姓名", "Legal representative's name",
    C::Enterprise, sensitive: false,
    [P::AccountRegistration, P::RealNameVerification, P::CertificateIssuance, P::ElectronicSigning,
     P::LegalRecordKeeping, P::SubjectAccess],
    B::Contract, CERTIFICATE_RECORDS, ESL_RECORDS, Storage::Sealed, ["ACC-2", "IDV-2", "IDV-4", "CERT-6"]);
/// Legal representative's identity document type.
pub static LEGAL_REP_DOCUMENT_TYPE: PiField = field!("enterprise.legal_rep_document_type", "法定代表人证件类型",
    "Legal representative's document type", C::Enterprise, sensitive: false,
    [P::AccountRegistration, P::RealNameVerification, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["ACC-2", "IDV-4"]);
/// Legal representative's identity document number.
pub static LEGAL_REP_DOCUMENT_NUMBER: PiField = field!("enterprise.legal_rep_document_number", "法定代表人证件号码",
    "Legal representative's document number", C::Enterprise, sensitive: true,
    [P::AccountRegistration, P::RealNameVerification, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, INDEXED_DOC, ["ACC-2", "IDV-2", "IDV-4"]);
/// Business licence image.
pub static BUSINESS_LICENCE_IMAGE: PiField = field!("enterprise.business_licence_image", "营业执照图像",
    "Business licence image", C::Enterprise, sensitive: false,
    [P::RealNameVerification, P::LegalRecordKeeping, P::SubjectAccess],
    B::Contract, CERTIFICATE_RECORDS, ESL_RECORDS, Storage::Sealed, ["IDV-2"]);
/// Corporate bank account, verified by a small deposit.
pub static ENTERPRISE_BANK_ACCOUNT: PiField = field!("enterprise.bank_account", "对公银行账户", "Corporate bank account",
    C::Financial, sensitive: false, [P::RealNameVerification, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["IDV-2"]);

// ---- devices, logs, location, support, signatures (ACC-5, ACC-7, CERT-10, SIGN-2, SIGN-4) ----

/// Device model, OS version and settings.
pub static DEVICE_INFO: PiField = field!("device.info", "设备型号、操作系统版本及设置", "Device model, OS version and settings",
    C::Device, sensitive: false, [P::AccountSecurity],
    B::Contract, NETWORK_LOGS, Disposition::Erase, Storage::Sealed, ["ACC-5"]);
/// A unique device identifier.
pub static DEVICE_IDENTIFIER: PiField = field!("device.identifier", "设备唯一标识符", "Unique device identifier",
    C::Device, sensitive: false, [P::AccountSecurity],
    B::Contract, NETWORK_LOGS, Disposition::Erase, Storage::Sealed, ["ACC-5"]);
/// Serial number of the key (token) device that holds the subject's private key.
pub static KEY_DEVICE_SERIAL: PiField = field!("device.key_serial", "介质（Key）序列号", "Key device serial number",
    C::Device, sensitive: false, [P::CertificateIssuance, P::AccountSecurity, P::LegalRecordKeeping, P::SubjectAccess],
    B::Contract, CERTIFICATE_RECORDS, ESL_RECORDS, Storage::Sealed, ["CERT-10", "ACC-5"]);
/// IP address of a request.
pub static LOG_IP_ADDRESS: PiField = field!("log.ip_address", "IP地址", "IP address",
    C::Log, sensitive: false, [P::AccountSecurity, P::LegalRecordKeeping, P::SubjectAccess],
    B::LegalObligation, NETWORK_LOGS, Disposition::Erase, Storage::Sealed, ["ACC-5", "PRIV-6"]);
/// Browser, carrier, language and pages visited.
pub static LOG_CLIENT: PiField = field!("log.client", "浏览器类型、运营商、语言及访问记录", "Browser, carrier, language and pages visited",
    C::Log, sensitive: false, [P::AccountSecurity],
    B::Contract, NETWORK_LOGS, Disposition::Erase, Storage::Sealed, ["ACC-5"]);
/// Where a signature was made, only when the user marks it under the location permission.
pub static SIGNING_LOCATION: PiField = field!("signing.location", "签署位置", "Signing location",
    C::Location, sensitive: true, [P::ElectronicSigning, P::LegalRecordKeeping, P::SubjectAccess],
    B::SeparateConsent, CERTIFICATE_RECORDS, ESL_RECORDS, Storage::Sealed, ["SIGN-4", "PRIV-3"]);
/// A handwritten signature image.
pub static HANDWRITTEN_SIGNATURE: PiField = field!("signing.handwritten_signature", "手写签名", "Handwritten signature",
    C::Identity, sensitive: true, [P::ElectronicSigning, P::SubjectAccess],
    B::SeparateConsent, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["SIGN-1", "SIGN-2"]);
/// A signature image made from the person's registered name in a chosen style (SIGN-2). A
/// hand-drawn one is [`HANDWRITTEN_SIGNATURE`]. Sealed in its record (`signature_images`).
pub static SIGNATURE_IMAGE: PiField = field!("signing.signature_image", "签名图像（所选字体）",
    "Signature image (chosen style)", C::Identity, sensitive: false,
    [P::ElectronicSigning, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["SIGN-2"]);
/// An enterprise seal's image: the enterprise's name, or for the legal representative's seal
/// the representative's name (SIGN-3). Sealed in its record (`seals`) under the enterprise.
pub static SEAL_IMAGE: PiField = field!("signing.seal_image", "电子印章图像", "Electronic seal image",
    C::Enterprise, sensitive: false, [P::ElectronicSigning, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["SIGN-3", "ACC-2"]);
/// A document uploaded for signing, and each signed version of it (SIGN-1): the file as it is,
/// with whatever personal information it holds. Sealed in its record (`documents`) under the
/// account that uploaded it; the row keeps its digests, size and page count only.
pub static SIGNING_DOCUMENT: PiField = field!("signing.document", "签署文件（原文及签署后的文件）",
    "Document for signing (original and signed versions)", C::Document, sensitive: false,
    [P::ElectronicSigning, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["SIGN-1", "SIGN-4"]);
/// A passkey registered for login: its credential id, public key, authenticator model and flags
/// (ACC-3). Public-key material only: the fingerprint or face that unlocks it stays on the
/// user's device and never reaches the service (see BIOMETRIC_FINGERPRINT_IRIS).
pub static ACCOUNT_PASSKEY: PiField = field!("account.passkey", "通行密钥（公钥凭据，不含生物特征）",
    "Passkey (public-key credential, no biometric)", C::Device, sensitive: false,
    [P::Login, P::AccountSecurity, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["ACC-3"]);
/// What the user told support, and how it was resolved.
pub static SUPPORT_RECORD: PiField = field!("support.record", "客服沟通及处理记录", "Support communication and resolution",
    C::Log, sensitive: false, [P::CustomerSupport, P::SubjectAccess],
    B::Contract, ACCOUNT_LIFETIME, Disposition::Erase, Storage::Sealed, ["ACC-7"]);

/// A subscriber certificate as issued: its subject carries the holder's name and, as the profile
/// says (CERT-4), the document number in full, masked, or as a keyed hash. Sealed under the
/// holder; the public query service shows only what [`crate::certificate`] masks (CERT-5).
pub static SUBSCRIBER_CERTIFICATE: PiField = field!("certificate.subscriber_certificate",
    "数字证书（含证书主体身份信息）", "Digital certificate (with the subject's identity)",
    C::Identity, sensitive: false,
    [P::CertificateIssuance, P::ElectronicSigning, P::LegalRecordKeeping, P::SubjectAccess],
    B::Contract, CERTIFICATE_RECORDS, ESL_RECORDS, Storage::Sealed, ["CERT-1", "CERT-4", "CERT-7"]);

/// The fields a subject corrects themself (issue 8 item 3; PRIV-14): nothing else depends on
/// them being checked against an authority. Every other field is corrected by a request that
/// staff review.
pub static SELF_CORRECTABLE: &[&PiField] = &[&PERSON_EMAIL, &PERSON_WORK_UNIT];

/// The fields whose correction needs the identity verified again (they are what a verification
/// matched, and what certificates carry).
pub static REVERIFIED_ON_CORRECTION: &[&PiField] = &[
    &PERSON_NAME,
    &PERSON_COUNTRY,
    &PERSON_DOCUMENT_TYPE,
    &PERSON_DOCUMENT_NUMBER,
];

/// The fields a subject may ask to correct by a request the privacy officer reviews (issue 8
/// item 3; PRIV-14): what they state about themselves. Every other field is a record of what
/// happened (logs, images, certificates, devices) and is not corrected.
pub static CORRECTED_BY_REQUEST: &[&PiField] = &[
    &PERSON_NAME,
    &PERSON_COUNTRY,
    &PERSON_DOCUMENT_TYPE,
    &PERSON_DOCUMENT_NUMBER,
    &PERSON_MOBILE,
    &PERSON_EMAIL,
    &PERSON_WORK_UNIT,
];

/// Every declared field. Order is the order of the published notice.
pub static INVENTORY: &[&PiField] = &[
    &ACCOUNT_USERNAME,
    &PERSON_NAME,
    &PERSON_COUNTRY,
    &PERSON_DOCUMENT_TYPE,
    &PERSON_DOCUMENT_NUMBER,
    &PERSON_MOBILE,
    &PERSON_EMAIL,
    &PERSON_WORK_UNIT,
    &IDCARD_SEX,
    &IDCARD_ETHNICITY,
    &IDCARD_BIRTH_DATE,
    &IDCARD_ADDRESS,
    &IDCARD_IMAGE,
    &IDCARD_ISSUER,
    &IDCARD_VALIDITY,
    &BIOMETRIC_FACE,
    &BIOMETRIC_FINGERPRINT_IRIS,
    &BANK_CARD_NUMBER,
    &BANK_RESERVED_MOBILE,
    &TAXPAYER_ID,
    &ENTERPRISE_NAME,
    &ENTERPRISE_CREDIT_CODE,
    &LEGAL_REP_NAME,
    &LEGAL_REP_DOCUMENT_TYPE,
    &LEGAL_REP_DOCUMENT_NUMBER,
    &BUSINESS_LICENCE_IMAGE,
    &ENTERPRISE_BANK_ACCOUNT,
    &DEVICE_INFO,
    &DEVICE_IDENTIFIER,
    &KEY_DEVICE_SERIAL,
    &LOG_IP_ADDRESS,
    &LOG_CLIENT,
    &SIGNING_LOCATION,
    &HANDWRITTEN_SIGNATURE,
    &SIGNATURE_IMAGE,
    &SEAL_IMAGE,
    &SIGNING_DOCUMENT,
    &ACCOUNT_PASSKEY,
    &SUPPORT_RECORD,
    &SUBSCRIBER_CERTIFICATE,
];

/// The declared field with this storage name, if any.
pub fn field(name: &str) -> Option<&'static PiField> {
    INVENTORY.iter().copied().find(|f| f.name == name)
}

/// Whether `f` is one of the declarations in [`INVENTORY`] (by identity, not only by name).
pub fn is_declared(f: &PiField) -> bool {
    INVENTORY.iter().any(|d| std::ptr::eq(*d, f))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::pi::Category;

    #[test]
    fn names_are_unique_and_scoped() {
        let mut seen = HashSet::new();
        for f in INVENTORY {
            assert!(seen.insert(f.name), "duplicate field name {}", f.name);
            assert!(f.name.contains('.'), "{} must be scope.field", f.name);
            assert!(!f.purposes.is_empty(), "{} declares no purpose", f.name);
            assert!(
                !f.requirements.is_empty(),
                "{} cites no requirement",
                f.name
            );
        }
    }

    #[test]
    fn biometrics_are_never_stored_and_transient() {
        // ACC-3, IDV-1(c): biometric data is used to compare and not retained.
        let bio: Vec<_> = INVENTORY
            .iter()
            .filter(|f| f.category == Category::Biometric)
            .collect();
        assert!(!bio.is_empty());
        for f in bio {
            assert!(!f.storable(), "{} is biometric but storable", f.name);
            assert_eq!(f.retention, Retention::Transient);
            assert!(f.sensitive);
        }
    }

    #[test]
    fn sensitive_fields_rest_on_separate_consent_or_law() {
        // PRIV-2 / PIPL art. 29: sensitive PI needs separate consent.
        for f in INVENTORY.iter().filter(|f| f.sensitive) {
            assert!(
                matches!(f.legal_basis, B::SeparateConsent | B::LegalObligation),
                "{} is sensitive but rests on {:?}",
                f.name,
                f.legal_basis
            );
        }
    }

    #[test]
    fn lookup_by_name_and_identity() {
        assert!(std::ptr::eq(
            field("person.mobile").unwrap(),
            &PERSON_MOBILE
        ));
        assert!(field("person.shoe_size").is_none());
        assert!(is_declared(&PERSON_EMAIL));
    }

    #[test]
    fn indexed_fields_are_the_lookup_keys() {
        let indexed: HashSet<_> = INVENTORY
            .iter()
            .filter(|f| f.blind_index().is_some())
            .map(|f| f.name)
            .collect();
        for name in [
            "person.document_number",
            "person.mobile",
            "person.email",
            "enterprise.credit_code",
        ] {
            assert!(indexed.contains(name), "{name} should be indexed");
        }
    }
}
