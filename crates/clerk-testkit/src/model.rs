//! The reference model: what the documented rules (docs/engine-contract.md,
//! docs/state-machines.md, design §7) say the engine's state must be. It is fed the same
//! transitions and canned answers as the engine and never asks the engine what to expect;
//! it only learns identifiers the engine hands out (operation and request ids) after
//! checking them.

use std::collections::BTreeMap;

use clerk_core::{ClientCommand, Command, Flow, RequestKind, SessionCommand, SignInCommand, SignUpCommand};

use crate::mode::EngineMode;
use crate::server::{ServerClient, is_signed_in_status};

/// What the model expects `submit` to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Accepted.
    Accept,
    /// Refused with `CommandError::Busy`.
    Busy,
    /// Refused with `CommandError::InvalidState`.
    InvalidState,
    /// Refused with `CommandError::FactorNotOffered`.
    FactorNotOffered,
    /// The model does not know (session commands but a sign-out of one session: it does not
    /// encode the rest of their legality table, which `tests/tests/legality.rs` checks).
    /// Either outcome is checked for its consequences only.
    Unknown,
}

/// A pending operation, as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelOp {
    /// Its flow.
    pub flow: Flow,
    /// Whether it makes its flow busy.
    pub mutating: bool,
    /// The request kinds it may send (retries included).
    pub kinds: Vec<RequestKind>,
    /// How many different requests it still has to get a final answer for.
    pub remaining: usize,
    /// The epoch its requests were queued in.
    pub epoch: u64,
    /// The token its requests are pinned to (sign-out, destroy), if any.
    pub pinned: Option<Option<String>>,
    /// The identity generation its requests are for (a destroy's: the one it destroyed).
    pub identity: u64,
    /// It completes at once, without a request.
    pub local: bool,
    /// `set_active` of this session: a successful answer makes it active.
    pub set_active: Option<String>,
    /// `get_token` of this session (the active one when it was submitted): a sign-out of
    /// that session supersedes it.
    pub token_session: Option<String>,
    /// A sign-out of this one session: one request, `POST /v1/client/sessions/{id}/remove`,
    /// pinned to the token it was submitted with; it completes with its final answer.
    pub sign_out_of: Option<String>,
}

/// A request on the wire, as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRequest {
    /// Its id (learnt from the engine, checked to increase).
    pub id: u64,
    /// The operation it serves; `None` for the engine's internal requests.
    pub op: Option<u64>,
    /// Its kind.
    pub kind: RequestKind,
    /// The epoch it was queued in.
    pub epoch: u64,
    /// The identity generation it is for.
    pub identity: u64,
    /// The client token it carries.
    pub token: Option<String>,
}

/// A client as applied locally.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocalClient {
    /// `(id, status)` of every session.
    pub sessions: Vec<(String, String)>,
    /// The sign-in attempt shown, `(id, status)`.
    pub sign_in: Option<(String, String)>,
    /// The sign-up attempt shown, `(id, status)`.
    pub sign_up: Option<(String, String)>,
    /// The client's `last_active_session_id`.
    pub last_active: Option<String>,
}

