//! `apply_change` and `delete_account`: the multi-record operations of accounts.

use super::fixtures::*;
use crate::error::StoreError;
use crate::model::*;
use crate::store::{EndSessions, Store};

/// A new password sets `password_changed_at`; status `Active` sets `activated_at` once;
/// other statuses leave it; an empty change changes nothing; an unknown account is `NotFound`.
pub async fn apply_change_password_and_status(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let h1 = password_hash();

    let mut c = change(&alice, t(10));
    c.password_hash = Some(h1.clone());
    c.status = Some(AccountStatus::Active);
    store.apply_change(&c).await.unwrap();
    let activated = Account {
        password_hash: Some(h1.clone()),
        password_changed_at: Some(t(10)),
        status: AccountStatus::Active,
        activated_at: Some(t(10)),
        ..alice.clone()
    };
    assert_eq!(store.account(ag.id, alice.id).await.unwrap(), activated);

    let mut c = change(&alice, t(20));
    c.status = Some(AccountStatus::Disabled);
    store.apply_change(&c).await.unwrap();
    let disabled = Account {
        status: AccountStatus::Disabled,
        ..activated.clone()
    };
    assert_eq!(store.account(ag.id, alice.id).await.unwrap(), disabled);

    let mut c = change(&alice, t(30));
    c.status = Some(AccountStatus::Active);
    store.apply_change(&c).await.unwrap();
    assert_eq!(
        store.account(ag.id, alice.id).await.unwrap(),
        activated,
        "activated_at is set once"
    );

    let h2 = password_hash();
    let mut c = change(&alice, t(40));
    c.password_hash = Some(h2.clone());
    store.apply_change(&c).await.unwrap();
    let changed = Account {
        password_hash: Some(h2),
        password_changed_at: Some(t(40)),
        ..activated.clone()
    };
    assert_eq!(store.account(ag.id, alice.id).await.unwrap(), changed);

    let before = snapshot(store, ag.id, alice.id).await;
    store.apply_change(&change(&alice, t(50))).await.unwrap();
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);

    let ghost = account(ag.id, "ghost@example.com");
    assert_eq!(
        store.apply_change(&change(&ghost, t(50))).await,
        Err(StoreError::NotFound)
    );
}

/// A new email replaces email and email key (the username stays); the old key is free
/// afterwards.
pub async fn apply_change_new_email(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = Account {
        username: "alice".into(),
        username_key: login_key("alice"),
        ..account(ag.id, "alice@example.com")
    };
    store
        .insert_account(
            &alice,
            None,
            &audit_of(&alice, AuditKind::AccessSetUp, t0()),
        )
        .await
        .unwrap();
    let mut c = change(&alice, t(5));
    c.new_email = Some(("Alice@New.example".into(), login_key("Alice@New.example")));
    store.apply_change(&c).await.unwrap();
    assert_eq!(
        store.account(ag.id, alice.id).await.unwrap(),
        Account {
            email: "Alice@New.example".into(),
            email_key: "alice@new.example".into(),
            ..alice.clone()
        }
    );
    let found = |key: &'static str| async move {
        store
            .account_by_login(ag.id, key)
            .await
            .unwrap()
            .map(|a| a.id)
    };
    assert_eq!(found("alice@new.example").await, Some(alice.id));
    assert_eq!(found("alice").await, Some(alice.id));
    assert_eq!(found("alice@example.com").await, None);
    new_account(store, ag.id, "alice@example.com").await;
}

/// `EndSessions::None`, `AllExcept` and `All` end exactly the sessions they name, of this
/// account only; a new session starts after the others end.
pub async fn apply_change_end_sessions(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let s1 = start_session(store, &alice, t(1)).await;
    let s2 = start_session(store, &alice, t(2)).await;
    let s3 = start_session(store, &alice, t(3)).await;
    let b1 = start_session(store, &bob, t(1)).await;

    let mut c = change(&alice, t(10));
    c.password_hash = Some(password_hash());
    store.apply_change(&c).await.unwrap();
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![s3.clone(), s2.clone(), s1.clone()]
    );

    let mut c = change(&alice, t(11));
    c.end_sessions = EndSessions::AllExcept(s2.id);
    store.apply_change(&c).await.unwrap();
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![s2.clone()]
    );
    assert_eq!(store.session_by_hash(ag.id, &s1.hash).await.unwrap(), None);

    let s4 = session(&alice, t(12));
    let mut c = change(&alice, t(12));
    c.end_sessions = EndSessions::All;
    c.new_session = Some(s4.clone());
    store.apply_change(&c).await.unwrap();
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![s4.clone()]
    );

    let mut c = change(&alice, t(13));
    c.end_sessions = EndSessions::All;
    store.apply_change(&c).await.unwrap();
    assert!(store.sessions_of(ag.id, alice.id).await.unwrap().is_empty());
    assert_eq!(
        store.sessions_of(ag.id, bob.id).await.unwrap(),
        vec![b1],
        "other accounts keep their sessions"
    );
}

