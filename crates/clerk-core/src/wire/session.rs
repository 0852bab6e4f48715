//! Sessions (`SessionJSON`, `PublicUserDataJSON`, `fapi.md` §4.7).

use super::text::Text;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::lenient::null_as_default;
use super::raw_json::RawJson;
use super::status::SessionStatus;
use super::token::TokenResource;
use super::user::UserResource;

/// A session of the client. The client lists all its sessions, ended ones included; filter by
/// [`SessionStatus::is_signed_in`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SessionResource {
    /// `"session"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The session id (`sess_…`).
    pub id: Text,
    /// Where the session stands.
    #[serde(default)]
    pub status: Option<SessionStatus>,
    /// Absolute end of the session's lifetime.
    #[serde(default, with = "super::timestamp")]
    pub expire_at: Option<OffsetDateTime>,
    /// End of the session if it stays inactive.
    #[serde(default, with = "super::timestamp")]
    pub abandon_at: Option<OffsetDateTime>,
    /// Last activity (touch).
    #[serde(default, with = "super::timestamp")]
    pub last_active_at: Option<OffsetDateTime>,
    /// A session JWT minted with this response; a malformed one is dropped (`None`), never
    /// failing the answer it came with (design §7.10).
    #[serde(default, deserialize_with = "super::token::riding_token")]
    pub last_active_token: Option<TokenResource>,
    /// The active organization; `None` is the personal account.
    #[serde(default)]
    pub last_active_organization_id: Option<Text>,
    /// The impersonator or agent acting as the user.
    #[serde(default)]
    pub actor: Option<Actor>,
    /// After-authentication tasks still pending (`null` → empty); the first is current.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub tasks: Vec<SessionTask>,
    /// The signed-in user.
    #[serde(default)]
    pub user: Option<Box<UserResource>>,
    /// The user's public profile.
    #[serde(default)]
    pub public_user_data: Option<Box<PublicUserData>>,
    /// Minutes since the last first-factor and second-factor verification; `-1` in a slot
    /// means that factor group is not enrolled. A list of another length is `None`.
    #[serde(default, deserialize_with = "super::lenient::optional_pair")]
    pub factor_verification_age: Option<[i64; 2]>,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

impl SessionResource {
    /// Whether the session counts as signed in (status `active` or `pending`).
    #[must_use]
    pub fn is_signed_in(&self) -> bool {
        self.status.as_ref().is_some_and(SessionStatus::is_signed_in)
    }

    /// The first pending task, if any.
    #[must_use]
    pub fn current_task(&self) -> Option<&SessionTask> {
        self.tasks.first()
    }
}

/// An after-authentication task of a pending session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct SessionTask {
    /// `choose-organization`, `reset-password`, `setup-mfa`, ….
    #[serde(default)]
    pub key: Option<Text>,
}

/// The impersonation or agent `act` claim of a session, kept verbatim
/// (`{"sub": …, "type": "agent", …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Actor(pub RawJson);

#[derive(Deserialize)]
struct ActorClaims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

impl Actor {
    /// The JSON text of the claim.
    #[must_use]
    pub fn get(&self) -> &str {
        self.0.get()
    }

    fn claims(&self) -> Option<ActorClaims> {
        serde_json::from_str(self.get()).ok()
    }

    /// The actor's subject (`sub`), when the claim is an object with a string `sub`.
    #[must_use]
    pub fn sub(&self) -> Option<String> {
        self.claims().and_then(|claims| claims.sub)
    }

    /// Whether the actor is an agent (`type == "agent"`).
    #[must_use]
    pub fn is_agent(&self) -> bool {
        self.claims().and_then(|claims| claims.kind).as_deref() == Some("agent")
    }
}

/// The public profile of a session's user (`public_user_data`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct PublicUserData {
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
    /// The user's main identifier.
    #[serde(default)]
    pub identifier: Option<Text>,
    /// The user id.
    #[serde(default)]
    pub user_id: Option<Text>,
    /// Username.
    #[serde(default)]
    pub username: Option<Text>,
    /// Whether the user is banned.
    #[serde(default)]
    pub banned: Option<bool>,
    /// Whether the user is deprovisioned.
    #[serde(default)]
    pub deprovisioned: Option<bool>,
    /// Deprecated avatar URL.
    #[serde(default)]
    pub profile_image_url: Option<Text>,
}

