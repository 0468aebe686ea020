//! Errors by meaning, never a panic, never SQL text in a conflict; recovery after the
//! connections drop.

use crate::common;
use portico_core::StoreError;
use portico_core::model::*;
use portico_core::store::*;
use portico_core::testkit::fixtures::*;
use portico_postgres::PostgresStore;
use portico_postgres::sqlx::postgres::PgPoolOptions;
use std::time::Duration;

#[tokio::test]
async fn conflicts_carry_no_sql() {
    let url = pg_url!();
    let store = common::store(&url).await;
    let ag = new_agency(&store).await;
    let dup = Agency {
        slug: ag.slug.clone(),
        ..agency()
    };
    let Err(StoreError::Conflict(msg)) = store.insert_agency(&dup).await else {
        panic!("a taken slug is a conflict");
    };
    new_account(&store, ag.id, "alice@example.com").await;
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
            "duplicate",
            "key",
            "insert",
        ] {
            assert!(!lower.contains(leak), "{m:?} leaks {leak:?}");
        }
    }
}

#[tokio::test]
async fn unknown_agency_or_account_is_not_found() {
    let url = pg_url!();
    let store = common::store(&url).await;
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
    let url = pg_url!();
    let store = common::store(&url).await;
    let ag = new_agency(&store).await;
    sqlx::query("UPDATE portico_agencies SET settings = '[1, 2]' WHERE id = $1")
        .bind(ag.id.as_uuid())
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.agency(ag.id).await,
        Err(StoreError::Corrupt(_))
    ));
    let other = new_agency(&store).await;
    let alice = new_account(&store, other.id, "alice@example.com").await;
    let s = start_session(&store, &alice, t0()).await;
    sqlx::query("UPDATE portico_sessions SET address = 'not-an-address' WHERE id = $1")
        .bind(s.id.as_uuid())
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.session_by_hash(other.id, &s.hash).await,
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(store.agency(other.id).await.unwrap(), other);
}

#[tokio::test]
async fn unreachable_server_is_unavailable() {
    let _ = pg_url!();
    // Nothing listens on port 1.
    let options = common::options("postgres://postgres@127.0.0.1:1/test", "portico_it");
    let pool = PgPoolOptions::new().acquire_timeout(Duration::from_secs(2));
    let res = PostgresStore::connect_with(options, pool).await;
    assert!(
        matches!(res, Err(StoreError::Unavailable(_))),
        "{:?}",
        res.err()
    );
}

#[tokio::test]
async fn closed_pool_is_unavailable() {
    let url = pg_url!();
    let store = common::store(&url).await;
    let ag = new_agency(&store).await;
    store.close().await;
    assert!(matches!(
        store.agency(ag.id).await,
        Err(StoreError::Unavailable(_))
    ));
}

/// Ends every server connection of one application name (only this test's pool).
async fn terminate(url: &str, application: &str) -> i64 {
    let mut admin = common::admin(url).await;
    sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = $1 \
           AND pid <> pg_backend_pid()",
    )
    .bind(application)
    .fetch_one(&mut admin)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recovers_after_the_connections_drop() {
    let url = pg_url!();
    let app = common::unique("portico_it_reconnect");
    let store = common::store_named(&url, &app).await;
    let ag = new_agency(&store).await;
    let alice = new_account(&store, ag.id, "alice@example.com").await;
    let s = start_session(&store, &alice, t(1)).await;

    for round in 0..3 {
        assert!(terminate(&url, &app).await >= 1, "round {round}");
        // The next call either fails as `Unavailable` (retryable) or already goes through a
        // fresh connection…
        match store.session_by_hash(ag.id, &s.hash).await {
            Ok(found) => assert_eq!(found, Some(s.clone())),
            Err(StoreError::Unavailable(_)) => {}
            Err(other) => panic!("round {round}: {other:?}"),
        }
        // …and the calls after it succeed, writes included.
        assert_eq!(
            store.session_by_hash(ag.id, &s.hash).await.unwrap(),
            Some(s.clone())
        );
        let l = issue_link(&store, &alice, LinkPurpose::PasswordReset, t(2 + round)).await;
        assert_eq!(store.link(ag.id, l.id).await.unwrap(), l);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_cut_off_leaves_nothing() {
    // Connections killed while a burst of activations is in flight: each one either happened
    // whole or not at all.
    let url = pg_url!();
    let app = common::unique("portico_it_cut");
    let store = std::sync::Arc::new(common::store_named(&url, &app).await);
    let ag = new_agency(&*store).await;
    let mut accounts = Vec::new();
    for i in 0..24 {
        let a = new_account(&*store, ag.id, &format!("client{i}@example.com")).await;
        let l = issue_link(&*store, &a, LinkPurpose::Invitation, t(1)).await;
        accounts.push((a, l));
    }
    let mut tasks = Vec::new();
    for (a, l) in accounts.clone() {
        let store = std::sync::Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut c = change(&a, t(2));
            c.password_hash = Some(password_hash());
            c.status = Some(AccountStatus::Active);
            c.new_session = Some(session(&a, t(2)));
            c.audit = vec![audit_of(&a, AuditKind::AccountActivated, t(2))];
            store.redeem_link(a.agency, l.id, &c).await
        }));
    }
    terminate(&url, &app).await;
    for task in tasks {
        match task.await.unwrap() {
            Ok(true) | Err(StoreError::Unavailable(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    for (a, l) in &accounts {
        let link = store.link(ag.id, l.id).await.unwrap();
        let account = store.account(ag.id, a.id).await.unwrap();
        let sessions = store.sessions_of(ag.id, a.id).await.unwrap();
        if link.used_at.is_some() {
            assert_eq!(account.status, AccountStatus::Active);
            assert!(account.password_hash.is_some());
            assert_eq!(sessions.len(), 1);
        } else {
            assert_eq!(account.status, AccountStatus::Invited);
            assert_eq!(account.password_hash, None);
            assert!(sessions.is_empty());
        }
    }
}

#[tokio::test]
async fn audit_log_is_append_only() {
    let url = pg_url!();
    let store = common::store(&url).await;
    let ag = new_agency(&store).await;
    let ev = audit(ag.id, AuditKind::SettingsChanged, t0());
    store.append_audit(&ev).await.unwrap();
    for sql in [
        "UPDATE portico_audit SET detail = 'rewritten' WHERE agency = $1",
        "DELETE FROM portico_audit WHERE agency = $1",
    ] {
        assert!(
            sqlx::query(sql)
                .bind(ag.id.as_uuid())
                .execute(store.pool())
                .await
                .is_err(),
            "{sql}"
        );
    }
    assert_eq!(
        store.audit(ag.id, &AuditQuery::default()).await.unwrap(),
        vec![ev]
    );
}
