//! The schema: WAL, foreign keys, Portico's own migrations table, indexes on lookup paths.

use crate::common;
use portico_core::store::*;
use portico_core::testkit::fixtures::*;
use portico_sqlite::SqliteStore;
use portico_sqlite::sqlx::sqlite::SqlitePoolOptions;
use sqlx::Row;

#[tokio::test]
async fn wal_foreign_keys_busy_timeout() {
    let store = common::store().await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(busy >= 1000, "{busy}");
}

#[tokio::test]
async fn host_pool_and_migrations_table_untouched() {
    let path = common::db_path();
    let pool = SqlitePoolOptions::new()
        .connect(&format!("{}?mode=rwc", common::url(&path)))
        .await
        .unwrap();
    // The host's own sqlx migrations table, and a table of its own named like one of ours
    // would be without the prefix.
    sqlx::query(
        "CREATE TABLE _sqlx_migrations (version INTEGER PRIMARY KEY, description TEXT); \
         INSERT INTO _sqlx_migrations VALUES (20240101, 'host'); \
         CREATE TABLE accounts (id INTEGER PRIMARY KEY, host TEXT)",
    )
    .execute(&pool)
    .await
    .unwrap();

    let store = SqliteStore::from_pool(pool.clone());
    store.migrate().await.unwrap();
    store.migrate().await.unwrap(); // idempotent
    let ag = new_agency(&store).await;
    assert_eq!(store.agency(ag.id).await.unwrap(), ag);

    let host: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, description FROM _sqlx_migrations")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(host, vec![(20240101, "host".to_string())]);
    let ours: Vec<i64> = sqlx::query_scalar("SELECT version FROM portico_migrations")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(!ours.is_empty());
    assert_eq!(
        ours,
        (1..=ours.len() as i64).collect::<Vec<_>>(),
        "every migration, once"
    );
}

/// The plan of a query, as text.
async fn plan(store: &SqliteStore, sql: &'static str) -> String {
    let rows = sqlx::query(sql)
        .bind("x")
        .bind("y")
        .fetch_all(store.pool())
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.get::<String, _>("detail"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn lookups_use_indexes() {
    let store = common::store().await;
    for sql in [
        "EXPLAIN QUERY PLAN SELECT * FROM portico_sessions WHERE agency = ?1 AND hash = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_links WHERE agency = ?1 AND hash = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_codes WHERE agency = ?1 AND attempt_hash = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_api_keys WHERE prefix = ?1 OR prefix = ?2",
        "EXPLAIN QUERY PLAN SELECT a.* FROM portico_login_keys k \
         JOIN portico_accounts a ON a.agency = k.agency AND a.id = k.account \
         WHERE k.agency = ?1 AND k.key = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_accounts WHERE agency = ?1 AND username_key = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_accounts WHERE agency = ?1 AND email_key = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_contacts WHERE agency = ?1 AND contact = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_throttle WHERE agency = ?1 AND key = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_outbox WHERE status = ?1 AND next_attempt_at <= ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_audit WHERE agency = ?1 AND at >= ?2 \
         ORDER BY at DESC",
        // Access (migration 2): the decision point's hot path.
        "EXPLAIN QUERY PLAN SELECT * FROM portico_grants WHERE agency = ?1 AND subject_account = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_grants WHERE agency = ?1 AND subject_group = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_grants WHERE agency = ?1 AND property = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_memberships WHERE agency = ?1 AND account = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_properties WHERE agency = ?1 AND host_ref = ?2",
        "EXPLAIN QUERY PLAN SELECT * FROM portico_documents WHERE agency = ?1 AND property = ?2",
    ] {
        let p = plan(&store, sql).await;
        assert!(
            p.contains("USING INDEX")
                || p.contains("USING PRIMARY KEY")
                || p.contains("USING COVERING INDEX"),
            "{sql}: {p}"
        );
        assert!(!p.contains("SCAN portico"), "{sql}: {p}");
    }
}

#[tokio::test]
async fn purge_keeps_the_audit_log() {
    let store = common::store().await;
    let ag = new_agency(&store).await;
    let alice = new_account(&store, ag.id, "alice@example.com").await;
    issue_link(
        &store,
        &alice,
        portico_core::model::LinkPurpose::Invitation,
        t(1),
    )
    .await;
    let before = audit_log(&store, ag.id).await;
    let report = store.purge(t(100_000)).await.unwrap();
    assert_eq!(report.links, 1);
    assert_eq!(audit_log(&store, ag.id).await, before);
}

#[tokio::test]
async fn in_memory_database() {
    let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let ag = new_agency(&store).await;
    let alice = new_account(&store, ag.id, "alice@example.com").await;
    let s = start_session(&store, &alice, t(1)).await;
    assert_eq!(
        store.session_by_hash(ag.id, &s.hash).await.unwrap(),
        Some(s)
    );
    // Another in-memory store is another database.
    let other = SqliteStore::connect("sqlite::memory:").await.unwrap();
    assert_eq!(
        portico_core::store::AgencyStore::agency(&other, ag.id).await,
        Err(portico_core::StoreError::NotFound)
    );
}
