//! # clerk-ureq: a blocking driver for clerk-core
//!
//! [`Clerk`] owns a [`clerk_core::Client`] engine and carries out its IO with one reused
//! [`ureq::Agent`]: it sends each request, feeds the answer back, sleeps until the
//! engine's deadlines, persists the client token through a
//! [`TokenStore`](clerk_store::TokenStore) and, optionally, records a transcript. Every
//! protocol decision (retries, backoff, polling, token caching) is the engine's; this
//! crate only moves bytes and sleeps.
//!
//! ## Getting started
//!
//! Add the driver to your `Cargo.toml`. It re-exports the engine ([`clerk_core`]) and the
//! token stores ([`clerk_store`]) at the versions it was built with, so neither needs to be
//! a dependency of yours:
//!
//! ```toml
//! [dependencies]
//! clerk-ureq = { path = "../clerk-rs/crates/clerk-ureq" }  # or, from a registry: "0.1"
//! ```
//!
//! Then one import brings what a typical program needs (see [`prelude`] for a whole
//! program): `use clerk_ureq::prelude::*;`. Keep the client token between runs in a
//! [`FileStore`](clerk_store::FileStore) built with
//! [`FileStore::for_config`](clerk_store::FileStore::for_config) from the configuration the
//! driver is built from (a builder's [`config`](ClerkBuilder::config)); a store for
//! another Frontend API host than the driver's is refused when the driver is built
//! ([`DriverError::Config`]), before anything is read or sent.
//!
//! ## Blocking, and what that means for deadlines
//!
//! Each method runs the drive loop on the calling thread until its operation completes or
//! the operation timeout passes (then the operation is cancelled and
//! [`DriverError::Timeout`] returned). Deadlines the engine announces — retry backoff,
//! email-link polling, the proactive refresh of session tokens — are served **only during
//! calls**: nothing runs between them. Call [`Clerk::run_due_deadlines`] from your own loop
//! if you want background refreshes in a long-lived blocking program (a due refresh waits
//! for its answer; [`Clerk::run_due_deadlines_within`] bounds that, for a frame loop), or
//! use `clerk-reqwest`, whose background task serves them all the time.
//!
//! ## Cancelling a wait from another thread
//!
//! A call holds `&mut Clerk` until its operation ends, which for an email link nobody
//! opens is the operation's time limit. To end it sooner, take a [`Canceller`] with
//! [`Clerk::canceller`] **before** the call and hand it to another thread (it is `Clone`,
//! `Send` and `Sync`); its [`cancel`](Canceller::cancel) ends the call that is running at
//! that moment: the driver wakes from its sleep at once, cancels the operation in the
//! engine and the call returns [`DriverError::Operation`]`(`[`OperationError::Cancelled`]`)`.
//! A request already on the wire is not interrupted: the call ends when its answer (or its
//! own time limit) arrives, and that answer still counts for what it says about identity.
//! The attempt is kept: after cancelling an email-link wait, attempt a password on the
//! same sign-in. A cancel while no call runs does nothing (it never ends a later call).
//!
//! ```no_run
//! # fn demo(mut clerk: clerk_ureq::Clerk, preparation: clerk_ureq::prelude::FirstFactorPreparation) {
//! use clerk_ureq::prelude::*;
//!
//! let canceller = clerk.canceller();
//! let typed_a_password = std::thread::spawn(move || {
//!     // … the user chose another way in:
//!     canceller.cancel();
//! });
//! let waited = clerk.sign_in_step(SignInCommand::PrepareFirstFactor(preparation));
//! # let _ = (waited, typed_a_password.join());
//! # }
//! ```
//!
//! ## HTTP settings
//!
//! Redirects off, non-2xx statuses returned as data (`http_status_as_error(false)`), every
//! response header kept, connect and request timeouts, the engine's `max_response_bytes`
//! enforced while reading, rustls with the ring provider (design §7.15).
//!
//! ## Signing in
//!
//! A sign-in call that returns `Ok` made its step, which is not always the whole flow: a
//! user with multi-factor authentication is then in `needs_second_factor`, not signed in.
//! Look at the status of the attempt it returns:
//!
//! ```no_run
//! # fn demo(authenticator_code: String) -> Result<(), Box<dyn std::error::Error>> {
//! use clerk_ureq::prelude::*;
//!
//! let mut clerk = Clerk::builder_from_publishable_key("pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk")?
//!     .build()?;
//! clerk.load()?;
//! let mut step = clerk.sign_in(SignInCreate::password("ada@example.com", Password::new("…")))?;
//! if let Some(sign_in) = step.sign_in()
//!     && sign_in.status == Some(SignInStatus::NeedsSecondFactor)
//! {
//!     // `sign_in.supported_second_factors` lists what the server takes: here, an
//!     // authenticator app's code.
//!     let totp = SecondFactorAttempt::Totp(VerificationCode::new(authenticator_code));
//!     step = clerk.sign_in_step(SignInCommand::AttemptSecondFactor(totp))?;
//! }
//! if !step.sign_in().is_some_and(|sign_in| sign_in.is_complete()) {
//!     return Err(format!("not signed in yet: {step:?}").into());
//! }
//! let token = clerk.get_token(Default::default())?;
//! # Ok(()) }
//! ```
//!
//! The crate's examples run whole flows against a local Frontend API:
//! `cargo run -p clerk-ureq --example blocking_sign_in` (password, then an authenticator code) and
//! `--example blocking_sign_up` (email code, missing fields).
#![forbid(unsafe_code)]

