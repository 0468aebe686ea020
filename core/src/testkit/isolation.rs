//! Two-agency isolation: agency B can neither see nor change agency A's records.

use super::fixtures::*;
use crate::error::StoreError;
use crate::model::*;
use crate::store::{CredentialChange, Store};

/// B cannot get, find, list, update, change, link to or delete A's account; B may use the
/// same contact reference for its own account.
pub async fn isolation_accounts(store: &dyn Store) {
    let a = new_agency(store).await;
    let b = new_agency(store).await;
    let alice = new_account(store, a.id, "alice@example.com").await;
    let contact = ContactRef("crm-1".into());
    store
        .link_contact(
            a.id,
            alice.id,
            &contact,
            &audit_of(&alice, AuditKind::AccessSetUp, t(1)),
        )
        .await
        .unwrap();
    let before = snapshot(store, a.id, alice.id).await;
    let b_audit = |kind| audit(b.id, kind, t(2));

    assert_eq!(
        store.account(b.id, alice.id).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .account_by_login(b.id, "alice@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.account_by_contact(b.id, &contact).await.unwrap(),
        None
    );
    assert!(store.contacts_of(b.id, alice.id).await.unwrap().is_empty());
    assert!(store.list_accounts(b.id, 0, 1000).await.unwrap().is_empty());
    let moved = Account {
        agency: b.id,
        display_name: "Hijacked".into(),
        ..alice.clone()
    };
    assert_eq!(
        store.update_profile(&moved).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .set_password_hash(b.id, alice.id, &password_hash())
            .await,
        Err(StoreError::NotFound)
    );
    let mut c = CredentialChange::new(b.id, alice.id, t(2));
    c.password_hash = Some(password_hash());
    c.status = Some(AccountStatus::Disabled);
    assert_eq!(store.apply_change(&c).await, Err(StoreError::NotFound));
    assert_eq!(
        store
            .link_contact(
                b.id,
                alice.id,
                &ContactRef("crm-2".into()),
                &b_audit(AuditKind::AccessSetUp)
            )
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .delete_account(b.id, alice.id, &b_audit(AuditKind::AccountDeleted))
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(snapshot(store, a.id, alice.id).await, before);
    assert!(audit_log(store, b.id).await.is_empty());

    // Contact references and names are per agency.
    let bea = account(b.id, "alice@example.com");
    store
        .insert_account(
            &bea,
            Some(&contact),
            &audit_of(&bea, AuditKind::AccessSetUp, t(3)),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .account_by_contact(b.id, &contact)
            .await
            .unwrap()
            .map(|x| x.id),
        Some(bea.id)
    );
    assert_eq!(
        store
            .account_by_contact(a.id, &contact)
            .await
            .unwrap()
            .map(|x| x.id),
        Some(alice.id)
    );
    assert_eq!(snapshot(store, a.id, alice.id).await, before);
}

/// B cannot get, find, list, revoke or redeem A's link.
pub async fn isolation_links(store: &dyn Store) {
    let a = new_agency(store).await;
    let b = new_agency(store).await;
    let alice = new_account(store, a.id, "alice@example.com").await;
    let l = issue_link(store, &alice, LinkPurpose::Invitation, t(1)).await;
    let before = snapshot(store, a.id, alice.id).await;

    assert_eq!(store.link(b.id, l.id).await, Err(StoreError::NotFound));
    assert_eq!(store.link_by_hash(b.id, &l.hash).await.unwrap(), None);
    assert!(store.links(b.id, None, None).await.unwrap().is_empty());
    assert!(
        store
            .links(b.id, Some(alice.id), Some(LinkPurpose::Invitation))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .revoke_link(
                b.id,
                l.id,
                t(2),
                &audit(b.id, AuditKind::InvitationRevoked, t(2))
            )
            .await,
        Err(StoreError::NotFound)
    );
    let mut as_b = CredentialChange::new(b.id, alice.id, t(2));
    as_b.password_hash = Some(password_hash());
    assert!(!store.redeem_link(b.id, l.id, &as_b).await.unwrap());
    let mut as_a = change(&alice, t(2));
    as_a.password_hash = Some(password_hash());
    assert!(
        !store.redeem_link(b.id, l.id, &as_a).await.unwrap(),
        "redeemed through the wrong agency"
    );
    assert_eq!(snapshot(store, a.id, alice.id).await, before);
    assert!(audit_log(store, b.id).await.is_empty());
    assert!(store.redeem_link(a.id, l.id, &as_a).await.unwrap());
}

/// B cannot find, touch, list or end A's sessions.
pub async fn isolation_sessions(store: &dyn Store) {
    let a = new_agency(store).await;
    let b = new_agency(store).await;
    let alice = new_account(store, a.id, "alice@example.com").await;
    let s = start_session(store, &alice, t(1)).await;

    assert_eq!(store.session_by_hash(b.id, &s.hash).await.unwrap(), None);
    assert!(!store.touch_session(b.id, s.id, t(5), t(60)).await.unwrap());
    assert!(!store.delete_session(b.id, s.id).await.unwrap());
    assert_eq!(
        store
            .delete_sessions_of(b.id, alice.id, None)
            .await
            .unwrap(),
        0
    );
    assert!(store.sessions_of(b.id, alice.id).await.unwrap().is_empty());
    assert_eq!(
        store.session_by_hash(a.id, &s.hash).await.unwrap(),
        Some(s.clone()),
        "untouched"
    );
}

/// B cannot count tries against, revoke or redeem A's code.
pub async fn isolation_codes(store: &dyn Store) {
    let a = new_agency(store).await;
    let b = new_agency(store).await;
    let alice = new_account(store, a.id, "alice@example.com").await;
    let c = issue_code(store, &alice, t(1)).await;
    let before = snapshot(store, a.id, alice.id).await;

    assert_eq!(
        store
            .count_code_attempt(b.id, &c.attempt_hash, t(2))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.revoke_code(b.id, c.id, t(2)).await,
        Err(StoreError::NotFound)
    );
    let mut as_b = CredentialChange::new(b.id, alice.id, t(2));
    as_b.new_session = Some(Session {
        agency: b.id,
        ..session(&alice, t(2))
    });
    assert!(!store.redeem_code(b.id, c.id, 5, &as_b).await.unwrap());
    let mut as_a = change(&alice, t(2));
    as_a.new_session = Some(session(&alice, t(2)));
    assert!(!store.redeem_code(b.id, c.id, 5, &as_a).await.unwrap());
    assert_eq!(snapshot(store, a.id, alice.id).await, before);
    assert_eq!(
        store
            .count_code_attempt(a.id, &c.attempt_hash, t(2))
            .await
            .unwrap()
            .map(|c| c.attempts),
        Some(1),
        "live, and no try was counted through B"
    );
    assert!(store.redeem_code(a.id, c.id, 5, &as_a).await.unwrap());
}

/// B sees and clears only its own throttle counters, audit records and mail.
pub async fn isolation_throttle_audit_outbox(store: &dyn Store) {
    let a = new_agency(store).await;
    let b = new_agency(store).await;
    let key = ThrottleKey::login("alice@example.com");
    store.record_failure(a.id, &key, t(1)).await.unwrap();
    store.clear_throttle(b.id, &key).await.unwrap();
    assert_eq!(store.throttle(a.id, &key).await.unwrap().failures, 1);
    assert_eq!(
        store.throttle(b.id, &key).await.unwrap(),
        ThrottleState::default()
    );

    let e = audit(a.id, AuditKind::SignInFailed, t(1));
    store.append_audit(&e).await.unwrap();
    let m = mail(a.id, "alice@example.com", t(1));
    store.enqueue_mail(&m).await.unwrap();
    assert!(audit_log(store, b.id).await.is_empty());
    assert!(outbox_of(store, b.id).await.is_empty());
    assert!(
        store
            .outbox(b.id, Some(OutboxStatus::Queued), 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(audit_log(store, a.id).await, vec![e]);
    assert_eq!(outbox_of(store, a.id).await, vec![m]);
}

/// B cannot list or revoke A's API keys.
pub async fn isolation_api_keys(store: &dyn Store) {
    let a = new_agency(store).await;
    let b = new_agency(store).await;
    let k = api_key(a.id, t(1));
    store
        .insert_api_key(&k, &audit(a.id, AuditKind::ApiKeyCreated, t(1)))
        .await
        .unwrap();
    assert!(store.api_keys(b.id).await.unwrap().is_empty());
    assert_eq!(
        store
            .revoke_api_key(
                b.id,
                k.id,
                t(2),
                &audit(b.id, AuditKind::ApiKeyRevoked, t(2))
            )
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(store.api_keys(a.id).await.unwrap(), vec![k]);
    assert!(audit_log(store, b.id).await.is_empty());
}
