//! Risk control (ACC-5): login events with device and network facts, and the abnormal-login rule
//! that asks for an SMS step-up.
//!
//! Every login attempt that names an existing account is recorded ([`LoginEventRecord`]): the
//! device and the network as keyed pseudonyms scoped to the account, the raw IP address
//! (`log.ip_address`) and the user agent with the device id (`log.client`) sealed under the
//! account's subject. Both fields are log-category PI kept 180 days (inventory `NETWORK_LOGS`);
//! older events are purged now and then as events are written.
//!
//! The rule, checked only after a *correct* password (SMS and passkey logins already prove
//! possession of something): the account has logged in before and neither this device nor this
//! network ever succeeded for it, or `step_up_after_failures` wrong passwords came right before.
//! Then no session starts; a code goes by SMS to the real-name mobile, and the login must be
//! repeated with it (`sms_code`). Without a GeoIP database, the "region" is the network: the
//! IPv4 /16 or IPv6 /48 of the address.
//!
//! Neither the address nor the user agent is ever a tracing field.

use std::net::IpAddr;

use serde::Serialize;
use yinxin_domain::account::AccountRecord;
use yinxin_domain::inventory::{LOG_CLIENT, LOG_IP_ADDRESS, PERSON_MOBILE};
use yinxin_domain::pi::{PiField, Purpose, Retention};
use yinxin_domain::risk::{
    self, LoginEventOutcome, LoginEventRecord, LoginEventView, LoginHistory, LoginMethod,
};
use yinxin_domain::{DomainError, ErrorCode, LoginEventId};
use yinxin_privacy::vault::VaultError;

use crate::service::{Accounts, LoginOutcome, ServiceResult, mask, now};

/// The most events `GET /api/v1/me/login-events` shows.
pub const LOGIN_EVENTS_SHOWN: u32 = 100;

/// Retention of the log fields if the inventory ever stopped giving days (it gives 180).
const FALLBACK_RETENTION_DAYS: u32 = 180;

/// What the client told about itself with a login: where it came from and, if it said so, its
/// user agent and device id. Built with [`ClientFacts::new`], which applies the rules (device id:
/// 1 to 128 printable ASCII characters, else absent; user agent: at most 512 characters).
#[derive(Clone, PartialEq, Eq)]
pub struct ClientFacts {
    /// The source address.
    pub ip: IpAddr,
    /// The `User-Agent` header, truncated.
    pub user_agent: Option<String>,
    /// The `X-Device-Id` header, if valid.
    pub device_id: Option<String>,
}

impl ClientFacts {
    /// The facts as received; invalid device ids are dropped and user agents truncated.
    pub fn new(ip: IpAddr, user_agent: Option<&str>, device_id: Option<&str>) -> Self {
        Self {
            ip,
            user_agent: user_agent.and_then(risk::user_agent),
            device_id: device_id.and_then(risk::device_id),
        }
    }

    /// Only an address (no user agent, no device id).
    pub fn from_ip(ip: IpAddr) -> Self {
        Self {
            ip,
            user_agent: None,
            device_id: None,
        }
    }
}

impl std::fmt::Debug for ClientFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientFacts(<redacted>)")
    }
}

/// The sealed form of `log.client`.
#[derive(Serialize)]
struct SealedClient<'a> {
    user_agent: Option<&'a str>,
    device_id: Option<&'a str>,
}

/// The keys of a login's device and network and what the account's history says about them.
#[derive(Debug)]
pub(crate) struct LoginSignals {
    device_key: Option<Vec<u8>>,
    network_key: Vec<u8>,
    history: LoginHistory,
}

/// How long login events are kept: the longer retention of the two log fields they seal.
pub fn login_event_retention_days() -> u32 {
    let days = |f: &PiField| match f.retention {
        Retention::Days { days } => days,
        _ => FALLBACK_RETENTION_DAYS,
    };
    days(&LOG_IP_ADDRESS).max(days(&LOG_CLIENT))
}

