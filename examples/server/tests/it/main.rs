//! Integration tests of portico-server, compiled into one binary. Requests go through the
//! routers with `oneshot` (no sockets).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod demo;
