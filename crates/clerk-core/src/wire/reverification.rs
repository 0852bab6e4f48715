//! Session reverification (`SessionReverificationJSON`, `fapi.md` §4.8).

use super::text::Text;
use serde::{Deserialize, Serialize};

use super::factor::Factor;
use super::session::SessionResource;
use super::status::{ReverificationLevel, ReverificationStatus};
use super::verification::Verification;

/// A reverification of a signed-in session (`…/sessions/{id}/verify…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SessionReverification {
    /// `"session_reverification"` (clerk-js: `"session_verification"`); not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The reverification id.
    #[serde(default)]
    pub id: Option<Text>,
    /// Where the reverification stands.
    #[serde(default)]
    pub status: Option<ReverificationStatus>,
    /// The level asked for.
    #[serde(default)]
    pub level: Option<ReverificationLevel>,
    /// The session being reverified.
    #[serde(default)]
    pub session: Option<SessionResource>,
    /// First factors available (`null` → empty).
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub supported_first_factors: Vec<Factor>,
    /// Second factors available (`null` → empty).
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub supported_second_factors: Vec<Factor>,
    /// The current first-factor verification.
    #[serde(default)]
    pub first_factor_verification: Option<Box<Verification>>,
    /// The current second-factor verification.
    #[serde(default)]
    pub second_factor_verification: Option<Box<Verification>>,
}

super::map_only::map_only!(SessionReverification);
