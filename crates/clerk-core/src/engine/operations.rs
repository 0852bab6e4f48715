//! Operations bookkeeping: starting, queueing, completing and dropping operations; merging
//! attempts and sessions into the client; session tokens and their refresh; signing out
//! locally.

use super::*;

impl Client {
    pub(super) fn start_op(&mut self, flow: Flow, kind: OpKind, mutating: bool, internal: bool) -> OpId {
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
                result: StepResult::default(),
                polling: false,
                link_baseline: None,
                retrying_after: None,
            },
        );
        id
    }

    pub(super) fn enqueue(&mut self, op: OpId, spec: RequestSpec, pinned_token: Option<Option<ClientToken>>) {
        self.enqueue_request(op, spec, pinned_token, false);
    }

    fn enqueue_request(
        &mut self,
        op: OpId,
        spec: RequestSpec,
        pinned_token: Option<Option<ClientToken>>,
        best_effort: bool,
    ) {
        if let Some(operation) = self.ops.get_mut(&op) {
            operation.outstanding = operation.outstanding.saturating_add(1);
        }
        let epoch = self.epoch;
        self.queue.push_back(QueuedRequest {
            op,
            spec,
            attempt: 1,
            not_before: None,
            pinned_token,
            identity: self.identity,
            epoch,
            best_effort,
        });
    }

    /// fapi.md §5.3 step 4: when the session a completed sign-in or sign-up created
    /// (`created_session_id`) is not on the local client (the answer carried no client, or
    /// one from before the session), clerk-js reloads the client before activating it. The
    /// reload (`GET /v1/client`) joins the operation that is being answered, so it completes
    /// once the session is there and active (a driver stops at the completion); as a
    /// best-effort read its failure does not fail the completed attempt. For an operation
    /// already cancelled it is the coalesced internal refresh. Nothing without a client token
    /// in native mode: the server would know no client.
    pub(super) fn reload_for_created_session(&mut self, in_flight: &InFlight, created_session_id: Option<&Text>) {
        let Some(created) = created_session_id else {
            return;
        };
        if self.session(created).is_some() || (self.token.is_none() && self.config.mode() == TransportMode::Native) {
            return;
        }
        let op = in_flight.request.op;
        if in_flight.orphaned || !self.ops.contains_key(&op) {
            self.refresh_client(in_flight.request.spec.kind, None);
            return;
        }
        self.enqueue_request(op, RequestSpec::new(RequestKind::ClientGet, "/v1/client"), None, true);
    }

    pub(super) fn complete_now(&mut self, op: OpId, outcome: Outcome) {
        if let Some(operation) = self.ops.remove(&op)
            && !operation.internal
        {
            self.events.push_back(Event::OperationCompleted { op, outcome });
        }
    }

    /// Records the end of one request of an operation; completes the operation when it was
    /// the last.
    pub(super) fn finish_request(&mut self, in_flight: &InFlight, result: Result<StepResult, OperationError>) {
        if in_flight.orphaned {
            return;
        }
        self.finish_queued(&in_flight.request, result);
    }

    /// [`finish_request`](Self::finish_request) for a request that may never have been sent
    /// (one that waited for a dev-browser token that could not be made).
    fn finish_queued(&mut self, request: &QueuedRequest, result: Result<StepResult, OperationError>) {
        let op = request.op;
        let Some(operation) = self.ops.get_mut(&op) else {
            return;
        };
        operation.outstanding = operation.outstanding.saturating_sub(1);
        match result {
            Ok(step) => operation.result.merge(step),
            Err(error) => {
                if operation.failure.is_none() && !request.best_effort {
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
        if let OpKind::DevBrowser { for_op } = operation.kind {
            if let Some(error) = operation.failure {
                self.fail_waiting_for_dev_browser(for_op, &error);
            }
            return;
        }
        // fapi.md §2.4 (`handleUnauthenticated`): when the client refresh that re-checks a
        // refused session fails with 403 or 500, the session is signed out locally.
        if let (OpKind::Refresh { recheck: Some(session_id) }, Some(OperationError::Api(error))) =
            (&operation.kind, &operation.failure)
            && matches!(error.status, 403 | 500)
            && self.active_session.as_ref() == Some(session_id)
        {
            self.tokens.forget_session(session_id);
            self.timers.retain(
                |timer| !matches!(&timer.purpose, TimerPurpose::TokenRefresh(key) if key.session_id == *session_id),
            );
            self.active_session = None;
            self.events.push_back(Event::SignedOut { reason: SignOutReason::Unauthenticated });
            self.events.push_back(Event::ActiveSessionChanged { session_id: None });
        }
        if let OpKind::TokenFetch { .. } = &operation.kind {
            let outcome = match (&operation.failure, &operation.result.token) {
                (Some(error), _) => Err(error.clone()),
                (None, Some(token)) => Ok(Completion::SessionToken(token.clone())),
                (None, None) => Err(OperationError::Superseded),
            };
            self.complete_token_waiters(op, &outcome);
            return;
        }
        let outcome = match (operation.kind, operation.failure) {
            (OpKind::Destroy | OpKind::RemoveSessions | OpKind::SignOutSession, None) => {
                Ok(Completion::SignedOut { confirmation: SignOutConfirmation::Confirmed })
            }
            (OpKind::Destroy | OpKind::RemoveSessions | OpKind::SignOutSession, Some(error)) => {
                Ok(Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { error: Box::new(error) } })
            }
            (_, Some(error)) => Err(error),
            (OpKind::Load, None) => {
                Ok(Completion::Loaded { client_present: operation.result.client_present.unwrap_or(false) })
            }
            (OpKind::LoadEnvironment, None) => Ok(Completion::EnvironmentLoaded),
            (OpKind::Reload | OpKind::Refresh { .. }, None) => Ok(Completion::ClientReloaded {
                client_present: operation.result.client_present.unwrap_or(false),
                applied: operation.result.applied,
            }),
            (OpKind::Create, None) => Ok(Completion::ClientCreated),
            // A dev-browser fetch ended above; it is internal and reports to nobody.
            (OpKind::Local | OpKind::DevBrowser { .. }, None) => Ok(Completion::LocalChange),
            (OpKind::SignIn { .. }, None) => match operation.result.sign_in {
                Some(sign_in) => Ok(Completion::SignIn(sign_in)),
                None => Ok(Completion::LocalChange),
            },
            (OpKind::SignUp { .. }, None) => match operation.result.sign_up {
                Some(sign_up) => Ok(Completion::SignUp(sign_up)),
                None => Ok(Completion::SignUpUnchanged),
            },
            // `Ok` says the session is active now: one the server no longer had signed in
            // (ended while the touch was out, or a sign-out here voided the answer) is not.
            (OpKind::SetActive { session_id }, None) if self.active_session.as_deref() != Some(session_id.as_str()) => {
                Err(OperationError::Superseded)
            }
            (OpKind::SetActive { .. } | OpKind::Session, None) => match operation.result.session {
                Some(session) => Ok(Completion::Session(session)),
                None => Ok(Completion::LocalChange),
            },
            (OpKind::ActiveSessions, None) => match operation.result.active_sessions {
                Some(sessions) => Ok(Completion::ActiveSessions(sessions)),
                None => Ok(Completion::LocalChange),
            },
            (OpKind::Revoke { .. }, None) => match operation.result.revoked {
                Some((session, on_this_client)) => Ok(Completion::SessionRevoked { session, on_this_client }),
                None => Ok(Completion::LocalChange),
            },
            (OpKind::Reverification { .. }, None) => match operation.result.reverification {
                Some(reverification) => Ok(Completion::Reverification(reverification)),
                None => Ok(Completion::LocalChange),
            },
            (OpKind::TokenWaiter { .. } | OpKind::TokenFetch { .. }, None) => match operation.result.token {
                Some(token) => Ok(Completion::SessionToken(token)),
                None => Err(OperationError::Superseded),
            },
        };
        if !operation.internal {
            self.events.push_back(Event::OperationCompleted { op, outcome });
        }
    }

    /// The dev-browser token that `op`'s requests waited for could not be made: each of them
    /// still queued ends with `error`, as if it had been sent and refused, so the operation
    /// completes as it would have then (a sign-out still clears local state and reports
    /// `LocalOnly`). The operations queued behind make their own attempt when their turn
    /// comes; nothing loops, since each attempt ends a request someone asked for.
    fn fail_waiting_for_dev_browser(&mut self, op: OpId, error: &OperationError) {
        // The error is the dev-browser request's, not the server's verdict on a session: a
        // client refresh that waited re-checks nothing (fapi.md §2.4 concerns the refresh's
        // own answer).
        if let Some(Operation { kind: OpKind::Refresh { recheck }, .. }) = self.ops.get_mut(&op) {
            *recheck = None;
        }
        let (waiting, rest): (VecDeque<QueuedRequest>, VecDeque<QueuedRequest>) =
            std::mem::take(&mut self.queue).into_iter().partition(|queued| queued.op == op);
        self.queue = rest;
        for queued in waiting {
            self.finish_queued(&queued, Err(error.clone()));
        }
    }

    /// Ends an operation now: its queued requests are dropped and its in-flight request
    /// (if any) is orphaned.
    pub(super) fn drop_op(&mut self, op: OpId, error: OperationError) {
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
    /// superseded, the slot stays empty for answers to requests queued before (a
    /// tombstone; the rest of those answers still applies), and the local attempt is
    /// hidden until a new one appears.
    pub(super) fn reset_attempt(&mut self, flow: Flow) -> OpId {
        self.supersede_flow(flow);
        let op = self.start_op(Flow::Client, OpKind::Local, false, false);
        self.bury(if flow == Flow::SignUp { Cleared::SignUp } else { Cleared::SignIn });
        let event = match (flow, self.client.as_mut()) {
            (Flow::SignIn, Some(client)) => client.sign_in.take().map(|sign_in| {
                self.suppressed_sign_in = Some(sign_in.id.detach());
                Event::SignInStatusChanged { from: sign_in.status, to: None }
            }),
            (Flow::SignUp, Some(client)) => client.sign_up.take().map(|sign_up| {
                self.suppressed_sign_up = Some(sign_up.id.detach());
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

    pub(super) fn supersede_flow(&mut self, flow: Flow) {
        let ops: Vec<OpId> =
            self.ops.iter().filter(|(_, op)| op.flow == flow && !op.internal).map(|(id, _)| *id).collect();
        for op in ops {
            self.drop_op(op, OperationError::Superseded);
        }
    }

    /// Updates the local sign-in from a request's `response` when the answer carried no
    /// client (fapi.md §2.2 step 5), into an empty client (`empty_client`) when there is
    /// none yet.
    pub(super) fn merge_sign_in(&mut self, resource: &SignInResource) {
        if self.suppressed_sign_in.as_deref() == Some(resource.id.as_str()) {
            return;
        }
        self.suppressed_sign_in = None;
        let client = self.client.get_or_insert_with(empty_client);
        let from = client.sign_in.as_ref().and_then(|sign_in| sign_in.status.clone());
        client.sign_in = Some(Box::new(resource.clone()));
        if from != resource.status {
            self.events.push_back(Event::SignInStatusChanged { from, to: resource.status.clone() });
        }
    }

    /// Updates the local sign-up from a request's `response` when the answer carried no
    /// client, into an empty client (`empty_client`) when there is none yet.
    pub(super) fn merge_sign_up(&mut self, resource: &SignUpResource) {
        if self.suppressed_sign_up.as_deref() == Some(resource.id.as_str()) {
            return;
        }
        self.suppressed_sign_up = None;
        let client = self.client.get_or_insert_with(empty_client);
        let from = client.sign_up.as_ref().and_then(|sign_up| sign_up.status.clone());
        client.sign_up = Some(Box::new(resource.clone()));
        if from != resource.status {
            self.events.push_back(Event::SignUpStatusChanged { from, to: resource.status.clone() });
        }
    }

    /// Reports a provider URL the application must open (OAuth, SSO).
    pub(super) fn announce_external_verification(&mut self, flow: Flow, sign_in: &SignInResource) {
        let pending = [&sign_in.first_factor_verification, &sign_in.second_factor_verification];
        for verification in pending.into_iter().flatten() {
            if verification.status == Some(VerificationStatus::Unverified)
                && let Some(url) = verification.external_verification_redirect_url.clone()
            {
                self.events.push_back(Event::ExternalVerificationRequired { flow, url: url.detach() });
                return;
            }
        }
    }

    /// Whether an email-link wait has settled, from the client as it is now.
    pub(super) fn email_link_outcome(&self, watch: LinkWatch, baseline: Option<&str>) -> Option<EmailLinkOutcome> {
        if self.client.is_none() {
            return Some(EmailLinkOutcome::AttemptGone);
        }
        let client_id = self.client.as_ref().and_then(|client| client.id.as_deref());
        let settle = |status: Option<&VerificationStatus>, verified_at: Option<&str>| match status {
            Some(VerificationStatus::Verified) => {
                Some(EmailLinkOutcome::Verified { on_this_client: verified_at.is_some() && verified_at == client_id })
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
                EmailLinkOutcome::Completed { created_session_id: Some(Text::from(last)) }
            }
            _ => EmailLinkOutcome::AttemptGone,
        };
        let completed = |created: Option<&Text>| match created {
            Some(created) => EmailLinkOutcome::Completed { created_session_id: Some(created.detach()) },
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
    pub(super) fn check_session_legal(&self, command: &SessionCommand) -> Result<(), CommandError> {
        let flow = Flow::Session;
        // The user's commands (`/v1/me/sessions…`) go as the active session's user: they need
        // one, whatever session they name (`revoke` usually names another device's).
        if command.is_user_command() {
            let active = self.active_session.as_deref().and_then(|id| self.signed_in_session(id));
            return match active {
                Some(_) => Ok(()),
                None => Err(CommandError::NoActiveSession { command: command.name() }),
            };
        }
        let session_id = match command {
            SessionCommand::SignOut { session_id: None } => return Ok(()),
            SessionCommand::GetToken(request) if request.session_id.is_none() => match self.active_session.as_deref() {
                Some(id) => id,
                None => return Err(CommandError::NoActiveSession { command: command.name() }),
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

    pub(super) fn submit_session(
        &mut self,
        command: SessionCommand,
        now: OffsetDateTime,
    ) -> Result<OpId, CommandError> {
        let current_org =
            |client: &Self, id: &str| client.session(id).and_then(|s| s.last_active_organization_id.clone());
        match command {
            SessionCommand::SetActive { session_id, organization } => {
                // fapi.md §3.8.2 step 3: an instance that forces organization selection has
                // no personal account to activate; the server would keep the previous
                // organization and the switch would look done. Refused instead, so the app
                // knows (known only once the environment is loaded).
                if organization == OrganizationChoice::Personal
                    && self.environment.as_ref().is_some_and(|e| e.organization_settings.force_organization_selection)
                {
                    return Err(CommandError::InvalidArgument {
                        name: "organization",
                        reason: String::from(
                            "this instance requires an organization (organization_settings.\
                             force_organization_selection): the personal account cannot be activated",
                        ),
                    });
                }
                let org = organization.resolve(self.session(&session_id));
                let intent = if organization == OrganizationChoice::SessionDefault {
                    TouchIntent::SelectSession
                } else {
                    TouchIntent::SelectOrg
                };
                let spec = crate::session::touch_request(&session_id, org.as_deref(), Some(intent))?;
                self.advance(now);
                let op =
                    self.start_op(Flow::Session, OpKind::SetActive { session_id: Text::from(session_id) }, true, false);
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
            SessionCommand::ActiveSessions => {
                self.advance(now);
                let op = self.start_op(Flow::Session, OpKind::ActiveSessions, false, false);
                self.enqueue(op, crate::session::active_sessions_request(), None);
                Ok(op)
            }
            SessionCommand::Revoke { session_id } => {
                let spec = crate::session::revoke_request(&session_id)?;
                self.advance(now);
                let op =
                    self.start_op(Flow::Session, OpKind::Revoke { session_id: Text::from(session_id) }, true, false);
                self.enqueue(op, spec, None);
                Ok(op)
            }
            SessionCommand::GetToken(request) => {
                let session_id =
                    match request.session_id.as_deref().map(Text::from).or_else(|| self.active_session.clone()) {
                        Some(id) => id,
                        None => return Err(CommandError::NoActiveSession { command: "get_token" }),
                    };
                // The resolved organization is part of the cache key for templates too
                // (fapi.md §3.5.4: `sess_1-tmpl-org_2`): a template token minted while
                // another organization was active is not served after a switch. (A template
                // request itself sends no organization: the server mints it for the
                // session's active one.)
                let organization_id = request.organization.resolve(self.session(&session_id));
                if request.template.is_some() {
                    // The template endpoint takes no organization: the server mints the
                    // token for the session's active one. Another asked for would get a
                    // token for the wrong organization, cached under the one asked for.
                    let active = OrganizationChoice::SessionDefault.resolve(self.session(&session_id));
                    if organization_id != active {
                        return Err(CommandError::InvalidArgument {
                            name: "organization",
                            reason: format!(
                                "a template token is made for the session's active organization ({}); make {} \
                                 active with set_active first",
                                active.as_deref().unwrap_or("the personal account"),
                                organization_id.as_deref().unwrap_or("the personal account"),
                            ),
                        });
                    }
                }
                let spec = crate::session::token_request(
                    &session_id,
                    request.template.as_deref(),
                    organization_id.as_deref(),
                    request.skip_cache,
                    None,
                )?;
                self.advance(now);
                let key =
                    TokenKey { session_id, template: request.template.as_deref().map(Text::from), organization_id };
                let op =
                    self.start_op(Flow::Session, OpKind::TokenWaiter { key: key.clone(), fetch: None }, false, false);
                if !request.skip_cache
                    && let Some(cached) = self.tokens.usable(&key, self.now, self.config.token_lookup_leeway())
                {
                    let token = cached.jwt.clone();
                    self.complete_now(op, Ok(Completion::SessionToken(token)));
                    return Ok(op);
                }
                // Asks for a key share its pending fetch, except `skip_cache`: a fetch already
                // on the wire may have been minted before what the caller wants reflected
                // (fresh claims after a metadata change), so it gets a fetch of its own.
                let pending = if request.skip_cache { None } else { self.pending_token_fetch(&key) };
                let fetch = match pending {
                    Some(fetch) => fetch,
                    None => {
                        let fetch = self.start_op(
                            Flow::Session,
                            OpKind::TokenFetch { key, expired_retry_done: false },
                            false,
                            true,
                        );
                        self.enqueue(fetch, spec, None);
                        fetch
                    }
                };
                if let Some(Operation { kind: OpKind::TokenWaiter { fetch: waiting_for, .. }, .. }) =
                    self.ops.get_mut(&op)
                {
                    *waiting_for = Some(fetch);
                }
                Ok(op)
            }
        }
    }

    pub(super) fn submit_simple(
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

    pub(super) fn token_fetch_pending(&self, key: &TokenKey) -> bool {
        self.pending_token_fetch(key).is_some()
    }

    /// The pending fetch of `key`, if there is one.
    pub(super) fn pending_token_fetch(&self, key: &TokenKey) -> Option<OpId> {
        self.ops
            .iter()
            .find(|(_, op)| matches!(&op.kind, OpKind::TokenFetch { key: pending, .. } if pending == key))
            .map(|(id, _)| *id)
    }

    /// The session a request concerned: from its operation, else from its path.
    pub(super) fn session_of(&self, in_flight: &InFlight) -> Option<Text> {
        match self.ops.get(&in_flight.request.op).map(|op| &op.kind) {
            Some(OpKind::SetActive { session_id } | OpKind::Reverification { session_id }) => {
                return Some(session_id.clone());
            }
            Some(OpKind::TokenFetch { key, .. }) => return Some(key.session_id.clone()),
            _ => {}
        }
        let rest = in_flight.request.spec.path.strip_prefix("/v1/client/sessions/")?;
        rest.split('/').next().filter(|id| !id.is_empty()).map(Text::from)
    }

    /// A session is gone (classification table): it leaves the active slot, its tokens
    /// are dropped, and so are its token fetches still waiting in the queue.
    pub(super) fn session_gone(&mut self, session_id: &str, reason: SessionEndReason) {
        self.tokens.forget_session(session_id);
        self.drop_queued_token_fetches(|id| id == session_id);
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
    pub(super) fn retry_with_expired_token(&mut self, in_flight: &InFlight) -> bool {
        let op = in_flight.request.op;
        let Some(Operation { kind: OpKind::TokenFetch { key, expired_retry_done }, .. }) = self.ops.get_mut(&op) else {
            return false;
        };
        if *expired_retry_done || in_flight.orphaned {
            return false;
        }
        // fapi.md §3.5.4 step 4: the session's own `last_active_token`, whatever template or
        // organization the fetch is for: the token cached under the session's default key
        // (never a template's JWT, and there is one even when this key never had a token).
        let session_id = key.session_id.clone();
        let organization = self
            .client
            .as_ref()
            .and_then(|client| client.session(&session_id))
            .and_then(|session| session.last_active_organization_id.clone());
        let default_key = TokenKey { session_id, template: None, organization_id: organization };
        let Some(expired) = self.tokens.get(&default_key).map(|cached| cached.jwt.expose().to_owned()) else {
            return false;
        };
        let Some(Operation { kind: OpKind::TokenFetch { expired_retry_done, .. }, .. }) = self.ops.get_mut(&op) else {
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

    /// A touch answered without a client: the server made `session_id` the client's
    /// `last_active_session_id` (fapi.md §5.5), and so does the local copy. Otherwise the
    /// next client that arrives would show it as newly set, as if a flow had completed
    /// there, and make it active.
    pub(super) fn note_touched(&mut self, session_id: &Text) {
        if let Some(client) = self.client.as_mut() {
            client.last_active_session_id = Some(session_id.detach());
        }
    }

    /// Updates one session from a request's `response` when the answer carried no client.
    pub(super) fn merge_session(&mut self, resource: &SessionResource) {
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
        self.resolve_active_session(previous_last_active.as_deref(), false, super::answers::ActiveChoice::default());
        self.forget_tokens_of_gone_sessions();
    }

    /// Takes what the session embedded in a reverification answer brings (fapi.md §3.5.5):
    /// its `last_active_token`, minted with the answer (after a completed reverification, the
    /// one whose `fva` claim shows the new verification age), seeds the token cache as any
    /// session's does (fapi.md §6.4); and, when the answer carried no client (`copy_age`), its
    /// `factor_verification_age` is copied onto the local session. Nothing else: the embedded
    /// session is the spec's `SessionBase`, without the user or the organization, so it never
    /// replaces the local one, and its token is keyed by the local session's organization.
    pub(super) fn merge_reverified_session(&mut self, embedded: &SessionResource, copy_age: bool) {
        let Some(local) = self.signed_in_session(&embedded.id) else {
            return;
        };
        let organization_id = local.last_active_organization_id.clone();
        if copy_age
            && let Some(age) = embedded.factor_verification_age
            && let Some(local) = self
                .client
                .as_mut()
                .and_then(|client| client.sessions.iter_mut().find(|session| session.id == embedded.id))
        {
            local.factor_verification_age = Some(age);
        }
        if let Some(token) = embedded.last_active_token.clone() {
            let key = self.default_token_key(&embedded.id, organization_id);
            if self.tokens.offer(&key, token.jwt, self.now) {
                self.schedule_token_refresh_for_active();
            }
        }
    }

    pub(super) fn default_token_key(&self, session_id: &Text, organization_id: Option<Text>) -> TokenKey {
        TokenKey { session_id: session_id.clone(), template: None, organization_id }
    }

    /// Schedules the proactive refresh of the active session's default token: at its
    /// expiry (counted from arrival) minus `token_refresh_ahead`, when that is still ahead.
    /// Only one such deadline exists at a time; none without an active session.
    pub(super) fn schedule_token_refresh_for_active(&mut self) {
        self.timers.retain(|timer| !matches!(timer.purpose, TimerPurpose::TokenRefresh(_)));
        let Some(active) = self.active_session.clone() else {
            return;
        };
        let organization_id = self.session(&active).and_then(|s| s.last_active_organization_id.clone());
        let key = self.default_token_key(&active, organization_id);
        let Some(cached) = self.tokens.get(&key) else {
            return;
        };
        // A refresh-ahead longer than the calendar can subtract (the setter takes any
        // non-negative duration) means "already due": no timer, as for any `at <= now`.
        let Some(at) = cached.expires_at().checked_sub(self.config.token_refresh_ahead()) else {
            return;
        };
        if at > self.now {
            self.timers.push(PollTimer { at, purpose: TimerPurpose::TokenRefresh(key) });
        }
    }

    /// The proactive refresh deadline fired.
    pub(super) fn refresh_token_ahead(&mut self, key: TokenKey) {
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

    pub(super) fn complete_token_waiters(&mut self, fetch: OpId, outcome: &Outcome) {
        let waiters: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(_, op)| matches!(&op.kind, OpKind::TokenWaiter { fetch: Some(waited), .. } if *waited == fetch))
            .map(|(id, _)| *id)
            .collect();
        for op in waiters {
            self.complete_now(op, outcome.clone());
        }
    }

    /// Drops every cached session token and the refresh deadline.
    pub(super) fn clear_tokens(&mut self) {
        self.tokens.clear();
        self.timers.retain(|timer| !matches!(timer.purpose, TimerPurpose::TokenRefresh(_)));
    }

    /// Supersedes pending session and reverification work (sign-out): waiters complete
    /// `Superseded`, shared token fetches are dropped, the reverification is forgotten. A
    /// cancelled sign-out's requests (the engine's own work now) go on: the session it
    /// signed out of here must end on the server too, and this sign-out's request may carry
    /// another client's token than the one they were pinned to.
    pub(super) fn drop_session_work(&mut self, keep: Option<OpId>) {
        let ops: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(id, op)| {
                Some(**id) != keep
                    && matches!(op.flow, Flow::Session | Flow::Reverification)
                    && !(op.internal && op.kind.signs_out_locally_first())
            })
            .map(|(id, _)| *id)
            .collect();
        for op in ops {
            self.drop_op(op, OperationError::Superseded);
        }
        self.reverification = None;
    }

    /// Local part of signing out of one session (design §7.9). Answers to requests queued
    /// before do not bring the session back (a tombstone) but are otherwise applied.
    pub(super) fn sign_out_one_locally(&mut self, session_id: &str) {
        self.bury(Cleared::Session(Text::from(session_id)));
        if self.reverification.as_ref().is_some_and(|(id, _)| id == session_id) {
            self.reverification = None;
        }
        // Its token work ends now: a `get_token` waiting for it completes `Superseded`
        // rather than receiving a JWT of a session the user has left.
        let token_work: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(_, op)| {
                matches!(&op.kind, OpKind::TokenWaiter { key, .. } | OpKind::TokenFetch { key, .. }
                    if key.session_id == session_id)
            })
            .map(|(id, _)| *id)
            .collect();
        for op in token_work {
            self.drop_op(op, OperationError::Superseded);
        }
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

    pub(super) fn supersede_all_except(&mut self, keep: OpId) {
        // A cancelled sign-out's requests (the engine's own now) still go out: a destroy
        // ends this client, not one an earlier destroy or sign-out pinned its token to.
        let others: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(id, operation)| **id != keep && !(operation.internal && operation.kind.signs_out_locally_first()))
            .map(|(id, _)| *id)
            .collect();
        for op in others {
            self.drop_op(op, OperationError::Superseded);
        }
    }

    /// Clears local identity for destroy: token, client, sessions, session tokens.
    pub(super) fn clear_identity_locally(&mut self, drop_token: bool) {
        self.epoch = self.epoch.saturating_add(1);
        self.cleared_epoch = self.epoch;
        self.tombstones.clear();
        let had_active = self.active_session.take().is_some();
        let previous = self.client.take();
        self.clear_tokens();
        self.reverification = None;
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
        if drop_token {
            self.identity = self.identity.saturating_add(1);
            if self.token.take().is_some() {
                self.events.push_back(Event::ClientTokenChanged { token: None });
            }
        }
    }

    /// Clears local sessions for a sign-out of every session; keeps the token and the
    /// client's other parts.
    pub(super) fn sign_out_locally(&mut self) {
        self.drop_session_work(None);
        self.epoch = self.epoch.saturating_add(1);
        self.cleared_epoch = self.epoch;
        self.tombstones.clear();
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

    pub(super) fn advance(&mut self, now: OffsetDateTime) {
        if now > self.now {
            self.now = now;
        }
    }
}

/// The client an attempt is kept in when an answer brings the attempt but no client and there
/// is no local client yet: the first sign-in or sign-up of a fresh install, answered without
/// `client` (fapi.md §2.2: "no update", yet the resource is updated from `response`). It
/// stands for clerk-js's empty client singleton, which holds the attempts before any client
/// arrives: no id ([`Client::is_new`] stays true), no sessions. It is not applied through the
/// stale gate (no mark is set), so the first client an answer brings replaces it.
fn empty_client() -> Box<ClientResource> {
    Box::new(ClientResource {
        object: None,
        id: None,
        sessions: Vec::new(),
        sign_in: None,
        sign_up: None,
        last_active_session_id: None,
        last_authentication_strategy: None,
        cookie_expires_at: None,
        captcha_bypass: false,
        created_at: None,
        updated_at: None,
    })
}
