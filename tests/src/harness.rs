//! A small driver for tests: submits commands, hands out the engine's requests one at a
//! time, feeds canned answers, collects events, all in virtual time.

use clerk_core::{
    Client, ClientConfig, Command, Completion, Event, HttpResponse, OpId, OperationError, Outcome, Outgoing, Output,
    TransportError,
};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The development key of fapi.md's examples (`foo-bar-13.clerk.accounts.dev`).
pub const TEST_KEY: &str = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";

/// The start of virtual time in every harness.
pub const START: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

/// Milliseconds since the epoch of [`START`] plus `seconds`.
#[must_use]
pub fn ms(seconds: i64) -> i64 {
    (START.unix_timestamp() + seconds) * 1000
}

/// An engine under test, with the events it produced.
#[derive(Debug)]
pub struct Harness {
    /// The engine.
    pub client: Client,
    /// Virtual time.
    pub now: OffsetDateTime,
    /// Every event seen so far, in order.
    pub events: Vec<Event>,
    /// A request taken out of the engine while draining events, not yet handed out.
    pending: Option<Outgoing>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A fresh native client for [`TEST_KEY`].
    #[must_use]
    pub fn new() -> Self {
        Self::with_config(config())
    }

    /// A fresh client with this configuration.
    #[must_use]
    pub fn with_config(config: ClientConfig) -> Self {
        Harness { client: Client::new(config, START), now: START, events: Vec::new(), pending: None }
    }

    /// A harness around an existing engine.
    #[must_use]
    pub fn from_client(client: Client, now: OffsetDateTime) -> Self {
        Harness { client, now, events: Vec::new(), pending: None }
    }

    /// Submits a command; panics (test failure) when it is refused.
    pub fn submit(&mut self, command: impl Into<Command>) -> OpId {
        match self.client.submit(command.into(), self.now) {
            Ok(op) => op,
            Err(error) => panic!("command refused: {error}"),
        }
    }

    /// Drains outputs: collects events, returns the first request, if any.
    pub fn poll_request(&mut self) -> Option<Outgoing> {
        if let Some(outgoing) = self.pending.take() {
            return Some(outgoing);
        }
        loop {
            match self.client.poll_output() {
                Output::Request(outgoing) => return Some(outgoing),
                Output::Event(event) => self.events.push(event),
                _ => return None,
            }
        }
    }

    /// The next request; panics when the engine has none to send now.
    pub fn expect_request(&mut self) -> Outgoing {
        match self.poll_request() {
            Some(outgoing) => outgoing,
            None => panic!("expected a request; events so far: {:?}", self.events),
        }
    }

    /// Drains every event; returns what is left (`Timeout`/`Idle`, or a request, which
    /// is also kept for the next [`poll_request`](Self::poll_request)).
    pub fn drain(&mut self) -> Output {
        if let Some(outgoing) = &self.pending {
            return Output::Request(outgoing.clone());
        }
        loop {
            match self.client.poll_output() {
                Output::Event(event) => self.events.push(event),
                Output::Request(outgoing) => {
                    self.pending = Some(outgoing.clone());
                    return Output::Request(outgoing);
                }
                other => return other,
            }
        }
    }

    /// Answers `outgoing` with `response`.
    pub fn respond(&mut self, outgoing: &Outgoing, response: HttpResponse) {
        if let Err(error) = self.client.handle_response(outgoing.id, Ok(response), self.now) {
            panic!("answer refused: {error}");
        }
    }

    /// Answers with a JSON body and a status.
    pub fn respond_json(&mut self, outgoing: &Outgoing, status: u16, body: &Value) {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.respond(outgoing, HttpResponse::new(status, [("content-type", "application/json")], bytes));
    }

    /// Answers with a JSON body, a status and a rotated client token.
    pub fn respond_with_token(&mut self, outgoing: &Outgoing, status: u16, body: &Value, token: &str) {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        let response =
            HttpResponse::new(status, [("content-type", "application/json"), ("authorization", token)], bytes);
        self.respond(outgoing, response);
    }

    /// Answers with a transport error.
    pub fn fail(&mut self, outgoing: &Outgoing, error: TransportError) {
        if let Err(error) = self.client.handle_response(outgoing.id, Err(error), self.now) {
            panic!("transport error refused: {error}");
        }
    }

