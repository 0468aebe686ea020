//! The storage conformance suite of portico-core, every behaviour sharing this run's schema
//! (the suite is written for that: each behaviour makes its own agencies).
//!
//! The factory returns from the test (skipping it) when no server is configured.

portico_core::conformance_tests!({
    let url = pg_url!();
    async move { crate::common::store(&url).await }
});
