//! The core delivery worker with the in-memory store and the real SMTP adapter.

use crate::support::{self, Maildev};
use portico_core::Clock;
use portico_core::memory::MemoryStore;
use portico_core::model::{Agency, MailContent, OutboxMessage, OutboxStatus};
use portico_core::outbox::OutboxWorker;
use portico_core::store::{AgencyStore, OutboxStore};
use portico_core::testing::ManualClock;
use portico_smtp::SmtpMailer;
use std::sync::Arc;
use time::Duration;

async fn setup() -> (Arc<MemoryStore>, ManualClock, Agency) {
    let store = Arc::new(MemoryStore::new());
    let clock = ManualClock::at(time::macros::datetime!(2026-11-23 14:00 UTC));
    let agency = support::agency();
    store.insert_agency(&agency).await.unwrap();
    (store, clock, agency)
}

/// Queues one message of every kind, each to its own address; returns them.
async fn enqueue_all(
    store: &MemoryStore,
    clock: &ManualClock,
    agency: &Agency,
) -> Vec<OutboxMessage> {
    let now = clock.now();
    let contents = vec![
        MailContent::Invitation {
            recipient_name: "A".into(),
            activation_url: support::token_url("activate").0,
            login_url: "https://portal.acme.example/p/acme/login".into(),
            expires_at: now + Duration::hours(48),
        },
        MailContent::PasswordReset {
            recipient_name: "B".into(),
            reset_url: support::token_url("reset").0,
            expires_at: now + Duration::hours(1),
        },
        MailContent::SignInCode {
            recipient_name: "C".into(),
            code: "123456".into(),
            expires_at: now + Duration::minutes(15),
        },
        MailContent::PasswordChanged {
            recipient_name: "D".into(),
            changed_at: now,
        },
        MailContent::EmailChangeConfirm {
            recipient_name: "E".into(),
            confirm_url: support::token_url("email").0,
            expires_at: now + Duration::hours(24),
        },
        MailContent::EmailChangeNotice {
            recipient_name: "F".into(),
            new_email_masked: "f***@new.example".into(),
        },
        MailContent::AccessRevoked {
            recipient_name: "G".into(),
        },
    ];
    let mut queued = Vec::new();
    for content in contents {
        let to = support::unique_address(&format!("worker-{}", content.template()));
        let mut m = support::message(agency, &to, content);
        m.created_at = now;
        m.next_attempt_at = now;
        store.enqueue_mail(&m).await.unwrap();
        queued.push(m);
    }
    queued
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_down_then_up_delivers_every_message_exactly_once() {
    let Some(env) = support::env() else { return };
    let maildev = Maildev::new(&env.api);
    let (store, clock, agency) = setup().await;
    let queued = enqueue_all(&store, &clock, &agency).await;
    let n = u32::try_from(queued.len()).unwrap();

    // The SMTP server is down: nothing listens on its port.
    let port = support::closed_port().await;
    let url = format!("smtp://127.0.0.1:{port}?timeout=5");
    let worker = OutboxWorker::new(
        store.clone(),
        Arc::new(SmtpMailer::from_url(&url, "noreply@portico.example").unwrap()),
        Arc::new(clock.clone()),
    );
    for round in 0..2 {
        let r = worker.run_once().await.unwrap();
        assert_eq!(
            (r.claimed, r.retried, r.sent, r.failed),
            (n, n, 0, 0),
            "round {round}"
        );
        for m in &queued {
            let stored = store.outbox(agency.id, None, 0, 100).await.unwrap();
            let s = stored.iter().find(|s| s.id == m.id).unwrap();
            assert_eq!(s.status, OutboxStatus::Queued, "mail waits");
            assert!(s.last_error.is_some());
            assert!(
                !matches!(s.content, MailContent::Redacted { .. }),
                "content kept until sent"
            );
        }
        // Not due again before the backoff.
        assert_eq!(worker.run_once().await.unwrap().claimed, 0);
        clock.advance(Duration::minutes(1));
    }
    for m in &queued {
        assert!(maildev.to(&m.to).await.is_empty());
    }

    // The server is back on the same address; a restarted worker (new process, same store).
    let relay = support::relay(port, support::host_port(&env.smtp_url)).await;
    drop(worker);
    let worker = OutboxWorker::new(
        store.clone(),
        Arc::new(SmtpMailer::from_url(&url, "noreply@portico.example").unwrap()),
        Arc::new(clock.clone()),
    );
    clock.advance(Duration::minutes(2));
    let r = worker.run_once().await.unwrap();
    assert_eq!((r.claimed, r.sent, r.retried, r.failed), (n, n, 0, 0));

    // Later rounds find nothing to do.
    for _ in 0..3 {
        clock.advance(Duration::hours(2));
        assert_eq!(worker.run_once().await.unwrap().claimed, 0);
    }

    // Every message arrived exactly once, with its own Message-ID.
    for m in &queued {
        let got = maildev.wait_for(&m.to, 1).await;
        assert_eq!(got.len(), 1, "{}", m.content.template());
        assert_eq!(got[0]["headers"]["message-id"], m.message_id().as_str());
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for m in &queued {
        assert_eq!(maildev.to(&m.to).await.len(), 1, "no duplicate");
    }
    let stored = store
        .outbox(agency.id, Some(OutboxStatus::Sent), 0, 100)
        .await
        .unwrap();
    assert_eq!(stored.len(), queued.len());
    for s in stored {
        assert_eq!(s.attempts, 3);
        assert!(
            matches!(s.content, MailContent::Redacted { .. }),
            "redacted after send"
        );
    }
    relay.abort();
}

#[tokio::test]
async fn a_rejected_message_ends_failed_and_visible_and_is_never_resent() {
    // In-test server that refuses every recipient with 550: no maildev needed.
    let port = support::fake_smtp("550 5.1.1 Mailbox unavailable").await;
    let (store, clock, agency) = setup().await;
    let to = "gone@client.example";
    let (reset_url, token) = support::token_url("reset");
    let m = support::message(
        &agency,
        to,
        MailContent::PasswordReset {
            recipient_name: "Sam".into(),
            reset_url,
            expires_at: clock.now() + Duration::hours(1),
        },
    );
    store.enqueue_mail(&m).await.unwrap();
    let worker = OutboxWorker::new(
        store.clone(),
        Arc::new(
            SmtpMailer::from_url(
                &format!("smtp://127.0.0.1:{port}"),
                "noreply@portico.example",
            )
            .unwrap(),
        ),
        Arc::new(clock.clone()),
    );
    let r = worker.run_once().await.unwrap();
    assert_eq!((r.claimed, r.failed, r.sent, r.retried), (1, 1, 0, 0));
    let failed = store
        .outbox(agency.id, Some(OutboxStatus::Failed), 0, 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    let error = failed[0].last_error.clone().unwrap();
    assert!(error.contains("550"), "{error}");
    assert!(!error.contains(&token));
    assert!(matches!(failed[0].content, MailContent::Redacted { .. }));
    clock.advance(Duration::days(1));
    assert_eq!(worker.run_once().await.unwrap().claimed, 0);
}
