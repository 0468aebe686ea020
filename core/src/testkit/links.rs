//! Single-use links.

use super::fixtures::*;
use crate::error::StoreError;
use crate::ids::LinkId;
use crate::model::*;
use crate::store::{EndSessions, Store};
use std::sync::Arc;
use time::Duration;

/// An issued link is stored whole with its mail and audit record, found by hash and by id,
/// and listed newest first, filtered by account and purpose.
pub async fn link_issue_and_read(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let inv = link(&alice, LinkPurpose::Invitation, t(1));
    let m = mail(ag.id, "alice@example.com", t(1));
    let ev = audit_of(&alice, AuditKind::InvitationSent, t(1));
    store.issue_link(&inv, &m, &ev).await.unwrap();

    assert_eq!(store.link(ag.id, inv.id).await.unwrap(), inv);
    assert_eq!(
        store.link_by_hash(ag.id, &inv.hash).await.unwrap(),
        Some(inv.clone())
    );
    assert_eq!(
        store.link_by_hash(ag.id, &random_hash()).await.unwrap(),
        None
    );
    assert_eq!(
        store.link(ag.id, rid::<LinkId>()).await,
        Err(StoreError::NotFound)
    );
    assert!(outbox_of(store, ag.id).await.contains(&m));
    assert!(audit_log(store, ag.id).await.contains(&ev));

    let email = link(&alice, LinkPurpose::EmailChange, t(2));
    assert!(email.new_email.is_some());
    store
        .issue_link(
            &email,
            &mail(ag.id, "new@example.com", t(2)),
            &audit_of(&alice, AuditKind::EmailChangeRequested, t(2)),
        )
        .await
        .unwrap();
    let bob_inv = issue_link(store, &bob, LinkPurpose::Invitation, t(3)).await;
    assert_eq!(store.link(ag.id, email.id).await.unwrap(), email);

    let ids = |v: Vec<LinkToken>| v.into_iter().map(|l| l.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.links(ag.id, None, None).await.unwrap()),
        [bob_inv.id, email.id, inv.id]
    );
    assert_eq!(
        ids(store.links(ag.id, Some(alice.id), None).await.unwrap()),
        [email.id, inv.id]
    );
    assert_eq!(
        ids(store
            .links(ag.id, None, Some(LinkPurpose::Invitation))
            .await
            .unwrap()),
        [bob_inv.id, inv.id]
    );
    assert_eq!(
        ids(store
            .links(ag.id, Some(bob.id), Some(LinkPurpose::EmailChange))
            .await
            .unwrap()),
        Vec::<LinkId>::new()
    );
}

/// Issuing a link supersedes every live link of the same purpose for the account (at the
/// new link's creation time), but not links of other purposes, of other accounts, or used.
pub async fn link_issue_supersedes_same_purpose(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let inv1 = issue_link(store, &alice, LinkPurpose::Invitation, t(1)).await;
    let reset = issue_link(store, &alice, LinkPurpose::PasswordReset, t(1)).await;
    let bob_inv = issue_link(store, &bob, LinkPurpose::Invitation, t(1)).await;
    let inv2 = issue_link(store, &alice, LinkPurpose::Invitation, t(60)).await;

    let read = store.link(ag.id, inv1.id).await.unwrap();
    assert_eq!(
        read,
        LinkToken {
            revoked_at: Some(t(60)),
            revocation: Some(Revocation::Superseded),
            ..inv1.clone()
        }
    );
    assert_eq!(read.state(t(61)), LinkState::Superseded);
    assert_eq!(store.link(ag.id, reset.id).await.unwrap(), reset);
    assert_eq!(store.link(ag.id, bob_inv.id).await.unwrap(), bob_inv);
    assert_eq!(store.link(ag.id, inv2.id).await.unwrap(), inv2);

    // A used link stays used when a newer one is issued.
    assert!(
        store
            .redeem_link(ag.id, inv2.id, &change(&alice, t(61)))
            .await
            .unwrap()
    );
    let inv3 = issue_link(store, &alice, LinkPurpose::Invitation, t(62)).await;
    let used = store.link(ag.id, inv2.id).await.unwrap();
    assert_eq!(used.used_at, Some(t(61)));
    assert_eq!((used.revoked_at, used.revocation), (None, None));
    assert_eq!(used.state(t(63)), LinkState::Used);
    assert_eq!(
        store.link(ag.id, inv3.id).await.unwrap().state(t(63)),
        LinkState::Pending
    );
}

