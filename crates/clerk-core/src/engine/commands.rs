//! Commands: `submit` and `cancel`, and the client commands (`load`, `reload`, `create`,
//! `destroy`, …) with what each queues.

use super::*;

impl Client {
    /// Starts an operation.
    ///
    /// # Errors
    /// [`CommandError`] when the command is refused; then nothing changed and nothing will
    /// be sent.
    pub fn submit(&mut self, command: Command, now: OffsetDateTime) -> Result<OpId, CommandError> {
        let step_start = self.events.len();
        let submitted = self.submit_checked(command, now);
        self.note_active_organization(step_start);
        submitted
    }

    fn submit_checked(&mut self, command: Command, now: OffsetDateTime) -> Result<OpId, CommandError> {
        let flow = command.flow();
        // A sign-out is never refused as busy: it supersedes pending session work.
        let sign_out = matches!(command, Command::Session(SessionCommand::SignOut { .. }));
        if command.is_mutating()
            && !sign_out
            && let Some(pending) = self.pending_operation(flow)
        {
            return Err(CommandError::Busy { flow, pending });
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
                    ReverificationCommand::Start { session_id, .. } => session_id
                        .as_deref()
                        .map(Text::from)
                        .or_else(|| self.active_session.clone())
                        .ok_or(CommandError::NoActiveSession { command: command.name() })?,
                    _ => self.reverification.as_ref().map(|(id, _)| id.clone()).ok_or_else(|| {
                        CommandError::InvalidState { flow, status: String::from("not active"), command: command.name() }
                    })?,
                };
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

    pub(super) fn submit_client(&mut self, command: ClientCommand) -> OpId {
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
                let destroyed = self.identity;
                self.supersede_all_except(op);
                self.clear_identity_locally(true);
                self.enqueue(op, RequestSpec::new(RequestKind::ClientDestroy, "/v1/client"), pinned);
                // The destroy's own request is for the identity it destroyed: its pin
                // follows that identity's first token or rotation, nothing later's.
                if let Some(queued) = self.queue.back_mut() {
                    queued.identity = destroyed;
                }
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

    pub(super) fn submit_client_now(&mut self, command: ClientCommand, now: OffsetDateTime) -> OpId {
        debug_assert!(!command.is_mutating());
        self.advance(now);
        self.submit_client(command)
    }

    /// Forgets an operation: its queued requests are dropped and it completes at once with
    /// [`OperationError::Cancelled`]. An answer to its request already on the wire is still
    /// used for what it says about identity (a rotated token, a newer client, through the
    /// stale gate) but reports to nobody.
    ///
    /// A sign-out (of one session or all, or a destroy) is the exception: it signed out
    /// here when it was submitted ([`Command::signs_out_locally_first`]), so its request
    /// must still reach the server, or the session would stay valid there and come back
    /// at the next reload. It completes at once with `Cancelled` all the same, and its
    /// requests go on as the engine's own work, reporting to nobody.
    ///
    /// # Errors
    /// [`CommandError::UnknownOperation`] when `op` is not pending.
    pub fn cancel(&mut self, op: OpId) -> Result<(), CommandError> {
        let Some(operation) = self.ops.get(&op).filter(|operation| !operation.internal) else {
            return Err(CommandError::UnknownOperation(op));
        };
        if operation.kind.signs_out_locally_first() {
            self.hand_requests_to_internal(op);
            self.complete_now(op, Err(OperationError::Cancelled));
        } else {
            self.drop_op(op, OperationError::Cancelled);
        }
        Ok(())
    }

    /// Moves `op`'s queued and in-flight requests to a new internal operation of the same
    /// kind, so that they are sent and applied as before while `op` itself can end.
    fn hand_requests_to_internal(&mut self, op: OpId) {
        let Some(operation) = self.ops.get(&op) else {
            return;
        };
        let (flow, kind, mutating, outstanding) =
            (operation.flow, operation.kind.clone(), operation.mutating, operation.outstanding);
        let internal = self.start_op(flow, kind, mutating, true);
        if let Some(taken_over) = self.ops.get_mut(&internal) {
            taken_over.outstanding = outstanding;
        }
        for queued in self.queue.iter_mut().filter(|queued| queued.op == op) {
            queued.op = internal;
        }
        if let Some(in_flight) = self.in_flight.as_mut()
            && in_flight.request.op == op
        {
            in_flight.request.op = internal;
        }
        // A dev-browser token being made for these requests is now made for the new owner.
        for other in self.ops.values_mut() {
            if let OpKind::DevBrowser { for_op } = &mut other.kind
                && *for_op == op
            {
                *for_op = internal;
            }
        }
    }
}