/// `revoke_links` revokes every live link and code of the account (reason
/// `AccountChanged`, at the change's time), and nothing used, nor anything of another
/// account; without it nothing is revoked.
pub async fn apply_change_revokes_links_and_codes(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let used = issue_link(store, &alice, LinkPurpose::EmailChange, t(1)).await;
    assert!(
        store
            .redeem_link(ag.id, used.id, &change(&alice, t(2)))
            .await
            .unwrap()
    );
    let inv = issue_link(store, &alice, LinkPurpose::Invitation, t(3)).await;
    let reset = issue_link(store, &alice, LinkPurpose::PasswordReset, t(4)).await;
    let code = issue_code(store, &alice, t(5)).await;
    let bob_link = issue_link(store, &bob, LinkPurpose::Invitation, t(3)).await;
    let bob_code = issue_code(store, &bob, t(5)).await;

    let mut c = change(&alice, t(6));
    c.password_hash = Some(password_hash());
    store.apply_change(&c).await.unwrap();
    assert_eq!(store.link(ag.id, inv.id).await.unwrap(), inv);
    assert_eq!(store.link(ag.id, reset.id).await.unwrap(), reset);

    let mut c = change(&alice, t(7));
    c.revoke_links = true;
    store.apply_change(&c).await.unwrap();
    for l in [&inv, &reset] {
        let read = store.link(ag.id, l.id).await.unwrap();
        assert_eq!(
            read,
            LinkToken {
                revoked_at: Some(t(7)),
                revocation: Some(Revocation::AccountChanged),
                ..l.clone()
            }
        );
        assert_eq!(read.state(t(7)), LinkState::Revoked);
    }
    let used_read = store.link(ag.id, used.id).await.unwrap();
    assert_eq!(used_read.used_at, Some(t(2)));
    assert_eq!(used_read.revoked_at, None, "a used link stays used");
    assert_eq!(
        store
            .count_code_attempt(ag.id, &code.attempt_hash, t(8))
            .await
            .unwrap(),
        None,
        "the code is revoked"
    );
    assert!(
        !store
            .redeem_code(ag.id, code.id, 5, &change(&alice, t(8)))
            .await
            .unwrap()
    );
    assert_eq!(store.link(ag.id, bob_link.id).await.unwrap(), bob_link);
    assert_eq!(
        store
            .count_code_attempt(ag.id, &bob_code.attempt_hash, t(8))
            .await
            .unwrap()
            .map(|c| c.attempts),
        Some(1),
        "another account's code stays live"
    );
}

