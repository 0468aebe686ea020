//! In-memory records of the access ports (properties, grants, groups, documents): the
//! reference behaviour of [`PropertyStore`], [`GrantStore`], [`GroupStore`] and
//! [`DocumentStore`].

use super::{MemoryStore, State};
use crate::access::records::*;
use crate::access_store::*;
use crate::error::StoreError;
use crate::ids::*;
use crate::model::AuditEvent;
use async_trait::async_trait;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::MutexGuard;
use std::sync::atomic::Ordering;

/// Records of the access ports, with the indexes the decision point reads.
#[derive(Debug, Default)]
pub(crate) struct AccessState {
    properties: HashMap<PropertyId, Property>,
    property_refs: HashMap<(AgencyId, String), PropertyId>,
    grants: HashMap<GrantId, Grant>,
    by_subject: HashMap<(AgencyId, Subject), BTreeSet<GrantId>>,
    by_property: HashMap<(AgencyId, PropertyId), BTreeSet<GrantId>>,
    groups: HashMap<GroupId, Group>,
    members: HashMap<GroupId, BTreeSet<AccountId>>,
    memberships: HashMap<(AgencyId, AccountId), BTreeSet<GroupId>>,
    documents: HashMap<DocumentId, SharedDocument>,
}

impl AccessState {
    /// Removes everything an account owns here (its grants, group memberships), as part of
    /// deleting the account.
    pub(crate) fn remove_account(&mut self, agency: AgencyId, account: AccountId) {
        let subject = Subject::Account(account);
        for id in self
            .by_subject
            .get(&(agency, subject))
            .cloned()
            .unwrap_or_default()
        {
            self.remove_grant(id);
        }
        if let Some(groups) = self.memberships.remove(&(agency, account)) {
            for g in groups {
                if let Some(m) = self.members.get_mut(&g) {
                    m.remove(&account);
                }
            }
        }
    }

    fn remove_grant(&mut self, id: GrantId) {
        if let Some(g) = self.grants.remove(&id) {
            if let Some(s) = self.by_subject.get_mut(&(g.agency, g.subject)) {
                s.remove(&id);
                if s.is_empty() {
                    self.by_subject.remove(&(g.agency, g.subject));
                }
            }
            if let Some(s) = self.by_property.get_mut(&(g.agency, g.property)) {
                s.remove(&id);
                if s.is_empty() {
                    self.by_property.remove(&(g.agency, g.property));
                }
            }
        }
    }

    fn property_in(&self, agency: AgencyId, id: PropertyId) -> Option<&Property> {
        self.properties.get(&id).filter(|p| p.agency == agency)
    }

    fn group_in(&self, agency: AgencyId, id: GroupId) -> Option<&Group> {
        self.groups.get(&id).filter(|g| g.agency == agency)
    }

    fn sorted_grants(&self, ids: impl Iterator<Item = GrantId>) -> Vec<Grant> {
        let mut out: Vec<Grant> = ids.filter_map(|id| self.grants.get(&id).cloned()).collect();
        out.sort_by_key(|g| (g.created_at, g.id));
        out
    }
}

impl MemoryStore {
    /// Fails like every other port while the store is switched off.
    fn available(&self) -> Result<(), StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "memory store switched off (test)".into(),
            ));
        }
        Ok(())
    }

    /// Opens a write: takes the identity state (for the audit log) then the access state,
    /// after checking the agency exists and the audit record belongs to it.
    fn write_txn(
        &self,
        agency: AgencyId,
        audit: &AuditEvent,
    ) -> Result<(MutexGuard<'_, State>, MutexGuard<'_, AccessState>), StoreError> {
        let st = self.state()?;
        st.require_agency(agency)?;
        st.check_audit(agency, [audit])?;
        Ok((st, self.access()))
    }
}

#[async_trait]
impl PropertyStore for MemoryStore {
    async fn insert_property(
        &self,
        property: &Property,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(property.agency, audit)?;
        let key = (property.agency, property.host_ref.clone());
        if s.properties.contains_key(&property.id) || s.property_refs.contains_key(&key) {
            return Err(StoreError::Conflict("property already known".into()));
        }
        s.property_refs.insert(key, property.id);
        s.properties.insert(property.id, property.clone());
        st.push_audit(audit);
        Ok(())
    }

