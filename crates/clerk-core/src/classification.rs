//! What an error code or a session status means for the user's sessions and the client:
//! one table, in code here and in `docs/sessions.md` (fapi.md §2.4–2.5, §4.10, §5.5;
//! design §4).
//!
//! | code / status | HTTP | effect |
//! | --- | --- | --- |
//! | `authentication_invalid` | 401 | one coalesced client refresh |
//! | any other 401 (except `requires_captcha`, `dev_browser_unauthenticated`) | 401 | one coalesced client refresh |
//! | any other 422 on a session request (touch, end, remove, token) | 422 | one coalesced client refresh |
//! | `resource_not_found` on a session request | 404 | one coalesced client refresh |
//! | `session_exists` | any | one coalesced client refresh (the session is on the client) |
//! | `identifier_already_signed_in` | any | one coalesced client refresh |
//! | `user_banned` on a session request | 403 | session gone: banned |
//! | `user_deactivated` on a session request | 403 | session gone: deactivated |
//! | `signed_out` on a session request | any | session gone: ended |
//! | `client_not_found` | any | client gone |
//! | `missing_expired_token` | 422 | token request repeated once with `expired_token` |
//! | `requires_captcha`, `dev_browser_unauthenticated`, `native_api_disabled`, `origin_invalid` | any | none (configuration, reported as the error)¹ |
//! | status `ended` | — | session gone: ended |
//! | status `removed` | — | session gone: removed |
//! | status `revoked` | — | session gone: revoked |
//! | status `expired` | — | session gone: expired |
//! | status `abandoned` | — | session gone: abandoned |
//! | status `replaced` | — | session gone: replaced |
//!
//! ¹ For sessions and the client. In browser mode on a development instance the engine also
//! renews its dev-browser token after `dev_browser_unauthenticated` (fapi.md §2.4; see
//! [`ClientConfig::uses_dev_browser`](crate::ClientConfig::uses_dev_browser)).
//!
//! A client refresh after a 401, a 422 or a 404 goes out only while a session is active (it
//! re-checks that session, as clerk-js's `handleUnauthenticated` does); after
//! `session_exists` or `identifier_already_signed_in` it goes out regardless, since the
//! session those codes name may be one the local client lacks.
//!
//! "Session gone" drops the session the request concerned from the active slot with
//! `SignedOut { reason }` and refreshes the client; "client gone" clears the client as a
//! `response: null` would. The session-gone codes count only on a session request (fapi.md
//! §2.4: clerk-js treats `user_banned`/`user_deactivated` as "unauthenticated" only for
//! session operations): a banned account failing to sign in on a client where someone else is
//! signed in says nothing about that other session.

use serde::Serialize;

use crate::kind::RequestKind;
use crate::wire::{ErrorCode, SessionStatus};

/// Why a session is no longer signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SessionEndReason {
    /// Ended by the user (`ended`, `signed_out`).
    Ended,
    /// Removed from the client (`removed`).
    Removed,
    /// Revoked from elsewhere (another device, the backend).
    Revoked,
    /// Past its lifetime (`expired`).
    Expired,
    /// Inactive past `abandon_at` (`abandoned`).
    Abandoned,
    /// Replaced by a newer session (`replaced`).
    Replaced,
    /// The user is banned (`user_banned`).
    Banned,
    /// The user is deactivated (`user_deactivated`).
    Deactivated,
    /// A status this library does not know, kept verbatim.
    Other(String),
}

/// What an error answer means beyond failing its operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorEffect {
    /// Nothing more.
    None,
    /// Refresh the client once (`GET /v1/client`), coalesced with any refresh already
    /// queued; its answer re-validates the active session.
    RefreshClient,
    /// The session the request concerned is gone, for this reason.
    SessionGone(SessionEndReason),
    /// The client is gone: clear it.
    ClientGone,
    /// Repeat the token request once with `expired_token` (fapi.md §3.5.4).
    RetryWithExpiredToken,
}

/// Whether a request kind concerns one session (touch, end, remove, reload, token).
#[must_use]
pub fn is_session_request(kind: RequestKind) -> bool {
    matches!(
        kind,
        RequestKind::SessionGet
            | RequestKind::SessionTouch
            | RequestKind::SessionEnd
            | RequestKind::SessionRemove
            | RequestKind::SessionToken
    )
}

/// Whether a request kind acts as the signed-in user across devices (`/v1/me/sessions…`:
/// list the active sessions, revoke one).
///
/// These are deliberately **not** session requests ([`is_session_request`]) for fapi.md
/// §2.4. clerk-js reaches them through the User resource (`user.getSessions()`,
/// `SessionWithActivities.revoke()`), not through a Session: only `Session.touch` and the
/// token poller run `handleUnauthenticated()` on a 422 or a 403 `user_banned` /
/// `user_deactivated`, and a revoke's 404 names the *target* session, usually another
/// device's, which says nothing about this client. So a 401 on them refreshes the client as
/// any 401 does (re-checking the active session they were sent as); a 403, 404 or 422 only
/// fails the operation.
#[must_use]
pub fn is_user_request(kind: RequestKind) -> bool {
    matches!(kind, RequestKind::MeSessionsActive | RequestKind::MeSessionRevoke)
}

/// The effect of an error answer with `code` and HTTP `status` to a request of `kind`.
#[must_use]
pub fn classify_error(code: &ErrorCode, status: u16, kind: RequestKind) -> ErrorEffect {
    match code {
        ErrorCode::RequiresCaptcha
        | ErrorCode::DevBrowserUnauthenticated
        | ErrorCode::NativeApiDisabled
        | ErrorCode::OriginInvalid => ErrorEffect::None,
        ErrorCode::UserBanned if is_session_request(kind) => ErrorEffect::SessionGone(SessionEndReason::Banned),
        ErrorCode::UserDeactivated if is_session_request(kind) => {
            ErrorEffect::SessionGone(SessionEndReason::Deactivated)
        }
        ErrorCode::SignedOut if is_session_request(kind) => ErrorEffect::SessionGone(SessionEndReason::Ended),
        ErrorCode::ClientNotFound => ErrorEffect::ClientGone,
        ErrorCode::MissingExpiredToken if kind == RequestKind::SessionToken => ErrorEffect::RetryWithExpiredToken,
        ErrorCode::AuthenticationInvalid | ErrorCode::SessionExists | ErrorCode::IdentifierAlreadySignedIn => {
            ErrorEffect::RefreshClient
        }
        ErrorCode::ResourceNotFound if is_session_request(kind) => ErrorEffect::RefreshClient,
        _ if status == 401 => ErrorEffect::RefreshClient,
        _ if status == 422 && is_session_request(kind) => ErrorEffect::RefreshClient,
        _ => ErrorEffect::None,
    }
}

/// Why a session in `status` is gone, or `None` while it is signed in.
#[must_use]
pub fn classify_status(status: &SessionStatus) -> Option<SessionEndReason> {
    Some(match status {
        SessionStatus::Active | SessionStatus::Pending => return None,
        SessionStatus::Ended => SessionEndReason::Ended,
        SessionStatus::Removed => SessionEndReason::Removed,
        SessionStatus::Revoked => SessionEndReason::Revoked,
        SessionStatus::Expired => SessionEndReason::Expired,
        SessionStatus::Abandoned => SessionEndReason::Abandoned,
        SessionStatus::Replaced => SessionEndReason::Replaced,
        other => SessionEndReason::Other(other.as_str().to_owned()),
    })
}
