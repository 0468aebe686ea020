//! Single use across two pools on one database file (as two processes would race), on top of
//! the conformance suite's races within one pool.

use crate::common;
use portico_core::model::*;
use portico_core::store::*;
use portico_core::testkit::fixtures::*;
use std::sync::Arc;

const RACERS: usize = 32;

/// Alternates between the two stores.
fn pick(stores: &[Arc<dyn Store>; 2], i: usize) -> Arc<dyn Store> {
    Arc::clone(&stores[i % 2])
}

async fn stores() -> [Arc<dyn Store>; 2] {
    let (a, b) = common::two_stores().await;
    [Arc::new(a), Arc::new(b)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reset_link_redeemed_once_across_pools() {
    let stores = stores().await;
    let store = &*stores[0];
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let l = issue_link(store, &alice, LinkPurpose::PasswordReset, t(1)).await;
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let s = pick(&stores, i);
        let mut c = change(&alice, t(2));
        c.password_hash = Some(password_hash());
        c.end_sessions = EndSessions::All;
        c.new_session = Some(session(&alice, t(2)));
        c.audit = vec![audit_of(&alice, AuditKind::PasswordReset, t(2))];
        tasks.push(tokio::spawn(async move {
            (s.redeem_link(c.agency, l.id, &c).await.unwrap(), c)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (won, c) = task.await.unwrap();
        if won {
            winners.push(c);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one redemption wins");
    let account = store.account(ag.id, alice.id).await.unwrap();
    assert_eq!(account.password_hash, winners[0].password_hash);
    assert_eq!(store.sessions_of(ag.id, alice.id).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn code_redeemed_once_across_pools() {
    let stores = stores().await;
    let store = &*stores[0];
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let code = issue_code(store, &alice, t(1)).await;
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let s = pick(&stores, i);
        let attempt = code.attempt_hash;
        let mut c = change(&alice, t(2));
        c.new_session = Some(session(&alice, t(2)));
        tasks.push(tokio::spawn(async move {
            // As the flow does: count the try, then redeem.
            let counted = s
                .count_code_attempt(c.agency, &attempt, t(2))
                .await
                .unwrap();
            match counted {
                Some(found) => s.redeem_code(c.agency, found.id, 100, &c).await.unwrap(),
                None => false,
            }
        }));
    }
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1, "exactly one redemption wins");
    assert_eq!(store.sessions_of(ag.id, alice.id).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invitation_redeemed_once_while_reissued() {
    // Redemptions race a staff member re-sending the invitation (which supersedes it): the
    // old link is used once or superseded, never both, and never used twice.
    let stores = stores().await;
    let store = &*stores[0];
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let l = issue_link(store, &alice, LinkPurpose::Invitation, t(1)).await;
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let s = pick(&stores, i);
        let mut c = change(&alice, t(2));
        c.password_hash = Some(password_hash());
        c.status = Some(AccountStatus::Active);
        c.new_session = Some(session(&alice, t(2)));
        tasks.push(tokio::spawn(async move {
            s.redeem_link(c.agency, l.id, &c).await.unwrap()
        }));
    }
    let reissued = link(&alice, LinkPurpose::Invitation, t(2));
    store
        .issue_link(
            &reissued,
            &mail(ag.id, "alice@example.com", t(2)),
            &audit_of(&alice, AuditKind::InvitationSent, t(2)),
        )
        .await
        .unwrap();
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap() {
            wins += 1;
        }
    }
    let old = store.link(ag.id, l.id).await.unwrap();
    assert!(wins <= 1);
    assert_eq!(wins == 1, old.used_at.is_some());
    assert_eq!(wins == 0, old.revoked_at.is_some());
    assert!(old.used_at.is_none() || old.revoked_at.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn session_ended_once_across_pools() {
    let stores = stores().await;
    let store = &*stores[0];
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let s = start_session(store, &alice, t(1)).await;
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let st = pick(&stores, i);
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                // A request touching the session…
                let _ = st.touch_session(s.agency, s.id, t(3), t(33)).await.unwrap();
                false
            } else {
                // …races sign-outs.
                st.delete_session(s.agency, s.id).await.unwrap()
            }
        }));
    }
    let mut ended = 0;
    for task in tasks {
        if task.await.unwrap() {
            ended += 1;
        }
    }
    assert_eq!(ended, 1, "exactly one sign-out ends it");
    assert_eq!(store.session_by_hash(ag.id, &s.hash).await.unwrap(), None);
    assert!(!store.touch_session(ag.id, s.id, t(4), t(34)).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn throttle_counts_every_failure_across_pools() {
    let stores = stores().await;
    let ag = new_agency(&*stores[0]).await;
    let key = ThrottleKey::login("alice@example.com");
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let s = pick(&stores, i);
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            s.record_failure(ag.id, &key, t(1)).await.unwrap().failures
        }));
    }
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    seen.sort_unstable();
    // Every caller saw a different count: no lost update.
    assert_eq!(seen, (1..=RACERS as u32).collect::<Vec<_>>());
    assert_eq!(
        stores[1].throttle(ag.id, &key).await.unwrap().failures,
        RACERS as u32
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mail_claimed_by_one_worker_across_pools() {
    let stores = stores().await;
    let ag = new_agency(&*stores[0]).await;
    let mut queued = Vec::new();
    for i in 0..60 {
        let m = mail(ag.id, &format!("client{i}@example.com"), t(i));
        stores[0].enqueue_mail(&m).await.unwrap();
        queued.push(m.id);
    }
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = pick(&stores, i);
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = s.claim_mail(t(100), t(200), 5).await.unwrap();
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut claimed = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap());
    }
    claimed.sort();
    queued.sort();
    assert_eq!(claimed, queued, "every message claimed exactly once");
}
