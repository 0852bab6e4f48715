//! The error body of a failed request (HTTP status ≥ 400, `fapi.md` §2.3), and the single
//! error a verification can carry in its `error` field.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::client::ClientResource;
use super::error_code::ErrorCode;
use super::lenient::null_as_default;
use super::raw_json::RawJson;

/// The body of a response with HTTP status ≥ 400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ErrorBody {
    /// The errors, usually one; the first one decides what happened.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub errors: Vec<ErrorItem>,
    /// The current client riding along with the error (`meta.client`), and a session id.
    #[serde(default)]
    pub meta: Option<ErrorBodyMeta>,
    /// The server's trace id, for diagnostics.
    #[serde(default)]
    pub clerk_trace_id: Option<String>,
}

impl ErrorBody {
    /// The first error, which clerk-js uses for every decision.
    #[must_use]
    pub fn first(&self) -> Option<&ErrorItem> {
        self.errors.first()
    }

    /// The client piggybacked on the error (`meta.client`), if any.
    #[must_use]
    pub fn client(&self) -> Option<&ClientResource> {
        self.meta.as_ref().and_then(|meta| meta.client.as_ref())
    }
}

/// The top-level `meta` of an error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ErrorBodyMeta {
    /// The current client (applied before the error is reported, `fapi.md` §2.2).
    #[serde(default)]
    pub client: Option<ClientResource>,
    /// A session id the error refers to.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// One error: the elements of `errors[]`, and a verification's `error`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ErrorItem {
    /// The machine code: the only thing to branch on.
    pub code: ErrorCode,
    /// Short human-readable text.
    #[serde(default)]
    pub message: Option<String>,
    /// Longer human-readable text.
    #[serde(default)]
    pub long_message: Option<String>,
    /// Details: the parameter at fault, a session id, password-strength feedback, ….
    #[serde(default, deserialize_with = "null_as_default")]
    pub meta: ErrorItemMeta,
}

/// The `meta` of an error item. Known keys are decoded; every other key is kept as raw JSON
/// in [`ErrorItemMeta::other`] (billing keys, `permissions`, keys added later).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorItemMeta {
    /// The form field at fault (`form_param_*`, `form_password_*`, …).
    pub param_name: Option<String>,
    /// The session an `identifier_already_signed_in` error names.
    pub session_id: Option<String>,
    /// Email addresses the error refers to.
    pub email_addresses: Vec<String>,
    /// Identifiers the error refers to.
    pub identifiers: Vec<String>,
    /// Password-strength feedback (`form_password_not_strong_enough`).
    pub zxcvbn: Option<ZxcvbnFeedback>,
    /// Every other key, verbatim.
    pub other: BTreeMap<String, RawJson>,
}

impl Serialize for ErrorItemMeta {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(param_name) = &self.param_name {
            map.serialize_entry("param_name", param_name)?;
        }
        if let Some(session_id) = &self.session_id {
            map.serialize_entry("session_id", session_id)?;
        }
        if !self.email_addresses.is_empty() {
            map.serialize_entry("email_addresses", &self.email_addresses)?;
        }
        if !self.identifiers.is_empty() {
            map.serialize_entry("identifiers", &self.identifiers)?;
        }
        if let Some(zxcvbn) = &self.zxcvbn {
            map.serialize_entry("zxcvbn", zxcvbn)?;
        }
        for (key, value) in &self.other {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ErrorItemMeta {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MetaVisitor;

        impl<'de> Visitor<'de> for MetaVisitor {
            type Value = ErrorItemMeta;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an error meta object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorItemMeta, A::Error> {
                let mut meta = ErrorItemMeta::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "param_name" => meta.param_name = map.next_value()?,
                        "session_id" => meta.session_id = map.next_value()?,
                        "email_addresses" => {
                            meta.email_addresses = map.next_value::<Option<Vec<String>>>()?.unwrap_or_default();
                        }
                        "identifiers" => {
                            meta.identifiers = map.next_value::<Option<Vec<String>>>()?.unwrap_or_default();
                        }
                        "zxcvbn" => meta.zxcvbn = map.next_value()?,
                        _ => {
                            let value = map.next_value::<RawJson>()?;
                            meta.other.insert(key, value);
                        }
                    }
                }
                Ok(meta)
            }
        }

