//! Integration tests of portico-sqlite, compiled into one binary: the conformance suite and
//! what only a database shows (atomicity under an injected failure, concurrency across pools,
//! error mapping, schema).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod access;
mod atomicity;
mod common;
mod concurrency;
mod conformance;
mod errors;
mod schema;