/// The reference model.
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// How the engine is configured (native, browser on a production or a development
    /// instance).
    pub mode: EngineMode,
    /// Virtual time, in milliseconds from the start.
    pub now_ms: i64,
    /// The client token the engine must hold (never one in browser mode: a browser is
    /// identified by its cookie and ignores an `Authorization` answer header).
    pub token: Option<String>,
    /// The dev-browser token the engine must hold (browser mode on a development instance
    /// only). It is no identity: no epoch, token or stale gate applies to it. It is made by
    /// `POST /v1/dev_browser`, replaced by a `Clerk-Db-Jwt` header on an answer that may
    /// change something (a decodable 2xx, a 4xx with an error envelope), dropped by
    /// `dev_browser_unauthenticated`, kept by destroy and across a restart.
    pub dev_browser: Option<String>,
    /// The local epoch (bumped by sign-out, destroy and resets; requests are stamped with
    /// the epoch they were queued in).
    pub epoch: u64,
    /// The epoch of the last sign-out or destroy: answers to requests stamped earlier
    /// change no identity.
    pub cleared_epoch: u64,
    /// How many destroys dropped the identity: a request for an earlier generation
    /// carried the destroyed identity's token, even "none yet".
    pub identity: u64,
    /// The sessions signed out of one by one (decision 0010's tombstones), with the epoch
    /// of the sign-out: a client from an answer to a request stamped earlier is applied
    /// without that session (it cannot come back as signed in, nor take the active slot).
    /// (The engine drops a tombstone once no earlier request is outstanding; then no answer
    /// it could apply to is left, so keeping it changes nothing.)
    pub session_tombstones: BTreeMap<String, u64>,
    /// The epoch of the last `reset_sign_in`: a client from an answer to a request stamped
    /// earlier is applied with an empty sign-in slot (the rest of it still applies).
    pub sign_in_reset: Option<u64>,
    /// The same for `reset_sign_up`.
    pub sign_up_reset: Option<u64>,
    /// The applied client (`None`: none, or cleared).
    pub client: Option<LocalClient>,
    /// The active session.
    pub active: Option<String>,
    /// Pending operations by id.
    pub ops: BTreeMap<u64, ModelOp>,
    /// Of [`ops`](Self::ops), the engine's own: a cancelled sign-out's requests, carried
    /// on under an internal operation that reports to nobody (`Client::cancel`).
    pub internal_ops: std::collections::BTreeSet<u64>,
    /// Operations that completed, in order.
    pub completed: Vec<u64>,
    /// The id of the request whose client was applied last (stale gate, request order).
    pub last_applied_request: Option<u64>,
    /// The `updated_at` of the client applied last (stale gate, age).
    pub last_updated: Option<i64>,
    /// A sign-in attempt id hidden by `reset_sign_in`.
    pub suppressed_sign_in: Option<String>,
    /// A sign-up attempt id hidden by `reset_sign_up`.
    pub suppressed_sign_up: Option<String>,
    /// An answer may have made the engine schedule an internal `GET /v1/client`.
    pub internal_refresh_allowed: bool,
    /// A 401 was answered while this session was active, and no internal client refresh
    /// was answered since: if that refresh fails with 403 or 500, the engine may sign the
    /// session out locally (fapi.md §2.4). (The model cannot see whether the engine
    /// coalesced the refresh with one queued for another reason, so it allows, not
    /// requires, the sign-out.)
    pub recheck: Option<String>,
    /// A session token was fetched: internal refreshes of it may follow.
    pub token_refresh_allowed: bool,
    /// The epochs in which an answer may have queued an internal client refresh since the
    /// last one was answered. One epoch: the model knows the refresh's epoch stamp; more:
    /// it does not, and the runner answers that refresh with a transport error.
    pub trigger_epochs: std::collections::BTreeSet<u64>,
    /// The epochs in which deadlines may have fired since the last proactive token refresh
    /// went out. The engine stamps that refresh with the epoch its deadline fired in (it is
    /// queued then, not when the token that scheduled it arrived), so a refresh sent after
    /// a reset is current. One epoch: the model knows the stamp; more: it does not, and the
    /// runner answers that refresh with a transport error.
    pub timer_epochs: std::collections::BTreeSet<u64>,
    /// The stamp of the last proactive token refresh, which its retries keep.
    pub token_refresh_epoch: u64,
    /// A `session_exists` answer was applied in this epoch: the next client applied makes
    /// its signed-in `last_active_session_id` active when no session is (fapi.md §2.5).
    pub adopt_last_active: Option<u64>,
}

/// Sign-in legality, from the table in docs/state-machines.md.
#[must_use]
pub fn sign_in_legal(command: &str, status: Option<&str>) -> bool {
    match (command, status) {
        ("create", _) => true,
        (_, None) => false,
        ("reload", Some(status)) => status != "abandoned",
        // `needs_identifier`: domain discovery offers a factor to prepare (fapi.md §5.1).
        ("prepare_first_factor", Some(status)) => status == "needs_first_factor" || status == "needs_identifier",
        ("attempt_first_factor", Some(status)) => status == "needs_first_factor",
        ("prepare_second_factor" | "attempt_second_factor", Some(status)) => {
            status == "needs_second_factor" || status == "needs_client_trust"
        }
        ("reset_password", Some(status)) => status == "needs_new_password",
        _ => false,
    }
}

/// Sign-up legality, from the table in docs/state-machines.md.
#[must_use]
pub fn sign_up_legal(command: &str, status: Option<&str>) -> bool {
    match (command, status) {
        ("create", _) => true,
        (_, None) => false,
        ("reload", Some(status)) => status == "missing_requirements" || status == "complete",
        ("update" | "prepare_verification" | "attempt_verification", Some(status)) => status == "missing_requirements",
        _ => false,
    }
}

