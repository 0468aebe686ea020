//! The test database: one schema per run of this binary (`portico_it_<unix time>_<pid>`), so
//! that parallel runs never meet; schemas that earlier runs left are dropped after a while.

use portico_postgres::PostgresStore;
use portico_postgres::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::io::Write;
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The variable naming the test server.
pub const ENV: &str = "PORTICO_TEST_POSTGRES_URL";

/// Schemas of runs that started this long ago are dropped by the next run.
const STALE_AFTER: Duration = Duration::from_secs(15 * 60);

/// The URL of the test server, or `None` after saying loudly that the test is skipped.
pub fn url() -> Option<String> {
    match std::env::var(ENV) {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            if std::env::var_os("PORTICO_REQUIRE_SERVICES").is_some() {
                panic!("{ENV} is not set, and PORTICO_REQUIRE_SERVICES asks for PostgreSQL");
            }
            // Straight to the process's stderr: the test harness does not capture it.
            let _ = writeln!(std::io::stderr(), "SKIPPED: {ENV} not set");
            None
        }
    }
}

/// The URL of the test server; returns from the calling test (skipping it) when unset.
macro_rules! pg_url {
    () => {
        match crate::common::url() {
            Some(url) => url,
            None => return,
        }
    };
}

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// This run's schema.
pub fn schema() -> &'static str {
    static SCHEMA: OnceLock<String> = OnceLock::new();
    SCHEMA.get_or_init(|| format!("portico_it_{}_{}", unix_secs(), std::process::id()))
}

/// A name no other test of any run uses (for application names, triggers).
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A plain connection to the test server (outside this run's schema).
pub async fn admin(url: &str) -> PgConnection {
    PgConnection::connect(url).await.unwrap()
}

/// Creates this run's schema (once per test; cheap) and drops stale ones of earlier runs.
async fn ensure_schema(url: &str) {
    let mut conn = admin(url).await;
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('portico_it_schemas'))")
        .execute(&mut *tx)
        .await
        .unwrap();
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_namespace WHERE nspname = $1")
        .bind(schema())
        .fetch_optional(&mut *tx)
        .await
        .unwrap();
    if exists.is_none() {
        let others: Vec<String> = sqlx::query_scalar(
            "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'portico\\_it\\_%'",
        )
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        let now = unix_secs();
        for other in others {
            let started = other
                .split('_')
                .nth(2)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(now);
            if now.saturating_sub(started) > STALE_AFTER.as_secs() {
                sqlx::query(AssertSqlSafe(format!("DROP SCHEMA \"{other}\" CASCADE")))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
        }
        sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{}\"", schema())))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Connection options into this run's schema, under an application name.
pub fn options(url: &str, application: &str) -> PgConnectOptions {
    options_in(url, application, schema())
}

/// Connection options into the schema given, under an application name.
pub fn options_in(url: &str, application: &str, schema: &str) -> PgConnectOptions {
    PgConnectOptions::from_str(url)
        .unwrap()
        .options([("search_path", schema)])
        .application_name(application)
}

/// A migrated store in this run's schema, under the application name given.
pub async fn store_named(url: &str, application: &str) -> PostgresStore {
    ensure_schema(url).await;
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(30));
    PostgresStore::connect_with(options(url, application), pool)
        .await
        .unwrap()
}

/// A migrated store in this run's schema.
pub async fn store(url: &str) -> PostgresStore {
    store_named(url, "portico_it").await
}

/// A migrated store in a schema of its own (for deployment-wide operations that must not meet
/// other tests' records), with the schema's name to [`drop_schema`] afterwards.
pub async fn isolated_store(url: &str, application: &str) -> (PostgresStore, String) {
    // Named like a run's schema, so that a run's cleanup drops it if this test cannot.
    let schema = unique(&format!("{}_own", schema()));
    let mut conn = admin(url).await;
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    let options = options_in(url, application, &schema);
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(30));
    let store = PostgresStore::connect_with(options, pool).await.unwrap();
    (store, schema)
}

/// A second store (another pool, as another node) on an isolated schema.
pub async fn store_in(url: &str, schema: &str, application: &str) -> PostgresStore {
    let options = options_in(url, application, schema);
    PostgresStore::connect_with(options, PgPoolOptions::new().max_connections(5))
        .await
        .unwrap()
}

/// Drops a schema made by [`isolated_store`].
pub async fn drop_schema(url: &str, schema: &str) {
    let mut conn = admin(url).await;
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
        .execute(&mut conn)
        .await
        .unwrap();
}
