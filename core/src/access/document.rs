//! Documents shared from the CRM into the portal. Sharing and unsharing touch only the
//! portal's record: the CRM keeps the file, and the bytes are fetched from the host at each
//! download, after the decision point has allowed it.

use super::policy::{Action, Resource};
use super::property::{MAX_DISPLAY, MAX_HOST_REF};
use super::records::*;
use super::{Access, AccessError, AccessPorts, Staff, clean_text};
use crate::host::{DocumentContent, HostProperty};
use crate::ids::*;
use crate::model::{AuditKind, Principal};
use crate::widget::DocumentSummary;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A CRM file to share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentShare {
    /// The CRM's identifier of the file.
    pub host_ref: String,
    /// Category.
    pub category: DocumentCategory,
    /// Title shown to clients.
    pub title: String,
}

impl<S: ?Sized + AccessPorts> Access<S> {
    /// Shares a CRM document of a property into the portal, audited (`document.changed`).
    pub async fn share_document(
        &self,
        staff: &Staff,
        property: PropertyId,
        share: DocumentShare,
        now: OffsetDateTime,
    ) -> Result<SharedDocument, AccessError> {
        let host_ref = clean_text(&share.host_ref, "host_ref", MAX_HOST_REF)
            .map_err(|(field, reason)| AccessError::Invalid { field, reason })?;
        let title = clean_text(&share.title, "title", MAX_DISPLAY)
            .map_err(|(field, reason)| AccessError::Invalid { field, reason })?;
        let doc = SharedDocument {
            id: DocumentId::from_random_bytes(self.random.bytes16()?),
            agency: staff.agency,
            property,
            host_ref,
            category: share.category,
            title,
            shared_at: now,
        };
        let audit = self.staff_event(
            staff,
            now,
            None,
            AuditKind::DocumentChanged,
            &format!(
                "shared document {} ({}, {}) of property {property}",
                doc.id,
                doc.host_ref,
                doc.category.as_str()
            ),
        )?;
        self.store.share_document(&doc, &audit).await?;
        Ok(doc)
    }

    /// Removes a document from the portal. The original stays in the CRM: the host is
    /// never asked to delete anything.
    pub async fn unshare_document(
        &self,
        staff: &Staff,
        id: DocumentId,
        now: OffsetDateTime,
    ) -> Result<(), AccessError> {
        let doc = self.store.document(staff.agency, id).await?;
        let audit = self.staff_event(
            staff,
            now,
            None,
            AuditKind::DocumentChanged,
            &format!(
                "unshared document {} ({}) of property {}",
                doc.id, doc.host_ref, doc.property
            ),
        )?;
        self.store
            .unshare_document(staff.agency, id, &audit)
            .await?;
        Ok(())
    }

    /// The documents shared from a property (staff view: every category).
    pub async fn shared_documents(
        &self,
        staff: &Staff,
        property: PropertyId,
    ) -> Result<Vec<SharedDocument>, AccessError> {
        // An unknown property, or another agency's, is not found (checklist 37).
        self.store.property(staff.agency, property).await?;
        Ok(self.store.documents_of(staff.agency, property).await?)
    }

    /// The documents of a property the principal may read: shared, of a category in the
    /// scopes of a live grant.
    pub async fn documents(
        &self,
        principal: &Principal,
        property: PropertyId,
        now: OffsetDateTime,
    ) -> Result<Vec<DocumentSummary>, AccessError> {
        let loaded = self
            .enforce(principal, &Action::View, &Resource::Property(property), now)
            .await?;
        let access = loaded.effective(now);
        let docs = self.store.documents_of(principal.agency, property).await?;
        self.preview_viewed(principal, now, &format!("documents of property {property}"))
            .await?;
        Ok(docs
            .iter()
            .filter(|d| access.scopes.contains(&Scope::Documents(d.category)))
            .map(DocumentSummary::from)
            .collect())
    }

    /// Downloads a shared document: allowed only for a category in the scopes of a live
    /// grant on its property; the bytes come from the host.
    pub async fn download(
        &self,
        principal: &Principal,
        id: DocumentId,
        now: OffsetDateTime,
    ) -> Result<DocumentContent, AccessError> {
        let loaded = self
            .enforce(principal, &Action::Download, &Resource::Document(id), now)
            .await?;
        let doc = loaded.document.as_ref().ok_or(AccessError::NotFound)?;
        let effective = loaded.effective(now);
        let role = effective
            .roles
            .iter()
            .next()
            .copied()
            .unwrap_or(Role::Customer);
        let host_property = HostProperty {
            agency: principal.agency,
            host_ref: loaded.property.host_ref.clone(),
            kind: loaded.property.kind,
            role,
        };
        self.preview_viewed(principal, now, &format!("downloaded document {id}"))
            .await?;
        Ok(self
            .host
            .document_content(&host_property, &doc.host_ref)
            .await?)
    }
}
