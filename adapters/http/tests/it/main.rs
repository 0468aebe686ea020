//! Integration tests of portico-http, compiled into one binary. Every route is driven through
//! the `Service` with `oneshot` (no sockets); `socket` runs a few over a real socket and inside
//! an axum router.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod admin;
mod api;
mod asvs;
mod checklist;
mod harness;
mod host_data;
mod openapi;
mod pages;
mod portfolio;
mod secrets;
mod socket;
mod sweep;
