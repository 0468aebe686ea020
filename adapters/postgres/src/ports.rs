//! The storage ports of core on PostgreSQL.
//!
//! Writes spanning records run in one transaction (dropped, hence rolled back, on any error);
//! those that change an account lock its row first. Reads and single-statement writes run on
//! the pool in autocommit.

use crate::PostgresStore;
use crate::codec::{self, page_limit};
use crate::error::{map, map_conflict};
use async_trait::async_trait;
use portico_core::StoreError;
use portico_core::ids::*;
use portico_core::model::*;
use portico_core::secret::{PasswordHash, TokenHash};
use portico_core::store::*;
use sqlx::postgres::PgConnection;
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

type Tx = Transaction<'static, Postgres>;

/// An identifier as the `uuid` stored.
pub(crate) trait Uid {
    fn uuid(&self) -> Uuid;
}

macro_rules! uid {
    ($($t:ty),*) => {
        $(impl $crate::ports::Uid for $t {
            fn uuid(&self) -> Uuid {
                self.as_uuid()
            }
        })*
    };
}

uid!(
    AgencyId, AccountId, LinkId, SessionId, CodeId, AuditId, OutboxId, ApiKeyId
);

fn id<T: Uid>(x: T) -> Uuid {
    x.uuid()
}

impl PostgresStore {
    /// Begins a write transaction (`READ COMMITTED`).
    async fn write(&self) -> Result<Tx, StoreError> {
        self.pool.begin().await.map_err(map)
    }
}

/// Locks an account's row for the rest of the transaction, so that every transaction changing
/// an account or the rows it owns takes the account first (one lock order: no deadlock).
/// Whether the account exists in the agency.
async fn lock_account(
    conn: &mut PgConnection,
    agency: AgencyId,
    account: AccountId,
) -> Result<bool, StoreError> {
    let row =
        sqlx::query("SELECT 1 FROM portico_accounts WHERE agency = $1 AND id = $2 FOR UPDATE")
            .bind(id(agency))
            .bind(id(account))
            .fetch_optional(conn)
            .await
            .map_err(map)?;
    Ok(row.is_some())
}

async fn commit(tx: Tx) -> Result<(), StoreError> {
    tx.commit().await.map_err(map)
}

fn misuse(what: &str) -> StoreError {
    StoreError::Other(what.to_string())
}

/// Refuses audit records or mail of another agency than the operation's: a caller's bug.
fn check_audit<'a>(
    agency: AgencyId,
    events: impl IntoIterator<Item = &'a AuditEvent>,
) -> Result<(), StoreError> {
    if events.into_iter().any(|e| e.agency != agency) {
        return Err(misuse("audit record of another agency"));
    }
    Ok(())
}

fn check_mail<'a>(
    agency: AgencyId,
    messages: impl IntoIterator<Item = &'a OutboxMessage>,
) -> Result<(), StoreError> {
    if messages.into_iter().any(|m| m.agency != agency) {
        return Err(misuse("mail of another agency"));
    }
    Ok(())
}

/// The parts of a change that must name its own agency and account.
fn check_change(c: &CredentialChange) -> Result<(), StoreError> {
    if let Some(s) = &c.new_session
        && (s.agency != c.agency || s.account != c.account)
    {
        return Err(misuse("new session of another account"));
    }
    check_mail(c.agency, &c.mail)?;
    check_audit(c.agency, &c.audit)
}

async fn insert_audit(conn: &mut PgConnection, e: &AuditEvent) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO portico_audit (id, agency, at, actor, account, kind, address, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id(e.id))
    .bind(id(e.agency))
    .bind(e.at)
    .bind(Json(&e.actor))
    .bind(e.account.map(id))
    .bind(e.kind.as_str())
    .bind(e.address.map(|a| a.to_string()))
    .bind(&e.detail)
    .execute(conn)
    .await
    .map_err(|e| map_conflict(e, "audit id taken"))?;
    Ok(())
}

async fn insert_mail(conn: &mut PgConnection, m: &OutboxMessage) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO portico_outbox (id, agency, recipient, content, status, attempts, \
         created_at, next_attempt_at, last_error, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id(m.id))
    .bind(id(m.agency))
    .bind(&m.to)
    .bind(Json(&m.content))
    .bind(m.status.as_str())
    .bind(i64::from(m.attempts))
    .bind(m.created_at)
    .bind(m.next_attempt_at)
    .bind(&m.last_error)
    .bind(m.sent_at)
    .execute(conn)
    .await
    .map_err(|e| map_conflict(e, "outbox id taken"))?;
    Ok(())
}

