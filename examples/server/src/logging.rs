//! Structured logs with `tracing`: human-readable or JSON lines on standard error, the level
//! from `RUST_LOG` (default `info`).
//!
//! What is logged about requests is chosen in [`crate::server::observe`]: a request id,
//! method, path without its query string, status and latency. Headers, cookies, query strings
//! and bodies are never logged.

use crate::config::LogFormat;
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The default filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,hyper=warn,lettre=warn";

/// A subscriber in `format` writing to `writer` (tests pass a buffer); `ansi`: colours in
/// the pretty format.
pub fn subscriber<W>(format: LogFormat, writer: W, ansi: bool) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    match format {
        LogFormat::Pretty => Box::new(
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_writer(writer)
                .with_target(false)
                .with_ansi(ansi)
                .finish(),
        ),
        LogFormat::Json => Box::new(
            tracing_subscriber::fmt()
                .json()
                .with_env_filter(filter)
                .with_writer(writer)
                .with_current_span(true)
                .with_span_list(false)
                .finish(),
        ),
    }
}

/// Installs the process-wide subscriber (standard error). A second call does nothing.
pub fn init(format: LogFormat) {
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    let _ = tracing::subscriber::set_global_default(subscriber(format, std::io::stderr, ansi));
}
