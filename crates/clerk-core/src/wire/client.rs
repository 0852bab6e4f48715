//! The Client (`ClientJSON`, `fapi.md` §4.1): the device's identity and everything on it.

use super::text::Text;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::lenient::null_as_default;
use super::session::SessionResource;
use super::sign_in::SignInResource;
use super::sign_up::SignUpResource;

/// The Client: all sessions of this device, its single current sign-in and sign-up
/// attempts, and the last active session. Almost every response carries it in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ClientResource {
    /// `"client"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The client id (`client_…`); `None` for a client the server has not created yet.
    #[serde(default)]
    pub id: Option<Text>,
    /// Every session the client knows, ended ones included (`null` → empty).
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub sessions: Vec<SessionResource>,
    /// The current sign-in attempt.
    #[serde(default)]
    pub sign_in: Option<Box<SignInResource>>,
    /// The current sign-up attempt.
    #[serde(default)]
    pub sign_up: Option<Box<SignUpResource>>,
    /// The session most recently touched or activated.
    #[serde(default)]
    pub last_active_session_id: Option<Text>,
    /// The strategy last used to authenticate on this client.
    #[serde(default)]
    pub last_authentication_strategy: Option<Text>,
    /// When the client token expires.
    #[serde(default, with = "super::timestamp")]
    pub cookie_expires_at: Option<OffsetDateTime>,
    /// Testing captcha bypass.
    #[serde(default, deserialize_with = "null_as_default")]
    pub captcha_bypass: bool,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

impl ClientResource {
    /// The sessions that count as signed in (status `active` or `pending`), in order.
    pub fn signed_in_sessions(&self) -> impl Iterator<Item = &SessionResource> {
        self.sessions.iter().filter(|session| session.is_signed_in())
    }

    /// The session with this id, whatever its status.
    #[must_use]
    pub fn session(&self, id: &str) -> Option<&SessionResource> {
        self.sessions.iter().find(|session| session.id == id)
    }

    /// The session named by `last_active_session_id`, whatever its status.
    #[must_use]
    pub fn last_active_session(&self) -> Option<&SessionResource> {
        self.last_active_session_id.as_deref().and_then(|id| self.session(id))
    }
}

super::map_only::map_only!(ClientResource);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;
    use crate::wire::SessionStatus;

    #[test]
    fn null_attempts_and_sessions_are_accepted() {
        let client: ClientResource = serde_json::from_str(
            r#"{"object":"client","id":"client_1","sessions":null,"sign_in":null,"sign_up":null,
                "last_active_session_id":null,"cookie_expires_at":null,"captcha_bypass":null,
                "created_at":1767139200000,"updated_at":1767139201000,"brand_new_field":[1,2]}"#,
        )
        .expect("decodes");
        assert!(client.sessions.is_empty());
        assert!(client.sign_in.is_none());
        assert!(client.sign_up.is_none());
        assert!(!client.captcha_bypass);
        assert_eq!(client.updated_at.map(|t| t.unix_timestamp()), Some(1_767_139_201));
    }

    #[test]
    fn missing_optional_fields_and_an_empty_object() {
        let client: ClientResource = serde_json::from_str("{}").expect("decodes");
        assert_eq!(client.id, None);
        assert!(client.sessions.is_empty());
        assert!(client.last_active_session().is_none());
    }

    #[test]
    fn session_lookups() {
        let client: ClientResource = serde_json::from_str(
            r#"{"id":"client_1","last_active_session_id":"sess_b","sessions":[
                {"id":"sess_a","status":"ended"},
                {"id":"sess_b","status":"active"},
                {"id":"sess_c","status":"pending"},
                {"id":"sess_d","status":"some_future_status"}]}"#,
        )
        .expect("decodes");
        let signed_in: Vec<&str> = client.signed_in_sessions().map(|s| s.id.as_str()).collect();
        assert_eq!(signed_in, ["sess_b", "sess_c"]);
        assert_eq!(client.session("sess_a").and_then(|s| s.status.clone()), Some(SessionStatus::Ended));
        assert_eq!(client.last_active_session().map(|s| s.id.as_str()), Some("sess_b"));
        assert_eq!(
            client.session("sess_d").and_then(|s| s.status.as_ref()).map(SessionStatus::as_str),
            Some("some_future_status")
        );
        assert!(client.session("sess_x").is_none());
    }

    #[test]
    fn a_session_without_id_is_an_error() {
        assert!(serde_json::from_str::<ClientResource>(r#"{"sessions":[{"status":"active"}]}"#).is_err());
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(serde_json::from_str::<ClientResource>(r#"{"created_at":"1767139200000"}"#).is_err());
        assert!(serde_json::from_str::<ClientResource>(r#"{"sessions":{}}"#).is_err());
        assert!(serde_json::from_str::<ClientResource>(r#"{"captcha_bypass":"false"}"#).is_err());
        assert!(serde_json::from_str::<ClientResource>(r#"{"id":5}"#).is_err());
    }
}