impl Accounts {
    /// The device and network keys of `client` for `account`, and the account's history of them.
    pub(crate) async fn login_signals(
        &self,
        account: &AccountRecord,
        client: &ClientFacts,
    ) -> ServiceResult<LoginSignals> {
        let scoped = |value: &[u8]| [account.id.as_bytes().as_slice(), value].concat();
        let device_key = client.device_id.as_ref().map(|d| {
            self.vault
                .pseudonym("login-device", &scoped(d.as_bytes()))
                .to_vec()
        });
        let network_key = self
            .vault
            .pseudonym("login-network", &scoped(&risk::network_of(client.ip)))
            .to_vec();
        let history = self
            .repo
            .login_history(account.id, device_key.as_deref(), &network_key)
            .await?;
        Ok(LoginSignals {
            device_key,
            network_key,
            history,
        })
    }

    /// Whether a correct password should still be stepped up (ACC-5).
    pub(crate) fn looks_abnormal(&self, account: &AccountRecord, s: &LoginSignals) -> bool {
        let after = self.config.step_up_after_failures;
        let unknown_place = self.config.step_up_on_new_device_and_network
            && s.history.successes > 0
            && !s.history.device_known
            && !s.history.network_known;
        unknown_place || (after > 0 && account.failed_logins >= after)
    }

    /// Records a login event with its sealed facts; now and then purges expired ones.
    pub(crate) async fn record_login(
        &self,
        account: &AccountRecord,
        client: &ClientFacts,
        signals: &LoginSignals,
        method: LoginMethod,
        outcome: LoginEventOutcome,
        at: i64,
    ) -> ServiceResult<()> {
        let id = LoginEventId::ordered();
        let seal_id = LoginEventRecord::seal_id(id, account.id);
        let ip_sealed = self
            .vault
            .seal_record(
                account.subject,
                &LOG_IP_ADDRESS,
                &seal_id,
                client.ip.to_canonical().to_string().as_bytes(),
            )
            .await?;
        let client_sealed = if client.user_agent.is_some() || client.device_id.is_some() {
            let json = serde_json::to_vec(&SealedClient {
                user_agent: client.user_agent.as_deref(),
                device_id: client.device_id.as_deref(),
            })
            .map_err(|e| crate::ServiceError::Internal(format!("login client facts: {e}")))?;
            Some(
                self.vault
                    .seal_record(account.subject, &LOG_CLIENT, &seal_id, &json)
                    .await?,
            )
        } else {
            None
        };
        let event = LoginEventRecord {
            id,
            account: account.id,
            at,
            method,
            outcome,
            device_key: signals.device_key.clone(),
            network_key: signals.network_key.clone(),
            new_device: !signals.history.device_known,
            new_network: !signals.history.network_known,
            ip_sealed,
            client_sealed,
        };
        self.repo.insert_login_event(&event).await?;
        tracing::info!(account = %account.id, event = %id, method = method.as_str(), outcome = outcome.as_str(), new_device = event.new_device, new_network = event.new_network, "login event recorded");
        // Purge now and then (1 in 64 events; the last byte of a UUID v7 is random), so events
        // past their retention do not accumulate (PRIV-9).
        if id.as_bytes().last().is_some_and(|b| b % 64 == 0) {
            self.purge_login_events().await?;
        }
        Ok(())
    }

    /// [`Accounts::login_signals`] then [`Accounts::record_login`].
    pub(crate) async fn note_login(
        &self,
        account: &AccountRecord,
        client: &ClientFacts,
        method: LoginMethod,
        outcome: LoginEventOutcome,
        at: i64,
    ) -> ServiceResult<()> {
        let signals = self.login_signals(account, client).await?;
        self.record_login(account, client, &signals, method, outcome, at)
            .await
    }

    /// Deletes login events older than their retention (180 days, from the inventory); returns
    /// how many.
    pub async fn purge_login_events(&self) -> ServiceResult<u64> {
        let before = now() - i64::from(login_event_retention_days()) * 86_400;
        let n = self.repo.purge_login_events(before).await?;
        if n > 0 {
            tracing::info!(purged = n, "expired login events purged");
        }
        Ok(n)
    }

