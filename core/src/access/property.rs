//! Properties as the CRM declares them, and the agency's visibility settings.

use super::records::*;
use super::{Access, AccessError, AccessPorts, Staff, clean_text};
use crate::ids::*;
use crate::model::AuditKind;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Longest CRM reference.
pub const MAX_HOST_REF: usize = 200;
/// Longest display name or title.
pub const MAX_DISPLAY: usize = 300;

/// A property as the CRM declares it (created, or updated by its `host_ref`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropertySpec {
    /// The CRM's identifier.
    pub host_ref: String,
    /// Let or for sale.
    pub kind: PropertyKind,
    /// Address or name shown to clients.
    pub display_name: String,
    /// Property manager.
    #[serde(default)]
    pub manager: Option<StaffRef>,
    /// Negotiator.
    #[serde(default)]
    pub negotiator: Option<StaffRef>,
    /// Valuer.
    #[serde(default)]
    pub valuer: Option<StaffRef>,
}

/// What the agency shows: widgets hidden for every client, kinds of property hidden.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Visibility {
    /// Widget ids hidden for all clients.
    pub hidden_widgets: Vec<String>,
    /// Hide let properties altogether.
    pub hide_lettings: bool,
    /// Hide properties for sale altogether.
    pub hide_sales: bool,
}

fn invalid((field, reason): (&'static str, &'static str)) -> AccessError {
    AccessError::Invalid { field, reason }
}

fn staff_ref(r: Option<StaffRef>, field: &'static str) -> Result<Option<StaffRef>, AccessError> {
    r.map(|s| clean_text(&s.0, field, MAX_HOST_REF).map(StaffRef))
        .transpose()
        .map_err(invalid)
}

impl<S: ?Sized + AccessPorts> Access<S> {
    /// Creates the property, or updates the one with the same `host_ref`, audited.
    pub async fn upsert_property(
        &self,
        staff: &Staff,
        spec: PropertySpec,
        now: OffsetDateTime,
    ) -> Result<Property, AccessError> {
        let host_ref = clean_text(&spec.host_ref, "host_ref", MAX_HOST_REF).map_err(invalid)?;
        let display_name =
            clean_text(&spec.display_name, "display_name", MAX_DISPLAY).map_err(invalid)?;
        let manager = staff_ref(spec.manager, "manager")?;
        let negotiator = staff_ref(spec.negotiator, "negotiator")?;
        let valuer = staff_ref(spec.valuer, "valuer")?;
        match self
            .store
            .property_by_host_ref(staff.agency, &host_ref)
            .await?
        {
            Some(mut p) => {
                p.kind = spec.kind;
                p.display_name = display_name;
                p.manager = manager;
                p.negotiator = negotiator;
                p.valuer = valuer;
                p.updated_at = now;
                let audit = self.staff_event(
                    staff,
                    now,
                    None,
                    AuditKind::AccessSetUp,
                    &format!("property {} ({}) updated", p.id, p.host_ref),
                )?;
                self.store.update_property(&p, &audit).await?;
                Ok(p)
            }
            None => {
                let p = Property {
                    id: PropertyId::from_random_bytes(self.random.bytes16()?),
                    agency: staff.agency,
                    host_ref,
                    kind: spec.kind,
                    display_name,
                    manager,
                    negotiator,
                    valuer,
                    created_at: now,
                    updated_at: now,
                };
                let audit = self.staff_event(
                    staff,
                    now,
                    None,
                    AuditKind::AccessSetUp,
                    &format!("property {} ({}) added", p.id, p.host_ref),
                )?;
                self.store.insert_property(&p, &audit).await?;
                Ok(p)
            }
        }
    }

    /// A property of the staff member's agency.
    pub async fn property(&self, staff: &Staff, id: PropertyId) -> Result<Property, AccessError> {
        Ok(self.store.property(staff.agency, id).await?)
    }

    /// Removes a property from the portal with its grants and shared documents (the CRM's
    /// records are untouched). Accounts left without any grant have their sessions ended.
    pub async fn remove_property(
        &self,
        staff: &Staff,
        id: PropertyId,
        now: OffsetDateTime,
    ) -> Result<(), AccessError> {
        let grants = self.store.grants_on(staff.agency, id).await?;
        let audit = self.staff_event(
            staff,
            now,
            None,
            AuditKind::AccessSetUp,
            &format!("property {id} removed with {} grant(s)", grants.len()),
        )?;
        self.store.delete_property(staff.agency, id, &audit).await?;
        for g in grants {
            self.cut_off_without_access(staff, g.subject, now).await?;
        }
        Ok(())
    }

    /// Sets which widgets and which kinds of property the agency hides from every client,
    /// audited (`agency.settings_changed`). Unknown widget ids are refused.
    pub async fn set_visibility(
        &self,
        staff: &Staff,
        visibility: Visibility,
        now: OffsetDateTime,
    ) -> Result<(), AccessError> {
        for id in &visibility.hidden_widgets {
            if self.widgets.get(id).is_none() {
                return Err(AccessError::Invalid {
                    field: "hidden_widgets",
                    reason: "must name registered widgets",
                });
            }
        }
        let mut agency = self.store.agency(staff.agency).await?;
        let mut hidden = visibility.hidden_widgets;
        hidden.sort();
        hidden.dedup();
        agency.settings.hidden_widgets = hidden;
        agency.settings.hide_lettings = visibility.hide_lettings;
        agency.settings.hide_sales = visibility.hide_sales;
        let audit = self.staff_event(
            staff,
            now,
            None,
            AuditKind::SettingsChanged,
            &format!(
                "visibility: hidden widgets [{}], hide lettings {}, hide sales {}",
                agency.settings.hidden_widgets.join(", "),
                agency.settings.hide_lettings,
                agency.settings.hide_sales
            ),
        )?;
        self.store.update_agency(&agency).await?;
        self.store.append_audit(&audit).await?;
        Ok(())
    }
}
