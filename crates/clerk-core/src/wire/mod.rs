//! Serde types of the Frontend API's JSON (`fapi.md` §2.1–2.3, §4).
//!
//! These types describe what the server sends; the engine decides what it means. Field names
//! are the wire's snake_case names (`type` is `r#type`).
//!
//! # Leniency
//!
//! Real payloads carry `null` sign-ins and sign-ups, empty arrays and missing fields, and the
//! server adds fields and enum values over time. So, on purpose:
//!
//! - every field is an `Option` or defaults when absent, except the few the protocol cannot
//!   work without: the `id` of a [`SessionResource`], [`SignInResource`] and
//!   [`SignUpResource`], the `jwt` of a [`TokenResource`], the `strategy` of a [`Factor`] and
//!   the `code` of an [`ErrorItem`];
//! - lists and flags accept `null` as empty / `false` (`sessions`, `supported_first_factors`,
//!   `captcha_bypass`, …);
//! - unknown fields are ignored;
//! - unknown enum values are kept in an `Unknown(String)` / `Other(String)` variant and
//!   serialized back unchanged; the enums are `#[non_exhaustive]`;
//! - where sources disagree on a name both are accepted (`password_enabled` and clerk-js's
//!   `has_password` on a sign-up, see [`SignUpResource::is_password_enabled`]);
//! - open-vocabulary words (`object`, `supported_identifiers`, a sign-up's field lists) are
//!   [`Word`]s: strings, borrowed for common words so decoding does not allocate them;
//! - JSON the engine passes through (metadata, `actor`, unknown error meta) is kept verbatim
//!   as [`RawJson`].
//!
//! Leniency stops at types: a value of the wrong JSON type (a timestamp as a string, a list
//! as an object, a boolean as a string) is a decode error, never coerced.
//!
//! # Units
//!
//! - Timestamps are integer **milliseconds** since the Unix epoch on the wire and
//!   `Option<time::OffsetDateTime>` (UTC) here, through [`timestamp`]; out-of-range values are
//!   decode errors. Serializing writes milliseconds back, so the types round-trip.
//! - `lockout_expires_in_seconds` is a duration in **seconds**
//!   ([`UserResource::lockout_expires_in`]).
//! - `factor_verification_age` is a pair of durations in **minutes**, `-1` for a factor group
//!   that is not enrolled.
//! - JWT claims (`exp`, `iat`) are seconds, but JWTs are opaque here.
//!
//! # Secrets
//!
//! Session JWTs ([`TokenResource::jwt`]) and backup codes are held in the types of
//! [`crate::secret`]: `Debug` never shows them, and serializing writes a placeholder.
//!
//! # Speed
//!
//! Decoding avoids `serde_json::Value`, `#[serde(flatten)]` and untagged enums; string enums
//! match on the borrowed string and allocate only for unknown values. Large optional parts
//! that are often absent (verifications, errors inside them, Protect checks) are boxed, which
//! keeps the structs that serde moves around while decoding small; field access reads the
//! same through auto-deref.

mod active_session;
mod client;
mod environment;
mod error;
mod error_code;
mod factor;
mod lenient;
mod map_only;
mod protect_check;
mod raw_json;
mod reverification;
mod session;
mod sign_in;
mod sign_up;
mod status;
mod strategy;
mod string_enum;
pub mod text;
pub mod timestamp;
mod token;
mod user;
mod verification;
pub mod vocabulary;

pub use active_session::{ActiveSessionResource, SessionActivity};
pub use client::ClientResource;
pub use environment::{
    AttackProtectionSettings, AttributeSettings, Attributes, AuthConfig, DisplayConfig, EnabledSetting,
    EnterpriseSsoSettings, Environment, FraudSettings, NativeFraudSettings, NativeSettings, OrganizationSettings,
    PasskeySettings, PasswordSettings, RequiredSetting, SignInSettings, SignUpSettings, SocialProviderSettings,
    UserSettings, UsernameSettings,
};
pub use error::{ErrorBody, ErrorBodyMeta, ErrorItem, ErrorItemMeta, ZxcvbnFeedback, ZxcvbnSuggestion};
pub use error_code::ErrorCode;
pub use factor::Factor;
pub use protect_check::ProtectCheck;
pub use raw_json::RawJson;
pub use reverification::SessionReverification;
pub use session::{Actor, PublicUserData, SessionResource, SessionTask};
pub use sign_in::{SignInResource, UserData};
pub use sign_up::SignUpResource;
pub use status::{
    ClientTrustState, NextAction, ReverificationLevel, ReverificationStatus, SessionStatus, SignInStatus, SignUpStatus,
    VerificationStatus,
};
pub use strategy::Strategy;
pub use text::Text;
pub use token::TokenResource;
pub use user::{
    EmailAddress, EnterpriseAccount, ExternalAccount, IdentificationLink, Organization, OrganizationMembership,
    Passkey, PhoneNumber, UserResource, Web3Wallet,
};
pub use verification::{SignUpVerification, SignUpVerifications, Verification};
pub use vocabulary::Word;
