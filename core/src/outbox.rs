//! The mail delivery worker: takes due messages from the outbox, hands each to the
//! [`Mailer`], and records the outcome.
//!
//! Business rules live here, not in the SMTP adapter:
//!
//! * a message is **claimed** with a lease before it is sent, so two workers never send it at
//!   the same time, and a message claimed by a worker that crashed is taken again once the
//!   lease runs out;
//! * a **transient** failure (server down, 4xx) puts the message back with an exponential
//!   backoff ([`RetryPolicy`]) until `max_attempts`, then marks it failed;
//! * a **permanent** failure (5xx, invalid address, broken template) marks it failed at once,
//!   kept for staff with the server's reply;
//! * once sent (or failed), the message's content is **redacted**: links and codes are not
//!   kept;
//! * every message keeps one `Message-ID` across tries.
//!
//! Times come from the [`Clock`] port only; the backoff and the lease are pure functions of
//! the clock's `now`. Logs name the message id, agency, template and attempt: never the
//! recipient, a link or a code.

use crate::Clock;
use crate::error::{MailError, StoreError};
use crate::ids::AgencyId;
use crate::mail::Mailer;
use crate::model::{Agency, OutboxMessage, sanitize_text};
use crate::store::Store;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;

/// Longest error text kept on a message (and logged).
const MAX_ERROR_LEN: usize = 500;

/// When to try a message again after a transient failure: `base × factor^(attempt − 1)`,
/// capped at `max_delay`, at most `max_attempts` tries in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failed try.
    pub base: Duration,
    /// Growth of the delay from one try to the next.
    pub factor: u32,
    /// Longest delay between two tries.
    pub max_delay: Duration,
    /// Tries in all (the first one included) before a message is marked failed.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min, 4 min, … capped at 1 hour; 12 tries (about 5 hours) in all.
    fn default() -> Self {
        Self {
            base: Duration::seconds(30),
            factor: 2,
            max_delay: Duration::hours(1),
            max_attempts: 12,
        }
    }
}

impl RetryPolicy {
    /// The delay after the `attempt`-th try failed (1-based; `0` counts as `1`).
    pub fn delay(&self, attempt: u32) -> Duration {
        let mut delay = self.base;
        for _ in 1..attempt.max(1) {
            if delay >= self.max_delay {
                break;
            }
            delay = delay.saturating_mul(self.factor.min(i32::MAX as u32) as i32);
        }
        delay.min(self.max_delay).max(Duration::ZERO)
    }

    /// When to try again after the `attempt`-th try failed transiently at `now`, or `None`
    /// when no try is left.
    pub fn next_attempt(&self, attempt: u32, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if attempt >= self.max_attempts {
            None
        } else {
            now.checked_add(self.delay(attempt))
        }
    }
}

/// What one [`OutboxWorker::run_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Messages claimed.
    pub claimed: u32,
    /// Messages delivered.
    pub sent: u32,
    /// Messages put back for a later try.
    pub retried: u32,
    /// Messages marked failed for good.
    pub failed: u32,
    /// Messages whose outcome could not be recorded (the store failed): they stay claimed
    /// until their lease runs out, then are taken again.
    pub unrecorded: u32,
}

/// Settings of the delivery worker, with sensible defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerSettings {
    /// Backoff of transient failures.
    pub retry: RetryPolicy,
    /// How long a claim holds a message (longer than sending a batch takes).
    pub lease: Duration,
    /// Most messages claimed at once.
    pub batch_size: u32,
    /// Wait between two batches when the outbox is empty (a [`OutboxWorker::notifier`] wakes
    /// the worker earlier).
    pub poll_interval: std::time::Duration,
}

impl Default for WorkerSettings {
    /// Default retry policy, 5-minute lease, batches of 20, polling every 5 seconds.
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            lease: Duration::minutes(5),
            batch_size: 20,
            poll_interval: std::time::Duration::from_secs(5),
        }
    }
}

/// Delivers queued mail. Run as many as you like (on one or several nodes): claims keep
/// them from sending the same message twice.
pub struct OutboxWorker {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    settings: WorkerSettings,
    notify: Arc<Notify>,
}

