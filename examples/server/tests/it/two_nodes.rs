//! Two `portico` processes against one PostgreSQL serve the same users: a session made on one
//! works on the other, a sign-out on one ends it on both, a link used on one is dead on the
//! other. Skipped (loudly) without `PORTICO_TEST_POSTGRES_URL`.

use crate::common::*;
use http::{Method, StatusCode};
use portico_core::store::AgencyStore;
use portico_postgres::PostgresStore;
use portico_postgres::sqlx::{self, AssertSqlSafe, Connection, PgConnection};
use std::io::Write;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const ENV: &str = "PORTICO_TEST_POSTGRES_URL";
/// The origin the browser sees: the load balancer's, the same for both nodes.
const PUBLIC: &str = "http://portal.test";

fn pg_url() -> Option<String> {
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

fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A schema of this run's own (stale ones of earlier runs, over 15 minutes old, are dropped);
/// returns the URL whose connections use it.
async fn fresh_schema(url: &str) -> (String, String) {
    let schema = format!("portico_srv_{}_{}", unix_secs(), std::process::id());
    let mut conn = PgConnection::connect(url).await.unwrap();
    let old: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'portico\\_srv\\_%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for other in old {
        let started = other
            .split('_')
            .nth(2)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(u64::MAX);
        if unix_secs().saturating_sub(started) > 15 * 60 && started != u64::MAX {
            let _ = sqlx::query(AssertSqlSafe(format!("DROP SCHEMA \"{other}\" CASCADE")))
                .execute(&mut conn)
                .await;
        }
    }
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&mut conn)
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let with = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    (schema, with)
}

fn portico(db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_portico"));
    c.env_clear()
        .env("PORTICO_DATABASE_URL", db)
        .env("PORTICO_CSRF_SECRET", SECRET_HEX)
        .env("PORTICO_HOST_DATA_SOURCE", "demo")
        .env("PORTICO_PUBLIC_BASE_URL", PUBLIC)
        .env("PORTICO_LISTEN", "127.0.0.1:0")
        .env("PORTICO_LOG_FORMAT", "json")
        .env("PORTICO_ARGON2_MEMORY_KIB", "64")
        .env("PORTICO_ARGON2_ITERATIONS", "1")
        .kill_on_drop(true);
    c
}

/// Starts a node; returns it with the address it printed.
async fn node(db: &str, name: &str) -> (Child, SocketAddr) {
    let log = std::env::temp_dir().join(format!(
        "portico-two-nodes-{name}-{}.log",
        std::process::id()
    ));
    let mut child = portico(db)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(a) = line.strip_prefix("Portico is listening on http://") {
                return a.trim().parse::<SocketAddr>().unwrap();
            }
        }
        panic!("node {name} exited; its log is {}", log.display())
    })
    .await
    .unwrap_or_else(|_| panic!("node {name} did not start; log {}", log.display()));
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_sessions_and_single_use_links() {
    let Some(url) = pg_url() else { return };
    let (schema, db) = fresh_schema(&url).await;

    // The first agency and its key, by the command line.
    let out = portico(&db)
        .args([
            "create-agency",
            "--slug",
            "two",
            "--name",
            "Two Nodes Lettings",
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("api key (shown once): "))
        .expect("the key is printed")
        .trim()
        .to_string();
    assert!(key.starts_with("pkey_"));

    let (mut child_a, a) = node(&db, "a").await;
    let (mut child_b, b) = node(&db, "b").await;
    let store = PostgresStore::connect(&db).await.unwrap();
    let agency = store.agency_by_slug("two").await.unwrap();
    assert_eq!(agency.settings.portal_base_url, format!("{PUBLIC}/p/two"));

    // Staff invite on A; the link is read from the shared outbox.
    let mut staff = Http::new(PUBLIC);
    let r = staff
        .admin(
            a,
            &key,
            Method::POST,
            "/admin/v1/accounts",
            Some(serde_json::json!({"email": "ann@example.com", "display_name": "Ann Owner"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let account = r.json()["account"]["id"].as_str().unwrap().to_string();
    let invitation =
        token_of(&link_in_outbox(&store, agency.id, "ann@example.com", "invitation").await);

    // Activated on B.
    let mut first = Http::new(PUBLIC);
    let r = first
        .post(
            b,
            "/api/v1/two/activate",
            serde_json::json!({"token": invitation, "password": PW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The invitation is dead on A too.
    let r = Http::new(PUBLIC)
        .post(
            a,
            "/api/v1/two/activate",
            serde_json::json!({"token": invitation, "password": PW2}),
        )
        .await;
    assert!(
        r.status.is_client_error(),
        "a used invitation on the other node: {} {}",
        r.status,
        r.body
    );

    // Signed in on A, the session works on B.
    let mut ann = Http::new(PUBLIC);
    let r = ann
        .post(
            a,
            "/api/v1/two/sign-in",
            serde_json::json!({"login": "ann@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = ann.get(b, "/api/v1/two/me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json()["account"]["email"],
        "ann@example.com",
        "{}",
        r.body
    );
    let cookie = ann.jar.clone();
    // Signed out on B, the cookie is dead on A.
    let r = ann
        .post(b, "/api/v1/two/sign-out", serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let mut replay = Http::new(PUBLIC);
    replay.jar = cookie;
    let r = replay.get(a, "/api/v1/two/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    // A reset link used on A is refused on B.
    let r = staff
        .admin(
            a,
            &key,
            Method::POST,
            &format!("/admin/v1/accounts/{account}/password-reset"),
            None,
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let reset =
        token_of(&link_in_outbox(&store, agency.id, "ann@example.com", "password_reset").await);
    let r = Http::new(PUBLIC)
        .post(
            a,
            "/api/v1/two/password-reset",
            serde_json::json!({"token": reset, "password": PW2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = Http::new(PUBLIC)
        .post(
            b,
            "/api/v1/two/password-reset",
            serde_json::json!({"token": reset, "password": PW}),
        )
        .await;
    assert!(
        r.status.is_client_error(),
        "a used reset link on the other node: {} {}",
        r.status,
        r.body
    );
    // The new password works on B, the old one does not.
    let r = Http::new(PUBLIC)
        .post(
            b,
            "/api/v1/two/sign-in",
            serde_json::json!({"login": "ann@example.com", "password": PW2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = Http::new(PUBLIC)
        .post(
            a,
            "/api/v1/two/sign-in",
            serde_json::json!({"login": "ann@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    // Both nodes answer their readiness checks, then stop.
    for n in [a, b] {
        assert_eq!(
            Http::new(PUBLIC).get(n, "/readyz").await.status,
            StatusCode::OK
        );
    }
    child_a.kill().await.unwrap();
    child_b.kill().await.unwrap();
    for name in ["a", "b"] {
        let _ = std::fs::remove_file(std::env::temp_dir().join(format!(
            "portico-two-nodes-{name}-{}.log",
            std::process::id()
        )));
    }
    store.pool().close().await;
    let mut conn = PgConnection::connect(&url).await.unwrap();
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA \"{schema}\" CASCADE")))
        .execute(&mut conn)
        .await
        .unwrap();
}
