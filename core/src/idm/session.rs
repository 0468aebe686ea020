//! Sessions: checking a token on each request, idle and absolute timeouts, sign-out, and the
//! client's own list of sessions.
//!
//! A session token is opaque (256 random bits); only its SHA-256 is stored and it is checked
//! only server-side. The idle timeout slides with use (written at most once a minute) but never
//! past the absolute lifetime (checklist 27). Expiry is a pure function of the time passed in.

use crate::ids::*;
use crate::model::*;
use crate::portal::{Internal, Portal, RequestContext};
use crate::token::{self, TokenKind};
use thiserror::Error;
use time::{Duration, OffsetDateTime};

/// Why a session token was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Unknown, malformed, ended or of another agency: sign in again.
    #[error("not signed in")]
    Invalid,
    /// The session timed out (idle or absolute): sign in again.
    #[error("the session has expired")]
    Expired,
    /// A staff preview tried to change something (previews are read-only).
    #[error("a preview cannot change anything")]
    ReadOnly,
    /// No such session of this account.
    #[error("no such session")]
    NotFound,
    /// Storage failed: fail closed.
    #[error(transparent)]
    Internal(#[from] Internal),
}

impl From<crate::error::StoreError> for SessionError {
    fn from(e: crate::error::StoreError) -> Self {
        SessionError::Internal(e.into())
    }
}

/// A session as its owner sees it in "your sessions" (no token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Identifier, to end it.
    pub id: SessionId,
    /// Sign-in time.
    pub created_at: OffsetDateTime,
    /// Last activity.
    pub last_seen_at: OffsetDateTime,
    /// Address at sign-in.
    pub address: Option<std::net::IpAddr>,
    /// Browser at sign-in.
    pub user_agent: Option<String>,
    /// Whether this is the session asking.
    pub current: bool,
}

/// What happens to a session at `now`: a pure function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    /// Dead: idle or absolute limit passed.
    Expired,
    /// Alive; nothing to write.
    Live,
    /// Alive; record activity with this new idle expiry.
    Touch {
        /// The new idle expiry (never past the absolute one).
        idle_expires_at: OffsetDateTime,
    },
}

/// Decides a session's fate at `now`. The idle length is the one the session was given
/// (`idle_expires_at - last_seen_at` at its last write), so no settings lookup is needed.
pub fn liveness(session: &Session, now: OffsetDateTime, touch_interval: Duration) -> Liveness {
    if !session.is_live(now) {
        return Liveness::Expired;
    }
    if now - session.last_seen_at < touch_interval {
        return Liveness::Live;
    }
    let idle = session.idle_expires_at - session.last_seen_at;
    Liveness::Touch {
        idle_expires_at: (now + idle).min(session.absolute_expires_at),
    }
}

impl Portal {
    /// Checks a session (or preview) token on a request of `agency` and returns who asks.
    /// Expired sessions are deleted. Grants are not part of the answer: each authorization
    /// decision reads them afresh (checklist 38).
    pub async fn authenticate(
        &self,
        agency: AgencyId,
        raw_token: &str,
    ) -> Result<Principal, SessionError> {
        let token = token::parse(TokenKind::Session, raw_token)
            .or_else(|_| token::parse(TokenKind::Preview, raw_token))
            .map_err(|_| SessionError::Invalid)?;
        let now = self.now();
        let session = self
            .store
            .session_by_hash(agency, &token.hash())
            .await?
            .ok_or(SessionError::Invalid)?;
        if session.agency != agency || session.hash != token.hash() {
            return Err(SessionError::Invalid);
        }
        // A preview token must be a preview session and a client token a client session.
        let is_preview_token = raw_token.starts_with(TokenKind::Preview.prefix());
        if is_preview_token != matches!(session.kind, SessionKind::Preview { .. }) {
            return Err(SessionError::Invalid);
        }
        match liveness(&session, now, self.config.session_touch_interval) {
            Liveness::Expired => {
                self.store.delete_session(agency, session.id).await?;
                return Err(SessionError::Expired);
            }
            Liveness::Live => {}
            Liveness::Touch { idle_expires_at } => {
                if !self
                    .store
                    .touch_session(agency, session.id, now, idle_expires_at)
                    .await?
                {
                    // Ended by a concurrent sign-out or revocation.
                    return Err(SessionError::Invalid);
                }
            }
        }
        Ok(Principal {
            agency,
            account: session.account,
            session: session.id,
            kind: session.kind,
        })
    }