impl std::fmt::Debug for OutboxWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxWorker")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl OutboxWorker {
    /// A worker with the default [`WorkerSettings`].
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>, clock: Arc<dyn Clock>) -> Self {
        Self::with_settings(store, mailer, clock, WorkerSettings::default())
    }

    /// A worker with the given settings.
    pub fn with_settings(
        store: Arc<dyn Store>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
    ) -> Self {
        Self {
            store,
            mailer,
            clock,
            settings,
            notify: Arc::new(Notify::new()),
        }
    }

    /// The worker's settings.
    pub fn settings(&self) -> &WorkerSettings {
        &self.settings
    }

    /// A handle that wakes a [`run`](Self::run)ning worker: call `notify_one()` on it after
    /// queueing mail, so that it goes out now rather than at the next poll. A wake-up given
    /// while the worker is busy is kept for when it next waits.
    pub fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }

    /// Claims the messages due now, sends them one by one and records each outcome.
    ///
    /// Fails only when the claim itself fails; a store failure while recording an outcome is
    /// counted in [`DeliveryReport::unrecorded`] (that message is taken again after its lease).
    pub async fn run_once(&self) -> Result<DeliveryReport, StoreError> {
        let now = self.clock.now();
        let lease_until = now + self.settings.lease;
        let batch = self
            .store
            .claim_mail(now, lease_until, self.settings.batch_size)
            .await?;
        let mut report = DeliveryReport {
            claimed: u32::try_from(batch.len()).unwrap_or(u32::MAX),
            ..DeliveryReport::default()
        };
        let mut agencies: HashMap<AgencyId, Option<Agency>> = HashMap::new();
        let mut batch = batch.into_iter();
        while let Some(message) = batch.next() {
            let now = self.clock.now();
            if now >= lease_until {
                // The lease ran out while sending this batch: another worker may own the rest
                // now. Leave them to it (or to our next claim).
                tracing::warn!(
                    remaining = batch.len() + 1,
                    "outbox lease ran out before the batch was sent; leaving the rest"
                );
                break;
            }
            let agency = match agencies.get(&message.agency) {
                Some(a) => a.clone(),
                None => match self.store.agency(message.agency).await {
                    Ok(a) => {
                        agencies.insert(message.agency, Some(a.clone()));
                        Some(a)
                    }
                    Err(StoreError::NotFound) => {
                        agencies.insert(message.agency, None);
                        None
                    }
                    Err(e) => {
                        let outcome = Err(MailError::Transient(format!(
                            "agency could not be read: {e}"
                        )));
                        self.record(&message, outcome, &mut report).await;
                        continue;
                    }
                },
            };
            let outcome = match &agency {
                Some(agency) => self.mailer.send(agency, &message).await,
                None => Err(MailError::Permanent("the agency no longer exists".into())),
            };
            self.record(&message, outcome, &mut report).await;
        }
        Ok(report)
    }

    /// Records the outcome of one try.
    async fn record(
        &self,
        message: &OutboxMessage,
        outcome: Result<(), MailError>,
        report: &mut DeliveryReport,
    ) {
        let now = self.clock.now();
        let id = message.id;
        let agency = message.agency;
        let template = message.content.template();
        let attempt = message.attempts;
        let redacted = message.content.redacted();
        let result = match outcome {
            Ok(()) => {
                tracing::info!(%id, %agency, template, attempt, "mail sent");
                report.sent += 1;
                self.store.mail_sent(id, now, &redacted).await
            }
            Err(MailError::Transient(reason)) => {
                let reason = sanitize_text(&reason, MAX_ERROR_LEN);
                match self.settings.retry.next_attempt(attempt, now) {
                    Some(next) => {
                        tracing::warn!(%id, %agency, template, attempt, next_attempt_at = %next,
                            error = %reason, "mail delivery failed; will retry");
                        report.retried += 1;
                        self.store.mail_retry(id, next, &reason).await
                    }
                    None => {
                        tracing::error!(%id, %agency, template, attempt, error = %reason,
                            "mail delivery failed; no try left");
                        report.failed += 1;
                        let reason = sanitize_text(
                            &format!("gave up after {attempt} tries: {reason}"),
                            MAX_ERROR_LEN,
                        );
                        self.store.mail_failed(id, &reason, &redacted).await
                    }
                }
            }
            Err(MailError::Permanent(reason)) => {
                let reason = sanitize_text(&reason, MAX_ERROR_LEN);
                tracing::error!(%id, %agency, template, attempt, error = %reason,
                    "mail refused for good");
                report.failed += 1;
                self.store.mail_failed(id, &reason, &redacted).await
            }
        };
        if let Err(e) = result {
            tracing::error!(%id, %agency, template, attempt, error = %e,
                "could not record the outcome of a mail delivery");
            report.unrecorded += 1;
        }
    }

    /// Delivers mail until `shutdown` completes: a batch, then a wait of
    /// [`WorkerSettings::poll_interval`] (cut short by the [`notifier`](Self::notifier)),
    /// and again. A full batch is followed by the next one at once. A batch under way is
    /// finished before stopping, so no message is left claimed.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let wait = match self.run_once().await {
                Ok(r) if r.claimed >= self.settings.batch_size && r.claimed > 0 => {
                    std::time::Duration::ZERO
                }
                Ok(_) => self.settings.poll_interval,
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim mail from the outbox");
                    self.settings.poll_interval
                }
            };
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = self.notify.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("outbox worker stopped");
    }
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1), Duration::seconds(30));
        assert_eq!(p.delay(2), Duration::seconds(60));
        assert_eq!(p.delay(3), Duration::seconds(120));
        assert_eq!(p.delay(8), Duration::seconds(3840).min(Duration::hours(1)));
        assert_eq!(p.delay(11), Duration::hours(1));
        assert_eq!(p.delay(u32::MAX), Duration::hours(1));
        assert_eq!(p.delay(0), Duration::seconds(30));
    }

    #[test]
    fn next_attempt_is_a_pure_function_of_now() {
        let p = RetryPolicy::default();
        let now = time::macros::datetime!(2026-01-01 09:00 UTC);
        assert_eq!(p.next_attempt(1, now), Some(now + Duration::seconds(30)));
        assert_eq!(p.next_attempt(1, now), p.next_attempt(1, now));
        assert_eq!(p.next_attempt(11, now), Some(now + Duration::hours(1)));
        assert_eq!(p.next_attempt(12, now), None);
        assert_eq!(p.next_attempt(13, now), None);
    }
}
