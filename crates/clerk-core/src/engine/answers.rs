//! Answers to requests (`handle_response`): decoding, adopting a rotated client token, the
//! stale gate, installing the client and what it changed, retries and refreshes.

use super::*;

impl Client {
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
        let step_start = self.events.len();
        self.advance(now);
        // Set again below when this answer is retried.
        if let Some(operation) = self.ops.get_mut(&in_flight.request.op) {
            operation.retrying_after = None;
        }
        match result {
            Err(error) => {
                // An answer over the size limit (a driver stopped reading it) would be as
                // large again: not retried.
                let retry = !matches!(error, TransportError::BodyTooLarge { .. });
                if !(retry && self.retry_later(&in_flight, None, || OperationError::Transport(error.clone()))) {
                    self.finish_request(&in_flight, Err(OperationError::Transport(error)));
                }
            }
            Ok(response) => self.handle_answer(in_flight, response),
        }
        self.prune_tombstones();
        self.note_active_organization(step_start);
        Ok(())
    }

    pub(super) fn handle_answer(&mut self, in_flight: InFlight, mut response: HttpResponse) {
        let kind = in_flight.request.spec.kind;
        let limit = self.config.max_response_bytes();
        if response.body.len() > limit {
            let error = ResponseError::BodyTooLarge { kind, size: response.body.len(), limit };
            self.keep_rotated_token(&in_flight, &response);
            self.finish_request(&in_flight, Err(OperationError::Response(error)));
            return;
        }
        let status = response.status;
        let undecodable = |reason: String, body: &[u8]| {
            OperationError::Response(ResponseError::Undecodable { kind, status, reason, body: redact_body(body) })
        };
        match status {
            200..=299 => {
                // The body moves into a buffer the decoded strings share (`wire::text`).
                let body = match String::from_utf8(std::mem::take(&mut response.body)) {
                    Ok(text) => SharedSource::new(text),
                    Err(error) => {
                        let reason = not_text(error.utf8_error().valid_up_to());
                        self.keep_rotated_token(&in_flight, &response);
                        self.finish_request(&in_flight, Err(undecodable(reason, error.as_bytes())));
                        return;
                    }
                };
                let decoded = match kind {
                    RequestKind::Environment => decode_environment(&body).map(Answer::Environment),
                    RequestKind::SignInCreate
                    | RequestKind::SignInGet
                    | RequestKind::SignInPrepareFirstFactor
                    | RequestKind::SignInAttemptFirstFactor
                    | RequestKind::SignInPrepareSecondFactor
                    | RequestKind::SignInAttemptSecondFactor
                    | RequestKind::SignInResetPassword => {
                        decode_resource_envelope::<SignInResource>(&body).map(|(r, c)| Answer::SignIn(r, c))
                    }
                    RequestKind::SignUpCreate
                    | RequestKind::SignUpGet
                    | RequestKind::SignUpUpdate
                    | RequestKind::SignUpPrepareVerification
                    | RequestKind::SignUpAttemptVerification => {
                        decode_resource_envelope::<SignUpResource>(&body).map(|(r, c)| Answer::SignUp(r, c))
                    }
                    RequestKind::SessionGet
                    | RequestKind::SessionTouch
                    | RequestKind::SessionEnd
                    | RequestKind::SessionRemove => {
                        decode_resource_envelope::<SessionResource>(&body).map(|(r, c)| Answer::Session(r, c))
                    }
                    RequestKind::SessionVerify
                    | RequestKind::SessionVerifyPrepareFirstFactor
                    | RequestKind::SessionVerifyAttemptFirstFactor
                    | RequestKind::SessionVerifyPrepareSecondFactor
                    | RequestKind::SessionVerifyAttemptSecondFactor => {
                        decode_resource_envelope::<SessionReverification>(&body)
                            .map(|(r, c)| Answer::Reverification(r, c))
                    }
                    RequestKind::SessionToken => decode_token(&body)
                        .and_then(|jwt| self.token_is_for_the_session(&in_flight, jwt))
                        .map(Answer::Token),
                    RequestKind::DevBrowser => decode_dev_browser(&body).map(Answer::DevBrowser),
                    RequestKind::MeSessionsActive => decode_active_sessions(&body).map(Answer::ActiveSessions),
                    RequestKind::MeSessionRevoke => decode_resource_envelope::<SessionResource>(&body)
                        .and_then(|(r, c)| self.revoke_names_the_session(&in_flight, r, c))
                        .map(|(r, c)| Answer::Revoked(r, c)),
                    _ => decode_client_envelope(&body).map(Answer::Client),
                };
                if decoded.is_err() {
                    self.keep_rotated_token(&in_flight, &response);
                }
                match decoded {
                    // fapi.md §3.5.4 step 5, §1.10: a token answer without a usable JWT (an
                    // empty one) is retried like a server error; nothing else was applied. (A
                    // readable JWT for another session is not: asking again would not help.)
                    Err(reason)
                        if kind == RequestKind::SessionToken
                            && decode_token(&body).is_err()
                            && self.retry_later(&in_flight, None, || {
                                undecodable(reason.clone(), body.as_str().as_bytes())
                            }) => {}
                    Err(reason) => self.finish_request(&in_flight, Err(undecodable(reason, body.as_str().as_bytes()))),
                    Ok(answer) => {
                        let sent_with_current = self.adopt_token(&in_flight, &response);
                        self.adopt_dev_browser_header(&response);
                        let result = self.apply_answer(&in_flight, sent_with_current, answer);
                        self.finish_request(&in_flight, Ok(result));
                    }
                }
            }
            400..=599 => {
                let body = match decode_error_body(&response.body) {
                    Ok(body) => body,
                    Err(reason) => {
                        self.keep_rotated_token(&in_flight, &response);
                        if !(status >= 500
                            && self.retry_later(&in_flight, None, || undecodable(reason.clone(), &response.body)))
                        {
                            self.finish_request(&in_flight, Err(undecodable(reason, &response.body)));
                        }
                        return;
                    }
                };
                let retry_after = retry_after(&response);
                let mut errors = body.errors.into_iter();
                let first = errors.next();
                // A 4xx with an error envelope changes what it says about identity (design
                // §7.3): a rotated client token, a `Clerk-Db-Jwt` header, `meta.client`
                // through the stale gate; also when it is a 429 the engine retries.
                let identity = match &first {
                    Some(first) if status < 500 => {
                        Some(self.apply_error_identity(&in_flight, &response, &first.code, body.meta))
                    }
                    _ => None,
                };
                let retried = || {
                    OperationError::Api(Box::new(ApiError {
                        status,
                        code: first.as_ref().map_or_else(|| ErrorCode::from(String::new()), |first| first.code.clone()),
                        message: first.as_ref().and_then(|first| first.message.clone()),
                        long_message: first.as_ref().and_then(|first| first.long_message.clone()),
                        meta: crate::wire::ErrorItemMeta::default(),
                        others: Vec::new(),
                        trace_id: body.clerk_trace_id.clone(),
                        retry_after,
                    }))
                };
                if matches!(status, 429 | 502 | 503 | 504) && self.retry_later(&in_flight, retry_after, retried) {
                    return;
                }
                let Some(first) = first else {
                    self.finish_request(&in_flight, Err(undecodable(String::from("empty errors"), &response.body)));
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
                if let Some((sent_with_current, renew_dev_browser)) = identity {
                    // Repeated with a new dev-browser token: the one the answer's own
                    // `Clerk-Db-Jwt` header brought, else one made first.
                    if renew_dev_browser
                        && self.retry_later(&in_flight, None, || OperationError::Api(Box::new(error.clone())))
                    {
                        return;
                    }
                    let about_the_client = kind != RequestKind::DevBrowser;
                    let current = !self.voided(&in_flight) && sent_with_current;
                    let effect =
                        if about_the_client { classify_error(&error.code, status, kind) } else { ErrorEffect::None };
                    match effect {
                        ErrorEffect::RetryWithExpiredToken if self.retry_with_expired_token(&in_flight) => return,
                        ErrorEffect::RetryWithExpiredToken | ErrorEffect::None => {}
                        // These name a session already on this client (fapi.md §2.5), which
                        // the local copy may lack: refreshed even with no session active here.
                        ErrorEffect::RefreshClient
                            if matches!(
                                error.code,
                                ErrorCode::SessionExists | ErrorCode::IdentifierAlreadySignedIn
                            ) =>
                        {
                            // fapi.md §2.5: clerk-js activates `last_active_session_id`
                            // instead of signing in again; the refresh brings it.
                            if error.code == ErrorCode::SessionExists && current {
                                self.adopt_last_active = Some(self.epoch);
                            }
                            self.refresh_client(kind, None);
                        }
                        // fapi.md §2.4: clerk-js's "unauthenticated" for a session request
                        // is a 401 or any 422; the refresh then re-checks the session.
                        ErrorEffect::RefreshClient => self.schedule_refresh(
                            kind,
                            status == 401 || (status == 422 && crate::classification::is_session_request(kind)),
                        ),
                        ErrorEffect::SessionGone(reason) if current => {
                            // Only session requests get here; each names its session.
                            if let Some(session_id) = self.session_of(&in_flight) {
                                self.session_gone(&session_id, reason);
                            }
                            // The session left the active slot above: refresh regardless.
                            self.refresh_client(kind, None);
                        }
                        ErrorEffect::ClientGone if current => {
                            self.last_applied = Some(AppliedMark { request: Some(in_flight.id), updated_at: None });
                            self.install_client(None, kind);
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

    /// What a 4xx answer with an error envelope (first code `code`) says about identity:
    /// adopts a rotated client token, drops the dev-browser token after
    /// `dev_browser_unauthenticated` and adopts a `Clerk-Db-Jwt` header, and offers
    /// `meta.client` to the stale gate. Returns whether the request carried the current
    /// client token and whether the dev-browser token is to be renewed.
    fn apply_error_identity(
        &mut self,
        in_flight: &InFlight,
        response: &HttpResponse,
        code: &ErrorCode,
        meta: Option<crate::wire::ErrorBodyMeta>,
    ) -> (bool, bool) {
        let sent_with_current = self.adopt_token(in_flight, response);
        // fapi.md §2.4: the dev-browser token is no longer valid: it is dropped, and the
        // next request makes a new one first (a GET or token request is repeated after it,
        // as clerk-js repeats its load).
        let renew_dev_browser = *code == ErrorCode::DevBrowserUnauthenticated && self.config.uses_dev_browser();
        if renew_dev_browser {
            self.set_dev_browser(None);
        }
        self.adopt_dev_browser_header(response);
        // `POST /v1/dev_browser` goes without cookies (decision 0014): the server could not
        // look up the browser's client, so its answer says nothing about the client or its
        // sessions; an error only fails what waited for it.
        if in_flight.request.spec.kind != RequestKind::DevBrowser
            && let Some(client) = meta.and_then(|meta| meta.client)
        {
            self.offer_client(in_flight, sent_with_current, ClientUpdate::Present(Box::new(client)));
        }
        (sent_with_current, renew_dev_browser)
    }

    /// Adopts a rotated client token from the answer when the request carried the current
    /// token. Returns whether the request carried the current token (decided before any
    /// adoption).
    ///
    /// A sign-out's or destroy's request waiting in the queue, pinned to the token this
    /// request carried, follows the rotation whether or not that token is still current
    /// (after a destroy none is): sent with the token the server has just replaced, it would
    /// reach a brand-new client with no sessions, and the sessions it was meant to end
    /// would stay valid on the server while the sign-out looked confirmed.
    pub(super) fn adopt_token(&mut self, in_flight: &InFlight, response: &HttpResponse) -> bool {
        // Sent before a destroy, a request carried the destroyed identity's token, even
        // when that was "none yet" as the current one is now.
        let sent_with_current = in_flight.sent_token == self.token && in_flight.request.identity == self.identity;
        if self.config.mode() != TransportMode::Native {
            return sent_with_current;
        }
        let Some(value) = response.header("authorization") else {
            return sent_with_current;
        };
        let value = value.expose().trim();
        // An empty value or a bare scheme carries no token: no information (never a
        // sign-out; only destroy drops the token).
        if value.is_empty() || value.eq_ignore_ascii_case("bearer") {
            return sent_with_current;
        }
        if in_flight.sent_token.as_ref().is_none_or(|sent| sent.expose() != value) {
            self.repin_queued(in_flight.request.identity, in_flight.sent_token.as_ref(), value);
        }
        if !sent_with_current {
            return false;
        }
        if self.token.as_ref().is_none_or(|current| current.expose() != value) {
            let token = ClientToken::new(value);
            self.token = Some(token.clone());
            self.events.push_back(Event::ClientTokenChanged { token: Some(token) });
        }
        true
    }

    /// An answer whose body cannot be used still says, in its `Authorization` header, which
    /// token the server now knows this client by (fapi.md §1.8.2: every answer's header is
    /// stored, as clerk-ios and clerk-js store it before reading the body; decision 0018).
    /// Kept from the Frontend API's own answers (below 500), as from any other; a gateway's
    /// 5xx page speaks for no client. Nothing else of the answer is applied.
    fn keep_rotated_token(&mut self, in_flight: &InFlight, response: &HttpResponse) {
        if response.status < 500 {
            let _ = self.adopt_token(in_flight, response);
        }
    }

    /// Moves the queued requests pinned to `from` (a sign-out's, a destroy's) to `to`, the
    /// token the server answered a request carrying `from` with. `None` is "no token yet":
    /// the first token then names the client that request made, the one a sign-out or
    /// destroy submitted meanwhile was for.
    ///
    /// Only requests for the same identity as the answered one move: after a destroy,
    /// "no token yet" names a new identity, not the destroyed one.
    fn repin_queued(&mut self, identity: u64, from: Option<&ClientToken>, to: &str) {
        for queued in &mut self.queue {
            if queued.identity == identity
                && let Some(pinned) = &mut queued.pinned_token
                && pinned.as_ref() == from
            {
                *pinned = Some(ClientToken::new(to));
            }
        }
    }

    /// Adopts a `Clerk-Db-Jwt` response header as the dev-browser token (fapi.md §1.8.3:
    /// clerk-js's after-response hook), when the configuration uses one. An empty value
    /// carries no token. With one request on the wire, answers come in the order the
    /// requests went, so the last header seen is the newest.
    pub(super) fn adopt_dev_browser_header(&mut self, response: &HttpResponse) {
        if !self.config.uses_dev_browser() {
            return;
        }
        if let Some(value) = response.header("clerk-db-jwt").map(|value| value.expose().trim())
            && !value.is_empty()
        {
            self.set_dev_browser(Some(DevBrowserToken::new(value)));
        }
    }

    /// Sets the dev-browser token and reports a change (`DevBrowserTokenChanged`).
    pub(super) fn set_dev_browser(&mut self, token: Option<DevBrowserToken>) {
        if self.dev_browser != token {
            self.dev_browser = token.clone();
            self.events.push_back(Event::DevBrowserTokenChanged { token });
        }
    }

    pub(super) fn apply_answer(&mut self, in_flight: &InFlight, sent_with_current: bool, answer: Answer) -> StepResult {
        match answer {
            Answer::DevBrowser(token) => {
                // Adopted even for an orphaned request: it is no one's identity but the
                // browser's, and the next request needs it.
                self.set_dev_browser(Some(token));
                StepResult::default()
            }
            Answer::Environment(environment) => {
                // The environment is the instance's configuration, not identity: it is
                // applied whatever the epoch or token.
                self.environment = Some(*environment);
                self.events.push_back(Event::EnvironmentUpdated);
                StepResult::default()
            }
            Answer::SignIn(resource, update) => {
                let gates = !self.voided(in_flight) && sent_with_current && !self.hidden(in_flight, &Cleared::SignIn);
                let had_client = matches!(update, ClientUpdate::Present(_));
                let applied = self.offer_client(in_flight, sent_with_current, update);
                if gates && !had_client {
                    self.merge_sign_in(&resource);
                }
                // A reload only reads the outcome (fapi.md §3.7.4–3.7.5): the browser was sent
                // to the provider after the request that returned the URL.
                let reload = in_flight.request.spec.kind == RequestKind::SignInGet;
                if gates && !reload {
                    self.announce_external_verification(Flow::SignIn, &resource);
                }
                if gates {
                    self.reload_for_created_session(in_flight, resource.created_session_id.as_ref());
                }
                StepResult { applied, sign_in: Some(resource), ..StepResult::default() }
            }
            Answer::SignUp(resource, update) => {
                let gates = !self.voided(in_flight) && sent_with_current && !self.hidden(in_flight, &Cleared::SignUp);
                let had_client = matches!(update, ClientUpdate::Present(_));
                let applied = self.offer_client(in_flight, sent_with_current, update);
                if gates && !had_client {
                    self.merge_sign_up(&resource);
                }
                let reload = in_flight.request.spec.kind == RequestKind::SignUpGet;
                if gates
                    && !reload
                    && let Some(url) = resource
                        .verifications
                        .as_ref()
                        .and_then(|v| v.external_account.as_ref())
                        .filter(|v| v.status == Some(VerificationStatus::Unverified))
                        .and_then(|v| v.external_verification_redirect_url.clone())
                {
                    let url = url.detach();
                    self.events.push_back(Event::ExternalVerificationRequired { flow: Flow::SignUp, url });
                }
                if gates {
                    self.reload_for_created_session(in_flight, resource.created_session_id.as_ref());
                }
                StepResult { applied, sign_up: Some(resource), ..StepResult::default() }
            }
            Answer::Session(resource, update) => {
                let gates =
                    !self.voided(in_flight) && sent_with_current && !self.session_hidden(in_flight, &resource.id);
                let had_client = matches!(update, ClientUpdate::Present(_));
                let applied = self.offer_client(in_flight, sent_with_current, update);
                if gates {
                    if !had_client {
                        if in_flight.request.spec.kind == RequestKind::SessionTouch {
                            self.note_touched(&resource.id);
                        }
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
                        let session_id = session_id.detach();
                        self.active_session = Some(session_id.clone());
                        self.events.push_back(Event::ActiveSessionChanged { session_id: Some(session_id) });
                        // The refresh deadline armed above was the previous session's.
                        self.schedule_token_refresh_for_active();
                    }
                }
                let mut resource = resource;
                resource.last_active_token = None;
                StepResult { applied, session: Some(resource), ..StepResult::default() }
            }
            Answer::Reverification(resource, update) => {
                let gates = !self.voided(in_flight) && sent_with_current;
                let had_client = matches!(update, ClientUpdate::Present(_));
                let applied = self.offer_client(in_flight, sent_with_current, update);
                let operation = match self.ops.get(&in_flight.request.op).map(|op| &op.kind) {
                    Some(OpKind::Reverification { session_id }) if !in_flight.orphaned => Some(session_id.clone()),
                    _ => None,
                };
                // Kept only while its session is signed in: the client this answer carried
                // may have ended it (then there is nothing left to verify).
                if gates
                    && let Some(session_id) = operation
                    && !self.session_hidden(in_flight, &session_id)
                    && self.signed_in_session(&session_id).is_some()
                {
                    if let Some(session) = resource.session.as_ref().filter(|session| session.id == session_id) {
                        self.merge_reverified_session(session, !had_client);
                    }
                    let mut stored = (*resource).clone();
                    if let Some(session) = stored.session.as_mut() {
                        session.last_active_token = None;
                    }
                    self.reverification = Some((session_id, stored));
                } else if gates
                    && in_flight.orphaned
                    && let Some(session) = resource.session.as_ref()
                    && crate::reverification::path_is_for_session(&in_flight.request.spec.path, &session.id)
                    && !self.session_hidden(in_flight, &session.id)
                {
                    // A cancelled reverification reports to nobody and leaves no attempt
                    // behind, but what the server did to the session still happened: its new
                    // verification age and the token minted with it are the session's now,
                    // and the token the app's backend checks next (fapi.md §3.5.5, §6.4).
                    self.merge_reverified_session(session, !had_client);
                }
                let mut resource = resource;
                if let Some(session) = resource.session.as_mut() {
                    session.last_active_token = None;
                }
                StepResult { applied, reverification: Some(resource), ..StepResult::default() }
            }
            Answer::ActiveSessions(sessions) => {
                // A read: nothing local changes. Each listed session is marked by how it
                // relates to this client as it is now.
                let listed = sessions
                    .into_iter()
                    .map(|session| {
                        let on_this_client = self.session(&session.id).is_some();
                        let current = self.active_session.as_deref() == Some(session.id.as_str());
                        crate::session::ActiveSession::new(session, on_this_client, current)
                    })
                    .collect();
                StepResult { active_sessions: Some(listed), ..StepResult::default() }
            }
            Answer::Revoked(resource, update) => {
                let gates =
                    !self.voided(in_flight) && sent_with_current && !self.session_hidden(in_flight, &resource.id);
                // Another device's session is none of this client's business: it is not
                // merged into the local client (the piggybacked client, this client's, does
                // not list it either). One signed out here while the revoke was on the wire
                // is gone from the local client but was this client's (its tombstone says so).
                let on_this_client =
                    self.session(&resource.id).is_some() || self.session_hidden(in_flight, &resource.id);
                // This client's own session, revoked: gone as a session ended elsewhere is
                // (its tokens dropped, the active slot emptied with `SignedOut { revoked }`),
                // before the client is applied so that the reason is the revocation.
                let ended = resource.status.as_ref().and_then(classify_status);
                if gates
                    && on_this_client
                    && let Some(reason) = ended.clone()
                {
                    self.session_gone(&resource.id, reason);
                }
                let had_client = matches!(update, ClientUpdate::Present(_));
                let applied = self.offer_client(in_flight, sent_with_current, update);
                // The answer's own session is the revocation's outcome: a client beside it
                // that the stale gate rejected, or that still lists the session signed in,
                // must not leave it signed in locally (a restore would activate it again).
                let still_listed_otherwise =
                    ended.is_some() && self.session(&resource.id).is_some_and(|local| local.status != resource.status);
                if gates && on_this_client && (!had_client || still_listed_otherwise) {
                    self.merge_session(&resource);
                }
                let mut resource = resource;
                resource.last_active_token = None;
                StepResult { applied, revoked: Some((resource, on_this_client)), ..StepResult::default() }
            }
            Answer::Token(jwt) => {
                let key = match self.ops.get(&in_flight.request.op).map(|op| &op.kind) {
                    Some(OpKind::TokenFetch { key, .. }) => Some(key.clone()),
                    _ => None,
                };
                if !self.voided(in_flight)
                    && let Some(key) = key
                    && !self.session_hidden(in_flight, &key.session_id)
                {
                    let was = self.tokens.get(&key).map(|cached| cached.jwt.clone());
                    if self.tokens.offer_fetched(&key, jwt.clone(), self.now) {
                        self.schedule_token_refresh_for_active();
                        if was.as_ref() != Some(&jwt) {
                            self.events.push_back(Event::SessionTokenRefreshed {
                                session_id: key.session_id.detach(),
                                template: key.template.as_ref().map(Text::detach),
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
    /// the request was queued after the last sign-out of every session or destroy and sent
    /// with the current token, was issued after the request whose client was last applied,
    /// and is not older by `updated_at` (equal values are accepted); what a later sign-out
    /// of one session or reset cleared is taken out of it first. Returns whether it was
    /// applied.
    pub(super) fn offer_client(&mut self, in_flight: &InFlight, sent_with_current: bool, update: ClientUpdate) -> bool {
        if self.voided(in_flight) || !sent_with_current {
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
            ClientUpdate::Present(mut client) => {
                self.hide_cleared(in_flight, &mut client);
                self.last_applied = Some(AppliedMark { request: Some(in_flight.id), updated_at: client.updated_at });
                self.install_client(Some(client), in_flight.request.spec.kind);
                true
            }
            ClientUpdate::Cleared => {
                self.last_applied = Some(AppliedMark { request: Some(in_flight.id), updated_at: None });
                self.install_client(None, in_flight.request.spec.kind);
                true
            }
        }
    }

    /// A token answer whose JWT names another session (`sid`) is not a token for the one
    /// asked for: refused like any answer that cannot be used, so `get_token` fails rather
    /// than hand another session's token to the caller (the cache refuses it too).
    fn token_is_for_the_session(&self, in_flight: &InFlight, jwt: SessionJwt) -> Result<SessionJwt, String> {
        let asked = match self.ops.get(&in_flight.request.op).map(|op| &op.kind) {
            Some(OpKind::TokenFetch { key, .. }) => key.session_id.clone(),
            _ => return Ok(jwt),
        };
        match crate::jwt::decode_claims(jwt.expose()).ok().and_then(|claims| claims.sid) {
            Some(sid) if sid != asked => Err(format!("the session token is for session {sid}, not {asked}")),
            _ => Ok(jwt),
        }
    }

    /// A revoke's answer about another session than the one asked for is not the
    /// revocation's outcome: refused like any answer that cannot be used, so that no
    /// session of this client is signed out on a session id nobody revoked.
    fn revoke_names_the_session(
        &self,
        in_flight: &InFlight,
        resource: Box<SessionResource>,
        update: ClientUpdate,
    ) -> Result<(Box<SessionResource>, ClientUpdate), String> {
        match self.ops.get(&in_flight.request.op).map(|op| &op.kind) {
            Some(OpKind::Revoke { session_id }) if *session_id != resource.id => {
                Err(format!("the revoke answered for session {}, not {session_id}", resource.id))
            }
            _ => Ok((resource, update)),
        }
    }

    /// Replaces the local client (merge rules of fapi.md §5.6: the client is rebuilt from
    /// the answer), moves piggybacked session tokens into the token cache, hides
    /// suppressed attempts, emits the differences and re-resolves the active session
    /// ([`ActiveChoice`]); `answering` is the kind of request whose answer brought it.
    pub(super) fn install_client(&mut self, client: Option<Box<ClientResource>>, answering: RequestKind) {
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
        let adopt_last_active = self.adopt_last_active.take().is_some_and(|epoch| epoch == self.epoch);
        let choice = ActiveChoice {
            follow_new_last_active: !crate::classification::is_session_request(answering)
                && !crate::classification::is_user_request(answering),
            adopt_last_active,
            first_client: previous.is_none(),
        };
        self.resolve_active_session(
            previous_last_active.as_deref(),
            previous.is_some() && self.client.is_none(),
            choice,
        );
        self.forget_tokens_of_gone_sessions();
    }

    /// Keeps tokens only for sessions still signed in: one the client lists as ended (or
    /// no longer lists at all) keeps none (classification: session gone; docs/sessions.md),
    /// and its token fetches still waiting in the queue are dropped
    /// ([`Self::drop_queued_token_fetches`]). Then announces the active session's refresh
    /// deadline, now that it is known.
    pub(super) fn forget_tokens_of_gone_sessions(&mut self) {
        let signed_in: Vec<Text> =
            self.sessions().iter().filter(|session| is_signed_in(session)).map(|session| session.id.clone()).collect();
        self.tokens.retain_sessions(|session_id| signed_in.iter().any(|id| id == session_id));
        // A reverification of a session that ended has nothing left to verify.
        if self.reverification.as_ref().is_some_and(|(id, _)| !signed_in.iter().any(|signed| signed == id)) {
            self.reverification = None;
        }
        self.drop_queued_token_fetches(|session_id| !signed_in.iter().any(|id| id == session_id));
        self.schedule_token_refresh_for_active();
    }

    /// A token fetch of a session that is `gone` still waiting in the queue (a `get_token`
    /// asked behind the end or remove of its session) is never sent, and its asks complete
    /// `Superseded`, as at a sign-out of that session: a JWT minted for a session the server
    /// just ended is no token to hand out.
    pub(super) fn drop_queued_token_fetches(&mut self, gone: impl Fn(&str) -> bool) {
        // Only fetches not sent yet: a fetch on the wire (or being answered) reports its own
        // answer.
        let queued: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(id, op)| {
                matches!(&op.kind, OpKind::TokenFetch { key, .. } if gone(&key.session_id))
                    && self.queue.iter().any(|queued| queued.op == **id)
            })
            .map(|(id, _)| *id)
            .collect();
        for fetch in queued {
            self.drop_op(fetch, OperationError::Superseded);
            self.complete_token_waiters(fetch, &Err(OperationError::Superseded));
        }
    }

    pub(super) fn emit_differences(&mut self, previous: Option<&ClientResource>) {
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

    /// Re-validates the active session against the client's signed-in sessions, as
    /// `choice` allows (design §7.7, fapi.md §2.2 rule 4, §3.8.1): a newly set
    /// `last_active_session_id` that is signed in becomes active (a flow completed);
    /// otherwise the current one stays while it is signed in; otherwise, after
    /// `session_exists`, the signed-in `last_active_session_id`; otherwise, for the first
    /// client, the signed-in `last_active_session_id` or else the first signed-in session;
    /// otherwise none.
    pub(super) fn resolve_active_session(
        &mut self,
        previous_last_active: Option<&str>,
        client_lost: bool,
        choice: ActiveChoice,
    ) {
        let last_active =
            self.last_active_session_id().and_then(|id| self.signed_in_session(id)).map(|session| session.id.clone());
        let newly_last_active =
            last_active.clone().filter(|id| choice.follow_new_last_active && Some(id.as_str()) != previous_last_active);
        let current = self.active_session.as_deref().and_then(|id| self.signed_in_session(id)).map(|s| s.id.clone());
        let candidate = newly_last_active
            .or(current)
            .or_else(|| last_active.clone().filter(|_| choice.adopt_last_active || choice.first_client))
            .or_else(|| {
                let first_signed_in = || self.sessions().iter().find(|session| is_signed_in(session));
                choice.first_client.then(first_signed_in).flatten().map(|session| session.id.clone())
            });
        if candidate == self.active_session {
            return;
        }
        // The active session is no longer signed in: that is a sign-out, said as one even
        // when another session becomes active in the same update (it may be another
        // user's), so that an app clears what it showed for the one that ended.
        if let Some(old) = self.active_session.as_deref()
            && self.signed_in_session(old).is_none()
        {
            let reason = self.sign_out_reason(old, client_lost);
            self.events.push_back(Event::SignedOut { reason });
        }
        let candidate = candidate.as_ref().map(Text::detach);
        self.active_session = candidate.clone();
        self.events.push_back(Event::ActiveSessionChanged { session_id: candidate });
    }

    /// Queues a retry of a retryable request after a backoff (design §7.5). Returns false
    /// when the request may not or can no longer be retried.
    pub(super) fn retry_later(
        &mut self,
        in_flight: &InFlight,
        retry_after: Option<Duration>,
        why: impl FnOnce() -> OperationError,
    ) -> bool {
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
        if let Some(operation) = self.ops.get_mut(&in_flight.request.op) {
            operation.retrying_after = Some(why());
        }
        true
    }

    /// After an error that asks for it (a 401, a 422 on a session request, …) on anything
    /// but `GET /v1/client`, while a session is active: one coalesced client refresh (fapi.md
    /// §2.4), whose answer re-validates the session. After a 401 (`unauthenticated`) the
    /// refresh re-checks the active session: if it fails with 403 or 500, that session is
    /// signed out locally.
    pub(super) fn schedule_refresh(&mut self, kind: RequestKind, unauthenticated: bool) {
        if self.active_session.is_none() {
            return;
        }
        let recheck = if unauthenticated { self.active_session.clone() } else { None };
        self.refresh_client(kind, recheck);
    }

    /// Queues one coalesced `GET /v1/client` (not after a `GET /v1/client` itself, and not
    /// without a client token: there would be nothing to refresh).
    pub(super) fn refresh_client(&mut self, kind: RequestKind, recheck: Option<Text>) {
        if kind == RequestKind::ClientGet || (self.token.is_none() && self.config.mode() == TransportMode::Native) {
            return;
        }
        let already = self.queue.iter().any(|queued| queued.spec.kind == RequestKind::ClientGet)
            || self.in_flight.as_ref().is_some_and(|f| f.request.spec.kind == RequestKind::ClientGet);
        if already {
            return;
        }
        let op = self.start_op(Flow::Client, OpKind::Refresh { recheck }, false, true);
        self.enqueue(op, RequestSpec::new(RequestKind::ClientGet, "/v1/client"), None);
    }
}

/// What a client that arrives may do to the active session (see
/// [`Client::resolve_active_session`]).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ActiveChoice {
    /// A newly set signed-in `last_active_session_id` becomes active: a flow completed
    /// (design §7.7). Not for the answers to session requests: a touch moves
    /// `last_active_session_id` to the session it touched, and clerk-js keeps its current
    /// session through such a client (fapi.md §2.2 rule 4); `SetActive` switches by itself.
    /// Nor for a revoke's answer (`/v1/me…`): revoking completes no flow.
    pub(super) follow_new_last_active: bool,
    /// With no signed-in session active, the signed-in `last_active_session_id` becomes
    /// active, new or not: the first client after `session_exists` (fapi.md §2.5).
    pub(super) adopt_last_active: bool,
    /// The first client since there was none (a load): with no other choice, the
    /// signed-in `last_active_session_id`, else the first signed-in session (fapi.md §3.8.1).
    pub(super) first_client: bool,
}
