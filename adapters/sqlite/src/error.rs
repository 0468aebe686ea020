//! sqlx and SQLite errors mapped onto [`StoreError`] by meaning.
//!
//! The driver's text goes to the log (at `debug`), never into a `Conflict` (which a flow may
//! turn into a message to a client).

use portico_core::StoreError;
use sqlx::error::{DatabaseError, ErrorKind};

// SQLite primary result codes (the low byte of an extended code).
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_NOMEM: i64 = 7;
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_CORRUPT: i64 = 11;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_PROTOCOL: i64 = 15;
const SQLITE_NOTADB: i64 = 26;

/// Maps an error whose unique violation needs no more precise wording.
pub(crate) fn map(e: sqlx::Error) -> StoreError {
    map_conflict(e, "already exists")
}

/// Maps an error; a unique violation becomes `Conflict(conflict)`.
pub(crate) fn map_conflict(e: sqlx::Error, conflict: &str) -> StoreError {
    tracing::debug!(error = %e, "SQLite store error");
    match e {
        sqlx::Error::Database(db) => map_database(db.as_ref(), conflict),
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
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
    let code = db
        .code()
        .and_then(|c| c.parse::<i64>().ok())
        .unwrap_or_default();
    match code & 0xff {
        SQLITE_BUSY | SQLITE_LOCKED | SQLITE_NOMEM | SQLITE_READONLY | SQLITE_IOERR
        | SQLITE_FULL | SQLITE_CANTOPEN | SQLITE_PROTOCOL => {
            StoreError::Unavailable(db.message().to_string())
        }
        SQLITE_CORRUPT | SQLITE_NOTADB => StoreError::Corrupt(db.message().to_string()),
        _ => StoreError::Other(db.message().to_string()),
    }
}

/// A stored value that does not read back.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}
