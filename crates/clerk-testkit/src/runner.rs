//! The runner: applies transitions to a real engine with canned answers from the fake
//! server, feeds the same to the reference model, and checks the invariants after every
//! step. A violated invariant panics with a message that names it, so proptest shrinks it
//! and libFuzzer reports it as a crash.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use clerk_core::{
    Client, ClientCommand, ClientConfig, Command, CommandError, Event, HttpResponse, Method, OpId, Outgoing, Output,
    PersistedState, RequestId, RequestKind, ResponseError, SessionCommand, TransportError,
};
use clerk_spec::{RequestShape, SpecTable, Violation};
use serde_json::{Value, json};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::mode::EngineMode;
pub use crate::mode::TEST_KEY;
use crate::model::{Expectation, Model, ModelRequest, retryable_kind};
use crate::server::{
    FakeServer, ServerClient, client_json, environment_json, error_json, is_signed_in_status, session_json, session_jwt,
};
use crate::server::{sign_in_json, sign_up_json};
use crate::transition::{
    Answer, DbJwt, ErrorChoice, ResetTarget, SECRET_MARK, ServerChange, SignOutTarget, Transition,
};

/// The start of virtual time.
pub const START: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

/// The configuration the runner uses in native mode ([`EngineMode::config`] for the others).
///
/// # Panics
/// Never for [`TEST_KEY`].
#[must_use]
pub fn test_config() -> ClientConfig {
    EngineMode::Native.config()
}

/// The spec table every request is checked against (`clerk-spec`, as the golden tests do).
static SPEC: LazyLock<SpecTable> = LazyLock::new(|| match SpecTable::load() {
    Ok(table) => table,
    Err(error) => panic!("embedded spec table unreadable: {error}"),
});

/// What the spec (plus `undocumented.json`) finds wrong with `request`.
#[must_use]
pub fn spec_violations(request: &clerk_core::HttpRequest) -> Vec<Violation> {
    let pairs = |fields: &[clerk_core::Field]| -> Vec<(String, String)> {
        fields.iter().map(|field| (field.name.to_string(), field.value.expose().to_owned())).collect()
    };
    let query = pairs(&request.query);
    let headers = pairs(&request.headers);
    let form = request.form.as_deref().map(pairs).unwrap_or_default();
    let shape = RequestShape {
        method: request.method.as_str(),
        path: &request.path,
        query: &query,
        headers: &headers,
        form: &form,
    };
    match SPEC.validate(&shape) {
        Ok(_) => Vec::new(),
        Err(violations) => violations,
    }
}

/// The request the runner holds, not yet answered.
#[derive(Debug, Clone)]
struct OnWire {
    outgoing: Outgoing,
    model: ModelRequest,
}

/// An engine, the reference model and the fake server, stepped together.
#[derive(Debug)]
pub struct Runner {
    mode: EngineMode,
    config: ClientConfig,
    client: Client,
    model: Model,
    server: FakeServer,
    wire: Option<OnWire>,
    /// Ids the engine handed out earlier that are no longer on the wire.
    old_ids: Vec<RequestId>,
    last_request_id: u64,
    last_op_id: u64,
    /// Operations the engine completed (each exactly once).
    completed: BTreeSet<u64>,
    /// Operations completed during the current step.
    completed_now: Vec<(u64, bool)>,
    /// Session JWTs handed to the engine (must never show in Debug).
    jwts: Vec<String>,
    /// The session the token request on the wire is for (from its path): the server mints
    /// a token for the session the request names, whichever is active.
    token_session: Option<String>,
    /// The session the remove on the wire is for (from its path).
    remove_session: Option<String>,
    /// Steps applied so far.
    steps: usize,
}

impl Default for Runner {
    fn default() -> Self {
        Self::new()
    }
}

fn violation(what: &str, detail: impl std::fmt::Debug) -> ! {
    panic!("invariant violated: {what}: {detail:?}")
}

fn expose(value: Option<&clerk_core::FieldValue>) -> Option<String> {
    value.map(|v| v.expose().to_owned()).filter(|v| !v.is_empty())
}

impl Runner {
    /// A fresh native engine for [`TEST_KEY`] at [`START`], with an empty model.
    #[must_use]
    pub fn new() -> Self {
        Self::with_mode(EngineMode::Native)
    }

    /// A fresh engine in `mode` at [`START`], with an empty model.
    #[must_use]
    pub fn with_mode(mode: EngineMode) -> Self {
        let config = mode.config();
        Runner {
            mode,
            client: Client::new(config.clone(), START),
            config,
            model: Model { mode, ..Model::default() },
            server: FakeServer::default(),
            wire: None,
            old_ids: Vec::new(),
            last_request_id: 0,
            last_op_id: 0,
            completed: BTreeSet::new(),
            completed_now: Vec::new(),
            jwts: Vec::new(),
            token_session: None,
            remove_session: None,
            steps: 0,
        }
    }

    /// The engine under test.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The reference model.
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The mode the engine runs in.
    #[must_use]
    pub fn mode(&self) -> EngineMode {
        self.mode
    }

    fn now(&self) -> OffsetDateTime {
        START + Duration::milliseconds(self.model.now_ms)
    }

    /// Applies every transition in order to a native engine, checking the invariants after
    /// each.
    pub fn run(transitions: &[Transition]) -> Runner {
        Self::run_in(EngineMode::Native, transitions)
    }

    /// Applies every transition in order to an engine in `mode`, checking the invariants
    /// after each.
    pub fn run_in(mode: EngineMode, transitions: &[Transition]) -> Runner {
        let mut runner = Runner::with_mode(mode);
        for transition in transitions {
            runner.apply(transition);
        }
        runner
    }

