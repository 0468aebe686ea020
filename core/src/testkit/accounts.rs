//! Accounts and their contact links.

use super::fixtures::*;
use crate::error::StoreError;
use crate::ids::AccountId;
use crate::model::*;
use crate::store::Store;

/// An account is stored whole with its contact link and audit record, and found by id, by
/// username key, by email key and by contact.
pub async fn account_insert_and_read(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = Account {
        username: "Alice".into(),
        username_key: login_key("Alice"),
        ..account(ag.id, "Alice@Example.com")
    };
    let contact = ContactRef(format!("crm-{}", random_hex(6)));
    let ev = audit_of(&alice, AuditKind::AccessSetUp, t(1));
    store
        .insert_account(&alice, Some(&contact), &ev)
        .await
        .unwrap();

    assert_eq!(store.account(ag.id, alice.id).await.unwrap(), alice);
    assert_eq!(
        store.account_by_login(ag.id, "alice").await.unwrap(),
        Some(alice.clone()),
        "by username key"
    );
    assert_eq!(
        store
            .account_by_login(ag.id, "alice@example.com")
            .await
            .unwrap(),
        Some(alice.clone()),
        "by email key"
    );
    assert_eq!(store.account_by_login(ag.id, "bob").await.unwrap(), None);
    assert_eq!(
        store.account_by_contact(ag.id, &contact).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store
            .account_by_contact(ag.id, &ContactRef("crm-none".into()))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.contacts_of(ag.id, alice.id).await.unwrap(),
        vec![contact]
    );
    assert_eq!(audit_log(store, ag.id).await, vec![ev]);
    assert_eq!(
        store.account(ag.id, rid::<AccountId>()).await,
        Err(StoreError::NotFound)
    );

    // Every field survives the round trip, without a contact too.
    let carol = Account {
        status: AccountStatus::Active,
        password_hash: Some(password_hash()),
        activated_at: Some(t(5)),
        password_changed_at: Some(t(6)),
        display_name: "Carol Ç. Wöhrle".into(),
        ..account(ag.id, "carol@example.com")
    };
    store
        .insert_account(
            &carol,
            None,
            &audit_of(&carol, AuditKind::AccessSetUp, t(2)),
        )
        .await
        .unwrap();
    assert_eq!(store.account(ag.id, carol.id).await.unwrap(), carol);
    assert!(store.contacts_of(ag.id, carol.id).await.unwrap().is_empty());
}

/// Username and email keys form one namespace per agency: a key taken as either is a
/// `Conflict` (case-insensitively, since keys are folded), and the refused insert writes
/// nothing; another agency may use the same names.
pub async fn account_logins_unique_per_agency(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let carol = Account {
        username: "carol".into(),
        username_key: login_key("carol"),
        ..account(ag.id, "carol@example.com")
    };
    store
        .insert_account(
            &carol,
            None,
            &audit_of(&carol, AuditKind::AccessSetUp, t0()),
        )
        .await
        .unwrap();
    let before = snapshot(store, ag.id, alice.id).await;

    let refused = [
        // Same email, other case.
        account(ag.id, "ALICE@Example.COM"),
        // Username equal to another account's email.
        Account {
            username: "Alice@example.com".into(),
            username_key: login_key("Alice@example.com"),
            ..account(ag.id, "x@example.com")
        },
        // Email equal to another account's username.
        Account {
            username: "yves".into(),
            username_key: login_key("yves"),
            email: "Carol".into(),
            email_key: login_key("Carol"),
            ..account(ag.id, "unused@example.com")
        },
        // Username taken as a username.
        Account {
            username: "CAROL".into(),
            username_key: login_key("CAROL"),
            ..account(ag.id, "zoe@example.com")
        },
    ];
    for dup in &refused {
        let contact = ContactRef(format!("crm-{}", random_hex(6)));
        let res = store
            .insert_account(
                dup,
                Some(&contact),
                &audit_of(dup, AuditKind::AccessSetUp, t(1)),
            )
            .await;
        assert!(
            matches!(res, Err(StoreError::Conflict(_))),
            "{dup:?}: {res:?}"
        );
        assert_eq!(
            store.account(ag.id, dup.id).await,
            Err(StoreError::NotFound)
        );
        assert_eq!(
            store.account_by_contact(ag.id, &contact).await.unwrap(),
            None
        );
    }
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);

    // The same names are free in another agency.
    let other = new_agency(store).await;
    let alice2 = new_account(store, other.id, "Alice@Example.com").await;
    let carol2 = Account {
        agency: other.id,
        id: rid(),
        ..carol.clone()
    };
    store
        .insert_account(
            &carol2,
            None,
            &audit_of(&carol2, AuditKind::AccessSetUp, t0()),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .account_by_login(other.id, "alice@example.com")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(alice2.id)
    );
    assert_eq!(
        store
            .account_by_login(ag.id, "alice@example.com")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(alice.id)
    );
}

