//! The storage ports, split by concern.
//!
//! Each trait is small and object-safe. Where a flow must change several records at once
//! (activate: use the link, set the password, start a session, queue the email, audit), the
//! port takes the whole change as one value ([`CredentialChange`]) and the adapter applies it in
//! one transaction, guarded by the condition that makes it single-use. Core decides *what*
//! changes; a store only makes it atomic.
//!
//! Every method takes the [`AgencyId`] and scopes by it, except the few marked *deployment-wide*
//! (the mail delivery worker, API-key lookup, housekeeping), which by nature serve every agency.
//!
//! The in-memory store ([`crate::memory::MemoryStore`]) is the reference behaviour; the
//! conformance suite (`testkit` feature) holds every adapter to it.

use crate::error::StoreError;
use crate::ids::*;
use crate::model::*;
use crate::secret::{PasswordHash, TokenHash};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Agencies and their settings.
#[async_trait]
pub trait AgencyStore: Send + Sync {
    /// Creates an agency. `Conflict` if the slug is taken.
    async fn insert_agency(&self, agency: &Agency) -> Result<(), StoreError>;
    /// Reads an agency. `NotFound` if unknown.
    async fn agency(&self, id: AgencyId) -> Result<Agency, StoreError>;
    /// Reads an agency by slug. `NotFound` if unknown.
    async fn agency_by_slug(&self, slug: &str) -> Result<Agency, StoreError>;
    /// Replaces name and settings (slug and id never change). `NotFound` if unknown.
    async fn update_agency(&self, agency: &Agency) -> Result<(), StoreError>;
    /// Every agency, by slug. *Deployment-wide.*
    async fn list_agencies(&self) -> Result<Vec<Agency>, StoreError>;
}