    async fn update_property(
        &self,
        property: &Property,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(property.agency, audit)?;
        let stored = s
            .properties
            .get_mut(&property.id)
            .filter(|p| p.agency == property.agency)
            .ok_or(StoreError::NotFound)?;
        stored.kind = property.kind;
        stored.display_name = property.display_name.clone();
        stored.manager = property.manager.clone();
        stored.negotiator = property.negotiator.clone();
        stored.valuer = property.valuer.clone();
        stored.updated_at = property.updated_at;
        st.push_audit(audit);
        Ok(())
    }

    async fn property(&self, agency: AgencyId, id: PropertyId) -> Result<Property, StoreError> {
        self.available()?;
        self.access()
            .property_in(agency, id)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    async fn property_by_host_ref(
        &self,
        agency: AgencyId,
        host_ref: &str,
    ) -> Result<Option<Property>, StoreError> {
        self.available()?;
        let s = self.access();
        Ok(s.property_refs
            .get(&(agency, host_ref.to_string()))
            .and_then(|id| s.property_in(agency, *id))
            .cloned())
    }

    async fn properties(
        &self,
        agency: AgencyId,
        ids: &[PropertyId],
    ) -> Result<Vec<Property>, StoreError> {
        self.available()?;
        let s = self.access();
        let unique: BTreeSet<PropertyId> = ids.iter().copied().collect();
        let mut out: Vec<Property> = unique
            .into_iter()
            .filter_map(|id| s.property_in(agency, id).cloned())
            .collect();
        out.sort_by(|a, b| (&a.display_name, a.id).cmp(&(&b.display_name, b.id)));
        Ok(out)
    }

    async fn delete_property(
        &self,
        agency: AgencyId,
        id: PropertyId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(agency, audit)?;
        let p = s
            .property_in(agency, id)
            .cloned()
            .ok_or(StoreError::NotFound)?;
        for g in s
            .by_property
            .get(&(agency, id))
            .cloned()
            .unwrap_or_default()
        {
            s.remove_grant(g);
        }
        s.documents.retain(|_, d| d.property != id);
        s.property_refs.remove(&(agency, p.host_ref));
        s.properties.remove(&id);
        st.push_audit(audit);
        Ok(())
    }
}

#[async_trait]
impl GrantStore for MemoryStore {
    async fn insert_grant(&self, grant: &Grant, audit: &AuditEvent) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(grant.agency, audit)?;
        if s.grants.contains_key(&grant.id) {
            return Err(StoreError::Conflict("grant id taken".into()));
        }
        if s.property_in(grant.agency, grant.property).is_none() {
            return Err(StoreError::NotFound);
        }
        match grant.subject {
            Subject::Group(g) if s.group_in(grant.agency, g).is_none() => {
                return Err(StoreError::NotFound);
            }
            Subject::Account(a) => {
                st.account_in(grant.agency, a)?;
            }
            Subject::Group(_) => {}
        }
        s.by_subject
            .entry((grant.agency, grant.subject))
            .or_default()
            .insert(grant.id);
        s.by_property
            .entry((grant.agency, grant.property))
            .or_default()
            .insert(grant.id);
        s.grants.insert(grant.id, grant.clone());
        st.push_audit(audit);
        Ok(())
    }