/// GET requests and session-token requests are retried by the engine (design §7.5).
#[must_use]
pub fn retryable_kind(kind: RequestKind) -> bool {
    matches!(
        kind,
        RequestKind::Environment
            | RequestKind::ClientGet
            | RequestKind::SignInGet
            | RequestKind::SignUpGet
            | RequestKind::SessionGet
            | RequestKind::SessionToken
            | RequestKind::MeSessionsActive
    )
}

/// The request kinds a command may send.
#[must_use]
pub fn kinds_of(command: &Command) -> Vec<RequestKind> {
    use RequestKind as K;
    match command {
        Command::Client(c) => match c {
            ClientCommand::Load => vec![K::Environment, K::ClientGet],
            ClientCommand::LoadEnvironment => vec![K::Environment],
            ClientCommand::Reload => vec![K::ClientGet],
            ClientCommand::Create => vec![K::ClientCreate],
            ClientCommand::Destroy => vec![K::ClientDestroy],
            ClientCommand::RemoveSessions => vec![K::ClientRemoveSessions],
            _ => vec![],
        },
        Command::SignIn(c) => vec![match c {
            SignInCommand::Create(_) => K::SignInCreate,
            SignInCommand::Reload { .. } => K::SignInGet,
            SignInCommand::PrepareFirstFactor(_) => K::SignInPrepareFirstFactor,
            SignInCommand::AttemptFirstFactor(_) => K::SignInAttemptFirstFactor,
            SignInCommand::PrepareSecondFactor(_) => K::SignInPrepareSecondFactor,
            SignInCommand::AttemptSecondFactor(_) => K::SignInAttemptSecondFactor,
            _ => K::SignInResetPassword,
        }],
        Command::SignUp(c) => vec![match c {
            SignUpCommand::Create(_) => K::SignUpCreate,
            SignUpCommand::Update(_) => K::SignUpUpdate,
            SignUpCommand::Reload { .. } => K::SignUpGet,
            SignUpCommand::PrepareVerification(_) => K::SignUpPrepareVerification,
            _ => K::SignUpAttemptVerification,
        }],
        Command::Session(SessionCommand::SignOut { session_id: Some(_) }) => vec![K::SessionRemove],
        Command::Session(_) => {
            vec![
                K::SessionGet,
                K::SessionTouch,
                K::SessionEnd,
                K::SessionRemove,
                K::SessionToken,
                K::ClientGet,
                K::MeSessionsActive,
                K::MeSessionRevoke,
            ]
        }
        _ => vec![],
    }
}

impl Model {
    /// Whether the local client lists `id` as signed in.
    #[must_use]
    pub fn signed_in(&self, id: &str) -> bool {
        self.client
            .as_ref()
            .is_some_and(|c| c.sessions.iter().any(|(sid, status)| sid == id && is_signed_in_status(status)))
    }

    /// Whether an answer to `request` must leave `session` out: it was signed out of after
    /// the request was queued.
    fn session_hidden(&self, request: &ModelRequest, session: &str) -> bool {
        self.session_tombstones.get(session).is_some_and(|&epoch| request.epoch < epoch)
    }

    fn busy(&self, flow: Flow) -> bool {
        self.ops.values().any(|op| op.flow == flow && op.mutating)
    }

    /// The status of the local sign-in attempt.
    #[must_use]
    pub fn sign_in_status(&self) -> Option<&str> {
        self.client.as_ref().and_then(|c| c.sign_in.as_ref()).map(|(_, s)| s.as_str())
    }

    /// The status of the local sign-up attempt.
    #[must_use]
    pub fn sign_up_status(&self) -> Option<&str> {
        self.client.as_ref().and_then(|c| c.sign_up.as_ref()).map(|(_, s)| s.as_str())
    }