    /// The password was right but the login looks abnormal (ACC-5): without a code, send one to
    /// the account's mobile and answer `STEP_UP_REQUIRED`; with one, check it.
    pub(crate) async fn step_up(
        &self,
        account: &AccountRecord,
        code: Option<&str>,
        client: &ClientFacts,
        signals: &LoginSignals,
        at: i64,
    ) -> ServiceResult<LoginOutcome> {
        let mobile = match self
            .vault
            .get_string(account.subject, &PERSON_MOBILE)
            .await?
        {
            Some(m) => m.expose(Purpose::AccountSecurity)?.clone(),
            None => {
                return Err(DomainError::new(
                    ErrorCode::StepUpRequired,
                    "this login needs confirmation by SMS, but the account has no mobile number; \
                     log in with a passkey instead",
                )
                .into());
            }
        };
        let pw = LoginMethod::Password;
        let Some(code) = code else {
            self.record_login(
                account,
                client,
                signals,
                pw,
                LoginEventOutcome::StepUpRequired,
                at,
            )
            .await?;
            self.issue_code(&mobile, "step_up", at).await?;
            tracing::info!(account = %account.id, "login step-up required");
            return Err(DomainError::new(
                ErrorCode::StepUpRequired,
                format!(
                    "this login looks unusual (a new device and network, or repeated wrong \
                     passwords): a code was sent by SMS to {}; repeat the login with the same \
                     username and password and the code as \"sms_code\"",
                    mask(&mobile, 3, 4)
                ),
            )
            .into());
        };
        if self.check_code(&mobile, "step_up", code, at).await? {
            self.repo.clear_login_failures(account.id).await?;
            self.record_login(
                account,
                client,
                signals,
                pw,
                LoginEventOutcome::StepUpPassed,
                at,
            )
            .await?;
            return self.start_session(account.id, "password", at).await;
        }
        // A wrong code counts as a failed login.
        let updated = self
            .repo
            .record_login_failure(
                account.id,
                self.config.max_password_failures,
                at + self.config.lockout_seconds,
            )
            .await?;
        self.record_login(
            account,
            client,
            signals,
            pw,
            LoginEventOutcome::StepUpFailed,
            at,
        )
        .await?;
        tracing::info!(account = %account.id, "login step-up code refused");
        if let Some(until) = updated.and_then(|a| a.locked_until).filter(|u| *u > at) {
            return Err(crate::service::locked(until - at).into());
        }
        Err(DomainError::new(
            ErrorCode::Unauthenticated,
            "the SMS code is wrong, used or expired; log in again without \"sms_code\" to get a \
             new one",
        )
        .into())
    }

    /// The account's own recent login events, newest first (at most [`LOGIN_EVENTS_SHOWN`]), with
    /// the address masked: opened from the vault for the holder's own access (PRIV-14).
    pub async fn login_events(
        &self,
        account: &AccountRecord,
    ) -> ServiceResult<Vec<LoginEventView>> {
        let mut out = Vec::new();
        for e in self
            .repo
            .login_events_of(account.id, LOGIN_EVENTS_SHOWN)
            .await?
        {
            let opened = self
                .vault
                .open_record(
                    account.subject,
                    &LOG_IP_ADDRESS,
                    &LoginEventRecord::seal_id(e.id, e.account),
                    &e.ip_sealed,
                )
                .await?;
            let tampered = || VaultError::Tampered {
                subject: account.subject,
                what: format!("login event {}", e.id),
            };
            let ip: IpAddr = std::str::from_utf8(opened.expose(Purpose::SubjectAccess)?)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(tampered)?;
            out.push(LoginEventView {
                id: e.id,
                at: e.at,
                method: e.method,
                outcome: e.outcome,
                new_device: e.new_device,
                new_network: e.new_network,
                ip_masked: risk::mask_ip(ip),
            });
        }
        Ok(out)
    }
}
