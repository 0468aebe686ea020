//! Per-address rate limits (GCRA, by `governor`), checked before any route. Core's throttling
//! per login name and per address stands behind them; these only keep a flood off the
//! expensive paths.

use crate::config::{RateLimit, RateLimits};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Pages and client API, safe methods.
    General,
    /// Pages and client API, unsafe methods (also counts as general).
    Sensitive,
    /// Admin API.
    Admin,
}

struct Limiter {
    inner: DefaultKeyedRateLimiter<IpAddr>,
}

impl Limiter {
    fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        Self {
            inner: RateLimiter::keyed(quota),
        }
    }
}

/// The deployment's limiters.
pub(crate) struct Limiters {
    general: Option<Limiter>,
    sensitive: Option<Limiter>,
    admin: Option<Limiter>,
    clock: DefaultClock,
    checks: AtomicU64,
}

impl std::fmt::Debug for Limiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiters").finish_non_exhaustive()
    }
}

/// Keys are an IPv4 address or an IPv6 /64 (one host usually owns the whole prefix).
fn key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

impl Limiters {
    pub(crate) fn new(limits: &RateLimits) -> Self {
        Self {
            general: limits.general.map(Limiter::new),
            sensitive: limits.sensitive.map(Limiter::new),
            admin: limits.admin.map(Limiter::new),
            clock: DefaultClock::default(),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(seconds to wait)` when the address is over a limit of its class.
    pub(crate) fn check(&self, class: Class, addr: IpAddr) -> Result<(), u64> {
        let k = key(addr);
        let limiters: &[&Option<Limiter>] = match class {
            Class::General => &[&self.general],
            Class::Sensitive => &[&self.sensitive, &self.general],
            Class::Admin => &[&self.admin],
        };
        // Forget idle addresses now and then, so the table stays bounded.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            for l in [&self.general, &self.sensitive, &self.admin]
                .into_iter()
                .flatten()
            {
                l.inner.retain_recent();
            }
        }
        for l in limiters.iter().copied().flatten() {
            if let Err(not_until) = l.inner.check_key(&k) {
                let wait = not_until.wait_time_from(self.clock.now());
                return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
            }
        }
        Ok(())
    }
}
