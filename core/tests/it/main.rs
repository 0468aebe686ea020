//! Integration tests of portico-core, compiled into one binary.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod flows;
mod memory;
mod memory_conformance;
mod shared_store_conformance;