    /// Moves virtual time forward and tells the engine.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        self.client.handle_timeout(self.now);
    }

    /// The outcome of `op`, if it completed (events are drained first).
    pub fn outcome(&mut self, op: OpId) -> Option<Outcome> {
        let _ = self.drain();
        let mut found = self.events.iter().filter_map(|event| match event {
            Event::OperationCompleted { op: done, outcome } if *done == op => Some(outcome.clone()),
            _ => None,
        });
        let first = found.next();
        assert!(found.next().is_none(), "operation {op} completed twice");
        first
    }

    /// The outcome of `op`, which must have completed.
    pub fn expect_outcome(&mut self, op: OpId) -> Outcome {
        match self.outcome(op) {
            Some(outcome) => outcome,
            None => panic!("operation {op} has not completed; events: {:?}", self.events),
        }
    }

    /// The completion of `op`, which must have succeeded.
    pub fn expect_success(&mut self, op: OpId) -> Completion {
        match self.expect_outcome(op) {
            Ok(completion) => completion,
            Err(error) => panic!("operation {op} failed: {error:?}"),
        }
    }

    /// The error of `op`, which must have failed.
    pub fn expect_failure(&mut self, op: OpId) -> OperationError {
        match self.expect_outcome(op) {
            Ok(completion) => panic!("operation {op} succeeded: {completion:?}"),
            Err(error) => error,
        }
    }

    /// Expects the `POST /v1/dev_browser` that a browser on a development instance sends
    /// before its first request (fapi.md §1.8.3) and answers it with `{id: token}`.
    pub fn answer_dev_browser(&mut self, token: &str) {
        let request = self.expect_request();
        assert_eq!(
            (request.request.method, request.request.path.as_str()),
            (clerk_core::Method::Post, "/v1/dev_browser"),
            "expected the dev-browser request"
        );
        self.respond_json(&request, 200, &json!({ "object": "dev_browser", "id": token }));
    }

    /// Forgets the events collected so far.
    pub fn clear_events(&mut self) {
        self.events.clear();
    }

    /// Loads a signed-in client: `load` with a stored token, answered with `client`.
    /// Returns the harness ready for the next command, events cleared.
    pub fn signed_in(client_json: &Value) -> Self {
        let mut state = Client::new(config(), START).export();
        state.client_token = Some(clerk_core::secret::ClientToken::new("token-1"));
        let client = match Client::restore(config(), state, START) {
            Ok(client) => client,
            Err(error) => panic!("restore failed: {error}"),
        };
        let mut harness = Harness::from_client(client, START);
        let op = harness.client.reload(START);
        let request = harness.expect_request();
        harness.respond_json(&request, 200, &json!({ "response": client_json, "client": null }));
        let _ = harness.expect_success(op);
        harness.clear_events();
        harness
    }
}

/// The configuration every harness uses unless told otherwise.
#[must_use]
pub fn config() -> ClientConfig {
    match ClientConfig::from_publishable_key(TEST_KEY) {
        Ok(config) => config,
        Err(error) => panic!("test key refused: {error}"),
    }
}

/// A session object with this id and status.
#[must_use]
pub fn session_json(id: &str, status: &str) -> Value {
    json!({
        "object": "session",
        "id": id,
        "status": status,
        "expire_at": ms(7 * 24 * 3600),
        "abandon_at": ms(30 * 24 * 3600),
        "last_active_at": ms(0),
        "last_active_organization_id": null,
        "actor": null,
        "tasks": null,
        "user": { "id": "user_1", "object": "user", "first_name": "Ada", "primary_email_address_id": "idn_1",
                  "email_addresses": [{ "id": "idn_1", "object": "email_address", "email_address": "ada@example.com" }] },
        "public_user_data": { "first_name": "Ada", "last_name": null, "identifier": "ada@example.com" },
        "created_at": ms(0),
        "updated_at": ms(0)
    })
}

/// A client object whose sessions are given as whole session objects (see
/// [`client_json`] for the rest).
#[must_use]
pub fn client_of(sessions: Vec<Value>, last_active: Option<&str>, updated_seconds: i64) -> Value {
    let mut client = client_json(&[], last_active, updated_seconds);
    client["sessions"] = Value::Array(sessions);
    client
}

/// A client object: `sessions` as `(id, status)`, the last active session, `updated_at`
/// as seconds from [`START`].
#[must_use]
pub fn client_json(sessions: &[(&str, &str)], last_active: Option<&str>, updated_seconds: i64) -> Value {
    json!({
        "object": "client",
        "id": "client_1",
        "sessions": sessions.iter().map(|(id, status)| session_json(id, status)).collect::<Vec<_>>(),
        "sign_in": null,
        "sign_up": null,
        "last_active_session_id": last_active,
        "last_authentication_strategy": null,
        "cookie_expires_at": ms(30 * 24 * 3600),
        "captcha_bypass": false,
        "created_at": ms(0),
        "updated_at": ms(updated_seconds)
    })
}

/// A sign-in attempt object.
#[must_use]
pub fn sign_in_json(id: &str, status: &str) -> Value {
    json!({
        "object": "sign_in_attempt",
        "id": id,
        "status": status,
        "supported_identifiers": ["email_address"],
        "identifier": "ada@example.com",
        "supported_first_factors": [{ "strategy": "email_code", "email_address_id": "idn_1", "safe_identifier": "a***@example.com" }],
        "supported_second_factors": null,
        "first_factor_verification": null,
        "second_factor_verification": null,
        "user_data": null,
        "created_session_id": null,
        "abandon_at": ms(3600)
    })
}

/// A Frontend API error body with one error and, optionally, a piggybacked client.
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
