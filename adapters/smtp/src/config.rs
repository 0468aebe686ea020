//! The SMTP connection, configured from one URL.
//!
//! ```text
//! smtp://host[:port]                      no TLS (port 25; for a local relay or tests)
//! smtp://host:587?tls=starttls            STARTTLS, required
//! smtp://host:587?tls=opportunistic       STARTTLS if the server offers it
//! smtps://host[:port]                     implicit TLS (port 465)
//! smtps://user:pa%40ss@host               with credentials (percent-encoded)
//! ```
//!
//! Other query parameters: `timeout` (seconds per SMTP command, default 30), `pool_max`
//! (connections kept, default 4), `pool_idle` (seconds an idle connection is kept, default
//! 60), `helo` (the name sent in `EHLO`, default this machine's host name).
//!
//! Errors name the part of the URL that is wrong, never its value: a URL carries a password.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsMode {
    /// Plain text (local relays and tests only).
    None,
    /// STARTTLS if offered, else plain text.
    Opportunistic,
    /// STARTTLS, required: the connection fails if the server does not offer it.
    StartTls,
    /// TLS from the first byte (`smtps://`, port 465).
    Implicit,
}

/// A malformed SMTP URL. Never echoes the URL (it may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SmtpConfigError {
    /// The scheme is neither `smtp` nor `smtps`.
    #[error("SMTP URL must start with smtp:// or smtps://")]
    Scheme,
    /// The host is missing or malformed.
    #[error("SMTP URL has no valid host")]
    Host,
    /// The port is not a number from 1 to 65535.
    #[error("SMTP URL has an invalid port")]
    Port,
    /// The user name or password is not valid percent-encoded UTF-8.
    #[error("SMTP URL has malformed credentials")]
    Credentials,
    /// A path or fragment was given (none is expected).
    #[error("SMTP URL must not have a path or fragment")]
    Path,
    /// A query parameter is unknown (its name is not repeated either).
    #[error("SMTP URL has an unknown parameter (known: tls, timeout, pool_max, pool_idle, helo)")]
    UnknownParameter,
    /// A query parameter has an invalid value (the value is not repeated).
    #[error("SMTP URL parameter `{0}` has an invalid value")]
    InvalidParameter(&'static str),
    /// `tls=…` contradicts the scheme (`smtps://` is always implicit TLS).
    #[error("SMTP URL: smtps:// is implicit TLS; `tls` may not say otherwise")]
    TlsConflict,
    /// The default sender is not a valid mailbox.
    #[error("default sender is not a valid email address")]
    Sender,
    /// TLS could not be set up (no usable root certificates, …).
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

/// A parsed SMTP URL.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Server host name or address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// TLS mode.
    pub tls: TlsMode,
    /// User name and password, if the server wants them.
    pub credentials: Option<(String, String)>,
    /// Time limit of each SMTP command (connecting included).
    pub timeout: Duration,
    /// Most pooled connections.
    pub pool_max: u32,
    /// How long an idle pooled connection is kept.
    pub pool_idle: Duration,
    /// The name given in `EHLO`, if not this machine's.
    pub helo: Option<String>,
}

impl fmt::Debug for SmtpConfig {
    /// Shows everything but the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|(u, _)| (u, "<redacted>")),
            )
            .field("timeout", &self.timeout)
            .field("pool_max", &self.pool_max)
            .field("pool_idle", &self.pool_idle)
            .field("helo", &self.helo)
            .finish()
    }
}

impl FromStr for SmtpConfig {
    type Err = SmtpConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_url(s)
    }
}

impl SmtpConfig {
    /// Parses an SMTP URL (see the [module docs](self)).
    pub fn from_url(url: &str) -> Result<Self, SmtpConfigError> {
        let url = url.trim();
        let (scheme, rest) = url.split_once("://").ok_or(SmtpConfigError::Scheme)?;
        let implicit = match scheme.to_ascii_lowercase().as_str() {
            "smtp" => false,
            "smtps" => true,
            _ => return Err(SmtpConfigError::Scheme),
        };
        if rest.contains('#') {
            return Err(SmtpConfigError::Path);
        }
        let (authority_path, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let authority = match authority_path.split_once('/') {
            Some((a, "")) => a,
            Some(_) => return Err(SmtpConfigError::Path),
            None => authority_path,
        };
        // Credentials end at the last '@' (a password may hold an unencoded '@').
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let credentials = match userinfo {
            None => None,
            Some(u) => {
                let (user, pass) = u.split_once(':').unwrap_or((u, ""));
                let user = percent_decode(user).ok_or(SmtpConfigError::Credentials)?;
                let pass = percent_decode(pass).ok_or(SmtpConfigError::Credentials)?;
                if user.is_empty() {
                    return Err(SmtpConfigError::Credentials);
                }
                Some((user, pass))
            }
        };
        let (host, port) = split_host_port(hostport)?;
        let mut config = SmtpConfig {
            host,
            port: port.unwrap_or(if implicit { 465 } else { 25 }),
            tls: if implicit {
                TlsMode::Implicit
            } else {
                TlsMode::None
            },
            credentials,
            timeout: Duration::from_secs(30),
            pool_max: 4,
            pool_idle: Duration::from_secs(60),
            helo: None,
        };
        for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "tls" => {
                    let mode = match value.to_ascii_lowercase().as_str() {
                        "none" | "off" => TlsMode::None,
                        "opportunistic" => TlsMode::Opportunistic,
                        "starttls" | "required" => TlsMode::StartTls,
                        "implicit" | "wrapper" => TlsMode::Implicit,
                        _ => return Err(SmtpConfigError::InvalidParameter("tls")),
                    };
                    if implicit && mode != TlsMode::Implicit {
                        return Err(SmtpConfigError::TlsConflict);
                    }
                    if mode == TlsMode::Implicit && port.is_none() {
                        config.port = 465;
                    }
                    config.tls = mode;
                }
                "timeout" => {
                    let secs: u64 = value
                        .parse()
                        .ok()
                        .filter(|s| (1..=600).contains(s))
                        .ok_or(SmtpConfigError::InvalidParameter("timeout"))?;
                    config.timeout = Duration::from_secs(secs);
                }
                "pool_max" => {
                    config.pool_max = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=100).contains(n))
                        .ok_or(SmtpConfigError::InvalidParameter("pool_max"))?;
                }
                "pool_idle" => {
                    let secs: u64 = value
                        .parse()
                        .ok()
                        .filter(|s| (1..=3600).contains(s))
                        .ok_or(SmtpConfigError::InvalidParameter("pool_idle"))?;
                    config.pool_idle = Duration::from_secs(secs);
                }
                "helo" => {
                    let ok = !value.is_empty()
                        && value.len() <= 253
                        && value
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
                    if !ok {
                        return Err(SmtpConfigError::InvalidParameter("helo"));
                    }
                    config.helo = Some(value.to_owned());
                }
                _ => return Err(SmtpConfigError::UnknownParameter),
            }
        }
        Ok(config)
    }
}

