//! Records to and from SQLite values and rows.

use crate::error::{corrupt, map};
use portico_core::StoreError;
use portico_core::access::records::*;
use portico_core::ids::*;
use portico_core::model::*;
use portico_core::secret::{PasswordHash, TokenHash};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use std::net::IpAddr;
use std::str::FromStr;
use time::OffsetDateTime;

/// An instant as microseconds since the Unix epoch (floored).
pub(crate) fn ts(t: OffsetDateTime) -> i64 {
    let micros = t.unix_timestamp_nanos().div_euclid(1_000);
    i64::try_from(micros).unwrap_or(if micros < 0 { i64::MIN } else { i64::MAX })
}

/// An optional instant as microseconds.
pub(crate) fn ts_opt(t: Option<OffsetDateTime>) -> Option<i64> {
    t.map(ts)
}

fn from_ts(micros: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).map_err(corrupt)
}

/// An identifier's text form.
pub(crate) fn id<T: std::fmt::Display>(id: T) -> String {
    id.to_string()
}

/// A value as JSON text.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(format!("cannot encode: {e}")))
}

/// Reads columns of one row, mapping every failure to `Corrupt`.
pub(crate) struct Cols<'r>(pub(crate) &'r SqliteRow);

impl Cols<'_> {
    fn get<'a, T>(&'a self, col: &str) -> Result<T, StoreError>
    where
        T: sqlx::Decode<'a, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        self.0.try_get::<T, _>(col).map_err(map)
    }
    fn text(&self, col: &str) -> Result<String, StoreError> {
        self.get::<String>(col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.get::<Option<String>>(col)
    }
    fn time(&self, col: &str) -> Result<OffsetDateTime, StoreError> {
        from_ts(self.get::<i64>(col)?)
    }
    fn opt_time(&self, col: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.get::<Option<i64>>(col)?.map(from_ts).transpose()
    }
    fn u32(&self, col: &str) -> Result<u32, StoreError> {
        u32::try_from(self.get::<i64>(col)?).map_err(corrupt)
    }
    fn hash(&self, col: &str) -> Result<TokenHash, StoreError> {
        let bytes = self.get::<Vec<u8>>(col)?;
        TokenHash::from_slice(&bytes).ok_or_else(|| corrupt(format!("{col}: not 32 bytes")))
    }
    fn parse<T: FromStr>(&self, col: &str) -> Result<T, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        self.text(col)?.parse::<T>().map_err(corrupt)
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
        serde_json::from_str(&self.text(col)?).map_err(corrupt)
    }
    fn tag<T>(&self, col: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
        let s = self.text(col)?;
        parse(&s).ok_or_else(|| corrupt(format!("{col}: unknown value {s:?}")))
    }
}

pub(crate) fn agency(row: &SqliteRow) -> Result<Agency, StoreError> {
    let c = Cols(row);
    Ok(Agency {
        id: c.parse("id")?,
        slug: c.text("slug")?,
        name: c.text("name")?,
        settings: c.json("settings")?,
        created_at: c.time("created_at")?,
    })
}

pub(crate) fn account(row: &SqliteRow) -> Result<Account, StoreError> {
    let c = Cols(row);
    Ok(Account {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
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

pub(crate) fn link(row: &SqliteRow) -> Result<LinkToken, StoreError> {
    let c = Cols(row);
    let revocation = match c.opt_text("revocation")? {
        None => None,
        Some(s) => Some(
            Revocation::parse(&s).ok_or_else(|| corrupt(format!("unknown revocation {s:?}")))?,
        ),
    };
    Ok(LinkToken {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
        account: c.parse("account")?,
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

pub(crate) fn session(row: &SqliteRow) -> Result<Session, StoreError> {
    let c = Cols(row);
    Ok(Session {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
        account: c.parse("account")?,
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

pub(crate) fn code(row: &SqliteRow) -> Result<EmailCode, StoreError> {
    let c = Cols(row);
    Ok(EmailCode {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
        account: c.parse("account")?,
        attempt_hash: c.hash("attempt_hash")?,
        code_hash: c.hash("code_hash")?,
        created_at: c.time("created_at")?,
        expires_at: c.time("expires_at")?,
        attempts: c.u32("attempts")?,
        used_at: c.opt_time("used_at")?,
        revoked_at: c.opt_time("revoked_at")?,
    })
}

pub(crate) fn throttle(row: &SqliteRow) -> Result<ThrottleState, StoreError> {
    let c = Cols(row);
    Ok(ThrottleState {
        failures: c.u32("failures")?,
        last_failure_at: c.opt_time("last_failure_at")?,
    })
}

pub(crate) fn audit(row: &SqliteRow) -> Result<AuditEvent, StoreError> {
    let c = Cols(row);
    Ok(AuditEvent {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
        at: c.time("at")?,
        actor: c.json("actor")?,
        account: c.opt_parse::<AccountId>("account")?,
        kind: c.tag("kind", AuditKind::parse)?,
        address: c.opt_parse::<IpAddr>("address")?,
        detail: c.text("detail")?,
    })
}

pub(crate) fn outbox(row: &SqliteRow) -> Result<OutboxMessage, StoreError> {
    let c = Cols(row);
    Ok(OutboxMessage {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
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

pub(crate) fn api_key(row: &SqliteRow) -> Result<ApiKey, StoreError> {
    let c = Cols(row);
    Ok(ApiKey {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
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
    rows: Vec<SqliteRow>,
    f: fn(&SqliteRow) -> Result<T, StoreError>,
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

/// Reads an identifier stored as text.
pub(crate) fn parse_id<T: FromStr>(s: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(corrupt)
}

pub(crate) fn property(row: &SqliteRow) -> Result<Property, StoreError> {
    let c = Cols(row);
    Ok(Property {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
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

pub(crate) fn grant(row: &SqliteRow) -> Result<Grant, StoreError> {
    let c = Cols(row);
    let subject = match (
        c.opt_parse::<AccountId>("subject_account")?,
        c.opt_parse::<GroupId>("subject_group")?,
    ) {
        (Some(a), None) => Subject::Account(a),
        (None, Some(g)) => Subject::Group(g),
        _ => return Err(corrupt("grant: not exactly one subject")),
    };
    Ok(Grant {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
        subject,
        property: c.parse("property")?,
        role: c.tag("role", Role::parse)?,
        scopes: c.json("scopes")?,
        buyer_names: c.tag("buyer_names", BuyerNameDisplay::parse)?,
        valid_from: c.opt_time("valid_from")?,
        valid_until: c.opt_time("valid_until")?,
        created_at: c.time("created_at")?,
        updated_at: c.time("updated_at")?,
    })
}

pub(crate) fn group(row: &SqliteRow) -> Result<Group, StoreError> {
    let c = Cols(row);
    Ok(Group {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
        name: c.text("name")?,
        parent: c.opt_parse::<GroupId>("parent")?,
        created_at: c.time("created_at")?,
    })
}

pub(crate) fn document(row: &SqliteRow) -> Result<SharedDocument, StoreError> {
    let c = Cols(row);
    Ok(SharedDocument {
        id: c.parse("id")?,
        agency: c.parse("agency")?,
        property: c.parse("property")?,
        host_ref: c.text("host_ref")?,
        category: c.tag("category", DocumentCategory::parse)?,
        title: c.text("title")?,
        shared_at: c.time("shared_at")?,
    })
}
