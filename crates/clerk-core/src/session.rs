//! Sessions and session tokens: commands, their legality, and the requests they mean
//! (fapi.md §3.5, §3.8, §5.3, §5.5, §6.3–6.4; design §7.4, §7.9, §7.10).
//!
//! Legality depends on the status of the session the command names:
//!
//! | session | set_active | touch | end | remove | sign_out | reload | get_token |
//! | --- | --- | --- | --- | --- | --- | --- | --- |
//! | not on the client | | | | | | | |
//! | `active` | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | `pending` | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | terminal (`ended`, `expired`, `removed`, `revoked`, `abandoned`, `replaced`) | | | | | | ✓ | |
//! | unknown | | | | | | ✓ | |
//!
//! `sign_out` without a session (all sessions) is always legal: it also clears local
//! state. `get_token` without a session asks for the active one and is refused when there
//! is none.
//!
//! The user's commands on their sessions across devices ([`USER_SESSION_COMMAND_NAMES`]:
//! `active_sessions`, `revoke`; `/v1/me/sessions…`, as clerk-js's `user.getSessions()` and
//! `SessionWithActivities.revoke()`) are sent as the active session's user. They are legal
//! whenever a signed-in session is active on this client, whatever session `revoke` names
//! (usually another device's, which this client does not hold), and refused with
//! `CommandError::NoActiveSession` otherwise.

use serde::Serialize;

use crate::builder::RequestSpec;
use crate::encoding::ResourceId;
use crate::error::CommandError;
use crate::kind::RequestKind;
use crate::request::Field;
use crate::wire::{ActiveSessionResource, SessionResource, SessionStatus, Text};

/// Which organization a session token or activation is for (design §7.10).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum OrganizationChoice {
    /// The session's active organization (`last_active_organization_id`), whatever it is.
    #[default]
    SessionDefault,
    /// The personal account (no organization): sent as an empty value. Activating it is
    /// refused (`CommandError::InvalidArgument`) when the loaded environment forces
    /// organization selection (`organization_settings.force_organization_selection`), where
    /// the server would keep the previous organization.
    Personal,
    /// This organization: its id (`org_…`) or its slug. A slug is looked up among the
    /// session user's organization memberships and sent as that organization's id, as
    /// clerk-js does (fapi.md §3.8.2); a slug no membership has is sent as given, for the
    /// server to accept or refuse (clerk-js would quietly choose the personal account).
    Id(#[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::id))] String),
}

impl OrganizationChoice {
    /// The organization id this choice means for `session`: `None` is the personal account.
    ///
    /// ```
    /// use clerk_core::OrganizationChoice;
    /// use clerk_core::wire::SessionResource;
    ///
    /// let session: SessionResource = serde_json::from_str(
    ///     r#"{"id":"sess_1","status":"active","last_active_organization_id":"org_1",
    ///         "user":{"id":"user_1","organization_memberships":[
    ///             {"id":"orgmem_2","organization":{"id":"org_2","slug":"acme"}}]}}"#,
    /// ).unwrap();
    /// let id = |choice: OrganizationChoice| choice.resolve(Some(&session)).map(|id| id.to_string());
    /// assert_eq!(id(OrganizationChoice::SessionDefault).as_deref(), Some("org_1"));
    /// assert_eq!(id(OrganizationChoice::Personal), None);
    /// assert_eq!(id(OrganizationChoice::Id("acme".into())).as_deref(), Some("org_2"));
    /// assert_eq!(id(OrganizationChoice::Id("org_9".into())).as_deref(), Some("org_9"));
    /// assert_eq!(id(OrganizationChoice::Id("unknown".into())).as_deref(), Some("unknown"));
    /// ```
    #[must_use]
    pub fn resolve(&self, session: Option<&SessionResource>) -> Option<Text> {
        match self {
            OrganizationChoice::SessionDefault => session.and_then(|s| s.last_active_organization_id.clone()),
            OrganizationChoice::Personal => None,
            OrganizationChoice::Id(id) if id.starts_with("org_") => Some(Text::from(id)),
            OrganizationChoice::Id(slug) => {
                Some(organization_with_slug(session, slug).unwrap_or_else(|| Text::from(slug)))
            }
        }
    }
}

/// The id of the organization whose slug is `slug` among the memberships of `session`'s
/// user.
fn organization_with_slug(session: Option<&SessionResource>, slug: &str) -> Option<Text> {
    let user = session?.user.as_deref()?;
    user.organization_memberships
        .iter()
        .filter_map(|membership| membership.organization.as_ref())
        .find(|organization| organization.slug.as_deref() == Some(slug))
        .and_then(|organization| organization.id.clone())
}

/// Why a touch happened (`intent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TouchIntent {
    /// The app came to the foreground.
    Focus,
    /// The user chose this session.
    SelectSession,
    /// The user chose an organization.
    SelectOrg,
}

impl TouchIntent {
    /// The wire value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TouchIntent::Focus => "focus",
            TouchIntent::SelectSession => "select_session",
            TouchIntent::SelectOrg => "select_org",
        }
    }
}

