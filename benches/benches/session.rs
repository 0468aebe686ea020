//! The token paths on each store, split between hashing, lookup and the rest.
//!
//! Each store holds one agency with 10,000 accounts and one live session each.
//!
//! * `token/sha256`: SHA-256 of a session token (`RawToken::hash`), nothing else.
//! * `session/lookup/<store>`: the store's indexed by-hash lookup alone
//!   (`session_by_hash` with the hash precomputed).
//! * `session/authenticate/<store>`: the whole verification, [`Portal::authenticate`] (parse,
//!   hash, lookup, agency/kind/hash checks, liveness; the session is fresh so no touch).
//!   Floor = `token/sha256` + `session/lookup/<store>`.
//! * `invitation/lookup/<store>`: `link_by_hash` alone; `invitation/inspect/<store>`: the
//!   landing page's check of the link ([`Portal::inspect_link`]: parse, hash, lookup, checks,
//!   the account read for the greeting).
//! * `invitation/redeem/<store>` and `reset/redeem/<store>`: [`Portal::activate`] and
//!   [`Portal::reset_password`] on a fresh link each iteration (issued outside the timing):
//!   find the link, policy check, hash the new password, and the single-use transaction
//!   (use link, set password, end sessions, revoke links, new session, audit). The password
//!   hasher runs with `HashParams::insecure_for_tests()` here so the figure is the token and
//!   storage path, not argon2 (the `signin` bench measures argon2).
//!
//! Stores: `memory`, `sqlite` (a WAL file in a temporary directory) and `postgres` (a schema of
//! its own, dropped afterwards) when `PORTICO_TEST_POSTGRES_URL` is set; otherwise it says
//! `SKIPPED:`.
//!
//! `cargo bench -p portico-benches --bench session`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::Criterion;
use portico_core::idm::argon::{Argon2Hasher, HashParams};
use portico_core::memory::MemoryStore;
use portico_core::model::*;
use portico_core::store::Store;
use portico_core::testing::{ManualClock, TestRandom};
use portico_core::token::{self, TokenKind};
use portico_core::*;
use portico_postgres::PostgresStore;
use portico_postgres::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use portico_sqlite::SqliteStore;
use std::hint::black_box;
use std::io::Write;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};
use time::{Duration, OffsetDateTime};
use tokio::runtime::Runtime;

const ACCOUNTS: usize = 10_000;
const PASSWORD: &str = "violet tangerine harbour 1987";

struct Fixture {
    name: &'static str,
    store: Arc<dyn Store>,
    portal: Portal,
    agency: AgencyId,
    accounts: Vec<AccountId>,
    /// Session token of account 0 (never redeemed against).
    token: String,
    /// A live invitation link of account 0.
    link_token: String,
    random: Arc<TestRandom>,
    now: OffsetDateTime,
}

fn id<T>(random: &TestRandom, make: fn([u8; 16]) -> T) -> T {
    make(random.bytes16().unwrap())
}

fn session_of(account: &Account, hash: TokenHash, at: OffsetDateTime, r: &TestRandom) -> Session {
    Session {
        id: id(r, SessionId::from_random_bytes),
        agency: account.agency,
        account: account.id,
        hash,
        kind: SessionKind::Client,
        created_at: at,
        last_seen_at: at,
        idle_expires_at: at + Duration::minutes(30),
        absolute_expires_at: at + Duration::hours(12),
        address: Some(std::net::IpAddr::from([192, 0, 2, 7])),
        user_agent: Some("Bench/1.0".into()),
    }
}

/// Issues a live link of `purpose` for `account` straight through the store (what
/// `send_invitation` / `send_password_reset` store), returning its raw token.
async fn issue(
    store: &dyn Store,
    r: &TestRandom,
    agency: AgencyId,
    account: AccountId,
    purpose: LinkPurpose,
    now: OffsetDateTime,
) -> String {
    let kind = match purpose {
        LinkPurpose::Invitation => TokenKind::Invitation,
        _ => TokenKind::PasswordReset,
    };
    let raw = token::generate(kind, r).unwrap();
    let link = LinkToken {
        id: id(r, LinkId::from_random_bytes),
        agency,
        account,
        purpose,
        hash: raw.hash(),
        created_at: now,
        expires_at: now + Duration::days(7),
        used_at: None,
        revoked_at: None,
        revocation: None,
        created_by: Actor::System,
        new_email: None,
    };
    let content = match purpose {
        LinkPurpose::Invitation => MailContent::Invitation {
            recipient_name: "Client".into(),
            activation_url: "https://portal.example/activate".into(),
            login_url: "https://portal.example/sign-in".into(),
            expires_at: link.expires_at,
        },
        _ => MailContent::PasswordReset {
            recipient_name: "Client".into(),
            reset_url: "https://portal.example/reset".into(),
            expires_at: link.expires_at,
        },
    };
    let mail = OutboxMessage {
        id: id(r, OutboxId::from_random_bytes),
        agency,
        to: "client@example.com".into(),
        content,
        status: OutboxStatus::Sent,
        attempts: 1,
        created_at: now,
        next_attempt_at: now,
        last_error: None,
        sent_at: Some(now),
    };
    let audit = AuditEvent {
        id: id(r, AuditId::from_random_bytes),
        agency,
        at: now,
        actor: Actor::System,
        account: Some(account),
        kind: AuditKind::InvitationSent,
        address: None,
        detail: String::new(),
    };
    store.issue_link(&link, &mail, &audit).await.unwrap();
    raw.expose().to_string()
}

