//! Login profiles: setting up access for a CRM contact, editing, disabling, deleting.
//!
//! A login profile is created for a contact, or an existing profile of the same person (same
//! email in the same agency) is reused, so one login sees several properties. The username
//! defaults to the email address and may be anything unique within the agency.

use crate::error::StoreError;
use crate::ids::*;
use crate::model::*;
use crate::portal::{Internal, Portal, RequestContext};
use crate::store::{CredentialChange, EndSessions};
use thiserror::Error;

/// What staff ask for when setting up a client's access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetUpAccess {
    /// The CRM contact to link (optional: a host may manage logins without contacts).
    pub contact: Option<ContactRef>,
    /// The client's email address.
    pub email: String,
    /// The username; the email address when `None`.
    pub username: Option<String>,
    /// The client's name as shown in the portal and emails.
    pub display_name: String,
}

/// The outcome of setting up access.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessSetUp {
    /// The login profile.
    pub account: Account,
    /// `true` if a new profile was created, `false` if an existing one was reused.
    pub created: bool,
}

/// Why an account operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The email address is not valid.
    #[error("the email address is not valid")]
    InvalidEmail,
    /// The username is empty, too long or has control characters.
    #[error("the username must be 1 to 254 characters without control characters")]
    InvalidUsername,
    /// The display name is empty, too long or has control characters.
    #[error("the name must be 1 to 200 characters")]
    InvalidName,
    /// The username or email is already used by another login in this agency.
    #[error("this username or email address is already used by another login")]
    Taken,
    /// The CRM contact is already linked to another login.
    #[error("this contact is already linked to another login")]
    ContactLinkedElsewhere,
    /// The deletion confirmation did not match the account's username.
    #[error("to delete the account, confirm with its exact username")]
    ConfirmationMismatch,
    /// No such account in this agency.
    #[error("no such account")]
    NotFound,
    /// Storage or randomness failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AccountError::NotFound,
            StoreError::Conflict(_) => AccountError::Taken,
            other => AccountError::Internal(other.into()),
        }
    }
}

impl From<crate::error::RandomError> for AccountError {
    fn from(e: crate::error::RandomError) -> Self {
        AccountError::Internal(e.into())
    }
}

pub(crate) fn valid_username(u: &str) -> bool {
    let t = u.trim();
    !t.is_empty() && t.chars().count() <= 254 && !t.chars().any(char::is_control)
}

pub(crate) fn valid_display_name(n: &str) -> bool {
    let t = n.trim();
    !t.is_empty() && t.chars().count() <= 200 && !t.chars().any(char::is_control)
}

