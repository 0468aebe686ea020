//! The access ports of core (properties, grants, groups, documents) on PostgreSQL.

use super::{Tx, check_audit, commit, id, insert_audit};
use crate::PostgresStore;
use crate::codec;
use crate::error::{map, map_conflict};
use async_trait::async_trait;
use portico_core::StoreError;
use portico_core::access::records::*;
use portico_core::access_store::*;
use portico_core::ids::*;
use portico_core::model::AuditEvent;
use sqlx::types::Json;
use uuid::Uuid;

uid!(PropertyId, GrantId, GroupId, DocumentId);

/// The account and group columns of a subject.
fn subject_cols(subject: Subject) -> (Option<Uuid>, Option<Uuid>) {
    match subject {
        Subject::Account(a) => (Some(id(a)), None),
        Subject::Group(g) => (None, Some(id(g))),
    }
}

/// Ids as an array, for `= ANY($n)`.
fn id_list<T: super::Uid>(ids: impl IntoIterator<Item = T>) -> Vec<Uuid> {
    ids.into_iter().map(id).collect()
}

impl PostgresStore {
    /// Begins a write transaction checking the audit record's agency first.
    async fn access_write(&self, agency: AgencyId, audit: &AuditEvent) -> Result<Tx, StoreError> {
        check_audit(agency, [audit])?;
        self.write().await
    }
}

async fn finish(mut tx: Tx, audit: &AuditEvent) -> Result<(), StoreError> {
    insert_audit(&mut tx, audit).await?;
    commit(tx).await
}

fn not_found_if_none(affected: u64) -> Result<(), StoreError> {
    if affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

#[async_trait]
impl PropertyStore for PostgresStore {
    async fn insert_property(
        &self,
        property: &Property,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.access_write(property.agency, audit).await?;
        sqlx::query(
            "INSERT INTO portico_properties (id, agency, host_ref, kind, display_name, manager, \
             negotiator, valuer, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id(property.id))
        .bind(id(property.agency))
        .bind(&property.host_ref)
        .bind(property.kind.as_str())
        .bind(&property.display_name)
        .bind(property.manager.as_ref().map(|s| s.0.as_str()))
        .bind(property.negotiator.as_ref().map(|s| s.0.as_str()))
        .bind(property.valuer.as_ref().map(|s| s.0.as_str()))
        .bind(property.created_at)
        .bind(property.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_conflict(e, "property already known"))?;
        finish(tx, audit).await
    }

    async fn update_property(
        &self,
        property: &Property,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.access_write(property.agency, audit).await?;
        let done = sqlx::query(
            "UPDATE portico_properties SET kind = $3, display_name = $4, manager = $5, \
             negotiator = $6, valuer = $7, updated_at = $8 WHERE agency = $1 AND id = $2",
        )
        .bind(id(property.agency))
        .bind(id(property.id))
        .bind(property.kind.as_str())
        .bind(&property.display_name)
        .bind(property.manager.as_ref().map(|s| s.0.as_str()))
        .bind(property.negotiator.as_ref().map(|s| s.0.as_str()))
        .bind(property.valuer.as_ref().map(|s| s.0.as_str()))
        .bind(property.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        not_found_if_none(done.rows_affected())?;
        finish(tx, audit).await
    }

    async fn property(
        &self,
        agency: AgencyId,
        property: PropertyId,
    ) -> Result<Property, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_properties WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(property))
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
        codec::property(&row)
    }

    async fn property_by_host_ref(
        &self,
        agency: AgencyId,
        host_ref: &str,
    ) -> Result<Option<Property>, StoreError> {
        let row =
            sqlx::query("SELECT * FROM portico_properties WHERE agency = $1 AND host_ref = $2")
                .bind(id(agency))
                .bind(host_ref)
                .fetch_optional(&self.pool)
                .await
                .map_err(map)?;
        row.as_ref().map(codec::property).transpose()
    }

    async fn properties(
        &self,
        agency: AgencyId,
        ids: &[PropertyId],
    ) -> Result<Vec<Property>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_properties WHERE agency = $1 \
               AND id = ANY($2) \
             ORDER BY display_name COLLATE \"C\", id",
        )
        .bind(id(agency))
        .bind(id_list(ids.iter().copied()))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::property)
    }

    async fn delete_property(
        &self,
        agency: AgencyId,
        property: PropertyId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.access_write(agency, audit).await?;
        // Grants on it and documents shared from it go by `ON DELETE CASCADE`.
        let done = sqlx::query("DELETE FROM portico_properties WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(property))
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        not_found_if_none(done.rows_affected())?;
        finish(tx, audit).await
    }
}