/// Stores an agency with `ACCOUNTS` accounts and one session each, through `seed_store`
/// (the same database as `store`, possibly with cheaper commits), then builds the portal on
/// `store`.
async fn seed(name: &'static str, store: Arc<dyn Store>, seed_store: Arc<dyn Store>) -> Fixture {
    let started = Instant::now();
    let random = Arc::new(TestRandom::new(7));
    let clock = ManualClock::new();
    let now = clock.now();
    let r = TestRandom::new(42);
    let agency = Agency {
        id: id(&r, AgencyId::from_random_bytes),
        slug: format!("bench-{}", id(&r, AgencyId::from_random_bytes)),
        name: "Bench Lettings".into(),
        settings: AgencySettings::default(),
        created_at: now,
    };
    seed_store.insert_agency(&agency).await.unwrap();
    let mut accounts = Vec::new();
    let mut token = String::new();
    for i in 0..ACCOUNTS {
        let login = format!("client{i}@example.com");
        let account = Account {
            id: id(&r, AccountId::from_random_bytes),
            agency: agency.id,
            username: login.clone(),
            username_key: login_key(&login),
            email: login.clone(),
            email_key: login_key(&login),
            display_name: format!("Client {i}"),
            status: AccountStatus::Active,
            password_hash: None,
            created_at: now,
            activated_at: Some(now),
            password_changed_at: None,
        };
        let audit = AuditEvent {
            id: id(&r, AuditId::from_random_bytes),
            agency: agency.id,
            at: now,
            actor: Actor::System,
            account: Some(account.id),
            kind: AuditKind::AccessSetUp,
            address: None,
            detail: String::new(),
        };
        seed_store
            .insert_account(&account, None, &audit)
            .await
            .unwrap();
        let raw = token::generate(TokenKind::Session, &r).unwrap();
        seed_store
            .insert_session(&session_of(&account, raw.hash(), now, &r), None)
            .await
            .unwrap();
        if i == 0 {
            token = raw.expose().to_string();
        }
        accounts.push(account.id);
    }
    let link_token = issue(
        seed_store.as_ref(),
        &r,
        agency.id,
        accounts[0],
        LinkPurpose::Invitation,
        now,
    )
    .await;
    eprintln!(
        "{name}: seeded {ACCOUNTS} accounts and sessions in {:?}",
        started.elapsed()
    );

    let hasher =
        Arc::new(Argon2Hasher::new(HashParams::insecure_for_tests(), 2, random.clone()).unwrap());
    let portal = Portal::new(Arc::clone(&store), hasher, Arc::new(clock), random.clone());
    Fixture {
        name,
        store,
        portal,
        agency: agency.id,
        accounts,
        token,
        link_token,
        random,
        now,
    }
}

fn pg_schema() -> String {
    format!("portico_bench_{}", std::process::id())
}

async fn postgres(url: &str, fast_commits: bool) -> PostgresStore {
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    sqlx_exec(
        &admin,
        format!("CREATE SCHEMA IF NOT EXISTS {}", pg_schema()),
    )
    .await;
    admin.close().await;
    let mut options = vec![("search_path", pg_schema())];
    if fast_commits {
        // Seeding only: the measured store commits normally.
        options.push(("synchronous_commit", "off".to_string()));
    }
    let options = PgConnectOptions::from_str(url)
        .unwrap()
        .options(options)
        .application_name("portico_bench");
    PostgresStore::connect_with(options, PgPoolOptions::new().max_connections(4))
        .await
        .unwrap()
}

async fn sqlx_exec(pool: &portico_postgres::sqlx::PgPool, sql: String) {
    portico_postgres::sqlx::query(portico_postgres::sqlx::AssertSqlSafe(sql))
        .execute(pool)
        .await
        .unwrap();
}

