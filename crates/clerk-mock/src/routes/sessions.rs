//! `/v1/client/sessions/{id}…`: read, touch (set active, switch organization), end, remove,
//! and session tokens (fapi.md §3.5).

use serde_json::json;

use super::{Call, Outcome, Reply, envelope};
use crate::error::ApiError;
use crate::state::{Exchange, MockState, Session};

/// The session `id` of the request's client.
fn own_session(state: &MockState, exchange: &Exchange, id: &str) -> Result<Session, ApiError> {
    let client_id = exchange.client_id.as_deref().ok_or_else(|| ApiError::not_found("session"))?;
    state.sessions.get(id).filter(|s| s.client_id == client_id).cloned().ok_or_else(|| ApiError::not_found("session"))
}

/// The session, which must be signed in (`authentication_invalid` otherwise).
fn signed_in_session(state: &MockState, exchange: &Exchange, id: &str) -> Result<Session, ApiError> {
    let session = own_session(state, exchange, id)?;
    if session.is_signed_in() {
        Ok(session)
    } else {
        Err(ApiError::authentication_invalid(&format!("The session is {}.", session.status)))
    }
}

/// `GET /v1/client/sessions/{id}`.
pub(crate) fn get(state: &mut MockState, exchange: &mut Exchange, id: &str) -> Outcome {
    own_session(state, exchange, id)?;
    Ok(Reply::ok(envelope(state, state.render_session(id), exchange)))
}

/// `POST /v1/client/sessions/{id}/touch`: records activity, makes it the client's last active
/// session, and switches organization when `active_organization_id` is sent (empty: personal
/// account; an id or slug of one of the user's organizations).
pub(crate) fn touch(state: &mut MockState, exchange: &mut Exchange, call: &Call<'_>, id: &str) -> Outcome {
    let session = signed_in_session(state, exchange, id)?;
    let forced = state.settings.force_organization_selection;
    let organization = match call.form("active_organization_id") {
        None => session.last_active_organization_id.clone(),
        // With organization selection forced there is no personal account: empty keeps the
        // organization the session has (fapi.md §3.8.2, `active_organization_id`).
        Some("") if forced => session.last_active_organization_id.clone(),
        Some("") => None,
        Some(id_or_slug) => {
            Some(state.organization_of(&session.user_id, id_or_slug).map(|o| o.id.clone()).ok_or_else(|| {
                ApiError::param_invalid("active_organization_id", "The user is not a member of this organization.")
            })?)
        }
    };
    let now = state.now();
    if let Some(session) = state.sessions.get_mut(id) {
        // Choosing an organization resolves the `choose-organization` task (fapi.md §5.3).
        if session.status == "pending" && organization.is_some() {
            session.status = "active";
        }
        session.last_active_organization_id = organization;
        session.last_active_at = now;
        session.updated_at = now;
    }
    if let Some(client) = state.clients.get_mut(&session.client_id) {
        client.last_active_session_id = Some(id.to_owned());
        client.updated_at = now;
    }
    Ok(Reply::ok(envelope(state, state.render_session(id), exchange)))
}

/// `POST …/end` (`ended`) and `POST …/remove` (`removed`).
pub(crate) fn finish(state: &mut MockState, exchange: &mut Exchange, id: &str, status: &'static str) -> Outcome {
    let session = own_session(state, exchange, id)?;
    let now = state.now();
    if let Some(session) = state.sessions.get_mut(id).filter(|s| s.is_signed_in()) {
        session.status = status;
        session.updated_at = now;
    }
    if let Some(client) = state.clients.get_mut(&session.client_id) {
        if client.last_active_session_id.as_deref() == Some(id) {
            client.last_active_session_id = None;
        }
        client.updated_at = now;
    }
    Ok(Reply::ok(envelope(state, state.render_session(id), exchange)))
}

/// `POST …/tokens` and `POST …/tokens/{template}`: `{object: "token", jwt}` (unwrapped).
/// `organization_id`: absent → the session's organization, empty → personal account. A
/// template the instance does not have is `resource_not_found` (404, fapi.md §2.5), checked
/// after the session (see [`crate::MockServer::set_jwt_templates`]).
pub(crate) fn token(
    state: &mut MockState,
    exchange: &mut Exchange,
    call: &Call<'_>,
    id: &str,
    template: Option<&str>,
) -> Outcome {
    let session = signed_in_session(state, exchange, id)?;
    if let (Some(template), Some(known)) = (template, &state.settings.jwt_templates)
        && !known.iter().any(|name| name == template)
    {
        return Err(ApiError::new(
            404,
            "resource_not_found",
            "not found",
            &format!("No JWT template exists with name: {template}."),
        ));
    }
    let organization = match call.form("organization_id") {
        None => session.last_active_organization_id.clone(),
        Some("") => None,
        Some(org) => Some(state.organization_of(&session.user_id, org).map(|o| o.id.clone()).ok_or_else(|| {
            ApiError::param_invalid("organization_id", "The user is not a member of this organization.")
        })?),
    };
    let organization = if template.is_some() { None } else { organization };
    let jwt = state.session_jwt(&session, organization.as_deref(), template);
    Ok(Reply::ok(json!({ "object": "token", "jwt": jwt })))
}