async fn insert_session(conn: &mut PgConnection, s: &Session) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO portico_sessions (id, agency, account, hash, kind, created_at, \
         last_seen_at, idle_expires_at, absolute_expires_at, address, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id(s.id))
    .bind(id(s.agency))
    .bind(id(s.account))
    .bind(s.hash.as_bytes().as_slice())
    .bind(Json(&s.kind))
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(s.idle_expires_at)
    .bind(s.absolute_expires_at)
    .bind(s.address.map(|a| a.to_string()))
    .bind(&s.user_agent)
    .execute(conn)
    .await
    .map_err(|e| map_conflict(e, "session taken"))?;
    Ok(())
}

/// Makes the login keys of an account its username key and email key (one row if equal).
/// `Conflict` if another account of the agency owns either.
async fn set_login_keys(
    conn: &mut PgConnection,
    agency: AgencyId,
    account: AccountId,
    username_key: &str,
    email_key: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM portico_login_keys WHERE agency = $1 AND account = $2")
        .bind(id(agency))
        .bind(id(account))
        .execute(&mut *conn)
        .await
        .map_err(map)?;
    let mut keys = vec![(username_key, "username taken")];
    if email_key != username_key {
        keys.push((email_key, "email taken"));
    }
    for (key, taken) in keys {
        sqlx::query("INSERT INTO portico_login_keys (agency, key, account) VALUES ($1, $2, $3)")
            .bind(id(agency))
            .bind(key)
            .bind(id(account))
            .execute(&mut *conn)
            .await
            .map_err(|e| map_conflict(e, taken))?;
    }
    Ok(())
}

/// Revokes every live code of an account.
async fn revoke_codes_of(
    conn: &mut PgConnection,
    agency: AgencyId,
    account: AccountId,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE portico_codes SET revoked_at = $3 \
         WHERE agency = $1 AND account = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(id(agency))
    .bind(id(account))
    .bind(at)
    .execute(conn)
    .await
    .map_err(map)?;
    Ok(())
}