    /// Applies one transition and checks every invariant.
    ///
    /// # Panics
    /// When the engine breaks an invariant (the message starts with
    /// `invariant violated:`).
    pub fn apply(&mut self, transition: &Transition) {
        self.steps += 1;
        self.completed_now.clear();
        match *transition {
            Transition::Submit(choice) => self.submit(choice.command()),
            Transition::Respond { nth, answer, db_jwt } => self.respond(nth, answer, db_jwt),
            Transition::AdvanceTime(ms) => self.advance(i64::from(ms)),
            Transition::Restart => self.restart(),
            Transition::Cancel(nth) => self.cancel(nth),
            Transition::Reset(ResetTarget::SignIn) => self.submit(ClientCommand::ResetSignIn.into()),
            Transition::Reset(ResetTarget::SignUp) => self.submit(ClientCommand::ResetSignUp.into()),
            Transition::SignOut => self.submit(ClientCommand::RemoveSessions.into()),
            Transition::SignOutOf(target) => self.sign_out_of(target),
        }
        self.check_views();
    }

    // ------------------------------------------------------------------------------
    // Draining outputs
    // ------------------------------------------------------------------------------

    fn drain(&mut self) {
        for _ in 0..256 {
            match self.client.poll_output() {
                Output::Event(event) => self.on_event(&event),
                Output::Request(outgoing) => self.on_request(outgoing),
                Output::Timeout(deadline) => {
                    if deadline < self.now() {
                        violation("deadline before the latest now", (deadline, self.now()));
                    }
                    return;
                }
                _ => return,
            }
        }
        violation("poll_output never settles", self.steps);
    }

    fn on_event(&mut self, event: &Event) {
        self.check_no_secret(&format!("{event:?}"));
        if let Event::OperationCompleted { op, outcome } = event {
            if !self.completed.insert(op.0) {
                violation("an operation completed twice", op);
            }
            let known = self.model.ops.remove(&op.0).is_some();
            self.completed_now.push((op.0, known));
            self.model.completed.push(op.0);
            if let Err(error) = outcome {
                self.check_no_secret(&format!("{error}"));
            }
        }
    }

    fn on_request(&mut self, outgoing: Outgoing) {
        self.check_no_secret(&format!("{outgoing:?}"));
        if let Some(on_wire) = &self.wire {
            violation("two requests on the wire", (on_wire.outgoing.id, outgoing.id));
        }
        if outgoing.id.0 <= self.last_request_id {
            violation("request ids must strictly increase", (self.last_request_id, outgoing.id));
        }
        self.last_request_id = outgoing.id.0;
        // A get_token's request is sent by the engine's shared fetch (its own internal
        // operation): attribute it to the pending get_token the model knows about.
        let token_waiter = if outgoing.kind == RequestKind::SessionToken && !self.model.ops.contains_key(&outgoing.op.0)
        {
            self.model
                .ops
                .iter()
                .find(|(_, model_op)| model_op.kinds.contains(&RequestKind::SessionToken) && model_op.remaining > 0)
                .map(|(id, _)| *id)
        } else {
            None
        };
        let op = match token_waiter.and_then(|id| self.model.ops.get(&id).map(|op| (id, op))) {
            Some((id, _)) => Some(id),
            None => match self.model.ops.get(&outgoing.op.0) {
                Some(model_op) => {
                    if !model_op.kinds.contains(&outgoing.kind) {
                        violation("a request the operation cannot send", (&outgoing.kind, model_op));
                    }
                    Some(outgoing.op.0)
                }
                None => {
                    // The engine's own requests: a client refresh after an error answer or a
                    // changed session, the proactive session-token refresh.
                    let allowed = match outgoing.kind {
                        RequestKind::ClientGet => self.model.internal_refresh_allowed,
                        RequestKind::SessionToken => self.model.token_refresh_allowed,
                        // Judged by `check_request_shape`: only while no dev-browser token is
                        // known, on a development instance.
                        RequestKind::DevBrowser => true,
                        _ => false,
                    };
                    if !allowed || self.completed.contains(&outgoing.op.0) {
                        violation("a request no outstanding model entry explains", (&outgoing.kind, outgoing.op));
                    }
                    None
                }
            },
        };
        self.check_request_shape(&outgoing);
        let expected_token = self.model.token_for(op);
        let sent_token = expose(outgoing.request.header("authorization"));
        if sent_token != expected_token {
            violation("request carries another token than the model's", (&outgoing.kind, sent_token.is_some()));
        }
        let single = |epochs: &std::collections::BTreeSet<u64>| match (epochs.first(), epochs.len()) {
            (Some(&epoch), 1) => epoch,
            // Unknown stamp: answered with a transport error (see `respond`).
            _ => u64::MAX,
        };
        let epoch = match op.and_then(|op| self.model.ops.get(&op)) {
            Some(model_op) => model_op.epoch,
            // The proactive token refresh: stamped when its deadline fired; a retry keeps it.
            None if outgoing.kind == RequestKind::SessionToken => {
                let epoch = if outgoing.attempt > 1 {
                    self.model.token_refresh_epoch
                } else {
                    single(&self.model.timer_epochs)
                };
                self.model.timer_epochs.clear();
                self.model.token_refresh_epoch = epoch;
                epoch
            }
            // `POST /v1/dev_browser` changes no identity: its stamp does not matter.
            None if outgoing.kind == RequestKind::DevBrowser => self.model.epoch,
            None => single(&self.model.trigger_epochs),
        };
        let identity =
            op.and_then(|op| self.model.ops.get(&op)).map_or(self.model.identity, |model_op| model_op.identity);
        let model = ModelRequest { id: outgoing.id.0, op, kind: outgoing.kind, epoch, identity, token: expected_token };
        self.wire = Some(OnWire { outgoing, model });
    }

