//! The portfolio: the properties a login can see, so that a client with several picks one.

use super::policy::Via;
use super::records::*;
use super::{Access, AccessError, AccessPorts, Reason};
use crate::error::StoreError;
use crate::ids::*;
use crate::model::{AccountStatus, Principal};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// One property of a portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortfolioEntry {
    /// The property.
    pub property: PropertyId,
    /// Address or name.
    pub display_name: String,
    /// Let or for sale.
    pub kind: PropertyKind,
    /// Roles held on it.
    pub roles: BTreeSet<Role>,
    /// Groups through which access comes (empty if only direct).
    pub via_groups: BTreeSet<String>,
}

impl<S: ?Sized + AccessPorts> Access<S> {
    /// The properties the principal can see now: those with a live grant reaching the
    /// account, minus the kinds the agency hides. By display name.
    pub async fn portfolio(
        &self,
        principal: &Principal,
        now: OffsetDateTime,
    ) -> Result<Vec<PortfolioEntry>, AccessError> {
        let account = match self
            .store
            .account(principal.agency, principal.account)
            .await
        {
            Ok(a) if a.agency == principal.agency => a,
            Ok(_) | Err(StoreError::NotFound) => return Err(AccessError::NotFound),
            Err(e) => return Err(AccessError::Store(e)),
        };
        if account.status == AccountStatus::Disabled {
            return Err(AccessError::Denied(Reason::AccountDisabled));
        }
        let settings = self.store.agency(principal.agency).await?.settings;
        let held = self
            .held_grants(principal.agency, principal.account, None)
            .await?;
        let mut by_property: BTreeMap<PropertyId, (BTreeSet<Role>, BTreeSet<String>)> =
            BTreeMap::new();
        for h in held
            .iter()
            .filter(|h| h.grant.validity(now) == Validity::Live)
        {
            let e = by_property.entry(h.grant.property).or_default();
            e.0.insert(h.grant.role);
            if let Via::Group { name, .. } = &h.via {
                e.1.insert(name.clone());
            }
        }
        let ids: Vec<PropertyId> = by_property.keys().copied().collect();
        let properties = self.store.properties(principal.agency, &ids).await?;
        self.preview_viewed(principal, now, "portfolio").await?;
        Ok(properties
            .into_iter()
            .filter(|p| p.agency == principal.agency)
            .filter(|p| match p.kind {
                PropertyKind::Lettings => !settings.hide_lettings,
                PropertyKind::Sales => !settings.hide_sales,
            })
            .filter_map(|p| {
                let (roles, via_groups) = by_property.remove(&p.id)?;
                Some(PortfolioEntry {
                    property: p.id,
                    display_name: p.display_name,
                    kind: p.kind,
                    roles,
                    via_groups,
                })
            })
            .collect())
    }
}
