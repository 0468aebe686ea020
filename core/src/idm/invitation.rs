//! Invitation and activation.
//!
//! Staff send an invitation: an email with a single-use activation link (48 hours by default,
//! 1 hour to 14 days per agency) and the portal's sign-in link. Resending makes a new link and
//! kills the old one. The client opens the link (nothing is used up), sets a password, and the
//! account becomes active with a session — all in one transaction.

use crate::idm::link::{Found, LinkError};
use crate::idm::password::{PasswordPolicy, PasswordPolicyError, PolicyContext};
use crate::ids::*;
use crate::model::*;
use crate::portal::{Internal, Portal, RequestContext, SignedIn, portal_url};
use crate::secret::Password;
use crate::store::{CredentialChange, EndSessions};
use thiserror::Error;
use time::OffsetDateTime;

/// An invitation as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Identifier.
    pub id: LinkId,
    /// The invited account.
    pub account: AccountId,
    /// Pending, used (accepted), expired, superseded or revoked — as of now.
    pub state: LinkState,
    /// Sent at.
    pub created_at: OffsetDateTime,
    /// Dies at.
    pub expires_at: OffsetDateTime,
    /// Accepted at.
    pub used_at: Option<OffsetDateTime>,
    /// Who sent it.
    pub created_by: Actor,
}

impl Invitation {
    fn from_link(link: &LinkToken, now: OffsetDateTime) -> Self {
        Self {
            id: link.id,
            account: link.account,
            state: link.state(now),
            created_at: link.created_at,
            expires_at: link.expires_at,
            used_at: link.used_at,
            created_by: link.created_by.clone(),
        }
    }
}

/// Why an invitation could not be sent or revoked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum InvitationError {
    /// No such account (or invitation) in this agency.
    #[error("no such account or invitation")]
    NotFound,
    /// The account is already active: send a password reset instead.
    #[error("the account is already active; send a password reset instead")]
    AlreadyActive,
    /// The account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// The invitation is no longer pending.
    #[error("the invitation is no longer pending")]
    NotPending,
    /// Storage or randomness failed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<crate::error::StoreError> for InvitationError {
    fn from(e: crate::error::StoreError) -> Self {
        match e {
            crate::error::StoreError::NotFound => InvitationError::NotFound,
            other => InvitationError::Internal(other.into()),
        }
    }
}

/// Why an activation was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ActivationError {
    /// The link is refused (each case its own error).
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The chosen password is refused; the link is still usable.
    #[error(transparent)]
    Password(#[from] PasswordPolicyError),
    /// Storage, hashing or randomness failed; nothing was changed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<Found> for ActivationError {
    fn from(f: Found) -> Self {
        match f {
            Found::Refused(e) => ActivationError::Link(e),
            Found::Failed(e) => ActivationError::Internal(e),
        }
    }
}

impl Portal {
    /// Sends (or re-sends) an invitation to an account that has not activated yet. A new link
    /// supersedes any earlier one. The email is queued in the same transaction.
    pub async fn send_invitation(
        &self,
        agency: AgencyId,
        actor: Actor,
        account: AccountId,
        ctx: &RequestContext,
    ) -> Result<Invitation, InvitationError> {
        let agency = self.store.agency(agency).await?;
        let account = self.store.account(agency.id, account).await?;
        match account.status {
            AccountStatus::Active => return Err(InvitationError::AlreadyActive),
            AccountStatus::Disabled => return Err(InvitationError::AccountDisabled),
            AccountStatus::Invited => {}
        }
        let now = self.now();
        self.issue_invitation(&agency, &account, actor, now, ctx)
            .await
            .map(|link| Invitation::from_link(&link, now))
    }

