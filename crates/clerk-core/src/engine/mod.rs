//! The engine: [`Client`], Clerk's Client object as a sans-IO state machine.
//!
//! This module holds the state, construction (`new`, `restore`, `export`) and the outputs
//! (`poll_output`, `poll_timeout`, `handle_timeout`); the methods are grouped by concern in
//! `commands`, `answers`, `operations` and `views`.

use std::collections::{BTreeMap, VecDeque};

use time::{Duration, OffsetDateTime};

use crate::builder::{RequestContext, RequestSpec, build_request};
use crate::classification::{ErrorEffect, SessionEndReason, classify_error, classify_status};
use crate::command::{ClientCommand, Command, Flow};
use crate::config::{ClientConfig, Jitter, TransportMode};
use crate::envelope::{
    ClientUpdate, decode_client_envelope, decode_environment, decode_error_body, decode_resource_envelope, not_text,
};
use crate::envelope::{decode_active_sessions, decode_dev_browser, decode_token};
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
use crate::secret::{ClientToken, DevBrowserToken, SessionJwt};
use crate::session::{OrganizationChoice, SessionCommand, TouchIntent};
use crate::sign_in::{FirstFactorPreparation, SecondFactorPreparation, SignInCommand};
use crate::sign_up::{SignUpCommand, SignUpPreparation};
use crate::token_cache::TokenCache;
use crate::token_cache::TokenKey;
use crate::wire::text::SharedSource;
use crate::wire::{
    ActiveSessionResource, ClientResource, Environment, ErrorCode, SessionResource, SessionReverification,
    SignInResource, SignInStatus, SignUpResource, SignUpStatus, Text, VerificationStatus,
};

/// The longest `Retry-After` the engine waits out by itself before a retry. A longer wait
/// fails the operation instead, with [`ApiError::retry_after`] set for the application.
pub const MAX_AUTOMATIC_RETRY_AFTER: Duration = Duration::seconds(30);

/// How long a client cookie may have left before the client is eligible for a touch
/// (fapi.md §6.2).
pub const TOUCH_ELIGIBILITY: Duration = Duration::days(8);

mod answers;
mod commands;
mod operations;
mod tombstones;
mod views;

use tombstones::{Cleared, Tombstone};

impl OpKind {
    /// A sign-out (of one session or all) or a destroy: signed out here at submission,
    /// its requests must reach the server whoever waits for them.
    fn signs_out_locally_first(&self) -> bool {
        matches!(self, OpKind::Destroy | OpKind::RemoveSessions | OpKind::SignOutSession)
    }
}

/// What an operation does, and what it reports when it ends.
#[derive(Debug, Clone, PartialEq)]
enum OpKind {
    Load,
    LoadEnvironment,
    Reload,
    Create,
    Destroy,
    RemoveSessions,
    /// The coalesced client refresh after a 401 (internal: no completion event), and the
    /// session that was active when it was asked for: if the refresh itself fails with 403
    /// or 500 while that session is still active, it is signed out locally (fapi.md §2.4).
    Refresh {
        recheck: Option<Text>,
    },
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
        session_id: Text,
    },
    /// touch, end, remove, reload of one session.
    Session,
    /// Sign-out of one session (`POST …/remove`), local state already cleared.
    SignOutSession,
    /// `GET /v1/me/sessions/active`: the user's sessions on every device (a read).
    ActiveSessions,
    /// `POST /v1/me/sessions/{id}/revoke` of `session_id`, on this client or another.
    Revoke {
        session_id: Text,
    },
    /// A `get_token` waiting for a fetch of `key` (no request of its own): `fetch` is the
    /// one it waits for (none while it is being answered from the cache).
    TokenWaiter {
        key: TokenKey,
        fetch: Option<OpId>,
    },
    /// The one fetch of `key` that every waiter shares (internal).
    TokenFetch {
        key: TokenKey,
        expired_retry_done: bool,
    },
    /// A reverification step of `session_id`.
    Reverification {
        session_id: Text,
    },
    /// `POST /v1/dev_browser` (internal), made because the requests of `for_op` cannot go
    /// without a dev-browser token: when it fails, they fail with its error.
    DevBrowser {
        for_op: OpId,
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
    /// What the operation's answers gave so far (each answer [merged](StepResult::merge)).
    result: StepResult,
    /// An email-link wait has started (the prepare was answered).
    polling: bool,
    /// The client's `last_active_session_id` when the email-link wait started: a session
    /// counts as created by the attempt only if this changed.
    link_baseline: Option<Text>,
    /// Why the operation's last answered request is being tried again (a 503, a dropped
    /// connection), until a request of it is answered without a retry.
    retrying_after: Option<OperationError>,
}