        deserializer.deserialize_map(MetaVisitor)
    }
}

/// Password-strength feedback (`meta.zxcvbn`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ZxcvbnFeedback {
    /// Suggestions to make the password stronger.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub suggestions: Vec<ZxcvbnSuggestion>,
}

/// One password-strength suggestion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ZxcvbnSuggestion {
    /// Machine code of the suggestion.
    #[serde(default)]
    pub code: Option<String>,
    /// Human-readable text.
    #[serde(default)]
    pub message: Option<String>,
}

super::map_only::map_only!(ErrorBody, ErrorBodyMeta, ErrorItem, ZxcvbnFeedback, ZxcvbnSuggestion);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_documented_shape_and_keeps_unknown_meta() {
        let json = r#"{
            "errors": [{
                "code": "form_password_not_strong_enough",
                "message": "weak",
                "long_message": "Your password is too weak.",
                "meta": {
                    "param_name": "password",
                    "zxcvbn": {"suggestions": [{"code": "useWords", "message": "Use more words"}], "score": 1},
                    "plan": {"id": "pro"},
                    "is_plan_upgrade_possible": true
                }
            }],
            "meta": {"client": null, "session_id": "sess_1"},
            "clerk_trace_id": "ff1048d1"
        }"#;
        let body: ErrorBody = serde_json::from_str(json).expect("decodes");
        let first = body.first().expect("one error");
        assert_eq!(first.code, ErrorCode::FormPasswordNotStrongEnough);
        assert_eq!(first.meta.param_name.as_deref(), Some("password"));
        let suggestions = &first.meta.zxcvbn.as_ref().expect("zxcvbn").suggestions;
        assert_eq!(suggestions[0].code.as_deref(), Some("useWords"));
        assert_eq!(first.meta.other.get("plan").map(RawJson::get), Some(r#"{"id": "pro"}"#));
        assert_eq!(first.meta.other.get("is_plan_upgrade_possible").map(RawJson::get), Some("true"));
        assert_eq!(body.meta.as_ref().and_then(|m| m.session_id.as_deref()), Some("sess_1"));
        assert!(body.client().is_none());
        assert_eq!(body.clerk_trace_id.as_deref(), Some("ff1048d1"));

        let again: ErrorBody = serde_json::from_str(&serde_json::to_string(&body).expect("encodes")).expect("decodes");
        assert_eq!(again, body);
    }

    #[test]
    fn minimal_items_decode_and_a_code_is_required() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"errors":[{"code":"session_exists","meta":null}]}"#).expect("decodes");
        assert_eq!(body.errors[0].code, ErrorCode::SessionExists);
        assert_eq!(body.errors[0].meta, ErrorItemMeta::default());
        assert!(body.meta.is_none());
        assert!(serde_json::from_str::<ErrorBody>(r#"{"errors":[{"message":"no code"}]}"#).is_err());
        assert!(serde_json::from_str::<ErrorBody>(r#"{"errors":[{"code":7}]}"#).is_err());
    }

    #[test]
    fn identifier_already_signed_in_names_the_session() {
        let item: ErrorItem = serde_json::from_str(
            r#"{"code":"identifier_already_signed_in","meta":{"session_id":"sess_9","identifiers":null}}"#,
        )
        .expect("decodes");
        assert_eq!(item.code, ErrorCode::IdentifierAlreadySignedIn);
        assert_eq!(item.meta.session_id.as_deref(), Some("sess_9"));
        assert!(item.meta.identifiers.is_empty());
    }
}
