//! Relying applications (CERT-6, PRIV-7): registration with an API key, the holder's statement
//! that they use a certificate with an application, and what the application may then read —
//! the certificate's information and, before expiry, the holder's mobile for a renewal reminder
//! (never for an event certificate). Each provision is logged with its data items, in the same
//! transaction-free order as the verification disclosures: the log is written *before* the data
//! is returned, so nothing leaves unlogged.

use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use yinxin_domain::certificate::CertificateRecord;
use yinxin_domain::inventory::{
    PERSON_DOCUMENT_NUMBER, PERSON_MOBILE, PERSON_NAME, PERSON_WORK_UNIT,
};
use yinxin_domain::pi::{PiField, Purpose};
use yinxin_domain::relying::{AppDisclosureRecord, RelyingAppRecord};
use yinxin_domain::repo::StoreError;
use yinxin_domain::{AccountId, DisclosureId, DomainError, ErrorCode};
use zeroize::Zeroizing;

use crate::service::{Accounts, ServiceResult, now};

/// The data items an application may be registered to receive with certificate information,
/// beyond the certificate's public information (CERT-6: name, ID number, work unit).
pub static APP_DATA_ITEMS: [&PiField; 3] =
    [&PERSON_NAME, &PERSON_DOCUMENT_NUMBER, &PERSON_WORK_UNIT];

/// The public part of a certificate as a data item of the disclosure log.
pub const PUBLIC_INFORMATION: &str = "certificate.public_information";

/// The prefix of every API key (so a leaked one is recognizable in a secret scanner).
const KEY_PREFIX: &str = "yxapp_";

/// A registration: the record, and the API key, shown once.
pub struct RegisteredApp {
    /// What is stored.
    pub record: RelyingAppRecord,
    /// The key to give the application; not stored anywhere.
    pub api_key: Zeroizing<String>,
}

impl std::fmt::Debug for RegisteredApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisteredApp")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

/// What an application reads of a certificate its holder uses with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateInformation {
    /// Serial, lower-case hex.
    pub serial: String,
    /// `good`, `revoked` or `expired`.
    pub status: &'static str,
    /// The profile.
    pub profile: String,
    /// The issuing CA.
    pub issuer: String,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    /// The holder's name, if the application is registered for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The holder's document number, if the application is registered for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    /// The holder's work unit, if registered for it and the holder gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub work_unit: Option<String>,
}

/// A renewal reminder: a certificate about to expire and where to reach its holder.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenewalReminder {
    /// Serial, lower-case hex.
    pub serial: String,
    /// Unix seconds.
    pub not_after: i64,
    /// The holder's real-name mobile number.
    pub mobile: String,
}

fn key_hash(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

fn invalid(field: &str, message: &str) -> DomainError {
    DomainError::invalid(field, message.to_owned())
}

fn status(r: &CertificateRecord, at: i64) -> &'static str {
    match (&r.revocation, r.not_after <= at) {
        (Some(_), _) => "revoked",
        (None, true) => "expired",
        (None, false) => "good",
    }
}

