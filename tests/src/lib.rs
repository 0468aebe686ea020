//! # portico-e2e
//!
//! Support for Portico's workspace-level end-to-end tests: a real headless Chromium driven
//! over WebDriver (Debian's `chromium` and `chromium-driver`), pointed at the standalone
//! server (`portico-server`) started in-process on a loopback port.
//!
//! The browser tests read `PORTICO_TEST_CHROMEDRIVER` (the `chromedriver` binary) and
//! `PORTICO_TEST_CHROMIUM` (the browser); without them they print `SKIPPED:` and pass, unless
//! `PORTICO_REQUIRE_SERVICES=1` (CI), where a missing browser fails the run.
#![warn(missing_docs)]

pub mod browser;

use std::io::Write as _;

/// Returns the value of `var`, or `None` after announcing the skip on stderr (a failure
/// under `PORTICO_REQUIRE_SERVICES=1`).
pub fn service_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            let required = std::env::var("PORTICO_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
            assert!(!required, "{var} not set, and PORTICO_REQUIRE_SERVICES=1");
            let _ = writeln!(std::io::stderr(), "SKIPPED: {var} not set");
            None
        }
    }
}

/// Where screenshots go: `target/e2e-screenshots` at the workspace root.
pub fn screenshot_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("e2e-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The process-wide capture of every `tracing` event (TRACE and up) of the in-process
/// servers the end-to-end tests start, installed on first use, so that a test can scan the
/// server's logs for secrets (issue 9, item 7).
pub fn global_log_capture() -> &'static portico_core::testing::secrets::LogCapture {
    static CAPTURE: std::sync::OnceLock<portico_core::testing::secrets::LogCapture> =
        std::sync::OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = portico_core::testing::secrets::LogCapture::new();
        // An error means another subscriber was installed first; the capture then stays
        // empty and the scanning test says so (it asserts the capture saw requests).
        let _ = tracing::dispatcher::set_global_default(capture.dispatch());
        capture
    })
}
