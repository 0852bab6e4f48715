//! The user's active sessions on every device (`GET /v1/me/sessions/active`: the spec's
//! `Client.ActiveSession`, a `SessionBase` with its `latest_activity`).

use super::text::Text;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::lenient::null_as_default;
use super::session::{Actor, SessionTask};
use super::status::SessionStatus;

/// One of the user's sessions, on this device or another, as the active-sessions list gives
/// it: the session's own fields (no user, no organization) and where it was last used.
///
/// A `last_active_token` the server may send along is not decoded: a JWT of another
/// device's session is nothing this client should hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ActiveSessionResource {
    /// `"session"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The session id (`sess_…`).
    pub id: Text,
    /// Where the session stands (`active` or `pending` in practice).
    #[serde(default)]
    pub status: Option<SessionStatus>,
    /// Absolute end of the session's lifetime.
    #[serde(default, with = "super::timestamp")]
    pub expire_at: Option<OffsetDateTime>,
    /// End of the session if it stays inactive.
    #[serde(default, with = "super::timestamp")]
    pub abandon_at: Option<OffsetDateTime>,
    /// Last activity.
    #[serde(default, with = "super::timestamp")]
    pub last_active_at: Option<OffsetDateTime>,
    /// The impersonator or agent acting as the user, if any.
    #[serde(default)]
    pub actor: Option<Actor>,
    /// After-authentication tasks still pending (`null` → empty).
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub tasks: Vec<SessionTask>,
    /// Where and from what the session was last used.
    #[serde(default)]
    pub latest_activity: Option<SessionActivity>,
}

/// Where and from what a session was last used (`Client.SessionActivity`). Every field but
/// `is_mobile` may be missing; values are the server's, unchecked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SessionActivity {
    /// `"session_activity"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The activity record's id.
    #[serde(default)]
    pub id: Option<Text>,
    /// The kind of device (`Macintosh`, `iPhone`, …), as the server names it.
    #[serde(default)]
    pub device_type: Option<Text>,
    /// Whether the device is a mobile one (`null` or missing → `false`).
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_mobile: bool,
    /// The browser or HTTP client (`Chrome`, …).
    #[serde(default)]
    pub browser_name: Option<Text>,
    /// Its version.
    #[serde(default)]
    pub browser_version: Option<Text>,
    /// The IP address the session was last used from.
    #[serde(default)]
    pub ip_address: Option<Text>,
    /// The city that address locates to.
    #[serde(default)]
    pub city: Option<Text>,
    /// The country that address locates to.
    #[serde(default)]
    pub country: Option<Text>,
}

super::map_only::map_only!(ActiveSessionResource, SessionActivity);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_spec_shape_and_ignores_tokens_and_unknown_fields() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzaWQiOiJzZXNzXzIifQ.c2lnbmF0dXJl";
        let json = format!(
            r#"{{"object":"session","id":"sess_2","status":"active","expire_at":1700690400000,
                "abandon_at":1700690400000,"last_active_at":1700690400000,
                "last_active_token":{{"object":"token","jwt":"{jwt}"}},"brand_new":[1],
                "latest_activity":{{"object":"session_activity","id":"sess_act_1","device_type":"iPhone",
                    "is_mobile":true,"browser_name":"Safari","browser_version":"17.1",
                    "ip_address":"203.0.113.9","city":"Lisbon","country":"PT","extra":{{}}}}}}"#
        );
        let session: ActiveSessionResource = serde_json::from_str(&json).expect("decodes");
        assert_eq!(session.id.as_str(), "sess_2");
        assert_eq!(session.status, Some(SessionStatus::Active));
        assert!(session.last_active_at.is_some());
        let activity = session.latest_activity.as_ref().expect("activity");
        assert!(activity.is_mobile);
        assert_eq!(activity.browser_name.as_deref(), Some("Safari"));
        assert_eq!(activity.country.as_deref(), Some("PT"));
        let debug = format!("{session:?}");
        assert!(!debug.contains(jwt), "{debug}");
        assert!(!serde_json::to_string(&session).expect("encodes").contains(jwt));
    }

    #[test]
    fn lenient_on_nulls_and_unknown_statuses_strict_on_types() {
        let session: ActiveSessionResource = serde_json::from_str(
            r#"{"id":"s","status":"hibernating","latest_activity":{"is_mobile":null,"city":null},"tasks":null}"#,
        )
        .expect("decodes");
        assert_eq!(session.status.as_ref().map(SessionStatus::as_str), Some("hibernating"));
        assert!(!session.latest_activity.as_ref().expect("activity").is_mobile);
        let bare: ActiveSessionResource =
            serde_json::from_str(r#"{"id":"s","latest_activity":null}"#).expect("decodes");
        assert!(bare.latest_activity.is_none() && bare.status.is_none());
        assert!(serde_json::from_str::<ActiveSessionResource>(r#"{"status":"active"}"#).is_err());
        assert!(serde_json::from_str::<ActiveSessionResource>(r#"["s"]"#).is_err());
        assert!(serde_json::from_str::<ActiveSessionResource>(r#"{"id":"s","last_active_at":"yesterday"}"#).is_err());
        assert!(serde_json::from_str::<SessionActivity>(r#"{"is_mobile":"yes"}"#).is_err());
    }
}