    /// Ends the asking session (sign out). Idempotent.
    pub async fn sign_out(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
    ) -> Result<(), SessionError> {
        if self
            .store
            .delete_session(principal.agency, principal.session)
            .await?
        {
            let actor = actor_of(principal);
            self.audit(
                principal.agency,
                actor,
                Some(principal.account),
                AuditKind::SignedOut,
                ctx,
                "",
            )
            .await?;
        }
        Ok(())
    }

    /// Ends every session of the asking client, this one included.
    pub async fn sign_out_everywhere(
        &self,
        principal: &Principal,
        ctx: &RequestContext,
    ) -> Result<u64, SessionError> {
        if principal.is_preview() {
            return Err(SessionError::ReadOnly);
        }
        let n = self
            .store
            .delete_sessions_of(principal.agency, principal.account, None)
            .await?;
        self.audit(
            principal.agency,
            actor_of(principal),
            Some(principal.account),
            AuditKind::SessionsEnded,
            ctx,
            &format!("{n} sessions ended by the client"),
        )
        .await?;
        Ok(n)
    }

    /// The asking client's live sessions (checklist 30).
    pub async fn my_sessions(
        &self,
        principal: &Principal,
    ) -> Result<Vec<SessionInfo>, SessionError> {
        let now = self.now();
        Ok(self
            .store
            .sessions_of(principal.agency, principal.account)
            .await?
            .into_iter()
            .filter(|s| s.is_live(now) && matches!(s.kind, SessionKind::Client))
            .map(|s| SessionInfo {
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                address: s.address,
                user_agent: s.user_agent,
                current: s.id == principal.session,
            })
            .collect())
    }

    /// Ends one of the asking client's own sessions.
    pub async fn end_my_session(
        &self,
        principal: &Principal,
        id: SessionId,
        ctx: &RequestContext,
    ) -> Result<(), SessionError> {
        if principal.is_preview() {
            return Err(SessionError::ReadOnly);
        }
        let mine = self
            .store
            .sessions_of(principal.agency, principal.account)
            .await?
            .iter()
            .any(|s| s.id == id);
        if !mine {
            return Err(SessionError::NotFound);
        }
        self.store.delete_session(principal.agency, id).await?;
        self.audit(
            principal.agency,
            actor_of(principal),
            Some(principal.account),
            AuditKind::SessionsEnded,
            ctx,
            &format!("session {id} ended by the client"),
        )
        .await?;
        Ok(())
    }
}

/// The actor a principal acts as in the audit log.
pub fn actor_of(principal: &Principal) -> Actor {
    match &principal.kind {
        SessionKind::Client => Actor::Client {
            account: principal.account,
        },
        SessionKind::Preview { staff } => Actor::Staff {
            key: None,
            staff: staff.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::TokenHash;
    use time::macros::datetime;

    fn session(at: OffsetDateTime) -> Session {
        Session {
            id: SessionId::from_random_bytes([1; 16]),
            agency: AgencyId::from_random_bytes([2; 16]),
            account: AccountId::from_random_bytes([3; 16]),
            hash: TokenHash::of(b"t"),
            kind: SessionKind::Client,
            created_at: at,
            last_seen_at: at,
            idle_expires_at: at + Duration::minutes(30),
            absolute_expires_at: at + Duration::hours(12),
            address: None,
            user_agent: None,
        }
    }

    /// Checklist 27: sliding renewal never passes the absolute limit.
    #[test]
    fn checklist_27_idle_slides_but_never_past_absolute() {
        let t0 = datetime!(2026-01-01 09:00 UTC);
        let mut s = session(t0);
        let minute = Duration::seconds(60);
        assert_eq!(
            liveness(&s, t0 + Duration::seconds(30), minute),
            Liveness::Live
        );
        // Keep it busy every 20 minutes for 13 hours.
        let mut now = t0;
        loop {
            now += Duration::minutes(20);
            match liveness(&s, now, minute) {
                Liveness::Touch { idle_expires_at } => {
                    assert!(idle_expires_at <= s.absolute_expires_at);
                    s.last_seen_at = now;
                    s.idle_expires_at = idle_expires_at;
                }
                Liveness::Expired => break,
                Liveness::Live => unreachable!(),
            }
        }
        assert!(now >= t0 + Duration::hours(12));
        assert!(now <= t0 + Duration::hours(12) + Duration::minutes(20));
    }

    #[test]
    fn idle_timeout_ends_an_unused_session() {
        let t0 = datetime!(2026-01-01 09:00 UTC);
        let s = session(t0);
        assert_eq!(
            liveness(&s, t0 + Duration::minutes(30), Duration::seconds(60)),
            Liveness::Expired
        );
        assert!(matches!(
            liveness(&s, t0 + Duration::minutes(29), Duration::seconds(60)),
            Liveness::Touch { .. }
        ));
    }
}