    /// What every request must look like, whatever it is for: documented by the spec (plus
    /// `undocumented.json`), and shaped by the mode (fapi.md §1.4–1.5, §1.8; decision 0014).
    fn check_request_shape(&self, outgoing: &Outgoing) {
        let request = &outgoing.request;
        let kind = outgoing.kind;
        let found = spec_violations(request);
        if !found.is_empty() {
            violation("a request the spec does not allow", (kind, request.method, &request.path, found));
        }
        let count = |name: &str| request.query.iter().filter(|field| field.name == name).count();
        if self.mode.is_browser() {
            // fapi.md §1.8.1: a browser is its cookie; no client token ever leaves it.
            if request.header("authorization").is_some() {
                violation("a browser request carries authorization", kind);
            }
            if count("_is_native") != 0 {
                violation("a browser request carries _is_native", kind);
            }
            // fapi.md §1.5: only GET and POST on the wire.
            if !matches!(request.method, Method::Get | Method::Post) {
                violation("a browser request is neither GET nor POST", (kind, request.method));
            }
            // Decision 0014: `POST /v1/dev_browser` is a plain fetch, the rest send cookies.
            if kind.sends_cookies() == (kind == RequestKind::DevBrowser) {
                violation("a browser request sends cookies when it should not, or not when it should", kind);
            }
        } else if count("_method") != 0 || count("_is_native") != 1 {
            violation("a native request tunnels its method or lacks _is_native", kind);
        }
        let db_jwt: Vec<&clerk_core::FieldValue> =
            request.query.iter().filter(|field| field.name == "__clerk_db_jwt").map(|field| &field.value).collect();
        if kind == RequestKind::DevBrowser {
            if !self.mode.uses_dev_browser() {
                violation("POST /v1/dev_browser outside a browser on a development instance", self.mode);
            }
            if self.model.dev_browser.is_some() {
                violation("a dev-browser token made while one is known", ());
            }
            if !db_jwt.is_empty() {
                violation("POST /v1/dev_browser carries __clerk_db_jwt", ());
            }
        } else if self.mode.uses_dev_browser() {
            match (&self.model.dev_browser, db_jwt.as_slice()) {
                (Some(expected), [sent]) if sent.is_secret() && sent.expose() == expected => {}
                (None, _) => violation("a request left without a dev-browser token", kind),
                (Some(_), sent) => violation(
                    "a request carries another dev-browser token than the model's (or not once, or not secret)",
                    (kind, sent.len(), sent.iter().all(|value| value.is_secret())),
                ),
            }
        } else if !db_jwt.is_empty() {
            violation("__clerk_db_jwt outside a browser on a development instance", (kind, self.mode));
        }
    }

    // ------------------------------------------------------------------------------
    // Transitions
    // ------------------------------------------------------------------------------

    fn submit(&mut self, command: Command) {
        let expectation = self.model.expect_submit(&command);
        let before = self.client.export();
        let timeout_before = self.client.poll_timeout();
        let result = self.client.submit(command.clone(), self.now());
        match (&result, &expectation) {
            (Ok(_), Expectation::Accept | Expectation::Unknown)
            | (Err(CommandError::Busy { .. }), Expectation::Busy | Expectation::Unknown)
            | (Err(CommandError::InvalidState { .. }), Expectation::InvalidState | Expectation::Unknown)
            | (Err(CommandError::FactorNotOffered { .. }), Expectation::FactorNotOffered | Expectation::Unknown) => {}
            (Err(_), Expectation::Unknown) => {}
            _ => violation(
                "submit disagrees with the model",
                (command.name(), &result, &expectation, self.model.sign_in_status(), self.model.sign_up_status()),
            ),
        }
        match result {
            Err(_) => {
                if self.client.export() != before || self.client.poll_timeout() != timeout_before {
                    violation("a refused command changed something", command.name());
                }
                self.expect_quiet("a refused command produced output");
            }
            Ok(op) => {
                if op.0 <= self.last_op_id {
                    violation("operation ids must strictly increase", (self.last_op_id, op));
                }
                self.last_op_id = op.0;
                if matches!(command, Command::Session(_)) {
                    self.model.token_refresh_allowed = true;
                    self.model.internal_refresh_allowed = true;
                }
                let superseded = self.model.accept(op.0, &command);
                let local = crate::model::kinds_of(&command).is_empty();
                self.drain();
                for id in superseded {
                    self.expect_completed(id, "a superseded operation must complete at once");
                }
                if local {
                    self.expect_completed(op.0, "a local command completes at once");
                }
            }
        }
    }

    /// Signs out of one session. Besides what `submit` checks: exactly the `get_token`s of
    /// that session complete (superseded) at once, nothing else (engine-contract
    /// "Operations": other pending session work goes on).
    fn sign_out_of(&mut self, target: SignOutTarget) {
        let session_id = target.session_id(self.model.active.as_deref());
        let command: Command = SessionCommand::SignOut { session_id: Some(session_id.clone()) }.into();
        let accepted = self.model.expect_submit(&command) == Expectation::Accept;
        let expected: BTreeSet<u64> = self
            .model
            .ops
            .iter()
            .filter(|(_, op)| accepted && op.token_session.as_deref() == Some(session_id.as_str()))
            .map(|(id, _)| *id)
            .collect();
        self.submit(command);
        let completed: BTreeSet<u64> = self.completed_now.iter().map(|(id, _)| *id).collect();
        if completed != expected {
            violation(
                "a sign-out of one session completed other operations than its session's token asks",
                (&session_id, completed, expected),
            );
        }
    }

