//! Records to and from PostgreSQL values and rows.

use crate::error::{corrupt, map};
use portico_core::StoreError;
use portico_core::access::records::*;
use portico_core::ids::*;
use portico_core::model::*;
use portico_core::secret::{PasswordHash, TokenHash};
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use std::net::IpAddr;
use std::str::FromStr;
use time::OffsetDateTime;
use uuid::Uuid;

/// Reads columns of one row, mapping every failure to `Corrupt`.
struct Cols<'r>(&'r PgRow);

impl Cols<'_> {
    fn get<'a, T>(&'a self, col: &str) -> Result<T, StoreError>
    where
        T: sqlx::Decode<'a, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.0.try_get::<T, _>(col).map_err(map)
    }
    fn text(&self, col: &str) -> Result<String, StoreError> {
        self.get::<String>(col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.get::<Option<String>>(col)
    }
    fn uuid(&self, col: &str) -> Result<Uuid, StoreError> {
        self.get::<Uuid>(col)
    }
    fn time(&self, col: &str) -> Result<OffsetDateTime, StoreError> {
        self.get::<OffsetDateTime>(col)
    }
    fn opt_time(&self, col: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.get::<Option<OffsetDateTime>>(col)
    }
    fn u32(&self, col: &str) -> Result<u32, StoreError> {
        u32::try_from(self.get::<i64>(col)?).map_err(corrupt)
    }
    fn hash(&self, col: &str) -> Result<TokenHash, StoreError> {
        let bytes = self.get::<Vec<u8>>(col)?;
        TokenHash::from_slice(&bytes).ok_or_else(|| corrupt(format!("{col}: not 32 bytes")))
    }
    fn opt_parse<T: FromStr>(&self, col: &str) -> Result<Option<T>, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        self.opt_text(col)?
            .map(|s| s.parse::<T>().map_err(corrupt))
            .transpose()
    }
    fn json<T: DeserializeOwned>(&self, col: &str) -> Result<T, StoreError> {
        Ok(self.get::<Json<T>>(col)?.0)
    }
    fn tag<T>(&self, col: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
        let s = self.text(col)?;
        parse(&s).ok_or_else(|| corrupt(format!("{col}: unknown value {s:?}")))
    }
}

pub(crate) fn agency(row: &PgRow) -> Result<Agency, StoreError> {
    let c = Cols(row);
    Ok(Agency {
        id: AgencyId::from_uuid(c.uuid("id")?),
        slug: c.text("slug")?,
        name: c.text("name")?,
        settings: c.json("settings")?,
        created_at: c.time("created_at")?,
    })
}

pub(crate) fn account(row: &PgRow) -> Result<Account, StoreError> {
    let c = Cols(row);
    Ok(Account {
        id: AccountId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        username: c.text("username")?,
        username_key: c.text("username_key")?,
        email: c.text("email")?,
        email_key: c.text("email_key")?,
        display_name: c.text("display_name")?,
        status: c.tag("status", AccountStatus::parse)?,
        password_hash: c.opt_text("password_hash")?.map(PasswordHash::new),
        created_at: c.time("created_at")?,
        activated_at: c.opt_time("activated_at")?,
        password_changed_at: c.opt_time("password_changed_at")?,
    })
}

pub(crate) fn link(row: &PgRow) -> Result<LinkToken, StoreError> {
    let c = Cols(row);
    let revocation = match c.opt_text("revocation")? {
        None => None,
        Some(s) => Some(
            Revocation::parse(&s).ok_or_else(|| corrupt(format!("unknown revocation {s:?}")))?,
        ),
    };
    Ok(LinkToken {
        id: LinkId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        account: AccountId::from_uuid(c.uuid("account")?),
        purpose: c.tag("purpose", LinkPurpose::parse)?,
        hash: c.hash("hash")?,
        created_at: c.time("created_at")?,
        expires_at: c.time("expires_at")?,
        used_at: c.opt_time("used_at")?,
        revoked_at: c.opt_time("revoked_at")?,
        revocation,
        created_by: c.json("created_by")?,
        new_email: c.opt_text("new_email")?,
    })
}

pub(crate) fn session(row: &PgRow) -> Result<Session, StoreError> {
    let c = Cols(row);
    Ok(Session {
        id: SessionId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        account: AccountId::from_uuid(c.uuid("account")?),
        hash: c.hash("hash")?,
        kind: c.json("kind")?,
        created_at: c.time("created_at")?,
        last_seen_at: c.time("last_seen_at")?,
        idle_expires_at: c.time("idle_expires_at")?,
        absolute_expires_at: c.time("absolute_expires_at")?,
        address: c.opt_parse::<IpAddr>("address")?,
        user_agent: c.opt_text("user_agent")?,
    })
}

pub(crate) fn code(row: &PgRow) -> Result<EmailCode, StoreError> {
    let c = Cols(row);
    Ok(EmailCode {
        id: CodeId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        account: AccountId::from_uuid(c.uuid("account")?),
        attempt_hash: c.hash("attempt_hash")?,
        code_hash: c.hash("code_hash")?,
        created_at: c.time("created_at")?,
        expires_at: c.time("expires_at")?,
        attempts: c.u32("attempts")?,
        used_at: c.opt_time("used_at")?,
        revoked_at: c.opt_time("revoked_at")?,
    })
}

