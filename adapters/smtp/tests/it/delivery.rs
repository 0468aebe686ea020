//! Every kind of email, sent through the real SMTP server and read back.

use crate::support::{self, Maildev};
use portico_core::mail::Mailer;
use portico_core::model::MailContent;
use portico_smtp::SmtpMailer;
use time::Duration;

fn normalise(s: &str) -> String {
    s.replace("\r\n", "\n").trim().to_string()
}

/// One email kind: the content, and the secret (link or code) it must carry.
fn cases(to_name: &str) -> Vec<(MailContent, Option<String>)> {
    let now = time::macros::datetime!(2026-11-23 14:00 UTC);
    let (activation_url, _) = support::token_url("activate");
    let (reset_url, _) = support::token_url("reset");
    let (confirm_url, _) = support::token_url("email/confirm");
    let code = format!("{:06}", support::nonce_u128() % 1_000_000);
    vec![
        (
            MailContent::Invitation {
                recipient_name: to_name.into(),
                activation_url: activation_url.clone(),
                login_url: "https://portal.acme.example/p/acme/login".into(),
                expires_at: now + Duration::hours(48),
            },
            Some(activation_url),
        ),
        (
            MailContent::PasswordReset {
                recipient_name: to_name.into(),
                reset_url: reset_url.clone(),
                expires_at: now + Duration::hours(1),
            },
            Some(reset_url),
        ),
        (
            MailContent::SignInCode {
                recipient_name: to_name.into(),
                code: code.clone(),
                expires_at: now + Duration::minutes(15),
            },
            Some(code),
        ),
        (
            MailContent::PasswordChanged {
                recipient_name: to_name.into(),
                changed_at: now,
            },
            None,
        ),
        (
            MailContent::EmailChangeConfirm {
                recipient_name: to_name.into(),
                confirm_url: confirm_url.clone(),
                expires_at: now + Duration::hours(24),
            },
            Some(confirm_url),
        ),
        (
            MailContent::EmailChangeNotice {
                recipient_name: to_name.into(),
                new_email_masked: "n***@new.example".into(),
            },
            None,
        ),
        (
            MailContent::AccessRevoked {
                recipient_name: to_name.into(),
            },
            None,
        ),
    ]
}

#[tokio::test]
async fn every_email_kind_arrives_with_recipient_subject_bodies_and_working_link() {
    let Some(env) = support::env() else { return };
    let maildev = Maildev::new(&env.api);
    let mailer = SmtpMailer::from_url(&env.smtp_url, "Portico <noreply@portico.example>").unwrap();
    let agency = support::agency();
    let kinds = cases("Jane O'Brien");
    assert_eq!(kinds.len(), portico_smtp::TEMPLATE_NAMES.len());
    for (content, secret) in kinds {
        let template = content.template();
        let to = support::unique_address(template);
        let message = support::message(&agency, &to, content);
        let expected = mailer.templates().render(&agency, &message).unwrap();
        mailer.send(&agency, &message).await.unwrap();

        let got = maildev.wait_for(&to, 1).await;
        assert_eq!(got.len(), 1, "{template}: exactly one mail");
        let mail = &got[0];
        // Recipient, sender, reply-to.
        assert_eq!(mail["to"][0]["address"], to.as_str(), "{template}");
        assert_eq!(mail["to"].as_array().unwrap().len(), 1, "{template}");
        assert_eq!(mail["envelope"]["to"][0]["address"], to.as_str());
        assert_eq!(
            mail["from"][0]["address"], "portal@acme.example",
            "{template}"
        );
        assert_eq!(mail["from"][0]["name"], "Acme Lettings", "{template}");
        let source = maildev.source(mail).await;
        assert!(
            source.contains("\r\nReply-To: office@acme.example\r\n"),
            "{template}: {source}"
        );
        assert!(source.contains("multipart/alternative"), "{template}");
        // Subject and Message-ID.
        assert_eq!(mail["subject"], expected.subject.as_str(), "{template}");
        assert!(mail["subject"].as_str().unwrap().contains("Acme Lettings"));
        assert_eq!(
            mail["headers"]["message-id"],
            message.message_id().as_str(),
            "{template}"
        );
        // Both bodies, as rendered.
        let text = mail["text"].as_str().expect("a text body");
        let html = mail["html"].as_str().expect("an HTML body");
        assert_eq!(
            normalise(text),
            normalise(&expected.text),
            "{template}: text"
        );
        assert_eq!(
            normalise(html),
            normalise(&expected.html),
            "{template}: html"
        );
        assert!(text.contains("Jane O'Brien"), "{template}");
        assert!(
            html.contains("Jane O&#x27;Brien"),
            "{template}: name escaped in HTML"
        );
        assert!(
            html.contains("https://cdn.acme.example/logo.png"),
            "{template}: logo"
        );
        assert!(html.contains("#8a1538"), "{template}: accent colour");
        // The link (or code) is there, intact, in both bodies; in HTML as a clickable link.
        if let Some(secret) = secret {
            assert!(text.contains(&secret), "{template}: secret in text");
            if secret.starts_with("https://") {
                assert!(
                    html.contains(&format!("href=\"{secret}\"")),
                    "{template}: working link in HTML"
                );
                assert!(
                    text.contains("This link expires on"),
                    "{template}: expiry in words"
                );
            } else {
                assert!(html.contains(&secret), "{template}: code in HTML");
            }
        }
    }
}