use clerk_core::secret::SessionJwt;
use clerk_core::{
    ActiveSession, ClientCommand, ClientConfig, Command, Completion, Event, HttpRequest, HttpResponse, OperationError,
    Output, SessionCommand, SignInCommand, SignInCreate, SignOutConfirmation, SignUpCommand, SignUpFields,
    TokenRequest, TransportError,
};
/// This driver's product in the `User-Agent` its HTTP client sends (after the app's own,
/// when the builder's `user_agent` names one).
pub const USER_AGENT: &str = concat!("clerk-ureq/", env!("CARGO_PKG_VERSION"));

/// The engine this driver drives, at the version the driver was built with: commands,
/// completions, events, configuration, wire types. No need to depend on it yourself.
pub use clerk_core;
/// The `time` crate the engine's instants and durations are in (a session's `expire_at`, an
/// error's `retry_after`): no need to depend on it yourself to compare them.
pub use clerk_core::time;
/// The token stores, transcripts and driver glue this driver uses, at the version it was
/// built with. No need to depend on it yourself.
pub use clerk_store;
pub use clerk_store::drive::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DriverError, EventListener,
    ExchangeListener,
};

/// What a typical program needs, in one import: `use clerk_ureq::prelude::*;`.
///
/// The driver's [`Clerk`], [`ClerkBuilder`] and [`DriverError`]; from
/// [`clerk_core`] the configuration, the sign-in and sign-up commands with their
/// arguments (creations, preparations, attempts), [`TokenRequest`]
/// and [`OrganizationChoice`](clerk_core::OrganizationChoice), what calls return
/// ([`Completion`]) and report ([`Event`]), the
/// secrets a user types ([`Password`](clerk_core::secret::Password),
/// [`VerificationCode`](clerk_core::secret::VerificationCode)) and what a program matches
/// on ([`ErrorCode`](clerk_core::wire::ErrorCode),
/// [`SignInStatus`](clerk_core::wire::SignInStatus),
/// [`SignUpStatus`](clerk_core::wire::SignUpStatus)); from [`clerk_store`] the token
/// stores. Everything else is under [`clerk_core`] and [`clerk_store`].
///
/// ```no_run
/// use std::sync::Arc;
///
/// use clerk_ureq::prelude::*;
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let config = ClientConfig::from_publishable_key(&std::env::var("CLERK_PUBLISHABLE_KEY")?)?;
///     let store = FileStore::for_config(clerk_ureq::clerk_store::default_dir("my-app")?, &config)?;
///     let mut clerk = Clerk::builder(config).store(Arc::new(store)).build()?;
///     clerk.load()?;
///     let mut step = clerk.sign_in(SignInCreate::password("ada@example.com", Password::new("…")))?;
///     // `Ok` means the password was right; a user with multi-factor authentication goes on.
///     if let Some(sign_in) = step.sign_in()
///         && sign_in.status == Some(SignInStatus::NeedsSecondFactor)
///     {
///         let code = SecondFactorAttempt::Totp(VerificationCode::new("123456"));
///         step = clerk.sign_in_step(SignInCommand::AttemptSecondFactor(code))?;
///     }
///     if !step.sign_in().is_some_and(|sign_in| sign_in.is_complete()) {
///         return Err(format!("not signed in yet: {step:?}").into());
///     }
///     let token = clerk.get_token(TokenRequest::default())?;
///     println!("{token:?}");
///     Ok(())
/// }
/// ```
pub mod prelude {
    pub use crate::{Clerk, ClerkBuilder, DriverError};
    pub use clerk_store::prelude::*;
}
use clerk_store::drive::{DriveSupport, DriverSettings, completion, sleep_for};
use time::{Duration, OffsetDateTime};