super::map_only::map_only!(SessionResource, SessionTask, PublicUserData);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_session_never_shows_its_jwt() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzaWQiOiJzZXNzXzEifQ.c2lnbmF0dXJl";
        let json =
            format!(r#"{{"id":"sess_1","status":"active","last_active_token":{{"object":"token","jwt":"{jwt}"}}}}"#);
        let session: SessionResource = serde_json::from_str(&json).expect("decodes");
        assert_eq!(session.last_active_token.as_ref().map(|t| t.jwt.expose()), Some(jwt));
        let debug = format!("{session:?}");
        assert!(!debug.contains(jwt), "{debug}");
        assert!(!debug.contains("c2lnbmF0dXJl"), "{debug}");
        assert!(session.is_signed_in());
    }

    #[test]
    fn a_malformed_riding_token_is_dropped_not_an_error() {
        // Design §7.10: the session (and the client around it) still decodes.
        for token in [
            "null",
            "{}",
            r#"{"jwt":null}"#,
            r#"{"object":"token","jwt":5}"#,
            r#"{"jwt":{"nested":["a.b.c"]}}"#,
            r#"[{"jwt":"a.b.c"}]"#,
            r#""a.b.c""#,
            "42",
            "true",
        ] {
            let json = format!(r#"{{"id":"sess_1","status":"active","last_active_token":{token},"expire_at":1}}"#);
            let session: SessionResource = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{token}: {e}"));
            assert!(session.last_active_token.is_none(), "{token}");
            assert_eq!(session.expire_at.map(|at| at.unix_timestamp_nanos()), Some(1_000_000), "{token}");
        }
        // A string `jwt` is kept, whatever is wrong with the token's other fields.
        let session: SessionResource = serde_json::from_str(
            r#"{"id":"sess_1","status":"active","last_active_token":{"object":7,"id":["x"],"jwt":"a.b.c","extra":{"k":[1]}}}"#,
        )
        .expect("decodes");
        let token = session.last_active_token.expect("kept");
        assert_eq!((token.jwt.expose(), token.id, token.object), ("a.b.c", None, None));
        // Still broken JSON is an error, as everywhere.
        assert!(serde_json::from_str::<SessionResource>(r#"{"id":"sess_1","last_active_token":{"jwt":"#).is_err());
    }

    #[test]
    fn actor_and_tasks() {
        let session: SessionResource = serde_json::from_str(
            r#"{"id":"sess_1","status":"pending","actor":{"sub":"user_admin","type":"agent"},
                "tasks":[{"key":"choose-organization"}],"factor_verification_age":[3,-1]}"#,
        )
        .expect("decodes");
        let actor = session.actor.as_ref().expect("actor");
        assert_eq!(actor.sub().as_deref(), Some("user_admin"));
        assert!(actor.is_agent());
        assert_eq!(session.current_task().and_then(|t| t.key.as_deref()), Some("choose-organization"));
        assert_eq!(session.factor_verification_age, Some([3, -1]));
        let nulls: SessionResource =
            serde_json::from_str(r#"{"id":"s","actor":null,"tasks":null,"factor_verification_age":null}"#)
                .expect("decodes");
        assert!(nulls.actor.is_none() && nulls.tasks.is_empty() && nulls.factor_verification_age.is_none());
        for odd in ["[0]", "[0,-1,5]", "[]"] {
            let session: SessionResource =
                serde_json::from_str(&format!(r#"{{"id":"s","factor_verification_age":{odd}}}"#)).expect("decodes");
            assert_eq!(session.factor_verification_age, None, "{odd}");
        }
        assert!(serde_json::from_str::<SessionResource>(r#"{"id":"s","factor_verification_age":["a",1]}"#).is_err());
        assert!(!nulls.is_signed_in());
    }
}
