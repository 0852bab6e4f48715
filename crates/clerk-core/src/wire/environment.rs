//! The instance's environment (`GET /v1/environment`, `fapi.md` §4.9): the settings that
//! shape sign-in and sign-up. Only the parts listed in §4.9 are decoded; everything else
//! (themes, billing, restrictions, …) is ignored.
//!
//! Every settings object defaults when it is absent or `null`, so `env.auth_config
//! .single_session_mode` reads `false` on an environment that does not mention it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::lenient::null_as_default;

/// The environment of a Clerk instance (the unwrapped body of `GET /v1/environment`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Environment {
    /// Authentication settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub auth_config: AuthConfig,
    /// Display settings (URLs, captcha).
    #[serde(default, deserialize_with = "null_as_default")]
    pub display_config: DisplayConfig,
    /// Identifier, factor, sign-up and password settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub user_settings: UserSettings,
    /// Organization settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub organization_settings: OrganizationSettings,
    /// Fraud settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub fraud_settings: FraudSettings,
    /// Whether the instance is in maintenance mode.
    #[serde(default, deserialize_with = "null_as_default")]
    pub maintenance_mode: bool,
    /// Browser only: partitioned cookies.
    #[serde(default, deserialize_with = "null_as_default")]
    pub partitioned_cookies: bool,
    /// Browser only: client debug mode.
    #[serde(default, deserialize_with = "null_as_default")]
    pub client_debug_mode: bool,
}

/// `auth_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct AuthConfig {
    /// `"auth_config"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// Id of the configuration.
    #[serde(default)]
    pub id: Option<String>,
    /// Only one signed-in session per client (signing in again yields `session_exists`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub single_session_mode: bool,
    /// Reverification is on.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reverification: bool,
    /// Session minter is on (changes the token request body).
    #[serde(default, deserialize_with = "null_as_default")]
    pub session_minter: bool,
    /// When a keyless application was claimed.
    #[serde(default, with = "super::timestamp")]
    pub claimed_at: Option<OffsetDateTime>,
    /// Default phone channel by phone prefix (`sms`, `whatsapp`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub preferred_channels: BTreeMap<String, String>,
    /// Native API settings.
    #[serde(default)]
    pub native_settings: Option<NativeSettings>,
    /// Dev instances without third-party cookies.
    #[serde(default, deserialize_with = "null_as_default")]
    pub url_based_session_syncing: bool,
    /// First-name setting (`on`, `off`, `required`).
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last-name setting (`on`, `off`, `required`).
    #[serde(default)]
    pub last_name: Option<String>,
    /// Email-address setting (`on`, `off`, `required`).
    #[serde(default)]
    pub email_address: Option<String>,
    /// Phone-number setting (`on`, `off`, `required`).
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Username setting (`on`, `off`, `required`).
    #[serde(default)]
    pub username: Option<String>,
    /// Password setting (`on`, `off`, `required`).
    #[serde(default)]
    pub password: Option<String>,
}

/// `auth_config.native_settings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct NativeSettings {
    /// The Native API is enabled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub api_enabled: bool,
    /// Trusted-device sign-in is enabled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub trusted_device_sign_in_enabled: bool,
    /// Prompt for trusted-device enrollment after sign-in.
    #[serde(default, deserialize_with = "null_as_default")]
    pub trusted_device_enrollment_prompt_after_sign_in_enabled: bool,
    /// Prompt for trusted-device enrollment after sign-up.
    #[serde(default, deserialize_with = "null_as_default")]
    pub trusted_device_enrollment_prompt_after_sign_up_enabled: bool,
}

