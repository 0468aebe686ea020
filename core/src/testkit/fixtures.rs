//! Builders of test records, for the conformance suite and for any test that needs records.
//!
//! Every builder returns a complete, valid record with fresh random ids (from the OS
//! generator, so that tests sharing one database never collide) and times in whole seconds
//! (so that they survive a round trip through a database with microsecond precision).
//! Change a field with struct update syntax when a test needs something else:
//!
//! ```text
//! let agency = agency();
//! let bob = Account {
//!     username: "Bob".into(),
//!     username_key: login_key("Bob"),
//!     ..account(agency.id, "bob@example.com")
//! };
//! assert_eq!(bob.email_key, "bob@example.com");
//! ```
//!
//! The `async` helpers (`new_agency`, `new_account`, `issue_link`, …) also store what they
//! build, with the mail and audit records the ports ask for.

use crate::error::StoreError;
use crate::ids::*;
use crate::model::*;
use crate::secret::{PasswordHash, TokenHash};
use crate::store::{CredentialChange, Store};
use time::{Duration, OffsetDateTime};

/// The time most fixtures start from: 2026-01-01 09:00 UTC (as
/// [`ManualClock::new`](crate::testing::ManualClock::new)).
pub fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-01-01 09:00 UTC)
}

/// `t0()` plus `minutes`.
pub fn t(minutes: i64) -> OffsetDateTime {
    t0() + Duration::minutes(minutes)
}

/// Sixteen bytes from the operating system's generator.
pub fn random_bytes() -> [u8; 16] {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("OS random generator");
    b
}

/// `n` random lower-case hexadecimal digits.
pub fn random_hex(n: usize) -> String {
    let mut out = String::with_capacity(n);
    while out.len() < n {
        for b in random_bytes() {
            out.push_str(&format!("{b:02x}"));
        }
    }
    out.truncate(n);
    out
}

/// A random token hash (what a store keeps of a token).
pub fn random_hash() -> TokenHash {
    TokenHash::of(&random_bytes())
}

/// An identifier type that can be drawn at random.
pub trait RandomId {
    /// A fresh random identifier.
    fn random() -> Self;
}

macro_rules! random_ids {
    ($($t:ty),*) => {
        $(impl RandomId for $t {
            fn random() -> Self {
                <$t>::from_random_bytes(random_bytes())
            }
        })*
    };
}

random_ids!(
    AgencyId, AccountId, LinkId, SessionId, CodeId, AuditId, OutboxId, ApiKeyId
);

/// A fresh random identifier of any kind: `rid::<AccountId>()`.
pub fn rid<T: RandomId>() -> T {
    T::random()
}

/// An agency with a random id and slug (`test-…`), default settings, created at `t0()`.
pub fn agency() -> Agency {
    let tag = random_hex(12);
    Agency {
        id: rid(),
        slug: format!("test-{tag}"),
        name: format!("Test Agency {tag}"),
        settings: AgencySettings::default(),
        created_at: t0(),
    }
}

/// An invited account whose username and email are both `login`, created at `t0()`.
pub fn account(agency: AgencyId, login: &str) -> Account {
    Account {
        id: rid(),
        agency,
        username: login.to_string(),
        username_key: login_key(login),
        email: login.to_string(),
        email_key: login_key(login),
        display_name: format!("Client {login}"),
        status: AccountStatus::Invited,
        password_hash: None,
        created_at: t0(),
        activated_at: None,
        password_changed_at: None,
    }
}

/// A well-formed (but unverifiable) argon2id PHC string, different at each call.
pub fn password_hash() -> PasswordHash {
    PasswordHash::new(format!(
        "$argon2id$v=19$m=19456,t=2,p=1${}${}",
        random_hex(22),
        random_hex(43)
    ))
}

/// An audit record of the agency by the system, about no account.
pub fn audit(agency: AgencyId, kind: AuditKind, at: OffsetDateTime) -> AuditEvent {
    AuditEvent {
        id: rid(),
        agency,
        at,
        actor: Actor::System,
        account: None,
        kind,
        address: None,
        detail: String::new(),
    }
}