    async fn update_grant(&self, grant: &Grant, audit: &AuditEvent) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(grant.agency, audit)?;
        let stored = s
            .grants
            .get_mut(&grant.id)
            .filter(|g| g.agency == grant.agency)
            .ok_or(StoreError::NotFound)?;
        stored.role = grant.role;
        stored.scopes = grant.scopes.clone();
        stored.buyer_names = grant.buyer_names;
        stored.valid_from = grant.valid_from;
        stored.valid_until = grant.valid_until;
        stored.updated_at = grant.updated_at;
        st.push_audit(audit);
        Ok(())
    }

    async fn grant(&self, agency: AgencyId, id: GrantId) -> Result<Grant, StoreError> {
        self.available()?;
        self.access()
            .grants
            .get(&id)
            .filter(|g| g.agency == agency)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    async fn delete_grant(
        &self,
        agency: AgencyId,
        id: GrantId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(agency, audit)?;
        if s.grants.get(&id).is_none_or(|g| g.agency != agency) {
            return Err(StoreError::NotFound);
        }
        s.remove_grant(id);
        st.push_audit(audit);
        Ok(())
    }

    async fn grants_for(
        &self,
        agency: AgencyId,
        subjects: &[Subject],
        property: Option<PropertyId>,
    ) -> Result<Vec<Grant>, StoreError> {
        self.available()?;
        let s = self.access();
        let mut ids = Vec::new();
        match property {
            // On one property, walk that property's grants (a handful) rather than every
            // grant of every subject (a national group may hold thousands).
            Some(p) => {
                if let Some(set) = s.by_property.get(&(agency, p)) {
                    ids.extend(set.iter().copied().filter(|id| {
                        s.grants
                            .get(id)
                            .is_some_and(|g| subjects.contains(&g.subject))
                    }));
                }
            }
            None => {
                for subject in subjects {
                    if let Some(set) = s.by_subject.get(&(agency, *subject)) {
                        ids.extend(set.iter().copied());
                    }
                }
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(s.sorted_grants(ids.into_iter()))
    }

    async fn grants_on(
        &self,
        agency: AgencyId,
        property: PropertyId,
    ) -> Result<Vec<Grant>, StoreError> {
        self.available()?;
        let s = self.access();
        let ids = s
            .by_property
            .get(&(agency, property))
            .cloned()
            .unwrap_or_default();
        Ok(s.sorted_grants(ids.into_iter()))
    }
}

#[async_trait]
impl GroupStore for MemoryStore {
    async fn insert_group(&self, group: &Group, audit: &AuditEvent) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(group.agency, audit)?;
        if s.groups.contains_key(&group.id)
            || s.groups
                .values()
                .any(|g| g.agency == group.agency && g.name == group.name)
        {
            return Err(StoreError::Conflict("group id or name taken".into()));
        }
        if let Some(p) = group.parent
            && s.group_in(group.agency, p).is_none()
        {
            return Err(StoreError::NotFound);
        }
        s.groups.insert(group.id, group.clone());
        st.push_audit(audit);
        Ok(())
    }

    async fn update_group(&self, group: &Group, audit: &AuditEvent) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(group.agency, audit)?;
        if s.group_in(group.agency, group.id).is_none() {
            return Err(StoreError::NotFound);
        }
        if let Some(p) = group.parent
            && s.group_in(group.agency, p).is_none()
        {
            return Err(StoreError::NotFound);
        }
        if s.groups
            .values()
            .any(|g| g.agency == group.agency && g.name == group.name && g.id != group.id)
        {
            return Err(StoreError::Conflict("group name taken".into()));
        }
        if let Some(stored) = s.groups.get_mut(&group.id) {
            stored.name = group.name.clone();
            stored.parent = group.parent;
        }
        st.push_audit(audit);
        Ok(())
    }

    async fn group(&self, agency: AgencyId, id: GroupId) -> Result<Group, StoreError> {
        self.available()?;
        self.access()
            .group_in(agency, id)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    async fn groups(&self, agency: AgencyId) -> Result<Vec<Group>, StoreError> {
        self.available()?;
        let s = self.access();
        let mut out: Vec<Group> = s
            .groups
            .values()
            .filter(|g| g.agency == agency)
            .cloned()
            .collect();
        out.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
        Ok(out)
    }

    async fn delete_group(
        &self,
        agency: AgencyId,
        id: GroupId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(agency, audit)?;
        if s.group_in(agency, id).is_none() {
            return Err(StoreError::NotFound);
        }
        if s.groups.values().any(|g| g.parent == Some(id)) {
            return Err(StoreError::Conflict("the group has subgroups".into()));
        }
        for g in s
            .by_subject
            .get(&(agency, Subject::Group(id)))
            .cloned()
            .unwrap_or_default()
        {
            s.remove_grant(g);
        }
        for account in s.members.remove(&id).unwrap_or_default() {
            if let Some(m) = s.memberships.get_mut(&(agency, account)) {
                m.remove(&id);
            }
        }
        s.groups.remove(&id);
        st.push_audit(audit);
        Ok(())
    }

    async fn add_member(
        &self,
        agency: AgencyId,
        group: GroupId,
        account: AccountId,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let (mut st, mut s) = self.write_txn(agency, audit)?;
        st.account_in(agency, account)?;
        if s.group_in(agency, group).is_none() {
            return Err(StoreError::NotFound);
        }
        let added = s.members.entry(group).or_default().insert(account);
        s.memberships
            .entry((agency, account))
            .or_default()
            .insert(group);
        if added {
            st.push_audit(audit);
        }
        Ok(added)
    }

    async fn remove_member(
        &self,
        agency: AgencyId,
        group: GroupId,
        account: AccountId,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let (mut st, mut s) = self.write_txn(agency, audit)?;
        if s.group_in(agency, group).is_none() {
            return Ok(false);
        }
        let removed = s
            .members
            .get_mut(&group)
            .is_some_and(|m| m.remove(&account));
        if let Some(m) = s.memberships.get_mut(&(agency, account)) {
            m.remove(&group);
        }
        if removed {
            st.push_audit(audit);
        }
        Ok(removed)
    }

    async fn members(
        &self,
        agency: AgencyId,
        group: GroupId,
    ) -> Result<Vec<AccountId>, StoreError> {
        self.available()?;
        let s = self.access();
        if s.group_in(agency, group).is_none() {
            return Ok(Vec::new());
        }
        Ok(s.members
            .get(&group)
            .map(|m| m.iter().copied().collect())
            .unwrap_or_default())
    }

    async fn groups_of(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<GroupId>, StoreError> {
        self.available()?;
        Ok(self
            .access()
            .memberships
            .get(&(agency, account))
            .map(|m| m.iter().copied().collect())
            .unwrap_or_default())
    }

    async fn group_ancestry(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<Group>, StoreError> {
        self.available()?;
        let s = self.access();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut todo: Vec<GroupId> = s
            .memberships
            .get(&(agency, account))
            .map(|m| m.iter().copied().collect())
            .unwrap_or_default();
        while let Some(id) = todo.pop() {
            if !seen.insert(id) {
                continue;
            }
            if let Some(g) = s.group_in(agency, id) {
                if let Some(p) = g.parent {
                    todo.push(p);
                }
                out.push(g.clone());
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl DocumentStore for MemoryStore {
    async fn share_document(
        &self,
        document: &SharedDocument,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(document.agency, audit)?;
        if s.property_in(document.agency, document.property).is_none() {
            return Err(StoreError::NotFound);
        }
        if s.documents.contains_key(&document.id)
            || s.documents.values().any(|d| {
                d.agency == document.agency
                    && d.property == document.property
                    && d.host_ref == document.host_ref
            })
        {
            return Err(StoreError::Conflict("document already shared".into()));
        }
        s.documents.insert(document.id, document.clone());
        st.push_audit(audit);
        Ok(())
    }

    async fn unshare_document(
        &self,
        agency: AgencyId,
        id: DocumentId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (mut st, mut s) = self.write_txn(agency, audit)?;
        if s.documents.get(&id).is_none_or(|d| d.agency != agency) {
            return Err(StoreError::NotFound);
        }
        s.documents.remove(&id);
        st.push_audit(audit);
        Ok(())
    }

    async fn document(
        &self,
        agency: AgencyId,
        id: DocumentId,
    ) -> Result<SharedDocument, StoreError> {
        self.available()?;
        self.access()
            .documents
            .get(&id)
            .filter(|d| d.agency == agency)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    async fn documents_of(
        &self,
        agency: AgencyId,
        property: PropertyId,
    ) -> Result<Vec<SharedDocument>, StoreError> {
        self.available()?;
        let s = self.access();
        let mut out: Vec<SharedDocument> = s
            .documents
            .values()
            .filter(|d| d.agency == agency && d.property == property)
            .cloned()
            .collect();
        out.sort_by_key(|d| std::cmp::Reverse((d.shared_at, d.id)));
        Ok(out)
    }
}