pub(crate) fn throttle(row: &PgRow) -> Result<ThrottleState, StoreError> {
    let c = Cols(row);
    Ok(ThrottleState {
        failures: c.u32("failures")?,
        last_failure_at: c.opt_time("last_failure_at")?,
    })
}

pub(crate) fn audit(row: &PgRow) -> Result<AuditEvent, StoreError> {
    let c = Cols(row);
    Ok(AuditEvent {
        id: AuditId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        at: c.time("at")?,
        actor: c.json("actor")?,
        account: c.get::<Option<Uuid>>("account")?.map(AccountId::from_uuid),
        kind: c.tag("kind", AuditKind::parse)?,
        address: c.opt_parse::<IpAddr>("address")?,
        detail: c.text("detail")?,
    })
}

pub(crate) fn outbox(row: &PgRow) -> Result<OutboxMessage, StoreError> {
    let c = Cols(row);
    Ok(OutboxMessage {
        id: OutboxId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        to: c.text("recipient")?,
        content: c.json("content")?,
        status: c.tag("status", OutboxStatus::parse)?,
        attempts: c.u32("attempts")?,
        created_at: c.time("created_at")?,
        next_attempt_at: c.time("next_attempt_at")?,
        last_error: c.opt_text("last_error")?,
        sent_at: c.opt_time("sent_at")?,
    })
}

pub(crate) fn api_key(row: &PgRow) -> Result<ApiKey, StoreError> {
    let c = Cols(row);
    Ok(ApiKey {
        id: ApiKeyId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        name: c.text("name")?,
        prefix: c.text("prefix")?,
        hash: c.hash("hash")?,
        created_at: c.time("created_at")?,
        expires_at: c.opt_time("expires_at")?,
        revoked_at: c.opt_time("revoked_at")?,
    })
}

/// Decodes every row.
pub(crate) fn all<T>(
    rows: Vec<PgRow>,
    f: fn(&PgRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(f).collect()
}

/// Page size when a paged read asks for `limit == 0`.
const DEFAULT_LIMIT: u32 = 100;
/// Largest page a paged read returns.
const MAX_LIMIT: u32 = 1000;

/// The `LIMIT` of a paged read: 0 reads as 100, at most 1,000.
pub(crate) fn page_limit(limit: u32) -> i64 {
    i64::from(match limit {
        0 => DEFAULT_LIMIT,
        l => l.min(MAX_LIMIT),
    })
}

pub(crate) fn property(row: &PgRow) -> Result<Property, StoreError> {
    let c = Cols(row);
    Ok(Property {
        id: PropertyId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        host_ref: c.text("host_ref")?,
        kind: c.tag("kind", PropertyKind::parse)?,
        display_name: c.text("display_name")?,
        manager: c.opt_text("manager")?.map(StaffRef),
        negotiator: c.opt_text("negotiator")?.map(StaffRef),
        valuer: c.opt_text("valuer")?.map(StaffRef),
        created_at: c.time("created_at")?,
        updated_at: c.time("updated_at")?,
    })
}

pub(crate) fn grant(row: &PgRow) -> Result<Grant, StoreError> {
    let c = Cols(row);
    let subject = match (
        c.get::<Option<Uuid>>("subject_account")?,
        c.get::<Option<Uuid>>("subject_group")?,
    ) {
        (Some(a), None) => Subject::Account(AccountId::from_uuid(a)),
        (None, Some(g)) => Subject::Group(GroupId::from_uuid(g)),
        _ => return Err(corrupt("grant: not exactly one subject")),
    };
    Ok(Grant {
        id: GrantId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        subject,
        property: PropertyId::from_uuid(c.uuid("property")?),
        role: c.tag("role", Role::parse)?,
        scopes: c.json("scopes")?,
        buyer_names: c.tag("buyer_names", BuyerNameDisplay::parse)?,
        valid_from: c.opt_time("valid_from")?,
        valid_until: c.opt_time("valid_until")?,
        created_at: c.time("created_at")?,
        updated_at: c.time("updated_at")?,
    })
}

pub(crate) fn group(row: &PgRow) -> Result<Group, StoreError> {
    let c = Cols(row);
    Ok(Group {
        id: GroupId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        name: c.text("name")?,
        parent: c.get::<Option<Uuid>>("parent")?.map(GroupId::from_uuid),
        created_at: c.time("created_at")?,
    })
}

pub(crate) fn document(row: &PgRow) -> Result<SharedDocument, StoreError> {
    let c = Cols(row);
    Ok(SharedDocument {
        id: DocumentId::from_uuid(c.uuid("id")?),
        agency: AgencyId::from_uuid(c.uuid("agency")?),
        property: PropertyId::from_uuid(c.uuid("property")?),
        host_ref: c.text("host_ref")?,
        category: c.tag("category", DocumentCategory::parse)?,
        title: c.text("title")?,
        shared_at: c.time("shared_at")?,
    })
}
