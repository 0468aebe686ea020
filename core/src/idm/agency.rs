//! Agencies: creating a tenant and changing its settings.

use crate::error::StoreError;
use crate::ids::AgencyId;
use crate::model::*;
use crate::portal::{Internal, Portal, RequestContext};
use thiserror::Error;

/// Why an agency could not be created or changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AgencyError {
    /// The slug is not 2–63 characters of `a-z`, `0-9` and `-`.
    #[error("the agency slug must be 2 to 63 characters of a-z, 0-9 and '-'")]
    InvalidSlug,
    /// The name is empty or longer than 200 characters.
    #[error("the agency name must be 1 to 200 characters")]
    InvalidName,
    /// Another agency has this slug.
    #[error("an agency with this slug exists")]
    SlugTaken,
    /// No such agency.
    #[error("no such agency")]
    NotFound,
    /// A setting is out of range.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// Storage or randomness failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<StoreError> for AgencyError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AgencyError::NotFound,
            other => AgencyError::Internal(other.into()),
        }
    }
}

fn valid_slug(slug: &str) -> bool {
    (2..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

fn valid_name(name: &str) -> bool {
    let n = name.trim();
    !n.is_empty() && n.chars().count() <= 200 && !n.chars().any(char::is_control)
}

impl Portal {
    /// Creates an agency (a tenant) with validated settings.
    pub async fn create_agency(
        &self,
        slug: &str,
        name: &str,
        settings: AgencySettings,
    ) -> Result<Agency, AgencyError> {
        if !valid_slug(slug) {
            return Err(AgencyError::InvalidSlug);
        }
        if !valid_name(name) {
            return Err(AgencyError::InvalidName);
        }
        settings.validate()?;
        let agency = Agency {
            id: AgencyId::from_random_bytes(self.random.bytes16().map_err(Internal::from)?),
            slug: slug.to_string(),
            name: name.trim().to_string(),
            settings,
            created_at: self.now(),
        };
        match self.store.insert_agency(&agency).await {
            Ok(()) => Ok(agency),
            Err(StoreError::Conflict(_)) => Err(AgencyError::SlugTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads an agency.
    pub async fn agency(&self, id: AgencyId) -> Result<Agency, AgencyError> {
        Ok(self.store.agency(id).await?)
    }

    /// Reads an agency by its slug.
    pub async fn agency_by_slug(&self, slug: &str) -> Result<Agency, AgencyError> {
        if !valid_slug(slug) {
            return Err(AgencyError::NotFound);
        }
        Ok(self.store.agency_by_slug(slug).await?)
    }

    /// Replaces an agency's name and settings after validating them; audited.
    pub async fn update_agency(
        &self,
        id: AgencyId,
        actor: Actor,
        name: &str,
        settings: AgencySettings,
        ctx: &RequestContext,
    ) -> Result<Agency, AgencyError> {
        if !valid_name(name) {
            return Err(AgencyError::InvalidName);
        }
        settings.validate()?;
        let mut agency = self.store.agency(id).await?;
        agency.name = name.trim().to_string();
        agency.settings = settings;
        self.store.update_agency(&agency).await?;
        self.audit(id, actor, None, AuditKind::SettingsChanged, ctx, "")
            .await?;
        Ok(agency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(valid_slug("acme-lettings"));
        assert!(valid_slug("a1"));
        for bad in [
            "a",
            "-acme",
            "acme-",
            "Acme",
            "ac me",
            "acmé",
            &"a".repeat(64),
        ] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }
}
