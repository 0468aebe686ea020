//! argon2id password hashing, off the async threads and behind a bound on concurrency.
//!
//! Each hash takes ~19 MiB and tens of milliseconds of one core. Run on the async threads, a
//! flood of sign-ins would stall every other request; so hashing runs in `spawn_blocking`, and
//! a semaphore admits at most `max_concurrent` at once (the rest wait their turn, asynchronously).

use crate::Random;
use crate::error::HashError;
use crate::hash::{PasswordHasher, Verification};
use crate::secret::{Password, PasswordHash};
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashParams {
    /// Memory in KiB (default 19,456: OWASP's minimum for argon2id).
    pub memory_kib: u32,
    /// Passes (default 2).
    pub iterations: u32,
    /// Lanes (default 1).
    pub parallelism: u32,
}

impl Default for HashParams {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl HashParams {
    /// Deliberately weak parameters for tests only (fast, never for real passwords).
    pub const fn insecure_for_tests() -> Self {
        Self {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    /// Upper bounds on parameters read back from a stored hash (checklist item 7): 256 MiB,
    /// 16 passes, 16 lanes. A stored hash asking for more is refused before any work.
    pub const MAX: HashParams = HashParams {
        memory_kib: 262_144,
        iterations: 16,
        parallelism: 16,
    };

    fn to_argon(self) -> Result<Params, HashError> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|_| HashError::InvalidHash)
    }

    /// Whether `self` is weaker than `other` in any dimension.
    pub fn weaker_than(&self, other: &HashParams) -> bool {
        self.memory_kib < other.memory_kib
            || self.iterations < other.iterations
            || self.parallelism < other.parallelism
    }
}

/// The argon2id [`PasswordHasher`].
pub struct Argon2Hasher {
    params: HashParams,
    permits: Arc<Semaphore>,
    random: Arc<dyn Random>,
    dummy: PasswordHash,
}

impl std::fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2Hasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Argon2Hasher {
    /// A hasher with `params`, at most `max_concurrent` hashes at once (at least 1), salts from
    /// `random`. Computes the dummy hash used by [`PasswordHasher::verify_dummy`].
    pub fn new(
        params: HashParams,
        max_concurrent: usize,
        random: Arc<dyn Random>,
    ) -> Result<Self, HashError> {
        let argon = argon(params)?;
        let mut salt = [0u8; 16];
        random.fill(&mut salt)?;
        let dummy = argon
            .hash_password_with_salt(b"portico dummy password, never valid", &salt)
            .map_err(|_| HashError::InvalidHash)?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            random,
            dummy: PasswordHash::new(dummy.to_string()),
        })
    }

    /// The current parameters.
    pub fn params(&self) -> HashParams {
        self.params
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashError::Unavailable)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| HashError::Unavailable)
    }
}

fn argon(params: HashParams) -> Result<Argon2<'static>, HashError> {
    Ok(Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        params.to_argon()?,
    ))
}

/// Parses a stored PHC string and reads its parameters, refusing anything that is not
/// argon2id within [`HashParams::MAX`]. Bounded work: nothing is hashed here.
pub fn stored_params(stored: &PasswordHash) -> Result<HashParams, HashError> {
    let s = stored.as_str();
    if s.len() > 512 {
        return Err(HashError::InvalidHash);
    }
    let parsed = argon2::PasswordHash::new(s).map_err(|_| HashError::InvalidHash)?;
    if parsed.algorithm.as_str() != "argon2id" {
        return Err(HashError::InvalidHash);
    }
    let get = |name: &str| -> Result<u32, HashError> {
        parsed
            .params
            .get_decimal(name)
            .ok_or(HashError::InvalidHash)
    };
    let p = HashParams {
        memory_kib: get("m")?,
        iterations: get("t")?,
        parallelism: get("p")?,
    };
    if p.memory_kib > HashParams::MAX.memory_kib
        || p.iterations > HashParams::MAX.iterations
        || p.parallelism > HashParams::MAX.parallelism
        || p.iterations == 0
        || p.parallelism == 0
    {
        return Err(HashError::InvalidHash);
    }
    if parsed.hash.is_none() || parsed.salt.is_none() {
        return Err(HashError::InvalidHash);
    }
    Ok(p)
}

