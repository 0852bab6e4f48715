//! Replaying a recorded flow (`fixtures/recorded/<flow>/`) through the engine: the test
//! submits the commands a user would; before each recorded answer is fed, the request the
//! engine emitted is checked against the recording's key (method, path, parameter names,
//! and the values the key shows) and against the spec; after each answer, the engine's
//! sign-in/sign-up status and sessions are checked against the client the recorded body
//! carries, and the operation's outcome against what the step expects.
//!
//! The recordings have no headers, so the first answer is fed with a made-up client token
//! in its `authorization` header ([`REPLAY_CLIENT_TOKEN`]); every later request must present
//! it.

use clerk_core::wire::{SignInStatus, SignUpStatus};
use clerk_core::{Command, Completion, EmailLinkOutcome, Event, HttpResponse, OpId, Outgoing};
use serde_json::Value;
use time::Duration;

use crate::RecordedExchange;
use crate::harness::Harness;

/// The client token the replay hands out with the first recorded answer.
pub const REPLAY_CLIENT_TOKEN: &str = "client_token_replay_1";

/// Query parameters the engine adds to every request (fapi.md §1.4) that the recorder left
/// out of its keys.
pub const COMMON_QUERY_PARAMETERS: [&str; 4] =
    ["__clerk_api_version", "_is_native", "_clerk_retry_attempt", "_clerk_session_id"];

/// The delay between email-link polls (design §7.8).
pub const EMAIL_LINK_POLL_INTERVAL: Duration = Duration::seconds(1);

/// What must hold for the step's operation once the recorded answer was fed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expect {
    /// The operation is still open (an email-link wait).
    Pending,
    /// `Completion::ClientCreated`.
    ClientCreated,
    /// `Completion::EnvironmentLoaded`, and the engine holds an environment.
    EnvironmentLoaded,
    /// `Completion::SignIn` with this status; when `complete`, with the recording's
    /// `created_session_id`.
    SignIn(SignInStatus),
    /// `Completion::SignUp` with this status; when `complete`, with the recording's
    /// `created_session_id`.
    SignUp(SignUpStatus),
    /// `Completion::EmailLink` with this outcome.
    EmailLink(EmailLinkOutcome),
}

/// One recorded flow being replayed.
#[derive(Debug)]
pub struct Replay {
    /// The engine under test.
    pub harness: Harness,
    flow: String,
    exchanges: Vec<RecordedExchange>,
    next: usize,
    op: Option<OpId>,
}

impl Replay {
    /// Starts replaying `flow` (its folder under `fixtures/recorded/`) with a fresh native
    /// client. Only the exchanges before the first `/v1/me…` one are replayed: the user
    /// endpoints are not engine operations. `None` when the shared data is missing (the
    /// loader has printed a loud skip line, or panicked under CI).
    ///
    /// # Panics
    ///
    /// When the flow is not recorded.
    #[must_use]
    pub fn start(flow: &str) -> Option<Replay> {
        let flows = crate::recorded_flows();
        if flows.is_empty() {
            return None;
        }
        let Some((_, exchanges)) = flows.into_iter().find(|(name, _)| name == flow) else {
            panic!("{flow}: no such recorded flow");
        };
        let exchanges: Vec<RecordedExchange> =
            exchanges.into_iter().take_while(|exchange| !is_user_endpoint(&exchange.path)).collect();
        Some(Replay { harness: Harness::new(), flow: flow.to_owned(), exchanges, next: 0, op: None })
    }

    /// The recorded exchanges this replay covers, in order.
    #[must_use]
    pub fn exchanges(&self) -> &[RecordedExchange] {
        &self.exchanges
    }

    /// The operation of the latest submitted command.
    ///
    /// # Panics
    ///
    /// Before the first submit.
    #[must_use]
    pub fn op(&self) -> OpId {
        self.op.unwrap_or_else(|| panic!("{}: nothing submitted yet", self.flow))
    }

    /// The user submits `command`: the engine must emit the next recorded request, which is
    /// checked, answered with the recorded body, and `expect` must then hold. Returns the
    /// request the engine emitted.
    pub fn submit(&mut self, command: impl Into<Command>, expect: Expect) -> Outgoing {
        let command = command.into();
        let name = command.name();
        let op = match self.harness.client.submit(command, self.harness.now) {
            Ok(op) => op,
            Err(error) => panic!("{}: the engine refused {name}: {error}", self.position()),
        };
        self.op = Some(op);
        self.exchange(expect)
    }