/// `display_config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct DisplayConfig {
    /// `"display_config"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// Id of the configuration.
    #[serde(default)]
    pub id: Option<String>,
    /// `production`, `development` or `staging`.
    #[serde(default)]
    pub instance_environment_type: Option<String>,
    /// The application's name.
    #[serde(default)]
    pub application_name: Option<String>,
    /// Hosted sign-in page.
    #[serde(default)]
    pub sign_in_url: Option<String>,
    /// Hosted sign-up page.
    #[serde(default)]
    pub sign_up_url: Option<String>,
    /// Hosted user-profile page.
    #[serde(default)]
    pub user_profile_url: Option<String>,
    /// Where to go after sign-in.
    #[serde(default)]
    pub after_sign_in_url: Option<String>,
    /// Where to go after sign-up.
    #[serde(default)]
    pub after_sign_up_url: Option<String>,
    /// Where to go after signing out of one session.
    #[serde(default)]
    pub after_sign_out_one_url: Option<String>,
    /// Where to go after signing out of all sessions.
    #[serde(default)]
    pub after_sign_out_all_url: Option<String>,
    /// Where to go after switching sessions.
    #[serde(default)]
    pub after_switch_session_url: Option<String>,
    /// The application's home page.
    #[serde(default)]
    pub home_url: Option<String>,
    /// Default first factor in UIs (`password`, `otp`).
    #[serde(default)]
    pub preferred_sign_in_strategy: Option<String>,
    /// Captcha site key.
    #[serde(default)]
    pub captcha_public_key: Option<String>,
    /// Invisible-captcha site key.
    #[serde(default)]
    pub captcha_public_key_invisible: Option<String>,
    /// `smart` or `invisible`.
    #[serde(default)]
    pub captcha_widget_type: Option<String>,
    /// `turnstile`.
    #[serde(default)]
    pub captcha_provider: Option<String>,
    /// OAuth strategies that skip the captcha.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub captcha_oauth_bypass: Vec<String>,
    /// Captcha heartbeat is on.
    #[serde(default, deserialize_with = "null_as_default")]
    pub captcha_heartbeat: bool,
    /// Captcha heartbeat interval, in milliseconds.
    #[serde(default)]
    pub captcha_heartbeat_interval_ms: Option<u64>,
    /// Google One Tap client id.
    #[serde(default)]
    pub google_one_tap_client_id: Option<String>,
}

/// `user_settings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct UserSettings {
    /// Identifier and factor attributes.
    #[serde(default, deserialize_with = "null_as_default")]
    pub attributes: Attributes,
    /// OAuth providers by strategy (`oauth_google`, …).
    #[serde(default, deserialize_with = "null_as_default")]
    pub social: BTreeMap<String, SocialProviderSettings>,
    /// Enterprise SSO.
    #[serde(default)]
    pub enterprise_sso: Option<EnterpriseSsoSettings>,
    /// Legacy SAML.
    #[serde(default)]
    pub saml: Option<EnterpriseSsoSettings>,
    /// Sign-in settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub sign_in: SignInSettings,
    /// Sign-up settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub sign_up: SignUpSettings,
    /// Password policy.
    #[serde(default, deserialize_with = "null_as_default")]
    pub password_settings: PasswordSettings,
    /// Username policy.
    #[serde(default, deserialize_with = "null_as_default")]
    pub username_settings: UsernameSettings,
    /// Passkey settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub passkey_settings: PasskeySettings,
    /// Attack protection.
    #[serde(default, deserialize_with = "null_as_default")]
    pub attack_protection: AttackProtectionSettings,
}

/// `user_settings.attributes`: one entry per identifier or factor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Attributes {
    /// Email address.
    #[serde(default)]
    pub email_address: Option<AttributeSettings>,
    /// Phone number.
    #[serde(default)]
    pub phone_number: Option<AttributeSettings>,
    /// Username.
    #[serde(default)]
    pub username: Option<AttributeSettings>,
    /// Web3 wallet.
    #[serde(default)]
    pub web3_wallet: Option<AttributeSettings>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<AttributeSettings>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<AttributeSettings>,
    /// Password.
    #[serde(default)]
    pub password: Option<AttributeSettings>,
    /// Authenticator app (TOTP).
    #[serde(default)]
    pub authenticator_app: Option<AttributeSettings>,
    /// Backup codes.
    #[serde(default)]
    pub backup_code: Option<AttributeSettings>,
    /// Passkey.
    #[serde(default)]
    pub passkey: Option<AttributeSettings>,
    /// Ticket.
    #[serde(default)]
    pub ticket: Option<AttributeSettings>,
}

/// Settings of one attribute (`user_settings.attributes.<attr>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct AttributeSettings {
    /// The attribute is enabled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub enabled: bool,
    /// The attribute is required at sign-up.
    #[serde(default, deserialize_with = "null_as_default")]
    pub required: bool,
    /// Usable as a first factor.
    #[serde(default, deserialize_with = "null_as_default")]
    pub used_for_first_factor: bool,
    /// First-factor strategies.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub first_factors: Vec<String>,
    /// Usable as a second factor.
    #[serde(default, deserialize_with = "null_as_default")]
    pub used_for_second_factor: bool,
    /// Second-factor strategies.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub second_factors: Vec<String>,
    /// Verification strategies.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub verifications: Vec<String>,
    /// Verified during sign-up.
    #[serde(default, deserialize_with = "null_as_default")]
    pub verify_at_sign_up: bool,
    /// Cannot be changed after sign-up.
    #[serde(default)]
    pub immutable: Option<bool>,
    /// Phone channels (`sms`, `whatsapp`).
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub channels: Vec<String>,
}