mod cancel;

use cancel::CallGuard;
pub use cancel::Canceller;

/// Builds a [`Clerk`].
pub struct ClerkBuilder {
    settings: DriverSettings,
}

impl std::fmt::Debug for ClerkBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClerkBuilder").field("settings", &self.settings).finish()
    }
}

impl ClerkBuilder {
    /// A builder for this engine configuration.
    #[must_use]
    pub fn new(config: ClientConfig) -> Self {
        ClerkBuilder::from_settings(DriverSettings::new(config))
    }

    fn from_settings(settings: DriverSettings) -> Self {
        ClerkBuilder { settings }
    }

    clerk_store::shared_builder_methods!();

    /// Builds the driver, restoring the engine from the store when it holds a state.
    ///
    /// # Errors
    /// [`DriverError::Config`] for a store built for another Frontend API host than this
    /// configuration's (see [`TokenStore::frontend_api_host`](clerk_store::TokenStore::frontend_api_host);
    /// nothing is read or sent), a store error, a stored state for another Frontend API
    /// host, or a [`user_agent`](Self::user_agent) holding a control character
    /// ([`DriverError::Config`]).
    pub fn build(self) -> Result<Clerk, DriverError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .user_agent(self.settings.user_agent(USER_AGENT)?)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(self.settings.connect_timeout))
            .timeout_global(Some(self.settings.request_timeout))
            .build()
            .into();
        let DriverSettings { config, mut support, operation_timeout, request_timeout, .. } = self.settings;
        let engine = support.start_engine(config, OffsetDateTime::now_utc())?;
        Ok(Clerk { engine, agent, support, operation_timeout, request_timeout, canceller: Canceller::new() })
    }
}

/// A blocking Clerk client: the engine plus its IO. See the crate documentation.
pub struct Clerk {
    engine: clerk_core::Client,
    agent: ureq::Agent,
    support: DriveSupport,
    operation_timeout: std::time::Duration,
    /// The agent's limit for one request, shortened for a request that would outlive its
    /// operation's time limit.
    request_timeout: std::time::Duration,
    /// Shared with every [`Canceller`] handed out: the running call and whether it was
    /// asked to end.
    canceller: Canceller,
}

impl std::fmt::Debug for Clerk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clerk").field("engine", &self.engine).field("support", &self.support).finish()
    }
}

impl Clerk {
    /// A builder from an engine configuration.
    #[must_use]
    pub fn builder(config: ClientConfig) -> ClerkBuilder {
        ClerkBuilder::new(config)
    }

    /// A builder from a publishable key.
    ///
    /// # Errors
    /// An invalid key.
    pub fn builder_from_publishable_key(key: &str) -> Result<ClerkBuilder, DriverError> {
        DriverSettings::from_publishable_key(key).map(ClerkBuilder::from_settings)
    }

    /// A builder for a Frontend API at `base_url` (a local mock: `http://127.0.0.1:PORT`).
    ///
    /// # Errors
    /// An invalid URL.
    pub fn builder_for_base_url(base_url: &str) -> Result<ClerkBuilder, DriverError> {
        DriverSettings::for_base_url(base_url).map(ClerkBuilder::from_settings)
    }