/// Times `redeem` on a fresh link per iteration (issuing it is not timed).
fn redeem_bench(c: &mut Criterion, rt: &Runtime, f: &Fixture, purpose: LinkPurpose) {
    let name = match purpose {
        LinkPurpose::Invitation => "invitation",
        _ => "reset",
    };
    let mut group = c.benchmark_group(name);
    group.sample_size(20);
    let mut n = 1usize;
    group.bench_function(format!("redeem/{}", f.name), |b| {
        b.to_async(rt).iter_custom(|iters| {
            let start_n = n;
            n += iters as usize;
            async move {
                let mut total = StdDuration::ZERO;
                let ctx = RequestContext::default();
                let password = Password::new(PASSWORD);
                for k in 0..iters as usize {
                    // Account 0 keeps its session for the session benches.
                    let account = f.accounts[1 + (start_n + k) % (f.accounts.len() - 1)];
                    let raw = issue(
                        f.store.as_ref(),
                        &f.random,
                        f.agency,
                        account,
                        purpose,
                        f.now,
                    )
                    .await;
                    let t = Instant::now();
                    match purpose {
                        LinkPurpose::Invitation => {
                            black_box(
                                f.portal
                                    .activate(f.agency, &raw, &password, &ctx)
                                    .await
                                    .unwrap(),
                            );
                        }
                        _ => f
                            .portal
                            .reset_password(f.agency, &raw, &password, &ctx)
                            .await
                            .unwrap(),
                    }
                    total += t.elapsed();
                }
                total
            }
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion, rt: &Runtime, f: &Fixture) {
    let hash = token::parse(TokenKind::Session, &f.token).unwrap().hash();
    let link_hash = token::parse(TokenKind::Invitation, &f.link_token)
        .unwrap()
        .hash();
    let mut group = c.benchmark_group("session");
    group.bench_function(format!("lookup/{}", f.name), |b| {
        b.to_async(rt).iter(|| async {
            black_box(
                f.store
                    .session_by_hash(f.agency, black_box(&hash))
                    .await
                    .unwrap()
                    .unwrap(),
            )
        })
    });
    group.bench_function(format!("authenticate/{}", f.name), |b| {
        b.to_async(rt).iter(|| async {
            black_box(
                f.portal
                    .authenticate(f.agency, black_box(&f.token))
                    .await
                    .unwrap(),
            )
        })
    });
    group.finish();

    let mut group = c.benchmark_group("invitation");
    group.bench_function(format!("lookup/{}", f.name), |b| {
        b.to_async(rt).iter(|| async {
            black_box(
                f.store
                    .link_by_hash(f.agency, black_box(&link_hash))
                    .await
                    .unwrap()
                    .unwrap(),
            )
        })
    });
    group.bench_function(format!("inspect/{}", f.name), |b| {
        b.to_async(rt).iter(|| async {
            black_box(
                f.portal
                    .inspect_link(f.agency, LinkPurpose::Invitation, black_box(&f.link_token))
                    .await
                    .unwrap(),
            )
        })
    });
    group.finish();
    redeem_bench(c, rt, f, LinkPurpose::Invitation);
    redeem_bench(c, rt, f, LinkPurpose::PasswordReset);
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(30)
        .measurement_time(StdDuration::from_secs(3))
        .warm_up_time(StdDuration::from_secs(1))
        .configure_from_args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let r = TestRandom::new(3);
    let raw = token::generate(TokenKind::Session, &r).unwrap();
    c.bench_function("token/sha256", |b| {
        b.iter(|| black_box(black_box(&raw).hash()))
    });

    let memory: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let f = rt.block_on(seed("memory", memory.clone(), memory));
    bench(&mut c, &rt, &f);
    drop(f);

    let dir = tempdir();
    let f = rt.block_on(async {
        let url = format!("sqlite://{}", dir.join("bench.db").display());
        let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
        seed("sqlite", store.clone(), store).await
    });
    bench(&mut c, &rt, &f);
    drop(f);
    let _ = std::fs::remove_dir_all(&dir);

    match std::env::var("PORTICO_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let f = rt.block_on(async {
                let seeder: Arc<dyn Store> = Arc::new(postgres(&url, true).await);
                let store: Arc<dyn Store> = Arc::new(postgres(&url, false).await);
                seed("postgres", store, seeder).await
            });
            bench(&mut c, &rt, &f);
            drop(f);
            rt.block_on(async {
                let admin = PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await
                    .unwrap();
                sqlx_exec(&admin, format!("DROP SCHEMA {} CASCADE", pg_schema())).await;
            });
        }
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: PORTICO_TEST_POSTGRES_URL not set (no PostgreSQL benchmark)"
            );
        }
    }
    c.final_summary();
}

/// A fresh directory under the system's temporary directory.
fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("portico-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
