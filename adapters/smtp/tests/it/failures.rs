//! How the SMTP server's refusals and absence are told apart.

use crate::support;
use portico_core::error::MailError;
use portico_core::mail::Mailer;
use portico_core::model::MailContent;
use portico_smtp::SmtpMailer;

fn reset(
    agency: &portico_core::model::Agency,
    to: &str,
) -> (portico_core::model::OutboxMessage, String) {
    let (reset_url, token) = support::token_url("reset");
    let m = support::message(
        agency,
        to,
        MailContent::PasswordReset {
            recipient_name: "Sam".into(),
            reset_url,
            expires_at: time::macros::datetime!(2026-11-23 15:00 UTC),
        },
    );
    (m, token)
}

// These use in-test servers only, so they run without maildev too.

#[tokio::test]
async fn a_5xx_rejection_is_permanent_and_carries_no_secret() {
    let port = support::fake_smtp("550 5.1.1 No such user here").await;
    let mailer = SmtpMailer::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        "noreply@portico.example",
    )
    .unwrap();
    let agency = support::agency();
    let (message, token) = reset(&agency, "nobody@client.example");
    match mailer.send(&agency, &message).await {
        Err(MailError::Permanent(reason)) => {
            assert!(reason.contains("550"), "{reason}");
            assert!(!reason.contains(&token), "{reason}");
        }
        other => panic!("expected a permanent failure, got {other:?}"),
    }
}

#[tokio::test]
async fn a_4xx_deferral_is_transient() {
    let port = support::fake_smtp("451 4.3.0 Try again later").await;
    let mailer = SmtpMailer::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        "noreply@portico.example",
    )
    .unwrap();
    let agency = support::agency();
    let (message, token) = reset(&agency, "later@client.example");
    match mailer.send(&agency, &message).await {
        Err(MailError::Transient(reason)) => {
            assert!(reason.contains("451"), "{reason}");
            assert!(!reason.contains(&token), "{reason}");
        }
        other => panic!("expected a transient failure, got {other:?}"),
    }
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let port = support::closed_port().await;
    let mailer = SmtpMailer::from_url(
        &format!("smtp://127.0.0.1:{port}?timeout=5"),
        "noreply@portico.example",
    )
    .unwrap();
    let agency = support::agency();
    let (message, token) = reset(&agency, "down@client.example");
    match mailer.send(&agency, &message).await {
        Err(MailError::Transient(reason)) => assert!(!reason.contains(&token), "{reason}"),
        other => panic!("expected a transient failure, got {other:?}"),
    }
    assert!(matches!(
        mailer.test_connection().await,
        Err(MailError::Transient(_))
    ));
}

#[tokio::test]
async fn an_invalid_recipient_is_permanent_before_any_connection() {
    let port = support::closed_port().await;
    let mailer = SmtpMailer::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        "noreply@portico.example",
    )
    .unwrap();
    let agency = support::agency();
    let (message, _) = reset(&agency, "not an address");
    assert!(matches!(
        mailer.send(&agency, &message).await,
        Err(MailError::Permanent(_))
    ));
}

#[tokio::test]
async fn the_real_server_answers() {
    let Some(env) = support::env() else { return };
    let mailer = SmtpMailer::from_url(&env.smtp_url, "noreply@portico.example").unwrap();
    assert_eq!(mailer.test_connection().await, Ok(true));
}
