//! The fake Frontend API behind the canned answers: what the server holds (sessions,
//! attempts, its updated_at clock, the token it last issued) and the JSON it answers with.
//! It follows fapi.md's shapes; it knows nothing of the engine's internals.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clerk_core::RequestKind;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::transition::{ServerChange, SignInTarget, SignUpTarget};

/// The server's client, as the fake server holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerClient {
    /// `(id, status)` of every session.
    pub sessions: Vec<(String, String)>,
    /// `last_active_session_id`.
    pub last_active: Option<String>,
    /// `(id, status)` of the sign-in attempt.
    pub sign_in: Option<(String, String)>,
    /// `(id, status)` of the sign-up attempt.
    pub sign_up: Option<(String, String)>,
    /// `updated_at`, in seconds from the start of virtual time.
    pub updated: i64,
}

/// The fake server.
#[derive(Debug, Clone, Default)]
pub struct FakeServer {
    /// The client it holds.
    pub client: ServerClient,
    /// Counter for attempt and token ids.
    pub serial: u64,
    /// Sessions made so far, whatever became of them or of their client: a session id is
    /// never used twice (as on the real server), or an id the engine buried when signing
    /// out of one session (decision 0010) would hide a new session that took it.
    pub sessions_made: u64,
}

/// A status is "signed in" (fapi.md §4): `active` or `pending`.
#[must_use]
pub fn is_signed_in_status(status: &str) -> bool {
    status == "active" || status == "pending"
}