/// Login profiles and their links to CRM contacts.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an account, links `contact` to it if given, and records `audit`, atomically.
    /// `Conflict` if the username key or email key is taken in the agency, or the contact is
    /// linked to another account.
    async fn insert_account(
        &self,
        account: &Account,
        contact: Option<&ContactRef>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Reads an account. `NotFound` if unknown in this agency.
    async fn account(&self, agency: AgencyId, id: AccountId) -> Result<Account, StoreError>;
    /// Finds the account whose username key, or else email key, equals `key`.
    async fn account_by_login(
        &self,
        agency: AgencyId,
        key: &str,
    ) -> Result<Option<Account>, StoreError>;
    /// Finds the account a CRM contact is linked to.
    async fn account_by_contact(
        &self,
        agency: AgencyId,
        contact: &ContactRef,
    ) -> Result<Option<Account>, StoreError>;
    /// Links a CRM contact to an account (idempotent). `Conflict` if linked to another
    /// account; `NotFound` if the account is unknown.
    async fn link_contact(
        &self,
        agency: AgencyId,
        account: AccountId,
        contact: &ContactRef,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The CRM contacts linked to an account, sorted.
    async fn contacts_of(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<ContactRef>, StoreError>;
    /// Accounts of an agency, by username key, paged.
    async fn list_accounts(
        &self,
        agency: AgencyId,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError>;
    /// Updates username, email and display name (never password or status).
    /// `Conflict` on a taken key; `NotFound` if unknown.
    async fn update_profile(&self, account: &Account) -> Result<(), StoreError>;
    /// Replaces the password hash only (rehash with stronger parameters at sign-in).
    async fn set_password_hash(
        &self,
        agency: AgencyId,
        id: AccountId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError>;
    /// Applies a change of credentials or status in one transaction (see [`CredentialChange`]).
    /// `NotFound` if the account is unknown; `Conflict` if a new email is taken.
    async fn apply_change(&self, change: &CredentialChange) -> Result<(), StoreError>;
    /// Deletes an account for good with its contact links, sessions, links, codes and
    /// everything else it owns; records `audit` (which must hold no personal data).
    /// `NotFound` if unknown.
    async fn delete_account(
        &self,
        agency: AgencyId,
        id: AccountId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

/// Which sessions a [`CredentialChange`] ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndSessions {
    /// None.
    None,
    /// Every session of the account (previews included).
    All,
    /// Every session but the one given (the caller's own).
    AllExcept(SessionId),
}

/// Everything one credential event changes, applied atomically by
/// [`AccountStore::apply_change`], [`LinkStore::redeem_link`] or [`CodeStore::redeem_code`].
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialChange {
    /// Agency.
    pub agency: AgencyId,
    /// Account changed.
    pub account: AccountId,
    /// When (also `password_changed_at` and `activated_at`).
    pub at: OffsetDateTime,
    /// New password hash, if the password changes.
    pub password_hash: Option<PasswordHash>,
    /// New status, if it changes (`Active` sets `activated_at` when unset).
    pub status: Option<AccountStatus>,
    /// New email address and its key, if it changes.
    pub new_email: Option<(String, String)>,
    /// Sessions to end.
    pub end_sessions: EndSessions,
    /// Revoke every live link and code of the account (reason `AccountChanged`).
    pub revoke_links: bool,
    /// Throttle counters to clear.
    pub clear_throttle: Vec<ThrottleKey>,
    /// A session to start (after the others end).
    pub new_session: Option<Session>,
    /// Mail to queue.
    pub mail: Vec<OutboxMessage>,
    /// Audit records to append.
    pub audit: Vec<AuditEvent>,
}

impl CredentialChange {
    /// A change that does nothing yet, to fill in.
    pub fn new(agency: AgencyId, account: AccountId, at: OffsetDateTime) -> Self {
        Self {
            agency,
            account,
            at,
            password_hash: None,
            status: None,
            new_email: None,
            end_sessions: EndSessions::None,
            revoke_links: false,
            clear_throttle: Vec::new(),
            new_session: None,
            mail: Vec::new(),
            audit: Vec::new(),
        }
    }
}

/// Single-use links: invitations, password resets, email changes.
#[async_trait]
pub trait LinkStore: Send + Sync {
    /// Issues a link atomically: revokes (as `Superseded`) every live link of the same
    /// purpose for the account, inserts `link`, queues `mail` and appends `audit`.
    async fn issue_link(
        &self,
        link: &LinkToken,
        mail: &OutboxMessage,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Finds a link by the hash of its token, whatever its state.
    async fn link_by_hash(
        &self,
        agency: AgencyId,
        hash: &TokenHash,
    ) -> Result<Option<LinkToken>, StoreError>;
    /// Reads a link by id. `NotFound` if unknown.
    async fn link(&self, agency: AgencyId, id: LinkId) -> Result<LinkToken, StoreError>;
    /// Links of the agency, newest first, optionally of one account and/or purpose.
    async fn links(
        &self,
        agency: AgencyId,
        account: Option<AccountId>,
        purpose: Option<LinkPurpose>,
    ) -> Result<Vec<LinkToken>, StoreError>;
    /// Revokes a live link (unused, unrevoked) and appends `audit`. `Ok(false)` if it was not
    /// live; `NotFound` if unknown.
    async fn revoke_link(
        &self,
        agency: AgencyId,
        id: LinkId,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// Uses a link and applies `change` in one transaction, only if the link is of
    /// `change.account` in `agency` (and `change.agency == agency`), unused, unrevoked and
    /// `change.at < expires_at` (checked in the same statement that marks it used).
    /// `Ok(false)`, with nothing changed, when that guard fails: of N concurrent redemptions
    /// exactly one gets `Ok(true)`.
    async fn redeem_link(
        &self,
        agency: AgencyId,
        id: LinkId,
        change: &CredentialChange,
    ) -> Result<bool, StoreError>;
}

/// Sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts a session (and appends `audit` if given).
    async fn insert_session(
        &self,
        session: &Session,
        audit: Option<&AuditEvent>,
    ) -> Result<(), StoreError>;
    /// Finds a session by the hash of its token (expired ones too: core judges expiry).
    async fn session_by_hash(
        &self,
        agency: AgencyId,
        hash: &TokenHash,
    ) -> Result<Option<Session>, StoreError>;
    /// Records activity: sets `last_seen_at` and `idle_expires_at`. `Ok(false)` if the
    /// session no longer exists.
    async fn touch_session(
        &self,
        agency: AgencyId,
        id: SessionId,
        last_seen_at: OffsetDateTime,
        idle_expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// Ends one session. `Ok(false)` if it did not exist.
    async fn delete_session(&self, agency: AgencyId, id: SessionId) -> Result<bool, StoreError>;
    /// Ends every session of an account, but `except`. Returns how many ended.
    async fn delete_sessions_of(
        &self,
        agency: AgencyId,
        account: AccountId,
        except: Option<SessionId>,
    ) -> Result<u64, StoreError>;
    /// Sessions of an account, newest first.
    async fn sessions_of(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<Session>, StoreError>;
}

/// Emailed sign-in codes.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Issues a code atomically: revokes every live code of the account, inserts `code`,
    /// queues `mail` and appends `audit`.
    async fn issue_code(
        &self,
        code: &EmailCode,
        mail: &OutboxMessage,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Counts one try against the live code (unused, unrevoked, unexpired at `at`) of the
    /// attempt, *before* it is checked, and returns it as updated. `None` if there is none.
    async fn count_code_attempt(
        &self,
        agency: AgencyId,
        attempt_hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<Option<EmailCode>, StoreError>;
    /// Kills a code (too many tries). A code already used or revoked is left as it is.
    /// `NotFound` if unknown.
    async fn revoke_code(
        &self,
        agency: AgencyId,
        id: CodeId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Uses a code and applies `change` in one transaction, only if it is of `change.account`
    /// in `agency` (and `change.agency == agency`), unused, unrevoked, unexpired at
    /// `change.at` and has had at most `max_attempts` tries. `Ok(false)`, with
    /// nothing changed, otherwise.
    async fn redeem_code(
        &self,
        agency: AgencyId,
        id: CodeId,
        max_attempts: u32,
        change: &CredentialChange,
    ) -> Result<bool, StoreError>;
}

/// Counters behind sign-in throttling. Kept in the store so that limits hold across nodes.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// The counter's state (zero if never failed).
    async fn throttle(
        &self,
        agency: AgencyId,
        key: &ThrottleKey,
    ) -> Result<ThrottleState, StoreError>;
    /// Adds one failure atomically and returns the new state.
    async fn record_failure(
        &self,
        agency: AgencyId,
        key: &ThrottleKey,
        at: OffsetDateTime,
    ) -> Result<ThrottleState, StoreError>;
    /// Resets a counter.
    async fn clear_throttle(&self, agency: AgencyId, key: &ThrottleKey) -> Result<(), StoreError>;
}

/// The append-only audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends one record. There is no update and no delete.
    async fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// Reads records of an agency, newest first, filtered and paged (`limit` 0 means 100;
    /// at most 1,000).
    async fn audit(
        &self,
        agency: AgencyId,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError>;
}

/// The mail outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Queues a message on its own (notices that carry no token).
    async fn enqueue_mail(&self, message: &OutboxMessage) -> Result<(), StoreError>;
    /// Claims up to `limit` messages due at `now` (queued, or sending with an expired lease),
    /// oldest (by `created_at`) first: marks them `Sending`, counts an attempt and sets
    /// `next_attempt_at = lease_until`, so no other worker takes them meanwhile.
    /// *Deployment-wide.*
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Marks a message sent and replaces its content by `redacted` (no secret is kept).
    /// `NotFound` if unknown.
    async fn mail_sent(
        &self,
        id: OutboxId,
        at: OffsetDateTime,
        redacted: &MailContent,
    ) -> Result<(), StoreError>;
    /// Puts a message back in the queue for a later try. `NotFound` if unknown.
    async fn mail_retry(
        &self,
        id: OutboxId,
        next_attempt_at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Marks a message failed for good, keeping it for staff, content redacted.
    /// `NotFound` if unknown.
    async fn mail_failed(
        &self,
        id: OutboxId,
        error: &str,
        redacted: &MailContent,
    ) -> Result<(), StoreError>;
    /// Messages of an agency, newest first, optionally of one status.
    async fn outbox(
        &self,
        agency: AgencyId,
        status: Option<OutboxStatus>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
}

/// Admin API keys.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key (hash only) and appends `audit`.
    async fn insert_api_key(&self, key: &ApiKey, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Keys whose lookup prefix is `prefix`. *Deployment-wide*: the key names its agency.
    async fn api_keys_by_prefix(&self, prefix: &str) -> Result<Vec<ApiKey>, StoreError>;
    /// Keys of an agency, newest first.
    async fn api_keys(&self, agency: AgencyId) -> Result<Vec<ApiKey>, StoreError>;
    /// Revokes a key and appends `audit`. `Ok(false)` if already revoked; `NotFound` if unknown.
    async fn revoke_api_key(
        &self,
        agency: AgencyId,
        id: ApiKeyId,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
}

/// How many records a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Links (used, revoked or expired) removed.
    pub links: u64,
    /// Sessions removed.
    pub sessions: u64,
    /// Codes removed.
    pub codes: u64,
    /// Sent outbox messages removed.
    pub mail: u64,
}

/// Removal of dead records, run by the host as a periodic job.
#[async_trait]
pub trait Housekeeping: Send + Sync {
    /// Removes links, codes and sessions dead before `dead_before` (expired, used or revoked
    /// then), and sent mail delivered before it. *Deployment-wide.* Never touches live records
    /// or the audit log.
    async fn purge(&self, dead_before: OffsetDateTime) -> Result<PurgeReport, StoreError>;
}

/// Every storage port at once: what the [`Portal`](crate::Portal) needs.
pub trait Store:
    AgencyStore
    + AccountStore
    + LinkStore
    + SessionStore
    + CodeStore
    + ThrottleStore
    + AuditStore
    + OutboxStore
    + ApiKeyStore
    + Housekeeping
    + crate::access_store::PropertyStore
    + crate::access_store::GrantStore
    + crate::access_store::GroupStore
    + crate::access_store::DocumentStore
{
}

impl<T> Store for T where
    T: AgencyStore
        + AccountStore
        + LinkStore
        + SessionStore
        + CodeStore
        + ThrottleStore
        + AuditStore
        + OutboxStore
        + ApiKeyStore
        + Housekeeping
        + crate::access_store::PropertyStore
        + crate::access_store::GrantStore
        + crate::access_store::GroupStore
        + crate::access_store::DocumentStore
{
}
