//! The server's configuration: defaults, then a TOML file, then `PORTICO_*` environment
//! variables, then command-line flags (each layer overrides the one before).
//!
//! Every setting has one name, used everywhere: `database_url` in the file (or
//! `[database] url`: nested tables are joined with `_`), `PORTICO_DATABASE_URL` in the
//! environment, `--database-url` or `--set database_url=…` on the command line. [`SETTINGS`]
//! lists them all.

use portico_core::hash::HashParams;
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use thiserror::Error;
use time::Duration;

/// Why a configuration was refused. Every variant names the setting; none repeats a secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read the configuration file {path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The configuration file is not valid TOML.
    #[error("the configuration file {path} is not valid TOML: {reason}")]
    Toml {
        /// The file.
        path: String,
        /// The parser's reason.
        reason: String,
    },
    /// A setting Portico does not know (a typo, most likely).
    #[error("unknown setting `{setting}` in {origin}")]
    Unknown {
        /// The name as written.
        setting: String,
        /// Where it was written.
        origin: String,
    },
    /// A setting's value is not acceptable.
    #[error("setting `{setting}` (from {origin}) is invalid: {reason}")]
    Invalid {
        /// The setting's name.
        setting: &'static str,
        /// Where the value came from (`default`, the file, `PORTICO_…`, a flag, code).
        origin: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A setting that must be given was not.
    #[error("setting `{setting}` is required: {reason}")]
    Missing {
        /// The setting's name.
        setting: &'static str,
        /// Why, and how to give it.
        reason: String,
    },
}

impl ConfigError {
    /// The setting the error is about, if it is about one.
    pub fn setting(&self) -> Option<&str> {
        match self {
            Self::Unknown { setting, .. } => Some(setting),
            Self::Invalid { setting, .. } | Self::Missing { setting, .. } => Some(setting),
            Self::File { .. } | Self::Toml { .. } => None,
        }
    }

    fn invalid(setting: &'static str, origin: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            setting,
            origin: origin.to_string(),
            reason: reason.into(),
        }
    }
}

/// One setting: its name, default and meaning (the table in `docs/DEPLOYMENT.md`).
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Name in the file and after `--set`; `PORTICO_` + upper case in the environment.
    pub name: &'static str,
    /// The default, as text.
    pub default: &'static str,
    /// What it does.
    pub help: &'static str,
}

