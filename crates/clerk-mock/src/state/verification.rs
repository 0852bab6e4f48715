//! Verifications: the proof-of-possession objects inside sign-ins and sign-ups.

use serde_json::{Value, json};

use crate::error::ApiError;

/// How many wrong codes a verification takes before it fails.
pub(crate) const MAX_CODE_ATTEMPTS: u32 = 3;

/// How long a code or link stays valid, in milliseconds (10 minutes).
pub(crate) const CODE_LIFETIME_MS: i64 = 10 * 60 * 1000;

/// A verification as FAPI reports it (fapi.md §4.5), plus what the mock needs to check it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verification {
    /// `verification_otp`, `verification_email_link`, `verification_password`, ….
    pub(crate) object: &'static str,
    /// `unverified`, `verified`, `failed`, `expired`, `transferable`.
    pub(crate) status: &'static str,
    /// The strategy (`email_code`).
    pub(crate) strategy: String,
    /// Attempts so far; `None` where FAPI sends `null` (links).
    pub(crate) attempts: Option<u32>,
    /// Expiry, ms epoch.
    pub(crate) expire_at: Option<i64>,
    /// The code that verifies it (codes only).
    pub(crate) expected_code: Option<String>,
    /// The email address or phone number the code or link went to.
    pub(crate) target: Option<String>,
    /// Email links: the client that opened the link.
    pub(crate) verified_at_client: Option<String>,
    /// Phone codes: `sms`.
    pub(crate) channel: Option<&'static str>,
    /// Why it failed or is transferable (Clerk's single-error shape).
    pub(crate) error: Option<Value>,
    /// Sign-up verifications: strategies that can verify the field.
    pub(crate) supported_strategies: Option<Vec<&'static str>>,
}

impl Verification {
    /// A fresh, unverified code verification.
    pub(crate) fn code(strategy: &str, target: &str, code: String, now: i64) -> Self {
        Self {
            object: "verification_otp",
            status: "unverified",
            strategy: strategy.to_owned(),
            attempts: Some(0),
            expire_at: Some(now + CODE_LIFETIME_MS),
            expected_code: Some(code),
            target: Some(target.to_owned()),
            verified_at_client: None,
            channel: strategy.contains("phone").then_some("sms"),
            error: None,
            supported_strategies: None,
        }
    }

    /// A fresh, unverified email-link verification.
    pub(crate) fn email_link(target: &str, now: i64) -> Self {
        Self {
            object: "verification_email_link",
            attempts: None,
            channel: None,
            ..Self::code("email_link", target, String::new(), now)
        }
    }

    /// A verification that succeeded at once (password, TOTP, backup code, ticket).
    pub(crate) fn verified(object: &'static str, strategy: &str) -> Self {
        Self {
            object,
            status: "verified",
            strategy: strategy.to_owned(),
            attempts: Some(1),
            expire_at: None,
            expected_code: None,
            target: None,
            verified_at_client: None,
            channel: None,
            error: None,
            supported_strategies: None,
        }
    }

    /// Checks a code: wrong codes count (`form_code_incorrect`; `failed` after
    /// [`MAX_CODE_ATTEMPTS`]), an expired verification answers `verification_expired`.
    pub(crate) fn attempt(&mut self, code: &str, now: i64) -> Result<(), ApiError> {
        match self.status {
            "verified" => {
                return Err(ApiError::new(
                    400,
                    "verification_already_verified",
                    "already verified",
                    "This verification has already been verified.",
                ));
            }
            "failed" => {
                return Err(ApiError::form(
                    "verification_failed",
                    "code",
                    "Too many failed attempts",
                    "You have made too many failed attempts. Please prepare a new verification.",
                ));
            }
            "expired" => return Err(expired()),
            _ => {}
        }
        if self.expire_at.is_some_and(|at| now >= at) {
            self.status = "expired";
            return Err(expired());
        }
        let attempts = self.attempts.unwrap_or(0) + 1;
        self.attempts = Some(attempts);
        if self.expected_code.as_deref() == Some(code) {
            self.status = "verified";
            return Ok(());
        }
        if attempts >= MAX_CODE_ATTEMPTS {
            self.status = "failed";
        }
        Err(ApiError::form("form_code_incorrect", "code", "is incorrect", "Incorrect code"))
    }

    /// Turns a pending (`unverified`) code or link past its `expire_at` into `expired`
    /// (fapi.md §4.10), as the server reports it on any read: a client polling for an email
    /// link stops on it (fapi.md §3.7.2 step 4) without having to attempt first.
    pub(crate) fn expire_if_due(&mut self, now: i64) {
        if self.status == "unverified" && self.expire_at.is_some_and(|at| now >= at) {
            self.status = "expired";
        }
    }

    /// A sign-up verification's `next_action`, "what the client should do next for this field"
    /// (fapi.md §4.5): nothing once `verified`; `needs_prepare` once `failed` (too many wrong
    /// codes) or `expired`, since no attempt can succeed any more ([`Self::attempt`] answers
    /// `verification_failed` or `verification_expired`; fapi.md §2.5: "the prepared verification
    /// expired; prepare again"); `needs_attempt` while a prepared code or link is pending;
    /// `needs_prepare` otherwise.
    pub(crate) fn next_action(&self) -> &'static str {
        match self.status {
            "verified" => "",
            "failed" | "expired" => "needs_prepare",
            _ if self.expected_code.is_some() || self.object == "verification_email_link" => "needs_attempt",
            _ => "needs_prepare",
        }
    }

    /// The JSON FAPI sends.
    pub(crate) fn to_json(&self) -> Value {
        let mut value = json!({
            "object": self.object,
            "status": self.status,
            "strategy": self.strategy,
            "attempts": self.attempts,
            "expire_at": self.expire_at,
        });
        if let Some(map) = value.as_object_mut() {
            if let Some(client) = &self.verified_at_client {
                map.insert("verified_at_client".into(), json!(client));
            }
            if let Some(channel) = self.channel {
                map.insert("channel".into(), json!(channel));
            }
            if let Some(error) = &self.error {
                map.insert("error".into(), error.clone());
            }
            if let Some(strategies) = &self.supported_strategies {
                map.insert("next_action".into(), json!(self.next_action()));
                map.insert("supported_strategies".into(), json!(strategies));
            }
        }
        value
    }
}

fn expired() -> ApiError {
    ApiError::form(
        "verification_expired",
        "code",
        "expired",
        "This verification has expired. You must create a new one.",
    )
}
