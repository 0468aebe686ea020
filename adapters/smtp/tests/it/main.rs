//! Integration tests of the SMTP adapter against a real SMTP server (maildev).
//!
//! Set `PORTICO_TEST_SMTP_URL` (e.g. `smtp://127.0.0.1:2525`) and `PORTICO_TEST_MAILDEV_API`
//! (e.g. `http://127.0.0.1:2580`) to run them; `bash .ci/maildev.sh` starts maildev. Without
//! them each test prints `SKIPPED: PORTICO_TEST_SMTP_URL not set` and passes.
//!
//! Tests share one maildev and run in parallel: each uses recipient addresses of its own and
//! reads back only those (never clearing the whole mailbox).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod delivery;
mod failures;
mod overrides;
mod support;
mod worker;
