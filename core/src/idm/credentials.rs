//! A signed-in client changes their own password or email address.
//!
//! Both need the current password and a live client session (never a preview): checklist 5
//! and 31. A password change ends every other session and sends a notice; an email change is
//! confirmed by a link sent to the new address, with a notice to the old one.

use crate::hash::Verification;
use crate::idm::link::{Found, LinkError};
use crate::idm::password::{PasswordPolicy, PasswordPolicyError, PolicyContext};
use crate::idm::session::actor_of;
use crate::idm::softlock::Decision;
use crate::ids::*;
use crate::model::*;
use crate::portal::{Internal, Portal, RequestContext, SignedIn, portal_url};
use crate::secret::Password;
use crate::store::{CredentialChange, EndSessions};
use thiserror::Error;

/// Why a change of password or email was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The current password is wrong.
    #[error("the current password is not correct")]
    WrongPassword,
    /// Too many wrong passwords: try again later.
    #[error("too many attempts; try again later")]
    Throttled,
    /// The new password is refused.
    #[error(transparent)]
    Password(#[from] PasswordPolicyError),
    /// The new email address is not valid or cannot be used.
    #[error("this email address cannot be used")]
    EmailUnavailable,
    /// A staff preview cannot change anything.
    #[error("a preview cannot change anything")]
    ReadOnly,
    /// The confirmation link is refused.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Storage, hashing or randomness failed; nothing changed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<crate::error::StoreError> for CredentialError {
    fn from(e: crate::error::StoreError) -> Self {
        CredentialError::Internal(e.into())
    }
}

impl From<Found> for CredentialError {
    fn from(f: Found) -> Self {
        match f {
            Found::Refused(e) => CredentialError::Link(e),
            Found::Failed(e) => CredentialError::Internal(e),
        }
    }
}

impl Portal {
    /// Re-authenticates the client with the current password (throttled like a sign-in).
    async fn reauthenticate(
        &self,
        principal: &Principal,
        current: &Password,
        ctx: &RequestContext,
    ) -> Result<(Agency, Account), CredentialError> {
        if principal.is_preview() {
            return Err(CredentialError::ReadOnly);
        }
        let now = self.now();
        let agency = self.store.agency(principal.agency).await?;
        let account = self
            .store
            .account(principal.agency, principal.account)
            .await?;
        let key = ThrottleKey::login(&account.username);
        if self
            .throttle_decision(agency.id, std::slice::from_ref(&key), None, now)
            .await?
            != Decision::Allow
        {
            return Err(CredentialError::Throttled);
        }
        let current = current.normalized();
        let ok = match &account.password_hash {
            Some(h) => matches!(
                self.hasher.verify(&current, h).await,
                Ok(Verification::Match { .. })
            ),
            None => {
                self.hasher
                    .verify_dummy(&current)
                    .await
                    .map_err(Internal::from)?;
                false
            }
        };
        if !ok {
            self.record_failures(agency.id, &[key], now).await?;
            self.audit(
                agency.id,
                actor_of(principal),
                Some(account.id),
                AuditKind::SignInFailed,
                ctx,
                "method=reauthentication reason=wrong_password",
            )
            .await?;
            return Err(CredentialError::WrongPassword);
        }
        Ok((agency, account))
    }

