//! Integration tests of portico-core, in one binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod memory;
mod memory_conformance;
mod shared_store_conformance;