    /// A handle another thread uses to end the call this driver is running (see the crate
    /// documentation): take it before the call, since the call holds `&mut self`. Every
    /// handle of one driver is the same handle.
    #[must_use]
    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// The engine, for its read views (sessions, sign-in status, …).
    #[must_use]
    pub fn engine(&self) -> &clerk_core::Client {
        &self.engine
    }

    /// The signed-in user (the active session's, as
    /// [`Client::user`](clerk_core::Client::user) gives it); `None` when no session is
    /// active. As clerk-reqwest's `user()`.
    #[must_use]
    pub fn user(&self) -> Option<&clerk_core::wire::UserResource> {
        self.engine.user()
    }

    /// The sessions signed in on this client (active or pending), the active one among
    /// them: what an account switcher lists, as
    /// [`Client::signed_in_sessions`](clerk_core::Client::signed_in_sessions) gives them.
    /// As clerk-reqwest's `signed_in_sessions()`.
    pub fn signed_in_sessions(&self) -> impl Iterator<Item = &clerk_core::wire::SessionResource> {
        self.engine.signed_in_sessions()
    }

    /// The id of the active session, `None` when there is none (nobody signed in, or the
    /// active one signed out while others stay signed in). As clerk-reqwest's.
    #[must_use]
    pub fn active_session_id(&self) -> Option<&str> {
        self.engine.active_session_id()
    }

    /// Runs `command` until its operation completes.
    ///
    /// A [`Canceller`] ends the call early with
    /// [`OperationError::Cancelled`].
    ///
    /// # Errors
    /// The engine's refusal, the operation's failure, a timeout, a cancellation or a store
    /// error.
    pub fn run(&mut self, command: impl Into<Command>) -> Result<Completion, DriverError> {
        self.run_within(command, self.operation_timeout)
    }

