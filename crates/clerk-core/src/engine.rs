//! The engine: [`Client`], Clerk's Client object as a sans-IO state machine.

use std::collections::{BTreeMap, VecDeque};

use time::{Duration, OffsetDateTime};

use crate::builder::{RequestContext, RequestSpec, build_request};
use crate::classification::{ErrorEffect, SessionEndReason, classify_error, classify_status};
use crate::command::{ClientCommand, Command, Flow};
use crate::config::{ClientConfig, Jitter, TransportMode};
use crate::envelope::decode_token;
use crate::envelope::{
    ClientUpdate, decode_client_envelope, decode_environment, decode_error_body, decode_resource_envelope,
};
use crate::error::{ApiError, CommandError, OperationError, ResponseError, RestoreError, TransportError};
use crate::event::{
    Completion, EmailLinkOutcome, Event, Outcome, Outgoing, Output, SignOutConfirmation, SignOutReason,
};
use crate::ids::{OpId, RequestId};
use crate::kind::RequestKind;
use crate::persist::{PERSISTED_STATE_VERSION, PersistedState};
use crate::redact::redact_body;
use crate::request::{HttpRequest, HttpResponse, Method};
use crate::reverification::ReverificationCommand;
use crate::secret::{ClientToken, SessionJwt};
use crate::session::{OrganizationChoice, SessionCommand, TouchIntent};
use crate::sign_in::{FirstFactorPreparation, SecondFactorPreparation, SignInCommand};
use crate::sign_up::{SignUpCommand, SignUpPreparation};
use crate::token_cache::TokenCache;
use crate::token_cache::TokenKey;
use crate::wire::{
    ClientResource, Environment, SessionResource, SessionReverification, SignInResource, SignInStatus, SignUpResource,
    SignUpStatus, VerificationStatus,
};

/// The longest `Retry-After` the engine waits out by itself before a retry. A longer wait
/// fails the operation instead, with [`ApiError::retry_after`] set for the application.
pub const MAX_AUTOMATIC_RETRY_AFTER: Duration = Duration::seconds(30);

/// How long a client cookie may have left before the client is eligible for a touch
/// (fapi.md §6.2).
pub const TOUCH_ELIGIBILITY: Duration = Duration::days(8);

/// What an operation does, and what it reports when it ends.
#[derive(Debug, Clone, PartialEq)]
enum OpKind {
    Load,
    LoadEnvironment,
    Reload,
    Create,
    Destroy,
    RemoveSessions,
    /// The coalesced client refresh after a 401 (internal: no completion event).
    Refresh,
    /// A local-only command (reset, clear cache): completes at once.
    Local,
    /// A sign-in command; `watch` when it waits for an email link.
    SignIn {
        watch: Option<LinkWatch>,
    },
    /// A sign-up command; `watch` when it waits for an email link.
    SignUp {
        watch: Option<LinkWatch>,
    },
    /// `set_active`: the session becomes active when the touch is answered.
    SetActive {
        session_id: String,
    },
    /// touch, end, remove, reload of one session.
    Session,
    /// Sign-out of one session (`POST …/remove`), local state already cleared.
    SignOutSession,
    /// A `get_token` waiting for the fetch of `key` (no request of its own).
    TokenWaiter {
        key: TokenKey,
    },
    /// The one fetch of `key` that every waiter shares (internal).
    TokenFetch {
        key: TokenKey,
        expired_retry_done: bool,
    },
    /// A reverification step of `session_id`.
    Reverification {
        session_id: String,
    },
}

/// Which verification an email-link wait watches (design §7.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkWatch {
    FirstFactor,
    SecondFactor,
    SignUpEmail,
}

/// A deadline the engine announced: the next email-link poll of an operation, or the
/// proactive refresh of a session token.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PollTimer {
    at: OffsetDateTime,
    purpose: TimerPurpose,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TimerPurpose {
    EmailLinkPoll(OpId),
    TokenRefresh(TokenKey),
}

#[derive(Debug, Clone, PartialEq)]
struct Operation {
    flow: Flow,
    kind: OpKind,
    mutating: bool,
    internal: bool,
    /// Requests queued or on the wire for this operation.
    outstanding: u32,
    failure: Option<OperationError>,
    client_present: Option<bool>,
    applied: bool,
    sign_in: Option<Box<SignInResource>>,
    sign_up: Option<Box<SignUpResource>>,
    session: Option<Box<SessionResource>>,
    token: Option<SessionJwt>,
    reverification: Option<Box<SessionReverification>>,
    /// An email-link wait has started (the prepare was answered).
    polling: bool,
    /// The client's `last_active_session_id` when the email-link wait started: a session
    /// counts as created by the attempt only if this changed.
    link_baseline: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct QueuedRequest {
    op: OpId,
    spec: RequestSpec,
    attempt: u32,
    not_before: Option<OffsetDateTime>,
    /// The token this request must present, fixed when it was built (sign-out, destroy).
    pinned_token: Option<Option<ClientToken>>,
    epoch: u64,
}

#[derive(Debug, Clone, PartialEq)]
struct InFlight {
    id: RequestId,
    request: QueuedRequest,
    sent_token: Option<ClientToken>,
    /// The operation was cancelled or superseded: the answer is applied (identity and
    /// client, through the gates) but reports to nobody.
    orphaned: bool,
}

/// The request order and `updated_at` of the last client applied: the stale gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AppliedMark {
    request: Option<RequestId>,
    updated_at: Option<OffsetDateTime>,
}

/// Clerk's Client object and every flow on it, as a sans-IO engine.
///
/// See the crate documentation for the drive loop. `Client` holds no IO handle, clock or
/// thread: it is `Send + Sync + Clone + 'static`, and cloning it forks the whole state.
#[derive(Debug, Clone)]
pub struct Client {
    config: ClientConfig,
    now: OffsetDateTime,
    next_request: u64,
    next_op: u64,
    epoch: u64,
    token: Option<ClientToken>,
    client: Option<Box<ClientResource>>,
    environment: Option<Environment>,
    active_session: Option<String>,
    last_applied: Option<AppliedMark>,
    suppressed_sign_in: Option<String>,
    suppressed_sign_up: Option<String>,
    tokens: TokenCache,
    reverification: Option<(String, SessionReverification)>,
    ops: BTreeMap<OpId, Operation>,
    queue: VecDeque<QueuedRequest>,
    in_flight: Option<InFlight>,
    events: VecDeque<Event>,
    timers: Vec<PollTimer>,
    jitter: Jitter,
}

impl Client {
    /// A new client with no client token and no state. Nothing is sent until a command is
    /// submitted; a driver normally starts with [`load`](Self::load).
    #[must_use]
    pub fn new(config: ClientConfig, now: OffsetDateTime) -> Self {
        let jitter = Jitter::new(config.jitter_seed());
        Client {
            config,
            now,
            next_request: 1,
            next_op: 1,
            epoch: 0,
            token: None,
            client: None,
            environment: None,
            active_session: None,
            last_applied: None,
            suppressed_sign_in: None,
            suppressed_sign_up: None,
            tokens: TokenCache::default(),
            reverification: None,
            ops: BTreeMap::new(),
            queue: VecDeque::new(),
            in_flight: None,
            events: VecDeque::new(),
            timers: Vec::new(),
            jitter,
        }
    }

    /// A client from a state saved by [`export`](Self::export). Session tokens are not
    /// part of it: the first [`load`](Self::load) or token request fetches fresh ones.
    ///
    /// # Errors
    /// [`RestoreError::UnsupportedVersion`] for another format version and
    /// [`RestoreError::WrongHost`] when the state belongs to another Frontend API host.
    pub fn restore(config: ClientConfig, persisted: PersistedState, now: OffsetDateTime) -> Result<Self, RestoreError> {
        if persisted.version != PERSISTED_STATE_VERSION {
            return Err(RestoreError::UnsupportedVersion {
                found: persisted.version,
                supported: PERSISTED_STATE_VERSION,
            });
        }
        if persisted.frontend_api_host != config.frontend_api_host() {
            return Err(RestoreError::WrongHost {
                expected: config.frontend_api_host().to_owned(),
                found: persisted.frontend_api_host,
            });
        }
        let mut client = Client::new(config, now);
        client.next_request = persisted.next_request_id.max(1);
        client.next_op = persisted.next_op_id.max(1);
        client.epoch = persisted.epoch;
        client.token = persisted.client_token.filter(|token| !token.is_empty());
        client.environment = persisted.environment;
        client.suppressed_sign_in = persisted.suppressed_sign_in_id;
        client.suppressed_sign_up = persisted.suppressed_sign_up_id;
        if let Some(mut resource) = persisted.client {
            for session in &mut resource.sessions {
                session.last_active_token = None;
            }
            client.last_applied = Some(AppliedMark { request: None, updated_at: resource.updated_at });
            client.client = Some(Box::new(resource));
        }
        client.active_session = persisted.active_session_id.filter(|id| client.signed_in_session(id).is_some());
        Ok(client)
    }

    /// The state to persist: format version, Frontend API host, client token, the client
    /// without session JWTs, the environment, the active session, the id counters and the
    /// epoch (design §7.11).
    #[must_use]
    pub fn export(&self) -> PersistedState {
        PersistedState {
            version: PERSISTED_STATE_VERSION,
            frontend_api_host: self.config.frontend_api_host().to_owned(),
            client_token: self.token.clone(),
            client: self.client.as_deref().cloned(),
            environment: self.environment.clone(),
            active_session_id: self.active_session.clone(),
            next_request_id: self.next_request,
            next_op_id: self.next_op,
            epoch: self.epoch,
            suppressed_sign_in_id: self.suppressed_sign_in.clone(),
            suppressed_sign_up_id: self.suppressed_sign_up.clone(),
        }
    }