    /// The user submits `command`, which must complete without any request (nothing in the
    /// recording answers it). Returns its completion.
    pub fn submit_without_request(&mut self, command: impl Into<Command>) -> Completion {
        let command = command.into();
        let name = command.name();
        let op = match self.harness.client.submit(command, self.harness.now) {
            Ok(op) => op,
            Err(error) => panic!("{}: the engine refused {name}: {error}", self.position()),
        };
        self.op = Some(op);
        if let Some(request) = self.harness.poll_request() {
            panic!(
                "{}: {name} must send nothing, but the engine emitted {} {}",
                self.position(),
                request.request.method,
                request.request.path
            );
        }
        match self.harness.outcome(op) {
            Some(Ok(completion)) => completion,
            Some(Err(error)) => panic!("{}: {name} failed: {error:?}", self.position()),
            None => panic!("{}: {name} did not complete", self.position()),
        }
    }

    /// The engine's own email-link poll: it must announce a deadline one interval ahead and
    /// send nothing before it; at the deadline it must emit the next recorded request, which
    /// is checked and answered like a submitted one.
    pub fn poll(&mut self, expect: Expect) -> Outgoing {
        assert!(self.harness.poll_request().is_none(), "{}: a request before the poll deadline", self.position());
        let deadline = self.harness.client.poll_timeout();
        assert_eq!(
            deadline,
            Some(self.harness.now + EMAIL_LINK_POLL_INTERVAL),
            "{}: the poll deadline must be one interval after the last answer",
            self.position()
        );
        self.harness.advance(EMAIL_LINK_POLL_INTERVAL);
        self.exchange(expect)
    }

    /// Ends the replay: every covered exchange must have been used.
    ///
    /// # Panics
    ///
    /// When exchanges are left over.
    pub fn finish(self) {
        let left: Vec<&str> = self.exchanges[self.next..].iter().map(|exchange| exchange.key.as_str()).collect();
        assert!(left.is_empty(), "{}: the replay did not reach {left:?}", self.flow);
    }

    fn position(&self) -> String {
        match self.exchanges.get(self.next) {
            Some(exchange) => exchange.file_name(),
            None => format!("{} (after the last exchange)", self.flow),
        }
    }

    /// Takes the engine's next request, checks it against the next exchange, feeds the
    /// recorded body and checks the outcome and the state.
    fn exchange(&mut self, expect: Expect) -> Outgoing {
        let Some(exchange) = self.exchanges.get(self.next).cloned() else {
            panic!("{}: the replay wants more exchanges than were recorded", self.flow);
        };
        let at = exchange.file_name();
        let Some(outgoing) = self.harness.poll_request() else {
            panic!("{at}: expected the engine to emit {:?}; events: {:?}", exchange.key, self.harness.events);
        };
        let first = self.next == 0;
        check_request(&exchange, &outgoing, first);

        let mut response = HttpResponse::new(200, [("content-type", "application/json")], exchange.body.clone());
        if first {
            response = response.with_header("authorization", REPLAY_CLIENT_TOKEN);
        }
        self.harness.clear_events();
        self.harness.respond(&outgoing, response);
        self.next += 1;

        let body: Value = serde_json::from_slice(&exchange.body)
            .unwrap_or_else(|err| panic!("{at}: the recorded body is not JSON: {err}"));
        self.check_outcome(&at, &body, &expect);
        self.check_state(&at, &body);
        if first {
            assert!(
                self.harness.events.iter().any(|event| matches!(
                    event,
                    Event::ClientTokenChanged { token: Some(token) } if token.expose() == REPLAY_CLIENT_TOKEN
                )),
                "{at}: the client token of the first answer must be announced; events: {:?}",
                self.harness.events
            );
        }
        outgoing
    }