/// Every setting.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "listen",
        default: "127.0.0.1:8080",
        help: "address and port to listen on (port 0: any free port)",
    },
    Setting {
        name: "database_url",
        default: "sqlite://portico.db?mode=rwc",
        help: "`sqlite://path` (one node) or `postgres://user@host/db` (many nodes)",
    },
    Setting {
        name: "smtp_url",
        default: "none",
        help: "`smtp://host:port`, `?tls=starttls`, `smtps://`, optional `user:pass@`; without it mail stays in the outbox",
    },
    Setting {
        name: "smtp_sender",
        default: "Portico <portal@localhost>",
        help: "sender for agencies whose branding sets none",
    },
    Setting {
        name: "public_base_url",
        default: "http://<listen>",
        help: "the URL clients reach the server at (links in emails, allowed origin); https in production",
    },
    Setting {
        name: "session_idle_timeout",
        default: "30m",
        help: "new agencies: a session ends after this long without a request",
    },
    Setting {
        name: "session_absolute_lifetime",
        default: "12h",
        help: "new agencies: a session ends this long after sign-in",
    },
    Setting {
        name: "invitation_lifetime",
        default: "48h",
        help: "new agencies: how long an invitation link lives (1h to 14d)",
    },
    Setting {
        name: "reset_lifetime",
        default: "1h",
        help: "how long a password-reset link lives",
    },
    Setting {
        name: "code_lifetime",
        default: "10m",
        help: "how long an emailed sign-in code lives",
    },
    Setting {
        name: "argon2_memory_kib",
        default: "19456",
        help: "argon2id memory (m), KiB (8..=262144)",
    },
    Setting {
        name: "argon2_iterations",
        default: "2",
        help: "argon2id passes (t) (1..=16)",
    },
    Setting {
        name: "argon2_parallelism",
        default: "1",
        help: "argon2id lanes (p) (1..=16)",
    },
    Setting {
        name: "host_data_source",
        default: "demo with --demo, else required",
        help: "`demo` (built-in demo data) or `http` (the CRM's endpoints, docs/HOST-DATA.md)",
    },
    Setting {
        name: "host_data_url",
        default: "none",
        help: "with `http`: the CRM's base URL (https; http only with host_data_allow_plain_http)",
    },
    Setting {
        name: "host_data_auth_header",
        default: "none",
        help: "with `http`: `Name: value` sent on every call (a secret; never logged)",
    },
    Setting {
        name: "host_data_allow_plain_http",
        default: "false",
        help: "allow an `http://` CRM URL (a CRM on the same host)",
    },
    Setting {
        name: "csrf_secret",
        default: "demo: generated into a file next to the database; else required",
        help: "32+ bytes as hex (64 hex digits) or base64; the same on every node",
    },
    Setting {
        name: "csrf_secret_file",
        default: "none",
        help: "a file holding csrf_secret (instead of the value itself)",
    },
    Setting {
        name: "log_format",
        default: "pretty",
        help: "`pretty` or `json`; the level comes from RUST_LOG (default info)",
    },
    Setting {
        name: "trusted_proxies",
        default: "0",
        help: "reverse proxies in front that append to X-Forwarded-For (0: use the peer address)",
    },
    Setting {
        name: "secure_cookies",
        default: "true when public_base_url is https",
        help: "`__Host-` cookies with `Secure` (off only for plain-HTTP development)",
    },
    Setting {
        name: "rate_limits",
        default: "true",
        help: "per-address rate limits in front of core's throttling (off for load tests)",
    },
    Setting {
        name: "shutdown_grace",
        default: "10s",
        help: "on SIGINT/SIGTERM, how long in-flight requests may take before the server stops",
    },
];

/// Where the widgets' data comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum HostDataSource {
    /// The built-in demo CRM.
    Demo,
    /// The CRM's HTTP endpoints (`docs/HOST-DATA.md`).
    Http {
        /// Base URL.
        url: String,
        /// A header sent on every call (name, value).
        auth_header: Option<(String, String)>,
        /// Allow `http://`.
        allow_plain_http: bool,
    },
}

impl fmt::Debug for HostDataSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Demo => f.write_str("Demo"),
            Self::Http {
                url,
                auth_header,
                allow_plain_http,
            } => f
                .debug_struct("Http")
                .field("url", url)
                .field(
                    "auth_header",
                    &auth_header
                        .as_ref()
                        .map(|(n, _)| format!("{n}: <redacted>")),
                )
                .field("allow_plain_http", allow_plain_http)
                .finish(),
        }
    }
}

/// The log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Pretty,
    /// One JSON object a line.
    Json,
}

