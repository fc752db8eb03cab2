//! Requests through the public form (issue 8 item 1; PRIV-14; docs/REQUESTS.md, "The public
//! form"): someone who cannot log in files a data-subject request by proving who they are with
//! the verification methods the service already runs.
//!
//! 1. `POST /api/v1/sms/codes {"purpose": "public_request", "mobile"}` sends a code to the mobile
//!    the requester gives (their real-name mobile, not necessarily the one on record).
//! 2. `POST /api/v1/public/requests` with the request, the name, resident ID number and mobile,
//!    the code, and `consent_to_verification: true`. Checked field by field; then the code
//!    (possession of the mobile); then the account whose registered document number it is. The
//!    request is filed **`received`** — the clock does not run — with a ticket (a random secret,
//!    given once; its SHA-256 kept), and the carrier three-factor check runs against the
//!    provider, exactly as `POST /api/v1/verifications` would, its disclosure logged for the
//!    account: name and number must be the account's, and the provider must confirm the mobile
//!    is the real-name mobile of that person. A match moves the request to
//!    `identity_verified` (its due date set from then); anything else refuses it on the ground
//!    `identity_not_verified`, recorded, so the account's holder sees the attempt in their list.
//!    A provider that cannot answer leaves it `received` for the privacy officer.
//! 3. `GET /api/v1/public/requests/{ticket}` shows it with every step, a refusal's ground
//!    included.
//! 4. Once the privacy officer fulfils an access or copy request, its requester collects the
//!    data: `POST /api/v1/public/requests/{ticket}/export` with a fresh code to the mobile
//!    proved at filing (kept as a keyed pseudonym) and a passphrase; once, within 30 days
//!    ([`Verifications::deliver_public_request`]).
//!
//! The answer to a forged identity is the same whether or not an account holds the document
//! number, so the form tells nobody who is a customer.

use std::net::IpAddr;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use yinxin_domain::account::{AccountKind, AccountRecord};
use yinxin_domain::inventory::PERSON_DOCUMENT_NUMBER;
use yinxin_domain::requests::{RefusalGround, RequestKind, RequestState, SubjectRequest};
use yinxin_domain::verification::OutcomeKind;
use yinxin_domain::{DomainError, ErrorCode, validate};
use zeroize::Zeroizing;

use super::service::{Basis, VerificationRequest, Verifications};
use crate::Accounts;
use crate::requests::{CheckedFiling, RequestFiling, RequestView, check_filing, step};
use crate::service::{ServiceError, ServiceResult, check_name, invalid, now, today_in_china};

/// The purpose of the SMS code that opens the form.
pub const PUBLIC_REQUEST_CODE: &str = "public-request";
/// The actor of the form's steps.
const ACTOR: &str = "public_form";
/// Tickets' prefix.
const TICKET_PREFIX: &str = "yxreq_";
/// Filings per source address per hour.
const PER_ADDRESS_PER_HOUR: u32 = 5;
/// The pseudonym context of the mobile proved at filing. NEVER change it.
const MOBILE_PSEUDONYM: &str = "public-request-mobile";
/// Delivery attempts per ticket per hour.
const DELIVERIES_PER_HOUR: u32 = 5;
/// How long after fulfilment the data of an access or copy request may be collected.
pub const DELIVERY_WINDOW_SECS: i64 = 30 * 86_400;

/// Collecting the data of a fulfilled access or copy request filed through the public form.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicDelivery {
    /// The mobile proved at filing.
    pub mobile: String,
    /// A fresh code sent to it (`POST /api/v1/sms/codes` with purpose `public_request`).
    pub code: String,
    /// The passphrase the copy is encrypted to (12 characters or more; not kept).
    pub passphrase: String,
}

impl std::fmt::Debug for PublicDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicDelivery").finish_non_exhaustive()
    }
}

