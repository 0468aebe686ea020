//! In-memory records of the access ports (properties, grants, groups, documents).

use crate::ids::{AccountId, AgencyId};

/// Records of the access ports.
#[derive(Debug, Default)]
pub(crate) struct AccessState {}

impl AccessState {
    /// Removes everything an account owns here (its grants, group memberships), as part of
    /// deleting the account.
    #[allow(dead_code)]
    pub(crate) fn remove_account(&mut self, _agency: AgencyId, _account: AccountId) {}
}