    fn check_outcome(&mut self, at: &str, body: &Value, expect: &Expect) {
        let op = self.op();
        let outcome = self.harness.outcome(op);
        let completion = match (expect, outcome) {
            (Expect::Pending, None) => return,
            (Expect::Pending, Some(outcome)) => panic!("{at}: the operation must still be open, it ended: {outcome:?}"),
            (_, None) => panic!("{at}: the operation did not complete; events: {:?}", self.harness.events),
            (_, Some(Err(error))) => panic!("{at}: the operation failed: {error:?}"),
            (_, Some(Ok(completion))) => completion,
        };
        let response = &body["response"];
        match (expect, &completion) {
            (Expect::ClientCreated, Completion::ClientCreated) => {}
            (Expect::EnvironmentLoaded, Completion::EnvironmentLoaded) => {
                assert!(self.harness.client.environment().is_some(), "{at}: the environment must be held");
            }
            (Expect::SignIn(status), Completion::SignIn(sign_in)) => {
                assert_eq!(sign_in.status.as_ref(), Some(status), "{at}: sign-in status in the completion");
                assert_eq!(Some(sign_in.id.as_str()), response["id"].as_str(), "{at}: sign-in id");
                if *status == SignInStatus::Complete {
                    assert_eq!(
                        sign_in.created_session_id.as_deref(),
                        response["created_session_id"].as_str(),
                        "{at}: created_session_id"
                    );
                    assert!(sign_in.created_session_id.is_some(), "{at}: a complete sign-in names its session");
                }
            }
            (Expect::SignUp(status), Completion::SignUp(sign_up)) => {
                assert_eq!(sign_up.status.as_ref(), Some(status), "{at}: sign-up status in the completion");
                assert_eq!(Some(sign_up.id.as_str()), response["id"].as_str(), "{at}: sign-up id");
                if *status == SignUpStatus::Complete {
                    assert_eq!(
                        sign_up.created_session_id.as_deref(),
                        response["created_session_id"].as_str(),
                        "{at}: created_session_id"
                    );
                    assert!(sign_up.created_session_id.is_some(), "{at}: a complete sign-up names its session");
                }
            }
            (Expect::EmailLink(expected), Completion::EmailLink(outcome)) => {
                assert_eq!(outcome, expected, "{at}: email-link outcome");
            }
            (expected, completion) => {
                panic!("{at}: expected {expected:?}, the operation completed with {completion:?}")
            }
        }
    }

    /// The engine's view must match the client the recorded body carries (the envelope's
    /// `client`, or the `response` itself when that is the client).
    fn check_state(&self, at: &str, body: &Value) {
        let client = if body["response"]["object"] == "client" { &body["response"] } else { &body["client"] };
        if !client.is_object() {
            return;
        }
        let engine = &self.harness.client;
        assert_eq!(
            engine.sign_in_status().map(|status| status.as_str()),
            client["sign_in"]["status"].as_str(),
            "{at}: sign-in status"
        );
        assert_eq!(
            engine.sign_up_status().map(|status| status.as_str()),
            client["sign_up"]["status"].as_str(),
            "{at}: sign-up status"
        );
        let sessions = client["sessions"].as_array().map_or(0, Vec::len);
        assert_eq!(engine.sessions().len(), sessions, "{at}: number of sessions");
        assert_eq!(engine.active_session_id(), client["last_active_session_id"].as_str(), "{at}: active session");
        assert_eq!(
            engine.client_token().map(|token| token.expose()),
            Some(REPLAY_CLIENT_TOKEN),
            "{at}: the client token is kept"
        );
    }
}

/// Whether `path` is one of the user endpoints (`/v1/me…`), which the replay leaves out.
#[must_use]
pub fn is_user_endpoint(path: &str) -> bool {
    path == "/v1/me" || path.starts_with("/v1/me/")
}

/// Checks the request the engine emitted against the recorded exchange: method, path, the
/// set of query and form parameter names (the engine's common query parameters aside), the
/// values the key shows, the spec, and the client token (absent on the very first request,
/// the replay's token on every later one).
///
/// # Panics
///
/// On any difference.
pub fn check_request(exchange: &RecordedExchange, outgoing: &Outgoing, first: bool) {
    let at = exchange.file_name();
    let request = &outgoing.request;
    assert_eq!(request.method.as_str(), exchange.method, "{at}: method");
    assert_eq!(request.path, exchange.path, "{at}: path");

    let mut query: Vec<&str> = request
        .query
        .iter()
        .map(|field| field.name.as_ref())
        .filter(|name| !COMMON_QUERY_PARAMETERS.contains(name))
        .collect();
    query.sort_unstable();
    let mut recorded_query: Vec<&str> = exchange
        .query
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| !COMMON_QUERY_PARAMETERS.contains(name))
        .collect();
    recorded_query.sort_unstable();
    assert_eq!(query, recorded_query, "{at}: query parameter names");

    let mut form: Vec<&str> = request.form.iter().flatten().map(|field| field.name.as_ref()).collect();
    form.sort_unstable();
    let mut recorded_form: Vec<&str> = exchange.params.iter().map(|(name, _)| name.as_str()).collect();
    recorded_form.sort_unstable();
    assert_eq!(form, recorded_form, "{at}: form parameter names");
    for (name, value) in &exchange.params {
        if let Some(value) = value {
            assert_eq!(
                request.form_value(name).map(|field| field.expose()),
                Some(value.as_str()),
                "{at}: value of {name}"
            );
        }
    }

    crate::spec::assert_conforms(request);

    let token = request.header("authorization").map(|value| value.expose());
    if first {
        assert_eq!(token, None, "{at}: a fresh client has no token to present");
    } else {
        assert_eq!(token, Some(REPLAY_CLIENT_TOKEN), "{at}: the request must present the client token");
    }
}