    /// Runs `command` until its operation completes, giving up (and cancelling it) after
    /// `timeout` instead of the driver's operation timeout: for an operation that waits on
    /// a person, such as an email link being opened.
    ///
    /// # Errors
    /// As [`run`](Self::run).
    pub fn run_within(
        &mut self,
        command: impl Into<Command>,
        timeout: std::time::Duration,
    ) -> Result<Completion, DriverError> {
        // From here until this call returns, a cancel ends it (and one made before does not).
        let call = CallGuard::begin(&self.canceller);
        self.support.sync_from_store(&mut self.engine)?;
        let started = OffsetDateTime::now_utc();
        let op = self.engine.submit(command.into(), started)?;
        // A limit too large to add to a date is no limit.
        let give_up = Duration::try_from(timeout).ok().and_then(|limit| started.checked_add(limit));
        // Whether the last request's own time limit was cut short to end with the operation's.
        let mut cut_short = false;
        // Whether the operation was cancelled at the caller's request.
        let mut cancelled = false;
        // A save that failed on the way (the engine's state changed but the store could
        // not keep it; it is retried before the next call): the operation still runs to
        // its end, so a sign-out reaches the server, and the call then reports the failure.
        let mut failed_save: Option<DriverError> = None;
        loop {
            if !cancelled && call.cancel_requested() {
                cancelled = true;
                // Its completion (`Cancelled`) is the next event for this operation, ahead
                // of any request: the loop ends on it. When the operation had completed
                // already, its own outcome is queued instead, and that is the answer.
                let _ = self.engine.cancel(op);
            }
            match self.engine.poll_output() {
                Output::Event(event) => {
                    let outcome = match self.support.on_event(&mut self.engine, &event, Some(op)) {
                        Ok(outcome) => outcome,
                        Err(error @ DriverError::Store(_)) => {
                            failed_save.get_or_insert(error);
                            None
                        }
                        Err(error) => return Err(error),
                    };
                    if let Some(outcome) = outcome {
                        if let Some(error) = failed_save {
                            return Err(error);
                        }
                        if cut_short && timed_out(&outcome) {
                            // The request ran out of the operation's time, not its own.
                            return Err(DriverError::Timeout { limit: timeout, retrying_after: None });
                        }
                        return completion(outcome);
                    }
                }
                Output::Request(outgoing) => {
                    // A sign-out's request (this call's or one cancelled earlier) goes out
                    // whatever the call's limit: cut short, the session would stay valid on
                    // the server. Only its own request timeout bounds it.
                    let left = give_up
                        .filter(|_| !self.engine.must_reach_server(outgoing.op))
                        .map(|at| at - OffsetDateTime::now_utc());
                    if left.is_some_and(|left| !left.is_positive()) {
                        // Out of time before sending: the engine learns the request never
                        // went out, then the operation is cancelled.
                        let timed_out = DriverError::timeout_of(&self.engine, op, timeout);
                        let error = TransportError::Timeout(String::from("the operation's time limit was reached"));
                        self.engine.handle_response(outgoing.id, Err(error), OffsetDateTime::now_utc())?;
                        let _ = self.engine.cancel(op);
                        self.drain_events()?;
                        return Err(timed_out);
                    }
                    let limit = left
                        .and_then(|left| std::time::Duration::try_from(left).ok())
                        .filter(|left| *left < self.request_timeout);
                    cut_short = limit.is_some();
                    let span = tracing::info_span!(
                        "clerk.request",
                        kind = outgoing.kind.name(),
                        id = outgoing.id.0,
                        attempt = outgoing.attempt,
                        status = tracing::field::Empty
                    );
                    let _entered = span.enter();
                    let result = self.send(&outgoing.request, limit);
                    if let Ok(response) = &result {
                        span.record("status", response.status);
                    }
                    self.support.record(&outgoing.request, &result);
                    // Cut at the operation's limit: the operation ends now, with what it was
                    // being retried after, read before the cut itself counts as a failure.
                    let cut = cut_short
                        && matches!(result, Err(TransportError::Timeout(_)))
                        && give_up.is_some_and(|at| OffsetDateTime::now_utc() >= at);
                    let timed_out = cut.then(|| DriverError::timeout_of(&self.engine, op, timeout));
                    self.engine.handle_response(outgoing.id, result, OffsetDateTime::now_utc())?;
                    if let Some(error) = timed_out {
                        let _ = self.engine.cancel(op);
                        self.drain_events()?;
                        return Err(error);
                    }
                }
                Output::Timeout(_) if cancelled => {
                    // Not reached: the cancelled operation's completion comes first. Should
                    // it not, the call still ends as asked rather than wait.
                    return Err(DriverError::Operation(OperationError::Cancelled));
                }
                Output::Timeout(deadline) => {
                    let now = OffsetDateTime::now_utc();
                    if let Some(give_up) = give_up.filter(|give_up| deadline > *give_up) {
                        if call.sleep_unless_cancelled(sleep_for(give_up, now)) {
                            continue;
                        }
                        let timed_out = DriverError::timeout_of(&self.engine, op, timeout);
                        let _ = self.engine.cancel(op);
                        self.drain_events()?;
                        return Err(timed_out);
                    }
                    if call.sleep_unless_cancelled(sleep_for(deadline, now)) {
                        continue;
                    }
                    self.engine.handle_timeout(OffsetDateTime::now_utc());
                }
                _ => {
                    // Nothing left to do, yet no completion: the operation was dropped.
                    return Err(DriverError::Stopped);
                }
            }
        }
    }

    /// Serves the engine's deadlines that are due now (the proactive refresh of the
    /// session token, a retry's backoff, an email-link poll) and returns: between calls in
    /// a long-lived program. It waits for nothing that is not due, but a deadline that is
    /// due sends its request and waits for the answer, up to the request timeout (30 s by
    /// default) when the server is slow. A loop that must not stall that long (a game's
    /// frame) uses [`run_due_deadlines_within`](Self::run_due_deadlines_within).
    ///
    /// # Errors
    /// A store error.
    pub fn run_due_deadlines(&mut self) -> Result<(), DriverError> {
        self.run_due_deadlines_until(None)
    }

