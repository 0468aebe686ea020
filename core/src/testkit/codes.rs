//! Emailed sign-in codes.

use super::fixtures::*;
use crate::error::StoreError;
use crate::ids::CodeId;
use crate::model::*;
use crate::store::Store;
use std::collections::BTreeSet;
use std::sync::Arc;

/// An issued code is stored with its mail and audit record; each try against the live code
/// of an attempt counts one and returns the code as updated; no live code (unknown attempt,
/// expired at `at`, revoked, used, or replaced by a newer code of the account) is `None`.
pub async fn code_issue_and_count_attempts(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let c1 = code(&alice, t(1));
    let m = mail(ag.id, "alice@example.com", t(1));
    let ev = audit_of(&alice, AuditKind::CodeSent, t(1));
    store.issue_code(&c1, &m, &ev).await.unwrap();
    assert!(outbox_of(store, ag.id).await.contains(&m));
    assert!(audit_log(store, ag.id).await.contains(&ev));
    let bob_code = issue_code(store, &bob, t(1)).await;

    assert_eq!(
        store
            .count_code_attempt(ag.id, &c1.attempt_hash, t(2))
            .await
            .unwrap(),
        Some(EmailCode {
            attempts: 1,
            ..c1.clone()
        })
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c1.attempt_hash, t(3))
            .await
            .unwrap()
            .map(|c| c.attempts),
        Some(2)
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &random_hash(), t(3))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c1.code_hash, t(3))
            .await
            .unwrap(),
        None,
        "found by the attempt hash only"
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c1.attempt_hash, c1.expires_at)
            .await
            .unwrap(),
        None,
        "expired at `at`"
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c1.attempt_hash, t(4))
            .await
            .unwrap()
            .map(|c| c.attempts),
        Some(3),
        "tries after expiry did not count"
    );

    // A newer code of the account kills the older one, and no other account's.
    let c2 = issue_code(store, &alice, t(5)).await;
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c1.attempt_hash, t(6))
            .await
            .unwrap(),
        None
    );
    assert!(
        !store
            .redeem_code(ag.id, c1.id, 10, &change(&alice, t(6)))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c2.attempt_hash, t(6))
            .await
            .unwrap()
            .map(|c| (c.id, c.attempts)),
        Some((c2.id, 1))
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &bob_code.attempt_hash, t(6))
            .await
            .unwrap()
            .map(|c| (c.id, c.attempts)),
        Some((bob_code.id, 1))
    );

    // A used code counts no more.
    assert!(
        store
            .redeem_code(ag.id, c2.id, 10, &change(&alice, t(7)))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c2.attempt_hash, t(8))
            .await
            .unwrap(),
        None
    );
}

/// A revoked code counts no tries and cannot be redeemed; revoking it again is harmless; an
/// unknown code is `NotFound`.
pub async fn code_revoke(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let c = issue_code(store, &alice, t(1)).await;
    let bob_code = issue_code(store, &bob, t(1)).await;
    store.revoke_code(ag.id, c.id, t(2)).await.unwrap();
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c.attempt_hash, t(3))
            .await
            .unwrap(),
        None
    );
    let before = snapshot(store, ag.id, alice.id).await;
    let mut ch = change(&alice, t(3));
    ch.new_session = Some(session(&alice, t(3)));
    assert!(!store.redeem_code(ag.id, c.id, 10, &ch).await.unwrap());
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);
    store.revoke_code(ag.id, c.id, t(4)).await.unwrap();
    assert_eq!(
        store.revoke_code(ag.id, rid::<CodeId>(), t(4)).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &bob_code.attempt_hash, t(4))
            .await
            .unwrap()
            .map(|c| c.attempts),
        Some(1),
        "other codes stay live"
    );
}