/// A request through the public form.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicRequestFiling {
    /// What is asked (as `POST /api/v1/me/requests`).
    pub kind: RequestKind,
    /// What it concerns (as `POST /api/v1/me/requests`).
    #[serde(default)]
    pub scope: Vec<String>,
    /// A deletion's ground (as `POST /api/v1/me/requests`).
    #[serde(default)]
    pub ground: Option<String>,
    /// A correction's proposed value (as `POST /api/v1/me/requests`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub value: Option<Zeroizing<String>>,
    /// The requester's name, as on their resident ID card.
    #[schema(value_type = String)]
    pub name: Zeroizing<String>,
    /// Their resident ID number.
    #[schema(value_type = String)]
    pub document_number: Zeroizing<String>,
    /// Their real-name mobile (the code was sent to it).
    #[schema(value_type = String)]
    pub mobile: Zeroizing<String>,
    /// The code sent by `POST /api/v1/sms/codes` with purpose `public_request`.
    #[schema(value_type = String)]
    pub code: Zeroizing<String>,
    /// The requester agrees that their name, ID number and mobile go to the
    /// identity-verification provider for this check: must be true.
    #[serde(default)]
    pub consent_to_verification: bool,
}

impl std::fmt::Debug for PublicRequestFiling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicRequestFiling")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A request filed through the form, with its ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRequestFiled {
    /// The secret that shows the request (`GET /api/v1/public/requests/{ticket}`): given this
    /// once, never again.
    #[schema(value_type = String)]
    pub ticket: Zeroizing<String>,
    /// The request and its steps.
    #[serde(flatten)]
    pub view: RequestView,
}

fn not_verified() -> ServiceError {
    DomainError::new(
        ErrorCode::Forbidden,
        "identity: these details do not verify the holder of an account; the request is not \
         filed for anyone. Check them, or file the request from your account",
    )
    .into()
}

fn ticket_hash(ticket: &str) -> Vec<u8> {
    Sha256::digest(ticket.as_bytes()).to_vec()
}

impl Accounts {
    /// Sends the code that opens the public form to `mobile` (the requester's own real-name
    /// mobile, which need not be the one on record): within the per-address and per-number
    /// hourly limits shared with login codes.
    pub async fn send_public_request_code(
        &self,
        mobile: &str,
        source: IpAddr,
    ) -> ServiceResult<i64> {
        let at = now();
        let mobile = validate::mainland_mobile(mobile).map_err(|e| invalid("mobile", e))?;
        self.limit_sms_address(source, at).await?;
        self.issue_code(&mobile, PUBLIC_REQUEST_CODE, at).await?;
        Ok(self.config.sms_code_seconds)
    }
}

