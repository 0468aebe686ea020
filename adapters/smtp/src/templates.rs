//! Branded email templates: a subject, a plain-text body and an HTML body for every email
//! core sends, rendered with [minijinja](https://docs.rs/minijinja).
//!
//! The defaults are compiled in (from `adapters/smtp/templates/`). A host may override any
//! part of any template for one agency with [`Templates::set_override`], which parses and
//! test-renders the override with sample data and refuses it *then* if it is broken (syntax
//! error, unknown variable, the link or code left out), never when a mail is sent.
//!
//! # Variables
//!
//! Every template sees the same variables (those that do not apply are `none`):
//!
//! | name | what |
//! |---|---|
//! | `agency.name`, `agency.logo_url`, `agency.colour`, `agency.on_colour`, `agency.reply_to`, `agency.portal_url` | branding (`on_colour` is a readable text colour on `colour`) |
//! | `recipient_name`, `recipient_email` | who the mail is for |
//! | `template` | the template's name (`invitation`, …) |
//! | `action_url` | the single-use link (also as `activation_url`, `reset_url` or `confirm_url`) |
//! | `login_url` | the portal's sign-in page (invitation) |
//! | `code` | the sign-in code |
//! | `expires_on`, `expires_in` | `25 November 2026 at 14:00 UTC`, `48 hours` |
//! | `changed_on` | when the password changed, in the same words |
//! | `new_email_masked` | the new address, partly masked (email change notice) |
//!
//! In `body.html` every variable is HTML-escaped; subjects and text bodies are not (they are
//! not HTML). Templates may `{% extends "layout.html" %}`, `{% include "footer.txt" %}` and
//! `{% from "macros.html" import button %}` like the defaults do.
//!
//! Overrides live in memory: a host that stores them persistently sets them again at start.

use minijinja::value::{Serde, Value};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use portico_core::AgencyId;
use portico_core::model::{Agency, MailContent, OutboxMessage};
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{PoisonError, RwLock};
use thiserror::Error;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

/// The accent colour when the agency sets none.
const DEFAULT_COLOUR: &str = "#1f4e79";
/// Work a template may do before it is stopped (guards against runaway overrides).
const FUEL: u64 = 100_000;
/// Longest override accepted, in bytes.
const MAX_OVERRIDE_LEN: usize = 64 * 1024;

/// The name of every template, as [`MailContent::template`] gives it.
pub const TEMPLATE_NAMES: &[&str] = &[
    "invitation",
    "password_reset",
    "sign_in_code",
    "password_changed",
    "email_change_confirm",
    "email_change_notice",
    "access_revoked",
];

/// The shared pieces every template may use.
const SHARED: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("footer.txt", include_str!("../templates/footer.txt")),
];

/// The default templates, as `(name/part-file, source)`.
const DEFAULTS: &[(&str, &str)] = &[
    (
        "invitation/subject.txt",
        include_str!("../templates/invitation/subject.txt"),
    ),
    (
        "invitation/body.txt",
        include_str!("../templates/invitation/body.txt"),
    ),
    (
        "invitation/body.html",
        include_str!("../templates/invitation/body.html"),
    ),
    (
        "password_reset/subject.txt",
        include_str!("../templates/password_reset/subject.txt"),
    ),
    (
        "password_reset/body.txt",
        include_str!("../templates/password_reset/body.txt"),
    ),
    (
        "password_reset/body.html",
        include_str!("../templates/password_reset/body.html"),
    ),
    (
        "sign_in_code/subject.txt",
        include_str!("../templates/sign_in_code/subject.txt"),
    ),
    (
        "sign_in_code/body.txt",
        include_str!("../templates/sign_in_code/body.txt"),
    ),
    (
        "sign_in_code/body.html",
        include_str!("../templates/sign_in_code/body.html"),
    ),
    (
        "password_changed/subject.txt",
        include_str!("../templates/password_changed/subject.txt"),
    ),
    (
        "password_changed/body.txt",
        include_str!("../templates/password_changed/body.txt"),
    ),
    (
        "password_changed/body.html",
        include_str!("../templates/password_changed/body.html"),
    ),
    (
        "email_change_confirm/subject.txt",
        include_str!("../templates/email_change_confirm/subject.txt"),
    ),
    (
        "email_change_confirm/body.txt",
        include_str!("../templates/email_change_confirm/body.txt"),
    ),
    (
        "email_change_confirm/body.html",
        include_str!("../templates/email_change_confirm/body.html"),
    ),
    (
        "email_change_notice/subject.txt",
        include_str!("../templates/email_change_notice/subject.txt"),
    ),
    (
        "email_change_notice/body.txt",
        include_str!("../templates/email_change_notice/body.txt"),
    ),
    (
        "email_change_notice/body.html",
        include_str!("../templates/email_change_notice/body.html"),
    ),
    (
        "access_revoked/subject.txt",
        include_str!("../templates/access_revoked/subject.txt"),
    ),
    (
        "access_revoked/body.txt",
        include_str!("../templates/access_revoked/body.txt"),
    ),
    (
        "access_revoked/body.html",
        include_str!("../templates/access_revoked/body.html"),
    ),
];

