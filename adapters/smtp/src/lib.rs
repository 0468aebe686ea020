//! # portico-smtp
//!
//! Portico's [`Mailer`] over SMTP: renders each outbox message with the agency's branded
//! [`Templates`] and sends it through lettre's async, pooled SMTP transport.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use portico_smtp::SmtpMailer;
//! let mailer = SmtpMailer::from_url(
//!     "smtp://user:secret@mail.example.com:587?tls=starttls",
//!     "Portal <portal@example.com>",
//! )?;
//! // Hand it to portico_core::outbox::OutboxWorker as its Mailer.
//! # Ok(()) }
//! ```
//!
//! The adapter only translates: it renders, builds the MIME message and tells the SMTP
//! server's answer apart as [`MailError::Transient`] (4xx, connection refused, timeout: try
//! again later) or [`MailError::Permanent`] (5xx, invalid address, nothing to render). When to
//! retry and what to keep is the delivery worker's business, in core.
//!
//! Tokens and codes appear only in the email bodies: they are never logged, and no error
//! carries them.
#![warn(missing_docs)]

pub mod config;
pub mod templates;

pub use config::{SmtpConfig, SmtpConfigError, TlsMode};
pub use templates::{RenderedMail, TEMPLATE_NAMES, TemplateError, TemplatePart, Templates};

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use portico_core::error::MailError;
use portico_core::mail::Mailer;
use portico_core::model::{Agency, OutboxMessage, sanitize_text};
use std::sync::Arc;

/// Longest server reply kept in an error.
const MAX_ERROR_LEN: usize = 300;

/// Sends Portico's emails over SMTP.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    config: SmtpConfig,
    default_sender: Mailbox,
    templates: Arc<Templates>,
}

impl std::fmt::Debug for SmtpMailer {
    /// Shows the configuration without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("config", &self.config)
            .field("default_sender", &self.default_sender.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for the SMTP `url` (see [`config`]) with the default templates.
    /// `default_sender` (`portal@example.com` or `Portal <portal@example.com>`) is used for
    /// agencies whose branding sets no sender address. Call it inside a Tokio runtime.
    pub fn from_url(url: &str, default_sender: &str) -> Result<Self, SmtpConfigError> {
        Self::new(
            SmtpConfig::from_url(url)?,
            default_sender,
            Arc::new(Templates::new()),
        )
    }

    /// A mailer for `config`, rendering with `templates` (share them with the code that sets
    /// per-agency overrides).
    ///
    /// Call it inside a Tokio runtime: the connection pool starts a task of its own.
    pub fn new(
        config: SmtpConfig,
        default_sender: &str,
        templates: Arc<Templates>,
    ) -> Result<Self, SmtpConfigError> {
        let default_sender: Mailbox = default_sender
            .parse()
            .map_err(|_| SmtpConfigError::Sender)?;
        let tls_params = || {
            TlsParameters::new(config.host.clone())
                .map_err(|e| SmtpConfigError::Tls(sanitize_text(&e.to_string(), MAX_ERROR_LEN)))
        };
        let tls = match config.tls {
            TlsMode::None => Tls::None,
            TlsMode::Opportunistic => Tls::Opportunistic(tls_params()?),
            TlsMode::StartTls => Tls::Required(tls_params()?),
            TlsMode::Implicit => Tls::Wrapper(tls_params()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(config.pool_max)
                    .idle_timeout(config.pool_idle),
            );
        if let Some((user, pass)) = &config.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        if let Some(helo) = &config.helo {
            builder = builder.hello_name(ClientId::Domain(helo.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            config,
            default_sender,
            templates,
        })
    }

    /// The templates this mailer renders with (to set per-agency overrides).
    pub fn templates(&self) -> &Arc<Templates> {
        &self.templates
    }

    /// The parsed configuration.
    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }

    /// Builds the MIME message for `message` without sending it: `From` is the agency's
    /// sender address (or the default sender) under the agency's sender name (or its name);
    /// `Reply-To` from the branding; `Message-ID` is [`OutboxMessage::message_id`]; the body
    /// is `multipart/alternative` with the text and HTML renderings.
    pub fn compose(&self, agency: &Agency, message: &OutboxMessage) -> Result<Message, MailError> {
        let rendered = self
            .templates
            .render(agency, message)
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        let branding = &agency.settings.branding;
        let address: Address = if branding.sender_address.is_empty() {
            self.default_sender.email.clone()
        } else {
            branding.sender_address.parse().map_err(|_| {
                MailError::Permanent("the agency's sender address is invalid".into())
            })?
        };
        let name = if !branding.sender_name.trim().is_empty() {
            branding.sender_name.trim()
        } else if !agency.name.trim().is_empty() {
            agency.name.trim()
        } else {
            self.default_sender.name.as_deref().unwrap_or("")
        };
        let from = Mailbox::new(
            (!name.is_empty()).then(|| sanitize_header_text(name)),
            address,
        );
        let to: Address = message
            .to
            .parse()
            .map_err(|_| MailError::Permanent("the recipient address is invalid".into()))?;
        let mut builder = Message::builder()
            .message_id(Some(message.message_id()))
            .header(AutoSubmitted)
            .from(from)
            .to(Mailbox::new(None, to))
            .subject(rendered.subject);
        if let Some(reply_to) = &branding.reply_to {
            let reply_to: Address = reply_to.parse().map_err(|_| {
                MailError::Permanent("the agency's reply-to address is invalid".into())
            })?;
            builder = builder.reply_to(Mailbox::new(None, reply_to));
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        lettre::message::SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(rendered.text),
                    )
                    .singlepart(
                        lettre::message::SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(rendered.html),
                    ),
            )
            .map_err(|e| {
                MailError::Permanent(format!(
                    "the message could not be built: {}",
                    sanitize_text(&e.to_string(), MAX_ERROR_LEN)
                ))
            })
    }

    /// Connects to the server and says `EHLO`/`NOOP`: `Ok(true)` if it answers.
    pub async fn test_connection(&self) -> Result<bool, MailError> {
        self.transport.test_connection().await.map_err(classify)
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): tells mail servers and out-of-office robots
/// not to answer automatically.
#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".into())
    }
}