    fn expect_completed(&self, op: u64, what: &str) {
        if !self.completed_now.iter().any(|(id, _)| *id == op) && !self.completed.contains(&op) {
            violation(what, op);
        }
    }

    fn expect_quiet(&mut self, what: &str) {
        match self.client.poll_output() {
            Output::Event(event) => violation(what, event),
            Output::Request(outgoing) => violation(what, outgoing.kind),
            _ => {}
        }
    }

    fn respond(&mut self, nth: u8, answer: Answer, db_jwt: DbJwt) {
        let Some(on_wire) = self.wire.take().filter(|_| nth == 0) else {
            self.respond_unknown(nth, answer);
            return;
        };
        let OnWire { outgoing, model: request } = on_wire;
        let kind = outgoing.kind;
        let internal = request.op.is_none();
        let answer = if internal && request.epoch == u64::MAX { Answer::Transport } else { answer };
        let refused_dev_browser = matches!(answer, Answer::Error(ErrorChoice::DevBrowserUnauthenticated));
        // Whether a GET refused as `dev_browser_unauthenticated` is repeated when the same
        // answer brings a new token the contract does not settle: not generated.
        let db_jwt = if refused_dev_browser && db_jwt == DbJwt::Fresh { DbJwt::Absent } else { db_jwt };
        let now = self.now();
        let active_before = self.client.active_session_id().map(str::to_owned);
        // fapi.md §2.4: a 401 (but `dev_browser_unauthenticated`, a configuration error), or
        // any 422 to a session request, re-checks the session. `POST /v1/dev_browser` goes
        // without cookies: its answer says nothing of the session.
        let unauthenticated = match answer {
            Answer::Error(ErrorChoice::DevBrowserUnauthenticated) => false,
            Answer::Error(choice) => {
                let status = choice.wire().0;
                status == 401 || (status == 422 && clerk_core::classification::is_session_request(kind))
            }
            _ => false,
        };
        if unauthenticated && kind != RequestKind::ClientGet && kind != RequestKind::DevBrowser {
            self.model.recheck = self.model.active.clone();
        }
        // design §7.3: a transport error, a 5xx or an undecodable body change nothing.
        let changes_nothing = matches!(answer, Answer::Transport | Answer::ServerError(_) | Answer::MalformedBody)
            || (kind == RequestKind::DevBrowser && answer == Answer::StaleClient);
        // fapi.md §2.4: the refused dev-browser token is dropped (a browser on a development
        // instance only; for the others it is an error like any other).
        let renews_dev_browser = refused_dev_browser && self.mode.uses_dev_browser();
        if renews_dev_browser {
            self.model.dev_browser_refused();
        }
        // fapi.md §1.8.3: a `Clerk-Db-Jwt` header replaces the token, on any answer that may
        // change something (before the answer's own `id`, for `POST /v1/dev_browser`).
        let header = match db_jwt {
            DbJwt::Absent => None,
            DbJwt::Fresh => Some(self.server.issue_db_jwt_header()),
            DbJwt::Blank => Some(String::from(" ")),
        };
        if let Some(value) = &header
            && !changes_nothing
        {
            self.model.dev_browser_given(value);
        }
        let session_path = outgoing.request.path.strip_prefix("/v1/client/sessions/");
        self.token_session =
            session_path.and_then(|rest| rest.split_once("/tokens")).map(|(session, _)| session.to_owned());
        self.remove_session = session_path.and_then(|rest| rest.strip_suffix("/remove")).map(str::to_owned);
        let (result, retryable_answer) = self.answer_for(&request, answer);
        let result = match (result, header) {
            (Ok(response), Some(value)) => Ok(response.with_header("clerk-db-jwt", value)),
            (result, _) => result,
        };
        let before = changes_nothing.then(|| self.client.export());
        if let Err(error) = self.client.handle_response(outgoing.id, result, now) {
            violation("the answer to the request on the wire was refused", error);
        }
        // The one documented exception: the refresh re-checking a session refused with 401
        // fails with 403 or 500 (fapi.md §2.4).
        let recheck = internal && kind == RequestKind::ClientGet && self.model.recheck.is_some();
        if let Some(before) = before
            && !recheck
            && self.client.export() != before
        {
            violation("a failed answer changed the state", (kind, answer));
        }
        self.old_ids.push(outgoing.id);
        // What the model cannot see coming: an error or a session change may make the
        // engine refresh the client.
        if matches!(answer, Answer::Error(_) | Answer::Success(_) | Answer::RotatedToken | Answer::StaleClient) {
            self.model.internal_refresh_allowed = true;
        }
        if matches!(answer, Answer::StaleClient)
            && active_before.is_some()
            && self.client.active_session_id().map(str::to_owned) != active_before
        {
            violation("an old client in an answer signed the user out", (&active_before, kind));
        }
        // A GET or token request refused as `dev_browser_unauthenticated` is repeated after a
        // new token is made (decision 0014).
        let retryable_answer = retryable_answer || renews_dev_browser;
        let will_retry = retryable_answer && retryable_kind(kind) && outgoing.attempt < 3;
        if internal && kind == RequestKind::ClientGet && !will_retry {
            self.model.trigger_epochs.clear();
            // The refresh re-checking a session refused with 401 failed with 403 or 500:
            // the engine may have signed that session out locally.
            let status = match answer {
                Answer::ServerError(n) => Some(500 + u16::from(n % 5)),
                Answer::Error(choice) => Some(choice.wire().0),
                _ => None,
            };
            let recheck = self.model.recheck.take();
            if matches!(status, Some(403 | 500))
                && recheck.is_some()
                && self.model.active == recheck
                && self.client.active_session_id().is_none()
            {
                self.model.active = None;
            }
        }
        if matches!(answer, Answer::Error(_) | Answer::Success(_) | Answer::RotatedToken | Answer::StaleClient) {
            self.model.trigger_epochs.insert(self.model.epoch);
        }
        // decision 0014: when `POST /v1/dev_browser` fails, the operation whose request
        // waited for it fails as if its own request had; for a cancelled sign-out's
        // requests (the engine's own) that ends them. Which operation waited is the queue's
        // business, which the model does not track: it forgets those the engine let go.
        if kind == RequestKind::DevBrowser && !matches!(answer, Answer::Success(_) | Answer::RotatedToken) {
            self.forget_internal_ops_let_go();
        }
        let mut final_for_op = None;
        if let Some(op) = request.op
            && let Some(model_op) = self.model.ops.get_mut(&op)
            && !will_retry
        {
            model_op.remaining = model_op.remaining.saturating_sub(1);
            let failed = !matches!(answer, Answer::Success(_) | Answer::RotatedToken | Answer::StaleClient);
            if model_op.remaining == 0 || failed {
                final_for_op = Some(op);
            }
        }
        self.drain();
        if let Some(op) = final_for_op
            && self.model.internal_ops.remove(&op)
        {
            // The engine's own: it ends with its last answer, reporting to nobody.
            self.model.ops.remove(&op);
        } else if let Some(op) = final_for_op
            && !matches!(self.model.ops.get(&op), Some(o) if o.flow == clerk_core::Flow::Session && o.sign_out_of.is_none())
            && (kind != RequestKind::Environment || matches!(answer, Answer::Success(_) | Answer::RotatedToken))
        {
            // A load whose environment failed may still go on to the client.
            self.expect_completed(op, "an operation whose last request got a final answer must complete");
        }
    }