    // ----------------------------------------------------------------------------------
    // Commands
    // ----------------------------------------------------------------------------------

    /// Starts an operation.
    ///
    /// # Errors
    /// [`CommandError`] when the command is refused; then nothing changed and nothing will
    /// be sent.
    pub fn submit(&mut self, command: Command, now: OffsetDateTime) -> Result<OpId, CommandError> {
        let flow = command.flow();
        // A sign-out is never refused as busy: it supersedes pending session work.
        let sign_out = matches!(command, Command::Session(SessionCommand::SignOut { .. }));
        if command.is_mutating()
            && !sign_out
            && let Some((pending, _)) = self.ops.iter().find(|(_, op)| op.flow == flow && op.mutating && !op.internal)
        {
            return Err(CommandError::Busy { flow, pending: *pending });
        }
        match &command {
            Command::SignIn(command) => {
                let status = self.sign_in_status();
                if !command.is_legal_in(status) {
                    return Err(CommandError::InvalidState {
                        flow,
                        status: crate::sign_in::status_name(status),
                        command: command.name(),
                    });
                }
            }
            Command::SignUp(command) => {
                let status = self.sign_up_status();
                if !command.is_legal_in(status) {
                    return Err(CommandError::InvalidState {
                        flow,
                        status: crate::sign_up::status_name(status),
                        command: command.name(),
                    });
                }
            }
            Command::Session(command) => self.check_session_legal(command)?,
            Command::Reverification(command) => {
                let status = self.reverification.as_ref().and_then(|(_, r)| r.status.as_ref());
                if !crate::reverification::legal(command.name(), status) {
                    return Err(CommandError::InvalidState {
                        flow,
                        status: crate::reverification::status_name(status),
                        command: command.name(),
                    });
                }
            }
            Command::Client(_) => {}
        }
        match command {
            Command::Session(command) => self.submit_session(command, now),
            Command::Reverification(command) => {
                let session_id = match &command {
                    ReverificationCommand::Start { session_id, .. } => {
                        session_id.clone().or_else(|| self.active_session.clone())
                    }
                    _ => self.reverification.as_ref().map(|(id, _)| id.clone()),
                }
                .ok_or_else(|| CommandError::InvalidState {
                    flow,
                    status: String::from("no active session"),
                    command: command.name(),
                })?;
                if self.signed_in_session(&session_id).is_none() {
                    return Err(CommandError::InvalidState {
                        flow,
                        status: crate::session::status_name(self.session(&session_id).and_then(|s| s.status.as_ref())),
                        command: command.name(),
                    });
                }
                let current = self.reverification.as_ref().map(|(_, r)| r);
                let spec = crate::reverification::request_for(&command, &session_id, current)?;
                self.advance(now);
                let op = self.start_op(Flow::Reverification, OpKind::Reverification { session_id }, true, false);
                self.enqueue(op, spec, None);
                Ok(op)
            }
            Command::Client(command) => {
                self.advance(now);
                Ok(self.submit_client(command))
            }
            Command::SignIn(command) => {
                let spec = crate::sign_in::request_for(&command, self.sign_in())?;
                self.advance(now);
                let watch = match &command {
                    SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailLink { .. }) => {
                        Some(LinkWatch::FirstFactor)
                    }
                    SignInCommand::PrepareSecondFactor(SecondFactorPreparation::EmailLink { .. }) => {
                        Some(LinkWatch::SecondFactor)
                    }
                    _ => None,
                };
                let op = self.start_op(Flow::SignIn, OpKind::SignIn { watch }, command.is_mutating(), false);
                self.enqueue(op, spec, None);
                Ok(op)
            }
            Command::SignUp(command) => {
                let spec = crate::sign_up::request_for(&command, self.sign_up())?;
                self.advance(now);
                let watch = match &command {
                    SignUpCommand::PrepareVerification(SignUpPreparation::EmailLink { .. }) => {
                        Some(LinkWatch::SignUpEmail)
                    }
                    _ => None,
                };
                let op = self.start_op(Flow::SignUp, OpKind::SignUp { watch }, command.is_mutating(), false);
                match spec {
                    Some(spec) => self.enqueue(op, spec, None),
                    None => self.complete_now(op, Ok(Completion::SignUpUnchanged)),
                }
                Ok(op)
            }
        }
    }

    fn submit_client(&mut self, command: ClientCommand) -> OpId {
        match command {
            ClientCommand::Load => {
                let op = self.start_op(Flow::Client, OpKind::Load, false, false);
                self.enqueue(op, RequestSpec::new(RequestKind::Environment, "/v1/environment"), None);
                if self.token.is_some() || self.config.mode() == TransportMode::Browser {
                    self.enqueue(op, RequestSpec::new(RequestKind::ClientGet, "/v1/client"), None);
                }
                op
            }
            ClientCommand::LoadEnvironment => {
                let op = self.start_op(Flow::Client, OpKind::LoadEnvironment, false, false);
                self.enqueue(op, RequestSpec::new(RequestKind::Environment, "/v1/environment"), None);
                op
            }
            ClientCommand::Reload => {
                let op = self.start_op(Flow::Client, OpKind::Reload, false, false);
                self.enqueue(op, RequestSpec::new(RequestKind::ClientGet, "/v1/client"), None);
                op
            }
            ClientCommand::Create => {
                let op = self.start_op(Flow::Client, OpKind::Create, true, false);
                let mut spec = RequestSpec::new(RequestKind::ClientCreate, "/v1/client");
                if self.config.mode() == TransportMode::Browser {
                    spec.method = Method::Put;
                }
                self.enqueue(op, spec, None);
                op
            }
            ClientCommand::Destroy => {
                let op = self.start_op(Flow::Client, OpKind::Destroy, true, false);
                // The request is fixed with the current token before anything is cleared.
                let pinned = Some(self.token.clone());
                self.supersede_all_except(op);
                self.clear_identity_locally(true);
                self.enqueue(op, RequestSpec::new(RequestKind::ClientDestroy, "/v1/client"), pinned);
                op
            }
            ClientCommand::RemoveSessions => {
                let op = self.start_op(Flow::Client, OpKind::RemoveSessions, true, false);
                let pinned = Some(self.token.clone());
                self.sign_out_locally();
                self.enqueue(op, RequestSpec::new(RequestKind::ClientRemoveSessions, "/v1/client/sessions"), pinned);
                op
            }
            ClientCommand::ResetSignIn => self.reset_attempt(Flow::SignIn),
            ClientCommand::ResetSignUp => self.reset_attempt(Flow::SignUp),
            ClientCommand::ClearCache => {
                let op = self.start_op(Flow::Client, OpKind::Local, false, false);
                self.clear_tokens();
                self.complete_now(op, Ok(Completion::LocalChange));
                op
            }
        }
    }

    /// Loads the environment and, when a client token is known, the client
    /// (design §7.6). Without a token, the first mutating request creates the client.
    pub fn load(&mut self, now: OffsetDateTime) -> OpId {
        self.submit_client_now(ClientCommand::Load, now)
    }

    /// `GET /v1/client`, applied through the stale gate.
    pub fn reload(&mut self, now: OffsetDateTime) -> OpId {
        self.submit_client_now(ClientCommand::Reload, now)
    }

    /// Creates a client (`POST /v1/client`; `PUT` in browser mode).
    ///
    /// # Errors
    /// [`CommandError::Busy`] while another mutating client operation is pending.
    pub fn create(&mut self, now: OffsetDateTime) -> Result<OpId, CommandError> {
        self.submit(Command::Client(ClientCommand::Create), now)
    }

    /// Ends the client (`DELETE /v1/client`): the request is built with the current
    /// token, then the client token, the client and every session are dropped locally
    /// whatever the server answers. The outcome says whether the server confirmed.
    ///
    /// # Errors
    /// [`CommandError::Busy`] while another mutating client operation is pending.
    pub fn destroy(&mut self, now: OffsetDateTime) -> Result<OpId, CommandError> {
        self.submit(Command::Client(ClientCommand::Destroy), now)
    }

    /// Signs out of every session (`DELETE /v1/client/sessions`), keeping the client
    /// token. Local sessions are cleared at once; the outcome says whether the server
    /// confirmed.
    ///
    /// # Errors
    /// [`CommandError::Busy`] while another mutating client operation is pending.
    pub fn remove_sessions(&mut self, now: OffsetDateTime) -> Result<OpId, CommandError> {
        self.submit(Command::Client(ClientCommand::RemoveSessions), now)
    }

    /// Forgets the local sign-in attempt. No request; completes at once.
    pub fn reset_sign_in(&mut self, now: OffsetDateTime) -> OpId {
        self.submit_client_now(ClientCommand::ResetSignIn, now)
    }

    /// Forgets the local sign-up attempt. No request; completes at once.
    pub fn reset_sign_up(&mut self, now: OffsetDateTime) -> OpId {
        self.submit_client_now(ClientCommand::ResetSignUp, now)
    }

    /// Drops every cached session token. No request; completes at once.
    pub fn clear_cache(&mut self, now: OffsetDateTime) -> OpId {
        self.submit_client_now(ClientCommand::ClearCache, now)
    }

    fn submit_client_now(&mut self, command: ClientCommand, now: OffsetDateTime) -> OpId {
        debug_assert!(!command.is_mutating());
        self.advance(now);
        self.submit_client(command)
    }

    /// Forgets an operation: its queued requests are dropped and it completes at once with
    /// [`OperationError::Cancelled`]. An answer to its request already on the wire is still
    /// used for what it says about identity (a rotated token, a newer client, through the
    /// stale gate) but reports to nobody.
    ///
    /// # Errors
    /// [`CommandError::UnknownOperation`] when `op` is not pending.
    pub fn cancel(&mut self, op: OpId) -> Result<(), CommandError> {
        if self.ops.get(&op).is_none_or(|operation| operation.internal) {
            return Err(CommandError::UnknownOperation(op));
        }
        self.drop_op(op, OperationError::Cancelled);
        Ok(())
    }

    // ----------------------------------------------------------------------------------
    // Outputs
    // ----------------------------------------------------------------------------------

    /// The next thing for the driver to do. Drain it until [`Output::Timeout`] or
    /// [`Output::Idle`]: events first, in order; then the next request when none is on the
    /// wire (design §7.1); then the next deadline.
    pub fn poll_output(&mut self) -> Output {
        if let Some(event) = self.events.pop_front() {
            return Output::Event(event);
        }
        if self.in_flight.is_none() {
            let ready = self.queue.front().is_some_and(|head| head.not_before.is_none_or(|at| at <= self.now));
            if ready && let Some(queued) = self.queue.pop_front() {
                return Output::Request(self.send(queued));
            }
        }
        match self.poll_timeout() {
            Some(deadline) => Output::Timeout(deadline),
            None => Output::Idle,
        }
    }

    /// The next instant at which [`handle_timeout`](Self::handle_timeout) has work, if any.
    /// Never earlier than the latest `now` the engine has seen.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<OffsetDateTime> {
        let backoff = if self.in_flight.is_some() {
            None
        } else {
            self.queue.front().and_then(|head| head.not_before).filter(|at| *at > self.now)
        };
        let poll = self.timers.iter().map(|timer| timer.at).min().map(|at| at.max(self.now));
        match (backoff, poll) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Tells the engine the time; requests waiting for a backoff deadline become ready.
    pub fn handle_timeout(&mut self, now: OffsetDateTime) {
        self.advance(now);
        let current = self.now;
        let (due, later): (Vec<PollTimer>, Vec<PollTimer>) =
            std::mem::take(&mut self.timers).into_iter().partition(|timer| timer.at <= current);
        self.timers = later;
        for timer in due {
            match timer.purpose {
                TimerPurpose::EmailLinkPoll(op) => {
                    if self.ops.contains_key(&op) {
                        self.enqueue(op, RequestSpec::new(RequestKind::ClientGet, "/v1/client"), None);
                    }
                }
                TimerPurpose::TokenRefresh(key) => self.refresh_token_ahead(key),
            }
        }
    }

    fn send(&mut self, queued: QueuedRequest) -> Outgoing {
        let id = RequestId(self.next_request);
        self.next_request = self.next_request.saturating_add(1);
        let sent_token = match &queued.pinned_token {
            Some(pinned) => pinned.clone(),
            None => self.token.clone(),
        };
        let client_id = self.client.as_ref().and_then(|client| client.id.clone());
        let request = build_request(
            &self.config,
            &queued.spec,
            RequestContext {
                token: sent_token.as_ref(),
                session_id: self.active_session.as_deref(),
                client_id: client_id.as_deref(),
                attempt: queued.attempt,
            },
        );
        let outgoing = Outgoing { id, kind: queued.spec.kind, op: queued.op, attempt: queued.attempt, request };
        self.in_flight = Some(InFlight { id, request: queued, sent_token, orphaned: false });
        outgoing
    }

    // ----------------------------------------------------------------------------------
    // Inputs
    // ----------------------------------------------------------------------------------

    /// Feeds back the answer to a request (or the transport error that replaced it).
    ///
    /// Everything the answer means is reported through events, including failures of the
    /// operation it belonged to. What an answer may change follows design §7.3: a
    /// transport error, a 5xx, an oversized or undecodable body change nothing; a
    /// well-formed 4xx applies its `meta.client` through the stale gate, then fails the
    /// operation.
    ///
    /// # Errors
    /// [`ResponseError::UnknownRequest`] when no request with this id is on the wire;
    /// nothing is changed then.
    pub fn handle_response(
        &mut self,
        id: RequestId,
        result: Result<HttpResponse, TransportError>,
        now: OffsetDateTime,
    ) -> Result<(), ResponseError> {
        let Some(in_flight) = self.in_flight.take_if(|in_flight| in_flight.id == id) else {
            return Err(ResponseError::UnknownRequest(id));
        };
        self.advance(now);
        match result {
            Err(error) => {
                if !self.retry_later(&in_flight, None) {
                    self.finish_request(&in_flight, Err(OperationError::Transport(error)));
                }
            }
            Ok(response) => self.handle_answer(in_flight, response),
        }
        Ok(())
    }

    fn handle_answer(&mut self, in_flight: InFlight, response: HttpResponse) {
        let kind = in_flight.request.spec.kind;
        let limit = self.config.max_response_bytes();
        if response.body.len() > limit {
            let error = ResponseError::BodyTooLarge { kind, size: response.body.len(), limit };
            self.finish_request(&in_flight, Err(OperationError::Response(error)));
            return;
        }
        let status = response.status;
        let undecodable = |reason: String| {
            OperationError::Response(ResponseError::Undecodable {
                kind,
                status,
                reason,
                body: redact_body(&response.body),
            })
        };
        match status {
            200..=299 => {
                let decoded = match kind {
                    RequestKind::Environment => decode_environment(&response.body).map(Answer::Environment),
                    RequestKind::SignInCreate
                    | RequestKind::SignInGet
                    | RequestKind::SignInPrepareFirstFactor
                    | RequestKind::SignInAttemptFirstFactor
                    | RequestKind::SignInPrepareSecondFactor
                    | RequestKind::SignInAttemptSecondFactor
                    | RequestKind::SignInResetPassword => {
                        decode_resource_envelope::<SignInResource>(&response.body).map(|(r, c)| Answer::SignIn(r, c))
                    }
                    RequestKind::SignUpCreate
                    | RequestKind::SignUpGet
                    | RequestKind::SignUpUpdate
                    | RequestKind::SignUpPrepareVerification
                    | RequestKind::SignUpAttemptVerification => {
                        decode_resource_envelope::<SignUpResource>(&response.body).map(|(r, c)| Answer::SignUp(r, c))
                    }
                    RequestKind::SessionGet
                    | RequestKind::SessionTouch
                    | RequestKind::SessionEnd
                    | RequestKind::SessionRemove => {
                        decode_resource_envelope::<SessionResource>(&response.body).map(|(r, c)| Answer::Session(r, c))
                    }
                    RequestKind::SessionVerify
                    | RequestKind::SessionVerifyPrepareFirstFactor
                    | RequestKind::SessionVerifyAttemptFirstFactor
                    | RequestKind::SessionVerifyPrepareSecondFactor
                    | RequestKind::SessionVerifyAttemptSecondFactor => {
                        decode_resource_envelope::<SessionReverification>(&response.body)
                            .map(|(r, c)| Answer::Reverification(r, c))
                    }
                    RequestKind::SessionToken => decode_token(&response.body).map(Answer::Token),
                    _ => decode_client_envelope(&response.body).map(Answer::Client),
                };
                match decoded {
                    Err(reason) => self.finish_request(&in_flight, Err(undecodable(reason))),
                    Ok(answer) => {
                        let sent_with_current = self.adopt_token(&in_flight, &response);
                        let result = self.apply_answer(&in_flight, sent_with_current, answer);
                        self.finish_request(&in_flight, Ok(result));
                    }
                }
            }
            400..=599 => {
                let body = match decode_error_body(&response.body) {
                    Ok(body) => body,
                    Err(reason) => {
                        if !(status >= 500 && self.retry_later(&in_flight, None)) {
                            self.finish_request(&in_flight, Err(undecodable(reason)));
                        }
                        return;
                    }
                };
                let retry_after = retry_after(&response);
                if matches!(status, 429 | 502 | 503 | 504) && self.retry_later(&in_flight, retry_after) {
                    return;
                }
                let mut errors = body.errors.into_iter();
                let Some(first) = errors.next() else {
                    self.finish_request(&in_flight, Err(undecodable(String::from("empty errors"))));
                    return;
                };
                let error = ApiError {
                    status,
                    code: first.code,
                    message: first.message,
                    long_message: first.long_message,
                    meta: first.meta,
                    others: errors.collect(),
                    trace_id: body.clerk_trace_id,
                    retry_after,
                };
                if status < 500 {
                    let sent_with_current = self.adopt_token(&in_flight, &response);
                    if let Some(client) = body.meta.and_then(|meta| meta.client) {
                        self.offer_client(&in_flight, sent_with_current, ClientUpdate::Present(Box::new(client)));
                    }
                    let current = in_flight.request.epoch == self.epoch && sent_with_current;
                    match classify_error(&error.code, status, kind) {
                        ErrorEffect::RetryWithExpiredToken if self.retry_with_expired_token(&in_flight) => return,
                        ErrorEffect::RetryWithExpiredToken | ErrorEffect::None => {}
                        ErrorEffect::RefreshClient => self.schedule_refresh(kind),
                        ErrorEffect::SessionGone(reason) if current => {
                            let session_id = self.session_of(&in_flight).or_else(|| self.active_session.clone());
                            if let Some(session_id) = session_id {
                                self.session_gone(&session_id, reason);
                            }
                            // The session left the active slot above: refresh regardless.
                            self.refresh_client(kind);
                        }
                        ErrorEffect::ClientGone if current => {
                            self.last_applied = Some(AppliedMark { request: Some(in_flight.id), updated_at: None });
                            self.install_client(None);
                        }
                        ErrorEffect::SessionGone(_) | ErrorEffect::ClientGone => {}
                    }
                }
                self.finish_request(&in_flight, Err(OperationError::Api(Box::new(error))));
            }
            _ => {
                let error = ResponseError::UnexpectedStatus { kind, status };
                self.finish_request(&in_flight, Err(OperationError::Response(error)));
            }
        }
    }

    /// Adopts a rotated client token from the answer when the request carried the current
    /// token. Returns whether the request carried the current token (decided before any
    /// adoption).
    fn adopt_token(&mut self, in_flight: &InFlight, response: &HttpResponse) -> bool {
        let sent_with_current = in_flight.sent_token == self.token;
        if self.config.mode() != TransportMode::Native || !sent_with_current {
            return sent_with_current;
        }
        let Some(value) = response.header("authorization") else {
            return true;
        };
        let value = value.expose().trim();
        // An empty value or a bare scheme carries no token: no information (never a
        // sign-out; only destroy drops the token).
        if value.is_empty() || value.eq_ignore_ascii_case("bearer") {
            return true;
        }
        if self.token.as_ref().is_none_or(|current| current.expose() != value) {
            let token = ClientToken::new(value);
            self.token = Some(token.clone());
            self.events.push_back(Event::ClientTokenChanged { token: Some(token) });
        }
        true
    }

    fn apply_answer(&mut self, in_flight: &InFlight, sent_with_current: bool, answer: Answer) -> StepResult {
        match answer {
            Answer::Environment(environment) => {
                // The environment is the instance's configuration, not identity: it is
                // applied whatever the epoch or token.
                self.environment = Some(*environment);
                self.events.push_back(Event::EnvironmentUpdated);
                StepResult::default()
            }
            Answer::SignIn(resource, update) => {
                let gates = in_flight.request.epoch == self.epoch && sent_with_current;
                let had_client = matches!(update, ClientUpdate::Present(_));
                let applied = self.offer_client(in_flight, sent_with_current, update);
                if gates && !had_client {
                    self.merge_sign_in(&resource);
                }
                if gates {
                    self.announce_external_verification(Flow::SignIn, &resource);
                }
                StepResult { applied, sign_in: Some(resource), ..StepResult::default() }
            }
            Answer::SignUp(resource, update) => {
                let gates = in_flight.request.epoch == self.epoch && sent_with_current;
                let had_client = matches!(update, ClientUpdate::Present(_));
                let applied = self.offer_client(in_flight, sent_with_current, update);
                if gates && !had_client {
                    self.merge_sign_up(&resource);
                }
                if gates
                    && let Some(url) = resource
                        .verifications
                        .as_ref()
                        .and_then(|v| v.external_account.as_ref())
                        .filter(|v| v.status == Some(VerificationStatus::Unverified))
                        .and_then(|v| v.external_verification_redirect_url.clone())
                {
                    self.events.push_back(Event::ExternalVerificationRequired { flow: Flow::SignUp, url });
                }
                StepResult { applied, sign_up: Some(resource), ..StepResult::default() }
            }
            Answer::Session(resource, update) => {
                let gates = in_flight.request.epoch == self.epoch && sent_with_current;
                let had_client = matches!(update, ClientUpdate::Present(_));
                let applied = self.offer_client(in_flight, sent_with_current, update);
                if gates {
                    if !had_client {
                        self.merge_session(&resource);
                    }
                    if let Some(token) = resource.last_active_token.clone() {
                        let key = self.default_token_key(&resource.id, resource.last_active_organization_id.clone());
                        if self.tokens.offer(&key, token.jwt, self.now) {
                            self.schedule_token_refresh_for_active();
                        }
                    }
                    let set_active = match self.ops.get(&in_flight.request.op) {
                        Some(Operation { kind: OpKind::SetActive { session_id }, .. }) if !in_flight.orphaned => {
                            Some(session_id.clone())
                        }
                        _ => None,
                    };
                    if let Some(session_id) = set_active
                        && self.signed_in_session(&session_id).is_some()
                        && self.active_session.as_deref() != Some(session_id.as_str())
                    {
                        self.active_session = Some(session_id.clone());
                        self.events.push_back(Event::ActiveSessionChanged { session_id: Some(session_id) });
                    }
                }
                let mut resource = resource;
                resource.last_active_token = None;
                StepResult { applied, session: Some(resource), ..StepResult::default() }
            }
            Answer::Reverification(resource, update) => {
                let gates = in_flight.request.epoch == self.epoch && sent_with_current;
                let applied = self.offer_client(in_flight, sent_with_current, update);
                if gates
                    && let Some(OpKind::Reverification { session_id }) =
                        self.ops.get(&in_flight.request.op).map(|op| op.kind.clone())
                {
                    let mut stored = (*resource).clone();
                    if let Some(session) = stored.session.as_mut() {
                        session.last_active_token = None;
                    }
                    self.reverification = Some((session_id, stored));
                }
                let mut resource = resource;
                if let Some(session) = resource.session.as_mut() {
                    session.last_active_token = None;
                }
                StepResult { applied, reverification: Some(resource), ..StepResult::default() }
            }
            Answer::Token(jwt) => {
                let key = match self.ops.get(&in_flight.request.op).map(|op| &op.kind) {
                    Some(OpKind::TokenFetch { key, .. }) => Some(key.clone()),
                    _ => None,
                };
                if in_flight.request.epoch == self.epoch
                    && let Some(key) = key
                {
                    let was = self.tokens.get(&key).map(|cached| cached.jwt.clone());
                    if self.tokens.offer(&key, jwt.clone(), self.now) {
                        self.schedule_token_refresh_for_active();
                        if was.as_ref() != Some(&jwt) {
                            self.events.push_back(Event::SessionTokenRefreshed {
                                session_id: key.session_id.clone(),
                                template: key.template.clone(),
                            });
                        }
                    }
                }
                StepResult { token: Some(jwt), ..StepResult::default() }
            }
            Answer::Client(update) => {
                let kind = in_flight.request.spec.kind;
                if kind == RequestKind::ClientDestroy {
                    // Local state was cleared when the command was submitted.
                    return StepResult::default();
                }
                let client_present = !matches!(update, ClientUpdate::Cleared);
                let applied = self.offer_client(in_flight, sent_with_current, update);
                StepResult { client_present: Some(client_present), applied, ..StepResult::default() }
            }
        }
    }

    /// The stale gate (design §4, §7.3–7.4): a client from an answer is applied only when
    /// the request was sent in the current epoch with the current token, was issued after
    /// the request whose client was last applied, and is not older by `updated_at` (equal
    /// values are accepted). Returns whether it was applied.
    fn offer_client(&mut self, in_flight: &InFlight, sent_with_current: bool, update: ClientUpdate) -> bool {
        if in_flight.request.epoch != self.epoch || !sent_with_current {
            return false;
        }
        if let Some(mark) = self.last_applied {
            if mark.request.is_some_and(|last| in_flight.id < last) {
                return false;
            }
            if let (ClientUpdate::Present(client), Some(last_updated)) = (&update, mark.updated_at)
                && client.updated_at.is_some_and(|updated| updated < last_updated)
            {
                return false;
            }
        }
        match update {
            ClientUpdate::NoInformation => false,
            ClientUpdate::Present(client) => {
                self.last_applied = Some(AppliedMark { request: Some(in_flight.id), updated_at: client.updated_at });
                self.install_client(Some(client));
                true
            }
            ClientUpdate::Cleared => {
                self.last_applied = Some(AppliedMark { request: Some(in_flight.id), updated_at: None });
                self.install_client(None);
                true
            }
        }
    }

    /// Replaces the local client (merge rules of fapi.md §5.6: the client is rebuilt from
    /// the answer), moves piggybacked session tokens into the token cache, hides
    /// suppressed attempts, emits the differences and re-resolves the active session.
    fn install_client(&mut self, client: Option<Box<ClientResource>>) {
        let mut client = client;
        if let Some(resource) = client.as_mut() {
            match (&resource.sign_in, &self.suppressed_sign_in) {
                (Some(sign_in), Some(hidden)) if &sign_in.id == hidden => resource.sign_in = None,
                (Some(_), Some(_)) => self.suppressed_sign_in = None,
                _ => {}
            }
            match (&resource.sign_up, &self.suppressed_sign_up) {
                (Some(sign_up), Some(hidden)) if &sign_up.id == hidden => resource.sign_up = None,
                (Some(_), Some(_)) => self.suppressed_sign_up = None,
                _ => {}
            }
            for session in &mut resource.sessions {
                if let Some(token) = session.last_active_token.take() {
                    let key = TokenKey {
                        session_id: session.id.clone(),
                        template: None,
                        organization_id: session.last_active_organization_id.clone(),
                    };
                    self.tokens.offer(&key, token.jwt, self.now);
                }
            }
        } else {
            self.clear_tokens();
        }
        let previous = std::mem::replace(&mut self.client, client);
        self.events.push_back(Event::ClientUpdated);
        self.emit_differences(previous.as_deref());
        let previous_last_active = previous.as_ref().and_then(|client| client.last_active_session_id.clone());
        self.resolve_active_session(previous_last_active.as_deref(), previous.is_some() && self.client.is_none());
        // Sessions that are no longer signed in keep no tokens (classification: session gone).
        let gone: Vec<String> =
            self.sessions().iter().filter(|session| !is_signed_in(session)).map(|session| session.id.clone()).collect();
        for session_id in gone {
            self.tokens.forget_session(&session_id);
        }
        // Now that the active session is known, announce its refresh deadline.
        self.schedule_token_refresh_for_active();
    }

    fn emit_differences(&mut self, previous: Option<&ClientResource>) {
        let sessions_before = previous.map(|client| session_summary(&client.sessions)).unwrap_or_default();
        let sessions_after = self.client.as_ref().map(|client| session_summary(&client.sessions)).unwrap_or_default();
        if sessions_before != sessions_after {
            self.events.push_back(Event::SessionsChanged);
        }
        let sign_in_before = previous.and_then(|client| client.sign_in.as_ref()).and_then(|s| s.status.clone());
        let sign_in_after = self.sign_in_status().cloned();
        if sign_in_before != sign_in_after {
            self.events.push_back(Event::SignInStatusChanged { from: sign_in_before, to: sign_in_after });
        }
        let sign_up_before = previous.and_then(|client| client.sign_up.as_ref()).and_then(|s| s.status.clone());
        let sign_up_after = self.sign_up_status().cloned();
        if sign_up_before != sign_up_after {
            self.events.push_back(Event::SignUpStatusChanged { from: sign_up_before, to: sign_up_after });
        }
    }

    /// Re-validates the active session against the client's signed-in sessions
    /// (design §7.7): a newly set `last_active_session_id` that is signed in becomes
    /// active; otherwise the current one stays while it is signed in; otherwise none.
    fn resolve_active_session(&mut self, previous_last_active: Option<&str>, client_lost: bool) {
        let last_active = self.last_active_session_id().map(str::to_owned);
        let candidate = match last_active.as_deref() {
            Some(id) if Some(id) != previous_last_active && self.signed_in_session(id).is_some() => Some(id.to_owned()),
            _ => match self.active_session.as_deref() {
                Some(current) if self.signed_in_session(current).is_some() => Some(current.to_owned()),
                Some(_) => None,
                None => None,
            },
        };
        if candidate == self.active_session {
            return;
        }
        if let Some(old) = self.active_session.as_deref()
            && candidate.is_none()
        {
            let reason = if client_lost || self.client.is_none() {
                SignOutReason::ClientLost
            } else {
                match self.session(old).and_then(|session| session.status.as_ref()).and_then(classify_status) {
                    Some(reason) => SignOutReason::SessionEnded { reason },
                    None => SignOutReason::SessionMissing,
                }
            };
            self.events.push_back(Event::SignedOut { reason });
        }
        self.active_session = candidate.clone();
        self.events.push_back(Event::ActiveSessionChanged { session_id: candidate });
    }

    /// Queues a retry of a retryable request after a backoff (design §7.5). Returns false
    /// when the request may not or can no longer be retried.
    fn retry_later(&mut self, in_flight: &InFlight, retry_after: Option<Duration>) -> bool {
        let request = &in_flight.request;
        if in_flight.orphaned || !request.spec.kind.is_retryable() {
            return false;
        }
        let policy = self.config.retry();
        if request.attempt >= policy.max_attempts {
            return false;
        }
        if retry_after.is_some_and(|wait| wait > MAX_AUTOMATIC_RETRY_AFTER) {
            return false;
        }
        let backoff = policy.backoff(request.attempt, self.jitter.next_unit());
        let wait = retry_after.map_or(backoff, |server| server.max(backoff));
        let mut retry = request.clone();
        retry.attempt = retry.attempt.saturating_add(1);
        retry.not_before = Some(self.now.saturating_add(wait));
        self.queue.push_front(retry);
        true
    }

    /// After a 401 on anything but `GET /v1/client`, while a session is active: one
    /// coalesced client refresh (fapi.md §2.4), whose answer re-validates the session.
    fn schedule_refresh(&mut self, kind: RequestKind) {
        if self.active_session.is_none() {
            return;
        }
        self.refresh_client(kind);
    }

    /// Queues one coalesced `GET /v1/client` (not after a `GET /v1/client` itself, and not
    /// without a client token: there would be nothing to refresh).
    fn refresh_client(&mut self, kind: RequestKind) {
        if kind == RequestKind::ClientGet || (self.token.is_none() && self.config.mode() == TransportMode::Native) {
            return;
        }
        let already = self.queue.iter().any(|queued| queued.spec.kind == RequestKind::ClientGet)
            || self.in_flight.as_ref().is_some_and(|f| f.request.spec.kind == RequestKind::ClientGet);
        if already {
            return;
        }
        let op = self.start_op(Flow::Client, OpKind::Refresh, false, true);
        self.enqueue(op, RequestSpec::new(RequestKind::ClientGet, "/v1/client"), None);
    }

    // ----------------------------------------------------------------------------------
    // Operations bookkeeping
    // ----------------------------------------------------------------------------------

    fn start_op(&mut self, flow: Flow, kind: OpKind, mutating: bool, internal: bool) -> OpId {
        let id = OpId(self.next_op);
        self.next_op = self.next_op.saturating_add(1);
        self.ops.insert(
            id,
            Operation {
                flow,
                kind,
                mutating,
                internal,
                outstanding: 0,
                failure: None,
                client_present: None,
                applied: true,
                sign_in: None,
                sign_up: None,
                session: None,
                token: None,
                reverification: None,
                polling: false,
                link_baseline: None,
            },
        );
        id
    }

    fn enqueue(&mut self, op: OpId, spec: RequestSpec, pinned_token: Option<Option<ClientToken>>) {
        if let Some(operation) = self.ops.get_mut(&op) {
            operation.outstanding = operation.outstanding.saturating_add(1);
        }
        self.queue.push_back(QueuedRequest { op, spec, attempt: 1, not_before: None, pinned_token, epoch: self.epoch });
    }

    fn complete_now(&mut self, op: OpId, outcome: Outcome) {
        if let Some(operation) = self.ops.remove(&op)
            && !operation.internal
        {
            self.events.push_back(Event::OperationCompleted { op, outcome });
        }
    }

    /// Records the end of one request of an operation; completes the operation when it was
    /// the last.
    fn finish_request(&mut self, in_flight: &InFlight, result: Result<StepResult, OperationError>) {
        if in_flight.orphaned {
            return;
        }
        let op = in_flight.request.op;
        let Some(operation) = self.ops.get_mut(&op) else {
            return;
        };
        operation.outstanding = operation.outstanding.saturating_sub(1);
        match result {
            Ok(step) => {
                if step.client_present.is_some() {
                    operation.client_present = step.client_present;
                }
                operation.applied &= step.applied;
                if step.sign_in.is_some() {
                    operation.sign_in = step.sign_in;
                }
                if step.sign_up.is_some() {
                    operation.sign_up = step.sign_up;
                }
                if step.session.is_some() {
                    operation.session = step.session;
                }
                if step.token.is_some() {
                    operation.token = step.token;
                }
                if step.reverification.is_some() {
                    operation.reverification = step.reverification;
                }
            }
            Err(error) => {
                if operation.failure.is_none() {
                    operation.failure = Some(error);
                }
            }
        }
        if operation.outstanding > 0 {
            return;
        }
        // An email-link wait goes on until the watched verification settles.
        let watch = match operation.kind {
            OpKind::SignIn { watch } | OpKind::SignUp { watch } if operation.failure.is_none() => watch,
            _ => None,
        };
        if let Some(watch) = watch {
            let first_answer = !operation.polling;
            operation.polling = true;
            let flow = operation.flow;
            if first_answer {
                operation.link_baseline = self.client.as_ref().and_then(|c| c.last_active_session_id.clone());
                self.events.push_back(Event::EmailLinkSent { flow });
            }
            let baseline = operation.link_baseline.clone();
            match self.email_link_outcome(watch, baseline.as_deref()) {
                Some(outcome) => self.complete_now(op, Ok(Completion::EmailLink(outcome))),
                None => {
                    let at = self.now.saturating_add(self.config.email_link_poll_interval());
                    self.timers.push(PollTimer { at, purpose: TimerPurpose::EmailLinkPoll(op) });
                }
            }
            return;
        }
        let Some(operation) = self.ops.remove(&op) else {
            return;
        };
        if let OpKind::TokenFetch { key, .. } = &operation.kind {
            let outcome = match (&operation.failure, &operation.token) {
                (Some(error), _) => Err(error.clone()),
                (None, Some(token)) => Ok(Completion::SessionToken(token.clone())),
                (None, None) => Err(OperationError::Superseded),
            };
            self.complete_token_waiters(key, &outcome);
            return;
        }
        let outcome = match (operation.kind, operation.failure) {
            (OpKind::Destroy | OpKind::RemoveSessions | OpKind::SignOutSession, None) => {
                Ok(Completion::SignedOut { confirmation: SignOutConfirmation::Revoked })
            }
            (OpKind::Destroy | OpKind::RemoveSessions | OpKind::SignOutSession, Some(error)) => {
                Ok(Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { error: Box::new(error) } })
            }
            (_, Some(error)) => Err(error),
            (OpKind::Load, None) => {
                Ok(Completion::Loaded { client_present: operation.client_present.unwrap_or(false) })
            }
            (OpKind::LoadEnvironment, None) => Ok(Completion::EnvironmentLoaded),
            (OpKind::Reload | OpKind::Refresh, None) => Ok(Completion::ClientReloaded {
                client_present: operation.client_present.unwrap_or(false),
                applied: operation.applied,
            }),
            (OpKind::Create, None) => Ok(Completion::ClientCreated),
            (OpKind::Local, None) => Ok(Completion::LocalChange),
            (OpKind::SignIn { .. }, None) => match operation.sign_in {
                Some(sign_in) => Ok(Completion::SignIn(sign_in)),
                None => Ok(Completion::LocalChange),
            },
            (OpKind::SignUp { .. }, None) => match operation.sign_up {
                Some(sign_up) => Ok(Completion::SignUp(sign_up)),
                None => Ok(Completion::SignUpUnchanged),
            },
            (OpKind::SetActive { .. } | OpKind::Session, None) => match operation.session {
                Some(session) => Ok(Completion::Session(session)),
                None => Ok(Completion::LocalChange),
            },
            (OpKind::Reverification { .. }, None) => match operation.reverification {
                Some(reverification) => Ok(Completion::Reverification(reverification)),
                None => Ok(Completion::LocalChange),
            },
            (OpKind::TokenWaiter { .. } | OpKind::TokenFetch { .. }, None) => match operation.token {
                Some(token) => Ok(Completion::SessionToken(token)),
                None => Err(OperationError::Superseded),
            },
        };
        if !operation.internal {
            self.events.push_back(Event::OperationCompleted { op, outcome });
        }
    }

    /// Ends an operation now: its queued requests are dropped and its in-flight request
    /// (if any) is orphaned.
    fn drop_op(&mut self, op: OpId, error: OperationError) {
        self.queue.retain(|queued| queued.op != op);
        self.timers.retain(|timer| timer.purpose != TimerPurpose::EmailLinkPoll(op));
        if let Some(in_flight) = self.in_flight.as_mut()
            && in_flight.request.op == op
        {
            in_flight.orphaned = true;
        }
        self.complete_now(op, Err(error));
    }

    /// `reset_sign_in` / `reset_sign_up` (design §7.4): the flow's pending operations are
    /// superseded, the epoch bumped, and the local attempt hidden until a new one appears.
    fn reset_attempt(&mut self, flow: Flow) -> OpId {
        self.supersede_flow(flow);
        let op = self.start_op(Flow::Client, OpKind::Local, false, false);
        self.epoch = self.epoch.saturating_add(1);
        let event = match (flow, self.client.as_mut()) {
            (Flow::SignIn, Some(client)) => client.sign_in.take().map(|sign_in| {
                self.suppressed_sign_in = Some(sign_in.id);
                Event::SignInStatusChanged { from: sign_in.status, to: None }
            }),
            (Flow::SignUp, Some(client)) => client.sign_up.take().map(|sign_up| {
                self.suppressed_sign_up = Some(sign_up.id);
                Event::SignUpStatusChanged { from: sign_up.status, to: None }
            }),
            _ => None,
        };
        // An attempt without a status says nothing changed that a listener could show.
        if let Some(event) = event.filter(|event| {
            !matches!(
                event,
                Event::SignInStatusChanged { from: None, .. } | Event::SignUpStatusChanged { from: None, .. }
            )
        }) {
            self.events.push_back(event);
        }
        self.complete_now(op, Ok(Completion::LocalChange));
        op
    }

    fn supersede_flow(&mut self, flow: Flow) {
        let ops: Vec<OpId> =
            self.ops.iter().filter(|(_, op)| op.flow == flow && !op.internal).map(|(id, _)| *id).collect();
        for op in ops {
            self.drop_op(op, OperationError::Superseded);
        }
    }

    /// Updates the local sign-in from a request's `response` when the answer carried no
    /// client (fapi.md §2.2 step 5).
    fn merge_sign_in(&mut self, resource: &SignInResource) {
        if self.suppressed_sign_in.as_deref() == Some(resource.id.as_str()) {
            return;
        }
        self.suppressed_sign_in = None;
        let Some(client) = self.client.as_mut() else {
            return;
        };
        let from = client.sign_in.as_ref().and_then(|sign_in| sign_in.status.clone());
        client.sign_in = Some(Box::new(resource.clone()));
        if from != resource.status {
            self.events.push_back(Event::SignInStatusChanged { from, to: resource.status.clone() });
        }
    }

    /// Updates the local sign-up from a request's `response` when the answer carried no
    /// client.
    fn merge_sign_up(&mut self, resource: &SignUpResource) {
        if self.suppressed_sign_up.as_deref() == Some(resource.id.as_str()) {
            return;
        }
        self.suppressed_sign_up = None;
        let Some(client) = self.client.as_mut() else {
            return;
        };
        let from = client.sign_up.as_ref().and_then(|sign_up| sign_up.status.clone());
        client.sign_up = Some(Box::new(resource.clone()));
        if from != resource.status {
            self.events.push_back(Event::SignUpStatusChanged { from, to: resource.status.clone() });
        }
    }

    /// Reports a provider URL the application must open (OAuth, SSO).
    fn announce_external_verification(&mut self, flow: Flow, sign_in: &SignInResource) {
        let pending = [&sign_in.first_factor_verification, &sign_in.second_factor_verification];
        for verification in pending.into_iter().flatten() {
            if verification.status == Some(VerificationStatus::Unverified)
                && let Some(url) = verification.external_verification_redirect_url.clone()
            {
                self.events.push_back(Event::ExternalVerificationRequired { flow, url });
                return;
            }
        }
    }

    /// Whether an email-link wait has settled, from the client as it is now.
    fn email_link_outcome(&self, watch: LinkWatch, baseline: Option<&str>) -> Option<EmailLinkOutcome> {
        if self.client.is_none() {
            return Some(EmailLinkOutcome::AttemptGone);
        }
        let client_id = self.client.as_ref().and_then(|client| client.id.as_deref());
        let settle = |status: Option<&VerificationStatus>, verified_at: Option<&str>| match status {
            Some(VerificationStatus::Verified) => {
                Some(EmailLinkOutcome::Verified { on_this_client: verified_at.is_none_or(|at| Some(at) == client_id) })
            }
            Some(VerificationStatus::Expired) => Some(EmailLinkOutcome::Expired),
            Some(VerificationStatus::Failed) => Some(EmailLinkOutcome::Failed),
            Some(VerificationStatus::Transferable) => Some(EmailLinkOutcome::Transferable),
            _ => None,
        };
        // An empty slot is a consumed attempt only when a new session became the last
        // active one during the wait; otherwise the attempt is simply gone.
        let consumed = || match self.last_active_session_id() {
            Some(last) if Some(last) != baseline => {
                EmailLinkOutcome::Completed { created_session_id: Some(last.to_owned()) }
            }
            _ => EmailLinkOutcome::AttemptGone,
        };
        let completed = |created: Option<&String>| match created {
            Some(created) => EmailLinkOutcome::Completed { created_session_id: Some(created.clone()) },
            None => consumed(),
        };
        match watch {
            LinkWatch::FirstFactor | LinkWatch::SecondFactor => {
                let Some(sign_in) = self.sign_in() else {
                    return Some(completed(None));
                };
                if sign_in.status == Some(SignInStatus::Complete) {
                    return Some(completed(sign_in.created_session_id.as_ref()));
                }
                let verification = if watch == LinkWatch::FirstFactor {
                    sign_in.first_factor_verification.as_deref()
                } else {
                    sign_in.second_factor_verification.as_deref()
                }?;
                settle(verification.status.as_ref(), verification.verified_at_client.as_deref())
            }
            LinkWatch::SignUpEmail => {
                let Some(sign_up) = self.sign_up() else {
                    return Some(completed(None));
                };
                if sign_up.status == Some(SignUpStatus::Complete) {
                    return Some(completed(sign_up.created_session_id.as_ref()));
                }
                let verification = sign_up.verifications.as_deref()?.email_address.as_ref()?;
                settle(verification.status.as_ref(), verification.verified_at_client.as_deref())
            }
        }
    }

    /// Legality of a session command (the table of `crate::session`).
    fn check_session_legal(&self, command: &SessionCommand) -> Result<(), CommandError> {
        let flow = Flow::Session;
        let session_id = match command {
            SessionCommand::SignOut { session_id: None } => return Ok(()),
            SessionCommand::GetToken(request) if request.session_id.is_none() => match self.active_session.as_deref() {
                Some(id) => id,
                None => {
                    return Err(CommandError::InvalidState {
                        flow,
                        status: String::from("no active session"),
                        command: command.name(),
                    });
                }
            },
            other => other.session_id().unwrap_or_default(),
        };
        let status = self.session(session_id).and_then(|session| session.status.as_ref());
        if crate::session::legal(command.name(), status) {
            Ok(())
        } else {
            Err(CommandError::InvalidState {
                flow,
                status: crate::session::status_name(status),
                command: command.name(),
            })
        }
    }

    fn submit_session(&mut self, command: SessionCommand, now: OffsetDateTime) -> Result<OpId, CommandError> {
        let current_org =
            |client: &Self, id: &str| client.session(id).and_then(|s| s.last_active_organization_id.clone());
        match command {
            SessionCommand::SetActive { session_id, organization } => {
                let org = organization.resolve(self.session(&session_id));
                let intent = if organization == OrganizationChoice::SessionDefault {
                    TouchIntent::SelectSession
                } else {
                    TouchIntent::SelectOrg
                };
                let spec = crate::session::touch_request(&session_id, org.as_deref(), Some(intent))?;
                self.advance(now);
                let op = self.start_op(Flow::Session, OpKind::SetActive { session_id }, true, false);
                self.enqueue(op, spec, None);
                Ok(op)
            }
            SessionCommand::Touch { session_id, intent } => {
                let org = current_org(self, &session_id);
                let spec = crate::session::touch_request(&session_id, org.as_deref(), intent)?;
                self.advance(now);
                let op = self.start_op(Flow::Session, OpKind::Session, true, false);
                self.enqueue(op, spec, None);
                Ok(op)
            }
            SessionCommand::End { session_id } => self.submit_simple(RequestKind::SessionEnd, &session_id, true, now),
            SessionCommand::Remove { session_id } => {
                self.submit_simple(RequestKind::SessionRemove, &session_id, true, now)
            }
            SessionCommand::Reload { session_id } => {
                self.submit_simple(RequestKind::SessionGet, &session_id, false, now)
            }
            SessionCommand::SignOut { session_id: None } => {
                self.advance(now);
                let pinned = Some(self.token.clone());
                self.sign_out_locally();
                let op = self.start_op(Flow::Session, OpKind::RemoveSessions, true, false);
                self.enqueue(op, RequestSpec::new(RequestKind::ClientRemoveSessions, "/v1/client/sessions"), pinned);
                Ok(op)
            }
            SessionCommand::SignOut { session_id: Some(session_id) } => {
                let spec = crate::session::simple_request(RequestKind::SessionRemove, &session_id)?;
                self.advance(now);
                let pinned = Some(self.token.clone());
                self.sign_out_one_locally(&session_id);
                let op = self.start_op(Flow::Session, OpKind::SignOutSession, true, false);
                self.enqueue(op, spec, pinned);
                Ok(op)
            }
            SessionCommand::GetToken(request) => {
                let session_id = match request.session_id.clone().or_else(|| self.active_session.clone()) {
                    Some(id) => id,
                    None => {
                        return Err(CommandError::InvalidState {
                            flow: Flow::Session,
                            status: String::from("no active session"),
                            command: "get_token",
                        });
                    }
                };
                // Templates take no organization: one token per template and session.
                let organization_id = match request.template {
                    Some(_) => None,
                    None => request.organization.resolve(self.session(&session_id)),
                };
                let spec = crate::session::token_request(
                    &session_id,
                    request.template.as_deref(),
                    organization_id.as_deref(),
                    request.skip_cache,
                    None,
                )?;
                self.advance(now);
                let key = TokenKey { session_id, template: request.template.clone(), organization_id };
                let op = self.start_op(Flow::Session, OpKind::TokenWaiter { key: key.clone() }, false, false);
                if !request.skip_cache
                    && let Some(cached) = self.tokens.usable(&key, self.now, self.config.token_lookup_leeway())
                {
                    let token = cached.jwt.clone();
                    self.complete_now(op, Ok(Completion::SessionToken(token)));
                    return Ok(op);
                }
                if !self.token_fetch_pending(&key) {
                    let fetch = self.start_op(
                        Flow::Session,
                        OpKind::TokenFetch { key, expired_retry_done: false },
                        false,
                        true,
                    );
                    self.enqueue(fetch, spec, None);
                }
                Ok(op)
            }
        }
    }

    fn submit_simple(
        &mut self,
        kind: RequestKind,
        session_id: &str,
        mutating: bool,
        now: OffsetDateTime,
    ) -> Result<OpId, CommandError> {
        let spec = crate::session::simple_request(kind, session_id)?;
        self.advance(now);
        if matches!(kind, RequestKind::SessionEnd | RequestKind::SessionRemove) {
            // clerk-js clears the whole token cache before ending or removing a session.
            self.clear_tokens();
        }
        let op = self.start_op(Flow::Session, OpKind::Session, mutating, false);
        self.enqueue(op, spec, None);
        Ok(op)
    }

    fn token_fetch_pending(&self, key: &TokenKey) -> bool {
        self.ops.values().any(|op| matches!(&op.kind, OpKind::TokenFetch { key: pending, .. } if pending == key))
    }

    /// The session a request concerned: from its operation, else from its path.
    fn session_of(&self, in_flight: &InFlight) -> Option<String> {
        match self.ops.get(&in_flight.request.op).map(|op| &op.kind) {
            Some(OpKind::SetActive { session_id } | OpKind::Reverification { session_id }) => {
                return Some(session_id.clone());
            }
            Some(OpKind::TokenFetch { key, .. }) => return Some(key.session_id.clone()),
            _ => {}
        }
        let rest = in_flight.request.spec.path.strip_prefix("/v1/client/sessions/")?;
        rest.split('/').next().filter(|id| !id.is_empty()).map(str::to_owned)
    }

    /// A session is gone (classification table): it leaves the active slot and its tokens
    /// are dropped.
    fn session_gone(&mut self, session_id: &str, reason: SessionEndReason) {
        self.tokens.forget_session(session_id);
        self.timers
            .retain(|timer| !matches!(&timer.purpose, TimerPurpose::TokenRefresh(key) if key.session_id == session_id));
        if self.active_session.as_deref() == Some(session_id) {
            self.active_session = None;
            self.events.push_back(Event::SignedOut { reason: SignOutReason::SessionEnded { reason } });
            self.events.push_back(Event::ActiveSessionChanged { session_id: None });
        }
    }

    /// Repeats a token fetch once with `expired_token` (fapi.md §3.5.4). Returns whether it
    /// did.
    fn retry_with_expired_token(&mut self, in_flight: &InFlight) -> bool {
        let op = in_flight.request.op;
        let Some(Operation { kind: OpKind::TokenFetch { key, expired_retry_done }, .. }) = self.ops.get_mut(&op) else {
            return false;
        };
        if *expired_retry_done || in_flight.orphaned {
            return false;
        }
        let Some(expired) = self.tokens.get(key).map(|cached| cached.jwt.expose().to_owned()) else {
            return false;
        };
        *expired_retry_done = true;
        let mut retry = in_flight.request.clone();
        retry.spec.query.retain(|field| field.name != "expired_token");
        retry.spec.query.push(crate::request::Field::secret("expired_token", expired));
        retry.not_before = None;
        self.queue.push_front(retry);
        true
    }

    /// Updates one session from a request's `response` when the answer carried no client.
    fn merge_session(&mut self, resource: &SessionResource) {
        let Some(client) = self.client.as_mut() else {
            return;
        };
        let mut session = resource.clone();
        session.last_active_token = None;
        match client.sessions.iter_mut().find(|existing| existing.id == session.id) {
            Some(existing) => {
                if existing.status != session.status {
                    self.events.push_back(Event::SessionsChanged);
                }
                *existing = session;
            }
            None => {
                client.sessions.push(session);
                self.events.push_back(Event::SessionsChanged);
            }
        }
        let previous_last_active = self.last_active_session_id().map(str::to_owned);
        self.resolve_active_session(previous_last_active.as_deref(), false);
    }

    fn default_token_key(&self, session_id: &str, organization_id: Option<String>) -> TokenKey {
        TokenKey { session_id: session_id.to_owned(), template: None, organization_id }
    }

    /// Schedules the proactive refresh of the active session's default token: at its
    /// expiry (counted from arrival) minus `token_refresh_ahead`, when that is still ahead.
    /// Only one such deadline exists at a time; none without an active session.
    fn schedule_token_refresh_for_active(&mut self) {
        self.timers.retain(|timer| !matches!(timer.purpose, TimerPurpose::TokenRefresh(_)));
        let Some(active) = self.active_session.clone() else {
            return;
        };
        let organization_id = self.session(&active).and_then(|s| s.last_active_organization_id.clone());
        let key = self.default_token_key(&active, organization_id);
        let Some(cached) = self.tokens.get(&key) else {
            return;
        };
        let at = cached.expires_at() - self.config.token_refresh_ahead();
        if at > self.now {
            self.timers.push(PollTimer { at, purpose: TimerPurpose::TokenRefresh(key) });
        }
    }

    /// The proactive refresh deadline fired.
    fn refresh_token_ahead(&mut self, key: TokenKey) {
        if self.active_session.as_deref() != Some(key.session_id.as_str()) || self.token_fetch_pending(&key) {
            return;
        }
        // A deadline that fires after the token expired (the device slept) is skipped:
        // the next get_token fetches normally.
        if self.tokens.get(&key).is_none_or(|cached| cached.expires_at() <= self.now) {
            return;
        }
        let Ok(spec) =
            crate::session::token_request(&key.session_id, None, key.organization_id.as_deref(), false, None)
        else {
            return;
        };
        let fetch = self.start_op(Flow::Session, OpKind::TokenFetch { key, expired_retry_done: false }, false, true);
        self.enqueue(fetch, spec, None);
    }

    fn complete_token_waiters(&mut self, key: &TokenKey, outcome: &Outcome) {
        let waiters: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(_, op)| matches!(&op.kind, OpKind::TokenWaiter { key: waiting } if waiting == key))
            .map(|(id, _)| *id)
            .collect();
        for op in waiters {
            self.complete_now(op, outcome.clone());
        }
    }

    /// Drops every cached session token and the refresh deadline.
    fn clear_tokens(&mut self) {
        self.tokens.clear();
        self.timers.retain(|timer| !matches!(timer.purpose, TimerPurpose::TokenRefresh(_)));
    }

    /// Supersedes pending session and reverification work (sign-out): waiters complete
    /// `Superseded`, shared token fetches are dropped, the reverification is forgotten.
    fn drop_session_work(&mut self, keep: Option<OpId>) {
        let ops: Vec<(OpId, bool)> = self
            .ops
            .iter()
            .filter(|(id, op)| Some(**id) != keep && matches!(op.flow, Flow::Session | Flow::Reverification))
            .map(|(id, op)| (*id, op.internal))
            .collect();
        for (op, _) in ops {
            self.drop_op(op, OperationError::Superseded);
        }
        self.reverification = None;
    }

    /// Local part of signing out of one session (design §7.9).
    fn sign_out_one_locally(&mut self, session_id: &str) {
        self.epoch = self.epoch.saturating_add(1);
        self.tokens.forget_session(session_id);
        self.timers
            .retain(|timer| !matches!(&timer.purpose, TimerPurpose::TokenRefresh(key) if key.session_id == session_id));
        let mut changed = false;
        if let Some(client) = self.client.as_mut() {
            let before = client.sessions.len();
            client.sessions.retain(|session| session.id != session_id);
            changed = client.sessions.len() != before;
        }
        if changed {
            self.events.push_back(Event::SessionsChanged);
        }
        if self.active_session.as_deref() == Some(session_id) {
            self.active_session = None;
            self.events.push_back(Event::SignedOut { reason: SignOutReason::UserAction });
            self.events.push_back(Event::ActiveSessionChanged { session_id: None });
        }
    }

    fn supersede_all_except(&mut self, keep: OpId) {
        let others: Vec<OpId> = self.ops.keys().copied().filter(|op| *op != keep).collect();
        for op in others {
            self.drop_op(op, OperationError::Superseded);
        }
    }

    /// Clears local identity for destroy: token, client, sessions, session tokens.
    fn clear_identity_locally(&mut self, drop_token: bool) {
        self.epoch = self.epoch.saturating_add(1);
        let had_active = self.active_session.take().is_some();
        let previous = self.client.take();
        self.clear_tokens();
        self.last_applied = None;
        self.suppressed_sign_in = None;
        self.suppressed_sign_up = None;
        if previous.is_some() {
            self.events.push_back(Event::ClientUpdated);
            self.emit_differences(previous.as_deref());
        }
        if had_active {
            self.events.push_back(Event::SignedOut { reason: SignOutReason::UserAction });
            self.events.push_back(Event::ActiveSessionChanged { session_id: None });
        }
        if drop_token && self.token.take().is_some() {
            self.events.push_back(Event::ClientTokenChanged { token: None });
        }
    }

    /// Clears local sessions for a sign-out of every session; keeps the token and the
    /// client's other parts.
    fn sign_out_locally(&mut self) {
        self.drop_session_work(None);
        self.epoch = self.epoch.saturating_add(1);
        let had_active = self.active_session.take().is_some();
        self.clear_tokens();
        let mut changed = false;
        if let Some(client) = self.client.as_mut() {
            let before = client.sessions.len();
            client.sessions.retain(|session| !is_signed_in(session));
            changed = client.sessions.len() != before;
        }
        if changed {
            self.events.push_back(Event::SessionsChanged);
        }
        if had_active {
            self.events.push_back(Event::SignedOut { reason: SignOutReason::UserAction });
            self.events.push_back(Event::ActiveSessionChanged { session_id: None });
        }
    }

    fn advance(&mut self, now: OffsetDateTime) {
        if now > self.now {
            self.now = now;
        }
    }

    // ----------------------------------------------------------------------------------
    // Read views
    // ----------------------------------------------------------------------------------

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The latest time the engine has seen (earlier `now` values are treated as this).
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    /// The local epoch: bumped by sign-out, destroy and resets. An answer to a request
    /// issued in an earlier epoch cannot bring back what was cleared.
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The client token, if one is stored.
    #[must_use]
    pub fn client_token(&self) -> Option<&ClientToken> {
        self.token.as_ref()
    }

    /// The last applied Client object, if any.
    #[must_use]
    pub fn client(&self) -> Option<&ClientResource> {
        self.client.as_deref()
    }

    /// The last loaded environment, if any.
    #[must_use]
    pub fn environment(&self) -> Option<&Environment> {
        self.environment.as_ref()
    }

    /// Every session the client lists, terminal ones included. Session tokens are not in
    /// here: they live in the token cache.
    #[must_use]
    pub fn sessions(&self) -> &[SessionResource] {
        self.client.as_ref().map(|client| client.sessions.as_slice()).unwrap_or_default()
    }

    /// The sessions that count as signed in: `active` and `pending`.
    pub fn signed_in_sessions(&self) -> impl Iterator<Item = &SessionResource> {
        self.sessions().iter().filter(|session| is_signed_in(session))
    }

    /// The session with this id, whatever its status.
    #[must_use]
    pub fn session(&self, id: &str) -> Option<&SessionResource> {
        self.sessions().iter().find(|session| session.id == id)
    }

    fn signed_in_session(&self, id: &str) -> Option<&SessionResource> {
        self.session(id).filter(|session| is_signed_in(session))
    }

    /// The session the engine treats as active, if any.
    #[must_use]
    pub fn active_session(&self) -> Option<&SessionResource> {
        self.active_session.as_deref().and_then(|id| self.session(id))
    }

    /// The id of the active session, if any.
    #[must_use]
    pub fn active_session_id(&self) -> Option<&str> {
        self.active_session.as_deref()
    }

    /// The client's `last_active_session_id`.
    #[must_use]
    pub fn last_active_session_id(&self) -> Option<&str> {
        self.client.as_ref().and_then(|client| client.last_active_session_id.as_deref())
    }

    /// The client's `last_authentication_strategy`.
    #[must_use]
    pub fn last_authentication_strategy(&self) -> Option<&str> {
        self.client.as_ref().and_then(|client| client.last_authentication_strategy.as_deref())
    }

    /// The client's current sign-in attempt, if any.
    #[must_use]
    pub fn sign_in(&self) -> Option<&SignInResource> {
        self.client.as_ref().and_then(|client| client.sign_in.as_deref())
    }

    /// The sign-in attempt's status, if there is an attempt.
    #[must_use]
    pub fn sign_in_status(&self) -> Option<&SignInStatus> {
        self.sign_in().and_then(|sign_in| sign_in.status.as_ref())
    }

    /// The client's current sign-up attempt, if any.
    #[must_use]
    pub fn sign_up(&self) -> Option<&SignUpResource> {
        self.client.as_ref().and_then(|client| client.sign_up.as_deref())
    }

    /// The sign-up attempt's status, if there is an attempt.
    #[must_use]
    pub fn sign_up_status(&self) -> Option<&SignUpStatus> {
        self.sign_up().and_then(|sign_up| sign_up.status.as_ref())
    }

    /// Whether the client is new: no client, or one without an id (fapi.md §3.2).
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.client.as_ref().and_then(|client| client.id.as_deref()).is_none_or(str::is_empty)
    }

    /// Whether the client's cookie expires within 8 days of `now` (fapi.md §6.2).
    #[must_use]
    pub fn is_eligible_for_touch(&self, now: OffsetDateTime) -> bool {
        self.client
            .as_ref()
            .and_then(|client| client.cookie_expires_at)
            .is_some_and(|expires| expires - now.max(self.now) <= TOUCH_ELIGIBILITY)
    }

    /// The URL of `GET /v1/client/touch` with the common parameters and `redirect_url`:
    /// a browser navigation to it re-issues the client cookie at full lifetime, then
    /// redirects (fapi.md §3.2). Native clients rarely need it.
    #[must_use]
    pub fn build_touch_url(&self, redirect_url: &str) -> String {
        let mut spec = RequestSpec::new(RequestKind::ClientGet, "/v1/client/touch");
        spec.query.push(crate::request::Field::plain("redirect_url", redirect_url));
        let request: HttpRequest =
            build_request(&self.config, &spec, RequestContext { attempt: 1, ..RequestContext::default() });
        request.url(&self.config.base_url())
    }

    /// The cached default session token of a session, if one is cached.
    #[must_use]
    pub fn cached_session_token(&self, session_id: &str) -> Option<&SessionJwt> {
        let organization_id = self.session(session_id).and_then(|s| s.last_active_organization_id.clone());
        let key = TokenKey { session_id: session_id.to_owned(), template: None, organization_id };
        self.tokens.get(&key).map(|cached| &cached.jwt)
    }

    /// The current reverification, if one was started: the session it re-checks and the
    /// server's view of it.
    #[must_use]
    pub fn reverification(&self) -> Option<(&str, &SessionReverification)> {
        self.reverification.as_ref().map(|(id, r)| (id.as_str(), r))
    }

    /// The operations that have not completed yet.
    pub fn pending_operations(&self) -> impl Iterator<Item = OpId> + '_ {
        self.ops.iter().filter(|(_, op)| !op.internal).map(|(id, _)| *id)
    }

    /// Whether the engine has nothing queued, nothing on the wire and no event waiting.
    #[must_use]
    pub fn is_quiescent(&self) -> bool {
        self.queue.is_empty() && self.in_flight.is_none() && self.events.is_empty()
    }
}