    /// What `submit(command)` must do, by the documented checking order: busy, legality,
    /// the command's own arguments.
    #[must_use]
    pub fn expect_submit(&self, command: &Command) -> Expectation {
        let flow = command.flow();
        // Signing out of one session: never refused as busy (engine-contract "Operations");
        // legal for a session the client lists as signed in (`active`, `pending`), else
        // `InvalidState` (docs/state-machines.md, the session table's `sign_out` column).
        if let Command::Session(SessionCommand::SignOut { session_id: Some(id) }) = command {
            return if self.signed_in(id) { Expectation::Accept } else { Expectation::InvalidState };
        }
        match command {
            Command::Client(_) | Command::SignIn(_) | Command::SignUp(_) => {}
            _ => return Expectation::Unknown,
        }
        if command.is_mutating() && self.busy(flow) {
            return Expectation::Busy;
        }
        match command {
            Command::SignIn(c) => {
                if !sign_in_legal(c.name(), self.sign_in_status()) {
                    return Expectation::InvalidState;
                }
                if let SignInCommand::PrepareFirstFactor(p) = c
                    && p.strategy().as_str() != "email_code"
                {
                    return Expectation::FactorNotOffered;
                }
            }
            Command::SignUp(c) if !sign_up_legal(c.name(), self.sign_up_status()) => {
                return Expectation::InvalidState;
            }
            _ => {}
        }
        Expectation::Accept
    }

    /// Records an accepted command as operation `op`, with its local effects. Returns the
    /// operations the command supersedes (they must complete at once).
    pub fn accept(&mut self, op: u64, command: &Command) -> Vec<u64> {
        let mut kinds = kinds_of(command);
        let mut remaining = kinds.len().min(1);
        let mut pinned = None;
        let mut superseded = Vec::new();
        // A destroy's own request is for the identity it destroys.
        let identity = self.identity;
        let local = kinds.is_empty() && matches!(command, Command::Client(_));
        match command {
            Command::Client(ClientCommand::Load) => {
                // A browser always reads the client: its cookie may name one.
                if self.token.is_some() || self.mode.is_browser() {
                    remaining = 2;
                } else {
                    kinds.retain(|k| *k == RequestKind::Environment);
                }
            }
            Command::Client(ClientCommand::Destroy) => {
                pinned = Some(self.token.clone());
                superseded = self.ops.keys().copied().collect();
                self.clear_identity();
            }
            Command::Client(ClientCommand::RemoveSessions) => {
                pinned = Some(self.token.clone());
                superseded = self.ops.iter().filter(|(_, o)| o.flow == Flow::Session).map(|(id, _)| *id).collect();
                self.clear_epoch();
                self.active = None;
                if let Some(client) = &mut self.client {
                    client.sessions.retain(|(_, status)| !is_signed_in_status(status));
                }
            }
            // docs/state-machines.md "Rules the table cannot show", engine-contract "Epochs",
            // decision 0010: the request is pinned to the current token; the session leaves
            // the client (and the active slot) at once, the epoch is bumped and the session
            // tombstoned; only that session's token asks are superseded, other pending
            // session work goes on.
            Command::Session(SessionCommand::SignOut { session_id: Some(id) }) => {
                pinned = Some(self.token.clone());
                superseded = self
                    .ops
                    .iter()
                    .filter(|(_, o)| o.token_session.as_deref() == Some(id.as_str()))
                    .map(|(op, _)| *op)
                    .collect();
                self.epoch += 1;
                self.session_tombstones.insert(id.clone(), self.epoch);
                if let Some(client) = &mut self.client {
                    client.sessions.retain(|(sid, _)| sid != id);
                }
                if self.active.as_deref() == Some(id.as_str()) {
                    self.active = None;
                }
            }
            Command::Client(ClientCommand::ResetSignIn) => {
                superseded = self.ops.iter().filter(|(_, o)| o.flow == Flow::SignIn).map(|(id, _)| *id).collect();
                self.epoch += 1;
                self.sign_in_reset = Some(self.epoch);
                if let Some(client) = &mut self.client
                    && let Some((id, _)) = client.sign_in.take()
                {
                    self.suppressed_sign_in = Some(id);
                }
            }
            Command::Client(ClientCommand::ResetSignUp) => {
                superseded = self.ops.iter().filter(|(_, o)| o.flow == Flow::SignUp).map(|(id, _)| *id).collect();
                self.epoch += 1;
                self.sign_up_reset = Some(self.epoch);
                if let Some(client) = &mut self.client
                    && let Some((id, _)) = client.sign_up.take()
                {
                    self.suppressed_sign_up = Some(id);
                }
            }
            _ => {}
        }
        {
            self.ops.insert(
                op,
                ModelOp {
                    flow: command.flow(),
                    mutating: command.is_mutating(),
                    kinds,
                    remaining,
                    epoch: self.epoch,
                    pinned,
                    identity: if matches!(command, Command::Client(ClientCommand::Destroy)) {
                        identity
                    } else {
                        self.identity
                    },
                    local,
                    set_active: match command {
                        Command::Session(SessionCommand::SetActive { session_id, .. }) => Some(session_id.clone()),
                        _ => None,
                    },
                    token_session: match command {
                        Command::Session(SessionCommand::GetToken(request)) => {
                            request.session_id.clone().or_else(|| self.active.clone())
                        }
                        _ => None,
                    },
                    sign_out_of: match command {
                        Command::Session(SessionCommand::SignOut { session_id: Some(id) }) => Some(id.clone()),
                        _ => None,
                    },
                },
            );
        }
        // The engine's own operations (a cancelled sign-out's or destroy's requests) are
        // superseded by nothing, a destroy included: they still go to the server.
        superseded.retain(|id| !self.internal_ops.contains(id));
        superseded
    }

