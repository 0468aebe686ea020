//! Integration tests of portico-postgres, compiled into one binary: the conformance suite and
//! what only a database shows (atomicity under an injected failure, concurrency across pools,
//! error mapping, reconnection, schema).
//!
//! They need a PostgreSQL server: `PORTICO_TEST_POSTGRES_URL`
//! (`postgres://postgres@127.0.0.1:5432/test`). Without it every test prints
//! `SKIPPED: PORTICO_TEST_POSTGRES_URL not set` and passes (fails, if
//! `PORTICO_REQUIRE_SERVICES` is set). Each run works in its own schema.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[macro_use]
mod common;
mod access;
mod atomicity;
mod concurrency;
mod conformance;
mod errors;
mod schema;
