//! The [`Portal`]: the service object every host drives. It holds the ports and the
//! deployment-wide configuration; the flows live one per file under [`crate::idm`] as
//! `impl Portal` blocks.

use crate::error::{HashError, RandomError, StoreError};
use crate::hash::PasswordHasher;
use crate::idm::softlock::ThrottlePolicy;
use crate::ids::*;
use crate::model::*;
use crate::secret::RawToken;
use crate::store::Store;
use crate::token::{self, TokenKind};
use crate::{Clock, Random};
use std::net::IpAddr;
use std::sync::Arc;
use thiserror::Error;
use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;

/// Deployment-wide settings of the flows. Per-agency settings live in [`AgencySettings`].
#[derive(Debug, Clone, PartialEq)]
pub struct PortalConfig {
    /// Lifetime of a password reset link (default 1 hour).
    pub reset_lifetime: Duration,
    /// Lifetime of an email-change confirmation link (default 24 hours).
    pub email_change_lifetime: Duration,
    /// Lifetime of an emailed sign-in code (default 10 minutes).
    pub code_lifetime: Duration,
    /// Tries allowed on one code before it dies (default 5).
    pub code_max_attempts: u32,
    /// Digits in a code (default 6).
    pub code_digits: usize,
    /// A session's activity is written at most this often (default 60 s), so that a busy
    /// client does not cost a write per request.
    pub session_touch_interval: Duration,
    /// Lifetime of a staff preview session (default and maximum 15 minutes).
    pub preview_lifetime: Duration,
    /// Throttle of failed sign-ins per login name.
    pub account_throttle: ThrottlePolicy,
    /// Throttle of failed sign-ins per client address.
    pub address_throttle: ThrottlePolicy,
    /// At most this many reset or code emails per account per hour (default 5).
    pub emails_per_account_per_hour: usize,
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self {
            reset_lifetime: Duration::hours(1),
            email_change_lifetime: Duration::hours(24),
            code_lifetime: Duration::minutes(10),
            code_max_attempts: 5,
            code_digits: 6,
            session_touch_interval: Duration::seconds(60),
            preview_lifetime: Duration::minutes(15),
            account_throttle: ThrottlePolicy::account(),
            address_throttle: ThrottlePolicy::address(),
            emails_per_account_per_hour: 5,
        }
    }
}

/// Where a request comes from: recorded in the audit log, used for per-address throttling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// Client address (as the HTTP layer established it).
    pub address: Option<IpAddr>,
    /// Browser user agent (sanitised and cut before storing).
    pub user_agent: Option<String>,
}

impl RequestContext {
    /// A context with an address only.
    pub fn from_address(address: IpAddr) -> Self {
        Self {
            address: Some(address),
            user_agent: None,
        }
    }
}

/// A successful sign-in: the session token to hand to the client (once), and the session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The raw session token (cookie value). Never stored.
    pub token: RawToken,
    /// The session record.
    pub session: Session,
    /// The account signed in.
    pub account: Account,
}

/// A failure below the flows: storage, hashing or randomness. Clients see a generic answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Internal {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The random generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The portal service. Cheap to clone (shared ports).
#[derive(Clone)]
pub struct Portal {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) hasher: Arc<dyn PasswordHasher>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn Random>,
    pub(crate) config: Arc<PortalConfig>,
    pub(crate) mail_notify: Option<Arc<Notify>>,
}

