//! Sign-up attempts (`SignUpJSON`, `fapi.md` §4.6).

use super::text::Text;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::lenient::null_as_default;
use super::protect_check::ProtectCheck;
use super::raw_json::RawJson;
use super::status::SignUpStatus;
use super::verification::SignUpVerifications;

/// The client's current sign-up attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SignUpResource {
    /// `"sign_up_attempt"` (clerk-js says `"sign_up"`); not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The attempt id (`sua_…`).
    pub id: Text,
    /// Where the attempt stands.
    #[serde(default)]
    pub status: Option<SignUpStatus>,
    /// Fields the instance requires (sign-up fields, `fapi.md` §4.12).
    #[serde(default, deserialize_with = "super::vocabulary::words")]
    pub required_fields: Vec<super::vocabulary::Word>,
    /// Fields the instance accepts but does not require.
    #[serde(default, deserialize_with = "super::vocabulary::words")]
    pub optional_fields: Vec<super::vocabulary::Word>,
    /// Required fields not yet supplied (and `protect_check` when gated).
    #[serde(default, deserialize_with = "super::vocabulary::words")]
    pub missing_fields: Vec<super::vocabulary::Word>,
    /// Supplied identifiers that still need verification.
    #[serde(default, deserialize_with = "super::vocabulary::words")]
    pub unverified_fields: Vec<super::vocabulary::Word>,
    /// The verification of each verifiable field.
    #[serde(default)]
    pub verifications: Option<Box<SignUpVerifications>>,
    /// Username supplied so far.
    #[serde(default)]
    pub username: Option<Text>,
    /// First name supplied so far.
    #[serde(default)]
    pub first_name: Option<Text>,
    /// Last name supplied so far.
    #[serde(default)]
    pub last_name: Option<Text>,
    /// Email address supplied so far.
    #[serde(default)]
    pub email_address: Option<Text>,
    /// Phone number supplied so far.
    #[serde(default)]
    pub phone_number: Option<Text>,
    /// Web3 wallet supplied so far.
    #[serde(default)]
    pub web3_wallet: Option<Text>,
    /// Whether a password was supplied (spec and native SDKs). See
    /// [`SignUpResource::is_password_enabled`].
    #[serde(default)]
    pub password_enabled: Option<bool>,
    /// The same flag under the name clerk-js reads. See
    /// [`SignUpResource::is_password_enabled`].
    #[serde(default)]
    pub has_password: Option<bool>,
    /// Metadata the client may write.
    #[serde(default)]
    pub unsafe_metadata: Option<RawJson>,
    /// Metadata only the backend may write (e.g. from an invitation).
    #[serde(default)]
    pub public_metadata: Option<RawJson>,
    /// Whether a custom action is pending.
    #[serde(default, deserialize_with = "null_as_default")]
    pub custom_action: bool,
    /// An external id set by the backend.
    #[serde(default)]
    pub external_id: Option<Text>,
    /// The external account strategy (clerk-js).
    #[serde(default)]
    pub external_account_strategy: Option<Text>,
    /// The external account (clerk-js), verbatim.
    #[serde(default)]
    pub external_account: Option<RawJson>,
    /// The session created on completion.
    #[serde(default)]
    pub created_session_id: Option<Text>,
    /// The user created on completion.
    #[serde(default)]
    pub created_user_id: Option<Text>,
    /// When an unfinished sign-up is abandoned.
    #[serde(default, with = "super::timestamp")]
    pub abandon_at: Option<OffsetDateTime>,
    /// When the legal terms were accepted.
    #[serde(default, with = "super::timestamp")]
    pub legal_accepted_at: Option<OffsetDateTime>,
    /// The locale the attempt was created with.
    #[serde(default)]
    pub locale: Option<Text>,
    /// A Protect challenge gating the attempt.
    #[serde(default)]
    pub protect_check: Option<Box<ProtectCheck>>,
}

impl SignUpResource {
    /// Whether the attempt is `complete`: the user exists and the session it created
    /// (`created_session_id`) is signed in. `missing_requirements` lists what is still
    /// needed in `missing_fields` and `unverified_fields`.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.status == Some(SignUpStatus::Complete)
    }

    /// Whether a password was supplied: `password_enabled` when present, else clerk-js's
    /// `has_password`, else `false` (`fapi.md` §8: accept both, prefer `password_enabled`).
    #[must_use]
    pub fn is_password_enabled(&self) -> bool {
        self.password_enabled.or(self.has_password).unwrap_or(false)
    }
}

super::map_only::map_only!(SignUpResource);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn has_password_is_accepted_for_password_enabled() {
        let clerk_js: SignUpResource = serde_json::from_str(r#"{"id":"sua_1","has_password":true}"#).expect("decodes");
        assert!(clerk_js.is_password_enabled());
        let native: SignUpResource =
            serde_json::from_str(r#"{"id":"sua_1","password_enabled":true}"#).expect("decodes");
        assert!(native.is_password_enabled());
        let both: SignUpResource =
            serde_json::from_str(r#"{"id":"sua_1","password_enabled":false,"has_password":true}"#)
                .expect("both present is not a duplicate field");
        assert!(!both.is_password_enabled());
        let neither: SignUpResource = serde_json::from_str(r#"{"id":"sua_1"}"#).expect("decodes");
        assert!(!neither.is_password_enabled());
    }

    #[test]
    fn null_lists_and_verifications_are_accepted() {
        let sign_up: SignUpResource = serde_json::from_str(
            r#"{"id":"sua_1","status":"missing_requirements","missing_fields":null,
                "verifications":{"email_address":{"status":"unverified","next_action":"needs_attempt",
                "supported_strategies":["email_code"]},"phone_number":null},
                "unsafe_metadata":{"k":[1]},"abandon_at":1767139200000}"#,
        )
        .expect("decodes");
        assert!(sign_up.missing_fields.is_empty());
        let email = sign_up.verifications.as_ref().and_then(|v| v.email_address.as_ref()).expect("email verification");
        assert_eq!(email.next_action, Some(crate::wire::NextAction::NeedsAttempt));
        assert_eq!(email.supported_strategies, ["email_code"]);
        assert_eq!(sign_up.unsafe_metadata.as_ref().map(RawJson::get), Some(r#"{"k":[1]}"#));
        let again: SignUpResource =
            serde_json::from_str(&serde_json::to_string(&sign_up).expect("encodes")).expect("decodes");
        assert_eq!(again, sign_up);
    }
}