    /// As [`run_due_deadlines`](Self::run_due_deadlines), spending at most about `limit`
    /// on requests: one still unanswered then is abandoned as a transport timeout, which
    /// the engine treats as any other (a token refresh is tried again after a backoff, at
    /// a later call; the cached token stays until it expires), and no further request is
    /// sent. Nothing is lost: the state is what the answers so far made it.
    ///
    /// ```no_run
    /// # fn frame(clerk: &mut clerk_ureq::Clerk) -> Result<(), clerk_ureq::DriverError> {
    /// // Once a frame: keep the session token fresh without stalling the frame.
    /// clerk.run_due_deadlines_within(std::time::Duration::from_millis(5))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A store error.
    pub fn run_due_deadlines_within(&mut self, limit: std::time::Duration) -> Result<(), DriverError> {
        // A limit too long to add to the clock is no limit.
        self.run_due_deadlines_until(std::time::Instant::now().checked_add(limit))
    }

    fn run_due_deadlines_until(&mut self, give_up: Option<std::time::Instant>) -> Result<(), DriverError> {
        self.engine.handle_timeout(OffsetDateTime::now_utc());
        loop {
            match self.engine.poll_output() {
                Output::Event(event) => {
                    self.support.on_event(&mut self.engine, &event, None)?;
                }
                Output::Request(outgoing) => {
                    // A sign-out's request goes out whatever the limit (see `run_within`).
                    let left = give_up
                        .filter(|_| !self.engine.must_reach_server(outgoing.op))
                        .map(|at| at.saturating_duration_since(std::time::Instant::now()));
                    let result = if left.is_some_and(|left| left.is_zero()) {
                        // Out of time before sending: the engine learns it never went out.
                        Err(TransportError::Timeout(String::from("the time limit for due deadlines was reached")))
                    } else {
                        let result = self.send(&outgoing.request, left.filter(|left| *left < self.request_timeout));
                        self.support.record(&outgoing.request, &result);
                        result
                    };
                    self.engine.handle_response(outgoing.id, result, OffsetDateTime::now_utc())?;
                    if give_up.is_some_and(|at| std::time::Instant::now() >= at) {
                        // Whatever the answer queued (a retry, after its backoff) waits
                        // for a later call; only events are taken now.
                        return self.drain_events();
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn drain_events(&mut self) -> Result<(), DriverError> {
        // Events only: a request taken here would never be sent, and the engine would wait
        // for its answer for ever.
        while let Some(event) = self.engine.poll_event() {
            self.support.on_event(&mut self.engine, &event, None)?;
        }
        Ok(())
    }

    /// Sends one request; `limit`, when given, replaces the agent's time limit for it.
    fn send(&self, request: &HttpRequest, limit: Option<std::time::Duration>) -> Result<HttpResponse, TransportError> {
        let http_request =
            request.to_http(self.support.base_url()).map_err(|e| TransportError::Other(e.to_string()))?;
        // A request without a body goes out without one (no `content-length: 0` on a GET).
        let (parts, body) = http_request.into_parts();
        let response = if body.is_empty() && request.form.is_none() {
            self.run_limited(http::Request::from_parts(parts, ()), limit)
        } else {
            self.run_limited(http::Request::from_parts(parts, body), limit)
        }
        .map_err(transport_error)?;
        let (parts, mut body) = response.into_parts();
        let limit = self.engine.config().max_response_bytes();
        // At most one byte past the limit is read; an answer that long goes to the engine
        // as it is, status and headers with it: the engine fails it as too large, and
        // keeps the client token its `Authorization` header may have rotated (decision
        // 0018), which a transport error would lose.
        let mut bytes = Vec::new();
        let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(body.with_config().limit(u64::MAX).reader(), cap),
            &mut bytes,
        )
        // ureq's own errors (a timeout mid-body) come back wrapped in `io::Error`:
        // unwrapped, a timeout stays a timeout (the cut at a call's limit matches it).
        .map_err(|error| transport_error(ureq::Error::from(error)))?;
        Ok(HttpResponse::from_http(http::Response::from_parts(parts, bytes)))
    }

    fn run_limited(
        &self,
        request: http::Request<impl ureq::AsSendBody>,
        limit: Option<std::time::Duration>,
    ) -> Result<http::Response<ureq::Body>, ureq::Error> {
        match limit {
            // The agent's own configuration, unless this request must end sooner.
            None => self.agent.run(request),
            Some(limit) => self.agent.run(self.agent.configure_request(request).timeout_global(Some(limit)).build()),
        }
    }

    /// Loads the environment and, when a client token is stored, the client.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub fn load(&mut self) -> Result<Completion, DriverError> {
        self.run(ClientCommand::Load)
    }

    /// Reloads the client.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub fn reload(&mut self) -> Result<Completion, DriverError> {
        self.run(ClientCommand::Reload)
    }

    /// Creates a sign-in attempt.
    ///
    /// `Ok` means this step succeeded, not that the user is signed in: look at the attempt
    /// the returned completion holds ([`Completion::sign_in`]). Only a
    /// [complete](clerk_core::wire::SignInResource::is_complete) one (with
    /// `created_session_id`) made a session. A user with multi-factor authentication is in
    /// [`NeedsSecondFactor`](clerk_core::wire::SignInStatus::NeedsSecondFactor) after the
    /// password (on a device the instance does not trust yet,
    /// [`NeedsClientTrust`](clerk_core::wire::SignInStatus::NeedsClientTrust)): go on with
    /// [`sign_in_step`](Self::sign_in_step) and `SignInCommand::AttemptSecondFactor` (after
    /// `PrepareSecondFactor` for a code sent by SMS or email), one of the attempt's
    /// `supported_second_factors`. The crate's example does.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub fn sign_in(&mut self, create: SignInCreate) -> Result<Completion, DriverError> {
        self.run(SignInCommand::Create(create))
    }

    /// Runs a sign-in step (prepare, attempt, reset password, reload). As with
    /// [`sign_in`](Self::sign_in), `Ok` means the step succeeded: the returned attempt's
    /// status says whether another is needed.
    ///
    /// A step that waits for a person (preparing an email link waits until the link is
    /// opened) is bound by the operation timeout like any call, 60 s unless the builder
    /// set another: run it with [`run_within`](Self::run_within) and a limit of minutes.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub fn sign_in_step(&mut self, command: SignInCommand) -> Result<Completion, DriverError> {
        self.run(command)
    }