/// A CSRF secret (at least 32 bytes). `Debug` prints nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The whole configuration. `Config::default()` is the embedded single-node setup; every field
/// can be set in code (tests use port 0 and `sqlite::memory:`).
#[derive(Debug, Clone)]
pub struct Config {
    /// Demo mode: the demo agency, its data and the `/demo` pages.
    pub demo: bool,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// SMTP server; `None` leaves mail in the outbox.
    pub smtp_url: Option<String>,
    /// Default sender address.
    pub smtp_sender: String,
    /// Public base URL (no trailing slash); `None`: `http://` + the bound address.
    pub public_base_url: Option<String>,
    /// Idle timeout of sessions, for agencies created by this server.
    pub session_idle_timeout: Duration,
    /// Absolute session lifetime, for agencies created by this server.
    pub session_absolute_lifetime: Duration,
    /// Invitation link lifetime, for agencies created by this server.
    pub invitation_lifetime: Duration,
    /// Reset link lifetime.
    pub reset_lifetime: Duration,
    /// Emailed code lifetime.
    pub code_lifetime: Duration,
    /// argon2id parameters.
    pub argon2: HashParams,
    /// Host data.
    pub host_data: HostDataSource,
    /// The CSRF secret; `None`: generated into a file in demo mode, an error otherwise.
    pub csrf_secret: Option<Secret>,
    /// Log format.
    pub log_format: LogFormat,
    /// Trusted reverse proxies (0: none).
    pub trusted_proxies: u8,
    /// `Secure` `__Host-` cookies; `None`: when `public_base_url` is https.
    pub secure_cookies: Option<bool>,
    /// Per-address rate limits on.
    pub rate_limits: bool,
    /// Bound on in-flight requests at shutdown.
    pub shutdown_grace: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            demo: false,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://portico.db?mode=rwc".into(),
            smtp_url: None,
            smtp_sender: "Portico <portal@localhost>".into(),
            public_base_url: None,
            session_idle_timeout: Duration::minutes(30),
            session_absolute_lifetime: Duration::hours(12),
            invitation_lifetime: Duration::hours(48),
            reset_lifetime: Duration::hours(1),
            code_lifetime: Duration::minutes(10),
            argon2: HashParams::default(),
            host_data: HostDataSource::Demo,
            csrf_secret: None,
            log_format: LogFormat::Pretty,
            trusted_proxies: 0,
            secure_cookies: None,
            rate_limits: true,
            shutdown_grace: std::time::Duration::from_secs(10),
        }
    }
}

