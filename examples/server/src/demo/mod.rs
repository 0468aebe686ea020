//! Demo mode: the demo agency, its host data, and the `/demo` pages.
//!
//! PLACEHOLDER: the real module (demo data behind every widget, the mailbox, the staff
//! console) comes from the `demo` branch and replaces this file at merge. Only the signatures
//! here are relied on by the server.

use async_trait::async_trait;
use portico_core::host::{DocumentContent, HostData, HostError, HostProperty};
use portico_core::model::{Actor, Agency, AgencySettings};
use portico_core::{Access, Portal, RequestContext, StoreError};
use std::sync::Arc;

/// The demo CRM behind the widgets.
#[derive(Debug, Clone, Default)]
pub struct DemoHost;

impl DemoHost {
    /// The demo data.
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl HostData for DemoHost {
    async fn document_content(
        &self,
        _property: &HostProperty,
        _document_ref: &str,
    ) -> Result<DocumentContent, HostError> {
        Err(HostError::Unsupported)
    }
}

/// What the demo seed made.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// The demo agency.
    pub agency: Agency,
    /// A fresh staff API key (`pkey_…`), shown once.
    pub api_key: String,
    /// The agency's slug (`demo`).
    pub slug: String,
    /// The demo clients.
    pub clients: Vec<DemoClient>,
}

/// One demo client.
#[derive(Debug, Clone)]
pub struct DemoClient {
    /// Sign-in email.
    pub email: String,
    /// Password, if the account is active.
    pub password: Option<String>,
    /// Role (landlord, tenant…).
    pub role: String,
    /// What to try with it.
    pub note: String,
}

/// Why the demo seed failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Creating the agency or its key failed.
    #[error(transparent)]
    Bootstrap(#[from] portico_http::BootstrapError),
    /// Creating a key failed.
    #[error(transparent)]
    ApiKey(#[from] portico_core::idm::api_key::ApiKeyError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Idempotent seed of the demo agency (slug "demo"); on a re-run it finds the agency and
/// issues a fresh console API key.
pub async fn seed(
    portal: &Portal,
    _access: &Access,
    public_base_url: &str,
) -> Result<DemoSeed, DemoError> {
    let slug = "demo".to_string();
    let (agency, key) = match portal.store().agency_by_slug(&slug).await {
        Ok(agency) => {
            let key = portal
                .create_api_key(
                    agency.id,
                    Actor::System,
                    "demo console",
                    None,
                    &RequestContext::default(),
                )
                .await?;
            (agency, key)
        }
        Err(StoreError::NotFound) => {
            let settings = AgencySettings {
                portal_base_url: format!("{}/p/{slug}", public_base_url.trim_end_matches('/')),
                email_code_sign_in: true,
                ..AgencySettings::default()
            };
            let b = portico_http::bootstrap_agency(
                portal,
                &slug,
                "Demo Lettings & Sales",
                settings,
                "demo console",
            )
            .await?;
            (b.agency, b.key)
        }
        Err(e) => return Err(e.into()),
    };
    Ok(DemoSeed {
        agency,
        api_key: key.raw.expose().to_string(),
        slug,
        clients: Vec::new(),
    })
}

/// What the demo pages need.
#[derive(Clone)]
pub struct DemoState {
    /// The store (the mailbox reads the outbox).
    pub store: Arc<dyn portico_core::store::Store>,
    /// The console's API key.
    pub api_key: String,
    /// The demo agency's slug.
    pub slug: String,
    /// Public base URL of the server.
    pub public_base_url: String,
}

/// Routes under /demo: /demo/ (index), /demo/mailbox (outbox mail, demo only), /demo/console
/// (staff console over the admin API).
pub fn router(_state: DemoState) -> axum::Router {
    axum::Router::new().route(
        "/demo/",
        axum::routing::get(|| async { "Portico demo (placeholder)" }),
    )
}