/// One part of an email template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TemplatePart {
    /// The subject line (plain text, one line).
    Subject,
    /// The plain-text body.
    Text,
    /// The HTML body (variables HTML-escaped).
    Html,
}

impl TemplatePart {
    /// Every part.
    pub const ALL: [TemplatePart; 3] = [Self::Subject, Self::Text, Self::Html];

    /// The file name of the part inside a template's folder (`subject.txt`, `body.txt`,
    /// `body.html`); its extension decides the escaping.
    pub fn file_name(self) -> &'static str {
        match self {
            TemplatePart::Subject => "subject.txt",
            TemplatePart::Text => "body.txt",
            TemplatePart::Html => "body.html",
        }
    }

    /// A stable name for the part (`subject`, `text`, `html`).
    pub fn as_str(self) -> &'static str {
        match self {
            TemplatePart::Subject => "subject",
            TemplatePart::Text => "text",
            TemplatePart::Html => "html",
        }
    }
}

impl std::fmt::Display for TemplatePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A template could not be set or rendered. Never carries a link, a code or an address.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// No template has that name (see [`TEMPLATE_NAMES`]).
    #[error("unknown template `{0}`")]
    UnknownTemplate(String),
    /// The message was redacted after delivery: there is nothing left to render.
    #[error("message content was redacted; nothing to render")]
    Redacted,
    /// The override is longer than 64 KiB.
    #[error("template {template}/{part} is too long")]
    TooLong {
        /// Template name.
        template: String,
        /// Part.
        part: TemplatePart,
    },
    /// The template does not parse.
    #[error("template {template}/{part} has a syntax error: {detail}")]
    Syntax {
        /// Template name.
        template: String,
        /// Part.
        part: TemplatePart,
        /// What is wrong, and where.
        detail: String,
    },
    /// The template failed while rendering (unknown variable, bad filter, too much work).
    #[error("template {template}/{part} failed to render: {detail}")]
    Render {
        /// Template name.
        template: String,
        /// Part.
        part: TemplatePart,
        /// What is wrong, and where (no variable's value).
        detail: String,
    },
    /// The override leaves out what the email is for (its link or code).
    #[error("template {template}/{part} must show {missing}")]
    Missing {
        /// Template name.
        template: String,
        /// Part.
        part: TemplatePart,
        /// What is left out (`action_url`, `code`, …).
        missing: &'static str,
    },
    /// The subject renders empty.
    #[error("template {template}/subject renders an empty subject")]
    EmptySubject {
        /// Template name.
        template: String,
    },
}

/// An email as rendered: ready to send, or to preview.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedMail {
    /// Subject line (one line, trimmed).
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