/// Throttle keys named are cleared (in this agency only, the others kept); the new session,
/// mail (queued as given) and audit records are stored.
pub async fn apply_change_throttle_session_mail_audit(store: &dyn Store) {
    let ag = new_agency(store).await;
    let other = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let k1 = ThrottleKey::login("alice@example.com");
    let k2 = ThrottleKey::address([198, 51, 100, 4].into());
    let k3 = ThrottleKey::login("someone-else");
    for k in [&k1, &k2, &k3] {
        store.record_failure(ag.id, k, t(1)).await.unwrap();
    }
    store.record_failure(other.id, &k1, t(1)).await.unwrap();

    let s = session(&alice, t(2));
    let m1 = mail(ag.id, "alice@example.com", t(2));
    let m2 = OutboxMessage {
        content: MailContent::PasswordChanged {
            recipient_name: "Alice".into(),
            changed_at: t(2),
        },
        next_attempt_at: t(3),
        ..mail(ag.id, "alice@example.com", t(2))
    };
    let e1 = audit_of(&alice, AuditKind::PasswordReset, t(2));
    let e2 = audit_of(&alice, AuditKind::SignInSucceeded, t(2));
    let mut c = change(&alice, t(2));
    c.clear_throttle = vec![k1.clone(), k2.clone()];
    c.new_session = Some(s.clone());
    c.mail = vec![m1.clone(), m2.clone()];
    c.audit = vec![e1.clone(), e2.clone()];
    store.apply_change(&c).await.unwrap();

    assert_eq!(
        store.throttle(ag.id, &k1).await.unwrap(),
        ThrottleState::default()
    );
    assert_eq!(
        store.throttle(ag.id, &k2).await.unwrap(),
        ThrottleState::default()
    );
    assert_eq!(store.throttle(ag.id, &k3).await.unwrap().failures, 1);
    assert_eq!(store.throttle(other.id, &k1).await.unwrap().failures, 1);
    assert_eq!(
        store.session_by_hash(ag.id, &s.hash).await.unwrap(),
        Some(s)
    );
    let outbox = outbox_of(store, ag.id).await;
    assert_eq!(outbox.len(), 2);
    assert!(outbox.contains(&m1) && outbox.contains(&m2), "{outbox:?}");
    let log = audit_log(store, ag.id).await;
    assert!(log.contains(&e1) && log.contains(&e2));
    assert_eq!(log.len(), 3, "account creation and the two records");
}

/// A change whose new email is taken (by another account's email or username, in any case)
/// is a `Conflict` and changes nothing at all.
pub async fn apply_change_conflict_changes_nothing(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = Account {
        username: "bobby".into(),
        username_key: login_key("bobby"),
        ..account(ag.id, "bob@example.com")
    };
    store
        .insert_account(&bob, None, &audit_of(&bob, AuditKind::AccessSetUp, t0()))
        .await
        .unwrap();
    start_session(store, &alice, t(1)).await;
    issue_link(store, &alice, LinkPurpose::PasswordReset, t(1)).await;
    let code = issue_code(store, &alice, t(1)).await;
    let key = ThrottleKey::login("alice@example.com");
    store.record_failure(ag.id, &key, t(1)).await.unwrap();
    let before = snapshot(store, ag.id, alice.id).await;
    let bob_before = snapshot(store, ag.id, bob.id).await;

    for taken in ["BOB@example.com", "Bobby"] {
        let new_session = session(&alice, t(2));
        let mut c = change(&alice, t(2));
        c.password_hash = Some(password_hash());
        c.status = Some(AccountStatus::Active);
        c.new_email = Some((taken.into(), login_key(taken)));
        c.end_sessions = EndSessions::All;
        c.revoke_links = true;
        c.clear_throttle = vec![key.clone()];
        c.new_session = Some(new_session.clone());
        c.mail = vec![mail(ag.id, "alice@example.com", t(2))];
        c.audit = vec![audit_of(&alice, AuditKind::EmailChanged, t(2))];
        assert!(
            matches!(store.apply_change(&c).await, Err(StoreError::Conflict(_))),
            "{taken}"
        );
        assert_eq!(snapshot(store, ag.id, alice.id).await, before);
        assert_eq!(snapshot(store, ag.id, bob.id).await, bob_before);
        assert_eq!(
            store
                .session_by_hash(ag.id, &new_session.hash)
                .await
                .unwrap(),
            None
        );
        assert_eq!(store.throttle(ag.id, &key).await.unwrap().failures, 1);
    }
    assert_eq!(
        store
            .count_code_attempt(ag.id, &code.attempt_hash, t(3))
            .await
            .unwrap()
            .map(|c| c.attempts),
        Some(1),
        "the code is still live"
    );
}

/// A change of an unknown account is `NotFound` and writes none of its session, mail,
/// audit or throttle parts.
pub async fn apply_change_unknown_account_changes_nothing(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let key = ThrottleKey::login("ghost");
    store.record_failure(ag.id, &key, t(1)).await.unwrap();
    let before = snapshot(store, ag.id, alice.id).await;
    let ghost = account(ag.id, "ghost@example.com");
    let mut c = change(&ghost, t(2));
    c.clear_throttle = vec![key.clone()];
    c.mail = vec![mail(ag.id, "ghost@example.com", t(2))];
    c.audit = vec![audit(ag.id, AuditKind::PasswordReset, t(2))];
    c.revoke_links = true;
    c.end_sessions = EndSessions::All;
    assert_eq!(store.apply_change(&c).await, Err(StoreError::NotFound));
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);
    assert_eq!(store.throttle(ag.id, &key).await.unwrap().failures, 1);
}

