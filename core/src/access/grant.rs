//! Setting up, editing and revoking grants.
//!
//! The writable fields are exactly those of [`GrantSpec`] and [`GrantChanges`]: the agency
//! comes from the [`Staff`] context, and the subject and property of an existing grant never
//! change (no mass assignment: checklist 36). Revoking a grant that was an account's last
//! ends every session of that account at once (checklist 29).

use super::policy::Held;
use super::records::*;
use super::{Access, AccessPorts, Staff};
use crate::error::{RandomError, StoreError};
use crate::ids::*;
use crate::model::AuditKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};
use thiserror::Error;
use time::OffsetDateTime;

/// A new grant, as staff set it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantSpec {
    /// Who gets it.
    pub subject: Subject,
    /// On which property.
    pub property: PropertyId,
    /// As what.
    pub role: Role,
    /// What it lets them see.
    pub scopes: BTreeSet<Scope>,
    /// How buyers' names are shown (hidden unless chosen).
    #[serde(default)]
    pub buyer_names: BuyerNameDisplay,
    /// Valid from, if not at once.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub valid_from: Option<OffsetDateTime>,
    /// Valid until (exclusive), if it ends.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
}

/// Changes to a grant; absent fields stay as they are. Subject, property and agency are not
/// here on purpose: they never change (revoke and grant anew instead).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GrantChanges {
    /// New role.
    pub role: Option<Role>,
    /// New scopes (replacing the old set).
    pub scopes: Option<BTreeSet<Scope>>,
    /// New buyer-name display.
    pub buyer_names: Option<BuyerNameDisplay>,
    /// New start (`Some(None)` clears it).
    pub valid_from: Option<Option<OffsetDateTime>>,
    /// New end (`Some(None)` clears it).
    pub valid_until: Option<Option<OffsetDateTime>>,
}

/// A grant could not be set up, changed or revoked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GrantError {
    /// No such grant in the agency.
    #[error("grant not found")]
    NotFound,
    /// No such property in the agency.
    #[error("property not found")]
    PropertyNotFound,
    /// No such account or group in the agency.
    #[error("subject not found")]
    SubjectNotFound,
    /// A scope names a widget the registry does not know.
    #[error("unknown widget `{0}` in scopes")]
    UnknownWidget(String),
    /// `valid_from` is not before `valid_until`.
    #[error("the validity window is empty")]
    EmptyWindow,
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
    /// The random generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl From<StoreError> for GrantError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => GrantError::NotFound,
            other => GrantError::Store(other),
        }
    }
}

/// What a revocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Revoked {
    /// Accounts left without any grant, whose sessions were ended.
    pub accounts_cut_off: u64,
    /// Sessions ended.
    pub sessions_ended: u64,
}

/// The scopes staff start from when granting `role` on a property of `kind` (they may add or
/// remove any): an owner sees statements, balances and every document; a tenant their tenancy,
/// rent and certificates; a vendor offers, viewings and feedback; applicants, purchasers and
/// customers the general documents. Everyone gets the team member card.
pub fn default_scopes(role: Role, kind: PropertyKind) -> BTreeSet<Scope> {
    use crate::widget::ids as w;
    let widgets: &[&str] = match (role, kind) {
        (Role::Landlord | Role::Vendor, PropertyKind::Lettings) => &[
            w::PROPERTY_STATEMENT,
            w::PROPERTY_BALANCE,
            w::TENANT_BALANCE,
            w::LANDLORD_FLOAT,
            w::FUTURE_DEDUCTIONS,
            w::STATEMENT_DOCUMENTS,
            w::DOCUMENTS,
            w::CERTIFICATE_DOCUMENTS,
            w::INSPECTION_DOCUMENTS,
            w::INSPECTION_REPORTS,
            w::TENANCY_DOCUMENTS,
        ],
        (Role::Landlord | Role::Vendor, PropertyKind::Sales) => &[
            w::CURRENT_OFFERS,
            w::VIEWINGS,
            w::VIEWING_FEEDBACK,
            w::DOCUMENTS,
        ],
        (Role::Tenant, PropertyKind::Lettings) => &[
            w::TENANT_BALANCE,
            w::DOCUMENTS,
            w::CERTIFICATE_DOCUMENTS,
            w::TENANCY_DOCUMENTS,
        ],
        _ => &[w::DOCUMENTS],
    };
    let mut scopes: BTreeSet<Scope> = widgets.iter().map(|id| Scope::widget(id)).collect();
    scopes.insert(Scope::widget(w::TEAM_MEMBER));
    let registry = crate::widget::WidgetRegistry::builtin();
    for id in widgets {
        if let Some(widget) = registry.get(id) {
            scopes.extend(widget.required_scopes());
        }
    }
    scopes
}

