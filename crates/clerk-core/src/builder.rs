//! The one place that turns an operation into an [`HttpRequest`].
//!
//! Every request goes through [`build_request`], which adds the parameters and headers
//! common to all requests (fapi.md §1.4–1.6), so no path can forget one:
//!
//! * query, in this order: the operation's own parameters, `__clerk_api_version`,
//!   `__domain` (development satellites), `_method` (browser mode tunnelling),
//!   `_clerk_session_id` (paths outside `/v1/client`), `__clerk_db_jwt` (the dev-browser
//!   token, marked secret: browser mode on a development instance), `_is_native=true`
//!   (native mode), `_clerk_retry_attempt` (retries);
//! * headers (native mode): `authorization` with the client token when one is stored
//!   (marked secret), `x-mobile: 1`, `x-clerk-client-id` when enabled; `content-type:
//!   application/x-www-form-urlencoded` on every request with a body;
//! * a form body (possibly empty) on every request whose wire method is not GET.

use crate::config::{ClientConfig, TransportMode};
use crate::kind::RequestKind;
use crate::request::{Field, HttpRequest, Method};
use crate::secret::{ClientToken, DevBrowserToken};

/// What an operation needs sent, before the common parts are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestSpec {
    pub(crate) kind: RequestKind,
    /// The logical method (before tunnelling).
    pub(crate) method: Method,
    /// The path, `/v1/…`, ids already encoded.
    pub(crate) path: String,
    /// The operation's own query parameters.
    pub(crate) query: Vec<Field>,
    /// The operation's form fields (ignored for GET).
    pub(crate) form: Vec<Field>,
}

impl RequestSpec {
    pub(crate) fn new(kind: RequestKind, path: impl Into<String>) -> Self {
        RequestSpec { kind, method: kind.method(), path: path.into(), query: Vec::new(), form: Vec::new() }
    }
}

/// The state-dependent inputs of [`build_request`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestContext<'a> {
    /// The client token to present (native mode).
    pub(crate) token: Option<&'a ClientToken>,
    /// The active session, sent as `_clerk_session_id` outside `/v1/client`.
    pub(crate) session_id: Option<&'a str>,
    /// The client id, sent as `x-clerk-client-id` when the configuration asks for it.
    pub(crate) client_id: Option<&'a str>,
    /// The dev-browser token, sent as `__clerk_db_jwt` (the engine passes it only when the
    /// configuration uses one, and not to `POST /v1/dev_browser` itself).
    pub(crate) dev_browser: Option<&'a DevBrowserToken>,
    /// 1 for a first try; retries add `_clerk_retry_attempt=attempt-1`.
    pub(crate) attempt: u32,
}

pub(crate) fn build_request(config: &ClientConfig, spec: &RequestSpec, context: RequestContext<'_>) -> HttpRequest {
    let native = config.mode() == TransportMode::Native;
    let (wire_method, tunnelled) = match (native, spec.method) {
        (_, Method::Get) | (_, Method::Post) | (_, Method::Head) => (spec.method, None),
        (true, method) => (method, None),
        (false, method) => (Method::Post, Some(method)),
    };

    // The operation's own parameters first, except `rotating_token_nonce`, which clerk-js
    // puts after the API version (fapi.md §1.4, Appendix B.3).
    let mut query = Vec::with_capacity(spec.query.len() + 4);
    let mut nonce = Vec::new();
    for field in &spec.query {
        if field.name == "rotating_token_nonce" {
            nonce.push(field.clone());
        } else {
            query.push(field.clone());
        }
    }
    query.push(Field::plain("__clerk_api_version", config.api_version_value()));
    query.extend(nonce);
    if let Some(domain) = config.domain_query_value() {
        query.push(Field::plain("__domain", domain.to_owned()));
    }
    if let Some(method) = tunnelled {
        query.push(Field::plain("_method", method.as_str()));
    }
    let outside_client = !(spec.path == "/v1/client" || spec.path.starts_with("/v1/client/"));
    if outside_client && let Some(session_id) = context.session_id {
        query.push(Field::plain("_clerk_session_id", session_id.to_owned()));
    }
    if let Some(dev_browser) = context.dev_browser {
        query.push(Field::secret("__clerk_db_jwt", dev_browser.expose()));
    }
    if native {
        query.push(Field::plain("_is_native", "true"));
    }
    if context.attempt > 1 {
        query.push(Field::plain("_clerk_retry_attempt", (context.attempt - 1).to_string()));
    }

    let mut headers = Vec::with_capacity(4);
    if native {
        if let Some(token) = context.token {
            headers.push(Field::secret("authorization", token.expose()));
        }
        headers.push(Field::plain("x-mobile", "1"));
        if config.client_id_header()
            && let Some(client_id) = context.client_id.filter(|id| !id.is_empty())
        {
            headers.push(Field::plain("x-clerk-client-id", client_id.to_owned()));
        }
    }
    let form = if wire_method == Method::Get || wire_method == Method::Head {
        None
    } else {
        headers.push(Field::plain("content-type", "application/x-www-form-urlencoded"));
        Some(spec.form.clone())
    };
    HttpRequest { method: wire_method, path: spec.path.clone(), query, headers, form }
}