#[async_trait]
impl GrantStore for PostgresStore {
    async fn insert_grant(&self, grant: &Grant, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.access_write(grant.agency, audit).await?;
        let (account, group) = subject_cols(grant.subject);
        sqlx::query(
            "INSERT INTO portico_grants (id, agency, subject_account, subject_group, property, \
             role, scopes, buyer_names, valid_from, valid_until, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id(grant.id))
        .bind(id(grant.agency))
        .bind(account)
        .bind(group)
        .bind(id(grant.property))
        .bind(grant.role.as_str())
        .bind(Json(&grant.scopes))
        .bind(grant.buyer_names.as_str())
        .bind(grant.valid_from)
        .bind(grant.valid_until)
        .bind(grant.created_at)
        .bind(grant.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_conflict(e, "grant id taken"))?;
        finish(tx, audit).await
    }

    async fn update_grant(&self, grant: &Grant, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.access_write(grant.agency, audit).await?;
        let done = sqlx::query(
            "UPDATE portico_grants SET role = $3, scopes = $4, buyer_names = $5, \
             valid_from = $6, valid_until = $7, updated_at = $8 WHERE agency = $1 AND id = $2",
        )
        .bind(id(grant.agency))
        .bind(id(grant.id))
        .bind(grant.role.as_str())
        .bind(Json(&grant.scopes))
        .bind(grant.buyer_names.as_str())
        .bind(grant.valid_from)
        .bind(grant.valid_until)
        .bind(grant.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        not_found_if_none(done.rows_affected())?;
        finish(tx, audit).await
    }

    async fn grant(&self, agency: AgencyId, grant: GrantId) -> Result<Grant, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_grants WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(grant))
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
        codec::grant(&row)
    }

    async fn delete_grant(
        &self,
        agency: AgencyId,
        grant: GrantId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.access_write(agency, audit).await?;
        let done = sqlx::query("DELETE FROM portico_grants WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(grant))
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        not_found_if_none(done.rows_affected())?;
        finish(tx, audit).await
    }

    async fn grants_for(
        &self,
        agency: AgencyId,
        subjects: &[Subject],
        property: Option<PropertyId>,
    ) -> Result<Vec<Grant>, StoreError> {
        let accounts = id_list(subjects.iter().filter_map(|s| match s {
            Subject::Account(a) => Some(*a),
            Subject::Group(_) => None,
        }));
        let groups = id_list(subjects.iter().filter_map(|s| match s {
            Subject::Group(g) => Some(*g),
            Subject::Account(_) => None,
        }));
        // Two index lookups (by account, by group), then one sort.
        let rows = sqlx::query(
            "SELECT * FROM portico_grants WHERE agency = $1 \
               AND subject_account = ANY($2) \
               AND ($4 IS NULL OR property = $4) \
             UNION ALL \
             SELECT * FROM portico_grants WHERE agency = $1 \
               AND subject_group = ANY($3) \
               AND ($4 IS NULL OR property = $4) \
             ORDER BY created_at, id",
        )
        .bind(id(agency))
        .bind(accounts)
        .bind(groups)
        .bind(property.map(id))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::grant)
    }

    async fn grants_on(
        &self,
        agency: AgencyId,
        property: PropertyId,
    ) -> Result<Vec<Grant>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_grants WHERE agency = $1 AND property = $2 \
             ORDER BY created_at, id",
        )
        .bind(id(agency))
        .bind(id(property))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::grant)
    }
}

