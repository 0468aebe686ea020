//! Verifying a session token on each store: what every authenticated request costs.
//!
//! * `session/lookup/<store>`: parse the token, `session_by_hash`, check liveness — the store's
//!   part of [`Portal::authenticate`].
//! * `session/authenticate/<store>`: [`Portal::authenticate`] itself (the session is fresh, so
//!   no touch is written).
//!
//! Stores: `memory` (the reference), `sqlite` (a WAL file under the target directory) and
//! `postgres` (in a schema of its own, dropped afterwards) when `PORTICO_TEST_POSTGRES_URL`
//! is set; otherwise it says `SKIPPED:`. Each store holds 2,000 other sessions besides the one
//! looked up.
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
use time::Duration;
use tokio::runtime::Runtime;

const OTHER_SESSIONS: usize = 2_000;

struct Fixture {
    name: &'static str,
    store: Arc<dyn Store>,
    portal: Portal,
    agency: AgencyId,
    token: String,
    now: time::OffsetDateTime,
}

fn id<T>(random: &TestRandom, make: fn([u8; 16]) -> T) -> T {
    let mut b = [0u8; 16];
    random.fill(&mut b).unwrap();
    make(b)
}

fn session_of(account: &Account, hash: TokenHash, at: time::OffsetDateTime, n: u64) -> Session {
    Session {
        id: SessionId::from_random_bytes({
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&n.to_be_bytes());
            b[8..].copy_from_slice(&account.id.as_uuid().as_bytes()[..8]);
            b
        }),
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

/// Stores an agency with 20 accounts, `OTHER_SESSIONS` sessions, and the session to look up.
async fn seed(name: &'static str, store: Arc<dyn Store>) -> Fixture {
    let random: Arc<dyn Random> = Arc::new(TestRandom::new(7));
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
    store.insert_agency(&agency).await.unwrap();
    let mut accounts = Vec::new();
    for i in 0..20 {
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
        store.insert_account(&account, None, &audit).await.unwrap();
        accounts.push(account);
    }
    for n in 0..OTHER_SESSIONS {
        let raw = token::generate(TokenKind::Session, &r).unwrap();
        let s = session_of(&accounts[n % accounts.len()], raw.hash(), now, n as u64);
        store.insert_session(&s, None).await.unwrap();
    }
    let raw = token::generate(TokenKind::Session, &r).unwrap();
    let s = session_of(&accounts[0], raw.hash(), now, u64::MAX);
    store.insert_session(&s, None).await.unwrap();

    let hasher = Arc::new(
        Argon2Hasher::new(HashParams::insecure_for_tests(), 2, Arc::clone(&random)).unwrap(),
    );
    let portal = Portal::new(Arc::clone(&store), hasher, Arc::new(clock), random);
    Fixture {
        name,
        store,
        portal,
        agency: agency.id,
        token: raw.expose().to_string(),
        now,
    }
}

fn sqlite_url() -> String {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("portico-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("session.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    format!("sqlite://{}", path.display())
}

fn pg_schema() -> String {
    format!("portico_bench_{}", std::process::id())
}

async fn postgres(url: &str) -> PostgresStore {
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let create = format!("CREATE SCHEMA IF NOT EXISTS {}", pg_schema());
    sqlx_exec(&admin, create).await;
    admin.close().await;
    let options = PgConnectOptions::from_str(url)
        .unwrap()
        .options([("search_path", pg_schema())])
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

fn bench(c: &mut Criterion, rt: &Runtime, f: &Fixture) {
    let mut group = c.benchmark_group("session");
    group.bench_function(format!("lookup/{}", f.name), |b| {
        b.to_async(rt).iter(|| async {
            let raw = token::parse(TokenKind::Session, black_box(&f.token)).unwrap();
            let s = f
                .store
                .session_by_hash(f.agency, &raw.hash())
                .await
                .unwrap()
                .unwrap();
            black_box(s.is_live(f.now))
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
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let memory = rt.block_on(seed("memory", Arc::new(MemoryStore::new())));
    bench(&mut c, &rt, &memory);

    let sqlite = rt.block_on(async {
        let store = SqliteStore::connect(&sqlite_url()).await.unwrap();
        seed("sqlite", Arc::new(store)).await
    });
    bench(&mut c, &rt, &sqlite);

    match std::env::var("PORTICO_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let pg = rt.block_on(async { seed("postgres", Arc::new(postgres(&url).await)).await });
            bench(&mut c, &rt, &pg);
            drop(pg);
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
