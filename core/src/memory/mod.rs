//! The in-memory store: the reference behaviour of every storage port.
//!
//! One mutex per concern group; an operation that spans records takes what it needs, always
//! in the order `state` then `access`, and validates everything before changing anything, so
//! a failed call changes nothing.
//!
//! Beyond the documented contract of [`crate::store`], this store is strict where a SQL schema
//! with foreign keys would be:
//!
//! * a record naming an agency that does not exist (account, API key, audit record, mail) is
//!   refused with [`StoreError::NotFound`], and so is a link, code or session naming an
//!   account unknown in its agency;
//! * inserting a record whose id (or token hash) is already stored is a
//!   [`StoreError::Conflict`];
//! * a record carried by an operation (audit record, mail, new session) that names another
//!   agency (or, for a session, another account) than the operation is refused with
//!   [`StoreError::Other`]: that is a bug of the caller.
//!
//! Lists are ordered newest first by creation time, ties broken by id (descending); the audit
//! log breaks ties by order of appending (the later first). Paged lists read `limit == 0` as
//! 100 and cap `limit` at 1,000.

mod access;

use crate::error::StoreError;
use crate::ids::*;
use crate::model::*;
use crate::secret::{PasswordHash, TokenHash};
use crate::store::*;
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use time::OffsetDateTime;

/// Page size when a paged read asks for `limit == 0`.
const DEFAULT_LIMIT: u32 = 100;
/// Largest page a paged read returns.
const MAX_LIMIT: u32 = 1000;

/// The in-memory store. Cheap to create; one per test.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    access: Mutex<access::AccessState>,
    unavailable: AtomicBool,
}

/// Records of the identity ports (agencies, accounts, links, sessions, codes, throttle,
/// audit, outbox, API keys).
#[derive(Debug, Default)]
struct State {
    agencies: HashMap<AgencyId, Agency>,
    accounts: HashMap<AccountId, Account>,
    /// Contact links: (agency, contact) → account.
    contacts: BTreeMap<(AgencyId, ContactRef), AccountId>,
    links: HashMap<LinkId, LinkToken>,
    sessions: HashMap<SessionId, Session>,
    codes: HashMap<CodeId, EmailCode>,
    throttle: HashMap<(AgencyId, ThrottleKey), ThrottleState>,
    /// The audit log, in order of appending.
    audit: Vec<AuditEvent>,
    audit_ids: HashSet<AuditId>,
    outbox: HashMap<OutboxId, OutboxMessage>,
    api_keys: HashMap<ApiKeyId, ApiKey>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// While `on`, every method fails with [`StoreError::Unavailable`] and changes nothing
    /// (to test how flows behave when storage is down).
    pub fn set_unavailable(&self, on: bool) {
        self.unavailable.store(on, Ordering::SeqCst);
    }

