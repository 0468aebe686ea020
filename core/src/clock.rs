//! The clock port. Core never reads the system clock: the current time is passed in, so that
//! every expiry is a pure function of it and tests control time exactly.

use time::OffsetDateTime;

/// The source of "now" (UTC).
pub trait Clock: Send + Sync {
    /// The current time, in UTC.
    fn now(&self) -> OffsetDateTime;
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}
