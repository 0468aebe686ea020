//! Purging dead records.

use super::fixtures::*;
use super::outbox::far_future;
use crate::error::StoreError;
use crate::model::*;
use crate::store::Store;
use time::OffsetDateTime;
use time::macros::datetime;

/// Day `d` of January 1900 (`d` may run past 31 into February).
fn jan(d: i64) -> OffsetDateTime {
    datetime!(1900-01-01 00:00 UTC) + time::Duration::days(d - 1)
}

/// Mail that no delivery worker will claim (the claiming behaviour claims up to 2000).
fn parked_mail(agency: crate::ids::AgencyId, at: OffsetDateTime) -> OutboxMessage {
    OutboxMessage {
        next_attempt_at: far_future(),
        ..mail(agency, "client@example.com", at)
    }
}

/// `purge` removes links and codes expired, used or revoked before the cutoff, sessions
/// expired (idle or absolutely) before it and mail sent before it, and nothing else: not
/// records that died later, not failed or queued mail, not the audit log.
///
/// The only behaviour that purges; it works in January 1900 with the cutoff on the 11th
/// (see the module documentation).
pub async fn purge_removes_only_dead(store: &dyn Store) {
    let cutoff = jan(11);
    let ag = new_agency(store).await;
    let mut n = 0;
    let mut fresh_account = async || {
        n += 1;
        new_account(store, ag.id, &format!("client{n}@example.com")).await
    };

    // Links: each of its own account, so none supersedes another.
    let mut put_link = async |expires: OffsetDateTime| {
        let acc = fresh_account().await;
        let l = LinkToken {
            expires_at: expires,
            ..link(&acc, LinkPurpose::PasswordReset, jan(1))
        };
        store
            .issue_link(
                &l,
                &parked_mail(ag.id, jan(1)),
                &audit_of(&acc, AuditKind::PasswordResetSent, jan(1)),
            )
            .await
            .unwrap();
        (acc, l)
    };
    let (_, l_expired) = put_link(jan(2)).await;
    let (acc, l_used) = put_link(jan(40)).await;
    assert!(
        store
            .redeem_link(ag.id, l_used.id, &change(&acc, jan(2)))
            .await
            .unwrap()
    );
    let (acc, l_revoked) = put_link(jan(40)).await;
    let revoked_ev = audit_of(&acc, AuditKind::InvitationRevoked, jan(2));
    assert!(
        store
            .revoke_link(ag.id, l_revoked.id, jan(2), &revoked_ev)
            .await
            .unwrap()
    );
    let (_, l_live) = put_link(jan(40)).await;
    let (_, l_expired_later) = put_link(jan(15)).await;
    let (acc, l_used_later) = put_link(jan(40)).await;
    assert!(
        store
            .redeem_link(ag.id, l_used_later.id, &change(&acc, jan(15)))
            .await
            .unwrap()
    );

    // Sessions.
    let owner = fresh_account().await;
    let put_session = async |idle: OffsetDateTime, absolute: OffsetDateTime| {
        let s = Session {
            idle_expires_at: idle,
            absolute_expires_at: absolute,
            ..session(&owner, jan(1))
        };
        store.insert_session(&s, None).await.unwrap();
        s
    };
    let s_idle = put_session(jan(2), jan(5)).await;
    let s_absolute = put_session(jan(40), jan(2)).await;
    let s_kept = put_session(jan(20), jan(40)).await;

    // Codes: each of its own account, so none revokes another.
    let mut put_code = async |expires: OffsetDateTime| {
        let acc = fresh_account().await;
        let c = EmailCode {
            expires_at: expires,
            ..code(&acc, jan(1))
        };
        store
            .issue_code(
                &c,
                &parked_mail(ag.id, jan(1)),
                &audit_of(&acc, AuditKind::CodeSent, jan(1)),
            )
            .await
            .unwrap();
        (acc, c)
    };
    put_code(jan(2)).await;
    let (acc, c_used) = put_code(jan(40)).await;
    assert!(
        store
            .redeem_code(ag.id, c_used.id, 5, &change(&acc, jan(2)))
            .await
            .unwrap()
    );
    let (_, c_revoked) = put_code(jan(40)).await;
    store
        .revoke_code(ag.id, c_revoked.id, jan(2))
        .await
        .unwrap();
    let (_, c_kept) = put_code(jan(40)).await;

    // Mail.
    let m_sent = parked_mail(ag.id, jan(1));
    let m_sent_later = parked_mail(ag.id, jan(1));
    let m_failed = parked_mail(ag.id, jan(1));
    let m_queued = parked_mail(ag.id, jan(1));
    for m in [&m_sent, &m_sent_later, &m_failed, &m_queued] {
        store.enqueue_mail(m).await.unwrap();
    }
    store
        .mail_sent(m_sent.id, jan(2), &m_sent.content.redacted())
        .await
        .unwrap();
    store
        .mail_sent(m_sent_later.id, jan(15), &m_sent_later.content.redacted())
        .await
        .unwrap();
    store
        .mail_failed(m_failed.id, "550", &m_failed.content.redacted())
        .await
        .unwrap();

    let log = sorted_by(audit_log(store, ag.id).await, |e| e.id);
    let outbox_before = outbox_of(store, ag.id).await;

    let report = store.purge(cutoff).await.unwrap();
    assert!(report.links >= 3, "{report:?}");
    assert!(report.sessions >= 2, "{report:?}");
    assert!(report.codes >= 3, "{report:?}");
    assert!(report.mail >= 1, "{report:?}");

    for dead in [&l_expired, &l_used, &l_revoked] {
        assert_eq!(
            store.link(ag.id, dead.id).await,
            Err(StoreError::NotFound),
            "{dead:?}"
        );
    }
    for kept in [&l_live, &l_expired_later, &l_used_later] {
        assert!(store.link(ag.id, kept.id).await.is_ok(), "{kept:?}");
    }
    for dead in [&s_idle, &s_absolute] {
        assert_eq!(
            store.session_by_hash(ag.id, &dead.hash).await.unwrap(),
            None
        );
    }
    assert_eq!(
        store.session_by_hash(ag.id, &s_kept.hash).await.unwrap(),
        Some(s_kept)
    );
    assert_eq!(
        store
            .count_code_attempt(ag.id, &c_kept.attempt_hash, jan(12))
            .await
            .unwrap()
            .map(|c| c.id),
        Some(c_kept.id),
        "a live code is kept"
    );
    let expected_outbox: Vec<OutboxMessage> = outbox_before
        .into_iter()
        .filter(|m| m.id != m_sent.id)
        .collect();
    assert_eq!(
        sorted_by(outbox_of(store, ag.id).await, |m| m.id),
        sorted_by(expected_outbox, |m| m.id),
        "only mail sent before the cutoff is removed"
    );
    assert_eq!(
        sorted_by(audit_log(store, ag.id).await, |e| e.id),
        log,
        "the audit log is untouched"
    );
}
