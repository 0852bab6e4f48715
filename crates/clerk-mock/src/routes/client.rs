//! `/v1/client`: read, create, end the client, and remove all its sessions.

use serde_json::{Value, json};

use super::{Call, Outcome, Reply};
use crate::state::{Exchange, MockState};

/// `GET /v1/client`: `{response: Client, client: null}`, or `{response: null, client: null}`
/// for a request without a live client (no token, stale token, ended client).
/// `rotating_token_nonce` rotates the token.
pub(crate) fn get(state: &mut MockState, exchange: &mut Exchange, call: &Call<'_>) -> Outcome {
    let Some(client_id) = exchange.client_id.clone() else {
        return Ok(Reply::ok(json!({ "response": null, "client": null })));
    };
    if call.query("rotating_token_nonce").is_some_and(|n| !n.is_empty()) {
        state.rotate_token(&client_id, exchange);
    }
    Ok(Reply::ok(json!({ "response": state.render_client(&client_id), "client": null })))
}

/// `POST`/`PUT /v1/client`: the request's client, created if it has none.
pub(crate) fn create(state: &mut MockState, exchange: &mut Exchange) -> Outcome {
    let client_id = state.ensure_client(exchange);
    Ok(Reply::ok(json!({ "response": state.render_client(&client_id), "client": null })))
}

/// `DELETE /v1/client`: ends every session, ends the client (its tokens become stale), and
/// answers the ended client with `client: null`.
pub(crate) fn destroy(state: &mut MockState, exchange: &mut Exchange) -> Outcome {
    let Some(client_id) = exchange.client_id.clone() else {
        return Ok(Reply::ok(json!({ "response": null, "client": null })));
    };
    end_sessions(state, &client_id, "ended");
    let response = state.render_client(&client_id);
    if let Some(client) = state.clients.get_mut(&client_id) {
        client.ended = true;
    }
    exchange.client_id = None;
    Ok(Reply::ok(json!({ "response": response, "client": null })))
}

/// `DELETE /v1/client/sessions`: removes every session (default sign-out), keeps the client and
/// its token; answers the client with `client: null`.
pub(crate) fn remove_sessions(state: &mut MockState, exchange: &mut Exchange) -> Outcome {
    let Some(client_id) = exchange.client_id.clone() else {
        return Ok(Reply::ok(json!({ "response": null, "client": null })));
    };
    end_sessions(state, &client_id, "removed");
    let response: Value = state.render_client(&client_id);
    Ok(Reply::ok(json!({ "response": response, "client": null })))
}

/// Moves every signed-in session of the client to `status` and clears the active session.
fn end_sessions(state: &mut MockState, client_id: &str, status: &'static str) {
    let now = state.now();
    let Some(client) = state.clients.get_mut(client_id) else { return };
    client.last_active_session_id = None;
    client.updated_at = now;
    let ids = client.session_ids.clone();
    for id in ids {
        if let Some(session) = state.sessions.get_mut(&id).filter(|s| s.is_signed_in()) {
            session.status = status;
            session.updated_at = now;
        }
    }
}