    /// A sign-out of every session or a destroy: every earlier answer is void.
    fn clear_epoch(&mut self) {
        self.epoch += 1;
        self.cleared_epoch = self.epoch;
        self.sign_in_reset = None;
        self.sign_up_reset = None;
        self.session_tombstones.clear();
    }

    fn clear_identity(&mut self) {
        self.clear_epoch();
        self.identity += 1;
        self.token = None;
        self.client = None;
        self.active = None;
        self.last_applied_request = None;
        self.last_updated = None;
        self.suppressed_sign_in = None;
        self.suppressed_sign_up = None;
    }

    /// The token a request of `op` (or an internal one) carries when it is sent now.
    #[must_use]
    pub fn token_for(&self, op: Option<u64>) -> Option<String> {
        match op.and_then(|op| self.ops.get(&op)).and_then(|o| o.pinned.clone()) {
            Some(pinned) => pinned,
            None => self.token.clone(),
        }
    }

    /// Adopts a rotated token when the request carried the current one (decided before
    /// adoption). Returns whether it did carry the current one. Operations pinned to the
    /// token the request carried (sign-out, destroy) follow the rotation, current or not.
    pub fn adopt_token(&mut self, request: &ModelRequest, rotated: Option<&str>) -> bool {
        let current = request.token == self.token && request.identity == self.identity;
        if self.mode.is_browser() {
            return current;
        }
        if let Some(token) = rotated.filter(|t| !t.is_empty()) {
            // "No token yet" is followed to the first token too.
            if request.token.as_deref() != Some(token) {
                for op in self.ops.values_mut() {
                    if op.identity == request.identity && op.pinned.as_ref() == Some(&request.token) {
                        op.pinned = Some(Some(token.to_owned()));
                    }
                }
            }
            if current {
                self.token = Some(token.to_owned());
            }
        }
        current
    }

    /// A dev-browser token from the answer to `POST /v1/dev_browser` or from a `Clerk-Db-Jwt`
    /// header (blank: no token). Only a browser on a development instance keeps one.
    pub fn dev_browser_given(&mut self, token: &str) {
        if self.mode.uses_dev_browser() && !token.trim().is_empty() {
            self.dev_browser = Some(token.trim().to_owned());
        }
    }

    /// A `dev_browser_unauthenticated` answer: the token is dropped (a new one is made
    /// before the next request).
    pub fn dev_browser_refused(&mut self) {
        self.dev_browser = None;
    }

    /// Offers a client from an answer to the stale gate (`None`: the answer says the
    /// server knows no client). Returns whether it was applied.
    pub fn offer_client(
        &mut self,
        request: &ModelRequest,
        sent_with_current: bool,
        client: Option<&ServerClient>,
    ) -> bool {
        if request.epoch < self.cleared_epoch || !sent_with_current {
            return false;
        }
        if self.last_applied_request.is_some_and(|last| request.id <= last) {
            return false;
        }
        match client {
            None => {
                self.client = None;
                self.active = None;
                self.last_updated = None;
                self.adopt_last_active = None;
            }
            Some(server) => {
                if self.last_updated.is_some_and(|last| server.updated < last) {
                    return false;
                }
                self.apply_client(request, server);
                self.last_updated = Some(server.updated);
            }
        }
        self.last_applied_request = Some(request.id);
        true
    }

    /// A successful answer to `set_active`, whose client was applied, makes the chosen
    /// session active when the applied client lists it signed in (one signed out of after
    /// the request was queued is not listed: decision 0010).
    pub fn set_active_succeeded(&mut self, request: &ModelRequest) {
        let chosen = request.op.and_then(|op| self.ops.get(&op)).and_then(|op| op.set_active.clone());
        if let Some(chosen) = chosen
            && self.signed_in(&chosen)
        {
            self.active = Some(chosen);
        }
    }

