//! Routing checks to providers (IDV-3): an ordered fallback list per method, a timeout per call,
//! and a circuit breaker per provider.
//!
//! Fallback happens only when a provider gives *no answer* (timeout, unreachable, refused call).
//! A mismatch is an answer: asking the next provider until one says yes would be shopping for a
//! verdict, so a mismatch ends the route. A provider whose breaker is open is skipped without a
//! call — and so without a disclosure.
//!
//! The breaker: after `failures` consecutive failed calls a provider is *open* for `cooldown`;
//! then one call is let through (*half-open*): success closes it, failure opens it again.
//!
//! Cross-border gating (CERT-9, PRIV-2): a provider outside the mainland is on the route only
//! for a subject who gave the separate consent to the transfer, and only when its security
//! assessment is recorded ([`ProcessorRecord::may_receive`]); otherwise it is passed over
//! without a call, like an open breaker, and [`ProviderRouter::transfer_check`] says why when
//! no provider of a method may receive the data.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use yinxin_domain::verification::{Method, ProcessorRecord};

use super::provider::{Answer, Check, IdentityProvider, ProviderError};

/// Breaker settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub failures: u32,
    /// How long it stays open.
    pub cooldown: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failures: 5,
            cooldown: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Default)]
struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
    trial_in_flight: bool,
}

/// One provider's breaker.
#[derive(Debug)]
struct Breaker {
    config: BreakerConfig,
    state: Mutex<BreakerState>,
}

impl Breaker {
    /// Whether a call may go now. In half-open state only one trial call is let through.
    fn admit(&self, now: Instant) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return true;
        };
        match s.open_until {
            None => true,
            Some(until) if now < until => false,
            Some(_) if s.trial_in_flight => false,
            Some(_) => {
                s.trial_in_flight = true;
                true
            }
        }
    }

    fn record(&self, ok: bool, now: Instant) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        s.trial_in_flight = false;
        if ok {
            s.consecutive_failures = 0;
            s.open_until = None;
        } else {
            s.consecutive_failures = s.consecutive_failures.saturating_add(1);
            if s.consecutive_failures >= self.config.failures || s.open_until.is_some() {
                s.open_until = Some(now + self.config.cooldown);
            }
        }
    }

    fn is_open(&self, now: Instant) -> bool {
        self.state
            .lock()
            .map(|s| s.open_until.is_some_and(|u| now < u))
            .unwrap_or(false)
    }
}

/// A provider with its register entry and its call timeout.
#[derive(Debug)]
pub struct ProviderEntry {
    /// The adapter.
    pub provider: Arc<dyn IdentityProvider>,
    /// Its processor register entry (IDV-3).
    pub processor: ProcessorRecord,
    /// Bound on one call.
    pub timeout: Duration,
}

#[derive(Debug)]
struct Slot {
    entry: ProviderEntry,
    breaker: Breaker,
}

/// One call made (or skipped) on a route.
#[derive(Debug)]
pub struct Attempt {
    /// Provider name.
    pub provider: String,
    /// What it answered; `None` if skipped because its breaker was open (nothing was sent).
    pub result: Option<Result<Answer, ProviderError>>,
}

impl Attempt {
    /// Whether data was sent (a call was made, answered or not).
    pub fn sent(&self) -> bool {
        self.result.is_some()
    }
}

/// Why no provider of a method may receive a subject's data (CERT-9, PRIV-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferBlocked {
    /// Every provider is outside the mainland and the subject has not consented to the transfer.
    NoConsent,
    /// Every provider is outside the mainland and none has a recorded security assessment.
    NoAssessment,
}

/// The providers and the route of each method.
#[derive(Debug, Default)]
pub struct ProviderRouter {
    slots: Vec<Slot>,
    routes: BTreeMap<Method, Vec<usize>>,
}