/// Revoking a live link marks it `Revoked` and appends the audit record; a link not live
/// (revoked or used) gives `Ok(false)` and appends nothing; an unknown link is `NotFound`.
pub async fn link_revoke(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let inv = issue_link(store, &alice, LinkPurpose::Invitation, t(1)).await;
    let ev = audit_of(&alice, AuditKind::InvitationRevoked, t(5));
    assert!(store.revoke_link(ag.id, inv.id, t(5), &ev).await.unwrap());
    let read = store.link(ag.id, inv.id).await.unwrap();
    assert_eq!(
        read,
        LinkToken {
            revoked_at: Some(t(5)),
            revocation: Some(Revocation::Revoked),
            ..inv.clone()
        }
    );
    assert_eq!(read.state(t(6)), LinkState::Revoked);
    assert!(audit_log(store, ag.id).await.contains(&ev));

    let before = snapshot(store, ag.id, alice.id).await;
    let again = audit_of(&alice, AuditKind::InvitationRevoked, t(6));
    assert!(
        !store
            .revoke_link(ag.id, inv.id, t(6), &again)
            .await
            .unwrap()
    );
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);

    let reset = issue_link(store, &alice, LinkPurpose::PasswordReset, t(7)).await;
    assert!(
        store
            .redeem_link(ag.id, reset.id, &change(&alice, t(8)))
            .await
            .unwrap()
    );
    let before = snapshot(store, ag.id, alice.id).await;
    assert!(
        !store
            .revoke_link(
                ag.id,
                reset.id,
                t(9),
                &audit_of(&alice, AuditKind::InvitationRevoked, t(9))
            )
            .await
            .unwrap()
    );
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);

    assert_eq!(
        store
            .revoke_link(
                ag.id,
                rid(),
                t(9),
                &audit_of(&alice, AuditKind::InvitationRevoked, t(9))
            )
            .await,
        Err(StoreError::NotFound)
    );
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);
}

/// A successful redemption marks the link used at the change's time and applies the whole
/// change (account, sessions, other links, new session, mail, audit).
pub async fn link_redeem_applies_change(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let old_session = start_session(store, &alice, t(1)).await;
    let reset = issue_link(store, &alice, LinkPurpose::PasswordReset, t(1)).await;
    let inv = issue_link(store, &alice, LinkPurpose::Invitation, t(2)).await;

    let h = password_hash();
    let s = session(&alice, t(10));
    let m = mail(ag.id, "alice@example.com", t(10));
    let ev = audit_of(&alice, AuditKind::AccountActivated, t(10));
    let mut c = change(&alice, t(10));
    c.password_hash = Some(h.clone());
    c.status = Some(AccountStatus::Active);
    c.end_sessions = EndSessions::All;
    c.revoke_links = true;
    c.new_session = Some(s.clone());
    c.mail = vec![m.clone()];
    c.audit = vec![ev.clone()];
    assert!(store.redeem_link(ag.id, inv.id, &c).await.unwrap());

    let used = store.link(ag.id, inv.id).await.unwrap();
    assert_eq!(
        used,
        LinkToken {
            used_at: Some(t(10)),
            ..inv.clone()
        }
    );
    assert_eq!(used.state(t(10)), LinkState::Used);
    let acc = store.account(ag.id, alice.id).await.unwrap();
    assert_eq!(acc.status, AccountStatus::Active);
    assert_eq!(acc.activated_at, Some(t(10)));
    assert_eq!(acc.password_hash, Some(h));
    assert_eq!(acc.password_changed_at, Some(t(10)));
    assert_eq!(store.sessions_of(ag.id, alice.id).await.unwrap(), vec![s]);
    assert_eq!(
        store
            .session_by_hash(ag.id, &old_session.hash)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.link(ag.id, reset.id).await.unwrap().revocation,
        Some(Revocation::AccountChanged)
    );
    assert!(outbox_of(store, ag.id).await.contains(&m));
    assert!(audit_log(store, ag.id).await.contains(&ev));
}

