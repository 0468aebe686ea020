//! The storage ports of access: properties, grants, client groups and shared documents.
//!
//! Same rules as [`crate::store`]: every method is scoped by the [`AgencyId`] given (a record
//! of another agency is `NotFound`, never returned), every write appends its audit record in
//! the same transaction, and the in-memory store is the reference behaviour.
//!
//! Nothing here is cached by core: the authorization decision reads grants and groups on
//! every request (checklist 38), so the read methods below are on the hot path and should be
//! served by indexes (`grants(agency, subject)`, `grants(agency, property)`,
//! `memberships(agency, account)`).

use crate::access::records::*;
use crate::error::StoreError;
use crate::ids::*;
use crate::model::AuditEvent;
use async_trait::async_trait;
use std::collections::HashSet;

/// Properties known to the portal (references to the CRM's records).
#[async_trait]
pub trait PropertyStore: Send + Sync {
    /// Adds a property. `Conflict` if its id, or its `host_ref` in the agency, is taken.
    async fn insert_property(
        &self,
        property: &Property,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Replaces kind, display name, staff references and `updated_at`; id, agency, host_ref
    /// and `created_at` never change. `NotFound` if unknown in the agency.
    async fn update_property(
        &self,
        property: &Property,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Reads a property. `NotFound` if unknown in the agency.
    async fn property(&self, agency: AgencyId, id: PropertyId) -> Result<Property, StoreError>;
    /// Finds a property by the CRM's reference.
    async fn property_by_host_ref(
        &self,
        agency: AgencyId,
        host_ref: &str,
    ) -> Result<Option<Property>, StoreError>;
    /// The properties of the agency among `ids` (unknown ids are skipped), by display name
    /// then id.
    async fn properties(
        &self,
        agency: AgencyId,
        ids: &[PropertyId],
    ) -> Result<Vec<Property>, StoreError>;
    /// Removes a property with every grant on it and every document shared from it.
    /// `NotFound` if unknown.
    async fn delete_property(
        &self,
        agency: AgencyId,
        id: PropertyId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

/// Grants: a subject's access to a property.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Adds a grant. `Conflict` if the id is taken; `NotFound` if the property (or, where
    /// the adapter can check it, the subject) is unknown in the agency.
    async fn insert_grant(&self, grant: &Grant, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Replaces role, scopes, buyer-name display, validity window and `updated_at`; agency,
    /// subject, property and `created_at` never change. `NotFound` if unknown.
    async fn update_grant(&self, grant: &Grant, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Reads a grant. `NotFound` if unknown in the agency.
    async fn grant(&self, agency: AgencyId, id: GrantId) -> Result<Grant, StoreError>;
    /// Deletes a grant (revocation; the audit log keeps its history). `NotFound` if unknown.
    async fn delete_grant(
        &self,
        agency: AgencyId,
        id: GrantId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Every grant held by one of `subjects`, on `property` if given, whatever its validity
    /// window (core judges time). Ordered by creation then id. *The hot path of every
    /// authorization decision.*
    async fn grants_for(
        &self,
        agency: AgencyId,
        subjects: &[Subject],
        property: Option<PropertyId>,
    ) -> Result<Vec<Grant>, StoreError>;
    /// Every grant on a property, ordered by creation then id (for staff).
    async fn grants_on(
        &self,
        agency: AgencyId,
        property: PropertyId,
    ) -> Result<Vec<Grant>, StoreError>;
}

/// Client groups and their members.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Adds a group. `Conflict` if the id or the name is taken in the agency; `NotFound` if
    /// the parent is unknown.
    async fn insert_group(&self, group: &Group, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Replaces name and parent. `NotFound` if the group or the new parent is unknown;
    /// `Conflict` if the name is taken. Core refuses cycles before calling.
    async fn update_group(&self, group: &Group, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Reads a group. `NotFound` if unknown in the agency.
    async fn group(&self, agency: AgencyId, id: GroupId) -> Result<Group, StoreError>;
    /// Every group of the agency, by name.
    async fn groups(&self, agency: AgencyId) -> Result<Vec<Group>, StoreError>;
    /// Deletes a group with its memberships and the grants it holds. `Conflict` if it still
    /// has subgroups; `NotFound` if unknown.
    async fn delete_group(
        &self,
        agency: AgencyId,
        id: GroupId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Puts an account in a group. `Ok(false)` if it already was; `NotFound` if the group is
    /// unknown.
    async fn add_member(
        &self,
        agency: AgencyId,
        group: GroupId,
        account: AccountId,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// Takes an account out of a group. `Ok(false)` if it was not in it.
    async fn remove_member(
        &self,
        agency: AgencyId,
        group: GroupId,
        account: AccountId,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// The direct members of a group, sorted.
    async fn members(&self, agency: AgencyId, group: GroupId)
    -> Result<Vec<AccountId>, StoreError>;
    /// The groups an account is directly in, sorted.
    async fn groups_of(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<GroupId>, StoreError>;
    /// The groups an account is in directly, and every ancestor of those, each once, in any
    /// order. Must terminate even if stored data held a cycle. *On the hot path*: adapters
    /// should override the default (one read per group) with a single recursive query.
    async fn group_ancestry(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<Group>, StoreError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut todo = self.groups_of(agency, account).await?;
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            match self.group(agency, id).await {
                Ok(g) => {
                    if let Some(p) = g.parent {
                        todo.push(p);
                    }
                    out.push(g);
                }
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// CRM documents shared into the portal.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Shares a document. `Conflict` if the same `host_ref` is already shared for the
    /// property; `NotFound` if the property is unknown.
    async fn share_document(
        &self,
        document: &SharedDocument,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Unshares a document: removes this record only (the CRM keeps the file). `NotFound` if
    /// unknown.
    async fn unshare_document(
        &self,
        agency: AgencyId,
        id: DocumentId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Reads a shared document. `NotFound` if unknown in the agency.
    async fn document(
        &self,
        agency: AgencyId,
        id: DocumentId,
    ) -> Result<SharedDocument, StoreError>;
    /// The documents shared from a property, newest first.
    async fn documents_of(
        &self,
        agency: AgencyId,
        property: PropertyId,
    ) -> Result<Vec<SharedDocument>, StoreError>;
}
