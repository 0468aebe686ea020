//! The records Portico keeps. Every record names its agency; stores scope every query by it.

use crate::ids::*;
use crate::secret::{PasswordHash, TokenHash};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use thiserror::Error;
use time::{Duration, OffsetDateTime};
use unicode_normalization::UnicodeNormalization;

/// Serde of a `time::Duration` as whole seconds (readable in JSON settings and API bodies).
pub mod duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Duration;

    /// Writes whole seconds.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.whole_seconds())
    }
    /// Reads whole seconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        i64::deserialize(d).map(Duration::seconds)
    }
}

/// The key a username or email is compared by: trimmed, NFKC-normalised, lower-cased.
/// `Alice@Example.com` and `alice@example.com` are one login.
pub fn login_key(login: &str) -> String {
    login.trim().nfkc().collect::<String>().to_lowercase()
}

/// An agency (tenant) with its portal settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agency {
    /// Identifier.
    pub id: AgencyId,
    /// Short URL-safe name, unique across the deployment (`acme-lettings`).
    pub slug: String,
    /// Display name (also a context word the password policy refuses).
    pub name: String,
    /// Portal settings.
    pub settings: AgencySettings,
    /// When the agency was created.
    pub created_at: OffsetDateTime,
}

/// Per-agency settings. Every field has a safe default; see [`AgencySettings::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgencySettings {
    /// Base URL of this agency's portal (`https://portal.acme.example/p/acme`). Every emailed
    /// link is built from it, never from a request's `Host` header.
    pub portal_base_url: String,
    /// How long an invitation link lives (1 hour to 14 days; default 48 hours).
    #[serde(with = "duration_secs")]
    pub invitation_lifetime: Duration,
    /// Shortest password accepted (default 15, never below 8).
    pub password_min_length: u32,
    /// Longest password accepted, in characters (default 128, at least 64).
    pub password_max_length: u32,
    /// Whether clients may sign in with a code sent by email (off by default: email is not an
    /// authentication factor under SP 800-63B; see docs/SECURITY.md).
    pub email_code_sign_in: bool,
    /// A session ends after this long without a request (default 30 minutes).
    #[serde(with = "duration_secs")]
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active (default 12 hours).
    #[serde(with = "duration_secs")]
    pub session_absolute_lifetime: Duration,
    /// How the agency's emails look.
    pub branding: Branding,
    /// Widgets hidden for every client of the agency (by widget id).
    pub hidden_widgets: Vec<String>,
    /// Hide lettings (let) properties from the portal altogether.
    pub hide_lettings: bool,
    /// Hide sales (for-sale) properties from the portal altogether.
    pub hide_sales: bool,
}

impl Default for AgencySettings {
    fn default() -> Self {
        Self {
            portal_base_url: "http://127.0.0.1:8080".into(),
            invitation_lifetime: Duration::hours(48),
            password_min_length: 15,
            password_max_length: 128,
            email_code_sign_in: false,
            session_idle_timeout: Duration::minutes(30),
            session_absolute_lifetime: Duration::hours(12),
            branding: Branding::default(),
            hidden_widgets: Vec::new(),
            hide_lettings: false,
            hide_sales: false,
        }
    }
}

/// An agency setting out of its allowed range.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The setting named is out of range; the message says the range.
    #[error("setting `{setting}` is invalid: {reason}")]
    Invalid {
        /// The setting's field name.
        setting: &'static str,
        /// The allowed range or form.
        reason: &'static str,
    },
}