impl Portal {
    /// Sets up portal access for a client: reuses the login of the same contact or the same
    /// email address in this agency, or creates a new one (status `Invited`). Audited.
    pub async fn set_up_access(
        &self,
        agency: AgencyId,
        actor: Actor,
        req: SetUpAccess,
        ctx: &RequestContext,
    ) -> Result<AccessSetUp, AccountError> {
        let email = req.email.trim().to_string();
        if !is_plausible_email(&email) {
            return Err(AccountError::InvalidEmail);
        }
        let username = req.username.as_deref().unwrap_or(&email).trim().to_string();
        if !valid_username(&username) {
            return Err(AccountError::InvalidUsername);
        }
        if !valid_display_name(&req.display_name) {
            return Err(AccountError::InvalidName);
        }
        self.store.agency(agency).await?;
        let now = self.now();
        let email_key = login_key(&email);
        let username_key = login_key(&username);

        if let Some(contact) = &req.contact
            && let Some(existing) = self.store.account_by_contact(agency, contact).await?
        {
            return Ok(AccessSetUp {
                account: existing,
                created: false,
            });
        }
        // The same person (same email) already has a login: link the contact to it.
        if let Some(existing) = self.store.account_by_login(agency, &email_key).await? {
            if existing.email_key == email_key {
                if let Some(contact) = &req.contact {
                    let audit = self.audit_event(
                        agency,
                        now,
                        actor,
                        Some(existing.id),
                        AuditKind::AccessSetUp,
                        ctx,
                        &format!("contact {} linked to existing login", contact.0),
                    )?;
                    match self
                        .store
                        .link_contact(agency, existing.id, contact, &audit)
                        .await
                    {
                        Ok(()) => {}
                        Err(StoreError::Conflict(_)) => {
                            return Err(AccountError::ContactLinkedElsewhere);
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                return Ok(AccessSetUp {
                    account: existing,
                    created: false,
                });
            }
            return Err(AccountError::Taken);
        }
        if username_key != email_key
            && self
                .store
                .account_by_login(agency, &username_key)
                .await?
                .is_some()
        {
            return Err(AccountError::Taken);
        }
        let account = Account {
            id: AccountId::from_random_bytes(self.random.bytes16()?),
            agency,
            username,
            username_key,
            email,
            email_key,
            display_name: req.display_name.trim().to_string(),
            status: AccountStatus::Invited,
            password_hash: None,
            created_at: now,
            activated_at: None,
            password_changed_at: None,
        };
        let detail = match &req.contact {
            Some(c) => format!("login created for contact {}", c.0),
            None => "login created".to_string(),
        };
        let audit = self.audit_event(
            agency,
            now,
            actor,
            Some(account.id),
            AuditKind::AccessSetUp,
            ctx,
            &detail,
        )?;
        match self
            .store
            .insert_account(&account, req.contact.as_ref(), &audit)
            .await
        {
            Ok(()) => Ok(AccessSetUp {
                account,
                created: true,
            }),
            Err(StoreError::Conflict(_)) => Err(AccountError::Taken),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads an account of the agency.
    pub async fn account(&self, agency: AgencyId, id: AccountId) -> Result<Account, AccountError> {
        Ok(self.store.account(agency, id).await?)
    }

    /// Accounts of the agency, paged.
    pub async fn accounts(
        &self,
        agency: AgencyId,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Account>, AccountError> {
        Ok(self
            .store
            .list_accounts(agency, offset, limit.clamp(1, 500))
            .await?)
    }

    /// Changes username, email or display name (staff). Never a password.
    pub async fn update_profile(
        &self,
        agency: AgencyId,
        actor: Actor,
        id: AccountId,
        username: Option<String>,
        display_name: Option<String>,
        ctx: &RequestContext,
    ) -> Result<Account, AccountError> {
        let mut account = self.store.account(agency, id).await?;
        if let Some(u) = username {
            if !valid_username(&u) {
                return Err(AccountError::InvalidUsername);
            }
            let key = login_key(&u);
            if let Some(other) = self.store.account_by_login(agency, &key).await?
                && other.id != id
            {
                return Err(AccountError::Taken);
            }
            account.username = u.trim().to_string();
            account.username_key = key;
        }
        if let Some(n) = display_name {
            if !valid_display_name(&n) {
                return Err(AccountError::InvalidName);
            }
            account.display_name = n.trim().to_string();
        }
        self.store.update_profile(&account).await?;
        self.audit(
            agency,
            actor,
            Some(id),
            AuditKind::AccessSetUp,
            ctx,
            "profile updated",
        )
        .await?;
        Ok(account)
    }

    /// Disables an account: no sign-in, every session ends and every link dies at once.
    pub async fn disable_account(
        &self,
        agency: AgencyId,
        actor: Actor,
        id: AccountId,
        ctx: &RequestContext,
    ) -> Result<(), AccountError> {
        self.store.account(agency, id).await?;
        let now = self.now();
        let mut change = CredentialChange::new(agency, id, now);
        change.status = Some(AccountStatus::Disabled);
        change.end_sessions = EndSessions::All;
        change.revoke_links = true;
        change.audit.push(self.audit_event(
            agency,
            now,
            actor,
            Some(id),
            AuditKind::AccountDisabled,
            ctx,
            "",
        )?);
        self.store.apply_change(&change).await?;
        Ok(())
    }

    /// Enables a disabled account again (active if it had a password, else invited).
    pub async fn enable_account(
        &self,
        agency: AgencyId,
        actor: Actor,
        id: AccountId,
        ctx: &RequestContext,
    ) -> Result<(), AccountError> {
        let account = self.store.account(agency, id).await?;
        if account.status != AccountStatus::Disabled {
            return Ok(());
        }
        let now = self.now();
        let mut change = CredentialChange::new(agency, id, now);
        change.status = Some(if account.password_hash.is_some() {
            AccountStatus::Active
        } else {
            AccountStatus::Invited
        });
        change.audit.push(self.audit_event(
            agency,
            now,
            actor,
            Some(id),
            AuditKind::AccountEnabled,
            ctx,
            "",
        )?);
        self.store.apply_change(&change).await?;
        Ok(())
    }

    /// Deletes an account for good (grants, sessions, links, codes, contact links). Needs the
    /// account's exact username as confirmation. The audit record keeps no personal data.
    pub async fn delete_account(
        &self,
        agency: AgencyId,
        actor: Actor,
        id: AccountId,
        confirm_username: &str,
        ctx: &RequestContext,
    ) -> Result<(), AccountError> {
        let account = self.store.account(agency, id).await?;
        if confirm_username != account.username {
            return Err(AccountError::ConfirmationMismatch);
        }
        let audit = self.audit_event(
            agency,
            self.now(),
            actor,
            Some(id),
            AuditKind::AccountDeleted,
            ctx,
            "account deleted",
        )?;
        self.store.delete_account(agency, id, &audit).await?;
        Ok(())
    }

    /// Ends every session of an account (staff or host CRM: checklist 29).
    pub async fn end_sessions_of(
        &self,
        agency: AgencyId,
        actor: Actor,
        id: AccountId,
        ctx: &RequestContext,
    ) -> Result<u64, AccountError> {
        self.store.account(agency, id).await?;
        let n = self.store.delete_sessions_of(agency, id, None).await?;
        self.audit(
            agency,
            actor,
            Some(id),
            AuditKind::SessionsEnded,
            ctx,
            &format!("{n} sessions ended by staff"),
        )
        .await?;
        Ok(n)
    }
}