#[derive(Debug, Clone, PartialEq)]
struct QueuedRequest {
    op: OpId,
    spec: RequestSpec,
    attempt: u32,
    not_before: Option<OffsetDateTime>,
    /// The token this request must present, fixed when it was built (sign-out, destroy).
    pinned_token: Option<Option<ClientToken>>,
    /// The identity generation it is for ([`Client`]'s `identity`): the one current when
    /// it was queued, or for a destroy's own request the one it destroyed.
    identity: u64,
    epoch: u64,
    /// A read the operation added after its own answer (the client reload after a
    /// completion whose session the client lacked): its failure does not fail the operation.
    best_effort: bool,
}

/// How far [`Client::restore`] (and so [`Client::adopt`]) moves the request and operation
/// counters past the saved ones: more ids than a client hands out between two saves (a
/// token refresh every 43 s for a year is under 750 000). A restored engine's first request
/// id is the saved counter plus this.
pub const IDS_SKIPPED_AT_RESTORE: u64 = 1_000_000;

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
    /// The epoch of the last sign-out of every session or destroy: answers to requests
    /// queued in an earlier epoch change no identity.
    cleared_epoch: u64,
    /// How many times `destroy` dropped the identity: the generation of the identity a
    /// request queued now is for ([`QueuedRequest::identity`]). A request of an earlier
    /// one carried a token of a destroyed identity, even when that was "none yet" like the
    /// current one: its answer's token is not this engine's.
    identity: u64,
    /// What a sign-out of one session or a reset cleared while requests were outstanding
    /// (`tombstones`).
    tombstones: Vec<Tombstone>,
    token: Option<ClientToken>,
    /// The dev-browser token (`ClientConfig::uses_dev_browser`).
    dev_browser: Option<DevBrowserToken>,
    client: Option<Box<ClientResource>>,
    environment: Option<Environment>,
    active_session: Option<Text>,
    /// A `session_exists` answer said this client already has a session: the next client
    /// that arrives makes its signed-in `last_active_session_id` active when none is
    /// (fapi.md §2.5). Dropped with the epoch (a sign-out, destroy or reset since).
    adopt_last_active: Option<u64>,
    /// The active organization last reported (`Event::ActiveOrganizationChanged`).
    reported_organization: Option<Text>,
    last_applied: Option<AppliedMark>,
    suppressed_sign_in: Option<Text>,
    suppressed_sign_up: Option<Text>,
    tokens: TokenCache,
    reverification: Option<(Text, SessionReverification)>,
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
            cleared_epoch: 0,
            identity: 0,
            tombstones: Vec::new(),
            token: None,
            dev_browser: None,
            client: None,
            environment: None,
            active_session: None,
            adopt_last_active: None,
            reported_organization: None,
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
    /// part of it: the first [`load`](Self::load) or token request fetches fresh ones. A
    /// credential the configuration never sends is not taken back: the client token in
    /// browser mode, the dev-browser token outside it.
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
        // The saved counters stood where they were at the last save, and a driver saves
        // when identity changes, not after every request: the ids handed out since (token
        // fetches, reloads) are skipped, so that none repeats across a restart (design
        // §7.11).
        client.next_request = persisted.next_request_id.max(1).saturating_add(IDS_SKIPPED_AT_RESTORE);
        client.next_op = persisted.next_op_id.max(1).saturating_add(IDS_SKIPPED_AT_RESTORE);
        client.epoch = persisted.epoch;
        // No request outlives a restart: nothing from an earlier epoch can be answered.
        client.cleared_epoch = persisted.epoch;
        // A browser is identified by its cookie (fapi.md §1.8.1) and never sends a client
        // token: one saved in native mode is not kept, nor saved again.
        client.token = persisted.client_token.filter(|token| !token.is_empty() && client.config.mode().is_native());
        // A dev-browser token belongs to a browser on a development instance only.
        client.dev_browser =
            persisted.dev_browser_token.filter(|token| !token.is_empty() && client.config.uses_dev_browser());
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
        client.reported_organization = client.active_organization();
        Ok(client)
    }

    /// Continues from a state another program saved (a token store shared between
    /// processes: another process rotated the token, switched the user or signed out), or
    /// from nothing (`None`: it cleared the store). It is [`restore`](Self::restore) with
    /// this engine's configuration, except that what changed is reported as if the server
    /// had said so: `ClientTokenChanged`, `SessionsChanged`, the sign-in and sign-up status
    /// changes, `SignedOut` (with the reason, when the active session is no longer signed
    /// in), `ActiveSessionChanged` and `ActiveOrganizationChanged`. An app that shows who is
    /// signed in follows the other program without polling. Operations of this engine do not
    /// carry over: adopt when none is pending. The operation and request ids go on from
    /// this engine's (or the state's, when further on), never back.
    ///
    /// # Errors
    /// As [`restore`](Self::restore); then this engine is left as it was.
    pub fn adopt(&mut self, persisted: Option<PersistedState>, now: OffsetDateTime) -> Result<(), RestoreError> {
        let config = self.config.clone();
        let next = match persisted {
            Some(state) => Client::restore(config, state, now)?,
            None => Client::new(config, now),
        };
        let previous = std::mem::replace(self, next);
        // This engine's ids and epochs never go back: events and answers already handed
        // out name them, and the other process's counters may be behind this one's.
        self.next_op = self.next_op.max(previous.next_op);
        self.next_request = self.next_request.max(previous.next_request);
        self.epoch = self.epoch.max(previous.epoch);
        // As after a restore: nothing from an earlier epoch can be answered.
        self.cleared_epoch = self.epoch;
        if previous.token != self.token {
            self.events.push_back(Event::ClientTokenChanged { token: self.token.clone() });
        }
        if previous.dev_browser != self.dev_browser {
            self.events.push_back(Event::DevBrowserTokenChanged { token: self.dev_browser.clone() });
        }
        self.emit_differences(previous.client.as_deref());
        if previous.active_session != self.active_session {
            if let Some(old) = previous.active_session.as_deref()
                && self.signed_in_session(old).is_none()
            {
                let reason = self.sign_out_reason(old, false);
                self.events.push_back(Event::SignedOut { reason });
            }
            self.events.push_back(Event::ActiveSessionChanged { session_id: self.active_session.clone() });
        }
        if previous.reported_organization != self.reported_organization {
            self.events
                .push_back(Event::ActiveOrganizationChanged { organization_id: self.reported_organization.clone() });
        }
        Ok(())
    }

    /// The state to persist: format version, Frontend API host, client token, dev-browser
    /// token, the client without session JWTs, the environment, the active session, the id
    /// counters and the epoch (design §7.11).
    #[must_use]
    pub fn export(&self) -> PersistedState {
        PersistedState {
            version: PERSISTED_STATE_VERSION,
            frontend_api_host: self.config.frontend_api_host().to_owned(),
            client_token: self.token.clone(),
            dev_browser_token: self.dev_browser.clone(),
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
                let queued = self.dev_browser_first(queued);
                return Output::Request(self.send(queued));
            }
        }
        match self.poll_timeout() {
            Some(deadline) => Output::Timeout(deadline),
            None => Output::Idle,
        }
    }

    /// The next event only, leaving requests and deadlines where they are: for a driver that
    /// hands out what happened without starting anything (after cancelling an operation,
    /// between calls). [`poll_output`](Self::poll_output) instead would hand over the next
    /// request, which the driver must then send.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
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

    /// The active session's organization (`last_active_organization_id`); `None` for the
    /// personal account or when no session is active.
    #[must_use]
    pub fn active_organization(&self) -> Option<Text> {
        self.active_session().and_then(|session| session.last_active_organization_id.as_ref()).map(Text::detach)
    }

    /// Reports a change of the active organization made by the step whose events start at
    /// `step_start`: `Event::ActiveOrganizationChanged`, placed before the step's first
    /// `OperationCompleted` so that an app sees the new state before the completion.
    fn note_active_organization(&mut self, step_start: usize) {
        let current = self.active_organization();
        if current == self.reported_organization {
            return;
        }
        self.reported_organization = current.clone();
        let event = Event::ActiveOrganizationChanged { organization_id: current };
        let position = (step_start..self.events.len())
            .find(|&index| matches!(self.events.get(index), Some(Event::OperationCompleted { .. })))
            .unwrap_or(self.events.len());
        self.events.insert(position, event);
    }

    /// Tells the engine the time; requests waiting for a backoff deadline become ready.
    pub fn handle_timeout(&mut self, now: OffsetDateTime) {
        let step_start = self.events.len();
        self.handle_due_timers(now);
        self.note_active_organization(step_start);
    }

    fn handle_due_timers(&mut self, now: OffsetDateTime) {
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

    /// In browser mode on a development instance no request may go without a dev-browser
    /// token (fapi.md §1.8.3): when none is known, `POST /v1/dev_browser` goes first, as an
    /// internal operation, and `queued` waits at the head of the queue for its answer.
    fn dev_browser_first(&mut self, queued: QueuedRequest) -> QueuedRequest {
        if !self.config.uses_dev_browser() || self.dev_browser.is_some() || queued.spec.kind == RequestKind::DevBrowser
        {
            return queued;
        }
        let (for_op, identity) = (queued.op, queued.identity);
        self.queue.push_front(queued);
        let op = self.start_op(Flow::Client, OpKind::DevBrowser { for_op }, false, true);
        if let Some(operation) = self.ops.get_mut(&op) {
            operation.outstanding = 1;
        }
        QueuedRequest {
            op,
            spec: RequestSpec::new(RequestKind::DevBrowser, "/v1/dev_browser"),
            attempt: 1,
            not_before: None,
            pinned_token: None,
            identity,
            epoch: self.epoch,
            best_effort: false,
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
        // `POST /v1/dev_browser` is a plain `fetch` in clerk-js: no `__clerk_db_jwt`.
        let dev_browser = self.dev_browser.as_ref().filter(|_| queued.spec.kind != RequestKind::DevBrowser);
        let request = build_request(
            &self.config,
            &queued.spec,
            RequestContext {
                token: sent_token.as_ref(),
                session_id: self.active_session.as_deref(),
                client_id: client_id.as_deref(),
                dev_browser,
                attempt: queued.attempt,
            },
        );
        let outgoing = Outgoing { id, kind: queued.spec.kind, op: queued.op, attempt: queued.attempt, request };
        self.in_flight = Some(InFlight { id, request: queued, sent_token, orphaned: false });
        outgoing
    }
}

/// A decoded successful answer.
enum Answer {
    Environment(Box<Environment>),
    Client(ClientUpdate),
    Session(Box<SessionResource>, ClientUpdate),
    Reverification(Box<SessionReverification>, ClientUpdate),
    Token(SessionJwt),
    DevBrowser(DevBrowserToken),
    SignIn(Box<SignInResource>, ClientUpdate),
    SignUp(Box<SignUpResource>, ClientUpdate),
    /// `GET /v1/me/sessions/active`: the listed sessions (no client: a GET's piggybacked
    /// client is not applied, fapi.md §2.2 rule 2, and the spec's answer has none).
    ActiveSessions(Vec<ActiveSessionResource>),
    /// `POST /v1/me/sessions/{id}/revoke`: the revoked session and the client beside it.
    Revoked(Box<SessionResource>, ClientUpdate),
}

/// What one answer gives an operation, and what an operation's answers gave together.
#[derive(Debug, Clone, PartialEq)]
struct StepResult {
    client_present: Option<bool>,
    applied: bool,
    sign_in: Option<Box<SignInResource>>,
    sign_up: Option<Box<SignUpResource>>,
    session: Option<Box<SessionResource>>,
    token: Option<SessionJwt>,
    reverification: Option<Box<SessionReverification>>,
    active_sessions: Option<Vec<crate::session::ActiveSession>>,
    /// A revoke's answer: the session, and whether it was one of this client's.
    revoked: Option<(Box<SessionResource>, bool)>,
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
            active_sessions: None,
            revoked: None,
        }
    }
}