fn verify_blocking(password: &[u8], stored: &str) -> Result<bool, HashError> {
    let parsed = argon2::PasswordHash::new(stored).map_err(|_| HashError::InvalidHash)?;
    match Argon2::default().verify_password(password, &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(_) => Err(HashError::InvalidHash),
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let mut salt = [0u8; 16];
        self.random.fill(&mut salt)?;
        let params = self.params;
        let pw = password.expose().as_bytes().to_vec();
        let out = self
            .blocking(move || {
                argon(params)?
                    .hash_password_with_salt(&pw, &salt)
                    .map(|h| h.to_string())
                    .map_err(|_| HashError::InvalidHash)
            })
            .await??;
        Ok(PasswordHash::new(out))
    }

    async fn verify(
        &self,
        password: &Password,
        stored: &PasswordHash,
    ) -> Result<Verification, HashError> {
        let params = stored_params(stored)?;
        let pw = password.expose().as_bytes().to_vec();
        let s = stored.as_str().to_string();
        let ok = self.blocking(move || verify_blocking(&pw, &s)).await??;
        Ok(if ok {
            Verification::Match {
                needs_rehash: params.weaker_than(&self.params),
            }
        } else {
            Verification::Mismatch
        })
    }

    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError> {
        let pw = password.expose().as_bytes().to_vec();
        let s = self.dummy.as_str().to_string();
        self.blocking(move || verify_blocking(&pw, &s)).await??;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testing::TestRandom;

    fn hasher(params: HashParams) -> Argon2Hasher {
        Argon2Hasher::new(params, 2, Arc::new(TestRandom::new(1))).unwrap()
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hasher(HashParams::insecure_for_tests());
        let stored = h
            .hash(&Password::new("a long passphrase here"))
            .await
            .unwrap();
        assert!(stored.as_str().starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        assert_eq!(
            h.verify(&Password::new("a long passphrase here"), &stored)
                .await
                .unwrap(),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            h.verify(&Password::new("a long passphrase herE"), &stored)
                .await
                .unwrap(),
            Verification::Mismatch
        );
    }

    /// Checklist 2: a password and the same password with one more character never both verify.
    #[tokio::test]
    async fn checklist_2_no_truncation() {
        let h = hasher(HashParams::insecure_for_tests());
        let long = "x".repeat(300);
        let stored = h.hash(&Password::new(long.clone())).await.unwrap();
        let longer = format!("{long}x");
        assert_eq!(
            h.verify(&Password::new(longer), &stored).await.unwrap(),
            Verification::Mismatch
        );
    }

    /// Checklist 6: weaker stored parameters ask for a rehash.
    #[tokio::test]
    async fn checklist_6_rehash_when_parameters_rise() {
        let weak = hasher(HashParams::insecure_for_tests());
        let stored = weak
            .hash(&Password::new("pw pw pw pw pw pw"))
            .await
            .unwrap();
        let strong = hasher(HashParams {
            memory_kib: 128,
            iterations: 2,
            parallelism: 1,
        });
        assert_eq!(
            strong
                .verify(&Password::new("pw pw pw pw pw pw"), &stored)
                .await
                .unwrap(),
            Verification::Match { needs_rehash: true }
        );
    }

    /// Checklist 7: a hostile stored hash with huge costs fails fast, without hashing.
    #[tokio::test]
    async fn checklist_7_hostile_stored_parameters_are_refused() {
        let h = hasher(HashParams::insecure_for_tests());
        for hostile in [
            "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=64,t=4000000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2id$v=19$m=64,t=1,p=255$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
            "$md5$whatever",
            "",
        ] {
            assert_eq!(
                h.verify(&Password::new("x"), &PasswordHash::new(hostile))
                    .await,
                Err(HashError::InvalidHash),
                "{hostile}"
            );
        }
    }

    #[tokio::test]
    async fn default_parameters_meet_owasp_minimum() {
        let p = HashParams::default();
        assert!(p.memory_kib >= 19_456 && p.iterations >= 2 && p.parallelism >= 1);
        let h = hasher(p);
        h.verify_dummy(&Password::new("anything")).await.unwrap();
    }
}