#[async_trait]
impl GroupStore for PostgresStore {
    async fn insert_group(&self, group: &Group, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.access_write(group.agency, audit).await?;
        sqlx::query(
            "INSERT INTO portico_groups (id, agency, name, parent, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id(group.id))
        .bind(id(group.agency))
        .bind(&group.name)
        .bind(group.parent.map(id))
        .bind(group.created_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_conflict(e, "group id or name taken"))?;
        finish(tx, audit).await
    }

    async fn update_group(&self, group: &Group, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut tx = self.access_write(group.agency, audit).await?;
        let done = sqlx::query(
            "UPDATE portico_groups SET name = $3, parent = $4 WHERE agency = $1 AND id = $2",
        )
        .bind(id(group.agency))
        .bind(id(group.id))
        .bind(&group.name)
        .bind(group.parent.map(id))
        .execute(&mut *tx)
        .await
        .map_err(|e| map_conflict(e, "group name taken"))?;
        not_found_if_none(done.rows_affected())?;
        finish(tx, audit).await
    }

    async fn group(&self, agency: AgencyId, group: GroupId) -> Result<Group, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_groups WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(group))
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
        codec::group(&row)
    }

    async fn groups(&self, agency: AgencyId) -> Result<Vec<Group>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_groups WHERE agency = $1 ORDER BY name COLLATE \"C\", id",
        )
        .bind(id(agency))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::group)
    }

    async fn delete_group(
        &self,
        agency: AgencyId,
        group: GroupId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.access_write(agency, audit).await?;
        // Locked: a subgroup being added meanwhile waits, then finds its parent gone.
        let exists =
            sqlx::query("SELECT 1 FROM portico_groups WHERE agency = $1 AND id = $2 FOR UPDATE")
                .bind(id(agency))
                .bind(id(group))
                .fetch_optional(&mut *tx)
                .await
                .map_err(map)?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let child = sqlx::query("SELECT 1 FROM portico_groups WHERE agency = $1 AND parent = $2")
            .bind(id(agency))
            .bind(id(group))
            .fetch_optional(&mut *tx)
            .await
            .map_err(map)?;
        if child.is_some() {
            return Err(StoreError::Conflict("the group has subgroups".into()));
        }
        // Memberships and the grants it holds go by `ON DELETE CASCADE`.
        sqlx::query("DELETE FROM portico_groups WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(group))
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        finish(tx, audit).await
    }

    async fn add_member(
        &self,
        agency: AgencyId,
        group: GroupId,
        account: AccountId,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.access_write(agency, audit).await?;
        let done = sqlx::query(
            "INSERT INTO portico_memberships (agency, grp, account) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id(agency))
        .bind(id(group))
        .bind(id(account))
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        finish(tx, audit).await?;
        Ok(true)
    }

    async fn remove_member(
        &self,
        agency: AgencyId,
        group: GroupId,
        account: AccountId,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut tx = self.access_write(agency, audit).await?;
        let done = sqlx::query(
            "DELETE FROM portico_memberships WHERE agency = $1 AND grp = $2 AND account = $3",
        )
        .bind(id(agency))
        .bind(id(group))
        .bind(id(account))
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        finish(tx, audit).await?;
        Ok(true)
    }

    async fn members(
        &self,
        agency: AgencyId,
        group: GroupId,
    ) -> Result<Vec<AccountId>, StoreError> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT account FROM portico_memberships WHERE agency = $1 AND grp = $2 \
             ORDER BY account",
        )
        .bind(id(agency))
        .bind(id(group))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        Ok(ids.into_iter().map(AccountId::from_uuid).collect())
    }

    async fn groups_of(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<GroupId>, StoreError> {
        let ids: Vec<Uuid> = sqlx::query_scalar(
            "SELECT grp FROM portico_memberships WHERE agency = $1 AND account = $2 ORDER BY grp",
        )
        .bind(id(agency))
        .bind(id(account))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        Ok(ids.into_iter().map(GroupId::from_uuid).collect())
    }

    async fn group_ancestry(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<Group>, StoreError> {
        // `UNION` (not `UNION ALL`) keeps each group once, so a cycle in stored data ends.
        let rows = sqlx::query(
            "WITH RECURSIVE ancestry (id) AS ( \
               SELECT grp FROM portico_memberships WHERE agency = $1 AND account = $2 \
               UNION \
               SELECT g.parent FROM portico_groups g JOIN ancestry a ON g.id = a.id \
               WHERE g.agency = $1 AND g.parent IS NOT NULL \
             ) \
             SELECT g.* FROM portico_groups g JOIN ancestry a ON g.id = a.id \
             WHERE g.agency = $1",
        )
        .bind(id(agency))
        .bind(id(account))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::group)
    }
}

#[async_trait]
impl DocumentStore for PostgresStore {
    async fn share_document(
        &self,
        document: &SharedDocument,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.access_write(document.agency, audit).await?;
        sqlx::query(
            "INSERT INTO portico_documents (id, agency, property, host_ref, category, title, \
             shared_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id(document.id))
        .bind(id(document.agency))
        .bind(id(document.property))
        .bind(&document.host_ref)
        .bind(document.category.as_str())
        .bind(&document.title)
        .bind(document.shared_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_conflict(e, "document already shared"))?;
        finish(tx, audit).await
    }

    async fn unshare_document(
        &self,
        agency: AgencyId,
        document: DocumentId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.access_write(agency, audit).await?;
        let done = sqlx::query("DELETE FROM portico_documents WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(document))
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        not_found_if_none(done.rows_affected())?;
        finish(tx, audit).await
    }

    async fn document(
        &self,
        agency: AgencyId,
        document: DocumentId,
    ) -> Result<SharedDocument, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_documents WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(document))
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
        codec::document(&row)
    }

    async fn documents_of(
        &self,
        agency: AgencyId,
        property: PropertyId,
    ) -> Result<Vec<SharedDocument>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_documents WHERE agency = $1 AND property = $2 \
             ORDER BY shared_at DESC, id DESC",
        )
        .bind(id(agency))
        .bind(id(property))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::document)
    }
}