    /// Creates a sign-up attempt.
    ///
    /// `Ok` means the server took these fields, not that the user exists: look at the
    /// attempt the returned completion holds ([`Completion::sign_up`]). It is
    /// [complete](clerk_core::wire::SignUpResource::is_complete) (with
    /// `created_session_id`) once the user and a session were made, and
    /// [`MissingRequirements`](clerk_core::wire::SignUpStatus::MissingRequirements) until
    /// then: send what `missing_fields` lists with [`sign_up_step`](Self::sign_up_step) and
    /// `SignUpCommand::Update`, and verify what `unverified_fields` lists with
    /// `SignUpCommand::PrepareVerification` then `AttemptVerification`. The crate's
    /// `blocking_sign_up` example does.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub fn sign_up(&mut self, fields: SignUpFields) -> Result<Completion, DriverError> {
        self.run(SignUpCommand::Create(fields))
    }

    /// Runs a sign-up step (update, prepare, attempt, reload). As with
    /// [`sign_up`](Self::sign_up), `Ok` means the step succeeded: the returned attempt's
    /// status says whether another is needed.
    ///
    /// A step that waits for a person (preparing an email link waits until the link is
    /// opened) is bound by the operation timeout like any call, 60 s unless the builder
    /// set another: run it with [`run_within`](Self::run_within) and a limit of minutes.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub fn sign_up_step(&mut self, command: SignUpCommand) -> Result<Completion, DriverError> {
        self.run(command)
    }

    /// Makes a session the active one. `Ok` means it is active now.
    ///
    /// # Errors
    /// See [`run`](Self::run); [`Superseded`](clerk_core::OperationError::Superseded)
    /// when the session did not become active: the server's answer shows it no longer
    /// signed in (it ended meanwhile), or a sign-out of it here came first.
    pub fn set_active(
        &mut self,
        session_id: &str,
        organization: clerk_core::OrganizationChoice,
    ) -> Result<Completion, DriverError> {
        self.run(SessionCommand::SetActive { session_id: session_id.to_owned(), organization })
    }

    /// A session token (from the cache when usable).
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub fn get_token(&mut self, request: TokenRequest) -> Result<SessionJwt, DriverError> {
        match self.run(SessionCommand::GetToken(request))? {
            Completion::SessionToken(token) => Ok(token),
            other => Err(DriverError::Config(format!("unexpected completion {other:?}"))),
        }
    }

    /// Signs out of one session, or of all when `session_id` is `None`. Local state is
    /// cleared whatever the server answers; the result says whether it confirmed.
    ///
    /// `None` signs out **every** account on this client, as clerk-js's `signOut()` does; to
    /// sign out only the current user, pass the active session's id.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub fn sign_out(&mut self, session_id: Option<&str>) -> Result<SignOutConfirmation, DriverError> {
        match self.run(SessionCommand::SignOut { session_id: session_id.map(str::to_owned) })? {
            Completion::SignedOut { confirmation } => Ok(confirmation),
            other => Err(DriverError::Config(format!("unexpected completion {other:?}"))),
        }
    }

    /// The signed-in user's active sessions on every device (`GET /v1/me/sessions/active`),
    /// each with its latest activity (device, browser, IP address, place) and marked when it
    /// is this client's own ([`ActiveSession::on_this_client`]) or its active one
    /// ([`ActiveSession::current`]). Nothing local changes.
    ///
    /// # Errors
    /// See [`run`](Self::run); refused
    /// ([`CommandError::NoActiveSession`](clerk_core::CommandError::NoActiveSession))
    /// without a signed-in active session.
    pub fn active_sessions(&mut self) -> Result<Vec<ActiveSession>, DriverError> {
        match self.run(SessionCommand::ActiveSessions)? {
            Completion::ActiveSessions(sessions) => Ok(sessions),
            other => Err(DriverError::Config(format!("unexpected completion {other:?}"))),
        }
    }

    /// Revokes one of the user's sessions, on this device or another
    /// (`POST /v1/me/sessions/{id}/revoke`). Returns whether it was this client's own: then
    /// it is signed out here too (`SignedOut` with the `revoked` reason when it was the
    /// active one). Another device's session is not added to this client; that device finds
    /// itself signed out on its next request.
    ///
    /// # Errors
    /// See [`run`](Self::run); refused without a signed-in active session, or for an id
    /// that cannot be a path segment (`CommandError::InvalidId`).
    pub fn revoke_session(&mut self, session_id: &str) -> Result<bool, DriverError> {
        match self.run(SessionCommand::Revoke { session_id: session_id.to_owned() })? {
            Completion::SessionRevoked { on_this_client, .. } => Ok(on_this_client),
            other => Err(DriverError::Config(format!("unexpected completion {other:?}"))),
        }
    }

    /// The events the engine has not handed out yet are passed to the listeners.
    ///
    /// # Errors
    /// A store error.
    pub fn flush_events(&mut self) -> Result<(), DriverError> {
        self.drain_events()
    }
}

/// Whether an operation failed because a request timed out.
fn timed_out(outcome: &clerk_core::Outcome) -> bool {
    matches!(outcome, Err(clerk_core::OperationError::Transport(TransportError::Timeout(_))))
}

fn transport_error(error: ureq::Error) -> TransportError {
    match error {
        ureq::Error::Timeout(timeout) => TransportError::Timeout(timeout.to_string()),
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportError::Connect(error.to_string()),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound => {
                TransportError::Connect(io.to_string())
            }
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => TransportError::Timeout(io.to_string()),
            _ => TransportError::Io(io.to_string()),
        },
        ureq::Error::BodyExceedsLimit(limit) => {
            TransportError::BodyTooLarge { limit: usize::try_from(limit).unwrap_or(usize::MAX) }
        }
        other => TransportError::Other(other.to_string()),
    }
}

/// Whether an event is one a CLI or app usually shows (status changes, sign-out).
#[must_use]
pub fn is_notable(event: &Event) -> bool {
    !matches!(event, Event::ClientUpdated | Event::OperationCompleted { .. })
}