impl std::fmt::Debug for RenderedMail {
    /// Shows the subject only: the bodies carry secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderedMail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

type OverrideKey = (AgencyId, &'static str, TemplatePart);

/// The template set: embedded defaults plus per-agency overrides. Share it (it is `Sync`);
/// overrides can be set while mail is being sent.
pub struct Templates {
    env: Environment<'static>,
    overrides: RwLock<HashMap<OverrideKey, String>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self
            .overrides
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("Templates").field("overrides", &n).finish()
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// The default templates, no override.
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(FUEL));
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_formatter(|out, state, value| {
            // `none` (a variable that does not apply to this email) prints as nothing.
            if value.is_none() {
                return Ok(());
            }
            if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() {
                let s = value.to_string();
                out.write_str(&escape_html(&s))
                    .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "write failed"))
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        for (name, source) in SHARED.iter().chain(DEFAULTS) {
            // The defaults are tested to parse (tests::defaults_parse_and_render); a broken one
            // would surface as a render error of that template, never as a panic.
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "default template does not parse");
            }
        }
        Self {
            env,
            overrides: RwLock::new(HashMap::new()),
        }
    }

    /// Overrides one part of one template for one agency, after parsing it and rendering it
    /// with sample data. Refused (and nothing changes) if it does not parse, fails to
    /// render, renders an empty subject, or leaves out the link or code the email exists to
    /// carry.
    pub fn set_override(
        &self,
        agency: AgencyId,
        template: &str,
        part: TemplatePart,
        source: &str,
    ) -> Result<(), TemplateError> {
        let name = known_name(template)?;
        if source.len() > MAX_OVERRIDE_LEN {
            return Err(TemplateError::TooLong {
                template: name.into(),
                part,
            });
        }
        let sample = sample_message(name);
        let ctx = MailContext::new(&sample_agency(), &sample)?;
        let file = format!("{name}/{}", part.file_name());
        let out = self
            .env
            .render_named_str(&file, source, ctx.value())
            .map_err(|e| describe(e, name, part, true))?;
        check_rendered(name, part, &out, &ctx)?;
        self.overrides
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((agency, name, part), source.to_owned());
        Ok(())
    }

    /// Removes an override (the default applies again). Returns whether there was one.
    pub fn remove_override(
        &self,
        agency: AgencyId,
        template: &str,
        part: TemplatePart,
    ) -> Result<bool, TemplateError> {
        let name = known_name(template)?;
        Ok(self
            .overrides
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&(agency, name, part))
            .is_some())
    }

    /// The source of the template part in force for an agency (its override, or the default).
    pub fn source(
        &self,
        agency: AgencyId,
        template: &str,
        part: TemplatePart,
    ) -> Result<String, TemplateError> {
        let name = known_name(template)?;
        if let Some(s) = self
            .overrides
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(agency, name, part))
        {
            return Ok(s.clone());
        }
        let file = format!("{name}/{}", part.file_name());
        DEFAULTS
            .iter()
            .find(|(n, _)| *n == file)
            .map(|(_, s)| (*s).to_owned())
            .ok_or_else(|| TemplateError::UnknownTemplate(name.into()))
    }

    /// Renders a message with the agency's templates and branding (for sending, previews and
    /// tests).
    pub fn render(
        &self,
        agency: &Agency,
        message: &OutboxMessage,
    ) -> Result<RenderedMail, TemplateError> {
        let name = message.content.template();
        if matches!(message.content, MailContent::Redacted { .. }) {
            return Err(TemplateError::Redacted);
        }
        let name = known_name(name)?;
        let ctx = MailContext::new(agency, message)?;
        let subject = self.render_part(agency.id, name, TemplatePart::Subject, &ctx)?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() {
            return Err(TemplateError::EmptySubject {
                template: name.into(),
            });
        }
        Ok(RenderedMail {
            subject,
            text: self.render_part(agency.id, name, TemplatePart::Text, &ctx)?,
            html: self.render_part(agency.id, name, TemplatePart::Html, &ctx)?,
        })
    }

    fn render_part(
        &self,
        agency: AgencyId,
        name: &'static str,
        part: TemplatePart,
        ctx: &MailContext,
    ) -> Result<String, TemplateError> {
        let file = format!("{name}/{}", part.file_name());
        let source = self
            .overrides
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(agency, name, part))
            .cloned();
        let result = match source {
            Some(src) => self.env.render_named_str(&file, &src, ctx.value()),
            None => self
                .env
                .get_template(&file)
                .and_then(|t| t.render(ctx.value())),
        };
        // At send time the detail could quote a value (a link): keep the kind and line only.
        result.map_err(|e| describe(e, name, part, false))
    }
}