impl ProviderRouter {
    /// A router over `entries`, routing each method to the providers named in `routes`, in
    /// order. Refused if a route names an unknown provider or one that does not offer the method.
    pub fn new(
        entries: Vec<ProviderEntry>,
        routes: &BTreeMap<Method, Vec<String>>,
        breaker: BreakerConfig,
    ) -> Result<Self, String> {
        let slots: Vec<Slot> = entries
            .into_iter()
            .map(|entry| Slot {
                entry,
                breaker: Breaker {
                    config: breaker,
                    state: Mutex::new(BreakerState::default()),
                },
            })
            .collect();
        let mut indexed = BTreeMap::new();
        for (method, names) in routes {
            let mut order = Vec::new();
            for name in names {
                let i = slots
                    .iter()
                    .position(|s| s.entry.provider.name() == name)
                    .ok_or_else(|| {
                        format!(
                            "the route of {} names unknown provider {name:?}",
                            method.as_str()
                        )
                    })?;
                if slots
                    .get(i)
                    .is_some_and(|s| !s.entry.provider.supports(*method))
                {
                    return Err(format!(
                        "provider {name:?} does not offer {}, yet the route names it",
                        method.as_str()
                    ));
                }
                order.push(i);
            }
            indexed.insert(*method, order);
        }
        Ok(Self {
            slots,
            routes: indexed,
        })
    }

    /// The processor register entries of every configured provider.
    pub fn processors(&self) -> impl Iterator<Item = &ProcessorRecord> {
        self.slots.iter().map(|s| &s.entry.processor)
    }

    /// Whether some provider routed for `method` may receive the subject's data, given whether
    /// the subject consented to a transfer out of the mainland; if none may, why.
    pub fn transfer_check(&self, method: Method, consented: bool) -> Result<(), TransferBlocked> {
        let route: Vec<&ProcessorRecord> = self
            .routes
            .get(&method)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .filter_map(|i| self.slots.get(*i))
            .map(|s| &s.entry.processor)
            .collect();
        if route.is_empty() || route.iter().any(|p| p.may_receive(consented)) {
            return Ok(());
        }
        // The consent helps only if some provider abroad has its assessment on record.
        let assessed = route.iter().any(|p| p.security_assessment.is_some());
        Err(if consented || !assessed {
            TransferBlocked::NoAssessment
        } else {
            TransferBlocked::NoConsent
        })
    }

    /// Whether any provider is routed for `method`.
    pub fn offers(&self, method: Method) -> bool {
        self.routes.get(&method).is_some_and(|r| !r.is_empty())
    }

    /// Names of providers whose breaker is open now.
    pub fn open_breakers(&self) -> Vec<String> {
        let now = Instant::now();
        self.slots
            .iter()
            .filter(|s| s.breaker.is_open(now))
            .map(|s| s.entry.provider.name().to_owned())
            .collect()
    }