impl std::fmt::Debug for Portal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portal")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Portal {
    /// A portal over the given ports, with the default configuration.
    pub fn new(
        store: Arc<dyn Store>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Self {
        Self {
            store,
            hasher,
            clock,
            random,
            config: Arc::new(PortalConfig::default()),
            mail_notify: None,
        }
    }

    /// Replaces the configuration.
    pub fn with_config(mut self, config: PortalConfig) -> Self {
        self.config = Arc::new(config);
        self
    }

    /// Wakes this notifier whenever mail is queued (the outbox worker waits on it).
    pub fn with_mail_notifier(mut self, notify: Arc<Notify>) -> Self {
        self.mail_notify = Some(notify);
        self
    }

    /// The storage ports.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The random generator.
    pub fn random(&self) -> &Arc<dyn Random> {
        &self.random
    }

    /// The password hasher.
    pub fn hasher(&self) -> &Arc<dyn PasswordHasher> {
        &self.hasher
    }

    /// The configuration.
    pub fn config(&self) -> &PortalConfig {
        &self.config
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub(crate) fn mail_queued(&self) {
        if let Some(n) = &self.mail_notify {
            n.notify_one();
        }
    }

    /// An audit record stamped `at`, with the request's address. `detail` is sanitised.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn audit_event(
        &self,
        agency: AgencyId,
        at: OffsetDateTime,
        actor: Actor,
        account: Option<AccountId>,
        kind: AuditKind,
        ctx: &RequestContext,
        detail: &str,
    ) -> Result<AuditEvent, RandomError> {
        Ok(AuditEvent {
            id: AuditId::from_random_bytes(self.random.bytes16()?),
            agency,
            at,
            actor: sanitize_actor(actor),
            account,
            kind,
            address: ctx.address,
            detail: sanitize_text(detail, 500),
        })
    }

    /// Appends an audit record on its own (when no atomic change carries it).
    pub(crate) async fn audit(
        &self,
        agency: AgencyId,
        actor: Actor,
        account: Option<AccountId>,
        kind: AuditKind,
        ctx: &RequestContext,
        detail: &str,
    ) -> Result<(), Internal> {
        let e = self.audit_event(agency, self.now(), actor, account, kind, ctx, detail)?;
        self.store.append_audit(&e).await?;
        Ok(())
    }

    /// A queued outbox message for `to`.
    pub(crate) fn outbox_message(
        &self,
        agency: AgencyId,
        at: OffsetDateTime,
        to: &str,
        content: MailContent,
    ) -> Result<OutboxMessage, RandomError> {
        Ok(OutboxMessage {
            id: OutboxId::from_random_bytes(self.random.bytes16()?),
            agency,
            to: to.to_string(),
            content,
            status: OutboxStatus::Queued,
            attempts: 0,
            created_at: at,
            next_attempt_at: at,
            last_error: None,
            sent_at: None,
        })
    }

    /// A new session of `kind` for `account`, and its raw token. The idle expiry never passes
    /// the absolute one.
    pub(crate) fn new_session(
        &self,
        agency: &Agency,
        account: AccountId,
        kind: SessionKind,
        at: OffsetDateTime,
        ctx: &RequestContext,
    ) -> Result<(RawToken, Session), RandomError> {
        let (token_kind, absolute, idle) = match &kind {
            SessionKind::Client => (
                TokenKind::Session,
                agency.settings.session_absolute_lifetime,
                agency.settings.session_idle_timeout,
            ),
            SessionKind::Preview { .. } => {
                let l = self.config.preview_lifetime.min(Duration::minutes(15));
                (TokenKind::Preview, l, l)
            }
        };
        let raw = token::generate(token_kind, self.random.as_ref())?;
        let absolute_expires_at = at + absolute;
        let session = Session {
            id: SessionId::from_random_bytes(self.random.bytes16()?),
            agency: agency.id,
            account,
            hash: raw.hash(),
            kind,
            created_at: at,
            last_seen_at: at,
            idle_expires_at: (at + idle).min(absolute_expires_at),
            absolute_expires_at,
            address: ctx.address,
            user_agent: ctx.user_agent.as_deref().map(|u| sanitize_text(u, 200)),
        };
        Ok((raw, session))
    }
}

fn sanitize_actor(actor: Actor) -> Actor {
    match actor {
        Actor::Staff { key, staff } => Actor::Staff {
            key,
            staff: sanitize_text(&staff, 120),
        },
        other => other,
    }
}

/// Builds a link under the agency's configured base URL (never from a request's Host).
pub(crate) fn portal_url(agency: &Agency, path: &str, token: Option<&RawToken>) -> String {
    let base = agency.settings.base_url();
    match token {
        Some(t) => format!("{base}{path}?token={}", t.expose()),
        None => format!("{base}{path}"),
    }
}