/// Settings of one OAuth provider (`user_settings.social.<strategy>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SocialProviderSettings {
    /// The provider is enabled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub enabled: bool,
    /// The provider is required.
    #[serde(default, deserialize_with = "null_as_default")]
    pub required: bool,
    /// The provider can be used to sign in.
    #[serde(default, deserialize_with = "null_as_default")]
    pub authenticatable: bool,
    /// The strategy (`oauth_google`, …).
    #[serde(default)]
    pub strategy: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Logo URL.
    #[serde(default)]
    pub logo_url: Option<String>,
    /// Hidden from selection.
    #[serde(default, deserialize_with = "null_as_default")]
    pub not_selectable: bool,
    /// Deprecated provider.
    #[serde(default, deserialize_with = "null_as_default")]
    pub deprecated: bool,
    /// Email subaddresses are blocked.
    #[serde(default, deserialize_with = "null_as_default")]
    pub block_email_subaddresses: bool,
}

/// `user_settings.enterprise_sso` (and legacy `saml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct EnterpriseSsoSettings {
    /// Enterprise SSO is enabled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub enabled: bool,
    /// Self-serve SSO is enabled.
    #[serde(default)]
    pub self_serve_sso: Option<bool>,
}

/// `user_settings.sign_in`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SignInSettings {
    /// Second-factor settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub second_factor: RequiredSetting,
}

/// A `{required}` settings object (`sign_in.second_factor`, `sign_up.mfa`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct RequiredSetting {
    /// Whether it is required.
    #[serde(default, deserialize_with = "null_as_default")]
    pub required: bool,
}

/// An `{enabled}` settings object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct EnabledSetting {
    /// Whether it is enabled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub enabled: bool,
}

/// `user_settings.sign_up`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SignUpSettings {
    /// `public`, `restricted` or `waitlist`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Captcha at sign-up.
    #[serde(default, deserialize_with = "null_as_default")]
    pub captcha_enabled: bool,
    /// `smart` or `invisible`.
    #[serde(default)]
    pub captcha_widget_type: Option<String>,
    /// Progressive sign-up.
    #[serde(default, deserialize_with = "null_as_default")]
    pub progressive: bool,
    /// Legal consent is collected.
    #[serde(default, deserialize_with = "null_as_default")]
    pub legal_consent_enabled: bool,
    /// A custom action is required.
    #[serde(default, deserialize_with = "null_as_default")]
    pub custom_action_required: bool,
    /// MFA at sign-up.
    #[serde(default)]
    pub mfa: Option<RequiredSetting>,
}

/// `user_settings.password_settings`: the password policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct PasswordSettings {
    /// Minimum length.
    #[serde(default)]
    pub min_length: Option<u32>,
    /// Maximum length (0 = no limit).
    #[serde(default)]
    pub max_length: Option<u32>,
    /// A special character is required.
    #[serde(default, deserialize_with = "null_as_default")]
    pub require_special_char: bool,
    /// A digit is required.
    #[serde(default, deserialize_with = "null_as_default")]
    pub require_numbers: bool,
    /// An uppercase letter is required.
    #[serde(default, deserialize_with = "null_as_default")]
    pub require_uppercase: bool,
    /// A lowercase letter is required.
    #[serde(default, deserialize_with = "null_as_default")]
    pub require_lowercase: bool,
    /// Show password-strength feedback.
    #[serde(default, deserialize_with = "null_as_default")]
    pub show_zxcvbn: bool,
    /// Minimum zxcvbn score.
    #[serde(default)]
    pub min_zxcvbn_strength: Option<u32>,
    /// The special characters that count.
    #[serde(default)]
    pub allowed_special_characters: Option<String>,
    /// Breach checks are off.
    #[serde(default, deserialize_with = "null_as_default")]
    pub disable_hibp: bool,
    /// Breach checks also run at sign-in.
    #[serde(default, deserialize_with = "null_as_default")]
    pub enforce_hibp_on_sign_in: bool,
    /// Password changes need no reverification.
    #[serde(default, deserialize_with = "null_as_default")]
    pub disable_password_reverification: bool,
}

/// `user_settings.username_settings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct UsernameSettings {
    /// Minimum length.
    #[serde(default)]
    pub min_length: Option<u32>,
    /// Maximum length.
    #[serde(default)]
    pub max_length: Option<u32>,
    /// Extended special characters are allowed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub allow_extended_special_characters: bool,
    /// Purely numeric usernames are allowed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub allow_numeric_usernames: bool,
}

