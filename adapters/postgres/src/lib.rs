//! # portico-postgres
//!
//! Portico's storage on PostgreSQL: every storage port of `portico-core`
//! ([`portico_core::store`]) for many stateless nodes sharing one database.
//!
//! * [`PostgresStore::connect`] opens a pool and applies Portico's migrations;
//!   [`PostgresStore::from_pool`] takes a host's own pool (then call
//!   [`PostgresStore::migrate`]).
//! * Migrations are embedded in the crate and tracked in their own table,
//!   `portico_migrations`, so a host's own migrations table is never touched. Every table is
//!   prefixed `portico_` and created in the first schema of the connection's `search_path`.
//! * Every write that spans records is one transaction (`READ COMMITTED`). Single use holds
//!   under concurrency because each guard is one `UPDATE … WHERE used_at IS NULL …` whose
//!   rows affected are checked: PostgreSQL re-checks the condition on the row a concurrent
//!   winner committed, so exactly one redemption sees a row. Transactions that change an
//!   account lock its row first (`SELECT … FOR UPDATE`), always before the rows it owns, so
//!   concurrent changes of one account queue instead of deadlocking. Mail is claimed with
//!   `FOR UPDATE SKIP LOCKED`.
//! * Throttle counters are upserts (`INSERT … ON CONFLICT DO UPDATE … RETURNING`): limits
//!   hold across every node.
//! * Errors are mapped by meaning onto [`StoreError`] (by SQLSTATE): a unique violation is a
//!   `Conflict`, a missing referenced record `NotFound`, a lost connection, a shutdown or a
//!   deadlock `Unavailable` (retryable), an unreadable row `Corrupt`. Driver text is logged
//!   (at `debug`) and never put into a `Conflict`. A pool recovers by itself from a dropped
//!   connection: each connection is checked before it is handed out.
//!
//! The adapter translates; the rules (what a credential change does, when a session is live)
//! stay in core.
#![warn(missing_docs)]

mod codec;
mod error;
mod migrations;
mod ports;

use portico_core::StoreError;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// The driver, re-exported so that a host builds its pool with the very same version.
pub use sqlx;

/// Portico's storage on PostgreSQL. Cheap to clone (it shares the pool).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:5432/db`) with a pool of 10 connections, and
    /// applies the migrations.
    ///
    /// `Unavailable` if the server cannot be reached; `Other` if the URL is malformed or a
    /// migration fails.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            tracing::debug!(error = %e, "invalid PostgreSQL URL");
            StoreError::Other("invalid PostgreSQL URL".into())
        })?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            // Short: when the database is down, a request answers 503 within seconds rather
            // than holding its client (and a connection slot) while sqlx keeps retrying.
            .acquire_timeout(Duration::from_secs(3));
        Self::connect_with(options, pool).await
    }

    /// Opens a pool with the given options (to set a `search_path`, an application name, the
    /// pool's size…) and applies the migrations.
    pub async fn connect_with(
        options: PgConnectOptions,
        pool: PgPoolOptions,
    ) -> Result<Self, StoreError> {
        // Every connection is checked before it is handed out: a dropped one is replaced.
        let pool = pool
            .test_before_acquire(true)
            .connect_with(options)
            .await
            .map_err(error::map)?;
        let store = Self::from_pool(pool);
        store.migrate().await?;
        Ok(store)
    }

    /// Uses a pool the host already has. Call [`Self::migrate`] before first use.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Applies Portico's embedded migrations not yet applied (tracked in `portico_migrations`).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrations::run(&self.pool).await
    }

    /// The pool, for a host that shares it.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool (waits for connections in use to come back).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
