//! Admin API keys of an agency (checklist 40): 256 random bits, shown once, stored as SHA-256
//! with a 12-character lookup prefix, revocable, rotatable, optionally expiring.

use crate::ids::*;
use crate::model::*;
use crate::portal::{Internal, Portal, RequestContext};
use crate::secret::RawToken;
use crate::token::{self, TokenKind};
use thiserror::Error;
use time::OffsetDateTime;

/// Length of the stored lookup prefix (`pkey_` and 7 characters of the random part).
pub const PREFIX_LEN: usize = 12;

/// Why an API key operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// Unknown, malformed, revoked or expired key. The caller learns no more.
    #[error("invalid API key")]
    Invalid,
    /// The name is empty or too long.
    #[error("the key name must be 1 to 100 characters")]
    InvalidName,
    /// The expiry is in the past.
    #[error("the expiry must be in the future")]
    InvalidExpiry,
    /// No such key in this agency.
    #[error("no such key")]
    NotFound,
    /// Storage or randomness failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<crate::error::StoreError> for ApiKeyError {
    fn from(e: crate::error::StoreError) -> Self {
        match e {
            crate::error::StoreError::NotFound => ApiKeyError::NotFound,
            other => ApiKeyError::Internal(other.into()),
        }
    }
}

/// A new key: the record and the raw key, to show once.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// The stored record.
    pub key: ApiKey,
    /// The key itself. Never stored; show it once.
    pub raw: RawToken,
}

impl Portal {
    /// Creates an admin API key for the agency.
    pub async fn create_api_key(
        &self,
        agency: AgencyId,
        actor: Actor,
        name: &str,
        expires_at: Option<OffsetDateTime>,
        ctx: &RequestContext,
    ) -> Result<NewApiKey, ApiKeyError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(ApiKeyError::InvalidName);
        }
        let now = self.now();
        if expires_at.is_some_and(|e| e <= now) {
            return Err(ApiKeyError::InvalidExpiry);
        }
        self.store.agency(agency).await?;
        let raw =
            token::generate(TokenKind::ApiKey, self.random.as_ref()).map_err(Internal::from)?;
        let key = ApiKey {
            id: ApiKeyId::from_random_bytes(self.random.bytes16().map_err(Internal::from)?),
            agency,
            name: name.to_string(),
            prefix: raw.expose()[..PREFIX_LEN].to_string(),
            hash: raw.hash(),
            created_at: now,
            expires_at,
            revoked_at: None,
        };
        let audit = self
            .audit_event(
                agency,
                now,
                actor,
                None,
                AuditKind::ApiKeyCreated,
                ctx,
                &format!("key {} ({})", key.prefix, key.name),
            )
            .map_err(Internal::from)?;
        self.store.insert_api_key(&key, &audit).await?;
        Ok(NewApiKey { key, raw })
    }

    /// Checks a presented API key and returns its record (which names the agency).
    pub async fn authenticate_api_key(&self, presented: &str) -> Result<ApiKey, ApiKeyError> {
        let raw = token::parse(TokenKind::ApiKey, presented).map_err(|_| ApiKeyError::Invalid)?;
        let now = self.now();
        let hash = raw.hash();
        let candidates = self
            .store
            .api_keys_by_prefix(&raw.expose()[..PREFIX_LEN])
            .await?;
        // Constant-time comparison of the full hash against each candidate.
        let found = candidates.into_iter().find(|k| k.hash == hash);
        match found {
            Some(k) if k.is_live(now) => Ok(k),
            _ => Err(ApiKeyError::Invalid),
        }
    }

    /// Keys of an agency (no secrets: prefix, name, dates).
    pub async fn api_keys(&self, agency: AgencyId) -> Result<Vec<ApiKey>, ApiKeyError> {
        Ok(self.store.api_keys(agency).await?)
    }

    /// Revokes a key at once.
    pub async fn revoke_api_key(
        &self,
        agency: AgencyId,
        actor: Actor,
        id: ApiKeyId,
        ctx: &RequestContext,
    ) -> Result<(), ApiKeyError> {
        let now = self.now();
        let audit = self
            .audit_event(
                agency,
                now,
                actor,
                None,
                AuditKind::ApiKeyRevoked,
                ctx,
                &format!("key {id}"),
            )
            .map_err(Internal::from)?;
        self.store.revoke_api_key(agency, id, now, &audit).await?;
        Ok(())
    }

    /// Rotates a key: a new key with the same name and expiry, and the old one revoked.
    pub async fn rotate_api_key(
        &self,
        agency: AgencyId,
        actor: Actor,
        id: ApiKeyId,
        ctx: &RequestContext,
    ) -> Result<NewApiKey, ApiKeyError> {
        let old = self
            .store
            .api_keys(agency)
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or(ApiKeyError::NotFound)?;
        let new = self
            .create_api_key(agency, actor.clone(), &old.name, old.expires_at, ctx)
            .await?;
        self.revoke_api_key(agency, actor, id, ctx).await?;
        Ok(new)
    }

    /// The audit log of an agency, newest first, filtered and paged.
    pub async fn audit_log(
        &self,
        agency: AgencyId,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, Internal> {
        Ok(self.store.audit(agency, query).await?)
    }
}