fn known_name(template: &str) -> Result<&'static str, TemplateError> {
    TEMPLATE_NAMES
        .iter()
        .copied()
        .find(|n| *n == template)
        .ok_or_else(|| TemplateError::UnknownTemplate(template.chars().take(64).collect()))
}

fn describe(e: minijinja::Error, name: &str, part: TemplatePart, detail: bool) -> TemplateError {
    let mut text = e.kind().to_string();
    if detail && let Some(d) = e.detail() {
        let _ = write!(text, ": {d}");
    }
    if let Some(line) = e.line() {
        let _ = write!(text, " (line {line})");
    }
    match e.kind() {
        ErrorKind::SyntaxError | ErrorKind::BadEscape => TemplateError::Syntax {
            template: name.into(),
            part,
            detail: text,
        },
        _ => TemplateError::Render {
            template: name.into(),
            part,
            detail: text,
        },
    }
}

/// Checks a test rendering of an override: a one-line, non-empty subject; bodies that show
/// the link or code the email is for.
fn check_rendered(
    name: &'static str,
    part: TemplatePart,
    out: &str,
    ctx: &MailContext,
) -> Result<(), TemplateError> {
    let missing = |missing| {
        Err(TemplateError::Missing {
            template: name.into(),
            part,
            missing,
        })
    };
    match part {
        TemplatePart::Subject => {
            if out.trim().is_empty() {
                return Err(TemplateError::EmptySubject {
                    template: name.into(),
                });
            }
        }
        TemplatePart::Text | TemplatePart::Html => {
            if let Some(url) = &ctx.action_url {
                let shown = match part {
                    TemplatePart::Html => escape_html(url),
                    _ => url.clone(),
                };
                if !out.contains(&shown) {
                    return missing("action_url");
                }
            }
            if let Some(code) = &ctx.code
                && !out.contains(code.as_str())
            {
                return missing("code");
            }
        }
    }
    Ok(())
}

/// Escapes text for HTML content and quoted attributes.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The agency's branding as templates see it (sanitised: a colour that is not `#rrggbb` or a
/// logo that is not `https` is dropped).
#[derive(Debug, Serialize)]
struct AgencyView {
    name: String,
    logo_url: Option<String>,
    colour: String,
    on_colour: &'static str,
    reply_to: Option<String>,
    portal_url: String,
}

/// Every variable a template sees.
#[derive(Debug, Serialize)]
struct MailContext {
    agency: AgencyView,
    template: &'static str,
    recipient_name: String,
    recipient_email: String,
    action_url: Option<String>,
    activation_url: Option<String>,
    reset_url: Option<String>,
    confirm_url: Option<String>,
    login_url: Option<String>,
    code: Option<String>,
    expires_on: Option<String>,
    expires_in: Option<String>,
    changed_on: Option<String>,
    new_email_masked: Option<String>,
}