fn describe(g: &Grant) -> String {
    let subject = match g.subject {
        Subject::Account(a) => format!("account {a}"),
        Subject::Group(id) => format!("group {id}"),
    };
    let scopes: Vec<String> = g.scopes.iter().map(Scope::to_string).collect();
    format!(
        "grant {} on property {} for {subject} as {}; scopes [{}]; buyer names {}; from {}; until {}",
        g.id,
        g.property,
        g.role,
        scopes.join(", "),
        g.buyer_names.as_str(),
        g.valid_from.map_or("-".into(), |t| t.to_string()),
        g.valid_until.map_or("-".into(), |t| t.to_string()),
    )
}

fn subject_account(s: Subject) -> Option<AccountId> {
    match s {
        Subject::Account(a) => Some(a),
        Subject::Group(_) => None,
    }
}

impl<S: ?Sized + AccessPorts> Access<S> {
    fn check_grant_fields(
        &self,
        scopes: &BTreeSet<Scope>,
        from: Option<OffsetDateTime>,
        until: Option<OffsetDateTime>,
    ) -> Result<(), GrantError> {
        for s in scopes {
            if let Scope::Widget(id) = s
                && self.widgets.get(id).is_none()
            {
                return Err(GrantError::UnknownWidget(id.clone()));
            }
        }
        if let (Some(f), Some(u)) = (from, until)
            && f >= u
        {
            return Err(GrantError::EmptyWindow);
        }
        Ok(())
    }

    /// Sets up a grant in the staff member's agency, audited (`grant.changed`).
    pub async fn create_grant(
        &self,
        staff: &Staff,
        spec: GrantSpec,
        now: OffsetDateTime,
    ) -> Result<Grant, GrantError> {
        let agency = staff.agency;
        self.check_grant_fields(&spec.scopes, spec.valid_from, spec.valid_until)?;
        self.property_in(agency, spec.property).await?;
        self.subject_in(agency, spec.subject).await?;
        let grant = Grant {
            id: GrantId::from_random_bytes(self.random.bytes16()?),
            agency,
            subject: spec.subject,
            property: spec.property,
            role: spec.role,
            scopes: spec.scopes,
            buyer_names: spec.buyer_names,
            valid_from: spec.valid_from,
            valid_until: spec.valid_until,
            created_at: now,
            updated_at: now,
        };
        let audit = self.staff_event(
            staff,
            now,
            subject_account(grant.subject),
            AuditKind::GrantChanged,
            &format!("created {}", describe(&grant)),
        )?;
        self.store.insert_grant(&grant, &audit).await?;
        Ok(grant)
    }

    /// Edits a grant's role, scopes, buyer-name display or validity window, audited. A
    /// change that leaves accounts without any current or future grant ends their sessions.
    pub async fn update_grant(
        &self,
        staff: &Staff,
        id: GrantId,
        changes: GrantChanges,
        now: OffsetDateTime,
    ) -> Result<Grant, GrantError> {
        let mut grant = self.store.grant(staff.agency, id).await?;
        if grant.agency != staff.agency {
            return Err(GrantError::NotFound);
        }
        if let Some(r) = changes.role {
            grant.role = r;
        }
        if let Some(s) = changes.scopes {
            grant.scopes = s;
        }
        if let Some(b) = changes.buyer_names {
            grant.buyer_names = b;
        }
        if let Some(f) = changes.valid_from {
            grant.valid_from = f;
        }
        if let Some(u) = changes.valid_until {
            grant.valid_until = u;
        }
        self.check_grant_fields(&grant.scopes, grant.valid_from, grant.valid_until)?;
        grant.updated_at = now;
        let audit = self.staff_event(
            staff,
            now,
            subject_account(grant.subject),
            AuditKind::GrantChanged,
            &format!("updated {}", describe(&grant)),
        )?;
        self.store.update_grant(&grant, &audit).await?;
        self.cut_off_without_access(staff, grant.subject, now)
            .await?;
        Ok(grant)
    }

    /// Revokes a grant, audited. Every account it leaves without a current or future grant
    /// has all its sessions ended at once; the next request is refused anyway, since the
    /// decision point reads grants afresh.
    pub async fn revoke_grant(
        &self,
        staff: &Staff,
        id: GrantId,
        now: OffsetDateTime,
    ) -> Result<Revoked, GrantError> {
        let grant = self.store.grant(staff.agency, id).await?;
        if grant.agency != staff.agency {
            return Err(GrantError::NotFound);
        }
        let audit = self.staff_event(
            staff,
            now,
            subject_account(grant.subject),
            AuditKind::GrantChanged,
            &format!("revoked {}", describe(&grant)),
        )?;
        self.store.delete_grant(staff.agency, id, &audit).await?;
        Ok(self
            .cut_off_without_access(staff, grant.subject, now)
            .await?)
    }

