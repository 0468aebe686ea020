//! Sign-in throttling as a small pure state machine (in the manner of kanidm's `softlock.rs`):
//! security checklist items 8–10.
//!
//! The state is a [`ThrottleState`] read from storage — the consecutive failures behind a
//! [`ThrottleKey`](crate::model::ThrottleKey) and the time of the last one. Storage adds a
//! failure when a sign-in fails and clears the state on a success or a password reset; this
//! module only *reads* it, with the time and a [`ThrottlePolicy`], and answers a [`Decision`].
//! It never reads a clock, never writes, and never forgets with time what storage has not
//! cleared.
//!
//! ```text
//!             storage clears the state on a success or a password reset
//!   +---------------------------------------------------------------------+
//!   |                                                                     |
//!   v                                                                     |
//! +---------+   failure, n <= free   +---------+                          |
//! | Allow   | ---------------------> | Allow   | -------------------------+
//! | n = 0   |                        | n       |                          |
//! +---------+                        +---------+                          |
//!                                         | failure, n > free             |
//!                                         v                               |
//!                       +----------------------------------+              |
//!             +-------> | Wait { until = last + delay(n) } |              |
//!             |         +----------------------------------+              |
//!             |                           | now >= until                  |
//!             | failure, n + 1            v                               |
//!             |                   +-----------------+                     |
//!             +------------------ | Allow (one try) | --------------------+
//!                                 +-----------------+
//!                                         | failure brings n to hard_limit
//!                                         v (the account's: 100)
//!                                 +-----------------+
//!                                 |     Locked      |  waiting never leaves it;
//!                                 +-----------------+  only a password reset does
//!
//! delay(n) = min(base_delay * 2^(n - free - 1), max_delay)
//! ```
//!
//! Two counters are kept for a sign-in: the account's ([`ThrottlePolicy::account`]) and the
//! client address's ([`ThrottlePolicy::address`]); [`combine`] takes the stricter answer.
//!
//! The delays are capped at a minute, so that someone typing wrong passwords for a real user
//! can slow them down but not lock them out for long (checklist item 10). Only after 100
//! consecutive failures is the account's password disabled (item 8, after SP 800-63B-4
//! §3.2.2); the reset path stays open, and a reset clears the count. The count is of
//! consecutive failures, not of failures per minute: waiting never brings it down.

use crate::model::ThrottleState;
use time::{Duration, OffsetDateTime};

/// How a throttle counter slows guessing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed without any delay.
    pub free_failures: u32,
    /// The delay after the first failure past the free ones; it doubles with each further
    /// failure.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// Consecutive failures after which the key is locked until storage clears it (a password
    /// reset), however long one waits. `None`: never locked, only slowed.
    pub hard_limit: Option<u32>,
}

impl ThrottlePolicy {
    /// The counter of an account (its normalised login): 5 free failures, then 1 s doubling
    /// to at most 60 s, and locked after 100 consecutive failures (checklist item 8).
    pub fn account() -> Self {
        Self {
            free_failures: 5,
            base_delay: Duration::seconds(1),
            max_delay: Duration::seconds(60),
            hard_limit: Some(100),
        }
    }

    /// The counter of a client address: 20 free failures, then 1 s doubling to at most 60 s,
    /// never locked (an address is shared by many people behind one NAT).
    pub fn address() -> Self {
        Self {
            free_failures: 20,
            base_delay: Duration::seconds(1),
            max_delay: Duration::seconds(60),
            hard_limit: None,
        }
    }

    /// The wait after `failures` consecutive failures, counted from the last one: zero up to
    /// the free failures, then `min(base_delay × 2^(failures − free_failures − 1), max_delay)`.
    ///
    /// Never overflows and never panics, for any `failures`; negative durations in the policy
    /// count as zero. Non-decreasing in `failures` and never above `max_delay`.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let max = self.max_delay.max(Duration::ZERO);
        if failures <= self.free_failures {
            return Duration::ZERO;
        }
        // failures > free_failures >= 0, so this neither underflows nor overflows.
        let doublings = failures - self.free_failures - 1;
        let mut delay = self.base_delay.max(Duration::ZERO).min(max);
        // At most ~100 rounds: a positive duration reaches any `max` (or overflows) by then.
        for _ in 0..doublings {
            if delay.is_zero() || delay >= max {
                break;
            }
            delay = delay.checked_mul(2).unwrap_or(max);
        }
        delay.min(max)
    }

    /// Whether `failures` has reached the hard limit.
    pub fn is_locked(&self, failures: u32) -> bool {
        self.hard_limit.is_some_and(|limit| failures >= limit)
    }
}

