//! The mock's clock: the system clock plus an offset that tests can push forward.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Wall-clock time as the mock sees it, in milliseconds since the Unix epoch.
///
/// Every timestamp the mock writes (object `created_at`, verification `expire_at`, JWT `iat` and
/// `exp`) comes from here, so [`crate::MockServer::advance_clock`] can expire codes, tokens and
/// sessions without sleeping.
#[derive(Debug, Clone, Default)]
pub(crate) struct Clock {
    offset: Duration,
}

impl Clock {
    /// Now, in milliseconds since the epoch.
    pub(crate) fn now_ms(&self) -> i64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + self.offset;
        i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
    }

    /// Now, in whole seconds since the epoch (JWT claims).
    pub(crate) fn now_secs(&self) -> i64 {
        self.now_ms() / 1000
    }

    /// Moves the clock forward.
    pub(crate) fn advance(&mut self, by: Duration) {
        self.offset += by;
    }
}

/// Milliseconds in a duration, saturating.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