/// Applies a credential change inside a transaction (checked by [`check_change`]).
async fn apply_change(conn: &mut PgConnection, c: &CredentialChange) -> Result<(), StoreError> {
    let agency = id(c.agency);
    let account = id(c.account);
    let (new_email, new_email_key) = match &c.new_email {
        Some((email, key)) => (Some(email.as_str()), Some(key.as_str())),
        None => (None, None),
    };
    let keys = sqlx::query(
        "UPDATE portico_accounts SET \
           password_hash = COALESCE($3, password_hash), \
           password_changed_at = CASE WHEN $3 IS NULL THEN password_changed_at ELSE $4 END, \
           status = COALESCE($5, status), \
           activated_at = CASE WHEN $5 = 'active' AND activated_at IS NULL THEN $4 \
                          ELSE activated_at END, \
           email = COALESCE($6, email), \
           email_key = COALESCE($7, email_key) \
         WHERE agency = $1 AND id = $2 \
         RETURNING username_key, email_key",
    )
    .bind(agency)
    .bind(account)
    .bind(c.password_hash.as_ref().map(PasswordHash::as_str))
    .bind(c.at)
    .bind(c.status.map(AccountStatus::as_str))
    .bind(new_email)
    .bind(new_email_key)
    .fetch_optional(&mut *conn)
    .await
    .map_err(map)?
    .ok_or(StoreError::NotFound)?;
    if c.new_email.is_some() {
        use sqlx::Row;
        let username_key: String = keys.try_get("username_key").map_err(map)?;
        let email_key: String = keys.try_get("email_key").map_err(map)?;
        set_login_keys(conn, c.agency, c.account, &username_key, &email_key).await?;
    }
    match c.end_sessions {
        EndSessions::None => {}
        EndSessions::All => {
            sqlx::query("DELETE FROM portico_sessions WHERE agency = $1 AND account = $2")
                .bind(agency)
                .bind(account)
                .execute(&mut *conn)
                .await
                .map_err(map)?;
        }
        EndSessions::AllExcept(keep) => {
            sqlx::query(
                "DELETE FROM portico_sessions WHERE agency = $1 AND account = $2 AND id <> $3",
            )
            .bind(agency)
            .bind(account)
            .bind(id(keep))
            .execute(&mut *conn)
            .await
            .map_err(map)?;
        }
    }
    if c.revoke_links {
        sqlx::query(
            "UPDATE portico_links SET revoked_at = $3, revocation = 'account_changed' \
             WHERE agency = $1 AND account = $2 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(agency)
        .bind(account)
        .bind(c.at)
        .execute(&mut *conn)
        .await
        .map_err(map)?;
        revoke_codes_of(conn, c.agency, c.account, c.at).await?;
    }
    for key in &c.clear_throttle {
        sqlx::query("DELETE FROM portico_throttle WHERE agency = $1 AND key = $2")
            .bind(agency)
            .bind(&key.0)
            .execute(&mut *conn)
            .await
            .map_err(map)?;
    }
    if let Some(s) = &c.new_session {
        insert_session(conn, s).await?;
    }
    for m in &c.mail {
        insert_mail(conn, m).await?;
    }
    for e in &c.audit {
        insert_audit(conn, e).await?;
    }
    Ok(())
}

#[async_trait]
impl AgencyStore for PostgresStore {
    async fn insert_agency(&self, agency: &Agency) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO portico_agencies (id, slug, name, settings, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id(agency.id))
        .bind(&agency.slug)
        .bind(&agency.name)
        .bind(Json(&agency.settings))
        .bind(agency.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| map_conflict(e, "slug taken"))?;
        Ok(())
    }

    async fn agency(&self, agency: AgencyId) -> Result<Agency, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_agencies WHERE id = $1")
            .bind(id(agency))
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
        codec::agency(&row)
    }

    async fn agency_by_slug(&self, slug: &str) -> Result<Agency, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_agencies WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
        codec::agency(&row)
    }

    async fn update_agency(&self, agency: &Agency) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE portico_agencies SET name = $2, settings = $3 WHERE id = $1")
                .bind(id(agency.id))
                .bind(&agency.name)
                .bind(Json(&agency.settings))
                .execute(&self.pool)
                .await
                .map_err(map)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_agencies(&self) -> Result<Vec<Agency>, StoreError> {
        let rows = sqlx::query("SELECT * FROM portico_agencies ORDER BY slug COLLATE \"C\"")
            .fetch_all(&self.pool)
            .await
            .map_err(map)?;
        codec::all(rows, codec::agency)
    }
}

#[async_trait]
impl AccountStore for PostgresStore {
    async fn insert_account(
        &self,
        account: &Account,
        contact: Option<&ContactRef>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_audit(account.agency, [audit])?;
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO portico_accounts (id, agency, username, username_key, email, email_key, \
             display_name, status, password_hash, created_at, activated_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id(account.id))
        .bind(id(account.agency))
        .bind(&account.username)
        .bind(&account.username_key)
        .bind(&account.email)
        .bind(&account.email_key)
        .bind(&account.display_name)
        .bind(account.status.as_str())
        .bind(account.password_hash.as_ref().map(PasswordHash::as_str))
        .bind(account.created_at)
        .bind(account.activated_at)
        .bind(account.password_changed_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_conflict(e, "account id taken"))?;
        set_login_keys(
            &mut tx,
            account.agency,
            account.id,
            &account.username_key,
            &account.email_key,
        )
        .await?;
        if let Some(c) = contact {
            sqlx::query(
                "INSERT INTO portico_contacts (agency, contact, account) VALUES ($1, $2, $3)",
            )
            .bind(id(account.agency))
            .bind(&c.0)
            .bind(id(account.id))
            .execute(&mut *tx)
            .await
            .map_err(|e| map_conflict(e, "contact linked to another account"))?;
        }
        insert_audit(&mut tx, audit).await?;
        commit(tx).await
    }