/// A request for a session token (`get_token`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct TokenRequest {
    /// The session; `None` for the active one.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
    pub session_id: Option<String>,
    /// A JWT template name; `None` for the default session token.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub template: Option<String>,
    /// The organization. A template token is made for the session's active organization
    /// (the template endpoint takes none): with a template, any other choice is refused
    /// ([`CommandError::InvalidArgument`]); make the organization active first.
    pub organization: OrganizationChoice,
    /// Fetch even when a usable token is cached (`debug=skip_cache`).
    pub skip_cache: bool,
}

impl TokenRequest {
    /// The active session's token from JWT template `name` (`POST …/tokens/{name}`).
    #[must_use]
    pub fn template(name: impl Into<String>) -> Self {
        TokenRequest { template: Some(name.into()), ..TokenRequest::default() }
    }
}

/// Commands on sessions and session tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum SessionCommand {
    /// Make this session the active one, optionally switching organization
    /// (`POST …/touch` with `active_organization_id` and intent `select_session` or
    /// `select_org`). The session becomes active when the server answers.
    SetActive {
        /// The session.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::id))]
        session_id: String,
        /// The organization to activate (`SessionDefault` keeps the session's current one).
        organization: OrganizationChoice,
    },
    /// Record activity (`POST …/touch` with the session's current organization). The
    /// active session stays as it is, even when another session is touched (the server
    /// then names that one last active); [`SetActive`](Self::SetActive) switches.
    Touch {
        /// The session.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::id))]
        session_id: String,
        /// Why.
        intent: Option<TouchIntent>,
    },
    /// `POST …/end`: the session ends (`ended`).
    End {
        /// The session.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::id))]
        session_id: String,
    },
    /// `POST …/remove`: the session is removed from the client (`removed`).
    Remove {
        /// The session.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::id))]
        session_id: String,
    },
    /// Sign out (design §7.9): of every session (`DELETE /v1/client/sessions`) when
    /// `session_id` is `None`, else of that one (`POST …/remove`). Local state is cleared
    /// at once; the outcome says whether the server confirmed.
    SignOut {
        /// One session, or all.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        session_id: Option<String>,
    },
    /// `GET /v1/client/sessions/{id}`.
    Reload {
        /// The session.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::id))]
        session_id: String,
    },
    /// A session token, from the cache when one is usable.
    GetToken(TokenRequest),
    /// `GET /v1/me/sessions/active`: the signed-in user's active sessions on every device,
    /// with where each was last used. Reads only: nothing local changes. Completes with
    /// [`Completion::ActiveSessions`](crate::Completion::ActiveSessions).
    ActiveSessions,
    /// `POST /v1/me/sessions/{id}/revoke`: revokes one of the user's sessions, on this
    /// device or another (status `revoked`). Another device's session is not added to this
    /// client; revoking this client's own session signs it out here as a session ended
    /// elsewhere does (`SignedOut { reason: SessionEnded { reason: Revoked } }`). Completes
    /// with [`Completion::SessionRevoked`](crate::Completion::SessionRevoked).
    Revoke {
        /// The session to revoke (any of the user's, from [`ActiveSessions`](Self::ActiveSessions)).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::id))]
        session_id: String,
    },
}

/// The columns of the session legality table.
pub const SESSION_COMMAND_NAMES: [&str; 7] =
    ["set_active", "touch", "end", "remove", "sign_out", "reload", "get_token"];

/// The session commands outside the legality table: they act as the active session's user
/// (`/v1/me/sessions…`) and need only a signed-in active session (module documentation).
pub const USER_SESSION_COMMAND_NAMES: [&str; 2] = ["active_sessions", "revoke"];

impl SessionCommand {
    /// A short stable name (a column of the legality table).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            SessionCommand::SetActive { .. } => "set_active",
            SessionCommand::Touch { .. } => "touch",
            SessionCommand::End { .. } => "end",
            SessionCommand::Remove { .. } => "remove",
            SessionCommand::SignOut { .. } => "sign_out",
            SessionCommand::Reload { .. } => "reload",
            SessionCommand::GetToken(_) => "get_token",
            SessionCommand::ActiveSessions => "active_sessions",
            SessionCommand::Revoke { .. } => "revoke",
        }
    }

    /// Whether the command changes server state. Token requests, reloads and the
    /// active-sessions list do not.
    #[must_use]
    pub fn is_mutating(&self) -> bool {
        !matches!(self, SessionCommand::Reload { .. } | SessionCommand::GetToken(_) | SessionCommand::ActiveSessions)
    }

    /// Whether the command acts as the active session's user (`/v1/me/sessions…`,
    /// [`USER_SESSION_COMMAND_NAMES`]) rather than on a session of this client.
    #[must_use]
    pub fn is_user_command(&self) -> bool {
        matches!(self, SessionCommand::ActiveSessions | SessionCommand::Revoke { .. })
    }

    /// The session the command names, if it names one.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        match self {
            SessionCommand::SetActive { session_id, .. }
            | SessionCommand::Touch { session_id, .. }
            | SessionCommand::End { session_id }
            | SessionCommand::Remove { session_id }
            | SessionCommand::Reload { session_id }
            | SessionCommand::Revoke { session_id } => Some(session_id),
            SessionCommand::SignOut { session_id } => session_id.as_deref(),
            SessionCommand::GetToken(request) => request.session_id.as_deref(),
            SessionCommand::ActiveSessions => None,
        }
    }
}

