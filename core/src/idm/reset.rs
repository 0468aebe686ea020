//! Forgotten password and staff-sent resets.
//!
//! From the sign-in page a client asks for a reset by username or email. The answer is the
//! same whether or not the account exists, and nothing changes until a valid link is used
//! (checklist 16). The link lives 1 hour and is single-use; a successful reset ends every
//! session, kills every other link, clears the failure counters (re-enabling a password
//! locked after 100 failures), sends a notice, and does *not* sign the client in (checklist 19).
//!
//! Emails asked for from outside are limited per account (5 an hour) and per address; past
//! the limit the request is quietly dropped with the same answer.

use crate::idm::invitation::InvitationError;
use crate::idm::link::{Found, LinkError};
use crate::idm::password::{PasswordPolicy, PasswordPolicyError, PolicyContext};
use crate::idm::softlock::{self, Decision};
use crate::ids::*;
use crate::model::*;
use crate::portal::{Internal, Portal, RequestContext, portal_url};
use crate::secret::Password;
use crate::store::{CredentialChange, EndSessions};
use thiserror::Error;
use time::{Duration, OffsetDateTime};

/// Why a reset was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResetError {
    /// The link is refused (each case its own error).
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The new password is refused; the link is still usable.
    #[error(transparent)]
    Password(#[from] PasswordPolicyError),
    /// (Staff) no such account in this agency.
    #[error("no such account")]
    NotFound,
    /// (Staff) the account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// Storage, hashing or randomness failed; nothing was changed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<Found> for ResetError {
    fn from(f: Found) -> Self {
        match f {
            Found::Refused(e) => ResetError::Link(e),
            Found::Failed(e) => ResetError::Internal(e),
        }
    }
}

impl From<InvitationError> for ResetError {
    fn from(e: InvitationError) -> Self {
        match e {
            InvitationError::NotFound => ResetError::NotFound,
            InvitationError::AccountDisabled => ResetError::AccountDisabled,
            InvitationError::Internal(i) => ResetError::Internal(i),
            _ => ResetError::NotFound,
        }
    }
}

impl Portal {
    /// Whether another email asked for from outside may go to `account` now (per account,
    /// per hour) — counted over the links of `purpose` already issued.
    pub(crate) async fn account_mail_allowed(
        &self,
        agency: AgencyId,
        account: AccountId,
        purposes: &[LinkPurpose],
        now: OffsetDateTime,
    ) -> Result<bool, Internal> {
        let mut recent = 0usize;
        for p in purposes {
            recent += self
                .store
                .links(agency, Some(account), Some(*p))
                .await?
                .iter()
                .filter(|l| l.created_at > now - Duration::hours(1))
                .count();
        }
        Ok(recent < self.config.emails_per_account_per_hour)
    }

    /// Counts an email request from `ctx`'s address; `false` when the address is over its
    /// limit (the request is then dropped, with the same answer).
    pub(crate) async fn address_mail_allowed(
        &self,
        agency: AgencyId,
        ctx: &RequestContext,
        now: OffsetDateTime,
    ) -> Result<bool, Internal> {
        let Some(addr) = ctx.address else {
            return Ok(true);
        };
        let key = ThrottleKey(format!("mail-{}", ThrottleKey::address(addr).0));
        let mut state = self.store.throttle(agency, &key).await?;
        if state
            .last_failure_at
            .is_some_and(|t| now - t > Duration::hours(1))
        {
            self.store.clear_throttle(agency, &key).await?;
            state = ThrottleState::default();
        }
        let decision = softlock::decide(&self.config.address_throttle, &state, now);
        self.store.record_failure(agency, &key, now).await?;
        Ok(decision == Decision::Allow)
    }