/// Redemption is refused (`Ok(false)`, nothing changed) for a used, revoked, superseded or
/// expired link (`change.at == expires_at` is expired), an unknown link, and a change of
/// another account; one second before expiry it succeeds.
pub async fn link_redeem_refused(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    let bob = new_account(store, ag.id, "bob@example.com").await;
    let full_change = |at| {
        let mut c = change(&alice, at);
        c.password_hash = Some(password_hash());
        c.status = Some(AccountStatus::Active);
        c.new_session = Some(session(&alice, at));
        c.mail = vec![mail(ag.id, "alice@example.com", at)];
        c.audit = vec![audit_of(&alice, AuditKind::AccountActivated, at)];
        c.end_sessions = EndSessions::All;
        c.revoke_links = true;
        c
    };
    start_session(store, &alice, t(0)).await;

    // Used.
    let used = issue_link(store, &alice, LinkPurpose::EmailChange, t(1)).await;
    assert!(
        store
            .redeem_link(ag.id, used.id, &change(&alice, t(2)))
            .await
            .unwrap()
    );
    // Revoked by staff.
    let revoked = issue_link(store, &alice, LinkPurpose::PasswordReset, t(3)).await;
    store
        .revoke_link(
            ag.id,
            revoked.id,
            t(4),
            &audit_of(&alice, AuditKind::InvitationRevoked, t(4)),
        )
        .await
        .unwrap();
    // Superseded, and the live one that superseded it.
    let superseded = issue_link(store, &alice, LinkPurpose::Invitation, t(5)).await;
    let live = issue_link(store, &alice, LinkPurpose::Invitation, t(6)).await;

    let before = snapshot(store, ag.id, alice.id).await;
    let bob_before = snapshot(store, ag.id, bob.id).await;
    let refused = [
        (used.id, full_change(t(7)), "used"),
        (revoked.id, full_change(t(7)), "revoked"),
        (superseded.id, full_change(t(7)), "superseded"),
        (live.id, full_change(live.expires_at), "expired (at expiry)"),
        (
            live.id,
            full_change(live.expires_at + Duration::days(1)),
            "expired",
        ),
        (rid(), full_change(t(7)), "unknown"),
        (live.id, change(&bob, t(7)), "another account's change"),
    ];
    for (id, c, case) in &refused {
        assert!(
            !store.redeem_link(ag.id, *id, c).await.unwrap(),
            "{case}: refused"
        );
        assert_eq!(
            snapshot(store, ag.id, alice.id).await,
            before,
            "{case}: nothing changed"
        );
        assert_eq!(snapshot(store, ag.id, bob.id).await, bob_before, "{case}");
    }

    let at = live.expires_at - Duration::seconds(1);
    assert!(
        store
            .redeem_link(ag.id, live.id, &full_change(at))
            .await
            .unwrap(),
        "one second before expiry"
    );
    assert_eq!(store.link(ag.id, live.id).await.unwrap().used_at, Some(at));
}

/// A redemption whose change fails (the new email is taken) is that error, and the link
/// stays unused with nothing changed.
pub async fn link_redeem_error_changes_nothing(store: &dyn Store) {
    let ag = new_agency(store).await;
    let alice = new_account(store, ag.id, "alice@example.com").await;
    new_account(store, ag.id, "bob@example.com").await;
    let l = issue_link(store, &alice, LinkPurpose::EmailChange, t(1)).await;
    let before = snapshot(store, ag.id, alice.id).await;
    let mut c = change(&alice, t(2));
    c.new_email = Some(("Bob@Example.com".into(), login_key("Bob@Example.com")));
    c.new_session = Some(session(&alice, t(2)));
    c.audit = vec![audit_of(&alice, AuditKind::EmailChanged, t(2))];
    c.mail = vec![mail(ag.id, "alice@example.com", t(2))];
    assert!(matches!(
        store.redeem_link(ag.id, l.id, &c).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(snapshot(store, ag.id, alice.id).await, before);
    assert_eq!(store.link(ag.id, l.id).await.unwrap(), l);
}

/// Of 32 concurrent redemptions of one link, exactly one gets `Ok(true)` and only its
/// change is applied.
pub async fn link_concurrent_redeem(store: Arc<dyn Store>) {
    let ag = new_agency(&*store).await;
    let alice = new_account(&*store, ag.id, "alice@example.com").await;
    let l = issue_link(&*store, &alice, LinkPurpose::Invitation, t(1)).await;
    let mut tasks = Vec::new();
    for i in 0..32 {
        let store = Arc::clone(&store);
        let mut c = change(&alice, t(2));
        c.password_hash = Some(password_hash());
        c.status = Some(AccountStatus::Active);
        c.new_session = Some(session(&alice, t(2)));
        c.audit = vec![AuditEvent {
            detail: format!("try {i}"),
            ..audit_of(&alice, AuditKind::AccountActivated, t(2))
        }];
        c.mail = vec![mail(ag.id, "alice@example.com", t(2))];
        tasks.push(tokio::spawn(async move {
            let won = store.redeem_link(c.agency, l.id, &c).await.unwrap();
            (won, c)
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
    let w = &winners[0];
    let acc = store.account(ag.id, alice.id).await.unwrap();
    assert_eq!(acc.password_hash, w.password_hash);
    assert_eq!(
        store.sessions_of(ag.id, alice.id).await.unwrap(),
        vec![w.new_session.clone().unwrap()]
    );
    let activated = store
        .audit(
            ag.id,
            &AuditQuery {
                kind: Some(AuditKind::AccountActivated),
                ..AuditQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(activated, w.audit);
    assert_eq!(
        store
            .outbox(ag.id, None, 0, 1000)
            .await
            .unwrap()
            .iter()
            .filter(|m| w.mail.contains(m))
            .count(),
        1
    );
    assert_eq!(outbox_of(&*store, ag.id).await.len(), 2, "issue + winner");
    assert_eq!(store.link(ag.id, l.id).await.unwrap().used_at, Some(t(2)));
}