impl StepResult {
    /// Adds a later answer's result: what it says replaces what an earlier one said, what
    /// it does not say is kept; the operation applied only if every answer applied.
    fn merge(&mut self, step: StepResult) {
        self.client_present = step.client_present.or(self.client_present);
        self.applied &= step.applied;
        self.sign_in = step.sign_in.or(self.sign_in.take());
        self.sign_up = step.sign_up.or(self.sign_up.take());
        self.session = step.session.or(self.session.take());
        self.token = step.token.or(self.token.take());
        self.reverification = step.reverification.or(self.reverification.take());
        self.active_sessions = step.active_sessions.or(self.active_sessions.take());
        self.revoked = step.revoked.or(self.revoked.take());
    }
}

/// Whether a session counts as signed in (`active` or `pending`); a session without a
/// status does not.
fn is_signed_in(session: &SessionResource) -> bool {
    session.status.as_ref().is_some_and(crate::wire::SessionStatus::is_signed_in)
}

impl Client {
    /// Why `session`, active until now and no longer signed in on the current client, is
    /// gone: the client is lost (`client_lost`, or no client at all), the session ended with
    /// a terminal status, or it is missing from the client.
    fn sign_out_reason(&self, session: &str, client_lost: bool) -> SignOutReason {
        if client_lost || self.client.is_none() {
            return SignOutReason::ClientLost;
        }
        match self.session(session).and_then(|session| session.status.as_ref()).and_then(classify_status) {
            Some(reason) => SignOutReason::SessionEnded { reason },
            None => SignOutReason::SessionMissing,
        }
    }
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