    async fn account(&self, agency: AgencyId, account: AccountId) -> Result<Account, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_accounts WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(account))
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
        codec::account(&row)
    }

    async fn account_by_login(
        &self,
        agency: AgencyId,
        key: &str,
    ) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "SELECT a.* FROM portico_login_keys k \
             JOIN portico_accounts a ON a.agency = k.agency AND a.id = k.account \
             WHERE k.agency = $1 AND k.key = $2",
        )
        .bind(id(agency))
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(map)?;
        row.as_ref().map(codec::account).transpose()
    }

    async fn account_by_contact(
        &self,
        agency: AgencyId,
        contact: &ContactRef,
    ) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "SELECT a.* FROM portico_contacts c \
             JOIN portico_accounts a ON a.agency = c.agency AND a.id = c.account \
             WHERE c.agency = $1 AND c.contact = $2",
        )
        .bind(id(agency))
        .bind(&contact.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(map)?;
        row.as_ref().map(codec::account).transpose()
    }

    async fn link_contact(
        &self,
        agency: AgencyId,
        account: AccountId,
        contact: &ContactRef,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_audit(agency, [audit])?;
        let mut tx = self.write().await?;
        if !lock_account(&mut tx, agency, account).await? {
            return Err(StoreError::NotFound);
        }
        let owner: Uuid = sqlx::query_scalar(
            "INSERT INTO portico_contacts (agency, contact, account) VALUES ($1, $2, $3) \
             ON CONFLICT (agency, contact) DO UPDATE SET account = portico_contacts.account \
             RETURNING account",
        )
        .bind(id(agency))
        .bind(&contact.0)
        .bind(id(account))
        .fetch_one(&mut *tx)
        .await
        .map_err(map)?;
        if owner != id(account) {
            return Err(StoreError::Conflict(
                "contact linked to another account".into(),
            ));
        }
        insert_audit(&mut tx, audit).await?;
        commit(tx).await
    }

    async fn contacts_of(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<ContactRef>, StoreError> {
        let contacts: Vec<String> = sqlx::query_scalar(
            "SELECT contact FROM portico_contacts WHERE agency = $1 AND account = $2 \
             ORDER BY contact COLLATE \"C\"",
        )
        .bind(id(agency))
        .bind(id(account))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        Ok(contacts.into_iter().map(ContactRef).collect())
    }

    async fn list_accounts(
        &self,
        agency: AgencyId,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<Account>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_accounts WHERE agency = $1 \
             ORDER BY username_key COLLATE \"C\", id LIMIT $2 OFFSET $3",
        )
        .bind(id(agency))
        .bind(page_limit(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::account)
    }

    async fn update_profile(&self, account: &Account) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE portico_accounts SET username = $3, username_key = $4, email = $5, \
             email_key = $6, display_name = $7 WHERE agency = $1 AND id = $2",
        )
        .bind(id(account.agency))
        .bind(id(account.id))
        .bind(&account.username)
        .bind(&account.username_key)
        .bind(&account.email)
        .bind(&account.email_key)
        .bind(&account.display_name)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        set_login_keys(
            &mut tx,
            account.agency,
            account.id,
            &account.username_key,
            &account.email_key,
        )
        .await?;
        commit(tx).await
    }

    async fn set_password_hash(
        &self,
        agency: AgencyId,
        account: AccountId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE portico_accounts SET password_hash = $3 WHERE agency = $1 AND id = $2",
        )
        .bind(id(agency))
        .bind(id(account))
        .bind(hash.as_str())
        .execute(&self.pool)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn apply_change(&self, change: &CredentialChange) -> Result<(), StoreError> {
        check_change(change)?;
        let mut tx = self.write().await?;
        apply_change(&mut tx, change).await?;
        commit(tx).await
    }

    async fn delete_account(
        &self,
        agency: AgencyId,
        account: AccountId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_audit(agency, [audit])?;
        let mut tx = self.write().await?;
        // Contact links, login keys, sessions, links and codes go by `ON DELETE CASCADE`.
        let done = sqlx::query("DELETE FROM portico_accounts WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(account))
            .execute(&mut *tx)
            .await
            .map_err(map)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_audit(&mut tx, audit).await?;
        commit(tx).await
    }
}