    /// A grant of the staff member's agency.
    pub async fn grant(&self, staff: &Staff, id: GrantId) -> Result<Grant, GrantError> {
        Ok(self.store.grant(staff.agency, id).await?)
    }

    /// `PropertyNotFound` unless the property is the agency's.
    async fn property_in(&self, agency: AgencyId, property: PropertyId) -> Result<(), GrantError> {
        match self.store.property(agency, property).await {
            Ok(p) if p.agency == agency => Ok(()),
            Ok(_) | Err(StoreError::NotFound) => Err(GrantError::PropertyNotFound),
            Err(e) => Err(GrantError::Store(e)),
        }
    }

    /// `SubjectNotFound` unless the account or group is the agency's.
    async fn subject_in(&self, agency: AgencyId, subject: Subject) -> Result<(), GrantError> {
        let found = match subject {
            Subject::Account(a) => self
                .store
                .account(agency, a)
                .await
                .map(|x| x.agency == agency),
            Subject::Group(g) => self
                .store
                .group(agency, g)
                .await
                .map(|x| x.agency == agency),
        };
        match found {
            Ok(true) => Ok(()),
            Ok(false) | Err(StoreError::NotFound) => Err(GrantError::SubjectNotFound),
            Err(e) => Err(GrantError::Store(e)),
        }
    }

    /// The grants on a property; `PropertyNotFound` for an unknown property or another
    /// agency's (checklist 37: never an empty list that tells it exists nowhere).
    pub async fn grants_on(
        &self,
        staff: &Staff,
        property: PropertyId,
    ) -> Result<Vec<Grant>, GrantError> {
        self.property_in(staff.agency, property).await?;
        Ok(self.store.grants_on(staff.agency, property).await?)
    }

    /// The grants held by a subject itself (not those reaching it through groups);
    /// `SubjectNotFound` for an unknown subject or another agency's.
    pub async fn grants_of(
        &self,
        staff: &Staff,
        subject: Subject,
    ) -> Result<Vec<Grant>, GrantError> {
        self.subject_in(staff.agency, subject).await?;
        Ok(self
            .store
            .grants_for(staff.agency, &[subject], None)
            .await?)
    }

    /// Every grant reaching an account — directly or through its groups — with how it
    /// reaches it (for staff screens and explanations).
    pub async fn grants_reaching(
        &self,
        staff: &Staff,
        account: AccountId,
    ) -> Result<Vec<Held>, GrantError> {
        Ok(self.held_grants(staff.agency, account, None).await?)
    }

    /// The accounts a subject's grants reach: the account itself, or every member of the
    /// group and of the groups beneath it.
    pub(crate) async fn accounts_reached(
        &self,
        agency: AgencyId,
        subject: Subject,
    ) -> Result<Vec<AccountId>, StoreError> {
        match subject {
            Subject::Account(a) => Ok(vec![a]),
            Subject::Group(root) => {
                let groups = self.store.groups(agency).await?;
                let mut children: HashMap<GroupId, Vec<GroupId>> = HashMap::new();
                for g in &groups {
                    if let Some(p) = g.parent {
                        children.entry(p).or_default().push(g.id);
                    }
                }
                let mut seen = HashSet::new();
                let mut todo = vec![root];
                let mut accounts = BTreeSet::new();
                while let Some(g) = todo.pop() {
                    if !seen.insert(g) {
                        continue;
                    }
                    accounts.extend(self.store.members(agency, g).await?);
                    todo.extend(children.get(&g).into_iter().flatten().copied());
                }
                Ok(accounts.into_iter().collect())
            }
        }
    }

    /// Ends the sessions of every account reached by `subject` that is left with no grant
    /// live now or starting later.
    pub(crate) async fn cut_off_without_access(
        &self,
        staff: &Staff,
        subject: Subject,
        now: OffsetDateTime,
    ) -> Result<Revoked, StoreError> {
        let mut out = Revoked::default();
        for account in self.accounts_reached(staff.agency, subject).await? {
            let held = self.held_grants(staff.agency, account, None).await?;
            if held
                .iter()
                .any(|h| h.grant.validity(now) != Validity::Expired)
            {
                continue;
            }
            let ended = self
                .store
                .delete_sessions_of(staff.agency, account, None)
                .await?;
            out.accounts_cut_off += 1;
            out.sessions_ended += ended;
            let audit = self
                .audit_event(
                    staff.agency,
                    now,
                    staff.actor(),
                    Some(account),
                    AuditKind::SessionsEnded,
                    staff.address,
                    &format!("no grant left: {ended} session(s) ended"),
                )
                .map_err(|e| StoreError::Other(e.to_string()))?;
            self.store.append_audit(&audit).await?;
        }
        Ok(out)
    }
}
