//! Behaviour of the in-memory store beyond the shared contract.

use portico_core::StoreError;
use portico_core::memory::MemoryStore;
use portico_core::model::*;
use portico_core::store::*;
use portico_core::testkit::fixtures::*;
use std::sync::Arc;

#[tokio::test]
async fn unavailable_fails_every_call_and_changes_nothing() {
    let store = MemoryStore::new();
    let ag = new_agency(&store).await;
    let alice = new_account(&store, ag.id, "alice@example.com").await;
    let l = issue_link(&store, &alice, LinkPurpose::Invitation, t(1)).await;
    let before = snapshot(&store, ag.id, alice.id).await;

    store.set_unavailable(true);
    let down = |r: Result<(), StoreError>| {
        assert!(matches!(r, Err(StoreError::Unavailable(_))), "{r:?}");
    };
    down(store.agency(ag.id).await.map(drop));
    down(store.insert_agency(&agency()).await);
    down(store.list_agencies().await.map(drop));
    down(store.account(ag.id, alice.id).await.map(drop));
    down(
        store
            .insert_account(
                &account(ag.id, "bob@example.com"),
                None,
                &audit(ag.id, AuditKind::AccessSetUp, t(2)),
            )
            .await,
    );
    let mut c = change(&alice, t(2));
    c.password_hash = Some(password_hash());
    down(store.apply_change(&c).await);
    down(store.redeem_link(ag.id, l.id, &c).await.map(drop));
    down(store.link(ag.id, l.id).await.map(drop));
    down(store.session_by_hash(ag.id, &random_hash()).await.map(drop));
    down(
        store
            .record_failure(ag.id, &ThrottleKey::login("alice"), t(2))
            .await
            .map(drop),
    );
    down(store.audit(ag.id, &AuditQuery::default()).await.map(drop));
    down(store.claim_mail(t(100), t(101), 10).await.map(drop));
    down(store.api_keys(ag.id).await.map(drop));
    down(store.purge(t(10_000)).await.map(drop));
    down(
        store
            .delete_account(
                ag.id,
                alice.id,
                &audit(ag.id, AuditKind::AccountDeleted, t(2)),
            )
            .await,
    );

    store.set_unavailable(false);
    assert_eq!(snapshot(&store, ag.id, alice.id).await, before);
    assert_eq!(
        store
            .throttle(ag.id, &ThrottleKey::login("alice"))
            .await
            .unwrap(),
        ThrottleState::default()
    );
}

#[tokio::test]
async fn records_need_their_agency_and_account() {
    let store = MemoryStore::new();
    let ghost_agency = agency();
    assert_eq!(
        store
            .insert_account(
                &account(ghost_agency.id, "a@example.com"),
                None,
                &audit(ghost_agency.id, AuditKind::AccessSetUp, t(0)),
            )
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .append_audit(&audit(ghost_agency.id, AuditKind::SignInFailed, t(0)))
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .enqueue_mail(&mail(ghost_agency.id, "a@example.com", t(0)))
            .await,
        Err(StoreError::NotFound)
    );
    let ag = new_agency(&store).await;
    let ghost = account(ag.id, "ghost@example.com");
    assert_eq!(
        store.insert_session(&session(&ghost, t(0)), None).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .issue_link(
                &link(&ghost, LinkPurpose::Invitation, t(0)),
                &mail(ag.id, "ghost@example.com", t(0)),
                &audit(ag.id, AuditKind::InvitationSent, t(0)),
            )
            .await,
        Err(StoreError::NotFound)
    );
    assert!(outbox_of(&store, ag.id).await.is_empty());
    assert!(audit_log(&store, ag.id).await.is_empty());
}

#[tokio::test]
async fn records_of_another_agency_in_one_operation_are_refused() {
    let store = MemoryStore::new();
    let a = new_agency(&store).await;
    let b = new_agency(&store).await;
    let alice = new_account(&store, a.id, "alice@example.com").await;
    let before = snapshot(&store, a.id, alice.id).await;
    let res = store
        .issue_link(
            &link(&alice, LinkPurpose::Invitation, t(1)),
            &mail(b.id, "alice@example.com", t(1)),
            &audit_of(&alice, AuditKind::InvitationSent, t(1)),
        )
        .await;
    assert!(matches!(res, Err(StoreError::Other(_))), "{res:?}");
    let mut c = change(&alice, t(2));
    c.audit = vec![audit(b.id, AuditKind::PasswordChanged, t(2))];
    c.password_hash = Some(password_hash());
    assert!(matches!(
        store.apply_change(&c).await,
        Err(StoreError::Other(_))
    ));
    assert_eq!(snapshot(&store, a.id, alice.id).await, before);
    assert!(audit_log(&store, b.id).await.is_empty());
    assert!(outbox_of(&store, b.id).await.is_empty());
}

#[tokio::test]
async fn duplicate_ids_are_conflicts() {
    let store = MemoryStore::new();
    let ag = new_agency(&store).await;
    let alice = new_account(&store, ag.id, "alice@example.com").await;
    let s = start_session(&store, &alice, t(1)).await;
    assert!(matches!(
        store.insert_session(&s, None).await,
        Err(StoreError::Conflict(_))
    ));
    let e = audit(ag.id, AuditKind::SignInFailed, t(1));
    store.append_audit(&e).await.unwrap();
    assert!(matches!(
        store.append_audit(&e).await,
        Err(StoreError::Conflict(_))
    ));
    let mut c = change(&alice, t(2));
    c.password_hash = Some(password_hash());
    c.audit = vec![audit(ag.id, AuditKind::PasswordChanged, t(2)); 2];
    assert!(matches!(
        store.apply_change(&c).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.account(ag.id, alice.id).await.unwrap().password_hash,
        None
    );
}

#[tokio::test]
async fn limit_zero_reads_a_default_page_everywhere() {
    let store = MemoryStore::new();
    let ag = new_agency(&store).await;
    for i in 0..120 {
        new_account(&store, ag.id, &format!("c{i:03}@example.com")).await;
        store
            .enqueue_mail(&mail(ag.id, "x@example.com", t(i)))
            .await
            .unwrap();
    }
    assert_eq!(store.list_accounts(ag.id, 0, 0).await.unwrap().len(), 100);
    assert_eq!(store.outbox(ag.id, None, 0, 0).await.unwrap().len(), 100);
    assert_eq!(store.list_accounts(ag.id, 100, 0).await.unwrap().len(), 20);
}

#[tokio::test]
async fn usable_behind_an_arc_dyn_store() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let ag = new_agency(&*store).await;
    assert_eq!(store.agency(ag.id).await.unwrap(), ag);
}

#[tokio::test]
async fn factories_may_give_a_store_an_arc_or_an_arc_dyn() {
    use portico_core::testkit::into_store;
    let by_value = into_store(MemoryStore::new());
    let by_arc = into_store(Arc::new(MemoryStore::new()));
    let shared: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let by_dyn = into_store(Arc::clone(&shared));
    assert!(Arc::ptr_eq(&by_dyn, &shared));
    for store in [by_value, by_arc, by_dyn] {
        let ag = new_agency(&*store).await;
        assert_eq!(store.agency(ag.id).await.unwrap(), ag);
    }
}
