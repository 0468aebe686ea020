//! Access: who may see which property, which widgets and which documents — and the one
//! place that decides it ([`Access::authorize`]).
//!
//! The [`Access`] service holds the storage ports, the host-data port, the clock, the random
//! generator and the widget registry. Staff operations (grants, groups, properties,
//! documents, settings, preview) take a [`Staff`] context whose agency comes from the
//! authenticated admin API key, never from the request body (checklist 37). Client operations
//! take the [`Principal`](crate::model::Principal) established from a live session; every one of them goes through
//! the decision point, which reads grants from the store afresh each time (checklist 38).
//!
//! Every method that depends on time takes `now` explicitly: expiry is a pure function of it.

pub mod document;
pub mod grant;
pub mod group;
pub mod policy;
pub mod portfolio;
pub mod preview;
pub mod property;
pub mod records;

#[cfg(test)]
mod tests;

use crate::access_store::{DocumentStore, GrantStore, GroupStore, PropertyStore};
use crate::error::{RandomError, StoreError};
use crate::host::{HostData, HostError};
use crate::ids::*;
use crate::model::{Actor, AuditEvent, AuditKind, sanitize_text};
use crate::store::{AccountStore, AgencyStore, AuditStore, SessionStore, Store};
use crate::widget::WidgetRegistry;
use crate::{Clock, Random};
use std::net::IpAddr;
use std::sync::Arc;
use thiserror::Error;
use time::OffsetDateTime;

pub use policy::{Action, Decision, EffectiveAccess, Reason, Resource, Via};
pub use records::*;

/// The storage ports access reads and writes. Every [`Store`] is one; so is `dyn Store`.
pub trait AccessPorts:
    AgencyStore
    + AccountStore
    + SessionStore
    + AuditStore
    + PropertyStore
    + GrantStore
    + GroupStore
    + DocumentStore
{
}

impl<T> AccessPorts for T where
    T: ?Sized
        + AgencyStore
        + AccountStore
        + SessionStore
        + AuditStore
        + PropertyStore
        + GrantStore
        + GroupStore
        + DocumentStore
{
}

/// Default time limit of one widget's fetch on a dashboard.
pub const DEFAULT_WIDGET_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// A staff member acting through the host CRM's admin API: the agency comes from the
/// authenticated API key, the name from the CRM (free text, sanitised when recorded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    /// The agency of the API key used (the only agency the call may touch).
    pub agency: AgencyId,
    /// The API key used, if any.
    pub key: Option<ApiKeyId>,
    /// The staff member as the CRM names them.
    pub name: String,
    /// Where the call came from.
    pub address: Option<IpAddr>,
}

impl Staff {
    /// The actor recorded in audit events.
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            key: self.key,
            staff: sanitize_text(&self.name, 100),
        }
    }
}

/// A failure of a client read or of a staff write on properties, documents or settings.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AccessError {
    /// Unknown here, or another agency's (answered alike: HTTP 404).
    #[error("not found")]
    NotFound,
    /// The decision point refused (HTTP 403). The reason is for logs and staff, not clients.
    #[error("access denied: {0}")]
    Denied(Reason),
    /// A staff preview tried to change something (HTTP 403).
    #[error("a preview session is read-only")]
    ReadOnly,
    /// Input out of range.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is expected.
        reason: &'static str,
    },
    /// A uniqueness rule was broken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The host CRM failed.
    #[error(transparent)]
    Host(#[from] HostError),
    /// Storage failed (fail closed).
    #[error(transparent)]
    Store(StoreError),
    /// The random generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl From<StoreError> for AccessError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AccessError::NotFound,
            StoreError::Conflict(c) => AccessError::Conflict(c),
            other => AccessError::Store(other),
        }
    }
}

/// The access service. Cheap to clone.
///
/// Generic over its storage so that any set of adapters implementing [`AccessPorts`] can
/// back it; the portal uses the default, `Access<dyn Store>`.
pub struct Access<S: ?Sized + AccessPorts = dyn Store> {
    pub(crate) store: Arc<S>,
    pub(crate) host: Arc<dyn HostData>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    pub(crate) widgets: Arc<WidgetRegistry>,
    pub(crate) widget_timeout: std::time::Duration,
    pub(crate) preview_lifetime: time::Duration,
}

impl<S: ?Sized + AccessPorts> Clone for Access<S> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            host: Arc::clone(&self.host),
            clock: Arc::clone(&self.clock),
            random: Arc::clone(&self.random),
            widgets: Arc::clone(&self.widgets),
            widget_timeout: self.widget_timeout,
            preview_lifetime: self.preview_lifetime,
        }
    }
}

impl<S: ?Sized + AccessPorts> std::fmt::Debug for Access<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("widgets", &self.widgets)
            .field("widget_timeout", &self.widget_timeout)
            .finish_non_exhaustive()
    }
}

impl<S: ?Sized + AccessPorts> Access<S> {
    /// A service with the built-in widgets and the default widget time limit (2 s).
    pub fn new(
        store: Arc<S>,
        host: Arc<dyn HostData>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Self {
        Self {
            store,
            host,
            clock,
            random,
            widgets: Arc::new(WidgetRegistry::builtin()),
            widget_timeout: DEFAULT_WIDGET_TIMEOUT,
            preview_lifetime: preview::PREVIEW_LIFETIME,
        }
    }

    /// Sets the lifetime of staff preview sessions (the portal's `preview_lifetime`); never
    /// more than [`preview::PREVIEW_LIFETIME`] (15 minutes), never less than one minute.
    pub fn with_preview_lifetime(mut self, lifetime: time::Duration) -> Self {
        self.preview_lifetime =
            lifetime.clamp(time::Duration::minutes(1), preview::PREVIEW_LIFETIME);
        self
    }

    /// Replaces the widget registry (to add a host's own widgets).
    pub fn with_widgets(mut self, widgets: WidgetRegistry) -> Self {
        self.widgets = Arc::new(widgets);
        self
    }

    /// Sets the time limit of one widget's fetch.
    pub fn with_widget_timeout(mut self, limit: std::time::Duration) -> Self {
        self.widget_timeout = limit;
        self
    }

    /// The widget registry.
    pub fn widgets(&self) -> &WidgetRegistry {
        &self.widgets
    }

    /// The current time from the clock port (for callers without a request time at hand).
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The storage.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    #[allow(clippy::too_many_arguments)]
    fn audit_event(
        &self,
        agency: AgencyId,
        at: OffsetDateTime,
        actor: Actor,
        account: Option<AccountId>,
        kind: AuditKind,
        address: Option<IpAddr>,
        detail: &str,
    ) -> Result<AuditEvent, RandomError> {
        Ok(AuditEvent {
            id: AuditId::from_random_bytes(self.random.bytes16()?),
            agency,
            at,
            actor,
            account,
            kind,
            address,
            detail: sanitize_text(detail, 500),
        })
    }

    fn staff_event(
        &self,
        staff: &Staff,
        at: OffsetDateTime,
        account: Option<AccountId>,
        kind: AuditKind,
        detail: &str,
    ) -> Result<AuditEvent, RandomError> {
        self.audit_event(
            staff.agency,
            at,
            staff.actor(),
            account,
            kind,
            staff.address,
            detail,
        )
    }
}

/// Checks a piece of outside text: trimmed, 1 to `max` characters, no control characters.
pub(crate) fn clean_text(
    value: &str,
    field: &'static str,
    max: usize,
) -> Result<String, (&'static str, &'static str)> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err((
            field,
            "must be 1 to the maximum characters, without control characters",
        ));
    }
    Ok(v.to_string())
}
