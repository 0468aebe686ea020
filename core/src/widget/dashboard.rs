//! Dashboard composition for one property: the widgets the agency shows, for the property's
//! kind, that the viewer's grants allow — fetched concurrently, each within a time limit. A
//! widget that fails or runs late shows as unavailable while the rest render. Buyers' names
//! are redacted per the grant before anything is returned.

use super::{Widget, WidgetContext, WidgetData, ids, redact};
use crate::access::policy::{Action, EffectiveAccess, Loaded, Resource, decide};
use crate::access::records::*;
use crate::access::{Access, AccessError, AccessPorts};
use crate::host::{HostError, HostProperty, Period, Statement};
use crate::ids::*;
use crate::model::Principal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use time::OffsetDateTime;

/// Longest statement period a client may ask for, in days.
pub const MAX_STATEMENT_DAYS: i64 = 366;

/// Why a widget shows as unavailable (no host detail reaches the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// The host answered with an error.
    Failed,
    /// The host did not answer within the time limit.
    TimedOut,
    /// The host does not provide this data.
    Unsupported,
}

/// A widget's state on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WidgetState {
    /// Data to show.
    Ready {
        /// The data (already redacted).
        data: WidgetData,
    },
    /// Could not be loaded now.
    Unavailable {
        /// Why.
        reason: Unavailable,
    },
}

/// One widget on the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetView {
    /// Widget id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Data or unavailable.
    #[serde(flatten)]
    pub state: WidgetState,
}

/// A property's dashboard as one viewer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The property.
    pub property: PropertyId,
    /// Address or name.
    pub display_name: String,
    /// Let or for sale.
    pub kind: PropertyKind,
    /// Roles the viewer holds on it.
    pub roles: BTreeSet<Role>,
    /// The widgets, in registry order.
    pub widgets: Vec<WidgetView>,
}

fn host_property(loaded: &Loaded, access: &EffectiveAccess, now: OffsetDateTime) -> HostProperty {
    HostProperty {
        agency: loaded.property.agency,
        host_ref: loaded.property.host_ref.clone(),
        kind: loaded.property.kind,
        role: loaded
            .live(now)
            .first()
            .map(|h| h.grant.role)
            .or_else(|| access.roles.iter().next().copied())
            .unwrap_or(Role::Customer),
    }
}

impl<S: ?Sized + AccessPorts> Access<S> {
    /// The dashboard of one property for the principal (client or preview).
    pub async fn dashboard(
        &self,
        principal: &Principal,
        property: PropertyId,
        now: OffsetDateTime,
    ) -> Result<Dashboard, AccessError> {
        let loaded = self
            .enforce(principal, &Action::View, &Resource::Property(property), now)
            .await?;
        let access = loaded.effective(now);
        let preview = principal.is_preview();
        let shown: Vec<Arc<dyn Widget>> = self
            .widgets
            .iter()
            .filter(|w| {
                decide(
                    preview,
                    &Action::ViewWidget(w.id().to_string()),
                    &loaded,
                    &self.widgets,
                    now,
                )
                .allowed
            })
            .cloned()
            .collect();
        let widgets = self.render(&loaded, &access, &shown, now).await?;
        self.preview_viewed(principal, now, &format!("dashboard of property {property}"))
            .await?;
        Ok(Dashboard {
            property,
            display_name: loaded.property.display_name.clone(),
            kind: loaded.property.kind,
            roles: access.roles,
            widgets,
        })
    }

    /// One widget of a property's dashboard (to refresh it alone).
    pub async fn widget(
        &self,
        principal: &Principal,
        property: PropertyId,
        widget: &str,
        now: OffsetDateTime,
    ) -> Result<Option<WidgetView>, AccessError> {
        let loaded = self
            .enforce(
                principal,
                &Action::ViewWidget(widget.to_string()),
                &Resource::Property(property),
                now,
            )
            .await?;
        let access = loaded.effective(now);
        let Some(w) = self.widgets.get(widget).cloned() else {
            return Err(AccessError::NotFound);
        };
        let mut views = self.render(&loaded, &access, &[w], now).await?;
        self.preview_viewed(
            principal,
            now,
            &format!("widget {widget} of property {property}"),
        )
        .await?;
        Ok(views.pop())
    }

    /// Generates a property statement for `period` on demand (the statement widget).
    pub async fn statement(
        &self,
        principal: &Principal,
        property: PropertyId,
        period: Period,
        now: OffsetDateTime,
    ) -> Result<Statement, AccessError> {
        if period.from > period.to || (period.to - period.from).whole_days() >= MAX_STATEMENT_DAYS {
            return Err(AccessError::Invalid {
                field: "period",
                reason: "must run forwards and span at most 366 days",
            });
        }
        let loaded = self
            .enforce(
                principal,
                &Action::ViewWidget(ids::PROPERTY_STATEMENT.to_string()),
                &Resource::Property(property),
                now,
            )
            .await?;
        let access = loaded.effective(now);
        let hp = host_property(&loaded, &access, now);
        let statement =
            match tokio::time::timeout(self.widget_timeout, self.host.statement(&hp, period)).await
            {
                Ok(r) => r?,
                Err(_) => {
                    return Err(AccessError::Host(HostError::Unavailable(
                        "timed out".into(),
                    )));
                }
            };
        self.preview_viewed(principal, now, &format!("statement of property {property}"))
            .await?;
        Ok(statement)
    }

    async fn render(
        &self,
        loaded: &Loaded,
        access: &EffectiveAccess,
        shown: &[Arc<dyn Widget>],
        now: OffsetDateTime,
    ) -> Result<Vec<WidgetView>, AccessError> {
        let documents: Vec<SharedDocument> = self
            .store
            .documents_of(loaded.property.agency, loaded.property.id)
            .await?
            .into_iter()
            .filter(|d| access.scopes.contains(&Scope::Documents(d.category)))
            .collect();
        let ctx = WidgetContext {
            host: self.host.as_ref(),
            property: &loaded.property,
            host_property: host_property(loaded, access, now),
            documents: &documents,
            buyer_names: access.buyer_names,
            now,
        };
        let limit = self.widget_timeout;
        let ctx = &ctx;
        let fetches = shown.iter().map(|w| async move {
            let result = tokio::time::timeout(limit, w.fetch(ctx)).await;
            (w, result)
        });
        let results = futures::future::join_all(fetches).await;
        let mut views = Vec::with_capacity(results.len());
        for (w, result) in results {
            let state = match result {
                Ok(Ok(Some(mut data))) => {
                    redact(&mut data, access.buyer_names);
                    WidgetState::Ready { data }
                }
                Ok(Ok(None)) => continue,
                Ok(Err(HostError::Unsupported)) => WidgetState::Unavailable {
                    reason: Unavailable::Unsupported,
                },
                Ok(Err(e)) => {
                    tracing::warn!(widget = w.id(), error = %e, "widget fetch failed");
                    WidgetState::Unavailable {
                        reason: Unavailable::Failed,
                    }
                }
                Err(_) => {
                    tracing::warn!(widget = w.id(), "widget fetch timed out");
                    WidgetState::Unavailable {
                        reason: Unavailable::TimedOut,
                    }
                }
            };
            views.push(WidgetView {
                id: w.id().to_string(),
                title: w.title().to_string(),
                state,
            });
        }
        Ok(views)
    }
}