    fn respond_unknown(&mut self, nth: u8, answer: Answer) {
        let id = match self.old_ids.len() {
            0 => RequestId(self.last_request_id + 1000),
            len => self.old_ids[usize::from(nth) % len],
        };
        let before = self.client.export();
        let timeout_before = self.client.poll_timeout();
        let result = match answer {
            Answer::Transport => Err(TransportError::Timeout("late".into())),
            _ => Ok(HttpResponse::ok_json(br#"{"response":null,"client":null}"#.to_vec())),
        };
        match self.client.handle_response(id, result, self.now()) {
            Err(ResponseError::UnknownRequest(_)) => {}
            other => violation("an unknown request id was accepted", other),
        }
        if self.client.export() != before || self.client.poll_timeout() != timeout_before {
            violation("an unknown request id changed something", id);
        }
        self.expect_quiet("an unknown request id produced output");
    }

    /// Builds the canned answer and feeds the model what it means. Returns the answer and
    /// whether it is of a kind the engine may retry (transport, 429, 502–504, and for a
    /// token request a 2xx without a usable JWT).
    fn answer_for(&mut self, request: &ModelRequest, answer: Answer) -> (Result<HttpResponse, TransportError>, bool) {
        let kind = request.kind;
        let start = START;
        let json_response = |status: u16, body: &Value, token: Option<&str>| {
            let mut response = HttpResponse::new(
                status,
                [("content-type", "application/json")],
                serde_json::to_vec(body).unwrap_or_default(),
            );
            if let Some(token) = token {
                response = response.with_header("authorization", token);
            }
            response
        };
        match answer {
            Answer::Transport => (Err(TransportError::Connect("connection refused".into())), true),
            Answer::ServerError(n) => {
                let status = 500 + u16::from(n % 5);
                let retry = matches!(status, 502..=504);
                (Ok(json_response(status, &error_json("internal_clerk_error", None), None)), retry)
            }
            Answer::TooManyRequests { retry_after } => {
                let response = json_response(429, &error_json("too_many_requests", None), None)
                    .with_header("retry-after", retry_after.to_string());
                (Ok(response), true)
            }
            // `POST /v1/dev_browser` (fapi.md §1.8.3): its `id` is the token. The answer goes to
            // a request without cookies and changes nothing but the token.
            Answer::Success(_) | Answer::RotatedToken if kind == RequestKind::DevBrowser => {
                let token = self.server.issue_dev_browser_token();
                self.model.dev_browser_given(&token);
                let body = json!({ "object": "dev_browser", "id": token });
                let rotated = (answer == Answer::RotatedToken).then(|| self.server.issue_token());
                (Ok(json_response(200, &body, rotated.as_deref())), false)
            }
            Answer::StaleClient if kind == RequestKind::DevBrowser => {
                (Ok(json_response(200, &json!({ "object": "dev_browser", "id": "" }), None)), false)
            }
            Answer::MalformedBody if kind == RequestKind::DevBrowser => {
                // Cut short after the token: its `Debug` (in the error's body) must hide it.
                let body = format!(r#"{{"object":"dev_browser","id":"{}"#, self.server.issue_dev_browser_token());
                (Ok(HttpResponse::new(200, [("content-type", "application/json")], body.into_bytes())), false)
            }
            Answer::Error(choice) if kind == RequestKind::DevBrowser => {
                let (status, code, _) = choice.wire();
                (Ok(json_response(status, &error_json(code, None), None)), false)
            }
            Answer::MalformedBody => {
                // A token request asks again for a 2xx without a usable JWT (decision 0015).
                let retry = kind == RequestKind::SessionToken;
                (Ok(HttpResponse::new(200, [("content-type", "text/html")], b"<html>oops</html>".to_vec())), retry)
            }
            Answer::Error(choice) => {
                let (status, code, with_client) = choice.wire();
                let token = self.rotation(request, false);
                let current = self.model.adopt_token(request, token.as_deref());
                let client = self.server.client.clone();
                let body = if choice == ErrorChoice::ClientNotFound {
                    self.model.client_gone(request, current);
                    error_json(code, None)
                } else if with_client {
                    self.model.offer_client(request, current, Some(&client));
                    if choice == ErrorChoice::SessionExists {
                        self.model.session_exists(request, current);
                    }
                    error_json(code, Some(&client_json(start, &client)))
                } else {
                    error_json(code, None)
                };
                (Ok(json_response(status, &body, token.as_deref())), false)
            }
            Answer::StaleClient => {
                let mut old = ServerClient { updated: self.server.client.updated - 1000, ..ServerClient::default() };
                old.sign_in = None;
                let current = self.model.adopt_token(request, None);
                let body = self.success_body(kind, &old, None);
                match body {
                    Some((body, carried)) => {
                        if carried {
                            self.model.offer_client(request, current, Some(&old));
                        }
                        (Ok(json_response(200, &body, None)), false)
                    }
                    None => self.not_found(request),
                }
            }
            Answer::Success(_) | Answer::RotatedToken if kind != RequestKind::Environment => {
                let change = if let Answer::Success(change) = answer { change } else { ServerChange::Nothing };
                let before = self.server.client.clone();
                if kind == RequestKind::SessionRemove
                    && let Some(session) = self.remove_session.clone()
                {
                    // A session the server does not hold: 404 below (`success_body`).
                    let _ = self.server.remove_session(&session);
                }
                self.server.apply(kind, change);
                let created = match (&before.last_active, &self.server.client.last_active) {
                    (old, Some(new)) if old.as_ref() != Some(new) => Some(new.clone()),
                    _ => None,
                };
                let client = self.server.client.clone();
                match self.success_body(kind, &client, created.as_deref()) {
                    Some((body, carried)) => {
                        let token = self.rotation(request, matches!(answer, Answer::RotatedToken));
                        let current = self.model.adopt_token(request, token.as_deref());
                        let offered = match kind {
                            RequestKind::ClientDestroy => {
                                self.model.offer_client(request, current, None);
                                true
                            }
                            _ if carried => {
                                if self.model.offer_client(request, current, Some(&client)) {
                                    self.model.set_active_succeeded(request);
                                }
                                true
                            }
                            _ => false,
                        };
                        let _ = offered;
                        (Ok(json_response(200, &body, token.as_deref())), false)
                    }
                    None => {
                        self.server.client = before;
                        self.not_found(request)
                    }
                }
            }
            Answer::Success(_) | Answer::RotatedToken => (Ok(json_response(200, &environment_json(), None)), false),
        }
    }

    /// A 404 for a resource the server does not hold.
    fn not_found(&mut self, request: &ModelRequest) -> (Result<HttpResponse, TransportError>, bool) {
        let _ = self.model.adopt_token(request, None);
        let body = error_json("resource_not_found", None);
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        (Ok(HttpResponse::new(404, [("content-type", "application/json")], bytes)), false)
    }

    /// The token the server puts in `Authorization`: a new one when asked to rotate, when
    /// it creates a client, or when the request carried none (the first mutating request
    /// creates the client).
    fn rotation(&mut self, request: &ModelRequest, rotate: bool) -> Option<String> {
        let creates = matches!(request.kind, RequestKind::ClientCreate) || request.token.is_none();
        if (rotate || creates) && request.kind != RequestKind::ClientDestroy {
            Some(self.server.issue_token())
        } else {
            None
        }
    }

    /// The 2xx body for `kind` with the server's client; `None` when the server does not
    /// hold the resource (404). The flag says whether a client rides along.
    fn success_body(
        &mut self,
        kind: RequestKind,
        client: &ServerClient,
        created: Option<&str>,
    ) -> Option<(Value, bool)> {
        use RequestKind as K;
        let start = START;
        let client_value = client_json(start, client);
        Some(match kind {
            K::ClientGet | K::ClientCreate | K::ClientRemoveSessions => {
                (json!({ "response": client_value, "client": null }), true)
            }
            K::ClientDestroy => (json!({ "response": null, "client": null }), false),
            K::SignInCreate
            | K::SignInGet
            | K::SignInPrepareFirstFactor
            | K::SignInAttemptFirstFactor
            | K::SignInPrepareSecondFactor
            | K::SignInAttemptSecondFactor
            | K::SignInResetPassword => {
                let attempt = match (&client.sign_in, created) {
                    (Some((id, status)), _) => sign_in_json(start, id, status, None),
                    (None, Some(session)) => sign_in_json(start, "sia_done", "complete", Some(session)),
                    (None, None) => return None,
                };
                (json!({ "response": attempt, "client": client_value }), true)
            }
            K::SignUpCreate
            | K::SignUpGet
            | K::SignUpUpdate
            | K::SignUpPrepareVerification
            | K::SignUpAttemptVerification => {
                let attempt = match (&client.sign_up, created) {
                    (Some((id, status)), _) => sign_up_json(start, id, status, None),
                    (None, Some(session)) => sign_up_json(start, "sua_done", "complete", Some(session)),
                    (None, None) => return None,
                };
                (json!({ "response": attempt, "client": client_value }), true)
            }
            K::SessionToken => {
                let session = self
                    .token_session
                    .clone()
                    .or_else(|| client.last_active.clone())
                    .unwrap_or_else(|| "sess_1".into());
                let iat = self.now().unix_timestamp();
                let jwt = session_jwt(&session, iat, iat + 60);
                self.jwts.push(jwt.clone());
                (json!({ "object": "token", "jwt": jwt }), false)
            }
            // The user's sessions on every device: this client's signed-in ones and one on
            // another device (an unwrapped array, no client).
            K::MeSessionsActive => {
                let mine = client.sessions.iter().filter(|(_, status)| is_signed_in_status(status));
                let list: Vec<Value> = mine
                    .map(|(id, _)| id.as_str())
                    .chain([crate::transition::OTHER_DEVICE_SESSION])
                    .map(|id| {
                        let mut session = session_json(start, id, "active");
                        session["latest_activity"] = json!({
                            "object": "session_activity", "id": format!("act_{id}"), "is_mobile": false,
                            "browser_name": "Firefox", "ip_address": "192.0.2.1"
                        });
                        session
                    })
                    .collect();
                (Value::Array(list), false)
            }
            // Revoking another device's session changes nothing on this client.
            K::MeSessionRevoke => {
                let revoked = session_json(start, crate::transition::OTHER_DEVICE_SESSION, "revoked");
                (json!({ "response": revoked, "client": client_value }), true)
            }
            // The removed session itself (404 when the server does not hold it).
            K::SessionRemove if self.remove_session.is_some() => {
                let named = self.remove_session.as_deref();
                let (id, status) = client.sessions.iter().find(|(id, _)| Some(id.as_str()) == named)?;
                (json!({ "response": session_json(start, id, status), "client": client_value }), true)
            }
            K::SessionGet | K::SessionTouch | K::SessionEnd | K::SessionRemove => {
                let (id, status) = client.sessions.first()?;
                (json!({ "response": session_json(start, id, status), "client": client_value }), true)
            }
            _ => (json!({ "response": null, "client": null }), false),
        })
    }

    fn advance(&mut self, by_ms: i64) {
        let target = self.model.now_ms + by_ms;
        for _ in 0..64 {
            let Some(deadline) = self.client.poll_timeout() else { break };
            if deadline < self.now() {
                violation("poll_timeout before the latest now", (deadline, self.now()));
            }
            let deadline_ms = ((deadline - START).whole_milliseconds()).try_into().unwrap_or(i64::MAX);
            if deadline_ms > target {
                break;
            }
            // Deadlines fall on whole milliseconds in virtual time only approximately:
            // hand the engine the exact instant.
            self.model.now_ms = deadline_ms.max(self.model.now_ms);
            // A deadline fires now: a token refresh it queues is stamped with this epoch.
            self.model.timer_epochs.insert(self.model.epoch);
            self.client.handle_timeout(deadline);
            self.drain();
            if self.client.poll_timeout().is_some_and(|next| next <= deadline) && self.wire.is_none() {
                violation("handle_timeout at the deadline made no progress", deadline);
            }
        }
        self.model.now_ms = target.max(self.model.now_ms);
        if self.client.poll_timeout().is_some_and(|deadline| deadline <= self.now()) {
            self.model.timer_epochs.insert(self.model.epoch);
        }
        self.client.handle_timeout(self.now());
        self.drain();
    }

    fn restart(&mut self) {
        let before = self.client.export();
        let bytes = before.to_json();
        let state = match PersistedState::from_json(&bytes) {
            Ok(state) => state,
            Err(error) => violation("an exported state does not read back", error),
        };
        self.check_no_secret(&format!("{before:?}"));
        let restored = match Client::restore(self.config.clone(), state, self.now()) {
            Ok(client) => client,
            Err(error) => violation("an exported state does not restore", error),
        };
        let mut expected = before.clone();
        expected.next_request_id = expected.next_request_id.max(1) + clerk_core::IDS_SKIPPED_AT_RESTORE;
        expected.next_op_id = expected.next_op_id.max(1) + clerk_core::IDS_SKIPPED_AT_RESTORE;
        if let Some(client) = expected.client.as_mut() {
            for session in &mut client.sessions {
                session.last_active_token = None;
            }
        }
        if restored.export() != expected {
            violation("export → restore changed the persisted state", ());
        }
        let same_views = restored.sessions() == self.client.sessions()
            && restored.active_session_id() == self.client.active_session_id()
            && restored.sign_in() == self.client.sign_in()
            && restored.sign_up() == self.client.sign_up()
            && restored.client_token() == self.client.client_token()
            && restored.dev_browser_token() == self.client.dev_browser_token()
            && restored.environment() == self.client.environment()
            && restored.epoch() == self.client.epoch();
        if !same_views && self.client.sessions().iter().all(|s| s.last_active_token.is_none()) {
            violation("export → restore changed a view", ());
        }
        if let Some(on_wire) = self.wire.take() {
            self.old_ids.push(on_wire.outgoing.id);
        }
        self.client = restored;
        self.model.restart();
        self.drain();
    }

    fn cancel(&mut self, nth: u8) {
        let pending: Vec<u64> =
            self.model.ops.keys().copied().filter(|op| !self.model.internal_ops.contains(op)).collect();
        match pending.get(usize::from(nth)) {
            Some(&op) => {
                // A sign-out (its requests pinned to a token) signed out here already: its
                // outstanding requests go on under an internal operation, the next id.
                let carried_on = self
                    .model
                    .ops
                    .get(&op)
                    .filter(|model_op| model_op.pinned.is_some() && model_op.remaining > 0)
                    .cloned()
                    .map(|model_op| (self.client.export().next_op_id, model_op));
                if let Err(error) = self.client.cancel(OpId(op)) {
                    violation("cancel of a pending operation refused", (op, error));
                }
                if let Some((internal, mut model_op)) = carried_on {
                    model_op.mutating = false;
                    self.model.ops.insert(internal, model_op);
                    self.model.internal_ops.insert(internal);
                    // Its request on the wire is the internal operation's now: its final
                    // answer ends that one.
                    if let Some(on_wire) = self.wire.as_mut()
                        && on_wire.model.op == Some(op)
                    {
                        on_wire.model.op = Some(internal);
                    }
                }
                self.drain();
                let cancelled = self.model.completed.last() == Some(&op);
                if !cancelled {
                    violation("a cancelled operation must complete at once", op);
                }
            }
            None => {
                let op = self.model.completed.get(usize::from(nth)).copied().unwrap_or(self.last_op_id + 1000);
                let before = self.client.export();
                match self.client.cancel(OpId(op)) {
                    Err(CommandError::UnknownOperation(_)) => {}
                    other => violation("cancel of an unknown operation accepted", (op, other)),
                }
                if self.client.export() != before {
                    violation("cancel of an unknown operation changed something", op);
                }
                self.expect_quiet("cancel of an unknown operation produced output");
            }
        }
    }

    // ------------------------------------------------------------------------------
    // Invariants on the views
    // ------------------------------------------------------------------------------

    fn check_views(&mut self) {
        for (op, known) in &self.completed_now {
            if !known && !self.completed_before_restart(*op) {
                violation("an operation the model does not know completed", op);
            }
        }
        let model = &self.model;
        let client = &self.client;
        let token = client.client_token().map(|t| t.expose().to_owned());
        if token != model.token {
            violation("client token disagrees with the model", (token.is_some(), model.token.is_some()));
        }
        let dev_browser = client.dev_browser_token().map(|t| t.expose().to_owned());
        if dev_browser != model.dev_browser {
            violation(
                "dev-browser token disagrees with the model",
                (dev_browser.is_some(), model.dev_browser.is_some(), self.mode),
            );
        }
        let exported = client.export();
        // Decision 0014 and engine-contract "Browser mode": a browser never keeps (so never
        // persists) a client token; only a browser on a development instance persists a
        // dev-browser token.
        if self.mode.is_browser() && exported.client_token.is_some() {
            violation("a browser engine persists a client token", ());
        }
        if exported.dev_browser_token.map(|t| t.expose().to_owned()) != model.dev_browser {
            violation("the persisted dev-browser token disagrees with the model", self.mode);
        }
        if client.epoch() != model.epoch {
            violation("epoch disagrees with the model", (client.epoch(), model.epoch));
        }
        if client.active_session_id() != model.active.as_deref() {
            violation("active session disagrees with the model", (client.active_session_id(), &model.active));
        }
        let sign_in = client.sign_in().map(|s| (s.id.to_string(), s.status.as_ref().map(|st| st.as_str().to_owned())));
        let model_sign_in = model.client.as_ref().and_then(|c| c.sign_in.clone()).map(|(id, s)| (id, Some(s)));
        if sign_in != model_sign_in {
            violation("sign-in attempt disagrees with the model", (sign_in, model_sign_in));
        }
        let sign_up = client.sign_up().map(|s| (s.id.to_string(), s.status.as_ref().map(|st| st.as_str().to_owned())));
        let model_sign_up = model.client.as_ref().and_then(|c| c.sign_up.clone()).map(|(id, s)| (id, Some(s)));
        if sign_up != model_sign_up {
            violation("sign-up attempt disagrees with the model", (sign_up, model_sign_up));
        }
        let sessions: Vec<(String, String)> = client
            .sessions()
            .iter()
            .map(|s| (s.id.to_string(), s.status.as_ref().map(|st| st.as_str().to_owned()).unwrap_or_default()))
            .collect();
        let model_sessions = model.client.as_ref().map(|c| c.sessions.clone()).unwrap_or_default();
        if sessions != model_sessions {
            violation("sessions disagree with the model", (sessions, model_sessions));
        }
        let debug = format!("{client:?}");
        self.check_no_secret(&debug);
        self.check_internal_ops();
    }

    /// The engine's own operations the model expects (a cancelled sign-out's requests, not
    /// yet finally answered) are still held by the engine as work that must reach the
    /// server (decision 0016, `Client::must_reach_server`).
    fn check_internal_ops(&self) {
        for &op in &self.model.internal_ops {
            if !self.client.must_reach_server(OpId(op)) {
                violation("a cancelled sign-out's requests were dropped before reaching the server", op);
            }
        }
    }

    /// Forgets the engine's own operations (cancelled sign-outs) the engine no longer holds,
    /// where the model cannot predict that.
    fn forget_internal_ops_let_go(&mut self) {
        let client = &self.client;
        let gone: Vec<u64> =
            self.model.internal_ops.iter().copied().filter(|op| !client.must_reach_server(OpId(*op))).collect();
        for op in gone {
            self.model.internal_ops.remove(&op);
            self.model.ops.remove(&op);
        }
    }

    fn completed_before_restart(&self, _op: u64) -> bool {
        false
    }

    fn check_no_secret(&self, text: &str) {
        if text.contains(SECRET_MARK) {
            violation("a secret reached Debug output", text.get(..200.min(text.len())));
        }
        for jwt in &self.jwts {
            if text.contains(jwt.as_str()) {
                violation("a session JWT reached Debug output", ());
            }
        }
    }
}
