//! Read views of the engine state.

use super::*;

impl Client {
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

    /// The local epoch: bumped by sign-out, destroy and resets; every request is stamped
    /// with the epoch it was queued in. An answer to a request from before a sign-out of
    /// every session or a destroy changes no identity; one from before a sign-out of one
    /// session or a reset is applied without the session or attempt that was cleared.
    #[must_use]
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The client token, if one is stored.
    #[must_use]
    pub fn client_token(&self) -> Option<&ClientToken> {
        self.token.as_ref()
    }

    /// The dev-browser token, if one is known (browser mode on a development instance:
    /// [`ClientConfig::uses_dev_browser`]).
    #[must_use]
    pub fn dev_browser_token(&self) -> Option<&DevBrowserToken> {
        self.dev_browser.as_ref()
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

    pub(super) fn signed_in_session(&self, id: &str) -> Option<&SessionResource> {
        self.session(id).filter(|session| is_signed_in(session))
    }

    /// The session the engine treats as active, if any.
    #[must_use]
    pub fn active_session(&self) -> Option<&SessionResource> {
        self.active_session.as_deref().and_then(|id| self.session(id))
    }

    /// The signed-in user: the active session's user, as clerk-js's `clerk.user` and
    /// clerk-ios's `Clerk.shared.user`. `None` when no session is active.
    ///
    /// ```
    /// # let config = clerk_core::ClientConfig::from_publishable_key("pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk").unwrap();
    /// # let client = clerk_core::Client::new(config, time::OffsetDateTime::UNIX_EPOCH);
    /// match client.user() {
    ///     Some(user) => println!("signed in as {:?}", user.primary_email_address().and_then(|a| a.email_address.as_deref())),
    ///     None => println!("nobody is signed in"),
    /// }
    /// ```
    #[must_use]
    pub fn user(&self) -> Option<&crate::wire::UserResource> {
        self.active_session().and_then(|session| session.user.as_deref())
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
    /// redirects (fapi.md §3.2). Native clients rarely need it. On a development instance in
    /// browser mode it carries the dev-browser token (`__clerk_db_jwt`), in clear: the URL is
    /// for the browser to open, not to show.
    #[must_use]
    pub fn build_touch_url(&self, redirect_url: &str) -> String {
        let mut spec = RequestSpec::new(RequestKind::ClientGet, "/v1/client/touch");
        spec.query.push(crate::request::Field::plain("redirect_url", redirect_url.to_owned()));
        let context =
            RequestContext { attempt: 1, dev_browser: self.dev_browser.as_ref(), ..RequestContext::default() };
        let request: HttpRequest = build_request(&self.config, &spec, context);
        request.url(&self.config.base_url())
    }

    /// The cached default session token of a session, if one is cached.
    #[must_use]
    pub fn cached_session_token(&self, session_id: &str) -> Option<&SessionJwt> {
        let organization_id = self.session(session_id).and_then(|s| s.last_active_organization_id.clone());
        let key = TokenKey { session_id: Text::from(session_id), template: None, organization_id };
        // Past its `exp` a token is evicted (fapi.md §6.4): never handed out.
        self.tokens.get(&key).filter(|cached| cached.expires_at() > self.now).map(|cached| &cached.jwt)
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

    /// The pending operation that holds `flow`: the mutating one (a prepare, an attempt,
    /// an email-link wait, a `set_active`, …) that a new mutating command on the flow is
    /// refused [`CommandError::Busy`] for, if any. Reads (a reload, `load`, `get_token`)
    /// never hold a flow and are not named here. Should a sign-out have joined a pending
    /// session operation (a sign-out is never refused as busy), this is the oldest of them.
    ///
    /// A driver uses it to [`cancel`](Self::cancel) a flow's wait, e.g. to stop polling for
    /// an email link and keep the attempt for another factor.
    #[must_use]
    pub fn pending_operation(&self, flow: Flow) -> Option<OpId> {
        self.ops.iter().find(|(_, op)| op.flow == flow && op.mutating && !op.internal).map(|(id, _)| *id)
    }

    /// Why `op`'s last answered request is being tried again, while it is: the 503, the
    /// 429, the dropped connection or the unreadable answer that made the engine wait and
    /// ask again (for a `get_token` sharing another's fetch, that fetch's). `None` once a
    /// request of the operation is answered without a retry, and for an operation that
    /// is not pending. A driver that gives up at its time limit reports it, so the cause
    /// is not lost behind the timeout.
    #[must_use]
    pub fn retrying_after(&self, op: OpId) -> Option<&OperationError> {
        let operation = self.ops.get(&op)?;
        match &operation.kind {
            OpKind::TokenWaiter { fetch: Some(fetch), .. } => self.ops.get(fetch)?.retrying_after.as_ref(),
            _ => operation.retrying_after.as_ref(),
        }
    }

    /// Whether `op`'s requests must reach the server whoever waits for them: `op` is a
    /// sign-out, a removal of every session or a destroy (its own, or the engine's after
    /// a [`cancel`](Self::cancel)), which signed out here at submission. A driver sends
    /// such a request without the caller's time limit (only its own request timeout):
    /// cut short, the session would stay valid on the server.
    #[must_use]
    pub fn must_reach_server(&self, op: OpId) -> bool {
        self.ops.get(&op).is_some_and(|operation| operation.kind.signs_out_locally_first())
    }

    /// Whether the engine has nothing queued, nothing on the wire and no event waiting.
    #[must_use]
    pub fn is_quiescent(&self) -> bool {
        self.queue.is_empty() && self.in_flight.is_none() && self.events.is_empty()
    }
}
