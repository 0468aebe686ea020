//! Errors of the ports, by meaning (in the manner of sqlx's `ErrorKind`).
//!
//! Adapters map their driver's codes onto these; core decides what each means for a flow.
//! None of them carries database or server text to a client: the `detail` strings are for logs.

use thiserror::Error;

/// An error of a storage port.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The record does not exist (in this agency).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (username taken, contact already linked, …).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store cannot be reached now (connection lost, pool exhausted, timeout). Retryable.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A stored value could not be read back (corrupt row, unknown enum tag).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Anything else the adapter could not classify.
    #[error("storage error: {0}")]
    Other(String),
}

/// An error of the [`Mailer`](crate::mail::Mailer) port.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MailError {
    /// Worth retrying later: connection refused, timeout, SMTP 4xx.
    #[error("transient mail failure: {0}")]
    Transient(String),
    /// Will never succeed as it is: SMTP 5xx, invalid address, template error.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

/// An error of the [`PasswordHasher`](crate::hash::PasswordHasher) port.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HashError {
    /// The stored hash string cannot be parsed, or asks for a cost beyond the allowed bounds
    /// (a hostile stored value must fail fast, not burn the CPU).
    #[error("stored password hash is invalid or out of bounds")]
    InvalidHash,
    /// The hashing pool is gone (runtime shutting down).
    #[error("password hashing is unavailable")]
    Unavailable,
    /// The randomness port failed to give a salt.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The random generator failed. Fail closed: no token without real randomness.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("random generator failed: {0}")]
pub struct RandomError(pub String);