#[async_trait]
impl LinkStore for PostgresStore {
    async fn issue_link(
        &self,
        link: &LinkToken,
        mail: &OutboxMessage,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_mail(link.agency, [mail])?;
        check_audit(link.agency, [audit])?;
        let mut tx = self.write().await?;
        if !lock_account(&mut tx, link.agency, link.account).await? {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE portico_links SET revoked_at = $4, revocation = 'superseded' \
             WHERE agency = $1 AND account = $2 AND purpose = $3 \
               AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(id(link.agency))
        .bind(id(link.account))
        .bind(link.purpose.as_str())
        .bind(link.created_at)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        sqlx::query(
            "INSERT INTO portico_links (id, agency, account, purpose, hash, created_at, \
             expires_at, used_at, revoked_at, revocation, created_by, new_email) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id(link.id))
        .bind(id(link.agency))
        .bind(id(link.account))
        .bind(link.purpose.as_str())
        .bind(link.hash.as_bytes().as_slice())
        .bind(link.created_at)
        .bind(link.expires_at)
        .bind(link.used_at)
        .bind(link.revoked_at)
        .bind(link.revocation.map(Revocation::as_str))
        .bind(Json(&link.created_by))
        .bind(&link.new_email)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_conflict(e, "link taken"))?;
        insert_mail(&mut tx, mail).await?;
        insert_audit(&mut tx, audit).await?;
        commit(tx).await
    }

    async fn link_by_hash(
        &self,
        agency: AgencyId,
        hash: &TokenHash,
    ) -> Result<Option<LinkToken>, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_links WHERE agency = $1 AND hash = $2")
            .bind(id(agency))
            .bind(hash.as_bytes().as_slice())
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?;
        row.as_ref().map(codec::link).transpose()
    }

    async fn link(&self, agency: AgencyId, link: LinkId) -> Result<LinkToken, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_links WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(link))
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
        codec::link(&row)
    }

    async fn links(
        &self,
        agency: AgencyId,
        account: Option<AccountId>,
        purpose: Option<LinkPurpose>,
    ) -> Result<Vec<LinkToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_links WHERE agency = $1 \
               AND ($2 IS NULL OR account = $2) AND ($3 IS NULL OR purpose = $3) \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(id(agency))
        .bind(account.map(id))
        .bind(purpose.map(LinkPurpose::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::link)
    }

    async fn revoke_link(
        &self,
        agency: AgencyId,
        link: LinkId,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        check_audit(agency, [audit])?;
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE portico_links SET revoked_at = $3, revocation = 'revoked' \
             WHERE agency = $1 AND id = $2 AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(id(agency))
        .bind(id(link))
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query("SELECT 1 FROM portico_links WHERE agency = $1 AND id = $2")
                .bind(id(agency))
                .bind(id(link))
                .fetch_optional(&mut *tx)
                .await
                .map_err(map)?;
            return match exists {
                Some(_) => Ok(false),
                None => Err(StoreError::NotFound),
            };
        }
        insert_audit(&mut tx, audit).await?;
        commit(tx).await?;
        Ok(true)
    }

    async fn redeem_link(
        &self,
        agency: AgencyId,
        link: LinkId,
        change: &CredentialChange,
    ) -> Result<bool, StoreError> {
        if change.agency != agency {
            return Ok(false);
        }
        let mut tx = self.write().await?;
        if !lock_account(&mut tx, agency, change.account).await? {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE portico_links SET used_at = $4 \
             WHERE id = $1 AND agency = $2 AND account = $3 \
               AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $4",
        )
        .bind(id(link))
        .bind(id(agency))
        .bind(id(change.account))
        .bind(change.at)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        check_change(change)?;
        apply_change(&mut tx, change).await?;
        commit(tx).await?;
        Ok(true)
    }
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn insert_session(
        &self,
        session: &Session,
        audit: Option<&AuditEvent>,
    ) -> Result<(), StoreError> {
        check_audit(session.agency, audit)?;
        let mut tx = self.write().await?;
        insert_session(&mut tx, session).await?;
        if let Some(e) = audit {
            insert_audit(&mut tx, e).await?;
        }
        commit(tx).await
    }

    async fn session_by_hash(
        &self,
        agency: AgencyId,
        hash: &TokenHash,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query("SELECT * FROM portico_sessions WHERE agency = $1 AND hash = $2")
            .bind(id(agency))
            .bind(hash.as_bytes().as_slice())
            .fetch_optional(&self.pool)
            .await
            .map_err(map)?;
        row.as_ref().map(codec::session).transpose()
    }

    async fn touch_session(
        &self,
        agency: AgencyId,
        session: SessionId,
        last_seen_at: OffsetDateTime,
        idle_expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE portico_sessions SET last_seen_at = $3, idle_expires_at = $4 \
             WHERE agency = $1 AND id = $2",
        )
        .bind(id(agency))
        .bind(id(session))
        .bind(last_seen_at)
        .bind(idle_expires_at)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_session(
        &self,
        agency: AgencyId,
        session: SessionId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM portico_sessions WHERE agency = $1 AND id = $2")
            .bind(id(agency))
            .bind(id(session))
            .execute(&self.pool)
            .await
            .map_err(map)?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_sessions_of(
        &self,
        agency: AgencyId,
        account: AccountId,
        except: Option<SessionId>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM portico_sessions WHERE agency = $1 AND account = $2 \
               AND ($3 IS NULL OR id <> $3)",
        )
        .bind(id(agency))
        .bind(id(account))
        .bind(except.map(id))
        .execute(&self.pool)
        .await
        .map_err(map)?;
        Ok(done.rows_affected())
    }

    async fn sessions_of(
        &self,
        agency: AgencyId,
        account: AccountId,
    ) -> Result<Vec<Session>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_sessions WHERE agency = $1 AND account = $2 \
             ORDER BY created_at DESC, id DESC",
        )
        .bind(id(agency))
        .bind(id(account))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::session)
    }
}

