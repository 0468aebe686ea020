//! # portico-sqlite
//!
//! Portico's storage on SQLite: every storage port of `portico-core` ([`portico_core::store`])
//! for one node, embedded in the host process.
//!
//! * [`SqliteStore::connect`] opens (creating if missing) a database file in WAL mode with
//!   foreign keys on and a busy timeout, and applies Portico's migrations;
//!   [`SqliteStore::from_pool`] takes a host's own pool (then call [`SqliteStore::migrate`]).
//! * Migrations are embedded in the crate and tracked in their own table,
//!   `portico_migrations`, so a host's own migrations table is never touched. Every table is
//!   prefixed `portico_`.
//! * Every write that spans records runs in one `BEGIN IMMEDIATE` transaction: SQLite then
//!   serialises writers up front, so the single-use guards (`UPDATE … WHERE used_at IS NULL …`
//!   then a check of the rows affected) hold under concurrency, and a failure part-way rolls
//!   everything back.
//! * Errors are mapped by meaning onto [`StoreError`]: a unique violation is a `Conflict`, a
//!   missing referenced record `NotFound`, a busy or unreachable database `Unavailable`, an
//!   unreadable row `Corrupt`. Driver text is logged (at `debug`) and never put into a
//!   `Conflict`.
//!
//! The adapter translates; the rules (what a credential change does, when a session is live)
//! stay in core.
#![warn(missing_docs)]

mod codec;
mod error;
mod migrations;
mod ports;

use portico_core::StoreError;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// The driver, re-exported so that a host builds its pool with the very same version.
pub use sqlx;

/// How long a connection waits for another writer before giving up with `Unavailable`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Portico's storage on SQLite. Cheap to clone (it shares the pool).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens the database at `url` (`sqlite://portico.db`, `sqlite:data/portico.db`), creating
    /// the file if missing, in WAL mode with foreign keys on, `synchronous = NORMAL` and a busy
    /// timeout, and applies the migrations.
    ///
    /// `sqlite::memory:` gives a private in-memory database (for demos and tests) held by one
    /// connection that is never closed: it lives as long as the store.
    ///
    /// `Unavailable` if the file cannot be opened; `Other` if the URL is malformed or a
    /// migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| {
                tracing::debug!(error = %e, "invalid SQLite URL");
                StoreError::Other("invalid SQLite URL".into())
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if in_memory {
            // One connection: an in-memory database is private to it, and dies with the last.
            pool.max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            pool.max_connections(8)
        };
        Self::connect_with(options, pool).await
    }

    /// Opens a pool with the given options (use them to tune the pool; keep foreign keys on)
    /// and applies the migrations.
    pub async fn connect_with(
        options: SqliteConnectOptions,
        pool: SqlitePoolOptions,
    ) -> Result<Self, StoreError> {
        let pool = pool.connect_with(options).await.map_err(error::map)?;
        let store = Self::from_pool(pool);
        store.migrate().await?;
        Ok(store)
    }

    /// Uses a pool the host already has. The pool's connections must have foreign keys on
    /// (sqlx's default) and should have a busy timeout; WAL mode is recommended. Call
    /// [`Self::migrate`] before first use.
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Applies Portico's embedded migrations not yet applied (tracked in `portico_migrations`).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrations::run(&self.pool).await
    }

    /// The pool, for a host that shares it.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool (waits for connections in use to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