impl AgencySettings {
    /// Checks every setting against its allowed range.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let bad = |setting, reason| Err(SettingsError::Invalid { setting, reason });
        let url = self.portal_base_url.as_str();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !url.contains(['?', '#', ' ', '"', '<', '>']) => {}
            _ => {
                return bad(
                    "portal_base_url",
                    "must be an absolute http(s) URL without query or fragment",
                );
            }
        }
        if self.invitation_lifetime < Duration::hours(1)
            || self.invitation_lifetime > Duration::days(14)
        {
            return bad("invitation_lifetime", "must be between 1 hour and 14 days");
        }
        if self.password_min_length < 8 {
            return bad("password_min_length", "must be at least 8");
        }
        if self.password_max_length < 64 || self.password_max_length > 1024 {
            return bad("password_max_length", "must be between 64 and 1024");
        }
        if self.password_min_length > self.password_max_length {
            return bad("password_min_length", "must not exceed password_max_length");
        }
        if self.session_idle_timeout < Duration::minutes(1)
            || self.session_idle_timeout > self.session_absolute_lifetime
        {
            return bad(
                "session_idle_timeout",
                "must be at least 1 minute and at most the absolute lifetime",
            );
        }
        if self.session_absolute_lifetime > Duration::days(30) {
            return bad("session_absolute_lifetime", "must be at most 30 days");
        }
        self.branding.validate()
    }

    /// The portal base URL without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.portal_base_url.trim_end_matches('/')
    }
}

/// An agency's email branding.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Branding {
    /// Sender address (`portal@acme.example`); the deployment default when empty.
    pub sender_address: String,
    /// Sender display name; the agency's name when empty.
    pub sender_name: String,
    /// Reply-To address, if any.
    pub reply_to: Option<String>,
    /// Logo shown at the top of HTML emails and pages (absolute https URL).
    pub logo_url: Option<String>,
    /// Accent colour as `#rrggbb`.
    pub colour: Option<String>,
}

impl Branding {
    /// Checks the colour and addresses are well formed.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if let Some(c) = &self.colour {
            let ok =
                c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
            if !ok {
                return Err(SettingsError::Invalid {
                    setting: "branding.colour",
                    reason: "must be #rrggbb",
                });
            }
        }
        if !self.sender_address.is_empty() && !is_plausible_email(&self.sender_address) {
            return Err(SettingsError::Invalid {
                setting: "branding.sender_address",
                reason: "must be an email address",
            });
        }
        if let Some(r) = &self.reply_to
            && !is_plausible_email(r)
        {
            return Err(SettingsError::Invalid {
                setting: "branding.reply_to",
                reason: "must be an email address",
            });
        }
        if let Some(l) = &self.logo_url
            && (!l.starts_with("https://") || l.contains(['"', '<', '>', ' ']))
        {
            return Err(SettingsError::Invalid {
                setting: "branding.logo_url",
                reason: "must be an https URL",
            });
        }
        Ok(())
    }
}

/// A light syntactic check of an email address: one `@`, something on each side, a dot in
/// the domain, no spaces or control characters, at most 254 bytes. Deliverability is proven
/// by the invitation, not here.
pub fn is_plausible_email(s: &str) -> bool {
    if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !local.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && !s.contains(['<', '>', '"', ',', ';'])
        }
        None => false,
    }
}

/// Where a login profile stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Created; the client has not set a password yet.
    Invited,
    /// The client has activated the account.
    Active,
    /// Staff disabled the account: no sign-in, no session.
    Disabled,
}

impl AccountStatus {
    /// Stable text form, for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Invited => "invited",
            AccountStatus::Active => "active",
            AccountStatus::Disabled => "disabled",
        }
    }
    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "invited" => Self::Invited,
            "active" => Self::Active,
            "disabled" => Self::Disabled,
            _ => return None,
        })
    }
}

/// A login profile: one client of one agency, possibly linked to several CRM contacts.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Identifier.
    pub id: AccountId,
    /// The agency it belongs to.
    pub agency: AgencyId,
    /// Username as entered (defaults to the email address).
    pub username: String,
    /// [`login_key`] of the username: unique per agency.
    pub username_key: String,
    /// Email address as entered.
    pub email: String,
    /// [`login_key`] of the email: unique per agency.
    pub email_key: String,
    /// Name shown in the portal and in emails.
    pub display_name: String,
    /// Invited, active or disabled.
    pub status: AccountStatus,
    /// The argon2id hash, once a password is set.
    pub password_hash: Option<PasswordHash>,
    /// When the profile was created.
    pub created_at: OffsetDateTime,
    /// When the client activated it.
    pub activated_at: Option<OffsetDateTime>,
    /// When the password last changed.
    pub password_changed_at: Option<OffsetDateTime>,
}