/// The storage a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Config {
    /// Which store `database_url` names.
    pub fn database(&self) -> Result<Database, ConfigError> {
        database_kind(&self.database_url)
            .ok_or_else(|| ConfigError::invalid("database_url", "code", DB_REASON))
    }

    /// The public base URL, given the bound address.
    pub fn public_base_url_for(&self, bound: SocketAddr) -> String {
        match &self.public_base_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{bound}"),
        }
    }

    /// Whether cookies are `Secure`, given the public base URL.
    pub fn secure_cookies_for(&self, public_base_url: &str) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| public_base_url.starts_with("https://"))
    }

    /// Checks every value (also for a configuration built in code).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let code = "the configuration";
        self.database()?;
        if let Some(url) = &self.smtp_url {
            portico_smtp::config::SmtpConfig::from_url(url)
                .map_err(|e| ConfigError::invalid("smtp_url", code, e.to_string()))?;
        }
        if !self.smtp_sender.contains('@') {
            return Err(ConfigError::invalid(
                "smtp_sender",
                code,
                "expected `name@domain` or `Name <name@domain>`",
            ));
        }
        if let Some(u) = &self.public_base_url {
            check_base_url(u).map_err(|r| ConfigError::invalid("public_base_url", code, r))?;
        }
        let ranges: [(&'static str, Duration, Duration, Duration); 5] = [
            (
                "session_idle_timeout",
                self.session_idle_timeout,
                Duration::minutes(1),
                Duration::days(30),
            ),
            (
                "session_absolute_lifetime",
                self.session_absolute_lifetime,
                Duration::minutes(5),
                Duration::days(90),
            ),
            (
                "invitation_lifetime",
                self.invitation_lifetime,
                Duration::hours(1),
                Duration::days(14),
            ),
            (
                "reset_lifetime",
                self.reset_lifetime,
                Duration::minutes(5),
                Duration::days(1),
            ),
            (
                "code_lifetime",
                self.code_lifetime,
                Duration::minutes(1),
                Duration::hours(1),
            ),
        ];
        for (name, value, min, max) in ranges {
            if value < min || value > max {
                return Err(ConfigError::invalid(
                    name,
                    code,
                    format!("must be between {} and {}", show(min), show(max)),
                ));
            }
        }
        if self.session_absolute_lifetime < self.session_idle_timeout {
            return Err(ConfigError::invalid(
                "session_absolute_lifetime",
                code,
                "must not be shorter than session_idle_timeout",
            ));
        }
        let a = self.argon2;
        if !(8..=HashParams::MAX.memory_kib).contains(&a.memory_kib)
            || a.memory_kib < 8 * a.parallelism
        {
            return Err(ConfigError::invalid(
                "argon2_memory_kib",
                code,
                "must be between 8 × parallelism and 262144 KiB",
            ));
        }
        if !(1..=HashParams::MAX.iterations).contains(&a.iterations) {
            return Err(ConfigError::invalid(
                "argon2_iterations",
                code,
                "must be between 1 and 16",
            ));
        }
        if !(1..=HashParams::MAX.parallelism).contains(&a.parallelism) {
            return Err(ConfigError::invalid(
                "argon2_parallelism",
                code,
                "must be between 1 and 16",
            ));
        }
        if let HostDataSource::Http {
            url,
            allow_plain_http,
            ..
        } = &self.host_data
        {
            let ok =
                url.starts_with("https://") || (*allow_plain_http && url.starts_with("http://"));
            if !ok || url.len() < 10 {
                return Err(ConfigError::invalid(
                    "host_data_url",
                    code,
                    "expected an https:// URL (http:// only with host_data_allow_plain_http)",
                ));
            }
        }
        if let Some(s) = &self.csrf_secret
            && s.0.len() < 32
        {
            return Err(ConfigError::invalid(
                "csrf_secret",
                code,
                "must be at least 32 bytes",
            ));
        }
        if self.shutdown_grace > std::time::Duration::from_secs(600) {
            return Err(ConfigError::invalid(
                "shutdown_grace",
                code,
                "must be at most 10 minutes",
            ));
        }
        Ok(())
    }

    /// Where demo mode keeps its generated CSRF secret: next to the SQLite file, else in the
    /// working directory. `None` for an in-memory database (the secret lives in memory).
    pub fn demo_secret_path(&self) -> Option<PathBuf> {
        let url = &self.database_url;
        if url.contains(":memory:") || url.contains("mode=memory") {
            return None;
        }
        let file = "portico-csrf.key";
        match database_kind(url) {
            Some(Database::Sqlite) => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                let dir = Path::new(path).parent().unwrap_or(Path::new(""));
                Some(dir.join(file))
            }
            _ => Some(PathBuf::from(file)),
        }
    }
}

const DB_REASON: &str = "expected sqlite://path (sqlite::memory: for a throw-away database) or postgres://user@host:port/db";

fn database_kind(url: &str) -> Option<Database> {
    if url.starts_with("sqlite:") && url.len() > "sqlite:".len() {
        Some(Database::Sqlite)
    } else if (url.starts_with("postgres://") || url.starts_with("postgresql://"))
        && url.len() > "postgres://".len()
    {
        Some(Database::Postgres)
    } else {
        None
    }
}

fn check_base_url(u: &str) -> Result<(), String> {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or("expected http://host[:port] or https://host[:port]")?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || rest.contains('?') || rest.contains('#') || rest.contains(' ') {
        return Err("expected http(s)://host[:port][/path], without query or fragment".into());
    }
    Ok(())
}

fn show(d: Duration) -> String {
    let s = d.whole_seconds();
    if s % 86_400 == 0 {
        format!("{}d", s / 86_400)
    } else if s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// Parses `90s`, `30m`, `12h`, `14d` or a number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let reason = || format!("expected a duration such as 90s, 30m, 12h or 14d, not `{s}`");
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: i64 = num.parse().map_err(|_| reason())?;
    let secs = match unit.trim() {
        "s" => n,
        "m" => n.checked_mul(60).ok_or_else(reason)?,
        "h" => n.checked_mul(3600).ok_or_else(reason)?,
        "d" => n.checked_mul(86_400).ok_or_else(reason)?,
        _ => return Err(reason()),
    };
    Ok(Duration::seconds(secs))
}