    /// Runs `check` along its method's route until a provider answers, passing over the
    /// providers that may not receive the subject's data (`transfer_consented`: whether the
    /// subject consented to a transfer out of the mainland). Returns every attempt, in order;
    /// the last one holds the answer if any provider gave one.
    pub async fn run(&self, check: &Check, transfer_consented: bool) -> Vec<Attempt> {
        let method = check.method();
        let mut attempts = Vec::new();
        for &i in self.routes.get(&method).map(Vec::as_slice).unwrap_or(&[]) {
            let Some(slot) = self.slots.get(i) else {
                continue;
            };
            let name = slot.entry.provider.name().to_owned();
            if !slot.entry.processor.may_receive(transfer_consented) {
                tracing::info!(provider = %name, method = method.as_str(), "outside the mainland: passed over");
                continue;
            }
            if !slot.breaker.admit(Instant::now()) {
                tracing::warn!(provider = %name, method = method.as_str(), "breaker open: skipped");
                attempts.push(Attempt {
                    provider: name,
                    result: None,
                });
                continue;
            }
            let started = Instant::now();
            let result =
                match tokio::time::timeout(slot.entry.timeout, slot.entry.provider.check(check))
                    .await
                {
                    Ok(r) => r,
                    Err(_) => Err(ProviderError::Timeout(slot.entry.timeout)),
                };
            let answered = result.is_ok();
            slot.breaker.record(answered, Instant::now());
            tracing::info!(
                provider = %name,
                method = method.as_str(),
                answered,
                elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "provider call"
            );
            attempts.push(Attempt {
                provider: name,
                result: Some(result),
            });
            if answered {
                break;
            }
        }
        attempts
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use async_trait::async_trait;

    use super::super::provider::Secret;
    use super::*;

    /// A provider scripted by a closure; counts its calls.
    #[derive(Debug)]
    struct Scripted {
        name: &'static str,
        delay: Duration,
        fail: bool,
        calls: AtomicU32,
    }

    #[async_trait]
    impl IdentityProvider for Scripted {
        fn name(&self) -> &str {
            self.name
        }
        fn supports(&self, m: Method) -> bool {
            m == Method::Carrier
        }
        async fn check(&self, _: &Check) -> Result<Answer, ProviderError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            if self.fail {
                Err(ProviderError::Unavailable("scripted".into()))
            } else {
                Ok(Answer::Match)
            }
        }
    }