/// An audit record about `account`.
pub fn audit_of(account: &Account, kind: AuditKind, at: OffsetDateTime) -> AuditEvent {
    AuditEvent {
        account: Some(account.id),
        ..audit(account.agency, kind, at)
    }
}

/// A queued message to `to`, created and due at `at`, carrying a secret link.
pub fn mail(agency: AgencyId, to: &str, at: OffsetDateTime) -> OutboxMessage {
    OutboxMessage {
        id: rid(),
        agency,
        to: to.to_string(),
        content: MailContent::PasswordReset {
            recipient_name: "Client".into(),
            reset_url: format!("https://portal.example/reset#prst_{}", random_hex(43)),
            expires_at: at + Duration::hours(1),
        },
        status: OutboxStatus::Queued,
        attempts: 0,
        created_at: at,
        next_attempt_at: at,
        last_error: None,
        sent_at: None,
    }
}

/// A live link of `account` issued at `at`, dying 48 hours later.
pub fn link(account: &Account, purpose: LinkPurpose, at: OffsetDateTime) -> LinkToken {
    LinkToken {
        id: rid(),
        agency: account.agency,
        account: account.id,
        purpose,
        hash: random_hash(),
        created_at: at,
        expires_at: at + Duration::hours(48),
        used_at: None,
        revoked_at: None,
        revocation: None,
        created_by: Actor::Staff {
            key: None,
            staff: "Sam Staff".into(),
        },
        new_email: match purpose {
            LinkPurpose::EmailChange => Some(format!("new-{}@example.com", random_hex(6))),
            _ => None,
        },
    }
}

/// A client session of `account` started at `at` (idle timeout 30 minutes, absolute 12 hours).
pub fn session(account: &Account, at: OffsetDateTime) -> Session {
    Session {
        id: rid(),
        agency: account.agency,
        account: account.id,
        hash: random_hash(),
        kind: SessionKind::Client,
        created_at: at,
        last_seen_at: at,
        idle_expires_at: at + Duration::minutes(30),
        absolute_expires_at: at + Duration::hours(12),
        address: Some(std::net::IpAddr::from([192, 0, 2, 7])),
        user_agent: Some("TestBrowser/1.0".into()),
    }
}

/// A live code of `account` issued at `at`, dying 10 minutes later, never tried.
pub fn code(account: &Account, at: OffsetDateTime) -> EmailCode {
    EmailCode {
        id: rid(),
        agency: account.agency,
        account: account.id,
        attempt_hash: random_hash(),
        code_hash: random_hash(),
        created_at: at,
        expires_at: at + Duration::minutes(10),
        attempts: 0,
        used_at: None,
        revoked_at: None,
    }
}

/// A live API key of the agency with a random 12-character prefix (`pkey_…`).
pub fn api_key(agency: AgencyId, at: OffsetDateTime) -> ApiKey {
    ApiKey {
        id: rid(),
        agency,
        name: "CRM integration".into(),
        prefix: format!("pkey_{}", random_hex(7)),
        hash: random_hash(),
        created_at: at,
        expires_at: Some(at + Duration::days(365)),
        revoked_at: None,
    }
}

/// A change of `account` at `at` that does nothing yet.
pub fn change(account: &Account, at: OffsetDateTime) -> CredentialChange {
    CredentialChange::new(account.agency, account.id, at)
}

/// Creates and stores a fresh agency.
pub async fn new_agency(store: &dyn Store) -> Agency {
    let a = agency();
    store.insert_agency(&a).await.expect("insert_agency");
    a
}

/// Creates and stores an invited account (see [`account`]), with its audit record.
pub async fn new_account(store: &dyn Store, agency: AgencyId, login: &str) -> Account {
    let a = account(agency, login);
    store
        .insert_account(&a, None, &audit_of(&a, AuditKind::AccessSetUp, t0()))
        .await
        .expect("insert_account");
    a
}