/// A CRM contact's identifier in the host CRM (opaque to Portico).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactRef(pub String);

/// What a single-use link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// Activation of a new account (sets the first password).
    Invitation,
    /// Setting a new password.
    PasswordReset,
    /// Confirming a new email address.
    EmailChange,
}

impl LinkPurpose {
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => "invitation",
            LinkPurpose::PasswordReset => "password_reset",
            LinkPurpose::EmailChange => "email_change",
        }
    }
    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "invitation" => Self::Invitation,
            "password_reset" => Self::PasswordReset,
            "email_change" => Self::EmailChange,
            _ => return None,
        })
    }
}

/// Why a link was revoked before use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    /// A newer link of the same purpose was issued for the account.
    Superseded,
    /// Staff revoked it.
    Revoked,
    /// The account's credentials changed (activated, reset, disabled), killing other links.
    AccountChanged,
}

impl Revocation {
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Revocation::Superseded => "superseded",
            Revocation::Revoked => "revoked",
            Revocation::AccountChanged => "account_changed",
        }
    }
    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "superseded" => Self::Superseded,
            "revoked" => Self::Revoked,
            "account_changed" => Self::AccountChanged,
            _ => return None,
        })
    }
}

/// A single-use link token (invitation, reset, email change). Only its hash is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkToken {
    /// Identifier (also the invitation id staff see).
    pub id: LinkId,
    /// Agency.
    pub agency: AgencyId,
    /// The account it acts on.
    pub account: AccountId,
    /// What it is for.
    pub purpose: LinkPurpose,
    /// SHA-256 of the raw token.
    pub hash: TokenHash,
    /// Issued at.
    pub created_at: OffsetDateTime,
    /// Dead after.
    pub expires_at: OffsetDateTime,
    /// When it was used, if it was.
    pub used_at: Option<OffsetDateTime>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// Why it was revoked.
    pub revocation: Option<Revocation>,
    /// Who had it issued.
    pub created_by: Actor,
    /// For [`LinkPurpose::EmailChange`]: the address being confirmed.
    pub new_email: Option<String>,
}

/// The state of a link at a given time: a pure function of the record and `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Usable.
    Pending,
    /// Used (for an invitation: accepted).
    Used,
    /// Past its expiry.
    Expired,
    /// Replaced by a newer link.
    Superseded,
    /// Revoked by staff or by a change of the account.
    Revoked,
}

impl LinkToken {
    /// The link's state at `now`. Use wins over revocation, revocation over expiry.
    pub fn state(&self, now: OffsetDateTime) -> LinkState {
        if self.used_at.is_some() {
            LinkState::Used
        } else if self.revoked_at.is_some() {
            match self.revocation {
                Some(Revocation::Superseded) => LinkState::Superseded,
                _ => LinkState::Revoked,
            }
        } else if now >= self.expires_at {
            LinkState::Expired
        } else {
            LinkState::Pending
        }
    }
}

/// Who acts. Recorded on audit events and issued links.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// Portico itself (jobs, expiry).
    System,
    /// Someone not signed in.
    Anonymous,
    /// A signed-in client.
    Client {
        /// The client's account.
        account: AccountId,
    },
    /// A staff member of the agency, through the host CRM's admin API key.
    Staff {
        /// The API key used.
        key: Option<ApiKeyId>,
        /// The staff member as the host CRM names them (free text, sanitised).
        staff: String,
    },
}

/// What kind of session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SessionKind {
    /// A client signed in.
    Client,
    /// A staff member previewing the portal as the client; read-only.
    Preview {
        /// The staff member.
        staff: String,
    },
}

