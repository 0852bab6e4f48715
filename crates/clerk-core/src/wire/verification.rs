//! Verifications (`VerificationJSON`, `SignUpVerificationJSON`, `fapi.md` §4.5).

use super::text::Text;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::ErrorItem;
use super::raw_json::RawJson;
use super::status::{NextAction, VerificationStatus};

/// The state of one verification: a sign-in factor, a user identification, an external
/// account. "No verification" is `Option::None` where a verification is expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Verification {
    /// A per-kind value (`verification_otp`, `verification_oauth`, …); informational.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// Where the verification stands.
    #[serde(default)]
    pub status: Option<VerificationStatus>,
    /// The strategy this verification is for.
    #[serde(default)]
    pub strategy: Option<Text>,
    /// Attempts made so far.
    #[serde(default)]
    pub attempts: Option<u32>,
    /// When the code, link or redirect expires.
    #[serde(default, with = "super::timestamp")]
    pub expire_at: Option<OffsetDateTime>,
    /// Passkey: the JSON-encoded WebAuthn options.
    #[serde(default)]
    pub nonce: Option<Text>,
    /// Web3: the exact text the wallet must sign.
    #[serde(default)]
    pub message: Option<Text>,
    /// OAuth, SAML, enterprise SSO: the URL to open.
    #[serde(default)]
    pub external_verification_redirect_url: Option<Text>,
    /// Why the verification failed or is transferable.
    #[serde(default)]
    pub error: Option<Box<ErrorItem>>,
    /// Email link: the id of the client that opened the link.
    #[serde(default)]
    pub verified_at_client: Option<Text>,
    /// Phone code channel used (`sms`, `whatsapp`).
    #[serde(default)]
    pub channel: Option<Text>,
    /// Trusted device: the challenge object, verbatim.
    #[serde(default)]
    pub trusted_device_challenge: Option<RawJson>,
}

/// The verification of one sign-up field: a [`Verification`] plus what to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SignUpVerification {
    /// A per-kind value; informational.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// Where the verification stands.
    #[serde(default)]
    pub status: Option<VerificationStatus>,
    /// The strategy of the current verification.
    #[serde(default)]
    pub strategy: Option<Text>,
    /// Attempts made so far.
    #[serde(default)]
    pub attempts: Option<u32>,
    /// When the code or link expires.
    #[serde(default, with = "super::timestamp")]
    pub expire_at: Option<OffsetDateTime>,
    /// Passkey: the JSON-encoded WebAuthn options.
    #[serde(default)]
    pub nonce: Option<Text>,
    /// Web3: the exact text the wallet must sign.
    #[serde(default)]
    pub message: Option<Text>,
    /// The URL to open, for redirect strategies.
    #[serde(default)]
    pub external_verification_redirect_url: Option<Text>,
    /// Why the verification failed or is transferable.
    #[serde(default)]
    pub error: Option<Box<ErrorItem>>,
    /// Email link: the id of the client that opened the link.
    #[serde(default)]
    pub verified_at_client: Option<Text>,
    /// Phone code channel used (`sms`, `whatsapp`).
    #[serde(default)]
    pub channel: Option<Text>,
    /// What the client should do next for this field.
    #[serde(default)]
    pub next_action: Option<NextAction>,
    /// Strategies that can verify this field (`["email_code","email_link"]`).
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub supported_strategies: Vec<Text>,
}

/// The verifications of a sign-up, one per verifiable field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SignUpVerifications {
    /// The email address.
    #[serde(default)]
    pub email_address: Option<SignUpVerification>,
    /// The phone number.
    #[serde(default)]
    pub phone_number: Option<SignUpVerification>,
    /// The Web3 wallet.
    #[serde(default)]
    pub web3_wallet: Option<SignUpVerification>,
    /// The external account (OAuth, SAML, ticket, Google One Tap).
    #[serde(default)]
    pub external_account: Option<Box<Verification>>,
}

super::map_only::map_only!(Verification, SignUpVerification, SignUpVerifications);