/// Keeps a display name on one line.
fn sanitize_header_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(100)
        .collect()
}

/// Tells a lettre SMTP error apart: 5xx is permanent; 4xx, connection, TLS, timeout and
/// everything else is worth retrying.
fn classify(e: lettre::transport::smtp::Error) -> MailError {
    let text = sanitize_text(&e.to_string(), MAX_ERROR_LEN);
    if e.is_permanent() {
        MailError::Permanent(format!("SMTP server refused the message: {text}"))
    } else if e.is_transient() {
        MailError::Transient(format!("SMTP server deferred the message: {text}"))
    } else if e.is_timeout() {
        MailError::Transient(format!("SMTP server timed out: {text}"))
    } else {
        MailError::Transient(format!("SMTP server unreachable: {text}"))
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, agency: &Agency, message: &OutboxMessage) -> Result<(), MailError> {
        let email = self.compose(agency, message)?;
        match self.transport.send(email).await {
            Ok(_) => {
                tracing::debug!(id = %message.id, agency = %agency.id,
                    template = message.content.template(), "SMTP server accepted the message");
                Ok(())
            }
            Err(e) => Err(classify(e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use portico_core::model::{AgencySettings, MailContent, OutboxStatus};
    use portico_core::{AgencyId, OutboxId};
    use time::macros::datetime;

    fn agency() -> Agency {
        let mut settings = AgencySettings::default();
        settings.branding.sender_address = "lettings@acme.example".into();
        settings.branding.reply_to = Some("office@acme.example".into());
        Agency {
            id: AgencyId::from_random_bytes([3; 16]),
            slug: "acme".into(),
            name: "Acme Lettings".into(),
            settings,
            created_at: datetime!(2026-01-01 09:00 UTC),
        }
    }

    fn message() -> OutboxMessage {
        let now = datetime!(2026-11-23 14:00 UTC);
        OutboxMessage {
            id: OutboxId::from_random_bytes([4; 16]),
            agency: AgencyId::from_random_bytes([3; 16]),
            to: "client@example.net".into(),
            content: MailContent::PasswordReset {
                recipient_name: "Client".into(),
                reset_url: "https://p.example/reset#t=SECRET-TOKEN".into(),
                expires_at: now + time::Duration::hours(1),
            },
            status: OutboxStatus::Sending,
            attempts: 1,
            created_at: now,
            next_attempt_at: now,
            last_error: None,
            sent_at: None,
        }
    }

    #[tokio::test]
    async fn composes_headers() {
        let m =
            SmtpMailer::from_url("smtp://127.0.0.1:1", "Portal <portal@default.example>").unwrap();
        let raw = String::from_utf8(m.compose(&agency(), &message()).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("From: \"Acme Lettings\" <lettings@acme.example>"),
            "{raw}"
        );
        assert!(raw.contains("Reply-To: office@acme.example"), "{raw}");
        assert!(raw.contains("To: client@example.net"), "{raw}");
        assert!(raw.contains(&format!("Message-ID: {}", message().message_id())));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("Auto-Submitted: auto-generated"));
        let mut a = agency();
        a.settings.branding.sender_address.clear();
        a.settings.branding.sender_name = "Acme Portal".into();
        a.settings.branding.reply_to = None;
        let raw = String::from_utf8(m.compose(&a, &message()).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("From: \"Acme Portal\" <portal@default.example>"),
            "{raw}"
        );
        assert!(!raw.contains("Reply-To"));
    }

    #[tokio::test]
    async fn bad_recipient_and_redacted_content_are_permanent() {
        let m = SmtpMailer::from_url("smtp://127.0.0.1:1", "portal@default.example").unwrap();
        let mut msg = message();
        msg.to = "not an address".into();
        assert!(matches!(
            m.compose(&agency(), &msg),
            Err(MailError::Permanent(_))
        ));
        let mut msg = message();
        msg.content = msg.content.redacted();
        assert!(matches!(
            m.compose(&agency(), &msg),
            Err(MailError::Permanent(_))
        ));
    }

    #[tokio::test]
    async fn bad_default_sender_is_refused() {
        assert_eq!(
            SmtpMailer::from_url("smtp://127.0.0.1:1", "nope").unwrap_err(),
            SmtpConfigError::Sender
        );
    }

    #[tokio::test]
    async fn tls_modes_build() {
        for url in [
            "smtps://mail.example.com",
            "smtp://mail.example.com:587?tls=starttls",
            "smtp://mail.example.com:587?tls=opportunistic",
        ] {
            let m = SmtpMailer::from_url(url, "portal@default.example").unwrap();
            assert_ne!(m.config().tls, TlsMode::None, "{url}");
        }
    }

    #[tokio::test]
    async fn debug_hides_the_password() {
        let m =
            SmtpMailer::from_url("smtp://u:hunter2@127.0.0.1:1", "portal@default.example").unwrap();
        assert!(!format!("{m:?}").contains("hunter2"));
    }
}
