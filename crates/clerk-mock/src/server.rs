//! The HTTP side: axum on a current-thread tokio runtime of its own thread, one pipeline for
//! every Frontend API request (record → fault → validate → identify → dispatch → envelope),
//! and the mock-only control endpoints under `/__mock/`.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::routing::{get, post};
use clerk_spec::SpecTable;
use http_body::{Frame, SizeHint};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::faults::Fault;
use crate::request::{CLIENT_COOKIE, RecordedAnswer, RecordedRequest, decode_pairs};
use crate::routes;
use crate::state::{Exchange, MockState};
use crate::validation::{self, SpecViolation};

/// What the server thread and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) state: Mutex<MockState>,
    pub(crate) spec: SpecTable,
}

impl Shared {
    /// The state, even if a handler panicked while holding it.
    pub(crate) fn lock(&self) -> MutexGuard<'_, MockState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The router: mock-only endpoints, then everything else through the FAPI pipeline.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/__mock/email_links/click", post(click_email_link))
        .route("/__mock/codes", get(latest_code))
        .route("/__mock/totp", get(current_totp))
        .fallback(frontend_api)
        .with_state(shared)
}

/// `GET /__mock/codes?to=ADDRESS`: the latest one-time code sent to an email address or
/// phone number, as the person would read it in their inbox. 200 `{"code": "…"}`, or 404
/// `{"code": null}` when none was sent.
async fn latest_code(State(shared): State<Arc<Shared>>, request: Request) -> Response<Body> {
    let query = request.uri().query().map(decode_pairs).unwrap_or_default();
    let to = crate::request::first(&query, "to").unwrap_or_default();
    let code = shared.lock().codes.get(&crate::state::code_key(to)).cloned();
    json_response(if code.is_some() { 200 } else { 404 }, &json!({ "code": code }))
}

/// `GET /__mock/totp?email=ADDRESS`: the TOTP code the user's authenticator app would show
/// now (the mock's clock), as [`MockServer::totp_code`](crate::MockServer::totp_code) gives
/// it. 200 `{"code": "…"}`, or 404 with Clerk's error envelope (`resource_not_found`) whose
/// `long_message` names the address looked up: no user has it (with a reminder that a `+`
/// in a query reads as a space and must be sent as `%2B`), or the user has no TOTP second
/// factor.
async fn current_totp(State(shared): State<Arc<Shared>>, request: Request) -> Response<Body> {
    let query = request.uri().query().map(decode_pairs).unwrap_or_default();
    let email = crate::request::first(&query, "email").unwrap_or_default();
    let state = shared.lock();
    let why = match state.user_by_identifier(email) {
        None => unknown_address(email),
        Some(user) => match user.totp.as_ref().and_then(|totp| totp.code_at(state.clock.now_secs())) {
            Some(code) => return json_response(200, &json!({ "code": code })),
            None => format!("The user with the email address {email:?} has no TOTP second factor."),
        },
    };
    let error = ApiError {
        meta: json!({ "param_name": "email" }),
        ..ApiError::new(404, "resource_not_found", "not found", &why)
    };
    json_response(404, &error_body(&[error], Value::Null))
}

/// Why `GET /__mock/totp` found no user for `email`: the address as the mock read it, and
/// how to send a `+` in a query (form decoding turns a bare `+` into a space).
fn unknown_address(email: &str) -> String {
    let mut why = format!("No user has the email address {email:?}.");
    if email.contains(' ') {
        let encoded = email.replace(' ', "%2B").replace('@', "%40");
        why.push_str(&format!(" A \"+\" in a query string reads as a space: send it as %2B (email={encoded})."));
    } else {
        why.push_str(" Percent-encode the address in the query: a \"+\" must be sent as %2B.");
    }
    why
}

/// `POST /__mock/email_links/click` with form `email=…`: opens the latest email link sent to
/// that address. 200 `{"clicked": true}`, or 404 `{"clicked": false}` when none is pending.
async fn click_email_link(State(shared): State<Arc<Shared>>, body: Bytes) -> Response<Body> {
    let form = decode_pairs(&String::from_utf8_lossy(&body));
    let email = crate::request::first(&form, "email").unwrap_or_default().to_owned();
    let clicked = crate::handle::open_email_link(&mut shared.lock(), &email);
    json_response(if clicked { 200 } else { 404 }, &json!({ "clicked": clicked }))
}