/// The legality table by command name and the named session's status (`None`: the
/// client has no such session).
#[must_use]
pub fn legal(command: &str, status: Option<&SessionStatus>) -> bool {
    match status {
        None => false,
        Some(status) if status.is_signed_in() => true,
        Some(_) => command == "reload",
    }
}

/// The session status as the legality table and errors name it.
#[must_use]
pub fn status_name(status: Option<&SessionStatus>) -> String {
    status.map_or_else(|| String::from("not on the client"), |status| status.as_str().to_owned())
}

fn session_path(session_id: &str, action: &str) -> Result<String, CommandError> {
    let id = ResourceId::new(session_id)?;
    Ok(if action.is_empty() {
        format!("/v1/client/sessions/{}", id.to_path_segment())
    } else {
        format!("/v1/client/sessions/{}/{action}", id.to_path_segment())
    })
}

/// `POST …/touch`: `active_organization_id` always (empty = personal account), `intent`
/// when given.
pub(crate) fn touch_request(
    session_id: &str,
    organization: Option<&str>,
    intent: Option<TouchIntent>,
) -> Result<RequestSpec, CommandError> {
    let mut spec = RequestSpec::new(RequestKind::SessionTouch, session_path(session_id, "touch")?);
    spec.form.push(Field::plain("active_organization_id", organization.unwrap_or_default().to_owned()));
    if let Some(intent) = intent {
        spec.form.push(Field::plain("intent", intent.as_str()));
    }
    Ok(spec)
}

/// `POST …/end`, `…/remove`, `GET …`.
pub(crate) fn simple_request(kind: RequestKind, session_id: &str) -> Result<RequestSpec, CommandError> {
    let action = match kind {
        RequestKind::SessionEnd => "end",
        RequestKind::SessionRemove => "remove",
        _ => "",
    };
    Ok(RequestSpec::new(kind, session_path(session_id, action)?))
}

/// `POST …/tokens` (body `organization_id`, empty for the personal account) or
/// `POST …/tokens/{template}` (empty body); `debug=skip_cache` and `expired_token` in the
/// query when asked.
pub(crate) fn token_request(
    session_id: &str,
    template: Option<&str>,
    organization: Option<&str>,
    skip_cache: bool,
    expired_token: Option<&str>,
) -> Result<RequestSpec, CommandError> {
    let path = match template {
        Some(template) => {
            // A template name goes in the path as an id does; refused as what it is.
            let template = ResourceId::new(template).map_err(CommandError::InvalidTemplate)?;
            format!("{}/{}", session_path(session_id, "tokens")?, template.to_path_segment())
        }
        None => session_path(session_id, "tokens")?,
    };
    let mut spec = RequestSpec::new(RequestKind::SessionToken, path);
    if skip_cache {
        spec.query.push(Field::plain("debug", "skip_cache"));
    }
    if let Some(expired) = expired_token {
        spec.query.push(Field::secret("expired_token", expired));
    }
    if template.is_none() {
        spec.form.push(Field::plain("organization_id", organization.unwrap_or_default().to_owned()));
    }
    Ok(spec)
}

/// `GET /v1/me/sessions/active` (`_clerk_session_id` is added by the builder: the path is
/// outside `/v1/client`).
pub(crate) fn active_sessions_request() -> RequestSpec {
    RequestSpec::new(RequestKind::MeSessionsActive, "/v1/me/sessions/active")
}

/// `POST /v1/me/sessions/{id}/revoke` (no body; the id percent-encoded, hostile ids refused).
pub(crate) fn revoke_request(session_id: &str) -> Result<RequestSpec, CommandError> {
    let id = ResourceId::new(session_id)?;
    Ok(RequestSpec::new(RequestKind::MeSessionRevoke, format!("/v1/me/sessions/{}/revoke", id.to_path_segment())))
}

/// One of the user's active sessions, as
/// [`Completion::ActiveSessions`](crate::Completion::ActiveSessions) lists them: what the
/// server said about it, and how it relates to this client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ActiveSession {
    /// The session as the server listed it: id, status, `last_active_at`, `expire_at`,
    /// `abandon_at`, actor, tasks, and its latest activity (device, browser, IP, place).
    pub session: ActiveSessionResource,
    /// The session is one of this client's own (listed in the local client): this device.
    pub on_this_client: bool,
    /// The session is this client's active session (the one the request was sent as).
    pub current: bool,
}

impl ActiveSession {
    /// The pairing of a listed session with the local client's sessions and active session.
    #[must_use]
    pub fn new(session: ActiveSessionResource, on_this_client: bool, current: bool) -> Self {
        ActiveSession { session, on_this_client, current }
    }

    /// The session id.
    #[must_use]
    pub fn id(&self) -> &str {
        self.session.id.as_str()
    }
}