    /// A client asks for a password reset from the sign-in page, by username or email.
    /// Always `Ok(())` unless storage fails: the caller must answer "if the account exists, an
    /// email is on its way" whatever happened. An account not yet activated gets a fresh
    /// invitation instead; a disabled one gets nothing.
    pub async fn request_password_reset(
        &self,
        agency: AgencyId,
        login: &str,
        ctx: &RequestContext,
    ) -> Result<(), Internal> {
        let now = self.now();
        let agency = match self.store.agency(agency).await {
            Ok(a) => a,
            Err(crate::error::StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let address_ok = self.address_mail_allowed(agency.id, ctx, now).await?;
        let login = &login
            [..login.floor_char_boundary(crate::idm::signin::MAX_LOGIN_BYTES.min(login.len()))];
        let account = self
            .store
            .account_by_login(agency.id, &login_key(login))
            .await?;
        self.audit(
            agency.id,
            Actor::Anonymous,
            account.as_ref().map(|a| a.id),
            AuditKind::PasswordResetRequested,
            ctx,
            if account.is_some() {
                ""
            } else {
                "unknown account: no email sent"
            },
        )
        .await?;
        let Some(account) = account else {
            // The same reads and the same write as for an existing account (issue 9).
            self.account_mail_allowed(
                agency.id,
                self.decoy_account()?,
                &[LinkPurpose::PasswordReset, LinkPurpose::Invitation],
                now,
            )
            .await?;
            return self.decoy_link(&agency, now).await;
        };
        if !address_ok
            || !self
                .account_mail_allowed(
                    agency.id,
                    account.id,
                    &[LinkPurpose::PasswordReset, LinkPurpose::Invitation],
                    now,
                )
                .await?
        {
            tracing::info!(agency = %agency.id, "reset email dropped by rate limit");
            return self.decoy_link(&agency, now).await;
        }
        match account.status {
            AccountStatus::Disabled => self.decoy_link(&agency, now).await,
            AccountStatus::Invited => {
                match self
                    .issue_invitation(&agency, &account, Actor::Anonymous, now, ctx)
                    .await
                {
                    Ok(_) => Ok(()),
                    Err(InvitationError::Internal(e)) => Err(e),
                    Err(_) => Ok(()),
                }
            }
            AccountStatus::Active => {
                self.issue_reset(&agency, &account, Actor::Anonymous, now, ctx)
                    .await
            }
        }
    }

    /// An account id that exists nowhere (fresh random bytes), for decoy work.
    pub(crate) fn decoy_account(&self) -> Result<AccountId, Internal> {
        Ok(AccountId::from_random_bytes(
            self.random.bytes16().map_err(Internal::from)?,
        ))
    }

    /// The work of issuing a reset link, for a request that sends nothing (unknown, disabled
    /// or rate-limited account), so that its timing does not tell it apart from one that
    /// sends (issue 9; measured by portico-http's `enumeration` test): the same link, mail
    /// and audit records are built and handed to the store in one `issue_link`, aimed at an
    /// account that does not exist, which every store refuses (`NotFound`) without keeping
    /// anything; then one small committed write. Any other storage failure fails the request,
    /// as it would for a real account.
    pub(crate) async fn decoy_link(
        &self,
        agency: &Agency,
        now: OffsetDateTime,
    ) -> Result<(), Internal> {
        let account = self.decoy_account()?;
        let issued = self.new_link(
            agency.id,
            account,
            LinkPurpose::PasswordReset,
            now,
            self.config.reset_lifetime,
            Actor::Anonymous,
            None,
        )?;
        let content = MailContent::PasswordReset {
            recipient_name: String::new(),
            reset_url: portal_url(agency, "/reset", Some(&issued.raw)),
            expires_at: issued.link.expires_at,
        };
        let mail = self.outbox_message(agency.id, now, "decoy@invalid", content)?;
        let audit = self.audit_event(
            agency.id,
            now,
            Actor::Anonymous,
            Some(account),
            AuditKind::PasswordResetSent,
            &RequestContext::default(),
            "decoy",
        )?;
        match self.store.issue_link(&issued.link, &mail, &audit).await {
            Err(crate::error::StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
            Ok(()) => {
                tracing::error!(agency = %agency.id, "a store accepted a link for no account");
            }
        }
        // A refused write costs less than a committed one: commit one small write too (a
        // counter no decision reads), as a real request commits its link.
        self.store
            .record_failure(agency.id, &ThrottleKey("decoy".into()), now)
            .await?;
        Ok(())
    }

    /// Staff (through the host CRM) send a password reset email: a reset link for an active
    /// account, or a fresh invitation for one not yet activated (the seeds' "send invitation /
    /// password reset" tool). Staff never set or see a password (checklist 20).
    pub async fn send_password_reset(
        &self,
        agency: AgencyId,
        actor: Actor,
        account: AccountId,
        ctx: &RequestContext,
    ) -> Result<LinkPurpose, ResetError> {
        let now = self.now();
        let agency = self.store.agency(agency).await.map_err(|e| match e {
            crate::error::StoreError::NotFound => ResetError::NotFound,
            other => ResetError::Internal(other.into()),
        })?;
        let account = self
            .store
            .account(agency.id, account)
            .await
            .map_err(|e| match e {
                crate::error::StoreError::NotFound => ResetError::NotFound,
                other => ResetError::Internal(other.into()),
            })?;
        match account.status {
            AccountStatus::Disabled => Err(ResetError::AccountDisabled),
            AccountStatus::Invited => {
                self.issue_invitation(&agency, &account, actor, now, ctx)
                    .await?;
                Ok(LinkPurpose::Invitation)
            }
            AccountStatus::Active => {
                self.issue_reset(&agency, &account, actor, now, ctx).await?;
                Ok(LinkPurpose::PasswordReset)
            }
        }
    }

    async fn issue_reset(
        &self,
        agency: &Agency,
        account: &Account,
        actor: Actor,
        now: OffsetDateTime,
        ctx: &RequestContext,
    ) -> Result<(), Internal> {
        let issued = self.new_link(
            agency.id,
            account.id,
            LinkPurpose::PasswordReset,
            now,
            self.config.reset_lifetime,
            actor.clone(),
            None,
        )?;
        let content = MailContent::PasswordReset {
            recipient_name: account.display_name.clone(),
            reset_url: portal_url(agency, "/reset", Some(&issued.raw)),
            expires_at: issued.link.expires_at,
        };
        let mail = self.outbox_message(agency.id, now, &account.email, content)?;
        let audit = self.audit_event(
            agency.id,
            now,
            actor,
            Some(account.id),
            AuditKind::PasswordResetSent,
            ctx,
            &format!(
                "reset link {} expires {}",
                issued.link.id, issued.link.expires_at
            ),
        )?;
        self.store.issue_link(&issued.link, &mail, &audit).await?;
        self.mail_queued();
        Ok(())
    }

    /// Sets a new password through a reset link. Atomically: uses the link, sets the password,
    /// ends every session, kills other links and codes, clears failure counters, queues a
    /// notice email. Does not sign in.
    pub async fn reset_password(
        &self,
        agency: AgencyId,
        raw_token: &str,
        password: &Password,
        ctx: &RequestContext,
    ) -> Result<(), ResetError> {
        let now = self.now();
        let link = self
            .find_live_link(agency, LinkPurpose::PasswordReset, raw_token, now)
            .await?;
        let agency = self.store.agency(agency).await.map_err(Internal::from)?;
        let account = self
            .store
            .account(agency.id, link.account)
            .await
            .map_err(Internal::from)?;
        if account.status == AccountStatus::Disabled {
            return Err(LinkError::Revoked.into());
        }
        let password = password.normalized();
        PasswordPolicy::for_agency(&agency.settings).check(
            &password,
            &PolicyContext {
                username: &account.username,
                email: &account.email,
                agency_name: &agency.name,
            },
        )?;
        let hash = self.hasher.hash(&password).await.map_err(Internal::from)?;
        let mut change = CredentialChange::new(agency.id, account.id, now);
        change.password_hash = Some(hash);
        change.end_sessions = EndSessions::All;
        change.revoke_links = true;
        change.clear_throttle = vec![
            ThrottleKey::login(&account.username),
            ThrottleKey::login(&account.email),
        ];
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
                Actor::Client {
                    account: account.id,
                },
                Some(account.id),
                AuditKind::PasswordReset,
                ctx,
                &format!("reset link {}; every session ended", link.id),
            )
            .map_err(Internal::from)?,
        );
        self.redeem(&link, &change).await?;
        self.mail_queued();
        Ok(())
    }
}