/// What may happen to the next sign-in attempt behind a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The attempt may go ahead (and be checked).
    Allow,
    /// Too soon: refused without checking until `until`.
    Wait {
        /// The first moment an attempt is allowed again.
        until: OffsetDateTime,
    },
    /// The hard limit is reached: refused until a password reset clears the count.
    Locked,
}

impl Decision {
    /// Whether the attempt may go ahead.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Decides the next attempt behind a key from its stored state, at `now`.
///
/// - At or past the hard limit: [`Decision::Locked`], whatever the time.
/// - Within the free failures: [`Decision::Allow`].
/// - Otherwise [`Decision::Wait`] until `last_failure_at + delay_after(failures)`, or
///   [`Decision::Allow`] once that time has come.
///
/// A state with failures past the free ones but no time of the last failure (which storage
/// never writes) is treated as if the last failure were long past: allowed, so that a storage
/// fault cannot lock a user out for good; the hard limit still holds.
pub fn decide(policy: &ThrottlePolicy, state: &ThrottleState, now: OffsetDateTime) -> Decision {
    if policy.is_locked(state.failures) {
        return Decision::Locked;
    }
    let delay = policy.delay_after(state.failures);
    if delay.is_zero() {
        return Decision::Allow;
    }
    let Some(last) = state.last_failure_at else {
        return Decision::Allow;
    };
    let until = last.saturating_add(delay);
    if now >= until {
        Decision::Allow
    } else {
        Decision::Wait { until }
    }
}

/// The stricter of two decisions: [`Decision::Locked`] over any [`Decision::Wait`], the later
/// wait over the earlier, any wait over [`Decision::Allow`].
pub fn combine(a: Decision, b: Decision) -> Decision {
    match (a, b) {
        (Decision::Locked, _) | (_, Decision::Locked) => Decision::Locked,
        (Decision::Wait { until: x }, Decision::Wait { until: y }) => {
            Decision::Wait { until: x.max(y) }
        }
        (w @ Decision::Wait { .. }, Decision::Allow)
        | (Decision::Allow, w @ Decision::Wait { .. }) => w,
        (Decision::Allow, Decision::Allow) => Decision::Allow,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);

    fn state(failures: u32, last: OffsetDateTime) -> ThrottleState {
        ThrottleState {
            failures,
            last_failure_at: Some(last),
        }
    }

    #[test]
    fn checklist_10_free_failures_allowed() {
        let p = ThrottlePolicy::account();
        assert_eq!(decide(&p, &ThrottleState::default(), T0), Decision::Allow);
        for n in 0..=5 {
            assert_eq!(decide(&p, &state(n, T0), T0), Decision::Allow, "{n}");
            assert_eq!(p.delay_after(n), Duration::ZERO);
        }
        let a = ThrottlePolicy::address();
        for n in 0..=20 {
            assert_eq!(decide(&a, &state(n, T0), T0), Decision::Allow, "{n}");
        }
        assert_eq!(
            decide(&a, &state(21, T0), T0),
            Decision::Wait {
                until: T0 + Duration::seconds(1)
            }
        );
    }

    #[test]
    fn checklist_10_delays_double_then_cap_at_a_minute() {
        let p = ThrottlePolicy::account();
        let expected = [
            (6, 1),
            (7, 2),
            (8, 4),
            (9, 8),
            (10, 16),
            (11, 32),
            (12, 60),
            (13, 60),
        ];
        for (n, secs) in expected {
            assert_eq!(p.delay_after(n), Duration::seconds(secs), "{n}");
            assert_eq!(
                decide(&p, &state(n, T0), T0),
                Decision::Wait {
                    until: T0 + Duration::seconds(secs)
                },
                "{n}"
            );
        }
        // However many failures short of the hard limit, a real user waits at most a minute.
        for n in [20, 50, 99] {
            assert_eq!(p.delay_after(n), Duration::seconds(60));
            assert_eq!(
                decide(&p, &state(n, T0), T0 + Duration::seconds(60)),
                Decision::Allow
            );
        }
        // The address counter never locks, whatever the count.
        let a = ThrottlePolicy::address();
        assert_eq!(a.delay_after(u32::MAX), Duration::seconds(60));
        assert_eq!(
            decide(&a, &state(u32::MAX, T0), T0 + Duration::seconds(60)),
            Decision::Allow
        );
    }

    #[test]
    fn checklist_10_wait_ends_at_its_time() {
        let p = ThrottlePolicy::account();
        let s = state(8, T0); // 4 s
        let until = T0 + Duration::seconds(4);
        assert_eq!(
            decide(&p, &s, T0 + Duration::seconds(3)),
            Decision::Wait { until }
        );
        assert_eq!(
            decide(&p, &s, until - Duration::nanoseconds(1)),
            Decision::Wait { until }
        );
        assert_eq!(decide(&p, &s, until), Decision::Allow);
        assert_eq!(decide(&p, &s, until + Duration::days(3)), Decision::Allow);
    }

    #[test]
    fn checklist_8_locked_at_exactly_100() {
        let p = ThrottlePolicy::account();
        let later = T0 + Duration::minutes(5);
        assert_eq!(decide(&p, &state(99, T0), later), Decision::Allow);
        assert_ne!(decide(&p, &state(99, T0), T0), Decision::Locked);
        assert_eq!(decide(&p, &state(100, T0), later), Decision::Locked);
        assert_eq!(decide(&p, &state(101, T0), later), Decision::Locked);
        assert_eq!(decide(&p, &state(u32::MAX, T0), later), Decision::Locked);
        assert!(!p.is_locked(99) && p.is_locked(100));
    }

    #[test]
    fn checklist_8_per_minute_reset_does_not_count() {
        // Time alone never unlocks: only storage clearing the state (a reset) does.
        let p = ThrottlePolicy::account();
        let s = state(100, T0);
        for later in [
            T0 + Duration::minutes(1),
            T0 + Duration::hours(1),
            T0 + Duration::days(365),
        ] {
            assert_eq!(decide(&p, &s, later), Decision::Locked);
        }
        // Even with no recorded time.
        let s = ThrottleState {
            failures: 100,
            last_failure_at: None,
        };
        assert_eq!(decide(&p, &s, T0), Decision::Locked);
        // After the reset, storage holds the empty state.
        assert_eq!(decide(&p, &ThrottleState::default(), T0), Decision::Allow);
    }

    #[test]
    fn checklist_9_combine_takes_the_stricter() {
        let early = Decision::Wait {
            until: T0 + Duration::seconds(1),
        };
        let late = Decision::Wait {
            until: T0 + Duration::seconds(30),
        };
        use Decision::{Allow, Locked};
        assert_eq!(combine(Allow, Allow), Allow);
        assert_eq!(combine(Allow, early), early);
        assert_eq!(combine(early, Allow), early);
        assert_eq!(combine(early, late), late);
        assert_eq!(combine(late, early), late);
        for d in [Allow, early, late, Locked] {
            assert_eq!(combine(Locked, d), Locked);
            assert_eq!(combine(d, Locked), Locked);
        }
        assert!(Allow.is_allowed() && !early.is_allowed() && !Locked.is_allowed());
    }

    #[test]
    fn missing_time_with_failures_is_allowed_but_not_unlocked() {
        let p = ThrottlePolicy::account();
        let s = ThrottleState {
            failures: 50,
            last_failure_at: None,
        };
        assert_eq!(decide(&p, &s, T0), Decision::Allow);
    }

    #[test]
    fn extreme_policies_never_panic() {
        let odd = ThrottlePolicy {
            free_failures: u32::MAX,
            base_delay: Duration::MAX,
            max_delay: Duration::MIN,
            hard_limit: Some(0),
        };
        assert_eq!(odd.delay_after(u32::MAX), Duration::ZERO);
        assert_eq!(decide(&odd, &state(0, T0), T0), Decision::Locked);
        let huge = ThrottlePolicy {
            free_failures: 0,
            base_delay: Duration::nanoseconds(1),
            max_delay: Duration::MAX,
            hard_limit: None,
        };
        assert_eq!(huge.delay_after(u32::MAX), Duration::MAX);
        let until = decide(&huge, &state(u32::MAX, T0), T0);
        assert!(matches!(until, Decision::Wait { .. }));
        let zero = ThrottlePolicy {
            base_delay: Duration::ZERO,
            ..huge
        };
        assert_eq!(zero.delay_after(u32::MAX), Duration::ZERO);
    }

    fn any_time() -> impl Strategy<Value = OffsetDateTime> {
        // Year -9999 to 9999 (the `time` crate's default range).
        (
            -377_705_116_800i64..=253_402_300_799i64,
            0u32..1_000_000_000,
        )
            .prop_map(|(s, ns)| {
                OffsetDateTime::from_unix_timestamp(s)
                    .unwrap()
                    .replace_nanosecond(ns)
                    .unwrap()
            })
    }

    fn any_duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            (0i64..=3_600).prop_map(Duration::seconds),
            (0i64..=1_000_000_000).prop_map(Duration::nanoseconds),
            any::<i64>().prop_map(Duration::seconds),
            Just(Duration::MAX),
            Just(Duration::MIN),
        ]
    }

    fn any_policy() -> impl Strategy<Value = ThrottlePolicy> {
        (
            prop_oneof![0u32..=30, any::<u32>()],
            any_duration(),
            any_duration(),
            prop_oneof![
                Just(None),
                (0u32..=200).prop_map(Some),
                any::<u32>().prop_map(Some)
            ],
        )
            .prop_map(|(free_failures, base_delay, max_delay, hard_limit)| {
                ThrottlePolicy {
                    free_failures,
                    base_delay,
                    max_delay,
                    hard_limit,
                }
            })
    }

    fn any_failures() -> impl Strategy<Value = u32> {
        prop_oneof![0u32..=200, any::<u32>(), Just(u32::MAX)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// Checklist item 10: more failures never mean a shorter wait.
        #[test]
        fn checklist_10_delay_is_monotonic(policy in any_policy(), a in any_failures(), b in any_failures()) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(policy.delay_after(lo) <= policy.delay_after(hi));
            for p in [ThrottlePolicy::account(), ThrottlePolicy::address()] {
                prop_assert!(p.delay_after(lo) <= p.delay_after(hi));
            }
        }

        /// Checklist item 10: the wait never exceeds the cap.
        #[test]
        fn checklist_10_delay_never_exceeds_max(policy in any_policy(), n in any_failures()) {
            let d = policy.delay_after(n);
            prop_assert!(d >= Duration::ZERO);
            prop_assert!(d <= policy.max_delay.max(Duration::ZERO));
            prop_assert!(ThrottlePolicy::account().delay_after(n) <= Duration::seconds(60));
        }

        /// Checklist items 8 and 10: a wait ends at most `max_delay` after the last failure,
        /// and nothing panics for any input.
        #[test]
        fn checklist_10_wait_is_bounded_and_never_panics(
            policy in any_policy(),
            n in any_failures(),
            last in proptest::option::of(any_time()),
            now in any_time(),
        ) {
            let s = ThrottleState { failures: n, last_failure_at: last };
            let d = decide(&policy, &s, now);
            match d {
                Decision::Wait { until } => {
                    let last = last.unwrap();
                    prop_assert!(until > now);
                    prop_assert!(until <= last.saturating_add(policy.max_delay.max(Duration::ZERO)));
                }
                Decision::Locked => prop_assert!(policy.is_locked(n)),
                Decision::Allow => prop_assert!(!policy.is_locked(n)),
            }
            // Deterministic.
            prop_assert_eq!(d, decide(&policy, &s, now));
        }

        /// Checklist item 8: at the hard limit, no amount of waiting unlocks.
        #[test]
        fn checklist_8_time_never_unlocks(n in 100u32..=u32::MAX, last in any_time(), now in any_time()) {
            let s = ThrottleState { failures: n, last_failure_at: Some(last) };
            prop_assert_eq!(decide(&ThrottlePolicy::account(), &s, now), Decision::Locked);
        }

        /// Checklist item 9: combining is commutative and never looser than either side.
        #[test]
        fn checklist_9_combine_is_stricter(a in any_decision(), b in any_decision()) {
            let c = combine(a, b);
            prop_assert_eq!(c, combine(b, a));
            for x in [a, b] {
                match (x, c) {
                    (Decision::Locked, c) => prop_assert_eq!(c, Decision::Locked),
                    (Decision::Wait { until: x }, Decision::Wait { until: y }) => prop_assert!(y >= x),
                    (Decision::Wait { .. }, c) => prop_assert_eq!(c, Decision::Locked),
                    (Decision::Allow, _) => {}
                }
            }
        }
    }

    fn any_decision() -> impl Strategy<Value = Decision> {
        prop_oneof![
            Just(Decision::Allow),
            Just(Decision::Locked),
            any_time().prop_map(|until| Decision::Wait { until }),
        ]
    }
}
