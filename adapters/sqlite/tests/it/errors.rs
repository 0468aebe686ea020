//! Errors by meaning, never a panic, never SQL text in a conflict.

use crate::common;
use portico_core::StoreError;
use portico_core::model::*;
use portico_core::store::*;
use portico_core::testkit::fixtures::*;
use portico_sqlite::SqliteStore;

#[tokio::test]
async fn conflicts_carry_no_sql() {
    let store = common::store().await;
    let ag = new_agency(&store).await;
    let dup = Agency {
        slug: ag.slug.clone(),
        ..agency()
    };
    let Err(StoreError::Conflict(msg)) = store.insert_agency(&dup).await else {
        panic!("a taken slug is a conflict");
    };
    let alice = new_account(&store, ag.id, "alice@example.com").await;
    let twin = account(ag.id, "ALICE@example.com");
    let Err(StoreError::Conflict(msg2)) = store
        .insert_account(&twin, None, &audit_of(&twin, AuditKind::AccessSetUp, t0()))
        .await
    else {
        panic!("a taken login is a conflict");
    };
    for m in [msg, msg2] {
        let lower = m.to_lowercase();
        for leak in [
            "unique",
            "constraint",
            "portico_",
            "sqlite",
            "insert",
            "select",
        ] {
            assert!(!lower.contains(leak), "{m:?} leaks {leak:?}");
        }
    }
    assert_eq!(
        store.account(ag.id, alice.id).await.unwrap().email,
        "alice@example.com"
    );
}

#[tokio::test]
async fn unknown_agency_or_account_is_not_found() {
    let store = common::store().await;
    let ghost = agency();
    let a = account(ghost.id, "a@example.com");
    assert_eq!(
        store
            .insert_account(&a, None, &audit_of(&a, AuditKind::AccessSetUp, t0()))
            .await,
        Err(StoreError::NotFound)
    );
    let ag = new_agency(&store).await;
    let stranger = account(ag.id, "b@example.com");
    assert_eq!(
        store.insert_session(&session(&stranger, t0()), None).await,
        Err(StoreError::NotFound)
    );
}

#[tokio::test]
async fn unreadable_rows_are_corrupt() {
    let store = common::store().await;
    let ag = new_agency(&store).await;
    sqlx::query("UPDATE portico_agencies SET settings = '{not json' WHERE id = ?1")
        .bind(ag.id.to_string())
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.agency(ag.id).await,
        Err(StoreError::Corrupt(_))
    ));
    // Other agencies' reads are not disturbed.
    let other = new_agency(&store).await;
    assert_eq!(store.agency(other.id).await.unwrap(), other);

    let alice = new_account(&store, other.id, "alice@example.com").await;
    let s = start_session(&store, &alice, t0()).await;
    sqlx::query("UPDATE portico_sessions SET address = 'not-an-address' WHERE id = ?1")
        .bind(s.id.to_string())
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.session_by_hash(other.id, &s.hash).await,
        Err(StoreError::Corrupt(_))
    ));
}

#[tokio::test]
async fn unreachable_database_is_unavailable() {
    let dir = common::db_path();
    // A database under a directory that does not exist cannot be opened.
    let url = format!("sqlite://{}/nested/portico.db", dir.display());
    let res = SqliteStore::connect(&url).await;
    assert!(
        matches!(res, Err(StoreError::Unavailable(_))),
        "{:?}",
        res.err()
    );
}

#[tokio::test]
async fn closed_pool_is_unavailable() {
    let store = common::store().await;
    let ag = new_agency(&store).await;
    store.close().await;
    assert!(matches!(
        store.agency(ag.id).await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn audit_log_is_append_only() {
    let store = common::store().await;
    let ag = new_agency(&store).await;
    let ev = audit(ag.id, AuditKind::SettingsChanged, t0());
    store.append_audit(&ev).await.unwrap();
    for sql in [
        "UPDATE portico_audit SET detail = 'rewritten'",
        "DELETE FROM portico_audit",
    ] {
        assert!(
            sqlx::query(sql).execute(store.pool()).await.is_err(),
            "{sql}"
        );
    }
    assert_eq!(
        store.audit(ag.id, &AuditQuery::default()).await.unwrap(),
        vec![ev]
    );
}
