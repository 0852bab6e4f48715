//! What a client keeps across restarts (design §7.11).

use serde::{Deserialize, Serialize};

use crate::error::RestoreError;
use crate::secret::{ClientToken, DevBrowserToken};
use crate::wire::{ClientResource, Environment, Text};

/// The format version this build writes and reads.
pub const PERSISTED_STATE_VERSION: u32 = 1;

/// A versioned snapshot of a client: enough to start signed-in offline and refresh when
/// the network is back. Session JWTs are never part of it.
///
/// `Debug` redacts the client token and the dev-browser token. `Serialize` writes them in
/// clear, unlike the secret types' own `Serialize` ([`crate::secret`]), because the token
/// store must keep the tokens themselves: a restarted client acts with them. That holds for
/// every serializer, [`to_json`](Self::to_json), `serde_json::to_string(&state)` or any
/// other format: store the bytes where only this user can read them, and never log them
/// (log the `Debug` form instead).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersistedState {
    /// Format version ([`PERSISTED_STATE_VERSION`]).
    pub version: u32,
    /// The Frontend API host this state belongs to.
    pub frontend_api_host: String,
    /// The client token (serialized in clear, see above).
    #[serde(serialize_with = "crate::secret::expose_persisted", default)]
    pub client_token: Option<ClientToken>,
    /// The dev-browser token (browser mode on a development instance, fapi.md §1.8.3);
    /// `None` everywhere else. Serialized in clear, like the client token.
    #[serde(serialize_with = "crate::secret::expose_persisted", default)]
    pub dev_browser_token: Option<DevBrowserToken>,
    /// The last applied client, without session tokens.
    #[serde(default)]
    pub client: Option<ClientResource>,
    /// The last loaded environment.
    #[serde(default)]
    pub environment: Option<Environment>,
    /// The session the engine treated as active.
    #[serde(default)]
    pub active_session_id: Option<Text>,
    /// The next request id: ids never repeat across restarts.
    pub next_request_id: u64,
    /// The next operation id.
    pub next_op_id: u64,
    /// The local epoch (bumped by sign-out, destroy and resets).
    pub epoch: u64,
    /// A sign-in attempt id hidden by `reset_sign_in`.
    #[serde(default)]
    pub suppressed_sign_in_id: Option<Text>,
    /// A sign-up attempt id hidden by `reset_sign_up`.
    #[serde(default)]
    pub suppressed_sign_up_id: Option<Text>,
}

impl PersistedState {
    /// The state as JSON bytes (client token and dev-browser token included, in clear, as
    /// with any serializer of this type).
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a state written by [`to_json`](Self::to_json).
    ///
    /// # Errors
    /// [`RestoreError::Malformed`] for anything that is not such a state, and
    /// [`RestoreError::UnsupportedVersion`] for another format version.
    pub fn from_json(bytes: &[u8]) -> Result<Self, RestoreError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            version: u32,
        }
        let version: VersionOnly =
            serde_json::from_slice(bytes).map_err(|e| RestoreError::Malformed(crate::redact::serde_reason(&e)))?;
        if version.version != PERSISTED_STATE_VERSION {
            return Err(RestoreError::UnsupportedVersion {
                found: version.version,
                supported: PERSISTED_STATE_VERSION,
            });
        }
        serde_json::from_slice(bytes).map_err(|e| RestoreError::Malformed(crate::redact::serde_reason(&e)))
    }
}