/// A session. Only the hash of its token is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Identifier (shown in "your sessions", safe to reveal).
    pub id: SessionId,
    /// Agency.
    pub agency: AgencyId,
    /// The account seen.
    pub account: AccountId,
    /// SHA-256 of the session token.
    pub hash: TokenHash,
    /// Client or preview.
    pub kind: SessionKind,
    /// Sign-in time.
    pub created_at: OffsetDateTime,
    /// Last request seen (updated at most once a minute).
    pub last_seen_at: OffsetDateTime,
    /// Ends here unless used again (idle timeout), never after `absolute_expires_at`.
    pub idle_expires_at: OffsetDateTime,
    /// Ends here whatever happens.
    pub absolute_expires_at: OffsetDateTime,
    /// Client address at sign-in.
    pub address: Option<IpAddr>,
    /// Browser at sign-in (truncated, sanitised).
    pub user_agent: Option<String>,
}

impl Session {
    /// Whether the session is alive at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        now < self.idle_expires_at && now < self.absolute_expires_at
    }
}

/// Who is asking, as established from a live session on this request. Grants are never
/// cached here: every authorization decision reads them afresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Agency of the session (the only agency this request may touch).
    pub agency: AgencyId,
    /// The client account seen (for a preview: the client being previewed).
    pub account: AccountId,
    /// The session.
    pub session: SessionId,
    /// Client or staff preview.
    pub kind: SessionKind,
}

impl Principal {
    /// Whether this is a staff preview (read-only: no mutating operation accepts it).
    pub fn is_preview(&self) -> bool {
        matches!(self.kind, SessionKind::Preview { .. })
    }
}

/// An emailed one-time code, bound to the sign-in attempt that asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailCode {
    /// Identifier.
    pub id: CodeId,
    /// Agency.
    pub agency: AgencyId,
    /// The account signing in.
    pub account: AccountId,
    /// SHA-256 of the attempt handle given to the browser that asked.
    pub attempt_hash: TokenHash,
    /// SHA-256 over (attempt handle, code): the code cannot be recovered from a leaked store
    /// without the handle.
    pub code_hash: TokenHash,
    /// Issued at.
    pub created_at: OffsetDateTime,
    /// Dead after (10 minutes).
    pub expires_at: OffsetDateTime,
    /// Tries so far, counted before each check.
    pub attempts: u32,
    /// When it was used.
    pub used_at: Option<OffsetDateTime>,
    /// When it was killed (too many tries, or a newer code).
    pub revoked_at: Option<OffsetDateTime>,
}

/// A key for throttling counters: a normalised login name or a client address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ThrottleKey(pub String);

impl ThrottleKey {
    /// Counter of a login name (counted whether or not the account exists).
    pub fn login(login: &str) -> Self {
        Self(format!("login:{}", login_key(login)))
    }
    /// Counter of a client address.
    pub fn address(addr: IpAddr) -> Self {
        // IPv6 clients are counted per /64: one host usually owns the whole prefix.
        match addr {
            IpAddr::V4(v4) => Self(format!("addr:{v4}")),
            IpAddr::V6(v6) => {
                let s = v6.segments();
                Self(format!(
                    "addr:{:x}:{:x}:{:x}:{:x}::/64",
                    s[0], s[1], s[2], s[3]
                ))
            }
        }
    }
}

/// Consecutive failures behind a throttle key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ThrottleState {
    /// Failures since the last success or reset.
    pub failures: u32,
    /// Time of the last failure.
    pub last_failure_at: Option<OffsetDateTime>,
}