impl Accounts {
    /// Registers a relying application (an operator's act) and returns its API key, once.
    pub async fn register_relying_app(
        &self,
        id: &str,
        name: &str,
        legal_name: &str,
        contact: &str,
        data_items: &[String],
    ) -> ServiceResult<RegisteredApp> {
        let id_ok = (3..=40).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(invalid("id", "is 3 to 40 characters: a-z, 0-9 and '-'").into());
        }
        for (field, v) in [
            ("name", name),
            ("legal_name", legal_name),
            ("contact", contact),
        ] {
            let n = v.trim().chars().count();
            if n == 0 || n > 200 || v.chars().any(char::is_control) {
                return Err(invalid(field, "is 1 to 200 characters, no control characters").into());
            }
        }
        for item in data_items {
            if !APP_DATA_ITEMS.iter().any(|f| f.name == item) {
                return Err(invalid(
                    "data_items",
                    "are among person.name, person.document_number, person.work_unit",
                )
                .into());
            }
        }
        let mut raw = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut raw);
        let api_key = Zeroizing::new(format!(
            "{KEY_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        ));
        let record = RelyingAppRecord {
            id: id.to_owned(),
            name: name.trim().to_owned(),
            legal_name: legal_name.trim().to_owned(),
            contact: contact.trim().to_owned(),
            data_items: data_items.to_vec(),
            registered_at: now(),
            key_hash: key_hash(&api_key),
        };
        match self.repo.insert_relying_app(&record).await {
            Ok(()) => Ok(RegisteredApp { record, api_key }),
            Err(StoreError::Conflict(_)) => Err(DomainError::new(
                ErrorCode::Conflict,
                format!("an application {id} is already registered"),
            )
            .into()),
            Err(e) => Err(e.into()),
        }
    }

    /// The registered applications (public: users choose among them).
    pub async fn relying_apps(&self) -> ServiceResult<Vec<RelyingAppRecord>> {
        Ok(self.repo.relying_apps().await?)
    }

    /// The application of an API key; `401 UNAUTHENTICATED` for any key that is not one.
    pub async fn authenticate_app(&self, key: &str) -> ServiceResult<RelyingAppRecord> {
        let unknown = || DomainError::new(ErrorCode::Unauthenticated, "unknown API key");
        if !key.starts_with(KEY_PREFIX) || key.len() > 100 {
            return Err(unknown().into());
        }
        let hash = key_hash(key);
        let app = self
            .repo
            .relying_app_by_key_hash(&hash)
            .await?
            .ok_or_else(unknown)?;
        // The lookup was by hash; compare again in constant time all the same.
        if !bool::from(app.key_hash.ct_eq(&hash)) {
            return Err(unknown().into());
        }
        Ok(app)
    }

    async fn app_named(&self, app: &str) -> ServiceResult<RelyingAppRecord> {
        self.repo
            .relying_apps()
            .await?
            .into_iter()
            .find(|a| a.id == app)
            .ok_or_else(|| invalid("app", "is not a registered application").into())
    }

    /// Records that the holder uses `cert` (theirs: the caller checked) with `app` (CERT-6): from
    /// now on the application may read its information.
    pub async fn link_certificate(
        &self,
        holder: AccountId,
        cert: &CertificateRecord,
        app: &str,
    ) -> ServiceResult<RelyingAppRecord> {
        let app = self.app_named(app).await?;
        if cert.holder != holder {
            return Err(DomainError::new(ErrorCode::NotFound, "no such certificate").into());
        }
        self.repo
            .link_certificate(&cert.serial, &app.id, holder, now())
            .await?;
        Ok(app)
    }

    /// Ends the holder's use of a certificate with `app`.
    pub async fn unlink_certificate(
        &self,
        holder: AccountId,
        cert: &CertificateRecord,
        app: &str,
    ) -> ServiceResult<()> {
        if cert.holder != holder
            || !self
                .repo
                .unlink_certificate(&cert.serial, app, now())
                .await?
        {
            return Err(DomainError::new(
                ErrorCode::NotFound,
                "the certificate is not used with that application",
            )
            .into());
        }
        Ok(())
    }

    fn disclosure(
        app: &RelyingAppRecord,
        cert: &CertificateRecord,
        purpose: &str,
        items: Vec<String>,
    ) -> AppDisclosureRecord {
        AppDisclosureRecord {
            id: DisclosureId::ordered(),
            app: app.id.clone(),
            subject: cert.holder,
            serial: cert.serial.clone(),
            purpose: purpose.to_owned(),
            data_items: items,
            at: now(),
        }
    }

    /// A certificate's information for an application its holder uses it with (CERT-6): the
    /// public part, and the holder's name, document number and work unit as far as the
    /// application is registered for them. Any other serial is `404` — the application cannot
    /// tell a certificate not used with it from one that does not exist. Logged before returned.
    pub async fn certificate_information(
        &self,
        app: &RelyingAppRecord,
        serial: &str,
    ) -> ServiceResult<CertificateInformation> {
        let cert = self
            .repo
            .certificate_used_with(serial, &app.id)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::NotFound, "no such certificate"))?;
        let account = self
            .repo
            .account(cert.holder)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::NotFound, "no such certificate"))?;
        let mut items = vec![PUBLIC_INFORMATION.to_owned()];
        let mut values = Vec::with_capacity(APP_DATA_ITEMS.len());
        for f in APP_DATA_ITEMS {
            let v = if app.data_items.iter().any(|d| d == f.name) {
                self.read_for(account.subject, f, Purpose::CertificateInformation)
                    .await?
                    .map(|v| v.to_string())
            } else {
                None
            };
            if v.is_some() {
                items.push(f.name.to_owned());
            }
            values.push(v);
        }
        let log = [Self::disclosure(
            app,
            &cert,
            "certificate_information",
            items,
        )];
        self.repo
            .insert_app_disclosures(&log, &crate::evidence::of_app_disclosures(&log)?)
            .await?;
        let mut values = values.into_iter();
        let (name, document_number, work_unit) = (
            values.next().flatten(),
            values.next().flatten(),
            values.next().flatten(),
        );
        Ok(CertificateInformation {
            status: status(&cert, now()),
            serial: cert.serial,
            profile: cert.profile,
            issuer: cert.ca_id,
            not_before: cert.not_before,
            not_after: cert.not_after,
            name,
            document_number,
            work_unit,
        })
    }

    /// Renewal reminders for an application (CERT-6): the certificates used with it that expire
    /// within `within_days` (1 to 90), unrevoked and never event certificates (CERT-3), each with
    /// the holder's mobile number; at most 500 a call, earliest first. Logged before returned.
    pub async fn renewal_reminders(
        &self,
        app: &RelyingAppRecord,
        within_days: u32,
    ) -> ServiceResult<Vec<RenewalReminder>> {
        if !(1..=90).contains(&within_days) {
            return Err(invalid("within_days", "is 1 to 90").into());
        }
        let at = now();
        let certs = self
            .repo
            .expiring_used_with(&app.id, at, at + i64::from(within_days) * 86_400, 500)
            .await?;
        let mut out = Vec::with_capacity(certs.len());
        let mut log = Vec::with_capacity(certs.len());
        for cert in certs {
            let Some(account) = self.repo.account(cert.holder).await? else {
                continue;
            };
            let Some(mobile) = self
                .read_for(account.subject, &PERSON_MOBILE, Purpose::RenewalReminder)
                .await?
            else {
                continue;
            };
            log.push(Self::disclosure(
                app,
                &cert,
                "renewal_reminder",
                vec![PUBLIC_INFORMATION.to_owned(), PERSON_MOBILE.name.to_owned()],
            ));
            out.push(RenewalReminder {
                serial: cert.serial,
                not_after: cert.not_after,
                mobile: mobile.to_string(),
            });
        }
        self.repo
            .insert_app_disclosures(&log, &crate::evidence::of_app_disclosures(&log)?)
            .await?;
        Ok(out)
    }

    /// The subject's provisions to relying applications, newest first (their own access).
    pub async fn app_disclosures_of(
        &self,
        subject: AccountId,
    ) -> ServiceResult<Vec<AppDisclosureRecord>> {
        Ok(self.repo.app_disclosures_of(subject).await?)
    }
}