/// `user_settings.passkey_settings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct PasskeySettings {
    /// Autofill is allowed.
    #[serde(default, deserialize_with = "null_as_default")]
    pub allow_autofill: bool,
    /// A passkey sign-in button is shown.
    #[serde(default, deserialize_with = "null_as_default")]
    pub show_sign_in_button: bool,
    /// A passkey satisfies the second factor.
    #[serde(default, deserialize_with = "null_as_default")]
    pub satisfies_second_factor: bool,
}

/// `user_settings.attack_protection`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct AttackProtectionSettings {
    /// Enumeration protection: the server avoids revealing whether an identifier exists.
    #[serde(default, deserialize_with = "null_as_default")]
    pub enumeration_protection: EnabledSetting,
}

/// `organization_settings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct OrganizationSettings {
    /// Organizations are enabled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub enabled: bool,
    /// The personal account is not allowed; an organization must be selected.
    #[serde(default, deserialize_with = "null_as_default")]
    pub force_organization_selection: bool,
}

/// `fraud_settings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct FraudSettings {
    /// Native fraud settings.
    #[serde(default, deserialize_with = "null_as_default")]
    pub native: NativeFraudSettings,
}

/// `fraud_settings.native`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct NativeFraudSettings {
    /// `disabled`, `onboarding` or `enforced`.
    #[serde(default)]
    pub device_attestation_mode: Option<String>,
}

super::map_only::map_only!(
    Environment,
    AuthConfig,
    NativeSettings,
    DisplayConfig,
    UserSettings,
    Attributes,
    AttributeSettings,
    SocialProviderSettings,
    EnterpriseSsoSettings,
    SignInSettings,
    RequiredSetting,
    EnabledSetting,
    SignUpSettings,
    PasswordSettings,
    UsernameSettings,
    PasskeySettings,
    AttackProtectionSettings,
    OrganizationSettings,
    FraudSettings,
    NativeFraudSettings
);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_environment_is_all_defaults() {
        let env: Environment = serde_json::from_str("{}").expect("decodes");
        assert_eq!(env, Environment::default());
        let nulls: Environment =
            serde_json::from_str(r#"{"auth_config":null,"user_settings":{"sign_up":null,"attributes":null}}"#)
                .expect("decodes");
        assert!(!nulls.auth_config.single_session_mode);
    }

    #[test]
    fn decodes_the_parts_that_matter() {
        let env: Environment = serde_json::from_str(
            r#"{"auth_config":{"single_session_mode":true,"preferred_channels":{"+1":"whatsapp"},
                  "native_settings":{"api_enabled":true},"claimed_at":null},
                "display_config":{"instance_environment_type":"production","theme":{"x":1}},
                "user_settings":{"attributes":{"email_address":{"enabled":true,"required":true,
                    "first_factors":["email_code"],"mystery":1}},
                  "social":{"oauth_google":{"enabled":true,"strategy":"oauth_google"}},
                  "sign_up":{"mode":"waitlist","mfa":{"required":true}},
                  "password_settings":{"min_length":8},
                  "attack_protection":{"enumeration_protection":{"enabled":true}}},
                "organization_settings":{"force_organization_selection":true},
                "fraud_settings":{"native":{"device_attestation_mode":"enforced"}},
                "commerce_settings":{"billing":{}}}"#,
        )
        .expect("decodes");
        assert!(env.auth_config.single_session_mode);
        assert_eq!(env.auth_config.preferred_channels.get("+1").map(String::as_str), Some("whatsapp"));
        assert!(env.auth_config.native_settings.as_ref().is_some_and(|n| n.api_enabled));
        let email = env.user_settings.attributes.email_address.as_ref().expect("email");
        assert!(email.enabled && email.required);
        assert!(env.user_settings.social["oauth_google"].enabled);
        assert_eq!(env.user_settings.sign_up.mode.as_deref(), Some("waitlist"));
        assert_eq!(env.user_settings.sign_up.mfa, Some(RequiredSetting { required: true }));
        assert_eq!(env.user_settings.password_settings.min_length, Some(8));
        assert!(env.user_settings.attack_protection.enumeration_protection.enabled);
        assert!(env.organization_settings.force_organization_selection);
        assert_eq!(env.fraud_settings.native.device_attestation_mode.as_deref(), Some("enforced"));
        let again: Environment = serde_json::from_str(&serde_json::to_string(&env).expect("encodes")).expect("decodes");
        assert_eq!(again, env);
    }
}
