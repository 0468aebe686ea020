//! The mail outbox.

use super::fixtures::*;
use crate::error::StoreError;
use crate::ids::OutboxId;
use crate::model::*;
use crate::store::Store;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// Far in the future: where leases of drained leftovers and never-due mail are parked.
pub(crate) fn far_future() -> OffsetDateTime {
    datetime!(9000-01-01 00:00 UTC)
}

/// Messages are queued whole, listed newest first, one agency only, filtered by status and
/// paged.
pub async fn outbox_enqueue_and_list(store: &dyn Store) {
    let ag = new_agency(store).await;
    let other = new_agency(store).await;
    let msgs: Vec<OutboxMessage> = (0..5)
        .map(|i| mail(ag.id, &format!("client{i}@example.com"), t(i)))
        .collect();
    for m in &msgs {
        store.enqueue_mail(m).await.unwrap();
    }
    store
        .enqueue_mail(&mail(other.id, "x@example.com", t(2)))
        .await
        .unwrap();
    store
        .mail_failed(msgs[1].id, "550 no such user", &msgs[1].content.redacted())
        .await
        .unwrap();
    let newest_first: Vec<OutboxMessage> = msgs.iter().rev().cloned().collect();
    let failed = OutboxMessage {
        status: OutboxStatus::Failed,
        last_error: Some("550 no such user".into()),
        content: msgs[1].content.redacted(),
        ..msgs[1].clone()
    };

    let all = store.outbox(ag.id, None, 0, 100).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0], newest_first[0]);
    assert_eq!(all[3], failed);
    assert_eq!(
        store
            .outbox(ag.id, Some(OutboxStatus::Queued), 0, 100)
            .await
            .unwrap(),
        vec![
            msgs[4].clone(),
            msgs[3].clone(),
            msgs[2].clone(),
            msgs[0].clone()
        ]
    );
    assert_eq!(
        store
            .outbox(ag.id, Some(OutboxStatus::Failed), 0, 100)
            .await
            .unwrap(),
        vec![failed]
    );
    assert!(
        store
            .outbox(ag.id, Some(OutboxStatus::Sent), 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .outbox(ag.id, Some(OutboxStatus::Queued), 1, 2)
            .await
            .unwrap(),
        vec![msgs[3].clone(), msgs[2].clone()]
    );
    assert!(store.outbox(ag.id, None, 5, 10).await.unwrap().is_empty());
}

/// Claiming (deployment-wide) takes due messages (queued, or sending with an expired lease),
/// oldest first, up to the limit: it marks them `Sending`, counts an attempt and sets the
/// lease. Leased, not yet due, sent and failed messages are not claimed; a retry queues
/// again with its error; sent and failed messages keep a redacted content only.
///
/// The only behaviour that claims; it works in 1980–1999 (see the module documentation).
pub async fn outbox_claim_lease_retry(store: &dyn Store) {
    let base = datetime!(1990-01-01 00:00 UTC);
    let min = |m: i64| base + Duration::minutes(m);
    // Claim away what earlier runs left due in this region.
    loop {
        let left = store
            .claim_mail(datetime!(2000-01-01 00:00 UTC), far_future(), 1000)
            .await
            .unwrap();
        if left.is_empty() {
            break;
        }
    }

    let ag = new_agency(store).await;
    let m1 = mail(ag.id, "one@example.com", min(0));
    let m2 = mail(ag.id, "two@example.com", min(1));
    let m3 = OutboxMessage {
        next_attempt_at: min(10),
        ..mail(ag.id, "three@example.com", min(2))
    };
    let sent_early = mail(ag.id, "four@example.com", min(3));
    for m in [&m1, &m2, &m3, &sent_early] {
        store.enqueue_mail(m).await.unwrap();
    }
    store
        .mail_sent(sent_early.id, min(4), &sent_early.content.redacted())
        .await
        .unwrap();
    let ids = |v: &[OutboxMessage]| v.iter().map(|m| m.id).collect::<Vec<_>>();

    let first = store.claim_mail(min(5), min(6), 1).await.unwrap();
    assert_eq!(
        first,
        vec![OutboxMessage {
            status: OutboxStatus::Sending,
            attempts: 1,
            next_attempt_at: min(6),
            ..m1.clone()
        }],
        "oldest first, up to the limit"
    );
    let second = store.claim_mail(min(5), min(6), 10).await.unwrap();
    assert_eq!(ids(&second), [m2.id], "leased and not-yet-due are skipped");
    assert!(
        store
            .claim_mail(min(5), min(6), 10)
            .await
            .unwrap()
            .is_empty()
    );

    store
        .mail_retry(m2.id, min(20), "421 try later")
        .await
        .unwrap();
    let m2_read = store.outbox(ag.id, None, 0, 10).await.unwrap();
    assert!(m2_read.contains(&OutboxMessage {
        status: OutboxStatus::Queued,
        attempts: 1,
        next_attempt_at: min(20),
        last_error: Some("421 try later".into()),
        ..m2.clone()
    }));

    // m1's lease ran out at min(6); m3 is due at min(10); m2 waits until min(20).
    let third = store.claim_mail(min(10), min(11), 10).await.unwrap();
    assert_eq!(ids(&third), [m1.id, m3.id]);
    assert_eq!(third[0].attempts, 2, "a reclaim counts another attempt");
    assert_eq!(third[1].attempts, 1);
    assert!(third.iter().all(|m| m.status == OutboxStatus::Sending));

    store
        .mail_sent(m1.id, min(10), &m1.content.redacted())
        .await
        .unwrap();
    store
        .mail_failed(m3.id, "550 no such user", &m3.content.redacted())
        .await
        .unwrap();

    let fourth = store.claim_mail(min(30), min(31), 10).await.unwrap();
    assert_eq!(ids(&fourth), [m2.id], "sent and failed mail is not claimed");
    assert_eq!(fourth[0].attempts, 2);
    store
        .mail_sent(m2.id, min(30), &m2.content.redacted())
        .await
        .unwrap();
    assert!(
        store
            .claim_mail(min(60), min(61), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let sent = store
        .outbox(ag.id, Some(OutboxStatus::Sent), 0, 10)
        .await
        .unwrap();
    assert_eq!(ids(&sent), [sent_early.id, m2.id, m1.id]);
    let m1_read = sent.iter().find(|m| m.id == m1.id).unwrap();
    assert_eq!(m1_read.sent_at, Some(min(10)));
    assert_eq!(m1_read.attempts, 2);
    assert_eq!(
        m1_read.content,
        MailContent::Redacted {
            original: "password_reset".into()
        }
    );
    let failed = store
        .outbox(ag.id, Some(OutboxStatus::Failed), 0, 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("550 no such user"));
    assert_eq!(failed[0].content, m3.content.redacted());

    // No secret of any message is kept.
    for m in store.outbox(ag.id, None, 0, 10).await.unwrap() {
        let kept = serde_json::to_string(&m).unwrap();
        assert!(!kept.contains("prst_"), "{kept}");
    }
}

/// Delivery updates of an unknown message are `NotFound`.
pub async fn outbox_unknown_message(store: &dyn Store) {
    let redacted = MailContent::Redacted {
        original: "invitation".into(),
    };
    assert_eq!(
        store.mail_sent(rid::<OutboxId>(), t(1), &redacted).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.mail_retry(rid::<OutboxId>(), t(1), "421").await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.mail_failed(rid::<OutboxId>(), "550", &redacted).await,
        Err(StoreError::NotFound)
    );
}