/// A decoded successful answer.
enum Answer {
    Environment(Box<Environment>),
    Client(ClientUpdate),
    Session(Box<SessionResource>, ClientUpdate),
    Reverification(Box<SessionReverification>, ClientUpdate),
    Token(SessionJwt),
    SignIn(Box<SignInResource>, ClientUpdate),
    SignUp(Box<SignUpResource>, ClientUpdate),
}

#[derive(Debug, Clone)]
struct StepResult {
    client_present: Option<bool>,
    applied: bool,
    sign_in: Option<Box<SignInResource>>,
    sign_up: Option<Box<SignUpResource>>,
    session: Option<Box<SessionResource>>,
    token: Option<SessionJwt>,
    reverification: Option<Box<SessionReverification>>,
}

impl Default for StepResult {
    fn default() -> Self {
        StepResult {
            client_present: None,
            applied: true,
            sign_in: None,
            sign_up: None,
            session: None,
            token: None,
            reverification: None,
        }
    }
}

/// Whether a session counts as signed in (`active` or `pending`); a session without a
/// status does not.
fn is_signed_in(session: &SessionResource) -> bool {
    session.status.as_ref().is_some_and(crate::wire::SessionStatus::is_signed_in)
}

fn session_summary(sessions: &[SessionResource]) -> Vec<(&str, Option<&crate::wire::SessionStatus>)> {
    sessions.iter().map(|session| (session.id.as_str(), session.status.as_ref())).collect()
}

/// `Retry-After` in whole seconds (HTTP dates are ignored, as clerk-js does).
fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.header("retry-after")?.expose().trim();
    let seconds: u32 = value.parse().ok()?;
    Some(Duration::seconds(i64::from(seconds)))
}