    fn apply_client(&mut self, request: &ModelRequest, server: &ServerClient) {
        let previous_last_active = self.client.as_ref().and_then(|c| c.last_active.clone());
        // A request queued before a reset leaves the reset slot empty (and the hidden id
        // as it was).
        let before_reset = |reset: Option<u64>| reset.is_some_and(|epoch| request.epoch < epoch);
        let sign_in = match &server.sign_in {
            _ if before_reset(self.sign_in_reset) => None,
            Some((id, _)) if self.suppressed_sign_in.as_deref() == Some(id) => None,
            Some(attempt) => {
                self.suppressed_sign_in = None;
                Some(attempt.clone())
            }
            None => None,
        };
        let sign_up = match &server.sign_up {
            _ if before_reset(self.sign_up_reset) => None,
            Some((id, _)) if self.suppressed_sign_up.as_deref() == Some(id) => None,
            Some(attempt) => {
                self.suppressed_sign_up = None;
                Some(attempt.clone())
            }
            None => None,
        };
        // Decision 0010: the sessions signed out of after the request was queued are taken
        // out of the client before anything else looks at it.
        let sessions: Vec<(String, String)> =
            server.sessions.iter().filter(|(id, _)| !self.session_hidden(request, id)).cloned().collect();
        let signed_in = |id: &str| sessions.iter().any(|(sid, status)| sid == id && is_signed_in_status(status));
        // The engine's choice of the active session (its `ActiveChoice`): a newly set last
        // active session (not from a session request's answer: a touch moves it), else the
        // current one, else after `session_exists` or for the first client the last active
        // one, else for the first client the first signed-in session.
        // Nor from a revoke's answer (`/v1/me…`): revoking completes no flow.
        let follow_new = !clerk_core::classification::is_session_request(request.kind)
            && !clerk_core::classification::is_user_request(request.kind);
        let adopt = self.adopt_last_active.take().is_some_and(|epoch| epoch == self.epoch);
        let first_client = self.client.is_none();
        let last_active = server.last_active.clone().filter(|id| signed_in(id));
        let newly_set =
            last_active.clone().filter(|id| follow_new && previous_last_active.as_deref() != Some(id.as_str()));
        self.active = newly_set
            .or_else(|| self.active.clone().filter(|id| signed_in(id)))
            .or_else(|| last_active.filter(|_| adopt || first_client))
            .or_else(|| {
                let first = sessions.iter().find(|(_, status)| is_signed_in_status(status));
                first.filter(|_| first_client).map(|(id, _)| id.clone())
            });
        self.client = Some(LocalClient { sessions, sign_in, sign_up, last_active: server.last_active.clone() });
    }

    /// A `session_exists` answer (after its client was offered): when it counts (sent with
    /// the current token, queued after the last sign-out or destroy), the next client
    /// applied in this epoch activates its last active session if none is active.
    pub fn session_exists(&mut self, request: &ModelRequest, sent_with_current: bool) {
        if request.epoch >= self.cleared_epoch && sent_with_current {
            self.adopt_last_active = Some(self.epoch);
        }
    }

    /// A `client_not_found` answer sent with the current token, queued after the last
    /// sign-out or destroy, clears the client as a `response: null` would.
    pub fn client_gone(&mut self, request: &ModelRequest, sent_with_current: bool) {
        if request.epoch >= self.cleared_epoch && sent_with_current {
            self.adopt_last_active = None;
            self.client = None;
            self.active = None;
            self.last_updated = None;
            self.last_applied_request = Some(request.id);
        }
    }

    /// Export → restore: pending operations and the request on the wire are gone; the
    /// stale gate's request order restarts.
    pub fn restart(&mut self) {
        self.ops.clear();
        self.internal_ops.clear();
        self.adopt_last_active = None;
        self.cleared_epoch = self.epoch;
        self.sign_in_reset = None;
        self.sign_up_reset = None;
        self.session_tombstones.clear();
        self.trigger_epochs.clear();
        self.timer_epochs.clear();
        self.last_applied_request = None;
        if let Some(active) = &self.active {
            let still = self
                .client
                .as_ref()
                .is_some_and(|c| c.sessions.iter().any(|(id, s)| id == active && is_signed_in_status(s)));
            if !still {
                self.active = None;
            }
        }
    }
}