#[tokio::test]
async fn invitation_states_expiry_in_words_and_login_link() {
    let Some(env) = support::env() else { return };
    let maildev = Maildev::new(&env.api);
    let mailer = SmtpMailer::from_url(&env.smtp_url, "noreply@portico.example").unwrap();
    let agency = support::agency();
    let to = support::unique_address("expiry");
    let (content, _) = cases("Sam").remove(0);
    let message = support::message(&agency, &to, content);
    mailer.send(&agency, &message).await.unwrap();
    let mail = &maildev.wait_for(&to, 1).await[0];
    let line = "This link expires on 25 November 2026 at 14:00 UTC (in 48 hours).";
    for part in ["text", "html"] {
        let body = mail[part].as_str().unwrap();
        assert!(body.contains(line), "{part}: {body}");
        assert!(
            body.contains("https://portal.acme.example/p/acme/login"),
            "{part}"
        );
    }
}

#[tokio::test]
async fn default_sender_is_used_when_branding_sets_none() {
    let Some(env) = support::env() else { return };
    let maildev = Maildev::new(&env.api);
    let mailer = SmtpMailer::from_url(&env.smtp_url, "Portico <noreply@portico.example>").unwrap();
    let mut agency = support::agency();
    agency.settings.branding.sender_address.clear();
    agency.settings.branding.reply_to = None;
    let to = support::unique_address("default-sender");
    let message = support::message(
        &agency,
        &to,
        MailContent::AccessRevoked {
            recipient_name: "Sam".into(),
        },
    );
    mailer.send(&agency, &message).await.unwrap();
    let mail = &maildev.wait_for(&to, 1).await[0];
    assert_eq!(mail["from"][0]["address"], "noreply@portico.example");
    assert_eq!(mail["from"][0]["name"], "Acme Lettings");
    assert!(!maildev.source(mail).await.contains("Reply-To:"));
}

#[tokio::test]
async fn a_retried_message_keeps_its_message_id() {
    let Some(env) = support::env() else { return };
    let maildev = Maildev::new(&env.api);
    let mailer = SmtpMailer::from_url(&env.smtp_url, "noreply@portico.example").unwrap();
    let agency = support::agency();
    let to = support::unique_address("same-id");
    let mut message = support::message(
        &agency,
        &to,
        MailContent::AccessRevoked {
            recipient_name: "Sam".into(),
        },
    );
    mailer.send(&agency, &message).await.unwrap();
    message.attempts += 1;
    mailer.send(&agency, &message).await.unwrap();
    let got = maildev.wait_for(&to, 2).await;
    assert_eq!(
        got[0]["headers"]["message-id"],
        got[1]["headers"]["message-id"]
    );
    assert_eq!(
        got[0]["headers"]["message-id"],
        message.message_id().as_str()
    );
}
