//! The very first agency and key of a deployment, from Rust (the standalone server's
//! `bootstrap` command calls this; the admin API needs a key to start with).

use portico_core::Portal;
use portico_core::RequestContext;
use portico_core::idm::agency::AgencyError;
use portico_core::idm::api_key::{ApiKeyError, NewApiKey};
use portico_core::model::{Actor, Agency, AgencySettings};
use thiserror::Error;

/// Why bootstrapping failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BootstrapError {
    /// The agency could not be created (slug taken, invalid settings, storage).
    #[error(transparent)]
    Agency(#[from] AgencyError),
    /// The agency was created but its first key could not be.
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
}

/// A new agency and its first admin API key.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    /// The agency.
    pub agency: Agency,
    /// Its first key: `raw` is shown once, never stored.
    pub key: NewApiKey,
}

/// Creates an agency and its first admin API key (named `key_name`). The audit records the
/// actor as the system.
pub async fn bootstrap_agency(
    portal: &Portal,
    slug: &str,
    name: &str,
    settings: AgencySettings,
    key_name: &str,
) -> Result<Bootstrapped, BootstrapError> {
    let agency = portal.create_agency(slug, name, settings).await?;
    let key = portal
        .create_api_key(
            agency.id,
            Actor::System,
            key_name,
            None,
            &RequestContext::default(),
        )
        .await?;
    Ok(Bootstrapped { agency, key })
}
