//! # portico-server
//!
//! The standalone Portico server (binary `portico`): configuration from a TOML file,
//! `PORTICO_*` environment variables and flags ([`config`]); SQLite or PostgreSQL storage with
//! migrations applied at start; the portal, client API and admin API of `portico-http`;
//! mail through SMTP by the outbox worker (or left in the outbox); `/healthz` and `/readyz`;
//! structured logs with a request id per request and no secrets; graceful shutdown; and a
//! demo mode with a seeded agency ([`demo`]).
//!
//! The server is a library too, so that tests start it in process:
//!
//! ```no_run
//! # async fn run() -> Result<(), portico_server::ServerError> {
//! let config = portico_server::Config {
//!     demo: true,
//!     listen: "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!()),
//!     database_url: "sqlite::memory:".into(),
//!     ..portico_server::Config::default()
//! };
//! let running = portico_server::start(config).await?;
//! println!("listening on {}", running.addr());
//! running.shutdown().await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod cli;
pub mod config;
pub mod demo;
pub mod logging;
pub mod server;

pub use config::{Config, ConfigError, HostDataSource, Layers, LogFormat};
pub use server::{Running, ServerError, ShutdownHandle, Started, start, start_with};
