//! Client groups: groups hold clients; a group may sit in a parent group; a grant on a group
//! reaches its members and everyone in the groups beneath it. A cycle is refused.

use super::records::*;
use super::{Access, AccessPorts, Staff, clean_text};
use crate::error::{RandomError, StoreError};
use crate::ids::*;
use crate::model::AuditKind;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use thiserror::Error;
use time::OffsetDateTime;

/// Longest group name.
pub const MAX_GROUP_NAME: usize = 100;

/// Changes to a group; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupChanges {
    /// New name.
    pub name: Option<String>,
    /// New parent (`Some(None)` makes it a top-level group).
    pub parent: Option<Option<GroupId>>,
}

/// A group operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GroupError {
    /// No such group in the agency.
    #[error("group not found")]
    NotFound,
    /// The parent named is not a group of the agency.
    #[error("parent group not found")]
    ParentNotFound,
    /// No such account in the agency.
    #[error("account not found")]
    AccountNotFound,
    /// Putting `group` under `parent` would make a group its own ancestor.
    #[error("group {group} cannot be placed under {parent}: that would make a cycle")]
    Cycle {
        /// The group moved.
        group: GroupId,
        /// The parent asked for.
        parent: GroupId,
    },
    /// The group still has subgroups (move or delete them first).
    #[error("the group has subgroups")]
    HasSubgroups,
    /// Another group of the agency has this name.
    #[error("a group with this name exists")]
    NameTaken,
    /// The name is empty, too long or holds control characters.
    #[error("invalid group name")]
    InvalidName,
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
    /// The random generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl From<StoreError> for GroupError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => GroupError::NotFound,
            StoreError::Conflict(_) => GroupError::NameTaken,
            other => GroupError::Store(other),
        }
    }
}

fn parent_text(parent: Option<GroupId>) -> String {
    parent.map_or_else(|| "no parent".to_string(), |p| format!("group {p}"))
}

impl<S: ?Sized + AccessPorts> Access<S> {
    async fn check_parent(
        &self,
        agency: AgencyId,
        group: GroupId,
        parent: Option<GroupId>,
    ) -> Result<(), GroupError> {
        let Some(parent) = parent else {
            return Ok(());
        };
        // Walk up from the new parent: meeting the group itself means a cycle.
        let mut seen = HashSet::new();
        let mut at = Some(parent);
        while let Some(id) = at {
            if id == group {
                return Err(GroupError::Cycle { group, parent });
            }
            if !seen.insert(id) {
                break; // a cycle already stored above us: do not loop
            }
            at = match self.store.group(agency, id).await {
                Ok(g) if g.agency == agency => g.parent,
                Ok(_) | Err(StoreError::NotFound) if id == parent => {
                    return Err(GroupError::ParentNotFound);
                }
                Ok(_) | Err(StoreError::NotFound) => None,
                Err(e) => return Err(GroupError::Store(e)),
            };
        }
        Ok(())
    }