/// Decodes a secret given as hex (even number of hex digits) or base64 (standard or URL-safe,
/// padded or not).
pub fn decode_secret(s: &str) -> Result<Vec<u8>, String> {
    use base64ct::Encoding;
    let s = s.trim();
    let reason = "expected at least 32 bytes as hex (64 hex digits) or base64";
    let bytes =
        if s.len().is_multiple_of(2) && !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| reason.to_string())?
        } else {
            base64ct::Base64::decode_vec(s)
                .or_else(|_| base64ct::Base64Unpadded::decode_vec(s))
                .or_else(|_| base64ct::Base64Url::decode_vec(s))
                .or_else(|_| base64ct::Base64UrlUnpadded::decode_vec(s))
                .map_err(|_| reason.to_string())?
        };
    if bytes.len() < 32 {
        return Err(reason.into());
    }
    Ok(bytes)
}

/// Hex of bytes (for the generated demo secret).
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Raw settings as text, each with where it came from; later layers override earlier ones.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    values: BTreeMap<&'static str, (String, String)>,
}

fn known(name: &str) -> Option<&'static str> {
    SETTINGS.iter().find(|s| s.name == name).map(|s| s.name)
}

impl Layers {
    /// No settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one value; an unknown name is an error naming it.
    pub fn set(&mut self, name: &str, value: &str, origin: &str) -> Result<(), ConfigError> {
        let key = known(name).ok_or_else(|| ConfigError::Unknown {
            setting: name.to_string(),
            origin: origin.to_string(),
        })?;
        self.values
            .insert(key, (value.to_string(), origin.to_string()));
        Ok(())
    }