    pub(crate) async fn issue_invitation(
        &self,
        agency: &Agency,
        account: &Account,
        actor: Actor,
        now: OffsetDateTime,
        ctx: &RequestContext,
    ) -> Result<LinkToken, InvitationError> {
        let issued = self.new_link(
            agency.id,
            account.id,
            LinkPurpose::Invitation,
            now,
            agency.settings.invitation_lifetime,
            actor.clone(),
            None,
        )?;
        let content = MailContent::Invitation {
            recipient_name: account.display_name.clone(),
            activation_url: portal_url(agency, "/activate", Some(&issued.raw)),
            login_url: portal_url(agency, "/sign-in", None),
            expires_at: issued.link.expires_at,
        };
        let mail = self
            .outbox_message(agency.id, now, &account.email, content)
            .map_err(Internal::from)?;
        let audit = self
            .audit_event(
                agency.id,
                now,
                actor,
                Some(account.id),
                AuditKind::InvitationSent,
                ctx,
                &format!(
                    "invitation {} expires {}",
                    issued.link.id, issued.link.expires_at
                ),
            )
            .map_err(Internal::from)?;
        self.store.issue_link(&issued.link, &mail, &audit).await?;
        self.mail_queued();
        Ok(issued.link)
    }

    /// Invitations of the agency (optionally of one account), newest first, with their state
    /// as of now.
    pub async fn invitations(
        &self,
        agency: AgencyId,
        account: Option<AccountId>,
    ) -> Result<Vec<Invitation>, InvitationError> {
        let now = self.now();
        Ok(self
            .store
            .links(agency, account, Some(LinkPurpose::Invitation))
            .await?
            .iter()
            .map(|l| Invitation::from_link(l, now))
            .collect())
    }

    /// Revokes a pending invitation.
    pub async fn revoke_invitation(
        &self,
        agency: AgencyId,
        actor: Actor,
        id: LinkId,
        ctx: &RequestContext,
    ) -> Result<(), InvitationError> {
        let link = self.store.link(agency, id).await?;
        if link.purpose != LinkPurpose::Invitation {
            return Err(InvitationError::NotFound);
        }
        let now = self.now();
        let audit = self
            .audit_event(
                agency,
                now,
                actor,
                Some(link.account),
                AuditKind::InvitationRevoked,
                ctx,
                &format!("invitation {id}"),
            )
            .map_err(Internal::from)?;
        if self.store.revoke_link(agency, id, now, &audit).await? {
            Ok(())
        } else {
            Err(InvitationError::NotPending)
        }
    }

    /// Activates an account from its invitation link: checks the password against the policy,
    /// then — atomically — uses the link, sets the password, marks the account active, kills
    /// its other links and starts a session.
    pub async fn activate(
        &self,
        agency: AgencyId,
        raw_token: &str,
        password: &Password,
        ctx: &RequestContext,
    ) -> Result<SignedIn, ActivationError> {
        let now = self.now();
        let link = self
            .find_live_link(agency, LinkPurpose::Invitation, raw_token, now)
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
        let (raw, session) = self
            .new_session(&agency, account.id, SessionKind::Client, now, ctx)
            .map_err(Internal::from)?;
        let mut change = CredentialChange::new(agency.id, account.id, now);
        change.password_hash = Some(hash);
        change.status = Some(AccountStatus::Active);
        change.end_sessions = EndSessions::All;
        change.revoke_links = true;
        change.clear_throttle = vec![
            ThrottleKey::login(&account.username),
            ThrottleKey::login(&account.email),
        ];
        change.new_session = Some(session.clone());
        let actor = Actor::Client {
            account: account.id,
        };
        for (kind, detail) in [
            (
                AuditKind::AccountActivated,
                format!("invitation {}", link.id),
            ),
            (AuditKind::SignInSucceeded, "method=invitation".to_string()),
        ] {
            change.audit.push(
                self.audit_event(
                    agency.id,
                    now,
                    actor.clone(),
                    Some(account.id),
                    kind,
                    ctx,
                    &detail,
                )
                .map_err(Internal::from)?,
            );
        }
        self.redeem(&link, &change).await?;
        let mut account = account;
        account.status = AccountStatus::Active;
        account.activated_at.get_or_insert(now);
        account.password_changed_at = Some(now);
        account.password_hash = change.password_hash;
        Ok(SignedIn {
            token: raw,
            session,
            account,
        })
    }
}