#[async_trait]
impl CodeStore for PostgresStore {
    async fn issue_code(
        &self,
        code: &EmailCode,
        mail: &OutboxMessage,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        check_mail(code.agency, [mail])?;
        check_audit(code.agency, [audit])?;
        let mut tx = self.write().await?;
        if !lock_account(&mut tx, code.agency, code.account).await? {
            return Err(StoreError::NotFound);
        }
        revoke_codes_of(&mut tx, code.agency, code.account, code.created_at).await?;
        sqlx::query(
            "INSERT INTO portico_codes (id, agency, account, attempt_hash, code_hash, created_at, \
             expires_at, attempts, used_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id(code.id))
        .bind(id(code.agency))
        .bind(id(code.account))
        .bind(code.attempt_hash.as_bytes().as_slice())
        .bind(code.code_hash.as_bytes().as_slice())
        .bind(code.created_at)
        .bind(code.expires_at)
        .bind(i64::from(code.attempts))
        .bind(code.used_at)
        .bind(code.revoked_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_conflict(e, "code id taken"))?;
        insert_mail(&mut tx, mail).await?;
        insert_audit(&mut tx, audit).await?;
        commit(tx).await
    }

    async fn count_code_attempt(
        &self,
        agency: AgencyId,
        attempt_hash: &TokenHash,
        at: OffsetDateTime,
    ) -> Result<Option<EmailCode>, StoreError> {
        // One statement: the live code's row is locked (the condition re-checked on the row a
        // concurrent redemption committed), then counted.
        let row = sqlx::query(
            "UPDATE portico_codes \
             SET attempts = CASE WHEN attempts < 4294967295 THEN attempts + 1 ELSE attempts END \
             WHERE id = (SELECT id FROM portico_codes \
                         WHERE agency = $1 AND attempt_hash = $2 AND used_at IS NULL \
                           AND revoked_at IS NULL AND expires_at > $3 \
                         LIMIT 1 FOR UPDATE) \
               AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3 \
             RETURNING *",
        )
        .bind(id(agency))
        .bind(attempt_hash.as_bytes().as_slice())
        .bind(at)
        .fetch_optional(&self.pool)
        .await
        .map_err(map)?;
        row.as_ref().map(codec::code).transpose()
    }

    async fn revoke_code(
        &self,
        agency: AgencyId,
        code: CodeId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let found: Option<i32> = sqlx::query_scalar(
            "UPDATE portico_codes SET revoked_at = CASE \
               WHEN used_at IS NULL AND revoked_at IS NULL THEN $3 ELSE revoked_at END \
             WHERE agency = $1 AND id = $2 RETURNING 1",
        )
        .bind(id(agency))
        .bind(id(code))
        .bind(at)
        .fetch_optional(&self.pool)
        .await
        .map_err(map)?;
        found.map(|_| ()).ok_or(StoreError::NotFound)
    }

    async fn redeem_code(
        &self,
        agency: AgencyId,
        code: CodeId,
        max_attempts: u32,
        change: &CredentialChange,
    ) -> Result<bool, StoreError> {
        if change.agency != agency {
            return Ok(false);
        }
        let mut tx = self.write().await?;
        if !lock_account(&mut tx, agency, change.account).await? {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE portico_codes SET used_at = $4 \
             WHERE id = $1 AND agency = $2 AND account = $3 \
               AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $4 \
               AND attempts <= $5",
        )
        .bind(id(code))
        .bind(id(agency))
        .bind(id(change.account))
        .bind(change.at)
        .bind(i64::from(max_attempts))
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        check_change(change)?;
        apply_change(&mut tx, change).await?;
        commit(tx).await?;
        Ok(true)
    }
}

#[async_trait]
impl ThrottleStore for PostgresStore {
    async fn throttle(
        &self,
        agency: AgencyId,
        key: &ThrottleKey,
    ) -> Result<ThrottleState, StoreError> {
        let row = sqlx::query(
            "SELECT failures, last_failure_at FROM portico_throttle WHERE agency = $1 AND key = $2",
        )
        .bind(id(agency))
        .bind(&key.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(map)?;
        match row {
            Some(row) => codec::throttle(&row),
            None => Ok(ThrottleState::default()),
        }
    }

    async fn record_failure(
        &self,
        agency: AgencyId,
        key: &ThrottleKey,
        at: OffsetDateTime,
    ) -> Result<ThrottleState, StoreError> {
        let row = sqlx::query(
            "INSERT INTO portico_throttle (agency, key, failures, last_failure_at) \
             VALUES ($1, $2, 1, $3) \
             ON CONFLICT (agency, key) DO UPDATE SET \
               failures = CASE WHEN portico_throttle.failures < 4294967295 \
                          THEN portico_throttle.failures + 1 ELSE portico_throttle.failures END, \
               last_failure_at = excluded.last_failure_at \
             RETURNING failures, last_failure_at",
        )
        .bind(id(agency))
        .bind(&key.0)
        .bind(at)
        .fetch_one(&self.pool)
        .await
        .map_err(map)?;
        codec::throttle(&row)
    }

    async fn clear_throttle(&self, agency: AgencyId, key: &ThrottleKey) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM portico_throttle WHERE agency = $1 AND key = $2")
            .bind(id(agency))
            .bind(&key.0)
            .execute(&self.pool)
            .await
            .map_err(map)?;
        Ok(())
    }
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map)?;
        insert_audit(&mut conn, event).await
    }

    async fn audit(
        &self,
        agency: AgencyId,
        query: &AuditQuery,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_audit WHERE agency = $1 \
               AND ($2 IS NULL OR account = $2) AND ($3 IS NULL OR kind = $3) \
               AND ($4 IS NULL OR at >= $4) AND ($5 IS NULL OR at < $5) \
             ORDER BY at DESC, seq DESC LIMIT $6 OFFSET $7",
        )
        .bind(id(agency))
        .bind(query.account.map(id))
        .bind(query.kind.map(AuditKind::as_str))
        .bind(query.from)
        .bind(query.until)
        .bind(page_limit(query.limit))
        .bind(i64::from(query.offset))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::audit)
    }
}

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn enqueue_mail(&self, message: &OutboxMessage) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map)?;
        insert_mail(&mut conn, message).await
    }

    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        // Rows another worker is claiming right now are skipped, not waited for.
        let rows = sqlx::query(
            "WITH due AS (SELECT id FROM portico_outbox \
                          WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1 \
                          ORDER BY created_at, id LIMIT $3 \
                          FOR UPDATE SKIP LOCKED) \
             UPDATE portico_outbox o SET status = 'sending', \
               attempts = CASE WHEN o.attempts < 4294967295 THEN o.attempts + 1 \
                          ELSE o.attempts END, \
               next_attempt_at = $2 \
             FROM due WHERE o.id = due.id \
             RETURNING o.*",
        )
        .bind(now)
        .bind(lease_until)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        let mut claimed = codec::all(rows, codec::outbox)?;
        claimed.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(claimed)
    }

    async fn mail_sent(
        &self,
        message: OutboxId,
        at: OffsetDateTime,
        redacted: &MailContent,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE portico_outbox SET status = 'sent', sent_at = $2, content = $3 WHERE id = $1",
        )
        .bind(id(message))
        .bind(at)
        .bind(Json(redacted))
        .execute(&self.pool)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn mail_retry(
        &self,
        message: OutboxId,
        next_attempt_at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE portico_outbox SET status = 'queued', next_attempt_at = $2, last_error = $3 \
             WHERE id = $1",
        )
        .bind(id(message))
        .bind(next_attempt_at)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn mail_failed(
        &self,
        message: OutboxId,
        error: &str,
        redacted: &MailContent,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE portico_outbox SET status = 'failed', last_error = $2, content = $3 \
             WHERE id = $1",
        )
        .bind(id(message))
        .bind(error)
        .bind(Json(redacted))
        .execute(&self.pool)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn outbox(
        &self,
        agency: AgencyId,
        status: Option<OutboxStatus>,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_outbox WHERE agency = $1 AND ($2 IS NULL OR status = $2) \
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4",
        )
        .bind(id(agency))
        .bind(status.map(OutboxStatus::as_str))
        .bind(page_limit(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::outbox)
    }
}

