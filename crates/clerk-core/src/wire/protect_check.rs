//! Clerk Protect challenges (`ProtectCheckJSON`, `fapi.md` §4.3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::lenient::null_as_default;

/// A Clerk Protect challenge that must be solved, its proof submitted to `…/protect_check`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ProtectCheck {
    /// Always `"pending"` on the wire.
    #[serde(default)]
    pub status: Option<String>,
    /// The challenge token to hand to the challenge SDK.
    #[serde(default)]
    pub token: Option<String>,
    /// URL of the challenge SDK.
    #[serde(default)]
    pub sdk_url: Option<String>,
    /// When the challenge expires.
    #[serde(default, with = "super::timestamp")]
    pub expires_at: Option<OffsetDateTime>,
    /// Hints for the challenge UI.
    #[serde(default, deserialize_with = "null_as_default")]
    pub ui_hints: BTreeMap<String, String>,
}

super::map_only::map_only!(ProtectCheck);
