//! `/v1/me/sessions…`: the signed-in user's sessions on every client ("active devices":
//! clerk-js's `user.getSessions()` and `SessionWithActivities.revoke()`; fapi.md §3.5.3,
//! §5.5, Appendix A row 36).
//!
//! Both act as the session `_clerk_session_id` names (else the client's last active one),
//! which must be a signed-in session of the request's client: anything else is 401
//! `authentication_invalid`, as for an unauthenticated `/v1/me` call.

use serde_json::Value;

use super::{Call, Outcome, Reply, envelope};
use crate::error::ApiError;
use crate::state::{Exchange, MockState, Session};

/// The session the request acts as.
fn requester(state: &MockState, exchange: &Exchange, call: &Call<'_>) -> Result<Session, ApiError> {
    let unauthenticated = || ApiError::authentication_invalid("No signed-in session was found for this request.");
    let client_id = exchange.client_id.as_deref().ok_or_else(unauthenticated)?;
    let client = state.clients.get(client_id).ok_or_else(unauthenticated)?;
    let session_id = match call.query("_clerk_session_id").filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => client.last_active_session_id.clone().ok_or_else(unauthenticated)?,
    };
    state
        .sessions
        .get(&session_id)
        .filter(|session| session.client_id == client_id && session.is_signed_in())
        .cloned()
        .ok_or_else(unauthenticated)
}

/// `GET /v1/me/sessions/active`: every signed-in session of the user, on any live client,
/// newest activity first, each with its client's latest activity (an unwrapped array).
pub(crate) fn active_sessions(state: &mut MockState, exchange: &mut Exchange, call: &Call<'_>) -> Outcome {
    let me = requester(state, exchange, call)?;
    let mut sessions: Vec<&Session> = state
        .sessions
        .values()
        .filter(|session| session.user_id == me.user_id && session.is_signed_in())
        .filter(|session| state.clients.get(&session.client_id).is_some_and(|client| !client.ended))
        .collect();
    sessions.sort_by(|a, b| b.last_active_at.cmp(&a.last_active_at).then_with(|| a.id.cmp(&b.id)));
    let list: Vec<Value> = sessions.into_iter().map(|session| state.render_active_session(session)).collect();
    Ok(Reply::ok(Value::Array(list)))
}

/// `POST /v1/me/sessions/{id}/revoke`: one of the user's sessions, on any client, becomes
/// `revoked` (its client no longer names it last active, and its next request finds it
/// gone). A session of another user, or none, is 404 `resource_not_found`; one already
/// ended stays as it is. Answers the session with the requesting client beside it.
pub(crate) fn revoke(state: &mut MockState, exchange: &mut Exchange, call: &Call<'_>, id: &str) -> Outcome {
    let me = requester(state, exchange, call)?;
    if state.sessions.get(id).is_none_or(|session| session.user_id != me.user_id) {
        return Err(ApiError::not_found("session"));
    }
    state.revoke_session(id);
    Ok(Reply::ok(envelope(state, state.render_session(id), exchange)))
}
