//! Risk control (ACC-5): every login attempt that names an existing account is recorded with the
//! facts of the device and the network it came from, so that abnormal logins can be detected.
//!
//! A [`LoginEventRecord`] holds ids, the method, the outcome, a time and two keyed pseudonyms:
//! one of the client's device id and one of its network, both scoped to the account (so they say
//! nothing across accounts). The raw facts are personal information of the category *log*: the IP
//! address (inventory field `log.ip_address`) and the user agent with the device id
//! (`log.client`) are sealed under the account's subject key, and both are kept 180 days
//! (Cybersecurity Law art. 21(3)), after which the records are purged.
//!
//! There is no GeoIP database offline, so the "region" of a login is approximated by its network:
//! the IPv4 /16 or the IPv6 /48 the address belongs to.

use std::net::IpAddr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::enterprise::wire_enum;
use crate::ids::{AccountId, LoginEventId};
use crate::repo::StoreResult;

wire_enum!(
    /// How a login was attempted.
    LoginMethod {
        /// Username and password (with an SMS step-up code when one was asked for).
        Password = "password",
        /// Real-name mobile and a one-time SMS code.
        Sms = "sms",
        /// A passkey (WebAuthn).
        Passkey = "passkey",
    }
);

wire_enum!(
    /// What came of a login attempt.
    LoginEventOutcome {
        /// Logged in.
        Success = "success",
        /// Wrong password, code or passkey.
        Failure = "failure",
        /// Refused because password login is locked after repeated failures.
        Locked = "locked",
        /// The password was right but the login looked abnormal: an SMS code was sent.
        StepUpRequired = "step_up_required",
        /// Right password and right step-up code: logged in.
        StepUpPassed = "step_up_passed",
        /// Right password, wrong step-up code (counted as a failed login).
        StepUpFailed = "step_up_failed",
    }
);

impl LoginEventOutcome {
    /// Whether the attempt opened a session.
    pub fn succeeded(self) -> bool {
        matches!(self, Self::Success | Self::StepUpPassed)
    }
}

/// A login attempt as stored: no personal information in clear.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginEventRecord {
    /// The event (UUID v7, time-ordered).
    pub id: LoginEventId,
    /// The account the attempt named.
    pub account: AccountId,
    /// Unix second of the attempt.
    pub at: i64,
    /// How.
    pub method: LoginMethod,
    /// What came of it.
    pub outcome: LoginEventOutcome,
    /// Keyed pseudonym of the client's device id, scoped to the account; `None` when the client
    /// sent none.
    pub device_key: Option<Vec<u8>>,
    /// Keyed pseudonym of the source network (IPv4 /16, IPv6 /48), scoped to the account.
    pub network_key: Vec<u8>,
    /// Whether the device had never logged in to the account successfully before.
    pub new_device: bool,
    /// Whether the network had never logged in to the account successfully before.
    pub new_network: bool,
    /// The IP address, sealed (field `log.ip_address`).
    pub ip_sealed: Vec<u8>,
    /// The user agent and device id, sealed (field `log.client`); `None` when the client sent
    /// neither.
    pub client_sealed: Option<Vec<u8>>,
}

impl std::fmt::Debug for LoginEventRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginEventRecord")
            .field("id", &self.id)
            .field("account", &self.account)
            .field("at", &self.at)
            .field("method", &self.method)
            .field("outcome", &self.outcome)
            .field("new_device", &self.new_device)
            .field("new_network", &self.new_network)
            .finish_non_exhaustive()
    }
}

impl LoginEventRecord {
    /// The record id its sealed facts are bound to: event and account, so that sealed facts
    /// moved to another event or account no longer open.
    pub fn seal_id(id: LoginEventId, account: AccountId) -> Vec<u8> {
        [id.as_bytes().as_slice(), account.as_bytes().as_slice()].concat()
    }
}

/// What earlier successful logins of an account say about a new one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginHistory {
    /// Successful logins recorded (within retention).
    pub successes: u64,
    /// Whether this device key has succeeded before.
    pub device_known: bool,
    /// Whether this network key has succeeded before.
    pub network_known: bool,
}

/// The longest device id accepted, in characters.
pub const DEVICE_ID_MAX: usize = 128;
/// The longest user agent kept, in characters (longer ones are truncated).
pub const USER_AGENT_MAX: usize = 512;

/// A client's device id (header `X-Device-Id`): opaque, 1 to [`DEVICE_ID_MAX`] printable ASCII
/// characters. Anything else is treated as absent, not refused: the header is a hint, and a
/// missing one only makes the device count as new.
pub fn device_id(raw: &str) -> Option<String> {
    let ok = !raw.is_empty()
        && raw.len() <= DEVICE_ID_MAX
        && raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    ok.then(|| raw.to_owned())
}

