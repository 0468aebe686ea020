//! Sessions.

use super::fixtures::*;
use crate::ids::{AccountId, SessionId};
use crate::model::*;
use crate::store::Store;
use std::sync::Arc;
use time::Duration;

/// Sessions are stored whole (with an optional audit record), found by hash even when
/// expired, listed newest first, touched, and deleted once.
pub async fn session_insert_lookup_touch_delete(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let s1 = session(&alice, t(1));
    let ev = audit_of(&alice, AuditKind::SignInSucceeded, t(1));
    store.insert_session(&s1, Some(&ev)).await.unwrap();
    assert!(audit_log(store, ag.id).await.contains(&ev));
    let s2 = Session {
        kind: SessionKind::Preview {
            staff: "Sam Staff".into(),
        },
        address: None,
        user_agent: None,
        ..session(&alice, t(2))
    };
    store.insert_session(&s2, None).await.unwrap();
    let expired = Session {
        idle_expires_at: t(-100),
        absolute_expires_at: t(-50),
        ..session(&alice, t(-200))
    };
    store.insert_session(&expired, None).await.unwrap();

    assert_eq!(
        store.session_by_hash(ag.id, &s1.hash).await.unwrap(),
        Some(s1.clone())
    );
    assert_eq!(
        store.session_by_hash(ag.id, &s2.hash).await.unwrap(),
        Some(s2.clone())
    );
    assert_eq!(
        store.session_by_hash(ag.id, &expired.hash).await.unwrap(),
        Some(expired.clone()),
        "core judges expiry"
    );
    assert_eq!(
        store.session_by_hash(ag.id, &random_hash()).await.unwrap(),
        None
    );
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![s2.clone(), s1.clone(), expired.clone()]
    );

    assert!(
        store
            .touch_session(ag.id, s1.id, t(5), t(35))
            .await
            .unwrap()
    );
    assert_eq!(
        store.session_by_hash(ag.id, &s1.hash).await.unwrap(),
        Some(Session {
            last_seen_at: t(5),
            idle_expires_at: t(35),
            ..s1.clone()
        })
    );
    assert_eq!(
        store.session_by_hash(ag.id, &s2.hash).await.unwrap(),
        Some(s2.clone()),
        "others untouched"
    );
    assert!(
        !store
            .touch_session(ag.id, rid::<SessionId>(), t(5), t(35))
            .await
            .unwrap()
    );

    assert!(store.delete_session(ag.id, s1.id).await.unwrap());
    assert!(!store.delete_session(ag.id, s1.id).await.unwrap());
    assert_eq!(store.session_by_hash(ag.id, &s1.hash).await.unwrap(), None);
    assert!(
        !store
            .touch_session(ag.id, s1.id, t(6), t(36))
            .await
            .unwrap()
    );
    assert_eq!(store.session_by_hash(ag.id, &s1.hash).await.unwrap(), None);
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![s2, expired]
    );
}

/// `delete_sessions_of` ends every session of the account but the one excepted, counts
/// them, and leaves other accounts alone.
pub async fn session_delete_sessions_of(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let s1 = start_session(store, &alice, t(1)).await;
    let s2 = start_session(store, &alice, t(2)).await;
    let s3 = start_session(store, &alice, t(3)).await;
    let b1 = start_session(store, &bob, t(1)).await;

    assert_eq!(
        store
            .delete_sessions_of(ag.id, alice.id, Some(s2.id))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![s2.clone()]
    );
    for s in [&s1, &s3] {
        assert_eq!(store.session_by_hash(ag.id, &s.hash).await.unwrap(), None);
    }
    assert_eq!(
        store
            .delete_sessions_of(ag.id, alice.id, None)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .delete_sessions_of(ag.id, alice.id, None)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .delete_sessions_of(ag.id, rid::<AccountId>(), None)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.sessions_of(ag.id, bob.id).await.unwrap(), vec![b1]);
}

/// Revocation racing touches and lookups: once a session is deleted (alone, or with all of
/// the account's), no touch brings it back and every later lookup misses.
pub async fn session_revocation_races_touch(store: Arc<dyn Store>) {
    let ag = new_agency(&*store).await;
    let alice = new_account(&*store, ag.id, "alice@example.com").await;

    for round in 0..2 {
        let sessions: Vec<Session> = (0..4).map(|i| session(&alice, t(round * 10 + i))).collect();
        for s in &sessions {
            store.insert_session(s, None).await.unwrap();
        }
        let mut tasks = Vec::new();
        for w in 0..16usize {
            let store = Arc::clone(&store);
            let s = sessions[w % sessions.len()].clone();
            tasks.push(tokio::spawn(async move {
                let mut n: i64 = 0;
                loop {
                    n += 1;
                    let at = s.created_at + Duration::seconds(n);
                    let touched = store
                        .touch_session(s.agency, s.id, at, at + Duration::minutes(30))
                        .await
                        .unwrap();
                    let found = store.session_by_hash(s.agency, &s.hash).await.unwrap();
                    if !touched {
                        // Gone for good: neither a lookup nor a touch brings it back.
                        assert_eq!(found, None);
                        for _ in 0..20 {
                            assert!(
                                !store
                                    .touch_session(s.agency, s.id, at, at + Duration::hours(1))
                                    .await
                                    .unwrap()
                            );
                            assert_eq!(
                                store.session_by_hash(s.agency, &s.hash).await.unwrap(),
                                None
                            );
                        }
                        return n;
                    }
                    tokio::task::yield_now().await;
                }
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        if round == 0 {
            for s in &sessions {
                assert!(store.delete_session(ag.id, s.id).await.unwrap());
            }
        } else {
            assert_eq!(
                store
                    .delete_sessions_of(ag.id, alice.id, None)
                    .await
                    .unwrap(),
                4
            );
        }
        for task in tasks {
            assert!(task.await.unwrap() >= 1);
        }
        assert!(store.sessions_of(ag.id, alice.id).await.unwrap().is_empty());
        for s in &sessions {
            assert_eq!(store.session_by_hash(ag.id, &s.hash).await.unwrap(), None);
        }
    }
}