/// Every Frontend API request.
async fn frontend_api(State(shared): State<Arc<Shared>>, request: Request) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let query = parts.uri.query().map(decode_pairs).unwrap_or_default();
    let method = parts.method.as_str().to_ascii_uppercase();
    let effective_method = match crate::request::first(&query, "_method") {
        Some(tunnelled) if method == "POST" => tunnelled.to_ascii_uppercase(),
        _ => method.clone(),
    };
    let recorded = RecordedRequest {
        method,
        effective_method,
        path: parts.uri.path().to_owned(),
        query,
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect(),
        form: decode_pairs(&String::from_utf8_lossy(&bytes)),
    };

    let fault = {
        let mut state = shared.lock();
        state.requests.push(recorded.clone());
        state.faults.take(&recorded.effective_method, &recorded.path)
    };
    match &fault {
        Some(Fault::Slow(delay)) => tokio::time::sleep(*delay).await,
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            let error = ApiError::new(429, "too_many_requests", "Too many requests", "Too many requests, retry later.");
            let mut response = json_response(429, &error_body(&[error], Value::Null));
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Some(Fault::ServerError(status)) => {
            let error = ApiError::new(
                *status,
                "internal_clerk_error",
                "Oops, an unexpected error occurred",
                "There was an internal error on our servers.",
            );
            return json_response(*status, &error_body(&[error], Value::Null));
        }
        Some(Fault::HtmlBody) => {
            let page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
            let mut response = Response::new(Body::from(page));
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            return response;
        }
        Some(Fault::DropConnection) => {
            let mut response = Response::new(Body::new(BrokenBody::dropping(1)));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            return response;
        }
        Some(Fault::TruncatedBody) | None => {}
    }

    let (status, body, issued_token) = process(&shared, &recorded, !bytes.is_empty());
    let mut response = json_response(status, &body);
    if let Some(token) = issued_token {
        if let Ok(value) = HeaderValue::from_str(&token) {
            response.headers_mut().insert(header::AUTHORIZATION, value);
        }
        if !recorded.is_native()
            && let Ok(cookie) =
                HeaderValue::from_str(&format!("{CLIENT_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"))
        {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
    }
    if fault == Some(Fault::TruncatedBody) {
        let full = body.to_string().into_bytes();
        let half = Bytes::copy_from_slice(full.get(..full.len() / 2).unwrap_or_default());
        let (parts, _) = response.into_parts();
        return Response::from_parts(parts, Body::new(BrokenBody::truncating(half, full.len() as u64)));
    }
    response
}

/// Validates, identifies the client and dispatches; returns status, body and the token the
/// response must carry. `has_body`: the request carried body bytes.
fn process(shared: &Shared, request: &RecordedRequest, has_body: bool) -> (u16, Value, Option<String>) {
    let mut state = shared.lock();
    if let Err(violations) = validation::validate(&shared.spec, request, has_body) {
        let (status, errors) = validation::violation_errors(&violations);
        state.violations.push(SpecViolation { request: request.clone(), violations });
        let body = error_body(&errors, Value::Null);
        if let Some(answers) = state.answers.as_mut() {
            answers.push(RecordedAnswer { request: request.clone(), status, body: body.clone() });
        }
        return (status, body, None);
    }
    state.expire_sessions();
    state.abandon_attempts();
    let mut exchange = Exchange::default();
    state.identify(request.client_token(), &mut exchange);
    let path = request.path.as_str();
    let ends_identity = request.effective_method == "DELETE" && matches!(path, "/v1/client" | "/v1/client/sessions");
    if request.effective_method != "GET" && path.starts_with("/v1/client") && !ends_identity {
        // A mutation without a live client gets a brand-new, session-less one.
        state.ensure_client(&mut exchange);
    }
    // The client's latest activity, which its sessions show on `/v1/me/sessions/active`.
    if let Some(client) = exchange.client_id.as_deref().and_then(|id| state.clients.get_mut(id)) {
        client.activity = crate::state::Activity::of(request);
    }
    let (status, body) = match routes::dispatch(&mut state, &mut exchange, request) {
        Ok(reply) => (reply.status, reply.body),
        Err(error) => {
            let client = exchange.client_id.as_deref().map_or(Value::Null, |id| state.render_client(id));
            (error.status, error_body(&[error], client))
        }
    };
    if let Some(answers) = state.answers.as_mut() {
        answers.push(RecordedAnswer { request: request.clone(), status, body: body.clone() });
    }
    (status, body, exchange.issued_token)
}

/// Clerk's error envelope, with the piggybacked client in `meta.client` when there is one.
fn error_body(errors: &[ApiError], client: Value) -> Value {
    let trace: String = crate::random::Random::new().id("trace").chars().skip(6).take(32).collect();
    let meta = if client.is_null() { json!({}) } else { json!({ "client": client }) };
    json!({
        "errors": errors.iter().map(ApiError::to_json).collect::<Vec<_>>(),
        "meta": meta,
        "clerk_trace_id": trace.to_ascii_lowercase(),
    })
}

fn json_response(status: u16, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// How long a truncated answer stays open after its partial body, so that hyper writes and
/// flushes status, headers and the partial body before the connection breaks.
const TRUNCATION_LINGER: Duration = Duration::from_millis(50);

/// A body that announces `length` bytes, yields `data` (if any), waits `linger` (if any), then
/// fails: hyper then closes the connection mid-response (or, with no data, before any byte of
/// the answer).
#[derive(Debug)]
struct BrokenBody {
    data: Option<Bytes>,
    length: u64,
    /// The pause between the data and the failure; started when the data has been handed over.
    linger: Option<Duration>,
    /// The running pause.
    lingering: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl BrokenBody {
    /// [`Fault::DropConnection`]: fails at once, so not a byte of the answer is sent.
    fn dropping(length: u64) -> Self {
        Self { data: None, length, linger: None, lingering: None }
    }

    /// [`Fault::TruncatedBody`]: `partial` of an announced `length`, then a broken connection
    /// once the partial answer had time to reach the wire.
    fn truncating(partial: Bytes, length: u64) -> Self {
        Self { data: Some(partial), length, linger: Some(TRUNCATION_LINGER), lingering: None }
    }
}

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        // A pending body makes hyper flush what it has written so far.
        if let Some(linger) = self.linger.take() {
            self.lingering = Some(Box::pin(tokio::time::sleep(linger)));
        }
        if let Some(lingering) = self.lingering.as_mut() {
            ready!(lingering.as_mut().poll(cx));
            self.lingering = None;
        }
        Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::ConnectionAborted, "clerk-mock fault: connection dropped"))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.length)
    }
}