/// An audited event's kind. The text form is stable (`invitation.sent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AuditKind {
    /// Access set up (profile created or contact linked).
    #[serde(rename = "access.set_up")]
    AccessSetUp,
    /// Invitation sent or re-sent.
    #[serde(rename = "invitation.sent")]
    InvitationSent,
    /// Invitation revoked by staff.
    #[serde(rename = "invitation.revoked")]
    InvitationRevoked,
    /// Account activated from an invitation.
    #[serde(rename = "account.activated")]
    AccountActivated,
    /// Successful sign-in (detail: method).
    #[serde(rename = "signin.succeeded")]
    SignInSucceeded,
    /// Failed sign-in (detail: method and reason).
    #[serde(rename = "signin.failed")]
    SignInFailed,
    /// Sign-in refused by throttling.
    #[serde(rename = "signin.throttled")]
    SignInThrottled,
    /// A password reset was asked for (from the login page).
    #[serde(rename = "password.reset_requested")]
    PasswordResetRequested,
    /// A reset email was sent by staff.
    #[serde(rename = "password.reset_sent")]
    PasswordResetSent,
    /// The password was reset through a link.
    #[serde(rename = "password.reset")]
    PasswordReset,
    /// The password was changed by the client.
    #[serde(rename = "password.changed")]
    PasswordChanged,
    /// A sign-in code was emailed.
    #[serde(rename = "code.sent")]
    CodeSent,
    /// Signed out (one session).
    #[serde(rename = "session.signed_out")]
    SignedOut,
    /// Sessions ended (everywhere, by staff, on revocation).
    #[serde(rename = "session.ended")]
    SessionsEnded,
    /// Account disabled.
    #[serde(rename = "account.disabled")]
    AccountDisabled,
    /// Account enabled again.
    #[serde(rename = "account.enabled")]
    AccountEnabled,
    /// Account deleted (the record keeps no personal data).
    #[serde(rename = "account.deleted")]
    AccountDeleted,
    /// Email change asked for.
    #[serde(rename = "email.change_requested")]
    EmailChangeRequested,
    /// Email change confirmed.
    #[serde(rename = "email.changed")]
    EmailChanged,
    /// Admin API key created.
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    /// Admin API key revoked.
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
    /// A staff preview session opened.
    #[serde(rename = "preview.started")]
    PreviewStarted,
    /// Something was viewed in a preview session.
    #[serde(rename = "preview.viewed")]
    PreviewViewed,
    /// A grant was created, changed or revoked.
    #[serde(rename = "grant.changed")]
    GrantChanged,
    /// A client group changed.
    #[serde(rename = "group.changed")]
    GroupChanged,
    /// A document was shared or unshared.
    #[serde(rename = "document.changed")]
    DocumentChanged,
    /// Agency settings changed.
    #[serde(rename = "agency.settings_changed")]
    SettingsChanged,
    /// An authorization check denied a request.
    #[serde(rename = "access.denied")]
    AccessDenied,
}

impl AuditKind {
    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => match AUDIT_KIND_NAMES.iter().find(|n| **n == s) {
                Some(n) => n,
                None => "unknown",
            },
            _ => "unknown",
        }
    }
    /// Parses the stable text form.
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

const AUDIT_KIND_NAMES: &[&str] = &[
    "access.set_up",
    "invitation.sent",
    "invitation.revoked",
    "account.activated",
    "signin.succeeded",
    "signin.failed",
    "signin.throttled",
    "password.reset_requested",
    "password.reset_sent",
    "password.reset",
    "password.changed",
    "code.sent",
    "session.signed_out",
    "session.ended",
    "account.disabled",
    "account.enabled",
    "account.deleted",
    "email.change_requested",
    "email.changed",
    "api_key.created",
    "api_key.revoked",
    "preview.started",
    "preview.viewed",
    "grant.changed",
    "group.changed",
    "document.changed",
    "agency.settings_changed",
    "access.denied",
];

/// One audit record: who did what, when (UTC), from where. Never a secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Identifier.
    pub id: AuditId,
    /// Agency.
    pub agency: AgencyId,
    /// When (UTC).
    pub at: OffsetDateTime,
    /// Who acted.
    pub actor: Actor,
    /// The account concerned, if any.
    pub account: Option<AccountId>,
    /// What happened.
    pub kind: AuditKind,
    /// Client address.
    pub address: Option<IpAddr>,
    /// Human-readable detail, sanitised: no control characters, at most 500 characters.
    pub detail: String,
}

