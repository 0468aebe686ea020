//! Email template overrides (`portico_smtp::Templates::set_override`) on arbitrary sources,
//! then a render of that template with arbitrary names: never a panic (minijinja's fuel bounds
//! the work); an override accepted renders; and in the HTML body, a name holding markup comes
//! out escaped whenever the template does not itself produce markup from expressions.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portico_core::AgencyId;
use portico_core::OutboxId;
use portico_core::model::{Agency, AgencySettings, MailContent, OutboxMessage, OutboxStatus};
use portico_smtp::templates::{TEMPLATE_NAMES, TemplatePart, Templates};
use std::sync::OnceLock;

/// The input: a template byte, a part byte, then source, recipient name and agency name
/// separated by NUL bytes (see the seeds in `corpus/templates/`).
#[derive(Debug)]
struct Input {
    template: u8,
    part: u8,
    source: String,
    recipient_name: String,
    agency_name: String,
}

static T: OnceLock<Templates> = OnceLock::new();

fn message(name: &str, recipient_name: String) -> OutboxMessage {
    let now = time::macros::datetime!(2026-11-23 14:00 UTC);
    let url = "https://portal.example/p/acme/x?token=prst_TOKEN".to_string();
    let expires_at = now + time::Duration::hours(1);
    let content = match name {
        "invitation" => MailContent::Invitation {
            recipient_name,
            activation_url: url.clone(),
            login_url: url,
            expires_at,
        },
        "password_reset" => MailContent::PasswordReset {
            recipient_name,
            reset_url: url,
            expires_at,
        },
        "sign_in_code" => MailContent::SignInCode {
            recipient_name,
            code: "123456".into(),
            expires_at,
        },
        "password_changed" => MailContent::PasswordChanged {
            recipient_name,
            changed_at: now,
        },
        "email_change_confirm" => MailContent::EmailChangeConfirm {
            recipient_name,
            confirm_url: url,
            expires_at,
        },
        "email_change_notice" => MailContent::EmailChangeNotice {
            recipient_name,
            new_email_masked: "a***@example.net".into(),
        },
        _ => MailContent::AccessRevoked { recipient_name },
    };
    OutboxMessage {
        id: OutboxId::from_random_bytes([1; 16]),
        agency: AgencyId::from_random_bytes([2; 16]),
        to: "ann@example.com".into(),
        content,
        status: OutboxStatus::Queued,
        attempts: 0,
        created_at: now,
        next_attempt_at: now,
        last_error: None,
        sent_at: None,
    }
}

impl Input {
    fn parse(data: &[u8]) -> Option<Self> {
        let (&template, rest) = data.split_first()?;
        let (&part, rest) = rest.split_first()?;
        let f = portico_fuzz::fields(rest, 3);
        Some(Self {
            template,
            part,
            source: f[0].clone(),
            recipient_name: f[1].clone(),
            agency_name: f[2].clone(),
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(i) = Input::parse(data) else {
        return;
    };
    let t = T.get_or_init(Templates::new);
    let name = TEMPLATE_NAMES[usize::from(i.template) % TEMPLATE_NAMES.len()];
    let part = TemplatePart::ALL[usize::from(i.part) % TemplatePart::ALL.len()];
    let agency_id = AgencyId::from_random_bytes([2; 16]);
    let agency = Agency {
        id: agency_id,
        slug: "acme".into(),
        name: format!("{}<fz>", i.agency_name),
        settings: AgencySettings {
            portal_base_url: "https://portal.example/p/acme".into(),
            ..AgencySettings::default()
        },
        created_at: time::macros::datetime!(2026-01-01 09:00 UTC),
    };
    let accepted = t.set_override(agency_id, name, part, &i.source).is_ok();
    let m = message(name, format!("<fz>{}", i.recipient_name));
    let rendered = t.render(&agency, &m);
    if accepted {
        // The override rendered with sample data; with other data it may still fail (an
        // error, never a panic), e.g. when it runs out of fuel on a longer name.
        if let Ok(r) = &rendered {
            assert!(
                !r.subject.contains('\n'),
                "subject on one line: {:?}",
                r.subject
            );
        }
    }
    if let Ok(r) = &rendered {
        let literal_markup = [
            "fz",
            "safe",
            "autoescape",
            "~",
            "<",
            "\\",
            "|",
            "+",
            "%",
            "(",
        ];
        let plain = !accepted
            || part != TemplatePart::Html
            || !literal_markup
                .iter()
                .any(|m| i.source.to_ascii_lowercase().contains(m));
        if plain {
            assert!(
                !r.html.to_ascii_lowercase().contains("<fz"),
                "markup in a name came out unescaped: {:?}",
                i.source
            );
        }
    }
    let _ = t.remove_override(agency_id, name, part);
});
