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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;
    use crate::model::{AgencySettings, MailContent, OutboxStatus};
    use crate::store::{AgencyStore, OutboxStore};
    use crate::testing::{MailerMode, ManualClock, RecordingMailer};
    use crate::{AgencyId, OutboxId};

    struct Fixture {
        store: Arc<MemoryStore>,
        mailer: RecordingMailer,
        clock: ManualClock,
        worker: OutboxWorker,
        agency: Agency,
    }

    async fn fixture_with(settings: WorkerSettings) -> Fixture {
        let store = Arc::new(MemoryStore::new());
        let mailer = RecordingMailer::new();
        let clock = ManualClock::new();
        let agency = Agency {
            id: AgencyId::from_random_bytes([1; 16]),
            slug: "acme".into(),
            name: "Acme Lettings".into(),
            settings: AgencySettings::default(),
            created_at: clock.now(),
        };
        store.insert_agency(&agency).await.unwrap();
        let worker = OutboxWorker::with_settings(
            store.clone(),
            Arc::new(mailer.clone()),
            Arc::new(clock.clone()),
            settings,
        );
        Fixture {
            store,
            mailer,
            clock,
            worker,
            agency,
        }
    }

    async fn fixture() -> Fixture {
        fixture_with(WorkerSettings::default()).await
    }

    impl Fixture {
        /// Queues a password reset carrying a secret link; returns its id.
        async fn enqueue(&self, n: u8) -> OutboxId {
            let now = self.clock.now();
            let m = OutboxMessage {
                id: OutboxId::from_random_bytes([n; 16]),
                agency: self.agency.id,
                to: format!("client{n}@example.com"),
                content: MailContent::PasswordReset {
                    recipient_name: "Client".into(),
                    reset_url: format!("https://portal.example/reset#token=SECRET{n}"),
                    expires_at: now + Duration::hours(1),
                },
                status: OutboxStatus::Queued,
                attempts: 0,
                created_at: now,
                next_attempt_at: now,
                last_error: None,
                sent_at: None,
            };
            self.store.enqueue_mail(&m).await.unwrap();
            m.id
        }

        async fn message(&self, id: OutboxId) -> OutboxMessage {
            self.store
                .outbox(self.agency.id, None, 0, 1000)
                .await
                .unwrap()
                .into_iter()
                .find(|m| m.id == id)
                .expect("message in the outbox")
        }
    }

    #[tokio::test]
    async fn a_message_is_delivered_once_and_redacted() {
        let f = fixture().await;
        let id = f.enqueue(1).await;
        let r = f.worker.run_once().await.unwrap();
        assert_eq!(
            r,
            DeliveryReport {
                claimed: 1,
                sent: 1,
                ..Default::default()
            }
        );
        let sent = f.mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].id, id);
        assert!(matches!(sent[0].content, MailContent::PasswordReset { .. }));

        let stored = f.message(id).await;
        assert_eq!(stored.status, OutboxStatus::Sent);
        assert_eq!(stored.sent_at, Some(f.clock.now()));
        assert_eq!(
            stored.content,
            MailContent::Redacted {
                original: "password_reset".into()
            }
        );
        assert!(!format!("{stored:?}").contains("SECRET"));

        // Nothing more to do, now or much later.
        f.clock.advance(Duration::days(2));
        assert_eq!(f.worker.run_once().await.unwrap().claimed, 0);
        assert_eq!(f.mailer.tries(), 1);
    }

    #[tokio::test]
    async fn a_transient_failure_is_retried_later_with_growing_delay() {
        let f = fixture().await;
        let id = f.enqueue(1).await;
        f.mailer.set_mode(MailerMode::Transient);
        let mut expected_delay = Duration::seconds(30);
        for attempt in 1..=4u32 {
            let t0 = f.clock.now();
            let r = f.worker.run_once().await.unwrap();
            assert_eq!((r.claimed, r.retried), (1, 1), "attempt {attempt}");
            let m = f.message(id).await;
            assert_eq!(m.status, OutboxStatus::Queued);
            assert_eq!(m.attempts, attempt);
            assert_eq!(m.next_attempt_at, t0 + expected_delay, "attempt {attempt}");
            assert!(m.last_error.as_deref().unwrap().contains("421"));
            // Not due before its time.
            f.clock.advance(expected_delay - Duration::seconds(1));
            assert_eq!(f.worker.run_once().await.unwrap().claimed, 0);
            f.clock.advance(Duration::seconds(1));
            expected_delay *= 2;
        }
        // The server is back: delivered, once.
        f.mailer.set_mode(MailerMode::Accept);
        let r = f.worker.run_once().await.unwrap();
        assert_eq!(r.sent, 1);
        assert_eq!(f.mailer.tries(), 5);
        assert_eq!(f.mailer.sent().len(), 1);
        let m = f.message(id).await;
        assert_eq!((m.status, m.attempts), (OutboxStatus::Sent, 5));
        f.clock.advance(Duration::hours(10));
        assert_eq!(f.worker.run_once().await.unwrap().claimed, 0);
        assert_eq!(f.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn transient_failures_end_failed_after_max_attempts() {
        let settings = WorkerSettings {
            retry: RetryPolicy {
                max_attempts: 3,
                ..RetryPolicy::default()
            },
            ..WorkerSettings::default()
        };
        let f = fixture_with(settings).await;
        let id = f.enqueue(1).await;
        f.mailer.set_mode(MailerMode::Transient);
        for _ in 0..3 {
            f.worker.run_once().await.unwrap();
            f.clock.advance(Duration::hours(1));
        }
        let m = f.message(id).await;
        assert_eq!(m.status, OutboxStatus::Failed);
        assert_eq!(m.attempts, 3);
        assert!(
            m.last_error
                .as_deref()
                .unwrap()
                .contains("gave up after 3 tries")
        );
        assert!(matches!(m.content, MailContent::Redacted { .. }));
        f.clock.advance(Duration::days(1));
        assert_eq!(f.worker.run_once().await.unwrap().claimed, 0);
        assert_eq!(f.mailer.tries(), 3);
    }

    #[tokio::test]
    async fn a_permanent_failure_is_failed_and_visible_with_its_error() {
        let f = fixture().await;
        let id = f.enqueue(1).await;
        f.mailer.set_mode(MailerMode::Permanent);
        let r = f.worker.run_once().await.unwrap();
        assert_eq!((r.claimed, r.failed), (1, 1));
        let failed = f
            .store
            .outbox(f.agency.id, Some(OutboxStatus::Failed), 0, 100)
            .await
            .unwrap();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].id, id);
        assert!(failed[0].last_error.as_deref().unwrap().contains("550"));
        assert!(matches!(failed[0].content, MailContent::Redacted { .. }));
        // Never tried again.
        f.mailer.set_mode(MailerMode::Accept);
        f.clock.advance(Duration::days(1));
        assert_eq!(f.worker.run_once().await.unwrap().claimed, 0);
        assert_eq!(f.mailer.tries(), 1);
        assert!(f.mailer.sent().is_empty());
    }

    #[tokio::test]
    async fn a_crashed_workers_claim_is_retaken_after_its_lease() {
        let f = fixture().await;
        let id = f.enqueue(1).await;
        // Another worker claims the message and dies before recording anything.
        let now = f.clock.now();
        let lease = f.worker.settings().lease;
        let claimed = f.store.claim_mail(now, now + lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        // While its lease runs, nobody else sends it.
        assert_eq!(f.worker.run_once().await.unwrap().claimed, 0);
        f.clock.advance(lease - Duration::seconds(1));
        assert_eq!(f.worker.run_once().await.unwrap().claimed, 0);
        // Once it has run out, it is taken again and delivered, once.
        f.clock.advance(Duration::seconds(1));
        let r = f.worker.run_once().await.unwrap();
        assert_eq!((r.claimed, r.sent), (1, 1));
        let m = f.message(id).await;
        assert_eq!((m.status, m.attempts), (OutboxStatus::Sent, 2));
        assert_eq!(f.mailer.sent().len(), 1);
    }

    #[tokio::test]
    async fn retries_never_duplicate_and_keep_the_message_id() {
        let f = fixture().await;
        let ids = [f.enqueue(1).await, f.enqueue(2).await, f.enqueue(3).await];
        f.mailer.set_mode(MailerMode::Transient);
        f.worker.run_once().await.unwrap();
        f.mailer.set_mode(MailerMode::Accept);
        // Two workers race over the same outbox.
        let other = OutboxWorker::new(
            f.store.clone(),
            Arc::new(f.mailer.clone()),
            Arc::new(f.clock.clone()),
        );
        for _ in 0..5 {
            f.clock.advance(Duration::minutes(1));
            let (a, b) = tokio::join!(f.worker.run_once(), other.run_once());
            a.unwrap();
            b.unwrap();
        }
        let sent = f.mailer.sent();
        assert_eq!(sent.len(), 3);
        for id in ids {
            assert_eq!(sent.iter().filter(|m| m.id == id).count(), 1);
            let m = f.message(id).await;
            assert_eq!(m.status, OutboxStatus::Sent);
            assert_eq!(
                m.message_id(),
                sent.iter().find(|s| s.id == id).unwrap().message_id()
            );
        }
        assert_eq!(f.mailer.tries(), 6);
    }

    #[tokio::test]
    async fn a_batch_sends_every_due_message_in_order() {
        let settings = WorkerSettings {
            batch_size: 2,
            ..WorkerSettings::default()
        };
        let f = fixture_with(settings).await;
        for n in 1..=5 {
            f.enqueue(n).await;
        }
        let mut claimed = Vec::new();
        loop {
            let r = f.worker.run_once().await.unwrap();
            if r.claimed == 0 {
                break;
            }
            claimed.push(r.claimed);
        }
        assert_eq!(claimed, vec![2, 2, 1]);
        assert_eq!(f.mailer.sent().len(), 5);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn run_wakes_on_notify_and_stops_on_shutdown() {
        let settings = WorkerSettings {
            poll_interval: std::time::Duration::from_secs(3600),
            ..WorkerSettings::default()
        };
        let f = fixture_with(settings).await;
        let worker = Arc::new(f.worker);
        let notifier = worker.notifier();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let handle = {
            let worker = worker.clone();
            tokio::spawn(async move {
                worker
                    .run(async {
                        let _ = stopped.await;
                    })
                    .await;
            })
        };
        // Queue mail while the worker waits out its hour-long poll; the notifier wakes it.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let now = f.clock.now();
        let m = OutboxMessage {
            id: OutboxId::from_random_bytes([5; 16]),
            agency: f.agency.id,
            to: "woken@example.com".into(),
            content: MailContent::AccessRevoked {
                recipient_name: "W".into(),
            },
            status: OutboxStatus::Queued,
            attempts: 0,
            created_at: now,
            next_attempt_at: now,
            last_error: None,
            sent_at: None,
        };
        f.store.enqueue_mail(&m).await.unwrap();
        notifier.notify_one();
        let mut delivered = false;
        for _ in 0..100 {
            if f.mailer.sent().len() == 1 {
                delivered = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(delivered, "the notifier woke the worker");
        stop.send(()).unwrap();
        tokio::time::timeout(std::time::Duration::from_secs(5), handle)
            .await
            .expect("the worker stops on shutdown")
            .unwrap();
    }

    /// Collects every field of every event and span, as text.
    #[derive(Clone, Default)]
    struct CaptureLogs(Arc<std::sync::Mutex<String>>);

    struct Collect<'a>(&'a mut String);

    impl tracing::field::Visit for Collect<'_> {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            self.0.push_str(&format!(" {}={:?}", field.name(), value));
        }
    }

    impl tracing::Subscriber for CaptureLogs {
        fn register_callsite(
            &self,
            _: &'static tracing::Metadata<'static>,
        ) -> tracing::subscriber::Interest {
            tracing::subscriber::Interest::always()
        }
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            span.record(&mut Collect(&mut self.0.lock().unwrap()));
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
            values.record(&mut Collect(&mut self.0.lock().unwrap()));
        }
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut out = self.0.lock().unwrap();
            out.push('\n');
            out.push_str(event.metadata().target());
            event.record(&mut Collect(&mut out));
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    /// One capture for the whole test binary, installed as the global subscriber: scoped
    /// subscribers miss events when other test threads race on tracing's callsite cache.
    fn global_logs() -> &'static CaptureLogs {
        static LOGS: std::sync::OnceLock<CaptureLogs> = std::sync::OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = CaptureLogs::default();
            let _ = tracing::subscriber::set_global_default(logs.clone());
            logs
        })
    }

    #[tokio::test]
    async fn logs_never_show_links_codes_or_addresses() {
        let logs = global_logs();
        let f = fixture().await;
        let mut ids = Vec::new();
        for (n, mode) in [
            (201, MailerMode::Accept),
            (202, MailerMode::Transient),
            (203, MailerMode::Permanent),
        ] {
            ids.push(f.enqueue(n).await.to_string());
            f.mailer.set_mode(mode);
            f.worker.run_once().await.unwrap();
        }
        // Everything the worker logged, in this test and any other of this binary.
        let text: String = logs
            .0
            .lock()
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("portico_core::outbox"))
            .collect::<Vec<_>>()
            .join("\n");
        let ours: Vec<&str> = text
            .lines()
            .filter(|l| ids.iter().any(|id| l.contains(id.as_str())))
            .collect();
        let ours = ours.join("\n");
        assert!(ours.contains("mail sent"), "{ours}");
        assert!(ours.contains("will retry"), "{ours}");
        assert!(ours.contains("refused for good"), "{ours}");
        assert!(ours.contains("template=\"password_reset\""), "{ours}");
        // Nothing the worker logged shows a link, a code or an address.
        assert!(!text.contains("SECRET"), "{text}");
        assert!(!text.contains("https://"), "{text}");
        assert!(!text.contains("@example.com"), "{text}");
    }
}