    /// Changes the client's password: needs the current one (checklist 5); ends every
    /// session, the caller's included, and starts a fresh one for the caller (a new session id
    /// after re-authentication: checklist 24); sends a notice email.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &Password,
        new: &Password,
        ctx: &RequestContext,
    ) -> Result<SignedIn, CredentialError> {
        let (agency, account) = self.reauthenticate(principal, current, ctx).await?;
        let now = self.now();
        let new = new.normalized();
        PasswordPolicy::for_agency(&agency.settings).check(
            &new,
            &PolicyContext {
                username: &account.username,
                email: &account.email,
                agency_name: &agency.name,
            },
        )?;
        let hash = self.hasher.hash(&new).await.map_err(Internal::from)?;
        let (raw, session) = self
            .new_session(&agency, account.id, SessionKind::Client, now, ctx)
            .map_err(Internal::from)?;
        let mut change = CredentialChange::new(agency.id, account.id, now);
        change.password_hash = Some(hash.clone());
        change.end_sessions = EndSessions::All;
        change.new_session = Some(session.clone());
        change.revoke_links = true;
        change.mail.push(
            self.outbox_message(
                agency.id,
                now,
                &account.email,
                MailContent::PasswordChanged {
                    recipient_name: account.display_name.clone(),
                    changed_at: now,
                },
            )
            .map_err(Internal::from)?,
        );
        change.audit.push(
            self.audit_event(
                agency.id,
                now,
                actor_of(principal),
                Some(account.id),
                AuditKind::PasswordChanged,
                ctx,
                "every session ended; a new one started",
            )
            .map_err(Internal::from)?,
        );
        self.store.apply_change(&change).await?;
        self.mail_queued();
        let mut account = account;
        account.password_hash = Some(hash);
        account.password_changed_at = Some(now);
        Ok(SignedIn {
            token: raw,
            session,
            account,
        })
    }

    /// Asks to change the client's email address: needs the current password; sends a
    /// confirmation link to the new address and a notice to the old one (checklist 31).
    pub async fn request_email_change(
        &self,
        principal: &Principal,
        current: &Password,
        new_email: &str,
        ctx: &RequestContext,
    ) -> Result<(), CredentialError> {
        let (agency, account) = self.reauthenticate(principal, current, ctx).await?;
        let now = self.now();
        let new_email = new_email.trim();
        if !is_plausible_email(new_email) {
            return Err(CredentialError::EmailUnavailable);
        }
        let key = login_key(new_email);
        if let Some(other) = self.store.account_by_login(agency.id, &key).await?
            && other.id != account.id
        {
            return Err(CredentialError::EmailUnavailable);
        }
        let issued = self.new_link(
            agency.id,
            account.id,
            LinkPurpose::EmailChange,
            now,
            self.config.email_change_lifetime,
            actor_of(principal),
            Some(new_email.to_string()),
        )?;
        let mail = self
            .outbox_message(
                agency.id,
                now,
                new_email,
                MailContent::EmailChangeConfirm {
                    recipient_name: account.display_name.clone(),
                    confirm_url: portal_url(&agency, "/confirm-email", Some(&issued.raw)),
                    expires_at: issued.link.expires_at,
                },
            )
            .map_err(Internal::from)?;
        let audit = self
            .audit_event(
                agency.id,
                now,
                actor_of(principal),
                Some(account.id),
                AuditKind::EmailChangeRequested,
                ctx,
                "",
            )
            .map_err(Internal::from)?;
        self.store.issue_link(&issued.link, &mail, &audit).await?;
        let notice = self
            .outbox_message(
                agency.id,
                now,
                &account.email,
                MailContent::EmailChangeNotice {
                    recipient_name: account.display_name.clone(),
                    new_email_masked: mask_email(new_email),
                },
            )
            .map_err(Internal::from)?;
        self.store.enqueue_mail(&notice).await?;
        self.mail_queued();
        Ok(())
    }

    /// Confirms a new email address through the link sent to it. If the username was the old
    /// email address it follows the new one.
    pub async fn confirm_email_change(
        &self,
        agency: AgencyId,
        raw_token: &str,
        ctx: &RequestContext,
    ) -> Result<(), CredentialError> {
        let now = self.now();
        let link = self
            .find_live_link(agency, LinkPurpose::EmailChange, raw_token, now)
            .await?;
        let Some(new_email) = link.new_email.clone() else {
            return Err(LinkError::Invalid.into());
        };
        let account = self.store.account(agency, link.account).await?;
        if account.status == AccountStatus::Disabled {
            return Err(LinkError::Revoked.into());
        }
        let mut change = CredentialChange::new(agency, account.id, now);
        let key = login_key(&new_email);
        change.new_email = Some((new_email, key));
        change.audit.push(
            self.audit_event(
                agency,
                now,
                Actor::Client {
                    account: account.id,
                },
                Some(account.id),
                AuditKind::EmailChanged,
                ctx,
                "",
            )
            .map_err(Internal::from)?,
        );
        match self.redeem(&link, &change).await {
            Ok(()) => Ok(()),
            Err(Found::Failed(Internal::Store(crate::error::StoreError::Conflict(_)))) => {
                Err(CredentialError::EmailUnavailable)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// `ann.smith@example.com` → `a***h@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('*');
            let last = local.chars().last().unwrap_or('*');
            if local.chars().count() <= 2 {
                format!("{first}***@{domain}")
            } else {
                format!("{first}***{last}@{domain}")
            }
        }
        None => "***".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        assert_eq!(mask_email("ann.smith@example.com"), "a***h@example.com");
        assert_eq!(mask_email("ab@x.io"), "a***@x.io");
    }
}
