//! Factors a sign-in or reverification offers (`FactorJSON`, `fapi.md` §4.4).

use super::text::Text;
use serde::{Deserialize, Serialize};

/// One entry of `supported_first_factors` / `supported_second_factors`: a strategy and the
/// identification it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Factor {
    /// The strategy (`email_code`, `password`, `oauth_google`, …); see
    /// [`Strategy`](super::Strategy) to branch on it.
    pub strategy: Text,
    /// The masked identifier to show (`j***@example.com`).
    #[serde(default)]
    pub safe_identifier: Option<Text>,
    /// The email address to prepare (`email_code`, `email_link`, `reset_password_email_code`).
    #[serde(default)]
    pub email_address_id: Option<Text>,
    /// The phone number to prepare (`phone_code`, `reset_password_phone_code`).
    #[serde(default)]
    pub phone_number_id: Option<Text>,
    /// The wallet to sign with (`web3_*_signature`).
    #[serde(default)]
    pub web3_wallet_id: Option<Text>,
    /// The passkey (`passkey`).
    #[serde(default)]
    pub passkey_id: Option<Text>,
    /// The trusted device (`trusted_device`).
    #[serde(default)]
    pub trusted_device_id: Option<Text>,
    /// The enterprise connection (`enterprise_sso`).
    #[serde(default)]
    pub enterprise_connection_id: Option<Text>,
    /// The enterprise connection's display name (`enterprise_sso`).
    #[serde(default)]
    pub enterprise_connection_name: Option<Text>,
    /// Whether this is the user's primary identifier.
    #[serde(default)]
    pub primary: Option<bool>,
    /// Phone second factor: whether this is the default MFA phone.
    #[serde(default)]
    pub default: Option<bool>,
    /// Phone code channel (`sms`, `whatsapp`).
    #[serde(default)]
    pub channel: Option<Text>,
    /// Web3 wallet name.
    #[serde(default)]
    pub wallet_name: Option<Text>,
    /// A URL to open for this factor.
    #[serde(default)]
    pub external_verification_redirect_url: Option<Text>,
}

super::map_only::map_only!(Factor);
