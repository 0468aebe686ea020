//! The HTTP layer's configuration.

use std::fmt;
use std::num::NonZeroU32;
use thiserror::Error;

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No configuration was given to the builder.
    #[error("an HttpConfig is required")]
    Missing,
    /// The CSRF secret is shorter than 32 bytes.
    #[error("the CSRF secret must be at least 32 bytes")]
    WeakCsrfSecret,
    /// The body limit is below 1 KiB or above 16 MiB.
    #[error("the body limit must be between 1 KiB and 16 MiB")]
    BodyLimit,
    /// A trusted proxy count of zero.
    #[error("a trusted proxy setting needs at least one proxy")]
    ProxyCount,
    /// An extra origin is not `scheme://host[:port]`.
    #[error("an allowed origin must be scheme://host[:port] without a path")]
    Origin,
    /// The answer floor is above 5 seconds.
    #[error("the answer floor must be at most 5 seconds")]
    AnswerFloor,
    /// The page templates failed to load (a bug: they are embedded).
    #[error("page templates failed to load: {0}")]
    Templates(String),
}

/// The key of the CSRF tokens' HMAC: at least 32 random bytes, the same on every node of a
/// deployment. `Debug` prints nothing of it.
#[derive(Clone)]
pub struct CsrfSecret(Vec<u8>);

impl CsrfSecret {
    /// Wraps a secret of at least 32 bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, ConfigError> {
        let bytes = bytes.into();
        if bytes.len() < 32 {
            return Err(ConfigError::WeakCsrfSecret);
        }
        Ok(Self(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for CsrfSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfSecret(<redacted>)")
    }
}

/// Where the client's address comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrustedProxy {
    /// No proxy is trusted: the address is the connection's (axum's `ConnectInfo`) or the
    /// [`ClientAddress`](crate::ClientAddress) extension set by the host. `X-Forwarded-For` is
    /// ignored. The default.
    #[default]
    None,
    /// `proxies` reverse proxies that each append to `X-Forwarded-For` stand in front of
    /// Portico: the client is the `proxies`-th address from the right. Entries further left
    /// were written by the client and are never trusted. Falls back to the connection's
    /// address when the header has fewer entries.
    ForwardedFor {
        /// Number of trusted proxies (at least 1).
        proxies: u8,
    },
}

/// A per-address limit: `per_minute` requests a minute on average, bursts of `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained rate.
    pub per_minute: NonZeroU32,
    /// Requests allowed at once.
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// A limit of `per_minute` a minute with bursts of `burst` (zero is taken as one).
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_minute: NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// The per-address limits, applied before any route (answered 429 with `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Every request to the pages and the client API (default 300 a minute, bursts of 100).
    pub general: Option<RateLimit>,
    /// Requests that are not GET or HEAD to the pages and the client API: sign-in, codes,
    /// resets, activation (default 30 a minute, bursts of 20). Core's throttling per login
    /// name and per address stands behind it.
    pub sensitive: Option<RateLimit>,
    /// Requests to the admin API (none by default: a CRM calls from one address, and keys are
    /// unguessable).
    pub admin: Option<RateLimit>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            general: Some(RateLimit::new(300, 100)),
            sensitive: Some(RateLimit::new(30, 20)),
            admin: None,
        }
    }
}

impl RateLimits {
    /// No per-address limit at all (core's throttling still applies).
    pub fn none() -> Self {
        Self {
            general: None,
            sensitive: None,
            admin: None,
        }
    }
}

/// The HTTP layer's settings.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Key of the CSRF tokens.
    pub csrf_secret: CsrfSecret,
    /// Where the client address comes from.
    pub trusted_proxy: TrustedProxy,
    /// Largest request body accepted, in bytes (default 64 KiB); larger answers 413.
    pub body_limit: usize,
    /// Per-address rate limits.
    pub rate_limits: RateLimits,
    /// Cookies with `Secure` and the `__Host-` prefix (default `true`). Turn off only for
    /// local development over plain HTTP: browsers refuse `__Host-` cookies without `Secure`.
    pub secure_cookies: bool,
    /// Origins besides each agency's portal origin (from its `portal_base_url`) from which
    /// browsers may post forms and API calls (`https://crm.example`).
    pub extra_origins: Vec<String>,
    /// The soonest a forgotten-password or sign-in-code request is answered after it arrives
    /// (default 250 ms; at most 5 s). For an existing account such a request commits a link
    /// or code, its mail and audit; for an unknown one core does decoy work that writes less.
    /// Answering every such request at the same moment keeps the difference out of the
    /// response time (checklist 16). Zero turns the floor off (tests).
    pub answer_floor: std::time::Duration,
}

impl HttpConfig {
    /// The defaults, with the given CSRF secret (at least 32 bytes).
    pub fn new(csrf_secret: impl Into<Vec<u8>>) -> Result<Self, ConfigError> {
        Ok(Self {
            csrf_secret: CsrfSecret::new(csrf_secret)?,
            trusted_proxy: TrustedProxy::None,
            body_limit: 64 * 1024,
            rate_limits: RateLimits::default(),
            secure_cookies: true,
            extra_origins: Vec::new(),
            answer_floor: std::time::Duration::from_millis(250),
        })
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1024..=16 * 1024 * 1024).contains(&self.body_limit) {
            return Err(ConfigError::BodyLimit);
        }
        if self.trusted_proxy == (TrustedProxy::ForwardedFor { proxies: 0 }) {
            return Err(ConfigError::ProxyCount);
        }
        if self.answer_floor > std::time::Duration::from_secs(5) {
            return Err(ConfigError::AnswerFloor);
        }
        for o in &self.extra_origins {
            if crate::security::origin_of(o).as_deref() != Some(o.trim_end_matches('/')) {
                return Err(ConfigError::Origin);
            }
        }
        Ok(())
    }
}