fn split_host_port(s: &str) -> Result<(String, Option<u16>), SmtpConfigError> {
    let parse_port = |p: &str| -> Result<Option<u16>, SmtpConfigError> {
        match p.parse::<u16>() {
            Ok(0) | Err(_) => Err(SmtpConfigError::Port),
            Ok(n) => Ok(Some(n)),
        }
    };
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (h, rest) = v6.split_once(']').ok_or(SmtpConfigError::Host)?;
        let port = match rest {
            "" => None,
            r => parse_port(r.strip_prefix(':').ok_or(SmtpConfigError::Host)?)?,
        };
        (h, port)
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, parse_port(p)?),
            None => (s, None),
        }
    };
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':' | b'_'));
    if !ok {
        return Err(SmtpConfigError::Host);
    }
    Ok((host.to_owned(), port))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_url() {
        let c = SmtpConfig::from_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls),
            ("127.0.0.1", 2525, TlsMode::None)
        );
        assert_eq!(c.credentials, None);
        assert_eq!(
            SmtpConfig::from_url("smtp://mail.example.com/")
                .unwrap()
                .port,
            25
        );
    }

    #[test]
    fn tls_modes_and_ports() {
        let c = SmtpConfig::from_url("smtps://mail.example.com").unwrap();
        assert_eq!((c.port, c.tls), (465, TlsMode::Implicit));
        let c = SmtpConfig::from_url("smtp://mail.example.com:587?tls=starttls").unwrap();
        assert_eq!((c.port, c.tls), (587, TlsMode::StartTls));
        let c = SmtpConfig::from_url("smtp://mail.example.com?tls=opportunistic").unwrap();
        assert_eq!(c.tls, TlsMode::Opportunistic);
        assert_eq!(
            SmtpConfig::from_url("smtps://mail.example.com?tls=starttls"),
            Err(SmtpConfigError::TlsConflict)
        );
        let c = SmtpConfig::from_url("smtp://[::1]:2525").unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 2525));
    }

    #[test]
    fn credentials_and_parameters() {
        let c = SmtpConfig::from_url(
            "smtps://user%40example.com:p%40ss:w@rd@mail.example.com:465?timeout=10&pool_max=2&pool_idle=5&helo=portal.example.com",
        )
        .unwrap();
        assert_eq!(
            c.credentials,
            Some(("user@example.com".into(), "p@ss:w@rd".into()))
        );
        assert_eq!(c.host, "mail.example.com");
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert_eq!(c.pool_max, 2);
        assert_eq!(c.pool_idle, Duration::from_secs(5));
        assert_eq!(c.helo.as_deref(), Some("portal.example.com"));
        assert!(!format!("{c:?}").contains("p@ss"));
    }

    #[test]
    fn errors_never_echo_the_password() {
        let secret = "hunter2-SECRET";
        let bad = [
            format!("http://u:{secret}@h"),
            format!("smtp://u:{secret}@h:notaport"),
            format!("smtp://u:{secret}@h:0"),
            format!("smtp://u:{secret}@"),
            format!("smtp://u:{secret}%zz@h"),
            format!("smtp://u:{secret}@h/path"),
            format!("smtp://u:{secret}@h?tls={secret}"),
            format!("smtp://u:{secret}@h?{secret}=1"),
            format!("smtp://u:{secret}@h?timeout=0"),
            format!("smtp://u:{secret}@h h"),
        ];
        for url in bad {
            let e = SmtpConfig::from_url(&url).unwrap_err();
            assert!(!e.to_string().contains("hunter2"), "{e}");
            assert!(!format!("{e:?}").contains("hunter2"), "{e:?}");
        }
    }
}