/// Issues and stores a link of `account` (see [`link`]), with its mail and audit record.
pub async fn issue_link(
    store: &dyn Store,
    account: &Account,
    purpose: LinkPurpose,
    at: OffsetDateTime,
) -> LinkToken {
    let l = link(account, purpose, at);
    store
        .issue_link(
            &l,
            &mail(account.agency, &account.email, at),
            &audit_of(account, AuditKind::InvitationSent, at),
        )
        .await
        .expect("issue_link");
    l
}

/// Issues and stores a code of `account` (see [`code`]), with its mail and audit record.
pub async fn issue_code(store: &dyn Store, account: &Account, at: OffsetDateTime) -> EmailCode {
    let c = code(account, at);
    store
        .issue_code(
            &c,
            &mail(account.agency, &account.email, at),
            &audit_of(account, AuditKind::CodeSent, at),
        )
        .await
        .expect("issue_code");
    c
}

/// Starts and stores a session of `account` (see [`session`]).
pub async fn start_session(store: &dyn Store, account: &Account, at: OffsetDateTime) -> Session {
    let s = session(account, at);
    store
        .insert_session(&s, None)
        .await
        .expect("insert_session");
    s
}

/// What the ports show of one account and its agency: compare two to prove that a refused
/// operation changed nothing. Every list is sorted by id, so that stores free to order ties
/// as they like compare equal. (Codes have no read method; throttle counters are read apart.)
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The account as read.
    pub account: Result<Account, StoreError>,
    /// Its contacts.
    pub contacts: Vec<ContactRef>,
    /// Its sessions.
    pub sessions: Vec<Session>,
    /// Its links.
    pub links: Vec<LinkToken>,
    /// Every account of the agency.
    pub accounts: Vec<Account>,
    /// The agency's audit log (up to 1,000 records).
    pub audit: Vec<AuditEvent>,
    /// The agency's outbox (up to 1,000 messages).
    pub outbox: Vec<OutboxMessage>,
}

/// Reads a [`Snapshot`].
pub async fn snapshot(store: &dyn Store, agency: AgencyId, account: AccountId) -> Snapshot {
    let mut s = Snapshot {
        account: store.account(agency, account).await,
        contacts: store
            .contacts_of(agency, account)
            .await
            .expect("contacts_of"),
        sessions: store
            .sessions_of(agency, account)
            .await
            .expect("sessions_of"),
        links: store
            .links(agency, Some(account), None)
            .await
            .expect("links"),
        accounts: store
            .list_accounts(agency, 0, 1000)
            .await
            .expect("list_accounts"),
        audit: store
            .audit(
                agency,
                &AuditQuery {
                    limit: 1000,
                    ..AuditQuery::default()
                },
            )
            .await
            .expect("audit"),
        outbox: store.outbox(agency, None, 0, 1000).await.expect("outbox"),
    };
    s.sessions.sort_by_key(|x| x.id);
    s.links.sort_by_key(|x| x.id);
    s.accounts.sort_by_key(|x| x.id);
    s.audit.sort_by_key(|x| x.id);
    s.outbox.sort_by_key(|x| x.id);
    s
}

impl Snapshot {
    /// The parts that belong to the account alone (account, contacts, sessions, links):
    /// what must not change when only *other* accounts of the agency do.
    pub fn own(&self) -> Snapshot {
        Snapshot {
            accounts: Vec::new(),
            audit: Vec::new(),
            outbox: Vec::new(),
            ..self.clone()
        }
    }
}

/// `items` sorted by the key given: to compare lists whose order among ties is the store's.
pub fn sorted_by<T, K: Ord>(mut items: Vec<T>, key: impl FnMut(&T) -> K) -> Vec<T> {
    items.sort_by_key(key);
    items
}

/// The agency's whole audit log (up to 1,000 records), newest first.
pub async fn audit_log(store: &dyn Store, agency: AgencyId) -> Vec<AuditEvent> {
    store
        .audit(
            agency,
            &AuditQuery {
                limit: 1000,
                ..AuditQuery::default()
            },
        )
        .await
        .expect("audit")
}

/// The agency's whole outbox (up to 1,000 messages), newest first.
pub async fn outbox_of(store: &dyn Store, agency: AgencyId) -> Vec<OutboxMessage> {
    store.outbox(agency, None, 0, 1000).await.expect("outbox")
}