impl Verifications {
    /// Files a request through the public form (see the module documentation).
    pub async fn file_public_request(
        &self,
        f: &PublicRequestFiling,
        source: IpAddr,
    ) -> ServiceResult<PublicRequestFiled> {
        let accounts = &self.accounts;
        // 1. Field by field; nothing is sent or written for a malformed form.
        let filing = RequestFiling {
            kind: f.kind,
            scope: f.scope.clone(),
            ground: f.ground.clone(),
            value: f.value.clone(),
        };
        let CheckedFiling { scope, value } = check_filing(&filing)?;
        let name = check_name("name", &f.name, 64)?.to_owned();
        let id = validate::resident_id(&f.document_number, today_in_china(now()))
            .map_err(|e| invalid("document_number", e))?;
        let mobile = validate::mainland_mobile(&f.mobile).map_err(|e| invalid("mobile", e))?;
        if f.code.trim().is_empty() {
            return Err(DomainError::invalid(
                "code",
                "the code sent to the mobile (POST /api/v1/sms/codes with purpose \
                 public_request)",
            )
            .into());
        }
        if !f.consent_to_verification {
            return Err(DomainError::invalid(
                "consent_to_verification",
                "must be true: your name, ID number and mobile go to the identity-verification \
                 provider to check who you are",
            )
            .into());
        }
        let at = now();
        accounts
            .rate_limit(
                "public-request-address",
                &source.to_string(),
                PER_ADDRESS_PER_HOUR,
                3600,
                at,
                "too many requests through the form from this address; try again in an hour",
            )
            .await?;
        // 2. Possession of the mobile.
        if !accounts
            .check_code(&mobile, PUBLIC_REQUEST_CODE, f.code.trim(), at)
            .await?
        {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "code: wrong or expired; ask for a new one",
            )
            .into());
        }
        // 3. The account whose registered document number it is.
        let Some(account) = self.account_by_document_number(&id.number).await? else {
            tracing::info!("public request: no account holds the document number; not filed");
            return Err(not_verified());
        };
        // 4. Filed `received`, with its ticket.
        let mut raw = Zeroizing::new([0u8; 32]);
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, raw.as_mut());
        let ticket = Zeroizing::new(format!(
            "{TICKET_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.as_ref())
        ));
        let excessive = accounts.is_excessive(&account, f.kind, at).await?;
        let request = SubjectRequest {
            id: uuid::Uuid::new_v4().to_string(),
            account: account.id,
            kind: f.kind,
            scope,
            ground: f.ground.clone(),
            state: RequestState::Received,
            received_at: at,
            identity_verified_at: None,
            due_at: None,
            closed_at: None,
            refusal_ground: None,
            excessive,
        };
        let mut steps = vec![step(at, ACTOR, RequestState::Received.as_str(), None)];
        if excessive {
            steps.push(step(at, "system", "flagged_excessive", None));
        }
        accounts
            .repo
            .insert_request_ticket(
                &ticket_hash(&ticket),
                &request.id,
                // Only a request whose data is delivered needs the mobile matched again.
                matches!(f.kind, RequestKind::Access | RequestKind::Copy)
                    .then(|| {
                        accounts
                            .vault
                            .pseudonym(MOBILE_PSEUDONYM, mobile.as_bytes())
                    })
                    .as_ref()
                    .map(|p| p.as_slice()),
                at,
            )
            .await?;
        accounts
            .insert_request(&account, &request, &steps, value.as_deref())
            .await?;
        // 5. The identity verification: the carrier check, as the account would run it.
        let outcome = self
            .verify_as(
                &account,
                VerificationRequest::Carrier {
                    name: Zeroizing::new(name),
                    document_number: Zeroizing::new(id.number.clone()),
                    mobile: Zeroizing::new(mobile),
                },
                Basis::PublicRequest,
            )
            .await;
        let matched = match outcome {
            Ok(r) => r.record.outcome == OutcomeKind::Match,
            // The name is not the account's (the number is): a forged identity.
            Err(ServiceError::Refused(e)) if e.code == ErrorCode::InvalidInput => false,
            // The provider could not answer: it stays received.
            Err(ServiceError::Refused(e)) => {
                tracing::info!(request = %request.id, code = ?e.code, "public request: verification not done; left received");
                let view = accounts.request_view(request).await?;
                return Ok(PublicRequestFiled { ticket, view });
            }
            Err(e) => return Err(e),
        };
        let at = now();
        let mut moved = request.clone();
        let next = if matched {
            moved.state = RequestState::IdentityVerified;
            moved.identity_verified_at = Some(at);
            moved.due_at = Some(accounts.request_due(f.kind, at));
            step(at, "system", RequestState::IdentityVerified.as_str(), None)
        } else {
            moved.state = RequestState::Refused;
            moved.closed_at = Some(at);
            moved.refusal_ground = Some(RefusalGround::IdentityNotVerified);
            step(
                at,
                "system",
                RequestState::Refused.as_str(),
                Some(RefusalGround::IdentityNotVerified),
            )
        };
        accounts
            .repo
            .update_subject_request(&moved, RequestState::Received, &next)
            .await?;
        tracing::info!(
            request = %moved.id,
            account = %account.id,
            kind = moved.kind.as_str(),
            state = moved.state.as_str(),
            "data-subject request through the public form"
        );
        if !matched {
            return Err(not_verified());
        }
        let view = accounts.request_view(moved).await?;
        Ok(PublicRequestFiled { ticket, view })
    }

    /// The request of a ticket, with every step; `404` for anything that is not a ticket.
    pub async fn public_request(&self, ticket: &str) -> ServiceResult<RequestView> {
        let unknown = || DomainError::new(ErrorCode::NotFound, "ticket: no such request");
        if !ticket.starts_with(TICKET_PREFIX) || ticket.len() > 100 {
            return Err(unknown().into());
        }
        let repo = &self.accounts.repo;
        let id = repo
            .request_by_ticket(&ticket_hash(ticket))
            .await?
            .ok_or_else(unknown)?;
        let request = repo.subject_request(&id).await?.ok_or_else(unknown)?;
        self.accounts.request_view(request).await
    }

    /// Delivers the data of a fulfilled access or copy request filed through the public form
    /// (issue 8 item 2), once, within [`DELIVERY_WINDOW_SECS`] of its fulfilment: the ticket, and
    /// a fresh code to the very mobile the carrier check confirmed at filing (matched by its
    /// pseudonym), open the subject's copy sealed to the passphrase given. Each refusal names
    /// what is wrong and delivers nothing; the delivery is a step of the request.
    pub async fn deliver_public_request(
        &self,
        ticket: &str,
        d: &PublicDelivery,
        report: Option<&crate::export::ReportRenderer>,
    ) -> ServiceResult<crate::export::ExportEnvelope> {
        let accounts = &self.accounts;
        let view = self.public_request(ticket).await?;
        let delivered_already = || -> ServiceError {
            DomainError::new(
                ErrorCode::Conflict,
                "ticket: the data was delivered already; file a new request for another copy",
            )
            .into()
        };
        if view.steps.iter().any(|s| s.event == "delivered") {
            return Err(delivered_already());
        }
        let request = view.request;
        if !matches!(request.kind, RequestKind::Access | RequestKind::Copy) {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                format!(
                    "ticket: a {} request delivers no data; its outcome is shown at the ticket",
                    request.kind.as_str()
                ),
            )
            .into());
        }
        let at = now();
        if request.state == RequestState::PartlyFulfilled {
            return Err(DomainError::new(
                ErrorCode::Conflict,
                "ticket: the request was fulfilled in part only; the privacy officer provides \
                 the part granted, with the ground for the rest shown at the ticket",
            )
            .into());
        }
        match request.closed_at {
            Some(closed) if request.state == RequestState::Fulfilled => {
                if at - closed > DELIVERY_WINDOW_SECS {
                    return Err(DomainError::new(
                        ErrorCode::Conflict,
                        "ticket: the data was to be collected within 30 days of fulfilment; \
                         file a new request",
                    )
                    .into());
                }
            }
            _ => {
                return Err(DomainError::new(
                    ErrorCode::Conflict,
                    format!(
                        "ticket: the request is {}, not fulfilled; the data is delivered once \
                         the privacy officer fulfils it",
                        request.state.as_str()
                    ),
                )
                .into());
            }
        }
        crate::export::check_passphrase(&d.passphrase)?;
        let mobile = validate::mainland_mobile(&d.mobile).map_err(|e| invalid("mobile", e))?;
        let hash = ticket_hash(ticket);
        accounts
            .rate_limit(
                "public-request-delivery",
                &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&hash),
                DELIVERIES_PER_HOUR,
                3600,
                at,
                "too many attempts for this ticket; try again in an hour",
            )
            .await?;
        let proved = accounts.repo.ticket_mobile_pseudonym(&hash).await?;
        let given = accounts
            .vault
            .pseudonym(MOBILE_PSEUDONYM, mobile.as_bytes());
        let same = proved.is_some_and(|p| {
            p.len() == given.len() && subtle::ConstantTimeEq::ct_eq(p.as_slice(), &given).into()
        });
        if !same {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "mobile: not the one proved when the request was filed",
            )
            .into());
        }
        if !accounts
            .check_code(&mobile, PUBLIC_REQUEST_CODE, d.code.trim(), at)
            .await?
        {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "code: wrong or expired; ask for a new one",
            )
            .into());
        }
        let account = accounts
            .repo
            .account(request.account)
            .await?
            .ok_or_else(|| DomainError::new(ErrorCode::NotFound, "ticket: no such request"))?;
        accounts
            .ensure_reachable(account.id, yinxin_domain::pi::Purpose::SubjectAccess)
            .await?;
        // Made first (anything failing here leaves the delivery to be made), then claimed: of
        // two concurrent deliveries one is refused, its copy dropped unsent.
        let scope = (!request.scope.is_empty()).then_some(request.scope.as_slice());
        let envelope = accounts
            .sealed_copy(&account, &d.passphrase, scope, report)
            .await?;
        if !accounts
            .repo
            .push_closed_request_step_once(&request.id, &step(at, ACTOR, "delivered", None))
            .await?
        {
            return Err(delivered_already());
        }
        // Its one use is over: the mobile's pseudonym goes.
        accounts.repo.clear_ticket_pseudonym(&hash).await?;
        tracing::info!(request = %request.id, account = %account.id, "public request: data delivered");
        Ok(envelope)
    }

    /// The personal account whose registered (resident ID) document number is `number`.
    async fn account_by_document_number(
        &self,
        number: &str,
    ) -> ServiceResult<Option<AccountRecord>> {
        for subject in self
            .accounts
            .vault
            .find(&PERSON_DOCUMENT_NUMBER, number)
            .await?
        {
            let account = self.accounts.repo.account_by_subject(subject).await?;
            if let Some(a) = account.filter(|a| a.kind == AccountKind::Personal) {
                return Ok(Some(a));
            }
        }
        Ok(None)
    }
}
