//! Route dispatch: which handler serves a (method, path), and the envelopes around answers.

mod client;
mod environment;
mod me;
mod sessions;
pub(crate) mod sign_ins;
pub(crate) mod sign_ups;

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::request::{RecordedRequest, first};
use crate::state::{Exchange, MockState};

/// A successful answer: status and JSON body.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

impl Reply {
    /// 200 with this body.
    pub(crate) fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }
}

/// What a handler returns.
pub(crate) type Outcome = Result<Reply, ApiError>;

/// The request as handlers see it: effective method, decoded path segments, parameters.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) request: &'a RecordedRequest,
}

impl Call<'_> {
    /// A form parameter; empty values count as given (empty string).
    pub(crate) fn form(&self, name: &str) -> Option<&str> {
        first(&self.request.form, name)
    }

    /// A non-empty form parameter.
    pub(crate) fn form_nonempty(&self, name: &str) -> Option<&str> {
        self.form(name).filter(|v| !v.is_empty())
    }

    /// A required form parameter (`form_param_missing` when absent or empty).
    pub(crate) fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.form_nonempty(name).ok_or_else(|| ApiError::param_missing(name))
    }

    /// A boolean form parameter (`true`).
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.form(name) == Some("true")
    }

    /// A query parameter.
    pub(crate) fn query(&self, name: &str) -> Option<&str> {
        first(&self.request.query, name)
    }
}

/// `{response, client}` with the request's client (or `null`).
pub(crate) fn envelope(state: &MockState, response: Value, exchange: &Exchange) -> Value {
    let client = exchange.client_id.as_deref().map_or(Value::Null, |id| state.render_client(id));
    json!({ "response": response, "client": client })
}

/// Serves one validated Frontend API request.
pub(crate) fn dispatch(state: &mut MockState, exchange: &mut Exchange, request: &RecordedRequest) -> Outcome {
    let call = Call { request };
    let segments = request.segments();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = request.effective_method.as_str();
    match (method, segments.as_slice()) {
        ("GET", [".well-known", "jwks.json"]) => Ok(Reply::ok(state.signer.jwks())),
        ("GET" | "PATCH", ["v1", "environment"]) => environment::get(state),
        // fapi.md §1.8.3, §2.1: a dev-browser token for a browser on a development instance.
        // The mock identifies browsers by their `__client` cookie and does not check it.
        ("POST", ["v1", "dev_browser"]) => {
            Ok(Reply::ok(json!({ "object": "dev_browser", "id": state.random.id("dvb") })))
        }
        ("GET", ["v1", "client"]) => client::get(state, exchange, &call),
        ("POST" | "PUT", ["v1", "client"]) => client::create(state, exchange),
        ("DELETE", ["v1", "client"]) => client::destroy(state, exchange),
        ("DELETE", ["v1", "client", "sessions"]) => client::remove_sessions(state, exchange),
        ("POST", ["v1", "client", "sign_ins"]) => sign_ins::create(state, exchange, &call),
        ("GET", ["v1", "client", "sign_ins", id]) => sign_ins::reload(state, exchange, &call, id),
        ("POST", ["v1", "client", "sign_ins", id, action]) => sign_ins::action(state, exchange, &call, id, action),
        ("POST", ["v1", "client", "sign_ups"]) => sign_ups::create(state, exchange, &call),
        ("GET", ["v1", "client", "sign_ups", id]) => sign_ups::reload(state, exchange, &call, id),
        ("PATCH", ["v1", "client", "sign_ups", id]) => sign_ups::update(state, exchange, &call, id),
        ("POST", ["v1", "client", "sign_ups", id, action]) => sign_ups::action(state, exchange, &call, id, action),
        ("GET", ["v1", "client", "sessions", id]) => sessions::get(state, exchange, id),
        ("POST", ["v1", "client", "sessions", id, "touch"]) => sessions::touch(state, exchange, &call, id),
        ("POST", ["v1", "client", "sessions", id, "end"]) => sessions::finish(state, exchange, id, "ended"),
        ("POST", ["v1", "client", "sessions", id, "remove"]) => sessions::finish(state, exchange, id, "removed"),
        ("POST", ["v1", "client", "sessions", id, "tokens"]) => sessions::token(state, exchange, &call, id, None),
        ("POST", ["v1", "client", "sessions", id, "tokens", template]) => {
            sessions::token(state, exchange, &call, id, Some(template))
        }
        ("GET", ["v1", "me", "sessions", "active"]) => me::active_sessions(state, exchange, &call),
        ("POST", ["v1", "me", "sessions", id, "revoke"]) => me::revoke(state, exchange, &call, id),
        _ => Err(ApiError::new(
            501,
            "mock_operation_not_implemented",
            "not implemented by clerk-mock",
            &format!("The spec documents {method} {}, but clerk-mock does not implement it.", request.path),
        )),
    }
}