/// Redemption succeeds (once) with at most `max_attempts` tries before expiry and applies
/// the change; it is refused, changing nothing, with more tries, at or after expiry, for an
/// unknown code or a change of another account.
pub async fn code_redeem(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let sign_in = |at| {
        let mut c = change(&alice, at);
        c.new_session = Some(session(&alice, at));
        c.audit = vec![audit_of(&alice, AuditKind::SignInSucceeded, at)];
        c
    };

    // Too many tries.
    let c1 = issue_code(store, &alice, t(1)).await;
    for _ in 0..4 {
        store
            .count_code_attempt(ag.id, &c1.attempt_hash, t(2))
            .await
            .unwrap()
            .unwrap();
    }
    let before = snapshot(store, ag.id, alice.id).await;
    assert!(
        !store
            .redeem_code(ag.id, c1.id, 3, &sign_in(t(2)))
            .await
            .unwrap()
    );
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);

    // At most max_attempts tries, but expired, unknown, another account's change.
    let c2 = issue_code(store, &alice, t(3)).await;
    for _ in 0..3 {
        store
            .count_code_attempt(ag.id, &c2.attempt_hash, t(4))
            .await
            .unwrap()
            .unwrap();
    }
    let before = snapshot(store, ag.id, alice.id).await;
    let bob_before = snapshot(store, ag.id, bob.id).await;
    assert!(
        !store
            .redeem_code(ag.id, c2.id, 3, &sign_in(c2.expires_at))
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        !store
            .redeem_code(ag.id, rid(), 3, &sign_in(t(5)))
            .await
            .unwrap()
    );
    let mut bobs = change(&bob, t(5));
    bobs.new_session = Some(session(&bob, t(5)));
    assert!(!store.redeem_code(ag.id, c2.id, 3, &bobs).await.unwrap());
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);
    assert_eq!(snapshot(store, ag.id, bob.id).await, bob_before);

    // Success, once.
    let ok = sign_in(t(5));
    assert!(store.redeem_code(ag.id, c2.id, 3, &ok).await.unwrap());
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![ok.new_session.clone().unwrap()]
    );
    assert!(audit_log(store, ag.id).await.contains(&ok.audit[0]));
    let before = snapshot(store, ag.id, alice.id).await;
    assert!(
        !store
            .redeem_code(ag.id, c2.id, 3, &sign_in(t(6)))
            .await
            .unwrap()
    );
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);
}

/// A redemption whose change fails is that error, and the code stays unused.
pub async fn code_redeem_error_changes_nothing(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    new_account(store, ag.id, "bob@example.com").await;
    let c = issue_code(store, &alice, t(1)).await;
    let before = snapshot(store, ag.id, alice.id).await;
    let mut ch = change(&alice, t(2));
    ch.new_email = Some(("bob@example.com".into(), "bob@example.com".into()));
    ch.new_session = Some(session(&alice, t(2)));
    ch.audit = vec![audit_of(&alice, AuditKind::SignInSucceeded, t(2))];
    assert!(matches!(
        store.redeem_code(ag.id, c.id, 3, &ch).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);
    assert!(
        store
            .redeem_code(ag.id, c.id, 3, &change(&alice, t(3)))
            .await
            .unwrap(),
        "still usable"
    );
}

/// Of 32 concurrent redemptions of one code, exactly one gets `Ok(true)`.
pub async fn code_concurrent_redeem(store: Arc<dyn Store>) {
    let ag = new_agency(&*store).await;
    let alice = new_account(&*store, ag.id, "alice@example.com").await;
    let c = issue_code(&*store, &alice, t(1)).await;
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = Arc::clone(&store);
        let mut ch = change(&alice, t(2));
        ch.new_session = Some(session(&alice, t(2)));
        ch.audit = vec![audit_of(&alice, AuditKind::SignInSucceeded, t(2))];
        tasks.push(tokio::spawn(async move {
            let won = store.redeem_code(ch.agency, c.id, 5, &ch).await.unwrap();
            (won, ch)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (won, ch) = task.await.unwrap();
        if won {
            winners.push(ch);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one redemption wins");
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![winners[0].new_session.clone().unwrap()]
    );
    let signed_in = store
        .audit(
            ag.id,
            &AuditQuery {
                kind: Some(AuditKind::SignInSucceeded),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(signed_in, winners[0].audit);
}

/// 32 concurrent tries against one code are all counted: each sees a different count, and
/// the code ends with 32.
pub async fn code_concurrent_attempts(store: Arc<dyn Store>) {
    let ag = new_agency(&*store).await;
    let alice = new_account(&*store, ag.id, "alice@example.com").await;
    let c = issue_code(&*store, &alice, t(1)).await;
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = Arc::clone(&store);
        let hash = c.attempt_hash;
        tasks.push(tokio::spawn(async move {
            store
                .count_code_attempt(ag.id, &hash, t(2))
                .await
                .unwrap()
                .expect("the code is live")
                .attempts
        }));
    }
    let mut seen = BTreeSet::new();
    for task in tasks {
        seen.insert(task.await.unwrap());
    }
    assert_eq!(seen, (1..=32).collect::<BTreeSet<u32>>());
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c.attempt_hash, t(3))
            .await
            .unwrap()
            .map(|c| c.attempts),
        Some(33)
    );
    assert!(
        !store
            .redeem_code(ag.id, c.id, 32, &change(&alice, t(3)))
            .await
            .unwrap(),
        "33 tries > 32"
    );
    assert!(
        store
            .redeem_code(ag.id, c.id, 33, &change(&alice, t(3)))
            .await
            .unwrap()
    );
}
