//! Staff preview ("view as client"): a session of its own kind, recording the staff member,
//! that sees exactly what the client sees and can change nothing (checklist 39).
//!
//! Opening a preview never touches the client's credentials or sessions; it always creates a
//! fresh session with a fresh id and token (checklist 24), which lives at most
//! [`PREVIEW_LIFETIME`]. Leaving deletes it. Both are audited with staff and client.

use super::{Access, AccessPorts, Staff};
use crate::error::{RandomError, StoreError};
use crate::ids::*;
use crate::model::{AccountStatus, AuditKind, Principal, Session, SessionKind, sanitize_text};
use crate::secret::RawToken;
use crate::token::{self, TokenKind};
use thiserror::Error;
use time::{Duration, OffsetDateTime};

/// The longest a preview session lives (absolute), however active; also the default.
pub const PREVIEW_LIFETIME: Duration = Duration::minutes(15);

/// A preview could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PreviewError {
    /// No such account in the staff member's agency (another agency's looks the same).
    #[error("account not found")]
    AccountNotFound,
    /// The account is disabled.
    #[error("account is disabled")]
    AccountDisabled,
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
    /// The random generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

impl From<StoreError> for PreviewError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PreviewError::AccountNotFound,
            other => PreviewError::Store(other),
        }
    }
}

/// An opened preview: the token to hand to the staff member's browser (once), the session.
#[derive(Debug, Clone)]
pub struct PreviewStarted {
    /// The preview token (`ppvw_…`). Shown once; only its hash is stored.
    pub token: RawToken,
    /// The preview session.
    pub session: Session,
}

impl PreviewStarted {
    /// The principal the preview acts as (read-only).
    pub fn principal(&self) -> Principal {
        Principal {
            agency: self.session.agency,
            account: self.session.account,
            session: self.session.id,
            kind: self.session.kind.clone(),
        }
    }
}

impl<S: ?Sized + AccessPorts> Access<S> {
    /// Opens a preview of `account` for a staff member of the same agency, audited
    /// (`preview.started`) with both. Refused for a disabled account and for any account
    /// not of the staff member's agency.
    pub async fn start_preview(
        &self,
        staff: &Staff,
        account: AccountId,
        now: OffsetDateTime,
    ) -> Result<PreviewStarted, PreviewError> {
        let acc = self.store.account(staff.agency, account).await?;
        if acc.agency != staff.agency {
            return Err(PreviewError::AccountNotFound);
        }
        if acc.status == AccountStatus::Disabled {
            return Err(PreviewError::AccountDisabled);
        }
        let idle = match self.store.agency(staff.agency).await {
            Ok(a) => a.settings.session_idle_timeout.min(self.preview_lifetime),
            Err(StoreError::NotFound) => return Err(PreviewError::AccountNotFound),
            Err(e) => return Err(PreviewError::Store(e)),
        };
        let token = token::generate(TokenKind::Preview, self.random.as_ref())?;
        let staff_name = sanitize_text(&staff.name, 100);
        let session = Session {
            id: SessionId::from_random_bytes(self.random.bytes16()?),
            agency: staff.agency,
            account,
            hash: token.hash(),
            kind: SessionKind::Preview {
                staff: staff_name.clone(),
            },
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now + idle,
            absolute_expires_at: now + self.preview_lifetime.min(PREVIEW_LIFETIME),
            address: staff.address,
            user_agent: None,
        };
        let audit = self.staff_event(
            staff,
            now,
            Some(account),
            AuditKind::PreviewStarted,
            &format!("preview session {} opened by {staff_name}", session.id),
        )?;
        self.store.insert_session(&session, Some(&audit)).await?;
        Ok(PreviewStarted { token, session })
    }

    /// Leaves a preview: deletes its session (a later preview gets a new id), audited.
    /// `Ok(false)` if it was already gone. Refuses to end a client's own session.
    pub async fn end_preview(
        &self,
        principal: &Principal,
        now: OffsetDateTime,
    ) -> Result<bool, PreviewError> {
        if !principal.is_preview() {
            return Ok(false);
        }
        let ended = self
            .store
            .delete_session(principal.agency, principal.session)
            .await?;
        if ended {
            let audit = self.audit_event(
                principal.agency,
                now,
                super::policy::principal_actor(principal),
                Some(principal.account),
                AuditKind::SignedOut,
                None,
                &format!("preview session {} closed", principal.session),
            )?;
            self.store.append_audit(&audit).await?;
        }
        Ok(ended)
    }
}