impl MailContext {
    fn new(agency: &Agency, message: &OutboxMessage) -> Result<Self, TemplateError> {
        let b = &agency.settings.branding;
        let colour = b
            .colour
            .as_deref()
            .filter(|c| is_hex_colour(c))
            .unwrap_or(DEFAULT_COLOUR)
            .to_owned();
        let on_colour = if is_light(&colour) {
            "#1f2328"
        } else {
            "#ffffff"
        };
        let logo_url = b
            .logo_url
            .clone()
            .filter(|l| l.starts_with("https://") && !l.contains(['"', '<', '>', ' ', '\'']));
        let mut ctx = MailContext {
            agency: AgencyView {
                name: agency.name.clone(),
                logo_url,
                colour,
                on_colour,
                reply_to: b.reply_to.clone(),
                portal_url: agency.settings.base_url().to_owned(),
            },
            template: message.content.template(),
            recipient_name: String::new(),
            recipient_email: message.to.clone(),
            action_url: None,
            activation_url: None,
            reset_url: None,
            confirm_url: None,
            login_url: None,
            code: None,
            expires_on: None,
            expires_in: None,
            changed_on: None,
            new_email_masked: None,
        };
        let created = message.created_at;
        let mut expiry = |at: OffsetDateTime| {
            ctx.expires_on = Some(format_when(at));
            ctx.expires_in = Some(format_span(at - created));
        };
        match &message.content {
            MailContent::Invitation {
                recipient_name,
                activation_url,
                login_url,
                expires_at,
            } => {
                expiry(*expires_at);
                ctx.recipient_name = recipient_name.clone();
                ctx.action_url = Some(activation_url.clone());
                ctx.activation_url = Some(activation_url.clone());
                ctx.login_url = Some(login_url.clone());
            }
            MailContent::PasswordReset {
                recipient_name,
                reset_url,
                expires_at,
            } => {
                expiry(*expires_at);
                ctx.recipient_name = recipient_name.clone();
                ctx.action_url = Some(reset_url.clone());
                ctx.reset_url = Some(reset_url.clone());
            }
            MailContent::SignInCode {
                recipient_name,
                code,
                expires_at,
            } => {
                expiry(*expires_at);
                ctx.recipient_name = recipient_name.clone();
                ctx.code = Some(code.clone());
            }
            MailContent::PasswordChanged {
                recipient_name,
                changed_at,
            } => {
                ctx.recipient_name = recipient_name.clone();
                ctx.changed_on = Some(format_when(*changed_at));
            }
            MailContent::EmailChangeConfirm {
                recipient_name,
                confirm_url,
                expires_at,
            } => {
                expiry(*expires_at);
                ctx.recipient_name = recipient_name.clone();
                ctx.action_url = Some(confirm_url.clone());
                ctx.confirm_url = Some(confirm_url.clone());
            }
            MailContent::EmailChangeNotice {
                recipient_name,
                new_email_masked,
            } => {
                ctx.recipient_name = recipient_name.clone();
                ctx.new_email_masked = Some(new_email_masked.clone());
            }
            MailContent::AccessRevoked { recipient_name } => {
                ctx.recipient_name = recipient_name.clone();
            }
            MailContent::Redacted { .. } => return Err(TemplateError::Redacted),
        }
        Ok(ctx)
    }

    fn value(&self) -> Value {
        Value::from(Serde(self))
    }
}

fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether dark text reads better than white on this `#rrggbb` colour (WCAG relative
/// luminance above about 0.18).
fn is_light(c: &str) -> bool {
    let channel = |i: usize| {
        let v =
            f64::from(u8::from_str_radix(c.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0)) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    l > 0.18
}

/// `25 November 2026 at 14:00 UTC`.
pub fn format_when(at: OffsetDateTime) -> String {
    let fmt = format_description!("[day padding:none] [month repr:long] [year] at [hour]:[minute]");
    match at.to_offset(UtcOffset::UTC).format(&fmt) {
        Ok(s) => format!("{s} UTC"),
        Err(_) => at.to_string(),
    }
}

/// A span in words: `15 minutes`, `1 hour`, `48 hours`, `2 hours and 30 minutes`, `7 days`.
pub fn format_span(span: Duration) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    let minutes = span.whole_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    if minutes < 60 {
        plural(minutes.max(1), "minute")
    } else if days >= 3 && hours == 0 && mins == 0 {
        plural(days, "day")
    } else if mins == 0 {
        plural(minutes / 60, "hour")
    } else {
        format!(
            "{} and {}",
            plural(minutes / 60, "hour"),
            plural(mins, "minute")
        )
    }
}

fn sample_agency() -> Agency {
    let mut settings = portico_core::model::AgencySettings {
        portal_base_url: "https://portal.example.com/p/sample".into(),
        ..Default::default()
    };
    settings.branding.logo_url = Some("https://portal.example.com/logo.png".into());
    settings.branding.colour = Some("#0a7d5a".into());
    settings.branding.reply_to = Some("office@example.com".into());
    Agency {
        id: AgencyId::from_random_bytes([0; 16]),
        slug: "sample".into(),
        name: "Sample Lettings".into(),
        settings,
        created_at: time::macros::datetime!(2026-01-01 09:00 UTC),
    }
}

/// A sample message of the template, to test-render overrides.
fn sample_message(name: &str) -> OutboxMessage {
    let now = time::macros::datetime!(2026-11-23 14:00 UTC);
    let recipient_name = "Alex Sample".to_string();
    let content = match name {
        "invitation" => MailContent::Invitation {
            recipient_name,
            activation_url: "https://portal.example.com/p/sample/activate#token=SAMPLE-TOKEN"
                .into(),
            login_url: "https://portal.example.com/p/sample/login".into(),
            expires_at: now + Duration::hours(48),
        },
        "password_reset" => MailContent::PasswordReset {
            recipient_name,
            reset_url: "https://portal.example.com/p/sample/reset#token=SAMPLE-TOKEN".into(),
            expires_at: now + Duration::hours(1),
        },
        "sign_in_code" => MailContent::SignInCode {
            recipient_name,
            code: "428913".into(),
            expires_at: now + Duration::minutes(15),
        },
        "password_changed" => MailContent::PasswordChanged {
            recipient_name,
            changed_at: now,
        },
        "email_change_confirm" => MailContent::EmailChangeConfirm {
            recipient_name,
            confirm_url: "https://portal.example.com/p/sample/email#token=SAMPLE-TOKEN".into(),
            expires_at: now + Duration::hours(24),
        },
        "email_change_notice" => MailContent::EmailChangeNotice {
            recipient_name,
            new_email_masked: "a***@example.net".into(),
        },
        _ => MailContent::AccessRevoked { recipient_name },
    };
    OutboxMessage {
        id: portico_core::OutboxId::from_random_bytes([1; 16]),
        agency: AgencyId::from_random_bytes([0; 16]),
        to: "alex@example.com".into(),
        content,
        status: portico_core::model::OutboxStatus::Queued,
        attempts: 0,
        created_at: now,
        next_attempt_at: now,
        last_error: None,
        sent_at: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn all_samples() -> Vec<OutboxMessage> {
        TEMPLATE_NAMES.iter().map(|n| sample_message(n)).collect()
    }

    #[test]
    fn defaults_parse_and_render() {
        let t = Templates::new();
        for (name, _) in SHARED.iter().chain(DEFAULTS) {
            assert!(t.env.get_template(name).is_ok(), "{name}");
        }
        let agency = sample_agency();
        for m in all_samples() {
            let r = t.render(&agency, &m).unwrap();
            assert!(!r.subject.is_empty(), "{}", m.content.template());
            assert!(!r.subject.contains('\n'));
            assert!(r.text.contains("Alex Sample"), "{}", r.text);
            assert!(r.html.contains("Alex Sample"));
            assert!(r.html.contains("Sample Lettings"));
            assert!(r.html.contains("#0a7d5a"));
            assert!(r.html.contains("https://portal.example.com/logo.png"));
            let ctx = MailContext::new(&agency, &m).unwrap();
            check_rendered(m.content.template(), TemplatePart::Text, &r.text, &ctx).unwrap();
            check_rendered(m.content.template(), TemplatePart::Html, &r.html, &ctx).unwrap();
        }
    }

    #[test]
    fn expiry_is_stated_in_words() {
        let t = Templates::new();
        let r = t
            .render(&sample_agency(), &sample_message("invitation"))
            .unwrap();
        let line = "This link expires on 25 November 2026 at 14:00 UTC (in 48 hours)";
        assert!(r.text.contains(line), "{}", r.text);
        assert!(r.html.contains(line), "{}", r.html);
        let r = t
            .render(&sample_agency(), &sample_message("sign_in_code"))
            .unwrap();
        assert!(
            r.text
                .contains("23 November 2026 at 14:15 UTC (in 15 minutes)")
        );
    }

    #[test]
    fn spans_in_words() {
        assert_eq!(format_span(Duration::minutes(15)), "15 minutes");
        assert_eq!(format_span(Duration::minutes(1)), "1 minute");
        assert_eq!(format_span(Duration::seconds(10)), "1 minute");
        assert_eq!(format_span(Duration::hours(1)), "1 hour");
        assert_eq!(format_span(Duration::hours(48)), "48 hours");
        assert_eq!(format_span(Duration::days(14)), "14 days");
        assert_eq!(
            format_span(Duration::minutes(150)),
            "2 hours and 30 minutes"
        );
        assert_eq!(
            format_when(time::macros::datetime!(2026-11-25 15:00 +1)),
            "25 November 2026 at 14:00 UTC"
        );
    }

    #[test]
    fn variables_are_escaped_in_html_only() {
        let t = Templates::new();
        let mut agency = sample_agency();
        agency.name = "Smith & <b>Sons</b>".into();
        agency.settings.branding.colour = Some("red;background:url(x)".into());
        agency.settings.branding.logo_url = Some("javascript:alert(1)".into());
        let mut m = sample_message("access_revoked");
        m.content = MailContent::AccessRevoked {
            recipient_name: "<script>alert(1)</script>".into(),
        };
        let r = t.render(&agency, &m).unwrap();
        assert!(!r.html.contains("<script>"));
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(
            r.html.contains("Smith &amp; &lt;b&gt;Sons&lt;&#x2f;b&gt;")
                || r.html.contains("Smith &amp; &lt;b&gt;Sons&lt;/b&gt;")
        );
        assert!(!r.html.contains("javascript:"));
        assert!(!r.html.contains("url(x)"));
        assert!(r.html.contains(DEFAULT_COLOUR));
        assert!(r.text.contains("<script>alert(1)</script>"));
    }

    #[test]
    fn links_are_not_mangled_in_html() {
        let t = Templates::new();
        let mut m = sample_message("password_reset");
        m.content = MailContent::PasswordReset {
            recipient_name: "A".into(),
            reset_url: "https://x.example/reset?a=1&b=2".into(),
            expires_at: m.created_at + Duration::hours(1),
        };
        let r = t.render(&sample_agency(), &m).unwrap();
        assert!(
            r.html
                .contains("href=\"https://x.example/reset?a=1&amp;b=2\"")
        );
        assert!(r.text.contains("https://x.example/reset?a=1&b=2"));
    }

    #[test]
    fn overrides_apply_to_one_agency() {
        let t = Templates::new();
        let agency = sample_agency();
        let mut other = sample_agency();
        other.id = AgencyId::from_random_bytes([9; 16]);
        t.set_override(
            agency.id,
            "invitation",
            TemplatePart::Subject,
            "Welcome to {{ agency.name }}, {{ recipient_name }}",
        )
        .unwrap();
        let m = sample_message("invitation");
        assert_eq!(
            t.render(&agency, &m).unwrap().subject,
            "Welcome to Sample Lettings, Alex Sample"
        );
        assert_ne!(
            t.render(&other, &m).unwrap().subject,
            "Welcome to Sample Lettings, Alex Sample"
        );
        assert!(
            t.source(agency.id, "invitation", TemplatePart::Subject)
                .unwrap()
                .starts_with("Welcome")
        );
        assert!(
            t.remove_override(agency.id, "invitation", TemplatePart::Subject)
                .unwrap()
        );
        assert_ne!(
            t.render(&agency, &m).unwrap().subject,
            "Welcome to Sample Lettings, Alex Sample"
        );
    }

    #[test]
    fn html_override_is_escaped() {
        let t = Templates::new();
        let agency = sample_agency();
        t.set_override(
            agency.id,
            "password_reset",
            TemplatePart::Html,
            "<p>Hi {{ recipient_name }}</p><a href=\"{{ reset_url }}\">Reset</a>",
        )
        .unwrap();
        let mut m = sample_message("password_reset");
        m.content = MailContent::PasswordReset {
            recipient_name: "<i>x</i>".into(),
            reset_url: "https://x.example/r".into(),
            expires_at: m.created_at + Duration::hours(1),
        };
        let r = t.render(&agency, &m).unwrap();
        assert!(
            r.html.contains("<p>Hi &lt;i&gt;x&lt;/i&gt;</p>"),
            "{}",
            r.html
        );
    }

    #[test]
    fn broken_overrides_are_refused_when_set() {
        let t = Templates::new();
        let a = sample_agency().id;
        let cases: &[(&str, TemplatePart, &str)] = &[
            ("invitation", TemplatePart::Html, "<p>{% if %}</p>"),
            ("invitation", TemplatePart::Text, "Hello {{ recipient_name "),
            (
                "invitation",
                TemplatePart::Text,
                "Hello {{ recipent_name }} {{ action_url }}",
            ),
            ("invitation", TemplatePart::Text, "Hello, no link here"),
            (
                "sign_in_code",
                TemplatePart::Html,
                "<p>Your code is ready</p>",
            ),
            ("password_reset", TemplatePart::Subject, "   "),
            (
                "access_revoked",
                TemplatePart::Text,
                "{{ agency.nope.deeper }}",
            ),
            (
                "access_revoked",
                TemplatePart::Text,
                "{% for i in range(100000000) %}{{ i }}{% endfor %}",
            ),
        ];
        for (name, part, src) in cases {
            let e = t.set_override(a, name, *part, src).unwrap_err();
            eprintln!("{name}/{part}: {e}");
        }
        assert!(matches!(
            t.set_override(a, "nope", TemplatePart::Text, "x"),
            Err(TemplateError::UnknownTemplate(_))
        ));
        assert!(matches!(
            t.set_override(a, "invitation", TemplatePart::Html, "{% if %}"),
            Err(TemplateError::Syntax { .. })
        ));
        assert!(matches!(
            t.set_override(
                a,
                "invitation",
                TemplatePart::Text,
                "{{ action_url }} {{ nope }}"
            ),
            Err(TemplateError::Render { .. })
        ));
        assert!(matches!(
            t.set_override(a, "invitation", TemplatePart::Text, "no link"),
            Err(TemplateError::Missing {
                missing: "action_url",
                ..
            })
        ));
        // Nothing was stored: the defaults still render.
        let r = t
            .render(&sample_agency(), &sample_message("invitation"))
            .unwrap();
        assert!(r.text.contains("SAMPLE-TOKEN"));
    }

    #[test]
    fn variables_that_do_not_apply_print_nothing() {
        let t = Templates::new();
        let a = sample_agency().id;
        t.set_override(
            a,
            "access_revoked",
            TemplatePart::Text,
            "[{{ code }}][{{ login_url }}]",
        )
        .unwrap();
        let r = t
            .render(&sample_agency(), &sample_message("access_revoked"))
            .unwrap();
        assert_eq!(r.text, "[][]");
    }

    #[test]
    fn redacted_messages_do_not_render() {
        let t = Templates::new();
        let mut m = sample_message("invitation");
        m.content = m.content.redacted();
        assert_eq!(t.render(&sample_agency(), &m), Err(TemplateError::Redacted));
    }

    #[test]
    fn accent_text_colour_is_readable() {
        assert!(is_light("#ffd700"));
        assert!(is_light("#ffffff"));
        assert!(!is_light("#1f4e79"));
        assert!(!is_light("#000000"));
    }
}
