//! Account lockout (`attack_protection.user_lockout`): failed sign-in verifications of static
//! credentials (password, TOTP, backup code) are counted per user; at the limit the user is
//! locked for the configured time and sign-in verifications answer 403 `user_locked`
//! (fapi.md §2.5, §5.1) with `meta.lockout_expires_in_seconds`.

use serde_json::json;

use super::MockState;
use super::users::User;
use crate::error::ApiError;

impl MockState {
    /// Seconds left of `user`'s lockout, or `None` when not locked.
    pub(crate) fn lockout_left_secs(&self, user: &User) -> Option<i64> {
        let left_ms = user.locked_until? - self.now();
        (left_ms > 0).then(|| (left_ms + 999) / 1000)
    }

    /// Failed verifications left before a lockout, or `None` when lockout is off (the spec:
    /// "Null if account lockout is not enabled").
    pub(crate) fn verification_attempts_remaining(&self, user: &User) -> Option<u32> {
        let max = self.settings.lockout_max_attempts;
        (max > 0)
            .then(|| if self.lockout_left_secs(user).is_some() { 0 } else { max.saturating_sub(user.failed_attempts) })
    }

    /// `Err(user_locked)` while the user is locked out.
    pub(crate) fn check_not_locked(&self, user_id: &str) -> Result<(), ApiError> {
        let Some(left) = self.user(user_id).and_then(|user| self.lockout_left_secs(user)) else {
            return Ok(());
        };
        let minutes = (left + 59) / 60;
        Err(ApiError {
            meta: json!({ "lockout_expires_in_seconds": left }),
            ..ApiError::new(
                403,
                "user_locked",
                "Account locked",
                &format!(
                    "Your account is locked. You will be able to try again in {minutes} minute{}. \
                     For more information, contact support.",
                    if minutes == 1 { "" } else { "s" }
                ),
            )
        })
    }

    /// Counts a failed verification; at the limit the user is locked out.
    pub(crate) fn record_failed_verification(&mut self, user_id: &str) {
        let (max, duration_ms, now) = (
            self.settings.lockout_max_attempts,
            i64::try_from(self.settings.lockout_duration.as_millis()).unwrap_or(i64::MAX),
            self.now(),
        );
        if max == 0 {
            return;
        }
        if let Some(user) = self.user_mut(user_id) {
            user.failed_attempts += 1;
            if user.failed_attempts >= max {
                user.failed_attempts = 0;
                user.locked_until = Some(now.saturating_add(duration_ms));
            }
        }
    }

    /// A verification succeeded: the count starts again.
    pub(crate) fn record_verified(&mut self, user_id: &str) {
        if let Some(user) = self.user_mut(user_id) {
            user.failed_attempts = 0;
        }
    }
}