/// Deleting an account removes it with its contact links, sessions, links and codes, frees
/// its names and contacts, keeps the audit log (plus the deletion record) and touches no
/// other account. A second delete is `NotFound` and appends nothing.
pub async fn delete_account_cascade(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let c1 = ContactRef("crm-1".into());
    let c2 = ContactRef("crm-2".into());
    for c in [&c1, &c2] {
        store
            .link_contact(
                ag.id,
                alice.id,
                c,
                &audit_of(&alice, AuditKind::AccessSetUp, t(1)),
            )
            .await
            .unwrap();
    }
    let s = start_session(store, &alice, t(1)).await;
    let l1 = issue_link(store, &alice, LinkPurpose::Invitation, t(1)).await;
    let l2 = issue_link(store, &alice, LinkPurpose::PasswordReset, t(1)).await;
    let code = issue_code(store, &alice, t(1)).await;
    store
        .link_contact(
            ag.id,
            bob.id,
            &ContactRef("crm-3".into()),
            &audit_of(&bob, AuditKind::AccessSetUp, t(1)),
        )
        .await
        .unwrap();
    start_session(store, &bob, t(1)).await;
    issue_link(store, &bob, LinkPurpose::Invitation, t(1)).await;
    let bob_code = issue_code(store, &bob, t(1)).await;
    let bob_before = snapshot(store, ag.id, bob.id).await;
    let log_before = audit_log(store, ag.id).await;

    let deleted = audit(ag.id, AuditKind::AccountDeleted, t(2));
    store
        .delete_account(ag.id, alice.id, &deleted)
        .await
        .unwrap();

    assert_eq!(
        store.account(ag.id, alice.id).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .account_by_login(ag.id, "alice@example.com")
            .await
            .unwrap(),
        None
    );
    assert!(store.contacts_of(ag.id, alice.id).await.unwrap().is_empty());
    assert_eq!(store.account_by_contact(ag.id, &c1).await.unwrap(), None);
    assert!(store.sessions_of(ag.id, alice.id).await.unwrap().is_empty());
    assert_eq!(store.session_by_hash(ag.id, &s.hash).await.unwrap(), None);
    assert!(
        store
            .links(ag.id, Some(alice.id), None)
            .await
            .unwrap()
            .is_empty()
    );
    for l in [&l1, &l2] {
        assert_eq!(store.link(ag.id, l.id).await, Err(StoreError::NotFound));
        assert_eq!(store.link_by_hash(ag.id, &l.hash).await.unwrap(), None);
    }
    assert_eq!(
        store
            .count_code_attempt(ag.id, &code.attempt_hash, t(3))
            .await
            .unwrap(),
        None
    );
    let log = audit_log(store, ag.id).await;
    assert_eq!(log.first(), Some(&deleted), "newest first");
    let mut expected_log = log_before.clone();
    expected_log.push(deleted.clone());
    let expected_log = sorted_by(expected_log, |e| e.id);
    assert_eq!(
        sorted_by(log, |e| e.id),
        expected_log,
        "the audit log is kept"
    );
    assert_eq!(
        snapshot(store, ag.id, bob.id).await.own(),
        bob_before.own(),
        "other accounts untouched"
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &bob_code.attempt_hash, t(3))
            .await
            .unwrap()
            .map(|c| c.attempts),
        Some(1)
    );

    assert_eq!(
        store
            .delete_account(
                ag.id,
                alice.id,
                &audit(ag.id, AuditKind::AccountDeleted, t(4))
            )
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        sorted_by(audit_log(store, ag.id).await, |e| e.id),
        expected_log
    );

    // Names and contacts are free again.
    let again = new_account(store, ag.id, "alice@example.com").await;
    store
        .link_contact(
            ag.id,
            again.id,
            &c1,
            &audit_of(&again, AuditKind::AccessSetUp, t(5)),
        )
        .await
        .unwrap();
}
