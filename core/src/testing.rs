//! Fakes for tests (feature `test-util`), in the manner of lettre's stub transport: a clock
//! you move by hand, a deterministic random generator, a mailer that records, and a hasher
//! that counts; [`secrets`] finds leaked secrets in text and captures `tracing` output.

pub mod secrets;

use crate::error::{HashError, MailError, RandomError};
use crate::hash::{PasswordHasher, Verification};
use crate::mail::Mailer;
use crate::model::{Agency, OutboxMessage};
use crate::secret::{Password, PasswordHash};
use crate::{Clock, Random};
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use time::{Duration, OffsetDateTime};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<OffsetDateTime>>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn at(at: OffsetDateTime) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }
    /// A clock stopped at 2026-01-01 09:00 UTC.
    pub fn new() -> Self {
        Self::at(time::macros::datetime!(2026-01-01 09:00 UTC))
    }
    /// Moves time forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }
    /// Sets the time.
    pub fn set(&self, at: OffsetDateTime) {
        *lock(&self.0) = at;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *lock(&self.0)
    }
}

/// A deterministic generator (SHA-256 of seed and counter). Never use outside tests.
#[derive(Debug)]
pub struct TestRandom {
    seed: u64,
    counter: AtomicU64,
}

impl TestRandom {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            counter: AtomicU64::new(0),
        }
    }
}

impl Random for TestRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomError> {
        for chunk in buf.chunks_mut(32) {
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            let mut h = Sha256::new();
            h.update(self.seed.to_be_bytes());
            h.update(n.to_be_bytes());
            let block = h.finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

/// A generator that always fails: to prove flows fail closed.
#[derive(Debug, Default)]
pub struct FailingRandom;

impl Random for FailingRandom {
    fn fill(&self, _buf: &mut [u8]) -> Result<(), RandomError> {
        Err(RandomError("no entropy (test)".into()))
    }
}

/// What the [`RecordingMailer`] does with the next messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MailerMode {
    /// Accept and record.
    #[default]
    Accept,
    /// Fail every send as transient (server down).
    Transient,
    /// Fail every send as permanent (address refused).
    Permanent,
}

/// A mailer that records what it was given.
#[derive(Debug, Default, Clone)]
pub struct RecordingMailer {
    sent: Arc<Mutex<Vec<(Agency, OutboxMessage)>>>,
    mode: Arc<Mutex<MailerMode>>,
    tries: Arc<AtomicU64>,
}

impl RecordingMailer {
    /// A mailer that accepts everything.
    pub fn new() -> Self {
        Self::default()
    }
    /// Changes how later sends behave.
    pub fn set_mode(&self, mode: MailerMode) {
        *lock(&self.mode) = mode;
    }
    /// Every message accepted so far.
    pub fn sent(&self) -> Vec<OutboxMessage> {
        lock(&self.sent).iter().map(|(_, m)| m.clone()).collect()
    }
    /// Messages accepted for one address.
    pub fn sent_to(&self, to: &str) -> Vec<OutboxMessage> {
        self.sent().into_iter().filter(|m| m.to == to).collect()
    }
    /// Every send call, accepted or not.
    pub fn tries(&self) -> u64 {
        self.tries.load(Ordering::SeqCst)
    }
    /// Forgets what was recorded.
    pub fn clear(&self) {
        lock(&self.sent).clear();
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, agency: &Agency, message: &OutboxMessage) -> Result<(), MailError> {
        self.tries.fetch_add(1, Ordering::SeqCst);
        let mode = *lock(&self.mode);
        match mode {
            MailerMode::Accept => {
                lock(&self.sent).push((agency.clone(), message.clone()));
                Ok(())
            }
            MailerMode::Transient => Err(MailError::Transient("421 try later (test)".into())),
            MailerMode::Permanent => Err(MailError::Permanent("550 no such user (test)".into())),
        }
    }
}

/// Wraps a hasher and counts each kind of call: proves that every failure path of a sign-in
/// costs exactly one hash (checklist item 12).
#[derive(Debug)]
pub struct CountingHasher<H> {
    inner: H,
    hashes: AtomicU64,
    verifies: AtomicU64,
    dummies: AtomicU64,
}

impl<H> CountingHasher<H> {
    /// Wraps `inner`.
    pub fn new(inner: H) -> Self {
        Self {
            inner,
            hashes: AtomicU64::new(0),
            verifies: AtomicU64::new(0),
            dummies: AtomicU64::new(0),
        }
    }
    /// Calls to `hash`.
    pub fn hashes(&self) -> u64 {
        self.hashes.load(Ordering::SeqCst)
    }
    /// Calls to `verify` plus calls to `verify_dummy`: the argon2 verifications done.
    pub fn verifications(&self) -> u64 {
        self.verifies.load(Ordering::SeqCst) + self.dummies.load(Ordering::SeqCst)
    }
    /// Calls to `verify_dummy` alone.
    pub fn dummies(&self) -> u64 {
        self.dummies.load(Ordering::SeqCst)
    }
    /// Sets every counter back to zero.
    pub fn reset(&self) {
        self.hashes.store(0, Ordering::SeqCst);
        self.verifies.store(0, Ordering::SeqCst);
        self.dummies.store(0, Ordering::SeqCst);
    }
}

#[async_trait]
impl<H: PasswordHasher> PasswordHasher for CountingHasher<H> {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        self.hashes.fetch_add(1, Ordering::SeqCst);
        self.inner.hash(password).await
    }
    async fn verify(
        &self,
        password: &Password,
        stored: &PasswordHash,
    ) -> Result<Verification, HashError> {
        self.verifies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(password, stored).await
    }
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError> {
        self.dummies.fetch_add(1, Ordering::SeqCst);
        self.inner.verify_dummy(password).await
    }
}