/// Contacts link to one account each (idempotently), come back sorted, and a contact linked
/// to another account is a `Conflict` for `link_contact` and `insert_account` alike.
pub async fn account_contacts(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let c1 = ContactRef("crm-a-1".into());
    let c2 = ContactRef("crm-b-2".into());
    let ev = |a: &Account| audit_of(a, AuditKind::AccessSetUp, t(1));

    store
        .link_contact(ag.id, alice.id, &c2, &ev(&alice))
        .await
        .unwrap();
    store
        .link_contact(ag.id, alice.id, &c1, &ev(&alice))
        .await
        .unwrap();
    store
        .link_contact(ag.id, alice.id, &c1, &ev(&alice))
        .await
        .unwrap();
    assert_eq!(
        store.contacts_of(ag.id, alice.id).await.unwrap(),
        vec![c1.clone(), c2.clone()],
        "sorted, once each"
    );
    assert_eq!(
        store
            .account_by_contact(ag.id, &c1)
            .await
            .unwrap()
            .map(|a| a.id),
        Some(alice.id)
    );

    let before = snapshot(store, ag.id, bob.id).await;
    assert!(matches!(
        store.link_contact(ag.id, bob.id, &c1, &ev(&bob)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(snapshot(store, ag.id, bob.id).await, before);

    let c3 = ContactRef("crm-c-3".into());
    let ghost = account(ag.id, "ghost@example.com");
    assert_eq!(
        store.link_contact(ag.id, ghost.id, &c3, &ev(&ghost)).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(store.account_by_contact(ag.id, &c3).await.unwrap(), None);

    let carol = account(ag.id, "carol@example.com");
    assert!(matches!(
        store.insert_account(&carol, Some(&c2), &ev(&carol)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.account(ag.id, carol.id).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(snapshot(store, ag.id, bob.id).await, before);
    assert!(store.contacts_of(ag.id, bob.id).await.unwrap().is_empty());
}

/// Accounts are listed by username key, paged by offset and limit, one agency only.
pub async fn account_list_paged(store: &dyn Store) {
    let ag = new_agency(store).await;
    let other = new_agency(store).await;
    new_account(store, other.id, "aaron@example.com").await;
    for name in ["eve", "Anna", "carl", "Bea", "dora"] {
        let a = Account {
            username: name.into(),
            username_key: login_key(name),
            ..account(ag.id, &format!("{name}@example.com"))
        };
        store
            .insert_account(&a, None, &audit_of(&a, AuditKind::AccessSetUp, t0()))
            .await
            .unwrap();
    }
    let names = |v: Vec<Account>| v.into_iter().map(|a| a.username).collect::<Vec<_>>();
    assert_eq!(
        names(store.list_accounts(ag.id, 0, 3).await.unwrap()),
        ["Anna", "Bea", "carl"]
    );
    assert_eq!(
        names(store.list_accounts(ag.id, 3, 3).await.unwrap()),
        ["dora", "eve"]
    );
    assert!(store.list_accounts(ag.id, 5, 3).await.unwrap().is_empty());
    assert_eq!(
        names(store.list_accounts(ag.id, 1, 1000).await.unwrap()),
        ["Bea", "carl", "dora", "eve"]
    );
}

/// `update_profile` changes username, email and display name (never status or password);
/// a key taken by another account is a `Conflict` that changes nothing.
pub async fn account_update_profile(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;

    let mut p = alice.clone();
    p.username = "Ally".into();
    p.username_key = login_key("Ally");
    p.email = "Ally@New.example".into();
    p.email_key = login_key("Ally@New.example");
    p.display_name = "Ally A.".into();
    p.status = AccountStatus::Disabled;
    p.password_hash = Some(password_hash());
    p.activated_at = Some(t(3));
    store.update_profile(&p).await.unwrap();
    let read = store.account(ag.id, alice.id).await.unwrap();
    assert_eq!(
        read,
        Account {
            username: p.username.clone(),
            username_key: p.username_key.clone(),
            email: p.email.clone(),
            email_key: p.email_key.clone(),
            display_name: p.display_name.clone(),
            ..alice.clone()
        }
    );
    assert_eq!(
        store
            .account_by_login(ag.id, "alice@example.com")
            .await
            .unwrap(),
        None,
        "the old keys are free"
    );
    assert_eq!(
        store
            .account_by_login(ag.id, "ally@new.example")
            .await
            .unwrap()
            .map(|a| a.id),
        Some(alice.id)
    );

    // The old keys can be taken by another account now.
    let mut q = bob.clone();
    q.username = "alice@example.com".into();
    q.username_key = login_key("alice@example.com");
    store.update_profile(&q).await.unwrap();

    let before = snapshot(store, ag.id, bob.id).await;
    for taken in ["ALLY", "ally@new.example"] {
        let as_email = Account {
            email: taken.into(),
            email_key: login_key(taken),
            ..q.clone()
        };
        assert!(matches!(
            store.update_profile(&as_email).await,
            Err(StoreError::Conflict(_))
        ));
        let as_username = Account {
            username: taken.into(),
            username_key: login_key(taken),
            ..q.clone()
        };
        assert!(matches!(
            store.update_profile(&as_username).await,
            Err(StoreError::Conflict(_))
        ));
    }
    assert_eq!(snapshot(store, ag.id, bob.id).await, before);

    // Keeping one's own keys is no conflict.
    let renamed = Account {
        display_name: "Robert".into(),
        ..q.clone()
    };
    store.update_profile(&renamed).await.unwrap();
    assert_eq!(store.account(ag.id, bob.id).await.unwrap(), renamed);

    assert_eq!(
        store
            .update_profile(&account(ag.id, "ghost@example.com"))
            .await,
        Err(StoreError::NotFound)
    );
}

/// `set_password_hash` replaces the hash only (no `password_changed_at`, no status).
pub async fn account_set_password_hash(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let h = password_hash();
    store.set_password_hash(ag.id, alice.id, &h).await.unwrap();
    assert_eq!(
        store.account(ag.id, alice.id).await.unwrap(),
        Account {
            password_hash: Some(h.clone()),
            ..alice.clone()
        }
    );
    let h2 = password_hash();
    store.set_password_hash(ag.id, alice.id, &h2).await.unwrap();
    assert_eq!(
        store.account(ag.id, alice.id).await.unwrap().password_hash,
        Some(h2)
    );
    assert_eq!(
        store.set_password_hash(ag.id, rid::<AccountId>(), &h).await,
        Err(StoreError::NotFound)
    );
}
