//! Clerk's error envelope: `{errors: [{code, message, long_message, meta}], meta, clerk_trace_id}`.

use serde_json::{Value, json};

/// One API error the mock answers with (fapi.md §2.3). The dispatcher adds `meta.client` (the
/// piggybacked client) and `clerk_trace_id`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    /// HTTP status.
    pub(crate) status: u16,
    /// Machine code (`form_code_incorrect`).
    pub(crate) code: String,
    /// Short human text.
    pub(crate) message: String,
    /// Longer human text.
    pub(crate) long_message: String,
    /// `errors[0].meta` (`{"param_name": "code"}`), or `null`.
    pub(crate) meta: Value,
}

impl ApiError {
    /// An error with no meta.
    pub(crate) fn new(status: u16, code: &str, message: &str, long_message: &str) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.to_owned(),
            long_message: long_message.to_owned(),
            meta: Value::Null,
        }
    }

    /// A 422 form error naming the parameter at fault.
    pub(crate) fn form(code: &str, param: &str, message: &str, long_message: &str) -> Self {
        Self { meta: json!({ "param_name": param }), ..Self::new(422, code, message, long_message) }
    }

    /// `form_param_missing`: a parameter this operation needs is absent.
    pub(crate) fn param_missing(param: &str) -> Self {
        Self::form(
            "form_param_missing",
            param,
            &format!("{param} must be included."),
            &format!("{param} must be included."),
        )
    }

    /// `form_param_value_invalid`.
    pub(crate) fn param_invalid(param: &str, why: &str) -> Self {
        Self::form("form_param_value_invalid", param, "is invalid", why)
    }

    /// `resource_not_found` (404).
    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(404, "resource_not_found", "not found", &format!("No {what} was found with this id on this client."))
    }

    /// `authentication_invalid` (401).
    pub(crate) fn authentication_invalid(why: &str) -> Self {
        Self::new(401, "authentication_invalid", "Invalid authentication", why)
    }

    /// The `errors[0]` object.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "code": self.code,
            "message": self.message,
            "long_message": self.long_message,
            "meta": if self.meta.is_null() { json!({}) } else { self.meta.clone() },
        })
    }
}