#[async_trait]
impl ApiKeyStore for PostgresStore {
    async fn insert_api_key(&self, key: &ApiKey, audit: &AuditEvent) -> Result<(), StoreError> {
        check_audit(key.agency, [audit])?;
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO portico_api_keys (id, agency, name, prefix, hash, created_at, \
             expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id(key.id))
        .bind(id(key.agency))
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(key.hash.as_bytes().as_slice())
        .bind(key.created_at)
        .bind(key.expires_at)
        .bind(key.revoked_at)
        .execute(&mut *tx)
        .await
        .map_err(|e| map_conflict(e, "api key taken"))?;
        insert_audit(&mut tx, audit).await?;
        commit(tx).await
    }

    async fn api_keys_by_prefix(&self, prefix: &str) -> Result<Vec<ApiKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_api_keys WHERE prefix = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(prefix)
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::api_key)
    }

    async fn api_keys(&self, agency: AgencyId) -> Result<Vec<ApiKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM portico_api_keys WHERE agency = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(id(agency))
        .fetch_all(&self.pool)
        .await
        .map_err(map)?;
        codec::all(rows, codec::api_key)
    }

    async fn revoke_api_key(
        &self,
        agency: AgencyId,
        key: ApiKeyId,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        check_audit(agency, [audit])?;
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE portico_api_keys SET revoked_at = $3 \
             WHERE agency = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(id(agency))
        .bind(id(key))
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        if done.rows_affected() == 0 {
            let exists =
                sqlx::query("SELECT 1 FROM portico_api_keys WHERE agency = $1 AND id = $2")
                    .bind(id(agency))
                    .bind(id(key))
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map)?;
            return match exists {
                Some(_) => Ok(false),
                None => Err(StoreError::NotFound),
            };
        }
        insert_audit(&mut tx, audit).await?;
        commit(tx).await?;
        Ok(true)
    }
}

#[async_trait]
impl Housekeeping for PostgresStore {
    async fn purge(&self, dead_before: OffsetDateTime) -> Result<PurgeReport, StoreError> {
        // One statement per table, each its own transaction: a purge holds no lock on one
        // table while it waits for another (no deadlock with a credential change).
        let before = dead_before;
        let links = sqlx::query(
            "DELETE FROM portico_links \
             WHERE expires_at < $1 OR used_at < $1 OR revoked_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await
        .map_err(map)?
        .rows_affected();
        let sessions = sqlx::query(
            "DELETE FROM portico_sessions WHERE idle_expires_at < $1 OR absolute_expires_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await
        .map_err(map)?
        .rows_affected();
        let codes = sqlx::query(
            "DELETE FROM portico_codes \
             WHERE expires_at < $1 OR used_at < $1 OR revoked_at < $1",
        )
        .bind(before)
        .execute(&self.pool)
        .await
        .map_err(map)?
        .rows_affected();
        let mail = sqlx::query("DELETE FROM portico_outbox WHERE status = 'sent' AND sent_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await
            .map_err(map)?
            .rows_affected();
        Ok(PurgeReport {
            links,
            sessions,
            codes,
            mail,
        })
    }
}
