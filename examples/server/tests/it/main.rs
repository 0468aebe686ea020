//! Integration tests of the standalone server: one binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod common;
mod config;
mod health;
mod logs;
mod shutdown;
mod two_nodes;
