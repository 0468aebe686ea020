//! The schema: Portico's own migrations table, indexes on every lookup path.

use crate::common;
use portico_core::testkit::fixtures::*;
use portico_postgres::PostgresStore;
use portico_postgres::sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, Connection, Row};

#[tokio::test]
async fn host_pool_and_migrations_table_untouched() {
    let url = pg_url!();
    // A schema of its own, holding the host's sqlx migrations table and a table named like
    // one of ours would be without the prefix.
    let host_schema = common::unique(&format!("{}_host", common::schema()));
    let mut admin = common::admin(&url).await;
    for sql in [
        format!("CREATE SCHEMA {host_schema}"),
        format!(
            "CREATE TABLE {host_schema}._sqlx_migrations (version bigint PRIMARY KEY, \
             description text)"
        ),
        format!("INSERT INTO {host_schema}._sqlx_migrations VALUES (20240101, 'host')"),
        format!("CREATE TABLE {host_schema}.accounts (id bigint PRIMARY KEY, host text)"),
    ] {
        sqlx::query(AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let options = common::options_in(&url, "portico_it", &host_schema);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap();
    let store = PostgresStore::from_pool(pool.clone());
    store.migrate().await.unwrap();
    store.migrate().await.unwrap(); // idempotent
    let ag = new_agency(&store).await;
    assert_eq!(
        portico_core::store::AgencyStore::agency(&store, ag.id)
            .await
            .unwrap(),
        ag
    );
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
    pool.close().await;
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {host_schema} CASCADE")))
        .execute(&mut admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn lookups_use_indexes() {
    let url = pg_url!();
    let store = common::store(&url).await;
    let mut conn = store.pool().acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    // On near-empty tables the planner rightly prefers a scan; forbid it to see the index.
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .unwrap();
    for sql in [
        "EXPLAIN SELECT * FROM portico_sessions WHERE agency = $1 AND hash = $2::bytea",
        "EXPLAIN SELECT * FROM portico_links WHERE agency = $1 AND hash = $2::bytea",
        "EXPLAIN SELECT * FROM portico_codes WHERE agency = $1 AND attempt_hash = $2::bytea",
        "EXPLAIN SELECT * FROM portico_api_keys WHERE prefix = $2",
        "EXPLAIN SELECT a.* FROM portico_login_keys k \
         JOIN portico_accounts a ON a.agency = k.agency AND a.id = k.account \
         WHERE k.agency = $1 AND k.key = $2",
        "EXPLAIN SELECT * FROM portico_accounts WHERE agency = $1 AND username_key = $2",
        "EXPLAIN SELECT * FROM portico_accounts WHERE agency = $1 AND email_key = $2",
        "EXPLAIN SELECT * FROM portico_contacts WHERE agency = $1 AND contact = $2",
        "EXPLAIN SELECT * FROM portico_throttle WHERE agency = $1 AND key = $2",
        "EXPLAIN SELECT * FROM portico_outbox WHERE status = $2 AND next_attempt_at <= now()",
        "EXPLAIN SELECT * FROM portico_audit WHERE agency = $1 ORDER BY at DESC, seq DESC",
        // Access (migration 2): the decision point's hot path.
        "EXPLAIN SELECT * FROM portico_grants WHERE agency = $1 AND subject_account = $2::uuid",
        "EXPLAIN SELECT * FROM portico_grants WHERE agency = $1 AND subject_group = $2::uuid",
        "EXPLAIN SELECT * FROM portico_grants WHERE agency = $1 AND property = $2::uuid",
        "EXPLAIN SELECT * FROM portico_memberships WHERE agency = $1 AND account = $2::uuid",
        "EXPLAIN SELECT * FROM portico_properties WHERE agency = $1 AND host_ref = $2",
        "EXPLAIN SELECT * FROM portico_documents WHERE agency = $1 AND property = $2::uuid",
    ] {
        let rows = sqlx::query(sql)
            .bind(uuid::Uuid::nil())
            // Text that reads as a UUID too, for the columns that are UUIDs.
            .bind(uuid::Uuid::nil().to_string())
            .fetch_all(&mut *tx)
            .await
            .unwrap();
        let plan = rows
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(plan.contains("Index"), "{sql}:\n{plan}");
        assert!(!plan.contains("Seq Scan"), "{sql}:\n{plan}");
    }
}