/// A user agent as kept: control characters dropped, at most [`USER_AGENT_MAX`] characters;
/// `None` if nothing is left.
pub fn user_agent(raw: &str) -> Option<String> {
    let ua: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_MAX)
        .collect();
    let ua = ua.trim();
    (!ua.is_empty()).then(|| ua.to_owned())
}

/// The network an address belongs to, standing in for its region: IPv4 /16, IPv6 /48
/// (IPv4-mapped IPv6 addresses count as IPv4). As bytes, for a pseudonym.
pub fn network_of(ip: IpAddr) -> Vec<u8> {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, _, _] = v4.octets();
            vec![4, a, b]
        }
        IpAddr::V6(v6) => {
            let [a, b, c, ..] = v6.segments();
            let mut out = vec![6];
            for s in [a, b, c] {
                out.extend_from_slice(&s.to_be_bytes());
            }
            out
        }
    }
}

/// An address as its owner is shown it: IPv4 `a.b.*.*`, IPv6 the first three groups.
pub fn mask_ip(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, _, _] = v4.octets();
            format!("{a}.{b}.*.*")
        }
        IpAddr::V6(v6) => {
            let [a, b, c, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:*:*:*:*:*")
        }
    }
}

/// Login events (ACC-5). Reads are scoped by account.
#[async_trait]
pub trait LoginEventRepo: Send + Sync + std::fmt::Debug {
    /// Stores an event.
    async fn insert_login_event(&self, e: &LoginEventRecord) -> StoreResult<()>;

    /// What the account's successful logins say about `device_key` and `network_key`.
    async fn login_history(
        &self,
        account: AccountId,
        device_key: Option<&[u8]>,
        network_key: &[u8],
    ) -> StoreResult<LoginHistory>;

    /// The account's newest events, newest first, at most `limit`.
    async fn login_events_of(
        &self,
        account: AccountId,
        limit: u32,
    ) -> StoreResult<Vec<LoginEventRecord>>;

    /// Deletes every event before `before` (a Unix second); returns how many.
    async fn purge_login_events(&self, before: i64) -> StoreResult<u64>;
}

/// A login event as its account holder is shown it (ACC-5, PRIV-14).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginEventView {
    /// The event.
    #[schema(value_type = String, format = Uuid)]
    pub id: LoginEventId,
    /// Unix second of the attempt.
    pub at: i64,
    /// How.
    pub method: LoginMethod,
    /// What came of it.
    pub outcome: LoginEventOutcome,
    /// Whether the device had not logged in to the account before.
    pub new_device: bool,
    /// Whether the network had not logged in to the account before.
    pub new_network: bool,
    /// The source address, masked: IPv4 `a.b.*.*`, IPv6 the first three groups.
    pub ip_masked: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_printable_ascii_up_to_128() {
        assert_eq!(device_id("abc-123_XYZ").as_deref(), Some("abc-123_XYZ"));
        assert!(device_id(&"a".repeat(128)).is_some());
        for bad in ["", "a\nb", "设备", "a\u{7f}"] {
            assert_eq!(device_id(bad), None, "{bad:?}");
        }
        assert_eq!(device_id(&"a".repeat(129)), None);
    }

    #[test]
    fn user_agents_are_truncated() {
        assert_eq!(user_agent(&"x".repeat(600)).unwrap().len(), 512);
        assert_eq!(user_agent(" \t"), None);
        assert_eq!(user_agent("curl/8\r\n").as_deref(), Some("curl/8"));
    }

    #[test]
    fn networks_are_16_and_48_bit_prefixes() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(network_of(ip("10.1.2.3")), network_of(ip("10.1.200.9")));
        assert_ne!(network_of(ip("10.1.2.3")), network_of(ip("10.2.2.3")));
        assert_eq!(
            network_of(ip("::ffff:10.1.2.3")),
            network_of(ip("10.1.9.9"))
        );
        assert_eq!(
            network_of(ip("2001:db8:1:2::1")),
            network_of(ip("2001:db8:1:ffff::2"))
        );
        assert_ne!(
            network_of(ip("2001:db8:1::1")),
            network_of(ip("2001:db8:2::1"))
        );
        assert_eq!(mask_ip(ip("203.0.113.5")), "203.0.*.*");
        assert_eq!(mask_ip(ip("2001:db8:1:2::1")), "2001:db8:1:*:*:*:*:*");
    }

    #[test]
    fn wire_forms_round_trip() {
        for o in LoginEventOutcome::ALL {
            assert_eq!(LoginEventOutcome::parse(o.as_str()), Some(*o));
        }
        for m in LoginMethod::ALL {
            assert_eq!(LoginMethod::parse(m.as_str()), Some(*m));
        }
    }
}
