//! Integration tests of the standalone server: one binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod cli;
mod common;
mod config;
mod demo;
mod health;
mod logs;
mod shutdown;
mod two_nodes;