    /// Adds a TOML document (nested tables flattened with `_`: `[argon2] memory_kib` is
    /// `argon2_memory_kib`).
    pub fn add_toml(&mut self, text: &str, path: &str) -> Result<(), ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Toml {
            path: path.to_string(),
            reason: e.message().to_string(),
        })?;
        self.add_table("", &table, path)
    }

    fn add_table(
        &mut self,
        prefix: &str,
        table: &toml::Table,
        path: &str,
    ) -> Result<(), ConfigError> {
        for (k, v) in table {
            let name = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}_{k}")
            };
            let text = match v {
                toml::Value::Table(t) => {
                    self.add_table(&name, t, path)?;
                    continue;
                }
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Float(f) => f.to_string(),
                _ => {
                    let key = known(&name).ok_or_else(|| ConfigError::Unknown {
                        setting: name.clone(),
                        origin: path.to_string(),
                    })?;
                    return Err(ConfigError::invalid(
                        key,
                        path,
                        "expected a string, a number or a boolean",
                    ));
                }
            };
            self.set(&name, &text, path)?;
        }
        Ok(())
    }

    /// Reads a TOML file.
    pub fn add_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        self.add_toml(&text, &shown)
    }

    /// Adds `PORTICO_<NAME>` variables from `vars` (other variables are ignored, including
    /// other `PORTICO_*` ones such as the test suites').
    pub fn add_env(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        for (k, v) in vars {
            let Some(rest) = k.strip_prefix("PORTICO_") else {
                continue;
            };
            let name = rest.to_ascii_lowercase();
            if let Some(key) = known(&name) {
                self.values.insert(key, (v, k.clone()));
            }
        }
    }

    /// Builds the configuration for `serve` over the defaults and checks it.
    pub fn resolve(&self, demo: bool) -> Result<Config, ConfigError> {
        self.resolve_inner(demo, true)
    }

    /// Builds the configuration for commands that only touch the database
    /// (`create-agency`): the host data source and the CSRF secret are not required.
    pub fn resolve_admin(&self) -> Result<Config, ConfigError> {
        self.resolve_inner(false, false)
    }

    fn resolve_inner(&self, demo: bool, serving: bool) -> Result<Config, ConfigError> {
        let mut c = Config {
            demo,
            ..Config::default()
        };
        let get = |k: &'static str| self.values.get(k).map(|(v, o)| (v.as_str(), o.as_str()));
        let dur = |k: &'static str, target: &mut Duration| -> Result<(), ConfigError> {
            if let Some((v, o)) = get(k) {
                *target = parse_duration(v).map_err(|r| ConfigError::invalid(k, o, r))?;
            }
            Ok(())
        };
        let boolean = |k: &'static str| -> Result<Option<bool>, ConfigError> {
            match get(k) {
                None => Ok(None),
                Some((v, o)) => match v.trim() {
                    "true" | "1" | "yes" | "on" => Ok(Some(true)),
                    "false" | "0" | "no" | "off" => Ok(Some(false)),
                    _ => Err(ConfigError::invalid(k, o, "expected true or false")),
                },
            }
        };
        let number = |k: &'static str| -> Result<Option<u32>, ConfigError> {
            match get(k) {
                None => Ok(None),
                Some((v, o)) => v
                    .trim()
                    .parse::<u32>()
                    .map(Some)
                    .map_err(|_| ConfigError::invalid(k, o, "expected a whole number")),
            }
        };
        if let Some((v, o)) = get("listen") {
            c.listen = v.trim().parse().map_err(|_| {
                ConfigError::invalid("listen", o, "expected ip:port, such as 127.0.0.1:8080")
            })?;
        }
        if let Some((v, o)) = get("database_url") {
            if database_kind(v.trim()).is_none() {
                return Err(ConfigError::invalid("database_url", o, DB_REASON));
            }
            c.database_url = v.trim().to_string();
        }
        if let Some((v, o)) = get("smtp_url") {
            let v = v.trim();
            if !v.is_empty() && v != "none" {
                portico_smtp::config::SmtpConfig::from_url(v)
                    .map_err(|e| ConfigError::invalid("smtp_url", o, e.to_string()))?;
                c.smtp_url = Some(v.to_string());
            }
        }
        if let Some((v, o)) = get("smtp_sender") {
            if !v.contains('@') {
                return Err(ConfigError::invalid(
                    "smtp_sender",
                    o,
                    "expected `name@domain` or `Name <name@domain>`",
                ));
            }
            c.smtp_sender = v.trim().to_string();
        }
        if let Some((v, o)) = get("public_base_url") {
            let v = v.trim().trim_end_matches('/');
            check_base_url(v).map_err(|r| ConfigError::invalid("public_base_url", o, r))?;
            c.public_base_url = Some(v.to_string());
        }
        dur("session_idle_timeout", &mut c.session_idle_timeout)?;
        dur(
            "session_absolute_lifetime",
            &mut c.session_absolute_lifetime,
        )?;
        dur("invitation_lifetime", &mut c.invitation_lifetime)?;
        dur("reset_lifetime", &mut c.reset_lifetime)?;
        dur("code_lifetime", &mut c.code_lifetime)?;
        if let Some(n) = number("argon2_memory_kib")? {
            c.argon2.memory_kib = n;
        }
        if let Some(n) = number("argon2_iterations")? {
            c.argon2.iterations = n;
        }
        if let Some(n) = number("argon2_parallelism")? {
            c.argon2.parallelism = n;
        }
        match get("host_data_source") {
            None if demo || !serving => c.host_data = HostDataSource::Demo,
            None => {
                return Err(ConfigError::Missing {
                    setting: "host_data_source",
                    reason: "without --demo, say where widget data comes from: `demo` or `http` \
                             (with host_data_url)"
                        .into(),
                });
            }
            Some((v, o)) => match v.trim() {
                "demo" => c.host_data = HostDataSource::Demo,
                "http" => {
                    let (url, _) = get("host_data_url").ok_or(ConfigError::Missing {
                        setting: "host_data_url",
                        reason: "host_data_source = \"http\" needs the CRM's base URL".into(),
                    })?;
                    let auth_header = match get("host_data_auth_header") {
                        None => None,
                        Some((h, ho)) => {
                            let (n, val) = h.split_once(':').ok_or_else(|| {
                                ConfigError::invalid(
                                    "host_data_auth_header",
                                    ho,
                                    "expected `Header-Name: value`",
                                )
                            })?;
                            let n = n.trim();
                            if n.is_empty()
                                || http::HeaderName::from_bytes(n.as_bytes()).is_err()
                                || http::HeaderValue::from_str(val.trim()).is_err()
                            {
                                return Err(ConfigError::invalid(
                                    "host_data_auth_header",
                                    ho,
                                    "expected `Header-Name: value`",
                                ));
                            }
                            Some((n.to_string(), val.trim().to_string()))
                        }
                    };
                    c.host_data = HostDataSource::Http {
                        url: url.trim().trim_end_matches('/').to_string(),
                        auth_header,
                        allow_plain_http: boolean("host_data_allow_plain_http")?.unwrap_or(false),
                    };
                }
                _ => {
                    return Err(ConfigError::invalid(
                        "host_data_source",
                        o,
                        "expected `demo` or `http`",
                    ));
                }
            },
        }
        match (get("csrf_secret"), get("csrf_secret_file")) {
            (Some((v, o)), _) => {
                c.csrf_secret = Some(Secret(
                    decode_secret(v).map_err(|r| ConfigError::invalid("csrf_secret", o, r))?,
                ));
            }
            (None, Some((path, o))) => {
                let text = std::fs::read_to_string(path.trim()).map_err(|e| {
                    ConfigError::invalid("csrf_secret_file", o, format!("cannot read: {e}"))
                })?;
                c.csrf_secret =
                    Some(Secret(decode_secret(&text).map_err(|r| {
                        ConfigError::invalid("csrf_secret_file", o, r)
                    })?));
            }
            (None, None) if !demo && serving => {
                return Err(ConfigError::Missing {
                    setting: "csrf_secret",
                    reason: "give 32 random bytes (hex or base64), the same on every node, \
                             in PORTICO_CSRF_SECRET or csrf_secret_file (e.g. `openssl rand -hex 32`)"
                        .into(),
                });
            }
            (None, None) => {}
        }
        if let Some((v, o)) = get("log_format") {
            c.log_format = match v.trim() {
                "pretty" => LogFormat::Pretty,
                "json" => LogFormat::Json,
                _ => {
                    return Err(ConfigError::invalid(
                        "log_format",
                        o,
                        "expected `pretty` or `json`",
                    ));
                }
            };
        }
        if let Some((v, o)) = get("trusted_proxies") {
            c.trusted_proxies = v.trim().parse().map_err(|_| {
                ConfigError::invalid("trusted_proxies", o, "expected a number from 0 to 255")
            })?;
        }
        c.secure_cookies = boolean("secure_cookies")?;
        if let Some(b) = boolean("rate_limits")? {
            c.rate_limits = b;
        }
        if let Some((v, o)) = get("shutdown_grace") {
            let d = parse_duration(v).map_err(|r| ConfigError::invalid("shutdown_grace", o, r))?;
            c.shutdown_grace = std::time::Duration::from_secs(d.whole_seconds().max(0) as u64);
        }
        // Range checks, naming the layer a value came from.
        c.validate().map_err(|e| match e {
            ConfigError::Invalid {
                setting, reason, ..
            } => ConfigError::Invalid {
                setting,
                origin: get(setting)
                    .map(|(_, o)| o.to_string())
                    .unwrap_or_else(|| "default".into()),
                reason,
            },
            other => other,
        })?;
        Ok(c)
    }
}
