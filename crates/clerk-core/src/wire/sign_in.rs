//! Sign-in attempts (`SignInJSON`, `fapi.md` §4.2).

use super::text::Text;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::factor::Factor;
use super::lenient::null_as_default;
use super::protect_check::ProtectCheck;
use super::status::{ClientTrustState, SignInStatus};
use super::verification::Verification;

/// The client's current sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SignInResource {
    /// `"sign_in_attempt"` (clerk-js says `"sign_in"`); not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The attempt id (`sia_…`).
    pub id: Text,
    /// Where the attempt stands.
    #[serde(default)]
    pub status: Option<SignInStatus>,
    /// Identifier kinds the instance accepts.
    #[serde(default, deserialize_with = "super::vocabulary::words")]
    pub supported_identifiers: Vec<super::vocabulary::Word>,
    /// The identifier supplied so far, as typed.
    #[serde(default)]
    pub identifier: Option<Text>,
    /// First factors available once the user is identified (`null` → empty).
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub supported_first_factors: Vec<Factor>,
    /// Second factors available once a second factor is needed (`null` → empty).
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub supported_second_factors: Vec<Factor>,
    /// The current first-factor verification.
    #[serde(default)]
    pub first_factor_verification: Option<Box<Verification>>,
    /// The current second-factor verification.
    #[serde(default)]
    pub second_factor_verification: Option<Box<Verification>>,
    /// Public profile of the identified user.
    #[serde(default)]
    pub user_data: Option<UserData>,
    /// The session created on completion.
    #[serde(default)]
    pub created_session_id: Option<Text>,
    /// When the attempt is abandoned.
    #[serde(default, with = "super::timestamp")]
    pub abandon_at: Option<OffsetDateTime>,
    /// Device-trust state.
    #[serde(default)]
    pub client_trust_state: Option<ClientTrustState>,
    /// A Protect challenge gating the attempt.
    #[serde(default)]
    pub protect_check: Option<Box<ProtectCheck>>,
    /// The locale the attempt was created with.
    #[serde(default)]
    pub locale: Option<Text>,
}

impl SignInResource {
    /// Whether the attempt is `complete`: the session it created (`created_session_id`) is
    /// signed in. Any other status needs a next step (a first or second factor, a new
    /// password, …: see `status`), and nobody is signed in by this attempt yet.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.status == Some(SignInStatus::Complete)
    }

    /// The supported first factor with this strategy.
    #[must_use]
    pub fn first_factor_for(&self, strategy: &str) -> Option<&Factor> {
        self.supported_first_factors.iter().find(|f| f.strategy == strategy)
    }

    /// The supported second factor with this strategy.
    #[must_use]
    pub fn second_factor_for(&self, strategy: &str) -> Option<&Factor> {
        self.supported_second_factors.iter().find(|f| f.strategy == strategy)
    }

    /// The factor with this strategy in the list the current status calls for: the second
    /// factors while the status is `needs_second_factor` or `needs_client_trust`, the first
    /// factors otherwise.
    #[must_use]
    pub fn factor_for(&self, strategy: &str) -> Option<&Factor> {
        match self.status {
            Some(SignInStatus::NeedsSecondFactor | SignInStatus::NeedsClientTrust) => self.second_factor_for(strategy),
            _ => self.first_factor_for(strategy),
        }
    }
}

/// Public profile of the user a sign-in has identified (`sign_in.user_data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct UserData {
    /// First name.
    #[serde(default)]
    pub first_name: Option<Text>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<Text>,
    /// Avatar URL.
    #[serde(default)]
    pub image_url: Option<Text>,
    /// Whether the user uploaded an image.
    #[serde(default, deserialize_with = "null_as_default")]
    pub has_image: bool,
    /// Deprecated avatar URL.
    #[serde(default)]
    pub profile_image_url: Option<Text>,
}

super::map_only::map_only!(SignInResource, UserData);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn minimal_sign_in_decodes_with_defaults() {
        let sign_in: SignInResource = serde_json::from_str(r#"{"id":"sia_1"}"#).expect("decodes");
        assert_eq!(sign_in.id, "sia_1");
        assert_eq!(sign_in.status, None);
        assert!(sign_in.supported_first_factors.is_empty());
        assert!(sign_in.first_factor_verification.is_none());
        assert!(serde_json::from_str::<SignInResource>(r#"{"status":"complete"}"#).is_err());
    }

    #[test]
    fn factor_lookup_follows_the_status() {
        let sign_in: SignInResource = serde_json::from_str(
            r#"{"id":"sia_1","status":"needs_second_factor",
                "supported_first_factors":[{"strategy":"email_code","email_address_id":"idn_first"}],
                "supported_second_factors":[{"strategy":"email_code","email_address_id":"idn_second"}],
                "client_trust_state":"known","shiny_new_field":{"x":1}}"#,
        )
        .expect("decodes");
        let second = sign_in.factor_for("email_code").expect("second factor");
        assert_eq!(second.email_address_id.as_deref(), Some("idn_second"));
        let first = sign_in.first_factor_for("email_code").expect("first factor");
        assert_eq!(first.email_address_id.as_deref(), Some("idn_first"));
        assert!(sign_in.factor_for("totp").is_none());
        assert_eq!(sign_in.client_trust_state, Some(ClientTrustState::Known));
    }
}
