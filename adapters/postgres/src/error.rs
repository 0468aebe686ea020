//! sqlx and PostgreSQL errors mapped onto [`StoreError`] by meaning (by SQLSTATE).
//!
//! The driver's text goes to the log (at `debug`), never into a `Conflict` (which a flow may
//! turn into a message to a client).

use portico_core::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};

/// Maps an error whose unique violation needs no more precise wording.
pub(crate) fn map(e: sqlx::Error) -> StoreError {
    map_conflict(e, "already exists")
}

/// Maps an error; a unique violation becomes `Conflict(conflict)`.
pub(crate) fn map_conflict(e: sqlx::Error, conflict: &str) -> StoreError {
    tracing::debug!(error = %e, "PostgreSQL store error");
    match e {
        sqlx::Error::Database(db) => map_database(db.as_ref(), conflict),
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)
        // The connection broke mid-message (a server going away).
        | sqlx::Error::Protocol(_)
        | sqlx::Error::BeginFailed => StoreError::Unavailable(e.to_string()),
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Other(other.to_string()),
    }
}

fn map_database(db: &dyn DatabaseError, conflict: &str) -> StoreError {
    match db.kind() {
        ErrorKind::UniqueViolation => return StoreError::Conflict(conflict.to_string()),
        // A record names an agency or account that does not exist (in its agency).
        ErrorKind::ForeignKeyViolation => return StoreError::NotFound,
        _ => {}
    }
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    let class = code.get(..2).unwrap_or_default();
    match (class, code.as_str()) {
        // Connection exceptions; insufficient resources; operator intervention (admin
        // shutdown, crash shutdown, cannot connect now, query canceled); system errors.
        ("08" | "53" | "57" | "58", _) => StoreError::Unavailable(db.message().to_string()),
        // Serialization failure, deadlock, lock not available: retryable.
        (_, "40001" | "40P01" | "55P03") => StoreError::Unavailable(db.message().to_string()),
        // Data corrupted.
        (_, "XX001" | "XX002") => StoreError::Corrupt(db.message().to_string()),
        _ => StoreError::Other(db.message().to_string()),
    }
}

/// A stored value that does not read back.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}