/// Makes outside text safe to keep in an audit record or a log line: control characters
/// (newlines included) become `\u{..}` escapes and the text is cut at `max` characters.
pub fn sanitize_text(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i >= max {
            out.push('…');
            break;
        }
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Filter for reading the audit log (newest first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditQuery {
    /// Only events about this account.
    pub account: Option<AccountId>,
    /// Only events of this kind.
    pub kind: Option<AuditKind>,
    /// Only events at or after.
    pub from: Option<OffsetDateTime>,
    /// Only events before.
    pub until: Option<OffsetDateTime>,
    /// Skip this many (paging).
    pub offset: u32,
    /// At most this many (capped at 1,000 by stores).
    pub limit: u32,
}

/// An email to send: its content as data. The mailer adapter renders it with the agency's
/// templates and branding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum MailContent {
    /// Invitation with the activation link and the login page link.
    Invitation {
        /// Recipient's name.
        recipient_name: String,
        /// Single-use activation link.
        activation_url: String,
        /// The portal's sign-in page.
        login_url: String,
        /// When the activation link dies.
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// Password reset link.
    PasswordReset {
        /// Recipient's name.
        recipient_name: String,
        /// Single-use reset link.
        reset_url: String,
        /// When the link dies.
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// A one-time sign-in code.
    SignInCode {
        /// Recipient's name.
        recipient_name: String,
        /// The six digits.
        code: String,
        /// When the code dies.
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// Notice that the password changed (after a reset or a change).
    PasswordChanged {
        /// Recipient's name.
        recipient_name: String,
        /// When.
        #[serde(with = "time::serde::rfc3339")]
        changed_at: OffsetDateTime,
    },
    /// Link confirming a new email address (sent to the new address).
    EmailChangeConfirm {
        /// Recipient's name.
        recipient_name: String,
        /// Single-use confirmation link.
        confirm_url: String,
        /// When the link dies.
        #[serde(with = "time::serde::rfc3339")]
        expires_at: OffsetDateTime,
    },
    /// Notice to the old address that a change of email was asked for.
    EmailChangeNotice {
        /// Recipient's name.
        recipient_name: String,
        /// The new address, partly masked.
        new_email_masked: String,
    },
    /// Notice that portal access was revoked.
    AccessRevoked {
        /// Recipient's name.
        recipient_name: String,
    },
    /// What remains of a sent message: its secrets are not kept once delivered.
    Redacted {
        /// The template the message used.
        original: String,
    },
}

impl MailContent {
    /// The template's name (`invitation`, `password_reset`, …).
    pub fn template(&self) -> &'static str {
        match self {
            MailContent::Invitation { .. } => "invitation",
            MailContent::PasswordReset { .. } => "password_reset",
            MailContent::SignInCode { .. } => "sign_in_code",
            MailContent::PasswordChanged { .. } => "password_changed",
            MailContent::EmailChangeConfirm { .. } => "email_change_confirm",
            MailContent::EmailChangeNotice { .. } => "email_change_notice",
            MailContent::AccessRevoked { .. } => "access_revoked",
            MailContent::Redacted { .. } => "redacted",
        }
    }
    /// The same message with its links and codes removed, as kept after delivery.
    pub fn redacted(&self) -> MailContent {
        match self {
            MailContent::Redacted { .. } => self.clone(),
            other => MailContent::Redacted {
                original: other.template().to_string(),
            },
        }
    }
}

/// Delivery state of an outbox message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (or to be retried).
    Queued,
    /// Claimed by a delivery worker until its lease runs out.
    Sending,
    /// Delivered to the mail server.
    Sent,
    /// Permanently refused; kept for staff to see.
    Failed,
}

impl OutboxStatus {
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "queued",
            OutboxStatus::Sending => "sending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }
    /// Parses the text form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// A message in the outbox. Written in the same transaction as the token it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Identifier; also the stable `Message-ID` (so a retry is recognisably the same mail).
    pub id: OutboxId,
    /// Agency.
    pub agency: AgencyId,
    /// Recipient address.
    pub to: String,
    /// What to send.
    pub content: MailContent,
    /// Delivery state.
    pub status: OutboxStatus,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Queued at.
    pub created_at: OffsetDateTime,
    /// Not to be tried before (retry backoff, or the end of a worker's lease).
    pub next_attempt_at: OffsetDateTime,
    /// Last failure, for staff (no secret: the mail server's reply).
    pub last_error: Option<String>,
    /// Delivered at.
    pub sent_at: Option<OffsetDateTime>,
}

impl OutboxMessage {
    /// The `Message-ID` header value, stable across retries.
    pub fn message_id(&self) -> String {
        format!("<{}@portico.invalid>", self.id)
    }
}

/// An admin API key of an agency. Only its hash is kept; the prefix identifies it in lists.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// Identifier.
    pub id: ApiKeyId,
    /// Agency.
    pub agency: AgencyId,
    /// Label chosen by staff.
    pub name: String,
    /// The first 12 characters of the key (`pkey_AbCdEfG`): the lookup prefix, not secret.
    pub prefix: String,
    /// SHA-256 of the key.
    pub hash: TokenHash,
    /// Created at.
    pub created_at: OffsetDateTime,
    /// Optional expiry.
    pub expires_at: Option<OffsetDateTime>,
    /// When revoked.
    pub revoked_at: Option<OffsetDateTime>,
}

impl ApiKey {
    /// Whether the key is usable at `now`.
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn login_keys_fold_case_and_width() {
        assert_eq!(login_key("  Alice@Example.COM "), "alice@example.com");
        // Fullwidth letters fold to ASCII under NFKC.
        assert_eq!(login_key("\u{FF21}lice"), "alice");
        assert_eq!(ThrottleKey::login("ALICE"), ThrottleKey::login("alice "));
    }

    #[test]
    fn audit_kinds_round_trip() {
        for name in AUDIT_KIND_NAMES {
            let k = AuditKind::parse(name).unwrap();
            assert_eq!(k.as_str(), *name);
        }
        assert!(AuditKind::parse("nope").is_none());
    }

    #[test]
    fn settings_ranges() {
        let ok = AgencySettings::default();
        assert!(ok.validate().is_ok());
        let mut s = ok.clone();
        s.invitation_lifetime = Duration::minutes(59);
        assert!(matches!(
            s.validate(),
            Err(SettingsError::Invalid {
                setting: "invitation_lifetime",
                ..
            })
        ));
        s.invitation_lifetime = Duration::days(15);
        assert!(s.validate().is_err());
        let mut s = ok.clone();
        s.password_min_length = 7;
        assert!(s.validate().is_err());
        let mut s = ok.clone();
        s.password_max_length = 63;
        assert!(s.validate().is_err());
        let mut s = ok.clone();
        s.portal_base_url = "javascript:alert(1)".into();
        assert!(s.validate().is_err());
        let mut s = ok;
        s.branding.colour = Some("red".into());
        assert!(s.validate().is_err());
    }

    #[test]
    fn checklist_42_sanitize_escapes_control_characters() {
        let s = sanitize_text("bob\nFAKE ENTRY\r\u{1b}[31m", 100);
        assert!(!s.contains('\n') && !s.contains('\r') && !s.contains('\u{1b}'));
        assert_eq!(sanitize_text("abcdef", 3), "abc…");
    }

    #[test]
    fn emails() {
        assert!(is_plausible_email("a@b.co"));
        for bad in [
            "", "a", "a@b", "@b.co", "a@.co", "a b@c.co", "a@b..co", "<a@b.co>",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}