    fn entry(p: Arc<Scripted>, timeout_ms: u64) -> ProviderEntry {
        ProviderEntry {
            processor: ProcessorRecord {
                name: p.name.into(),
                legal_name: String::new(),
                contact: String::new(),
                data_items: vec![],
                purpose: String::new(),
                processing_method: String::new(),
                location: String::new(),
                outside_prc: false,
                security_assessment: None,
                methods: vec![Method::Carrier],
                registered_at: 0,
            },
            provider: p,
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    fn scripted(name: &'static str, delay_ms: u64, fail: bool) -> Arc<Scripted> {
        Arc::new(Scripted {
            name,
            delay: Duration::from_millis(delay_ms),
            fail,
            calls: AtomicU32::new(0),
        })
    }

    fn carrier() -> Check {
        Check::Carrier {
            name: Secret::new("x"),
            id_number: Secret::new("y"),
            mobile: Secret::new("z"),
        }
    }

    fn route(names: &[&str]) -> BTreeMap<Method, Vec<String>> {
        BTreeMap::from([(
            Method::Carrier,
            names.iter().map(|s| (*s).to_owned()).collect(),
        )])
    }

    /// CERT-9, PRIV-2: a provider outside the mainland is never called without the subject's
    /// transfer consent, nor without a recorded assessment; the mainland one answers instead,
    /// and with neither left the route says why.
    #[tokio::test]
    async fn providers_abroad_are_called_only_with_consent_and_an_assessment() {
        let abroad = scripted("abroad", 0, false);
        let unassessed = scripted("unassessed", 0, false);
        let home = scripted("home", 0, false);
        let away = |p: Arc<Scripted>, assessment: Option<&str>| {
            let mut e = entry(p, 50);
            e.processor.outside_prc = true;
            e.processor.security_assessment = assessment.map(str::to_owned);
            e
        };
        let r = ProviderRouter::new(
            vec![
                away(unassessed.clone(), None),
                away(abroad.clone(), Some("CAC-1")),
                entry(home.clone(), 50),
            ],
            &route(&["unassessed", "abroad", "home"]),
            BreakerConfig::default(),
        )
        .unwrap();
        assert_eq!(r.transfer_check(Method::Carrier, false), Ok(()));
        let a = r.run(&carrier(), false).await;
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].provider, "home");
        assert_eq!(abroad.calls.load(Ordering::SeqCst), 0);
        let a = r.run(&carrier(), true).await;
        assert_eq!(a[0].provider, "abroad");
        assert_eq!(abroad.calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            unassessed.calls.load(Ordering::SeqCst),
            0,
            "never, even with consent"
        );

        let only_abroad = ProviderRouter::new(
            vec![
                away(unassessed.clone(), None),
                away(abroad.clone(), Some("CAC-1")),
            ],
            &route(&["unassessed", "abroad"]),
            BreakerConfig::default(),
        )
        .unwrap();
        assert_eq!(
            only_abroad.transfer_check(Method::Carrier, false),
            Err(TransferBlocked::NoConsent)
        );
        assert!(only_abroad.run(&carrier(), false).await.is_empty());
        assert_eq!(abroad.calls.load(Ordering::SeqCst), 1);
        let unassessed_only = ProviderRouter::new(
            vec![away(unassessed.clone(), None)],
            &route(&["unassessed"]),
            BreakerConfig::default(),
        )
        .unwrap();
        for consented in [false, true] {
            assert_eq!(
                unassessed_only.transfer_check(Method::Carrier, consented),
                Err(TransferBlocked::NoAssessment),
                "no consent would help"
            );
        }
        assert!(unassessed_only.run(&carrier(), true).await.is_empty());
        assert_eq!(unassessed.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_slow_provider_times_out_and_the_next_answers() {
        let slow = scripted("slow", 500, false);
        let fast = scripted("fast", 0, false);
        let r = ProviderRouter::new(
            vec![entry(slow.clone(), 50), entry(fast.clone(), 50)],
            &route(&["slow", "fast"]),
            BreakerConfig::default(),
        )
        .unwrap();
        let a = r.run(&carrier(), false).await;
        assert_eq!(a.len(), 2);
        assert!(matches!(a[0].result, Some(Err(ProviderError::Timeout(_)))));
        assert!(matches!(a[1].result, Some(Ok(Answer::Match))));
    }

    #[tokio::test]
    async fn the_breaker_opens_after_consecutive_failures_then_half_opens() {
        let down = scripted("down", 0, true);
        let r = ProviderRouter::new(
            vec![entry(down.clone(), 50)],
            &route(&["down"]),
            BreakerConfig {
                failures: 3,
                cooldown: Duration::from_millis(100),
            },
        )
        .unwrap();
        for _ in 0..3 {
            assert!(r.run(&carrier(), false).await[0].sent());
        }
        // Open: skipped, nothing sent.
        let a = r.run(&carrier(), false).await;
        assert!(!a[0].sent());
        assert_eq!(down.calls.load(Ordering::SeqCst), 3);
        assert_eq!(r.open_breakers(), vec!["down".to_owned()]);
        tokio::time::sleep(Duration::from_millis(120)).await;
        // Half-open: one trial goes through; it fails, so the breaker opens again at once.
        assert!(r.run(&carrier(), false).await[0].sent());
        assert!(!r.run(&carrier(), false).await[0].sent());
        assert_eq!(down.calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_mismatch_is_an_answer_and_ends_the_route() {
        let first = scripted("first", 0, false);
        let second = scripted("second", 0, false);
        let r = ProviderRouter::new(
            vec![entry(first.clone(), 50), entry(second.clone(), 50)],
            &route(&["first", "second"]),
            BreakerConfig::default(),
        )
        .unwrap();
        assert_eq!(r.run(&carrier(), false).await.len(), 1);
        assert_eq!(second.calls.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn routes_naming_unknown_or_unfit_providers_are_refused() {
        let p = scripted("p", 0, false);
        let e = ProviderRouter::new(
            vec![entry(p.clone(), 50)],
            &route(&["nobody"]),
            BreakerConfig::default(),
        )
        .unwrap_err();
        assert!(e.contains("unknown provider"), "{e}");
        let e = ProviderRouter::new(
            vec![entry(p, 50)],
            &BTreeMap::from([(Method::Face, vec!["p".to_owned()])]),
            BreakerConfig::default(),
        )
        .unwrap_err();
        assert!(e.contains("does not offer face"), "{e}");
    }
}
