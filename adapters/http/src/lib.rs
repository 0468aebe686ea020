//! # portico-http
//!
//! Portico over HTTP: one [`PorticoService`], a `Clone` tower [`Service`](tower::Service) with
//! `Error = Infallible`, that answers
//!
//! - the **portal pages** under `/p/{agency_slug}/…` (server-rendered HTML that works without
//!   JavaScript: sign in, sign out, activate, forgotten password, reset, sign in with a code,
//!   confirm a new email address, the signed-in home);
//! - the **client JSON API** under `/api/v1/{agency_slug}/…` for hosts that build their own
//!   front end, documented by the OpenAPI 3.1 document at `/api/v1/openapi.json`;
//! - the **admin API** under `/admin/v1/…` for the host CRM, authenticated by an agency's API
//!   key (`Authorization: Bearer pkey_…`);
//! - with an [`Access`](portico_core::Access) service, the portfolio, dashboards, statements and
//!   documents for clients, and properties, grants, groups, document shares and staff preview for
//!   the CRM.
//!
//! [`HttpHostData`] is core's host-data port over HTTP, for CRMs in any language
//! (`docs/HOST-DATA.md`).
//!
//! Handlers only translate HTTP to [`Portal`](portico_core::Portal) calls and back: every rule lives in
//! `portico-core`. Around them this crate adds the web-security layer: `__Host-` session
//! cookies, CSRF tokens bound to the session (or to a pre-session cookie on the sign-in forms),
//! Fetch-Metadata and `Origin` checks, security headers, a request body limit and per-address
//! rate limits in front of core's own throttling.
//!
//! ```no_run
//! # async fn demo(portal: portico_core::Portal) -> Result<(), Box<dyn std::error::Error>> {
//! use portico_http::{HttpConfig, PorticoService};
//! let config = HttpConfig::new(*b"0123456789abcdef0123456789abcdef")?;
//! let service = PorticoService::builder(portal).config(config).build()?;
//! // axum: Router::new().nest_service("/portal", service)
//! // hyper: hyper_util::service::TowerToHyperService::new(service)
//! # let _ = service; Ok(()) }
//! ```
//!
//! The client address (for rate limits, throttling and the audit log) is taken from a
//! [`ClientAddress`] request extension if the host set one, else from axum's
//! `ConnectInfo<SocketAddr>`; `X-Forwarded-For` is read only when [`TrustedProxy`] says so.
#![warn(missing_docs)]

mod admin;
mod admin_access;
mod api;
mod bootstrap;
mod config;
mod error;
mod extract;
#[doc(hidden)]
pub mod fuzzing;
pub mod host_data;
pub mod openapi;
mod pages;
mod portfolio;
mod ratelimit;
mod security;
mod service;

pub use bootstrap::{BootstrapError, Bootstrapped, bootstrap_agency};
pub use config::{ConfigError, CsrfSecret, HttpConfig, RateLimit, RateLimits, TrustedProxy};
pub use host_data::{HostClientConfig, HostClientError, HttpHostData};
pub use service::{ClientAddress, PorticoService, PorticoServiceBuilder, ResponseBody};

/// The error type a boxed body may carry.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
