//! The password hashing port.
//!
//! A port rather than a plain function so that tests can count hashes (every failure path of
//! a sign-in must hash exactly once: checklist item 12) and so that a host could move hashing
//! to dedicated workers. [`Argon2Hasher`] is the implementation to use.

use crate::error::HashError;
use crate::secret::{Password, PasswordHash};
use async_trait::async_trait;

pub use crate::idm::argon::{Argon2Hasher, HashParams};

/// The result of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password does not match.
    Mismatch,
    /// It matches; `needs_rehash` when the stored parameters are weaker than the current ones.
    Match {
        /// Rehash and store with the current parameters.
        needs_rehash: bool,
    },
}

/// Hashes and verifies passwords. Passwords arrive already NFKC-normalised.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a new password with a fresh salt and the current parameters.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;
    /// Checks a password against a stored hash. A stored hash that cannot be parsed or asks
    /// for an out-of-bounds cost is `InvalidHash`, found before any hashing work.
    async fn verify(
        &self,
        password: &Password,
        stored: &PasswordHash,
    ) -> Result<Verification, HashError>;
    /// Does the same work as one [`verify`](Self::verify) with the current parameters, against
    /// a hash no password matches: the early-return paths (unknown user, disabled account)
    /// take as long as a real check.
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError>;
}

#[async_trait]
impl<H: PasswordHasher + ?Sized> PasswordHasher for std::sync::Arc<H> {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        (**self).hash(password).await
    }
    async fn verify(
        &self,
        password: &Password,
        stored: &PasswordHash,
    ) -> Result<Verification, HashError> {
        (**self).verify(password, stored).await
    }
    async fn verify_dummy(&self, password: &Password) -> Result<(), HashError> {
        (**self).verify_dummy(password).await
    }
}
