//! The audit log.

use super::fixtures::*;
use crate::model::*;
use crate::store::Store;
use std::net::IpAddr;

/// Records come back whole, newest first, one agency only, filtered by account, kind and
/// time (`from` inclusive, `until` exclusive), and paged by offset and limit.
pub async fn audit_round_trip_filters_and_paging(store: &dyn Store) {
    let ag = new_agency(store).await;
    let other = new_agency(store).await;
    let alice = account(ag.id, "alice@example.com");
    let bob = account(ag.id, "bob@example.com");
    let kinds = [
        AuditKind::SignInSucceeded,
        AuditKind::SignInFailed,
        AuditKind::PasswordChanged,
    ];
    let mut events = Vec::new();
    // Appended out of time order: the log is read by time, not by order of appending.
    for i in (0..12i64).map(|n| (n * 5) % 12) {
        let who = match i % 3 {
            0 => Some(alice.id),
            1 => Some(bob.id),
            _ => None,
        };
        let e = AuditEvent {
            account: who,
            actor: Actor::Staff {
                key: Some(rid()),
                staff: format!("staff {i}"),
            },
            address: Some(IpAddr::from([0x2001, 0xdb8, 0, 0, 0, 0, 0, i as u16])),
            detail: format!("event {i}: ünïcode ✓"),
            ..audit(ag.id, kinds[(i % 4 % 3) as usize], t(i))
        };
        store.append_audit(&e).await.unwrap();
        events.push(e);
    }
    store
        .append_audit(&audit(other.id, AuditKind::SignInSucceeded, t(5)))
        .await
        .unwrap();
    events.sort_by_key(|e| std::cmp::Reverse(e.at)); // newest first
    let q = |f: &dyn Fn(&mut AuditQuery)| {
        let mut q = AuditQuery {
            limit: 1000,
            ..AuditQuery::default()
        };
        f(&mut q);
        q
    };
    let expect = |keep: &dyn Fn(&AuditEvent) -> bool| -> Vec<AuditEvent> {
        events.iter().filter(|e| keep(e)).cloned().collect()
    };

    assert_eq!(store.audit(ag.id, &q(&|_| {})).await.unwrap(), events);
    assert_eq!(
        store
            .audit(ag.id, &q(&|q| q.account = Some(alice.id)))
            .await
            .unwrap(),
        expect(&|e| e.account == Some(alice.id))
    );
    assert_eq!(
        store
            .audit(ag.id, &q(&|q| q.kind = Some(AuditKind::PasswordChanged)))
            .await
            .unwrap(),
        expect(&|e| e.kind == AuditKind::PasswordChanged)
    );
    assert_eq!(
        store
            .audit(
                ag.id,
                &q(&|q| {
                    q.from = Some(t(3));
                    q.until = Some(t(7));
                })
            )
            .await
            .unwrap(),
        expect(&|e| e.at >= t(3) && e.at < t(7))
    );
    assert_eq!(
        store
            .audit(
                ag.id,
                &q(&|q| {
                    q.account = Some(bob.id);
                    q.kind = Some(AuditKind::SignInFailed);
                    q.from = Some(t(2));
                })
            )
            .await
            .unwrap(),
        expect(&|e| e.account == Some(bob.id) && e.kind == AuditKind::SignInFailed && e.at >= t(2))
    );
    assert_eq!(
        store
            .audit(
                ag.id,
                &q(&|q| {
                    q.offset = 4;
                    q.limit = 3;
                })
            )
            .await
            .unwrap(),
        events[4..7].to_vec()
    );
    assert_eq!(
        store
            .audit(
                ag.id,
                &q(&|q| {
                    q.account = Some(alice.id);
                    q.offset = 1;
                    q.limit = 2;
                })
            )
            .await
            .unwrap(),
        expect(&|e| e.account == Some(alice.id))[1..3].to_vec()
    );
    assert!(
        store
            .audit(ag.id, &q(&|q| q.offset = 12))
            .await
            .unwrap()
            .is_empty()
    );
}

/// A limit of 0 reads 100 records; a limit above 1,000 reads 1,000.
pub async fn audit_page_limits(store: &dyn Store) {
    let ag = new_agency(store).await;
    for i in 0..1001i64 {
        store
            .append_audit(&audit(ag.id, AuditKind::SignInFailed, t(i)))
            .await
            .unwrap();
    }
    let read = |limit| async move {
        store
            .audit(
                ag.id,
                &AuditQuery {
                    limit,
                    ..AuditQuery::default()
                },
            )
            .await
            .unwrap()
    };
    let default = read(0).await;
    assert_eq!(default.len(), 100);
    assert_eq!(default[0].at, t(1000), "newest first");
    assert_eq!(read(5000).await.len(), 1000);
    assert_eq!(read(1000).await.len(), 1000);
    assert_eq!(read(7).await.len(), 7);
}