impl FakeServer {
    fn next(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// A fresh client token, containing the secret marker.
    pub fn issue_token(&mut self) -> String {
        format!("tok-SECRET-{}", self.next())
    }

    /// A fresh dev-browser token, shaped as `POST /v1/dev_browser` answers them (`dvb_` and
    /// letters and digits), containing the secret marker.
    pub fn issue_dev_browser_token(&mut self) -> String {
        format!("dvb_SECRET{}", self.next())
    }

    /// A fresh `Clerk-Db-Jwt` header value, containing the secret marker (not `dvb_`-shaped:
    /// its redaction must not rely on the shape).
    pub fn issue_db_jwt_header(&mut self) -> String {
        format!("dbjwt-SECRET-{}", self.next())
    }

    /// Carries out what `kind` means on the server, then `change`. Returns the id of a
    /// session created by the change, if any.
    pub fn apply(&mut self, kind: RequestKind, change: ServerChange) {
        self.client.updated += 1;
        match kind {
            RequestKind::ClientCreate | RequestKind::ClientDestroy => {
                self.client = ServerClient { updated: self.client.updated, ..ServerClient::default() }
            }
            RequestKind::ClientRemoveSessions => {
                self.client.sessions.clear();
                self.client.last_active = None;
            }
            RequestKind::SignInCreate => {
                let id = format!("sia_{}", self.next());
                self.client.sign_in = Some((id, "needs_first_factor".into()));
            }
            RequestKind::SignUpCreate => {
                let id = format!("sua_{}", self.next());
                self.client.sign_up = Some((id, "missing_requirements".into()));
            }
            _ => {}
        }
        match change {
            ServerChange::Nothing => {}
            ServerChange::SignIn(target) => {
                let id = match &self.client.sign_in {
                    Some((id, _)) => id.clone(),
                    None => format!("sia_{}", self.next()),
                };
                if target == SignInTarget::Complete {
                    self.client.sign_in = None;
                    self.new_session();
                } else {
                    self.client.sign_in = Some((id, target.wire().into()));
                }
            }
            ServerChange::SignUp(target) => {
                let id = match &self.client.sign_up {
                    Some((id, _)) => id.clone(),
                    None => format!("sua_{}", self.next()),
                };
                if target == SignUpTarget::Complete {
                    self.client.sign_up = None;
                    self.new_session();
                } else {
                    self.client.sign_up = Some((id, target.wire().into()));
                }
            }
            ServerChange::SessionEnded => {
                if let Some(active) = &self.client.last_active {
                    for (id, status) in &mut self.client.sessions {
                        if id == active {
                            *status = "ended".into();
                        }
                    }
                }
            }
            ServerChange::SessionsCleared => {
                self.client.sessions.clear();
                self.client.last_active = None;
            }
        }
    }

    /// `POST /v1/client/sessions/{id}/remove` (fapi.md; as clerk-mock does it): a signed-in
    /// session becomes `removed` (still listed), one that is not keeps its status, and the
    /// client's `last_active_session_id` no longer names it. Returns whether the server
    /// holds the session at all (otherwise it answers 404 and changes nothing).
    pub fn remove_session(&mut self, id: &str) -> bool {
        let Some((_, status)) = self.client.sessions.iter_mut().find(|(sid, _)| sid == id) else {
            return false;
        };
        if is_signed_in_status(status) {
            *status = "removed".into();
        }
        if self.client.last_active.as_deref() == Some(id) {
            self.client.last_active = None;
        }
        true
    }

    fn new_session(&mut self) {
        // Session ids count from 1 so that the vocabulary's `sess_1` names a real one.
        self.sessions_made += 1;
        let id = format!("sess_{}", self.sessions_made);
        self.client.sessions.push((id.clone(), "active".into()));
        self.client.last_active = Some(id);
    }
}

/// Milliseconds since the Unix epoch of `start` plus `seconds`.
#[must_use]
pub fn ms(start: OffsetDateTime, seconds: i64) -> i64 {
    (start.unix_timestamp() + seconds) * 1000
}

/// A session object.
#[must_use]
pub fn session_json(start: OffsetDateTime, id: &str, status: &str) -> Value {
    json!({
        "object": "session",
        "id": id,
        "status": status,
        "expire_at": ms(start, 7 * 24 * 3600),
        "abandon_at": ms(start, 30 * 24 * 3600),
        "last_active_at": ms(start, 0),
        "last_active_organization_id": null,
        "user": { "id": "user_1", "object": "user", "first_name": "Ada" },
        "public_user_data": { "first_name": "Ada", "identifier": "ada@example.com" },
        "created_at": ms(start, 0),
        "updated_at": ms(start, 0)
    })
}

/// A sign-in attempt object offering `email_code` first and `phone_code`/`totp` second.
#[must_use]
pub fn sign_in_json(start: OffsetDateTime, id: &str, status: &str, created_session_id: Option<&str>) -> Value {
    json!({
        "object": "sign_in_attempt",
        "id": id,
        "status": status,
        "supported_identifiers": ["email_address"],
        "identifier": "ada@example.com",
        "supported_first_factors": [
            { "strategy": "email_code", "email_address_id": "idn_1", "safe_identifier": "ada@example.com" }
        ],
        "supported_second_factors": [
            { "strategy": "phone_code", "phone_number_id": "idn_2", "safe_identifier": "+1******99" },
            { "strategy": "totp" }
        ],
        "first_factor_verification": null,
        "second_factor_verification": null,
        "created_session_id": created_session_id,
        "abandon_at": ms(start, 3600)
    })
}

/// A sign-up attempt object.
#[must_use]
pub fn sign_up_json(start: OffsetDateTime, id: &str, status: &str, created_session_id: Option<&str>) -> Value {
    json!({
        "object": "sign_up_attempt",
        "id": id,
        "status": status,
        "required_fields": ["email_address"],
        "optional_fields": [],
        "missing_fields": [],
        "unverified_fields": if status == "complete" { json!([]) } else { json!(["email_address"]) },
        "email_address": "ada@example.com",
        "first_name": null,
        "verifications": {},
        "created_session_id": created_session_id,
        "abandon_at": ms(start, 3600)
    })
}

/// The server's client as JSON.
#[must_use]
pub fn client_json(start: OffsetDateTime, client: &ServerClient) -> Value {
    json!({
        "object": "client",
        "id": "client_1",
        "sessions": client.sessions.iter().map(|(id, status)| session_json(start, id, status)).collect::<Vec<_>>(),
        "sign_in": client.sign_in.as_ref().map(|(id, status)| sign_in_json(start, id, status, None)),
        "sign_up": client.sign_up.as_ref().map(|(id, status)| sign_up_json(start, id, status, None)),
        "last_active_session_id": client.last_active,
        "cookie_expires_at": ms(start, 30 * 24 * 3600),
        "created_at": ms(start, 0),
        "updated_at": ms(start, client.updated)
    })
}

/// An environment object.
#[must_use]
pub fn environment_json() -> Value {
    json!({
        "auth_config": { "object": "auth_config", "id": "aac_1", "single_session_mode": false },
        "display_config": { "object": "display_config", "id": "display_config_1", "instance_environment_type": "development" },
        "user_settings": {},
        "organization_settings": { "enabled": false }
    })
}

/// A Frontend API error body; `client` rides along in `meta.client` when given.
#[must_use]
pub fn error_json(code: &str, client: Option<&Value>) -> Value {
    let mut body = json!({
        "errors": [{ "code": code, "message": "msg", "long_message": format!("long {code}"), "meta": {} }],
        "clerk_trace_id": "trace-1"
    });
    if let (Some(client), Some(object)) = (client, body.as_object_mut()) {
        object.insert("meta".into(), json!({ "client": client }));
    }
    body
}

/// An unsigned session JWT with these claims (the engine reads, never verifies, them).
#[must_use]
pub fn session_jwt(session_id: &str, iat: i64, exp: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = json!({ "sid": session_id, "sub": "user_1", "iat": iat, "exp": exp, "nbf": iat });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
    format!("{header}.{payload}.c2lnbmF0dXJl")
}