    /// Creates a client group, optionally under a parent, audited (`group.changed`).
    pub async fn create_group(
        &self,
        staff: &Staff,
        name: &str,
        parent: Option<GroupId>,
        now: OffsetDateTime,
    ) -> Result<Group, GroupError> {
        let name = clean_text(name, "name", MAX_GROUP_NAME).map_err(|_| GroupError::InvalidName)?;
        let id = GroupId::from_random_bytes(self.random.bytes16()?);
        self.check_parent(staff.agency, id, parent).await?;
        let group = Group {
            id,
            agency: staff.agency,
            name,
            parent,
            created_at: now,
        };
        let audit = self.staff_event(
            staff,
            now,
            None,
            AuditKind::GroupChanged,
            &format!(
                "created group {} ({}) under {}",
                group.id,
                group.name,
                parent_text(parent)
            ),
        )?;
        self.store
            .insert_group(&group, &audit)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => GroupError::ParentNotFound,
                other => other.into(),
            })?;
        Ok(group)
    }

    /// Renames a group or moves it under another parent. A move that would make the group
    /// its own ancestor is refused with [`GroupError::Cycle`].
    pub async fn update_group(
        &self,
        staff: &Staff,
        id: GroupId,
        changes: GroupChanges,
        now: OffsetDateTime,
    ) -> Result<Group, GroupError> {
        let mut group = self.store.group(staff.agency, id).await?;
        if let Some(name) = changes.name {
            group.name =
                clean_text(&name, "name", MAX_GROUP_NAME).map_err(|_| GroupError::InvalidName)?;
        }
        let moved = changes.parent.is_some_and(|p| p != group.parent);
        if let Some(parent) = changes.parent {
            self.check_parent(staff.agency, id, parent).await?;
            group.parent = parent;
        }
        let audit = self.staff_event(
            staff,
            now,
            None,
            AuditKind::GroupChanged,
            &format!(
                "updated group {} ({}) under {}",
                group.id,
                group.name,
                parent_text(group.parent)
            ),
        )?;
        self.store
            .update_group(&group, &audit)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => GroupError::ParentNotFound,
                other => other.into(),
            })?;
        if moved {
            // Members may have lost what the old ancestors granted.
            self.cut_off_without_access(staff, Subject::Group(id), now)
                .await?;
        }
        Ok(group)
    }

    /// Deletes a group without subgroups, with its memberships and the grants it holds;
    /// members left without any grant have their sessions ended.
    pub async fn delete_group(
        &self,
        staff: &Staff,
        id: GroupId,
        now: OffsetDateTime,
    ) -> Result<(), GroupError> {
        let group = self.store.group(staff.agency, id).await?;
        let affected = self
            .accounts_reached(staff.agency, Subject::Group(id))
            .await?;
        let audit = self.staff_event(
            staff,
            now,
            None,
            AuditKind::GroupChanged,
            &format!("deleted group {} ({})", group.id, group.name),
        )?;
        self.store
            .delete_group(staff.agency, id, &audit)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => GroupError::HasSubgroups,
                other => other.into(),
            })?;
        for account in affected {
            self.cut_off_without_access(staff, Subject::Account(account), now)
                .await?;
        }
        Ok(())
    }

    /// Puts an account of the agency into a group. `Ok(false)` if it already was.
    pub async fn add_member(
        &self,
        staff: &Staff,
        group: GroupId,
        account: AccountId,
        now: OffsetDateTime,
    ) -> Result<bool, GroupError> {
        match self.store.account(staff.agency, account).await {
            Ok(a) if a.agency == staff.agency => {}
            Ok(_) | Err(StoreError::NotFound) => return Err(GroupError::AccountNotFound),
            Err(e) => return Err(GroupError::Store(e)),
        }
        let audit = self.staff_event(
            staff,
            now,
            Some(account),
            AuditKind::GroupChanged,
            &format!("added to group {group}"),
        )?;
        Ok(self
            .store
            .add_member(staff.agency, group, account, &audit)
            .await?)
    }

    /// Takes an account out of a group; if that leaves it without any grant, its sessions end.
    pub async fn remove_member(
        &self,
        staff: &Staff,
        group: GroupId,
        account: AccountId,
        now: OffsetDateTime,
    ) -> Result<bool, GroupError> {
        // An unknown group or account, or another agency's, is not found (checklist 37).
        self.store.group(staff.agency, group).await?;
        match self.store.account(staff.agency, account).await {
            Ok(a) if a.agency == staff.agency => {}
            Ok(_) | Err(StoreError::NotFound) => return Err(GroupError::AccountNotFound),
            Err(e) => return Err(GroupError::Store(e)),
        }
        let audit = self.staff_event(
            staff,
            now,
            Some(account),
            AuditKind::GroupChanged,
            &format!("removed from group {group}"),
        )?;
        let removed = self
            .store
            .remove_member(staff.agency, group, account, &audit)
            .await?;
        if removed {
            self.cut_off_without_access(staff, Subject::Account(account), now)
                .await?;
        }
        Ok(removed)
    }

    /// The groups of the agency, by name.
    pub async fn groups(&self, staff: &Staff) -> Result<Vec<Group>, GroupError> {
        Ok(self.store.groups(staff.agency).await?)
    }

    /// The direct members of a group.
    pub async fn members(
        &self,
        staff: &Staff,
        group: GroupId,
    ) -> Result<Vec<AccountId>, GroupError> {
        self.store.group(staff.agency, group).await?;
        Ok(self.store.members(staff.agency, group).await?)
    }
}