    /// The identity records, or `Unavailable` while the store is switched off.
    fn state(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "memory store switched off (test)".into(),
            ));
        }
        Ok(self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The access records. Take after [`Self::state`] when both are needed.
    fn access(&self) -> MutexGuard<'_, access::AccessState> {
        self.access.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn conflict(what: &str) -> StoreError {
    StoreError::Conflict(what.to_string())
}

fn misuse(what: &str) -> StoreError {
    StoreError::Other(what.to_string())
}

/// Whether every item is different from every other.
fn all_distinct<T: Eq + Hash>(items: impl IntoIterator<Item = T>) -> bool {
    let mut seen = HashSet::new();
    items.into_iter().all(|i| seen.insert(i))
}

/// One page of `items`.
fn page<T>(items: Vec<T>, offset: u32, limit: u32) -> Vec<T> {
    let limit = match limit {
        0 => DEFAULT_LIMIT,
        l => l.min(MAX_LIMIT),
    };
    items
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect()
}

/// When a link or code became dead (the earliest of expiry, use and revocation).
fn dead_at(
    expires_at: OffsetDateTime,
    used_at: Option<OffsetDateTime>,
    revoked_at: Option<OffsetDateTime>,
) -> OffsetDateTime {
    [Some(expires_at), used_at, revoked_at]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(expires_at)
}

impl State {
    fn require_agency(&self, id: AgencyId) -> Result<(), StoreError> {
        if self.agencies.contains_key(&id) {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    fn account_in(&self, agency: AgencyId, id: AccountId) -> Result<&Account, StoreError> {
        self.accounts
            .get(&id)
            .filter(|a| a.agency == agency)
            .ok_or(StoreError::NotFound)
    }

    /// Whether `key` is a username key or email key of an account of `agency` other than
    /// `except`: both key sets form one namespace per agency.
    fn login_taken(&self, agency: AgencyId, key: &str, except: Option<AccountId>) -> bool {
        self.accounts.values().any(|a| {
            a.agency == agency
                && Some(a.id) != except
                && (a.username_key == key || a.email_key == key)
        })
    }

    fn check_logins(&self, account: &Account, except: Option<AccountId>) -> Result<(), StoreError> {
        if self.login_taken(account.agency, &account.username_key, except) {
            return Err(conflict("username taken"));
        }
        if self.login_taken(account.agency, &account.email_key, except) {
            return Err(conflict("email taken"));
        }
        Ok(())
    }

    fn check_audit<'a>(
        &self,
        agency: AgencyId,
        events: impl IntoIterator<Item = &'a AuditEvent> + Clone,
    ) -> Result<(), StoreError> {
        for e in events.clone() {
            if e.agency != agency {
                return Err(misuse("audit record of another agency"));
            }
            if self.audit_ids.contains(&e.id) {
                return Err(conflict("audit id taken"));
            }
        }
        if !all_distinct(events.into_iter().map(|e| e.id)) {
            return Err(conflict("audit id repeated"));
        }
        Ok(())
    }

    fn check_mail<'a>(
        &self,
        agency: AgencyId,
        messages: impl IntoIterator<Item = &'a OutboxMessage> + Clone,
    ) -> Result<(), StoreError> {
        for m in messages.clone() {
            if m.agency != agency {
                return Err(misuse("mail of another agency"));
            }
            if self.outbox.contains_key(&m.id) {
                return Err(conflict("outbox id taken"));
            }
        }
        if !all_distinct(messages.into_iter().map(|m| m.id)) {
            return Err(conflict("outbox id repeated"));
        }
        Ok(())
    }

    fn check_new_session(&self, s: &Session) -> Result<(), StoreError> {
        self.account_in(s.agency, s.account)?;
        if self.sessions.contains_key(&s.id) {
            return Err(conflict("session id taken"));
        }
        if self.sessions.values().any(|o| o.hash == s.hash) {
            return Err(conflict("session token taken"));
        }
        Ok(())
    }

    fn push_audit(&mut self, e: &AuditEvent) {
        self.audit_ids.insert(e.id);
        self.audit.push(e.clone());
    }

    fn push_mail(&mut self, m: &OutboxMessage) {
        self.outbox.insert(m.id, m.clone());
    }

    /// Everything [`Self::apply_change`] needs to succeed.
    fn check_change(&self, c: &CredentialChange) -> Result<(), StoreError> {
        self.account_in(c.agency, c.account)?;
        if let Some((_, key)) = &c.new_email
            && self.login_taken(c.agency, key, Some(c.account))
        {
            return Err(conflict("email taken"));
        }
        if let Some(s) = &c.new_session {
            if s.agency != c.agency || s.account != c.account {
                return Err(misuse("new session of another account"));
            }
            self.check_new_session(s)?;
        }
        self.check_mail(c.agency, &c.mail)?;
        self.check_audit(c.agency, &c.audit)?;
        Ok(())
    }

    /// Applies a change checked by [`Self::check_change`].
    fn apply_change(&mut self, c: &CredentialChange) {
        if let Some(a) = self
            .accounts
            .get_mut(&c.account)
            .filter(|a| a.agency == c.agency)
        {
            if let Some(h) = &c.password_hash {
                a.password_hash = Some(h.clone());
                a.password_changed_at = Some(c.at);
            }
            if let Some(status) = c.status {
                a.status = status;
                if status == AccountStatus::Active && a.activated_at.is_none() {
                    a.activated_at = Some(c.at);
                }
            }
            if let Some((email, key)) = &c.new_email {
                a.email = email.clone();
                a.email_key = key.clone();
            }
        }
        let mine = |s: &Session| s.agency == c.agency && s.account == c.account;
        match c.end_sessions {
            EndSessions::None => {}
            EndSessions::All => self.sessions.retain(|_, s| !mine(s)),
            EndSessions::AllExcept(keep) => self.sessions.retain(|_, s| !mine(s) || s.id == keep),
        }
        if c.revoke_links {
            for l in self.links.values_mut() {
                if l.agency == c.agency
                    && l.account == c.account
                    && l.used_at.is_none()
                    && l.revoked_at.is_none()
                {
                    l.revoked_at = Some(c.at);
                    l.revocation = Some(Revocation::AccountChanged);
                }
            }
            self.revoke_codes_of(c.agency, c.account, c.at);
        }
        for k in &c.clear_throttle {
            self.throttle.remove(&(c.agency, k.clone()));
        }
        if let Some(s) = &c.new_session {
            self.sessions.insert(s.id, s.clone());
        }
        for m in &c.mail {
            self.push_mail(m);
        }
        for e in &c.audit {
            self.push_audit(e);
        }
    }

    /// Revokes every live (unused, unrevoked) code of an account.
    fn revoke_codes_of(&mut self, agency: AgencyId, account: AccountId, at: OffsetDateTime) {
        for code in self.codes.values_mut() {
            if code.agency == agency
                && code.account == account
                && code.used_at.is_none()
                && code.revoked_at.is_none()
            {
                code.revoked_at = Some(at);
            }
        }
    }
}

#[async_trait]
impl AgencyStore for MemoryStore {
    async fn insert_agency(&self, agency: &Agency) -> Result<(), StoreError> {
        let mut st = self.state()?;
        if st.agencies.contains_key(&agency.id) {
            return Err(conflict("agency id taken"));
        }
        if st.agencies.values().any(|a| a.slug == agency.slug) {
            return Err(conflict("slug taken"));
        }
        st.agencies.insert(agency.id, agency.clone());
        Ok(())
    }

    async fn agency(&self, id: AgencyId) -> Result<Agency, StoreError> {
        let st = self.state()?;
        st.agencies.get(&id).cloned().ok_or(StoreError::NotFound)
    }

    async fn agency_by_slug(&self, slug: &str) -> Result<Agency, StoreError> {
        let st = self.state()?;
        st.agencies
            .values()
            .find(|a| a.slug == slug)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    async fn update_agency(&self, agency: &Agency) -> Result<(), StoreError> {
        let mut st = self.state()?;
        let stored = st
            .agencies
            .get_mut(&agency.id)
            .ok_or(StoreError::NotFound)?;
        stored.name = agency.name.clone();
        stored.settings = agency.settings.clone();
        Ok(())
    }

    async fn list_agencies(&self) -> Result<Vec<Agency>, StoreError> {
        let st = self.state()?;
        let mut all: Vec<Agency> = st.agencies.values().cloned().collect();
        all.sort_by(|a, b| a.slug.cmp(&b.slug));
        Ok(all)
    }
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn insert_account(
        &self,
        account: &Account,
        contact: Option<&ContactRef>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.require_agency(account.agency)?;
        if st.accounts.contains_key(&account.id) {
            return Err(conflict("account id taken"));
        }
        st.check_logins(account, None)?;
        if let Some(c) = contact
            && st.contacts.contains_key(&(account.agency, c.clone()))
        {
            return Err(conflict("contact linked to another account"));
        }
        st.check_audit(account.agency, [audit])?;
        st.accounts.insert(account.id, account.clone());
        if let Some(c) = contact {
            st.contacts.insert((account.agency, c.clone()), account.id);
        }
        st.push_audit(audit);
        Ok(())
    }

    async fn account(&self, agency: AgencyId, id: AccountId) -> Result<Account, StoreError> {
        let st = self.state()?;
        st.account_in(agency, id).cloned()
    }

    async fn account_by_login(
        &self,
        agency: AgencyId,
        key: &str,
    ) -> Result<Option<Account>, StoreError> {
        let st = self.state()?;
        let in_agency = || st.accounts.values().filter(|a| a.agency == agency);
        let found = in_agency()
            .find(|a| a.username_key == key)
            .or_else(|| in_agency().find(|a| a.email_key == key));
        Ok(found.cloned())
    }

    async fn account_by_contact(
        &self,
        agency: AgencyId,
        contact: &ContactRef,
    ) -> Result<Option<Account>, StoreError> {
        let st = self.state()?;
        Ok(st
            .contacts
            .get(&(agency, contact.clone()))
            .and_then(|id| st.account_in(agency, *id).ok())
            .cloned())
    }

    async fn link_contact(
        &self,
        agency: AgencyId,
        account: AccountId,
        contact: &ContactRef,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.account_in(agency, account)?;
        match st.contacts.get(&(agency, contact.clone())) {
            Some(other) if *other != account => {
                return Err(conflict("contact linked to another account"));
            }
            _ => {}
        }
        st.check_audit(agency, [audit])?;
        st.contacts.insert((agency, contact.clone()), account);
        st.push_audit(audit);
        Ok(())
    }

    async fn contacts_of(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<ContactRef>, StoreError> {
        let st = self.state()?;
        // The map is ordered by (agency, contact): the result comes out sorted.
        Ok(st
            .contacts
            .iter()
            .filter(|((a, _), acc)| *a == agency && **acc == account)
            .map(|((_, c), _)| c.clone())
            .collect())
    }

    async fn list_accounts(
        &self,
        agency: AgencyId,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError> {
        let st = self.state()?;
        let mut all: Vec<Account> = st
            .accounts
            .values()
            .filter(|a| a.agency == agency)
            .cloned()
            .collect();
        all.sort_by(|a, b| a.username_key.cmp(&b.username_key).then(a.id.cmp(&b.id)));
        Ok(page(all, offset, limit))
    }

    async fn update_profile(&self, account: &Account) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.account_in(account.agency, account.id)?;
        st.check_logins(account, Some(account.id))?;
        if let Some(a) = st.accounts.get_mut(&account.id) {
            a.username = account.username.clone();
            a.username_key = account.username_key.clone();
            a.email = account.email.clone();
            a.email_key = account.email_key.clone();
            a.display_name = account.display_name.clone();
        }
        Ok(())
    }

    async fn set_password_hash(
        &self,
        agency: AgencyId,
        id: AccountId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.account_in(agency, id)?;
        if let Some(a) = st.accounts.get_mut(&id) {
            a.password_hash = Some(hash.clone());
        }
        Ok(())
    }

    async fn apply_change(&self, change: &CredentialChange) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.check_change(change)?;
        st.apply_change(change);
        Ok(())
    }

    async fn delete_account(
        &self,
        agency: AgencyId,
        id: AccountId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.account_in(agency, id)?;
        st.check_audit(agency, [audit])?;
        st.accounts.remove(&id);
        st.contacts
            .retain(|(a, _), acc| !(*a == agency && *acc == id));
        st.sessions
            .retain(|_, s| !(s.agency == agency && s.account == id));
        st.links
            .retain(|_, l| !(l.agency == agency && l.account == id));
        st.codes
            .retain(|_, c| !(c.agency == agency && c.account == id));
        st.push_audit(audit);
        self.access().remove_account(agency, id);
        Ok(())
    }
}

#[async_trait]
impl LinkStore for MemoryStore {
    async fn issue_link(
        &self,
        link: &LinkToken,
        mail: &OutboxMessage,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.account_in(link.agency, link.account)?;
        if st.links.contains_key(&link.id) {
            return Err(conflict("link id taken"));
        }
        if st.links.values().any(|l| l.hash == link.hash) {
            return Err(conflict("link token taken"));
        }
        st.check_mail(link.agency, [mail])?;
        st.check_audit(link.agency, [audit])?;
        for l in st.links.values_mut() {
            if l.agency == link.agency
                && l.account == link.account
                && l.purpose == link.purpose
                && l.used_at.is_none()
                && l.revoked_at.is_none()
            {
                l.revoked_at = Some(link.created_at);
                l.revocation = Some(Revocation::Superseded);
            }
        }
        st.links.insert(link.id, link.clone());
        st.push_mail(mail);
        st.push_audit(audit);
        Ok(())
    }

    async fn link_by_hash(
        &self,
        agency: AgencyId,
        hash: &TokenHash,
    ) -> Result<Option<LinkToken>, StoreError> {
        let st = self.state()?;
        Ok(st
            .links
            .values()
            .find(|l| l.agency == agency && l.hash == *hash)
            .cloned())
    }

    async fn link(&self, agency: AgencyId, id: LinkId) -> Result<LinkToken, StoreError> {
        let st = self.state()?;
        st.links
            .get(&id)
            .filter(|l| l.agency == agency)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    async fn links(
        &self,
        agency: AgencyId,
        account: Option<AccountId>,
        purpose: Option<LinkPurpose>,
    ) -> Result<Vec<LinkToken>, StoreError> {
        let st = self.state()?;
        let mut found: Vec<LinkToken> = st
            .links
            .values()
            .filter(|l| {
                l.agency == agency
                    && account.is_none_or(|a| l.account == a)
                    && purpose.is_none_or(|p| l.purpose == p)
            })
            .cloned()
            .collect();
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(found)
    }

    async fn revoke_link(
        &self,
        agency: AgencyId,
        id: LinkId,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut st = self.state()?;
        let live = match st.links.get(&id).filter(|l| l.agency == agency) {
            None => return Err(StoreError::NotFound),
            Some(l) => l.used_at.is_none() && l.revoked_at.is_none(),
        };
        if !live {
            return Ok(false);
        }
        st.check_audit(agency, [audit])?;
        if let Some(l) = st.links.get_mut(&id) {
            l.revoked_at = Some(at);
            l.revocation = Some(Revocation::Revoked);
        }
        st.push_audit(audit);
        Ok(true)
    }

    async fn redeem_link(
        &self,
        agency: AgencyId,
        id: LinkId,
        change: &CredentialChange,
    ) -> Result<bool, StoreError> {
        let mut st = self.state()?;
        let usable = st.links.get(&id).is_some_and(|l| {
            l.agency == agency
                && change.agency == agency
                && l.account == change.account
                && l.used_at.is_none()
                && l.revoked_at.is_none()
                && change.at < l.expires_at
        });
        if !usable {
            return Ok(false);
        }
        st.check_change(change)?;
        if let Some(l) = st.links.get_mut(&id) {
            l.used_at = Some(change.at);
        }
        st.apply_change(change);
        Ok(true)
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn insert_session(
        &self,
        session: &Session,
        audit: Option<&AuditEvent>,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.check_new_session(session)?;
        st.check_audit(session.agency, audit)?;
        st.sessions.insert(session.id, session.clone());
        if let Some(e) = audit {
            st.push_audit(e);
        }
        Ok(())
    }

    async fn session_by_hash(
        &self,
        agency: AgencyId,
        hash: &TokenHash,
    ) -> Result<Option<Session>, StoreError> {
        let st = self.state()?;
        Ok(st
            .sessions
            .values()
            .find(|s| s.agency == agency && s.hash == *hash)
            .cloned())
    }

    async fn touch_session(
        &self,
        agency: AgencyId,
        id: SessionId,
        last_seen_at: OffsetDateTime,
        idle_expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut st = self.state()?;
        match st.sessions.get_mut(&id).filter(|s| s.agency == agency) {
            Some(s) => {
                s.last_seen_at = last_seen_at;
                s.idle_expires_at = idle_expires_at;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn delete_session(&self, agency: AgencyId, id: SessionId) -> Result<bool, StoreError> {
        let mut st = self.state()?;
        if st.sessions.get(&id).is_some_and(|s| s.agency == agency) {
            st.sessions.remove(&id);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    async fn delete_sessions_of(
        &self,
        agency: AgencyId,
        account: AccountId,
        except: Option<SessionId>,
    ) -> Result<u64, StoreError> {
        let mut st = self.state()?;
        let before = st.sessions.len();
        st.sessions
            .retain(|_, s| !(s.agency == agency && s.account == account && Some(s.id) != except));
        Ok((before - st.sessions.len()) as u64)
    }

    async fn sessions_of(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<Session>, StoreError> {
        let st = self.state()?;
        let mut found: Vec<Session> = st
            .sessions
            .values()
            .filter(|s| s.agency == agency && s.account == account)
            .cloned()
            .collect();
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(found)
    }
}

#[async_trait]
impl CodeStore for MemoryStore {
    async fn issue_code(
        &self,
        code: &EmailCode,
        mail: &OutboxMessage,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.account_in(code.agency, code.account)?;
        if st.codes.contains_key(&code.id) {
            return Err(conflict("code id taken"));
        }
        st.check_mail(code.agency, [mail])?;
        st.check_audit(code.agency, [audit])?;
        st.revoke_codes_of(code.agency, code.account, code.created_at);
        st.codes.insert(code.id, code.clone());
        st.push_mail(mail);
        st.push_audit(audit);
        Ok(())
    }

    async fn count_code_attempt(
        &self,
        agency: AgencyId,
        attempt_hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<Option<EmailCode>, StoreError> {
        let mut st = self.state()?;
        let live = st.codes.values_mut().find(|c| {
            c.agency == agency
                && c.attempt_hash == *attempt_hash
                && c.used_at.is_none()
                && c.revoked_at.is_none()
                && at < c.expires_at
        });
        Ok(live.map(|c| {
            c.attempts = c.attempts.saturating_add(1);
            c.clone()
        }))
    }

    async fn revoke_code(
        &self,
        agency: AgencyId,
        id: CodeId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        let code = st
            .codes
            .get_mut(&id)
            .filter(|c| c.agency == agency)
            .ok_or(StoreError::NotFound)?;
        if code.used_at.is_none() && code.revoked_at.is_none() {
            code.revoked_at = Some(at);
        }
        Ok(())
    }

    async fn redeem_code(
        &self,
        agency: AgencyId,
        id: CodeId,
        max_attempts: u32,
        change: &CredentialChange,
    ) -> Result<bool, StoreError> {
        let mut st = self.state()?;
        let usable = st.codes.get(&id).is_some_and(|c| {
            c.agency == agency
                && change.agency == agency
                && c.account == change.account
                && c.used_at.is_none()
                && c.revoked_at.is_none()
                && change.at < c.expires_at
                && c.attempts <= max_attempts
        });
        if !usable {
            return Ok(false);
        }
        st.check_change(change)?;
        if let Some(c) = st.codes.get_mut(&id) {
            c.used_at = Some(change.at);
        }
        st.apply_change(change);
        Ok(true)
    }
}

#[async_trait]
impl ThrottleStore for MemoryStore {
    async fn throttle(
        &self,
        agency: AgencyId,
        key: &ThrottleKey,
    ) -> Result<ThrottleState, StoreError> {
        let st = self.state()?;
        Ok(st
            .throttle
            .get(&(agency, key.clone()))
            .copied()
            .unwrap_or_default())
    }

    async fn record_failure(
        &self,
        agency: AgencyId,
        key: &ThrottleKey,
        at: OffsetDateTime,
    ) -> Result<ThrottleState, StoreError> {
        let mut st = self.state()?;
        let counter = st.throttle.entry((agency, key.clone())).or_default();
        counter.failures = counter.failures.saturating_add(1);
        counter.last_failure_at = Some(at);
        Ok(*counter)
    }

    async fn clear_throttle(&self, agency: AgencyId, key: &ThrottleKey) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.throttle.remove(&(agency, key.clone()));
        Ok(())
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.require_agency(event.agency)?;
        st.check_audit(event.agency, [event])?;
        st.push_audit(event);
        Ok(())
    }

    async fn audit(
        &self,
        agency: AgencyId,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let st = self.state()?;
        // Latest appended first, then a stable sort by time keeps that order among ties.
        let mut found: Vec<AuditEvent> = st
            .audit
            .iter()
            .rev()
            .filter(|e| {
                e.agency == agency
                    && query.account.is_none_or(|a| e.account == Some(a))
                    && query.kind.is_none_or(|k| e.kind == k)
                    && query.from.is_none_or(|f| e.at >= f)
                    && query.until.is_none_or(|u| e.at < u)
            })
            .cloned()
            .collect();
        found.sort_by_key(|e| std::cmp::Reverse(e.at));
        Ok(page(found, query.offset, query.limit))
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn enqueue_mail(&self, message: &OutboxMessage) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.require_agency(message.agency)?;
        st.check_mail(message.agency, [message])?;
        st.push_mail(message);
        Ok(())
    }

    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut st = self.state()?;
        let mut due: Vec<(OffsetDateTime, OutboxId)> = st
            .outbox
            .values()
            .filter(|m| {
                matches!(m.status, OutboxStatus::Queued | OutboxStatus::Sending)
                    && m.next_attempt_at <= now
            })
            .map(|m| (m.created_at, m.id))
            .collect();
        due.sort();
        let mut claimed = Vec::new();
        for (_, id) in due.into_iter().take(limit as usize) {
            if let Some(m) = st.outbox.get_mut(&id) {
                m.status = OutboxStatus::Sending;
                m.attempts = m.attempts.saturating_add(1);
                m.next_attempt_at = lease_until;
                claimed.push(m.clone());
            }
        }
        Ok(claimed)
    }

    async fn mail_sent(
        &self,
        id: OutboxId,
        at: OffsetDateTime,
        redacted: &MailContent,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        let m = st.outbox.get_mut(&id).ok_or(StoreError::NotFound)?;
        m.status = OutboxStatus::Sent;
        m.sent_at = Some(at);
        m.content = redacted.clone();
        Ok(())
    }

    async fn mail_retry(
        &self,
        id: OutboxId,
        next_attempt_at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        let m = st.outbox.get_mut(&id).ok_or(StoreError::NotFound)?;
        m.status = OutboxStatus::Queued;
        m.next_attempt_at = next_attempt_at;
        m.last_error = Some(error.to_string());
        Ok(())
    }

    async fn mail_failed(
        &self,
        id: OutboxId,
        error: &str,
        redacted: &MailContent,
    ) -> Result<(), StoreError> {
        let mut st = self.state()?;
        let m = st.outbox.get_mut(&id).ok_or(StoreError::NotFound)?;
        m.status = OutboxStatus::Failed;
        m.last_error = Some(error.to_string());
        m.content = redacted.clone();
        Ok(())
    }

    async fn outbox(
        &self,
        agency: AgencyId,
        status: Option<OutboxStatus>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let st = self.state()?;
        let mut found: Vec<OutboxMessage> = st
            .outbox
            .values()
            .filter(|m| m.agency == agency && status.is_none_or(|s| m.status == s))
            .cloned()
            .collect();
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(page(found, offset, limit))
    }
}

#[async_trait]
impl ApiKeyStore for MemoryStore {
    async fn insert_api_key(&self, key: &ApiKey, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut st = self.state()?;
        st.require_agency(key.agency)?;
        if st.api_keys.contains_key(&key.id) {
            return Err(conflict("api key id taken"));
        }
        if st.api_keys.values().any(|k| k.hash == key.hash) {
            return Err(conflict("api key taken"));
        }
        st.check_audit(key.agency, [audit])?;
        st.api_keys.insert(key.id, key.clone());
        st.push_audit(audit);
        Ok(())
    }

    async fn api_keys_by_prefix(&self, prefix: &str) -> Result<Vec<ApiKey>, StoreError> {
        let st = self.state()?;
        let mut found: Vec<ApiKey> = st
            .api_keys
            .values()
            .filter(|k| k.prefix == prefix)
            .cloned()
            .collect();
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(found)
    }

    async fn api_keys(&self, agency: AgencyId) -> Result<Vec<ApiKey>, StoreError> {
        let st = self.state()?;
        let mut found: Vec<ApiKey> = st
            .api_keys
            .values()
            .filter(|k| k.agency == agency)
            .cloned()
            .collect();
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(found)
    }

    async fn revoke_api_key(
        &self,
        agency: AgencyId,
        id: ApiKeyId,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut st = self.state()?;
        let revoked = match st.api_keys.get(&id).filter(|k| k.agency == agency) {
            None => return Err(StoreError::NotFound),
            Some(k) => k.revoked_at.is_some(),
        };
        if revoked {
            return Ok(false);
        }
        st.check_audit(agency, [audit])?;
        if let Some(k) = st.api_keys.get_mut(&id) {
            k.revoked_at = Some(at);
        }
        st.push_audit(audit);
        Ok(true)
    }
}

#[async_trait]
impl Housekeeping for MemoryStore {
    async fn purge(&self, dead_before: OffsetDateTime) -> Result<PurgeReport, StoreError> {
        let mut st = self.state()?;
        let mut report = PurgeReport::default();
        let before = st.links.len();
        st.links
            .retain(|_, l| dead_at(l.expires_at, l.used_at, l.revoked_at) >= dead_before);
        report.links = (before - st.links.len()) as u64;
        let before = st.sessions.len();
        st.sessions
            .retain(|_, s| s.idle_expires_at.min(s.absolute_expires_at) >= dead_before);
        report.sessions = (before - st.sessions.len()) as u64;
        let before = st.codes.len();
        st.codes
            .retain(|_, c| dead_at(c.expires_at, c.used_at, c.revoked_at) >= dead_before);
        report.codes = (before - st.codes.len()) as u64;
        let before = st.outbox.len();
        st.outbox.retain(|_, m| {
            !(m.status == OutboxStatus::Sent && m.sent_at.is_some_and(|t| t < dead_before))
        });
        report.mail = (before - st.outbox.len()) as u64;
        Ok(report)
    }
}
