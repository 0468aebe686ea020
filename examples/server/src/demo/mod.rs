//! Demo mode: the demo agency "Harbour & Co" (slug `demo`) with let and for-sale properties,
//! owners, a tenant, a vendor and a buyer; its CRM in process ([`DemoHost`]); and the
//! demo-only pages under `/demo` ([`router`]): an index, a mailbox showing the outbox as the
//! clients would read it, and a small staff console built only on the admin API.
//!
//! Never enable any of this in production: the mailbox shows single-use links by design and
//! the console page carries an admin API key.
//!
//! Wiring (what `serve --demo` does):
//!
//! ```rust,no_run
//! # use std::sync::Arc;
//! # use portico_core::{Access, Clock, Portal, Random, store::Store};
//! # use portico_http::{HttpConfig, PorticoService};
//! # use portico_server::demo::{self, DemoHost, DemoState};
//! # async fn wire(
//! #     portal: Portal, store: Arc<dyn Store>, clock: Arc<dyn Clock>,
//! #     random: Arc<dyn Random>, http: HttpConfig,
//! # ) -> Result<axum::Router, Box<dyn std::error::Error>> {
//! let access = Access::new(store.clone(), Arc::new(DemoHost::new()), clock, random);
//! // Before the outbox worker starts: active demo clients are activated with the link of
//! // their invitation mail, which a worker would deliver and redact.
//! let seed = demo::seed(&portal, &access, "http://127.0.0.1:8080").await?;
//! let service = PorticoService::builder(portal).config(http).access(access).build()?;
//! let app = demo::router(DemoState {
//!     store,
//!     api_key: seed.api_key.clone(),
//!     slug: seed.slug.clone(),
//!     public_base_url: "http://127.0.0.1:8080".into(),
//! })
//! .fallback_service(service);
//! # Ok(app)
//! # }
//! ```
//!
//! Without SMTP, leave mail in the outbox (no delivery worker): the mailbox renders it with
//! `portico-smtp`'s templates. Mail a worker has delivered is shown as redacted.
//!
//! A re-run of [`seed`] restores what the demo plan says (a grant revoked from the console
//! comes back), never duplicates, and leaves passwords and accounts changed since alone.

mod host;
mod pdf;
mod seed;
mod web;

pub use host::{DemoDocument, DemoHost, DemoProperty, PROPERTIES, TEAM, documents_of};
pub use seed::{
    CONSOLE_KEY_NAME, DEMO_AGENCY_NAME, DEMO_PASSWORD, DEMO_SLUG, DemoAccount, clients, seed,
};
pub use web::{DemoState, router};

use portico_core::StoreError;
use portico_core::access::AccessError;
use portico_core::access::grant::GrantError;
use portico_core::access::group::GroupError;
use portico_core::idm::account::AccountError;
use portico_core::idm::agency::AgencyError;
use portico_core::idm::api_key::ApiKeyError;
use portico_core::idm::invitation::{ActivationError, InvitationError};

/// What [`seed`] made (or found): the agency, a fresh console key and the demo clients.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// The demo agency.
    pub agency: portico_core::model::Agency,
    /// The raw admin API key of the console (`pkey_…`), created by this run; the previous
    /// run's key is revoked.
    pub api_key: String,
    /// The agency's slug (`demo`).
    pub slug: String,
    /// The demo clients, in a fixed order.
    pub clients: Vec<DemoClient>,
}

/// A demo client, for the banner and the index page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoClient {
    /// Sign-in email.
    pub email: String,
    /// The demo password if the account is active; `None` while it is invited.
    pub password: Option<String>,
    /// The client's role(s) (`landlord`, `tenant`, `vendor`, `buyer` …).
    pub role: String,
    /// What the client can see.
    pub note: String,
}

/// The demo could not be seeded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The public base URL is not an `http://` or `https://` URL.
    #[error("invalid public base URL for the demo: it must start with http:// or https://")]
    BaseUrl,
    /// The agency could not be created, read or updated.
    #[error("demo agency: {0}")]
    Agency(#[from] AgencyError),
    /// The console key could not be made.
    #[error("demo console API key: {0}")]
    ApiKey(#[from] ApiKeyError),
    /// A client's access could not be set up.
    #[error("demo client {email}: {source}")]
    Account {
        /// The client.
        email: String,
        /// Why.
        #[source]
        source: AccountError,
    },
    /// A client's invitation could not be sent.
    #[error("demo invitation of {email}: {source}")]
    Invitation {
        /// The client.
        email: String,
        /// Why.
        #[source]
        source: InvitationError,
    },
    /// A client could not be activated.
    #[error("demo activation of {email}: {source}")]
    Activation {
        /// The client.
        email: String,
        /// Why.
        #[source]
        source: ActivationError,
    },
    /// The invitation mail of a client was not in the outbox (a mail worker took it?).
    #[error("the invitation mail of {email} is not in the outbox")]
    MailMissing {
        /// The client.
        email: String,
    },
    /// A property or document could not be registered.
    #[error("demo property or document: {0}")]
    Access(#[from] AccessError),
    /// A grant could not be set up.
    #[error("demo grant: {0}")]
    Grant(#[from] GrantError),
    /// A group could not be set up.
    #[error("demo group: {0}")]
    Group(#[from] GroupError),
    /// Storage failed.
    #[error("demo storage: {0}")]
    Store(#[from] StoreError),
}
