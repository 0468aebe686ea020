//! Per-agency template overrides: applied when sending, refused when broken.

use crate::support::{self, Maildev};
use portico_core::mail::Mailer;
use portico_core::model::MailContent;
use portico_smtp::{SmtpMailer, TemplateError, TemplatePart};

#[tokio::test]
async fn a_broken_override_is_refused_when_set_and_sending_still_works() {
    // Refusal needs no server; the send afterwards does.
    let mailer = SmtpMailer::from_url("smtp://127.0.0.1:1", "noreply@portico.example").unwrap();
    let agency = support::agency();
    let t = mailer.templates();
    let broken = [
        (
            "invitation",
            TemplatePart::Html,
            "<a href=\"{{ activation_url }\">go</a>",
        ),
        ("invitation", TemplatePart::Text, "{{ activation_ur }}"),
        (
            "password_reset",
            TemplatePart::Text,
            "Reset your password at the portal.",
        ),
        ("sign_in_code", TemplatePart::Subject, "{% if code %}"),
    ];
    for (name, part, source) in broken {
        let e = t.set_override(agency.id, name, part, source).unwrap_err();
        assert!(
            matches!(
                e,
                TemplateError::Syntax { .. }
                    | TemplateError::Render { .. }
                    | TemplateError::Missing { .. }
            ),
            "{name}/{part}: {e:?}"
        );
        // Refused means not stored: the default is still in force.
        assert_ne!(t.source(agency.id, name, part).unwrap(), source);
    }

    let Some(env) = support::env() else { return };
    let mailer = SmtpMailer::new(
        portico_smtp::SmtpConfig::from_url(&env.smtp_url).unwrap(),
        "noreply@portico.example",
        mailer.templates().clone(),
    )
    .unwrap();
    let maildev = Maildev::new(&env.api);
    let to = support::unique_address("after-refusal");
    let (activation_url, _) = support::token_url("activate");
    let message = support::message(
        &agency,
        &to,
        MailContent::Invitation {
            recipient_name: "Sam".into(),
            activation_url: activation_url.clone(),
            login_url: "https://portal.acme.example/p/acme/login".into(),
            expires_at: time::macros::datetime!(2026-11-25 14:00 UTC),
        },
    );
    mailer.send(&agency, &message).await.unwrap();
    let mail = &maildev.wait_for(&to, 1).await[0];
    assert!(
        mail["html"]
            .as_str()
            .unwrap()
            .contains(&format!("href=\"{activation_url}\""))
    );
}

#[tokio::test]
async fn a_valid_override_is_used_for_its_agency_only() {
    let Some(env) = support::env() else { return };
    let maildev = Maildev::new(&env.api);
    let mailer = SmtpMailer::from_url(&env.smtp_url, "noreply@portico.example").unwrap();
    let agency = support::agency();
    let other = support::agency();
    let t = mailer.templates();
    t.set_override(
        agency.id,
        "password_reset",
        TemplatePart::Subject,
        "{{ agency.name }}: new password for {{ recipient_name }}",
    )
    .unwrap();
    t.set_override(
        agency.id,
        "password_reset",
        TemplatePart::Html,
        "{% extends \"layout.html\" %}{% block content %}<p>Dear {{ recipient_name }}, <a href=\"{{ reset_url }}\">choose a password</a> before {{ expires_on }}.</p>{% endblock %}",
    )
    .unwrap();
    for (a, tag) in [(&agency, "override"), (&other, "default")] {
        let to = support::unique_address(tag);
        let (reset_url, _) = support::token_url("reset");
        let message = support::message(
            a,
            &to,
            MailContent::PasswordReset {
                recipient_name: "<Sam>".into(),
                reset_url: reset_url.clone(),
                expires_at: time::macros::datetime!(2026-11-23 15:00 UTC),
            },
        );
        mailer.send(a, &message).await.unwrap();
        let mail = &maildev.wait_for(&to, 1).await[0];
        let html = mail["html"].as_str().unwrap();
        assert!(html.contains(&format!("href=\"{reset_url}\"")));
        if tag == "override" {
            assert_eq!(mail["subject"], "Acme Lettings: new password for <Sam>");
            assert!(html.contains("<p>Dear &lt;Sam&gt;, <a href="), "{html}");
        } else {
            assert_eq!(mail["subject"], "Reset your Acme Lettings portal password");
            assert!(!html.contains("Dear"));
        }
    }
}
