//! # clerk-reqwest: an async driver for clerk-core
//!
//! [`Clerk`] is a cheap, cloneable handle to **one background task that owns the
//! [`clerk_core::Client`] engine**. Calls send a command to the task and await its
//! completion. Because the task, not the caller's future, drives the engine:
//!
//! * a dropped future (a `select!` that took another branch, a timeout around the call)
//!   never leaves the engine half-driven: the task cancels the operation at its next turn
//!   (at the latest when the next call arrives), so its flow takes the next command, and
//!   an answer already on the wire still counts for what it says about identity (and a
//!   sign-out's request still goes to the server: it has signed out here already);
//! * the engine's deadlines — retry backoff, email-link polling, the proactive refresh of
//!   session tokens ahead of expiry — are served all the time, between calls too;
//! * to stop an operation instead (an email-link wait nobody will finish), call
//!   [`Clerk::cancel`] with its flow: its caller, if still waiting, gets
//!   `OperationError::Cancelled`, and the flow takes the next command at once.
//!
//! ## Getting started
//!
//! Add the driver and tokio, with the multi-threaded runtime and the macros that
//! `#[tokio::main]` needs, to your `Cargo.toml`. The driver re-exports the engine
//! ([`clerk_core`]) and the token stores ([`clerk_store`]) at the versions it was built
//! with, so neither needs to be a dependency of yours:
//!
//! ```toml
//! [dependencies]
//! clerk-reqwest = { path = "../clerk-rs/crates/clerk-reqwest" }  # or, from a registry: "0.1"
//! tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
//! ```
//!
//! Then one import brings what a typical program needs (see [`prelude`] for a whole
//! program): `use clerk_reqwest::prelude::*;`. Keep the client token between runs in a
//! [`FileStore`](clerk_store::FileStore) built with
//! [`FileStore::for_config`](clerk_store::FileStore::for_config) from the configuration the
//! driver is built from (a builder's [`config`](ClerkBuilder::config)); a store for
//! another Frontend API host than the driver's is refused when the driver is built
//! ([`DriverError::Config`]), before anything is read or sent.
//!
//! The task sends each request with one reused [`reqwest::Client`] (redirects off, every
//! response header kept, non-2xx returned as data, connect and request timeouts, the
//! engine's `max_response_bytes` enforced while reading, rustls with the ring provider),
//! persists the client token through a [`TokenStore`](clerk_store::TokenStore), records an
//! optional transcript and broadcasts every event. It makes no protocol decision.
//!
//! ## The token store and the runtime's threads
//!
//! A store whose calls may block — [`FileStore`](clerk_store::FileStore) (an fsync, a lock
//! another process holds), or a store of your own unless its
//! [`may_block`](clerk_store::TokenStore::may_block) says otherwise — is called on tokio's
//! blocking thread pool, so that a slow disk never stalls a runtime thread and the other
//! tasks of your application; this works on a `current_thread` runtime too. The task waits
//! for each answer before it goes on, so the store's calls and the engine's steps keep
//! their order (and a call waits for its saves). [`MemoryStore`](clerk_store::MemoryStore)
//! never blocks and is called in the task itself, with no hand-off between threads per
//! request. [`ClerkBuilder::build`] loads the stored state on your thread before it
//! returns; [`ClerkBuilder::build_async`] makes that load where the other calls are made,
//! for code that builds the driver inside a task. A file store waits for another process's lock for at most its
//! [`lock_timeout`](clerk_store::FileStore::lock_timeout), then fails with
//! [`StoreError::Locked`](clerk_store::StoreError::Locked).
//!
//! A store that panics (a bug in a store of your own) ends the task, since what the store
//! holds after the panic is unknown: the calls waiting get
//! [`DriverError::StorePanicked`], later calls [`DriverError::Stopped`], and the receivers
//! [`subscribe`](Clerk::subscribe) gave out see their channel close.
//!
//! A `reqwest::Client` you build yourself **must** use `redirect::Policy::none()`: a
//! redirect followed by the HTTP client would hide the Frontend API's answer from the
//! engine. [`ClerkBuilder::http_client`] cannot inspect a client's policy, so it is on you.
//!
//! ## Signing in
//!
//! A sign-in call that returns `Ok` made its step, which is not always the whole flow: a
//! user with multi-factor authentication is then in `needs_second_factor`, not signed in.
//! Look at the status of the attempt it returns:
//!
//! ```no_run
//! # async fn demo(authenticator_code: String) -> Result<(), Box<dyn std::error::Error>> {
//! use clerk_reqwest::prelude::*;
//!
//! let clerk = Clerk::builder_from_publishable_key("pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk")?
//!     .build()?;
//! clerk.load().await?;
//! let mut step = clerk.sign_in(SignInCreate::password("ada@example.com", Password::new("…"))).await?;
//! if let Some(sign_in) = step.sign_in()
//!     && sign_in.status == Some(SignInStatus::NeedsSecondFactor)
//! {
//!     // `sign_in.supported_second_factors` lists what the server takes: here, an
//!     // authenticator app's code.
//!     let totp = SecondFactorAttempt::Totp(VerificationCode::new(authenticator_code));
//!     step = clerk.sign_in_step(SignInCommand::AttemptSecondFactor(totp)).await?;
//! }
//! if !step.sign_in().is_some_and(|sign_in| sign_in.is_complete()) {
//!     return Err(format!("not signed in yet: {step:?}").into());
//! }
//! let token = clerk.get_token(Default::default()).await?;
//! # Ok(()) }
//! ```
//!
//! The crate's examples run whole flows against a local Frontend API:
//! `cargo run -p clerk-reqwest --example async_sign_in` (password, then an authenticator code)
//! and `--example async_sign_up` (email code, missing fields).
#![forbid(unsafe_code)]

mod base_url;

use std::collections::BTreeMap;

use clerk_core::secret::SessionJwt;
use clerk_core::{
    ActiveSession, ClientCommand, ClientConfig, Command, Completion, Event, Flow, HttpRequest, HttpResponse, OpId,
    OperationError, Output, RequestId, SessionCommand, SignInCommand, SignInCreate, SignOutConfirmation, SignUpCommand,
    SignUpFields, TokenRequest, TransportError,
};
/// This driver's product in the `User-Agent` its HTTP client sends (after the app's own,
/// when the builder's `user_agent` names one).
pub const USER_AGENT: &str = concat!("clerk-reqwest/", env!("CARGO_PKG_VERSION"));

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

/// What a typical program needs, in one import: `use clerk_reqwest::prelude::*;`.
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
/// use clerk_reqwest::prelude::*;
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let config = ClientConfig::from_publishable_key(&std::env::var("CLERK_PUBLISHABLE_KEY")?)?;
///     let store = FileStore::for_config(clerk_reqwest::clerk_store::default_dir("my-app")?, &config)?;
///     let clerk = Clerk::builder(config).store(Arc::new(store)).build_async().await?;
///     clerk.load().await?;
///     let mut step = clerk.sign_in(SignInCreate::password("ada@example.com", Password::new("…"))).await?;
///     // `Ok` means the password was right; a user with multi-factor authentication goes on.
///     if let Some(sign_in) = step.sign_in()
///         && sign_in.status == Some(SignInStatus::NeedsSecondFactor)
///     {
///         let code = SecondFactorAttempt::Totp(VerificationCode::new("123456"));
///         step = clerk.sign_in_step(SignInCommand::AttemptSecondFactor(code)).await?;
///     }
///     if !step.sign_in().is_some_and(|sign_in| sign_in.is_complete()) {
///         return Err(format!("not signed in yet: {step:?}").into());
///     }
///     let token = clerk.get_token(TokenRequest::default()).await?;
///     println!("{token:?}");
///     Ok(())
/// }
/// ```
pub mod prelude {
    pub use crate::{Clerk, ClerkBuilder, DriverError, RecvError};
    pub use clerk_store::prelude::*;
}

use base_url::BaseUrl;
use clerk_store::drive::{DriveSupport, DriverSettings, StoreAnswer, StoreCall, completion, sleep_for};
use time::{Duration, OffsetDateTime};
/// What [`Clerk::subscribe`]'s receiver answers besides an event: `Lagged(n)` (it fell
/// `n` events behind and reads on from the oldest kept) or `Closed` (the task ended).
/// tokio's own type, re-exported so a program needs no `tokio` feature of its own to
/// match on it.
pub use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::Instrument;

type Reply = oneshot::Sender<Result<Completion, DriverError>>;
type View = Box<dyn FnOnce(&clerk_core::Client) + Send>;

enum Message {
    /// A command, and how long it may take (`None`: the driver's operation timeout).
    Run(Box<Command>, Option<std::time::Duration>, Reply),
    View(View),
    /// Cancel the pending operation of a flow; the answer says whether there was one.
    Cancel(Flow, oneshot::Sender<Result<bool, DriverError>>),
}

/// Builds a [`Clerk`].
pub struct ClerkBuilder {
    settings: DriverSettings,
    http: Option<reqwest::Client>,
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
        ClerkBuilder { settings, http: None }
    }

    clerk_store::shared_builder_methods!();

    /// Uses this HTTP client (the [`timeouts`](Self::timeouts) then do not apply). It must
    /// have been built with `redirect(reqwest::redirect::Policy::none())`.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Starts the driver's task on the current tokio runtime and returns its handle. The
    /// engine is restored from the store when it holds a state; that load is made on this
    /// thread (for a file store: a small read, and a wait of up to its
    /// [`lock_timeout`](clerk_store::FileStore::lock_timeout) while another process
    /// saves). Inside a task, [`build_async`](Self::build_async) makes it on tokio's
    /// blocking pool instead.
    ///
    /// # Errors
    /// [`DriverError::Config`] for a store built for another Frontend API host than this
    /// configuration's (see [`TokenStore::frontend_api_host`](clerk_store::TokenStore::frontend_api_host);
    /// nothing is read or sent), a store error, a stored state for another host, an HTTP
    /// client that cannot be built (a [`user_agent`](Self::user_agent) holding a control
    /// character), or [`DriverError::Config`] when called outside a tokio runtime (the task
    /// needs one to run on) or with a configuration in browser mode (the driver keeps no
    /// cookies). The runtime must have tokio's time and IO drivers enabled
    /// (`enable_all()`, as `#[tokio::main]` does): the task sleeps until the engine's
    /// deadlines, and without timers it stops at its first turn, every call then failing
    /// with `Stopped`.
    pub fn build(self) -> Result<Clerk, DriverError> {
        let (runtime, http, mut settings) = self.prepare()?;
        let engine = settings.support.start_engine(settings.config.clone(), OffsetDateTime::now_utc())?;
        Ok(start_task(&runtime, http, settings, engine))
    }

    /// As [`build`](Self::build), for async code: the store's load is made where the
    /// driver makes the store's other calls, on tokio's blocking pool when the store
    /// [may block](clerk_store::TokenStore::may_block) (in place for
    /// [`MemoryStore`](clerk_store::MemoryStore)), so no runtime thread waits on a disk or
    /// on another process's lock.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("clerk-doc-build-async-{}", std::process::id()));
    /// use clerk_reqwest::clerk_core::{ClientConfig, InstanceType};
    /// use clerk_reqwest::clerk_store::FileStore;
    ///
    /// let config = ClientConfig::for_base_url("http://localhost:3000", InstanceType::Development)?;
    /// let store = FileStore::for_config(&dir, &config)?;
    /// let clerk = clerk_reqwest::Clerk::builder(config)
    ///     .store(std::sync::Arc::new(store))
    ///     .build_async()
    ///     .await?;
    /// assert!(clerk.view(|engine| engine.active_session_id().is_none()).await?);
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`build`](Self::build), and [`DriverError::StorePanicked`] when the store
    /// panicked while loading.
    pub async fn build_async(self) -> Result<Clerk, DriverError> {
        let (runtime, http, mut settings) = self.prepare()?;
        let answer = match settings.support.begin_start(&settings.config)? {
            Some(call) if call.may_block() => {
                Some(tokio::task::spawn_blocking(move || call.run()).await.map_err(|error| {
                    if error.is_panic() { DriverError::StorePanicked } else { DriverError::Stopped }
                })?)
            }
            call => call.map(StoreCall::run),
        };
        let engine = settings.support.finish_start(settings.config.clone(), answer, OffsetDateTime::now_utc())?;
        Ok(start_task(&runtime, http, settings, engine))
    }

    /// What both ways of building need before the engine: the runtime to run the task on
    /// and the HTTP client.
    fn prepare(self) -> Result<(tokio::runtime::Handle, HttpClient, DriverSettings), DriverError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| DriverError::Config(String::from("build the async driver inside a tokio runtime")))?;
        let http = match self.http {
            // The app's own client: its request timeout is unknown here.
            Some(client) => HttpClient { client, request_timeout: None },
            None => {
                // One process, one crypto provider: ring (design §7.15). Installing fails
                // harmlessly when a provider is already installed.
                let _ = rustls::crypto::ring::default_provider().install_default();
                let client = reqwest::Client::builder()
                    .user_agent(self.settings.user_agent(USER_AGENT)?)
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(self.settings.connect_timeout)
                    .timeout(self.settings.request_timeout)
                    .build()
                    .map_err(|e| DriverError::Config(e.to_string()))?;
                HttpClient { client, request_timeout: Some(self.settings.request_timeout) }
            }
        };
        Ok((runtime, http, self.settings))
    }
}

/// The HTTP client the task sends with.
struct HttpClient {
    client: reqwest::Client,
    /// The timeout of one request the client applies itself, when the driver built it (an
    /// app's own client may have any). A caller's time limit later than a request's own
    /// end needs no timer of its own on that request.
    request_timeout: Option<std::time::Duration>,
}

/// How many events [`Clerk::subscribe`]'s channel keeps for a receiver that has not read
/// them; one that falls further behind gets `RecvError::Lagged`.
pub const EVENT_CHANNEL_CAPACITY: usize = 256;

/// Spawns the task that owns `engine` and returns its handle.
fn start_task(
    runtime: &tokio::runtime::Handle,
    http: HttpClient,
    settings: DriverSettings,
    engine: clerk_core::Client,
) -> Clerk {
    let DriverSettings { mut support, operation_timeout, .. } = settings;
    // Events reported around an adopted shared state reach `subscribe()` too.
    support.keep_told_events();
    let (tx, rx) = mpsc::channel(64);
    let (events, _) = broadcast::channel(EVENT_CHANNEL_CAPACITY);
    // The handles hold the channel weakly: it closes when the task ends, whatever
    // handles are left, so subscribers learn that no more events will come.
    let weak_events = events.downgrade();
    let task = DriverTask {
        engine,
        http,
        base_url: BaseUrl::new(support.base_url()),
        support,
        operation_timeout,
        waiting: BTreeMap::new(),
        events,
        unreported: None,
    };
    runtime.spawn(task.run(rx));
    Clerk { tx, events: weak_events }
}

/// A handle to the driver's task. Cloning it shares the same engine. Its `Debug` says
/// whether the task still runs; read the state with [`view`](Self::view).
#[derive(Clone)]
pub struct Clerk {
    tx: mpsc::Sender<Message>,
    /// The task's event channel; only the task holds it strongly.
    events: broadcast::WeakSender<Event>,
}

impl std::fmt::Debug for Clerk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clerk").field("task_running", &!self.tx.is_closed()).finish_non_exhaustive()
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

    /// A builder for a Frontend API at `base_url` (a local mock).
    ///
    /// # Errors
    /// An invalid URL.
    pub fn builder_for_base_url(base_url: &str) -> Result<ClerkBuilder, DriverError> {
        DriverSettings::for_base_url(base_url).map(ClerkBuilder::from_settings)
    }

    /// Every engine event from now on. The channel keeps the last
    /// [`EVENT_CHANNEL_CAPACITY`] events a receiver has not read: one that falls further
    /// behind (a slow loop, a busy runtime) gets `RecvError::Lagged(n)`, `n` events it will
    /// never see, then reads on from the oldest one still kept. So go on after `Lagged`
    /// (what the missed events changed is in the engine: [`view`](Self::view)), and stop
    /// on `Closed`. The channel closes (`RecvError::Closed`, once the events sent before
    /// are read) when the driver's task ends: after the last handle is dropped and nothing
    /// is left pending, or when the token store panicked
    /// ([`DriverError::StorePanicked`]). A receiver taken after that is closed at once.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_reqwest::Clerk) {
    /// use clerk_reqwest::RecvError;
    ///
    /// let mut events = clerk.subscribe();
    /// tokio::spawn(async move {
    ///     loop {
    ///         match events.recv().await {
    ///             Ok(event) => println!("{event:?}"),
    ///             Err(RecvError::Lagged(missed)) => eprintln!("{missed} events missed"),
    ///             Err(RecvError::Closed) => break,
    ///         }
    ///     }
    /// });
    /// # }
    /// ```
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        match self.events.upgrade() {
            Some(events) => events.subscribe(),
            // The task has ended: a channel that is closed already.
            None => broadcast::channel(1).1,
        }
    }

    /// Runs `command` until its operation completes (in the background task).
    ///
    /// (A plain function returning the future, not an `async fn`: the command is boxed
    /// before the future is made, so the future carries a pointer rather than the command,
    /// nearly 500 bytes copied each time the future moves.)
    ///
    /// # Errors
    /// The engine's refusal, the operation's failure, a timeout, a store error, a store
    /// that panicked ([`DriverError::StorePanicked`]), or a stopped task.
    pub fn run(
        &self,
        command: impl Into<Command>,
    ) -> impl Future<Output = Result<Completion, DriverError>> + Send + '_ {
        self.send_command(Box::new(command.into()), None)
    }

    /// Runs `command` until its operation completes, giving up (and cancelling it) after
    /// `timeout` instead of the driver's operation timeout: for an operation that waits on
    /// a person, such as an email link being opened.
    ///
    /// # Errors
    /// As [`run`](Self::run).
    pub fn run_within(
        &self,
        command: impl Into<Command>,
        timeout: std::time::Duration,
    ) -> impl Future<Output = Result<Completion, DriverError>> + Send + '_ {
        self.send_command(Box::new(command.into()), Some(timeout))
    }

    /// Hands `command` to the task and waits for its answer (see [`run`](Self::run) for
    /// why the command comes boxed).
    async fn send_command(
        &self,
        command: Box<Command>,
        within: Option<std::time::Duration>,
    ) -> Result<Completion, DriverError> {
        let (reply, answer) = oneshot::channel();
        let message = Message::Run(command, within, reply);
        // The channel nearly always has room: only a full one needs the send that waits.
        match self.tx.try_send(message) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(message)) => {
                self.tx.send(message).await.map_err(|_| DriverError::Stopped)?;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(DriverError::Stopped),
        }
        answer.await.map_err(|_| DriverError::Stopped)?
    }

    /// Cancels the pending operation of `flow` — the one that makes another command on it
    /// [`Busy`](clerk_core::CommandError::Busy), such as the wait for an email link to be
    /// opened — as `cancelEmailLinkFlow()` does in clerk-js. Returns `true` when something
    /// was cancelled, `false` when the flow had nothing pending.
    ///
    /// The engine stops polling and drops the operation's queued requests; the flow is free
    /// at once, and the attempt is kept (after cancelling an email-link wait, attempt a
    /// password on the same sign-in). A caller still waiting for that operation ends with
    /// [`DriverError::Operation`]`(`[`OperationError::Cancelled`]`)`. (A caller that gave
    /// up, dropping its future, needs no cancel: the task cancels its operation itself.)
    /// An answer to the operation's request already on the wire still counts for what it
    /// says about identity (a rotated token, a newer client) but reports to nobody.
    ///
    /// Reads on the flow (a reload, [`get_token`](Self::get_token)) do not hold it and are
    /// not cancelled. Should a sign-out have joined a pending session operation, both are
    /// cancelled (the sign-out's local effect stays).
    ///
    /// # Errors
    /// A stopped task.
    pub async fn cancel(&self, flow: Flow) -> Result<bool, DriverError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Message::Cancel(flow, reply)).await.map_err(|_| DriverError::Stopped)?;
        answer.await.map_err(|_| DriverError::Stopped)?
    }

    /// Reads the engine's state (sessions, sign-in status, …) through `view`, which runs in
    /// the driver's task. If `view` panics, the panic is raised again here, in the caller's
    /// task, and the driver goes on.
    ///
    /// # Errors
    /// A stopped task.
    pub async fn view<T: Send + 'static>(
        &self,
        view: impl FnOnce(&clerk_core::Client) -> T + Send + 'static,
    ) -> Result<T, DriverError> {
        let (reply, answer) = oneshot::channel();
        let boxed: View = Box::new(move |engine| {
            // The engine is only read: a panic leaves nothing half-changed.
            let _ = reply.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| view(engine))));
        });
        self.tx.send(Message::View(boxed)).await.map_err(|_| DriverError::Stopped)?;
        match answer.await.map_err(|_| DriverError::Stopped)? {
            Ok(value) => Ok(value),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// The signed-in user (the active session's, as [`Client::user`](clerk_core::Client::user)
    /// gives it), copied out of the driver's task; `None` when no session is active. For
    /// more than one value at a time, read them in one [`view`](Self::view).
    ///
    /// # Errors
    /// A stopped task.
    pub async fn user(&self) -> Result<Option<clerk_core::wire::UserResource>, DriverError> {
        self.view(|engine| engine.user().cloned()).await
    }

    /// The sessions signed in on this client (active or pending), the active one among
    /// them, copied out of the driver's task: what an account switcher lists, as
    /// [`Client::signed_in_sessions`](clerk_core::Client::signed_in_sessions) gives them.
    ///
    /// # Errors
    /// A stopped task.
    pub async fn signed_in_sessions(&self) -> Result<Vec<clerk_core::wire::SessionResource>, DriverError> {
        self.view(|engine| engine.signed_in_sessions().cloned().collect()).await
    }

    /// The id of the active session, `None` when there is none (nobody signed in, or the
    /// active one signed out while others stay signed in).
    ///
    /// # Errors
    /// A stopped task.
    pub async fn active_session_id(&self) -> Result<Option<String>, DriverError> {
        self.view(|engine| engine.active_session_id().map(str::to_owned)).await
    }

    /// Loads the environment and, when a client token is stored, the client.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub async fn load(&self) -> Result<Completion, DriverError> {
        self.run(ClientCommand::Load).await
    }

    /// Reloads the client.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub async fn reload(&self) -> Result<Completion, DriverError> {
        self.run(ClientCommand::Reload).await
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
    pub async fn sign_in(&self, create: SignInCreate) -> Result<Completion, DriverError> {
        self.run(SignInCommand::Create(create)).await
    }

    /// Runs a sign-in step. As with [`sign_in`](Self::sign_in), `Ok` means the step
    /// succeeded: the returned attempt's status says whether another is needed.
    ///
    /// A step that waits for a person (preparing an email link waits until the link is
    /// opened) is bound by the operation timeout like any call, 60 s unless the builder
    /// set another: run it with [`run_within`](Self::run_within) and a limit of minutes.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub async fn sign_in_step(&self, command: SignInCommand) -> Result<Completion, DriverError> {
        self.run(command).await
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
    /// `async_sign_up` example does.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub async fn sign_up(&self, fields: SignUpFields) -> Result<Completion, DriverError> {
        self.run(SignUpCommand::Create(fields)).await
    }

    /// Runs a sign-up step. As with [`sign_up`](Self::sign_up), `Ok` means the step
    /// succeeded: the returned attempt's status says whether another is needed.
    ///
    /// A step that waits for a person (preparing an email link waits until the link is
    /// opened) is bound by the operation timeout like any call, 60 s unless the builder
    /// set another: run it with [`run_within`](Self::run_within) and a limit of minutes.
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub async fn sign_up_step(&self, command: SignUpCommand) -> Result<Completion, DriverError> {
        self.run(command).await
    }

    /// Makes a session the active one. `Ok` means it is active now.
    ///
    /// # Errors
    /// See [`run`](Self::run); [`Superseded`](clerk_core::OperationError::Superseded)
    /// when the session did not become active: the server's answer shows it no longer
    /// signed in (it ended meanwhile), or a sign-out of it here came first.
    pub async fn set_active(
        &self,
        session_id: &str,
        organization: clerk_core::OrganizationChoice,
    ) -> Result<Completion, DriverError> {
        self.run(SessionCommand::SetActive { session_id: session_id.to_owned(), organization }).await
    }

    /// A session token (from the cache when usable).
    ///
    /// # Errors
    /// See [`run`](Self::run).
    pub async fn get_token(&self, request: TokenRequest) -> Result<SessionJwt, DriverError> {
        match self.run(SessionCommand::GetToken(request)).await? {
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
    pub async fn sign_out(&self, session_id: Option<&str>) -> Result<SignOutConfirmation, DriverError> {
        match self.run(SessionCommand::SignOut { session_id: session_id.map(str::to_owned) }).await? {
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
    pub async fn active_sessions(&self) -> Result<Vec<ActiveSession>, DriverError> {
        match self.run(SessionCommand::ActiveSessions).await? {
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
    pub async fn revoke_session(&self, session_id: &str) -> Result<bool, DriverError> {
        match self.run(SessionCommand::Revoke { session_id: session_id.to_owned() }).await? {
            Completion::SessionRevoked { on_this_client, .. } => Ok(on_this_client),
            other => Err(DriverError::Config(format!("unexpected completion {other:?}"))),
        }
    }
}

/// Makes one call of the token store for the driver's task, as `Result<StoreAnswer, Ended>`.
/// A store that may block (a file: a slow disk, a lock another process holds) is called on
/// tokio's blocking thread pool, so that no runtime thread, and none of the application's
/// other tasks, waits on it. One that never blocks (the memory store) is called in the
/// task, as a plain function call: no hand-off between threads per request, not even a
/// future. Either way the task has the answer before it goes on, so the store's calls and
/// the engine's steps keep their order.
///
/// After a call on the pool the clock is read again into `$now`: the wait may have been long.
macro_rules! store {
    ($call:expr, $now:ident) => {{
        let call: StoreCall = $call;
        if call.may_block() {
            let answer = DriverTask::store_off_thread(call).await;
            $now = OffsetDateTime::now_utc();
            answer
        } else {
            DriverTask::store_here(call)
        }
    }};
}

/// Why the driver's task ends while handles are left.
#[derive(Clone, Copy, Debug)]
enum Ended {
    /// The token store panicked.
    StorePanicked,
    /// A store call on the blocking pool was cancelled: the runtime is shutting down.
    ShutDown,
}

impl Ended {
    /// What the calls still waiting are told.
    fn error(self) -> DriverError {
        match self {
            Ended::StorePanicked => DriverError::StorePanicked,
            Ended::ShutDown => DriverError::Stopped,
        }
    }
}

/// A call waiting for its operation.
struct Waiting {
    reply: Reply,
    /// When the caller gives up (none for a limit too large to add to a date).
    give_up: Option<OffsetDateTime>,
    /// The limit `give_up` came from, for the error.
    limit: std::time::Duration,
}

struct DriverTask {
    engine: clerk_core::Client,
    http: HttpClient,
    /// The Frontend API's base URL, parsed once, and the last request URL built on it.
    base_url: BaseUrl,
    support: DriveSupport,
    operation_timeout: std::time::Duration,
    /// Operations callers wait for.
    waiting: BTreeMap<OpId, Waiting>,
    events: broadcast::Sender<Event>,
    /// A store error met while handling an event that completed no call (a failed save
    /// of a rotated token): the next call to complete reports it instead of its result,
    /// as the blocking driver does.
    unreported: Option<DriverError>,
}

impl DriverTask {
    async fn run(mut self, mut rx: mpsc::Receiver<Message>) {
        // The request on the wire (one at a time), pinned in place in this task's own
        // future: one slot reused by every request, where a boxed future would cost an
        // allocation and a free per request (the future is over a kilobyte, which glibc
        // serves from its slow large-chunk path).
        let mut in_flight = std::pin::pin!(None);
        let mut receiving = true;
        // One timer for the whole life of the task, moved only when the next wake-up
        // changes (a fresh timer per loop would be registered and dropped per message).
        let sleep = tokio::time::sleep(std::time::Duration::ZERO);
        tokio::pin!(sleep);
        let mut armed_for: Option<OffsetDateTime> = None;
        // The clock is read once per turn, when something wakes the task, and that reading
        // serves the whole turn (the engine, the request's limit, the timer).
        let mut now = OffsetDateTime::now_utc();
        loop {
            self.cancel_abandoned();
            let mut deadline = None;
            loop {
                match self.engine.poll_output() {
                    Output::Event(event) => {
                        // What the event changed is saved before anything else is done.
                        let saved = match self.support.save_for(&self.engine, &event) {
                            None => None,
                            Some(call) => match store!(call, now) {
                                Ok(answer) => Some(answer),
                                Err(ended) => return self.end(ended),
                            },
                        };
                        if self.dispatch(event, saved) {
                            in_flight.set(None);
                        }
                    }
                    Output::Request(outgoing) => {
                        // A request for an operation a caller waits on ends when the caller
                        // gives up, as in the blocking driver: an abandoned read must not
                        // hold the one request slot (and every later call) for as long as a
                        // slow server takes.
                        // (A limit after the request's own timeout would never be reached
                        // first: no timer is set for it.)
                        // (Not a sign-out's request, this call's or one cancelled
                        // earlier: cut short, the session would stay valid on the server.)
                        let limit = self
                            .waiting
                            .get(&outgoing.op)
                            .filter(|_| !self.engine.must_reach_server(outgoing.op))
                            .and_then(|waiting| waiting.give_up)
                            .map(|at| sleep_for(at, now))
                            .filter(|left| self.http.request_timeout.is_none_or(|own| *left < own))
                            .map(|left| tokio::time::Instant::now() + left);
                        let url = self.base_url.url_for(&outgoing.request);
                        let future = send(
                            self.http.client.clone(),
                            url,
                            outgoing,
                            self.engine.config().max_response_bytes(),
                            limit,
                        );
                        in_flight.set(Some(future));
                        break;
                    }
                    Output::Timeout(at) => {
                        deadline = Some(at);
                        break;
                    }
                    _ => break,
                }
            }
            let give_up = self.waiting.values().filter_map(|waiting| waiting.give_up).min();
            let wake = match (deadline, give_up) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            // The engine's queue too: a cancelled sign-out's request, waiting out a backoff,
            // is still to be sent when the last handle is gone.
            if !receiving && in_flight.is_none() && self.waiting.is_empty() && self.engine.is_quiescent() {
                return;
            }
            // The timer moves only to an earlier instant: one armed earlier than needed
            // wakes the task for nothing once and is then moved on, which costs less than
            // moving it on every call (each call's limit is later than the last one's).
            if let Some(at) = wake
                && armed_for.is_none_or(|armed| at < armed)
            {
                sleep.as_mut().reset(tokio::time::Instant::now() + sleep_for(at, now));
                armed_for = Some(at);
            }
            let sleeping = wake.is_some();
            let mut to_start = None;
            // In a fixed order (no random draw per turn): an answer first, as it frees the
            // one request slot, then the timer, then messages, so a stream of messages
            // (views from many tasks) cannot hold back an answer or a time limit.
            tokio::select! {
                biased;
                Sent { id, op, request, result, cut } = async { match in_flight.as_mut().as_pin_mut() { Some(f) => f.await, None => std::future::pending().await } }, if in_flight.is_some() => {
                    in_flight.set(None);
                    now = OffsetDateTime::now_utc();
                    self.support.record(&request, &result);
                    // Cut at its caller's limit: the operation ends now, with what it was
                    // being retried after, read before the cut itself counts as a failure.
                    let timed_out = if cut { self.waiting.remove(&op) } else { None }.map(|waiting| {
                        let error = DriverError::timeout_of(&self.engine, op, waiting.limit);
                        (waiting, error)
                    });
                    let _ = self.engine.handle_response(id, result, now);
                    if let Some((waiting, error)) = timed_out {
                        let _ = self.engine.cancel(op);
                        let _ = waiting.reply.send(Err(error));
                    }
                }
                () = &mut sleep, if sleeping => {
                    armed_for = None;
                    now = OffsetDateTime::now_utc();
                    self.engine.handle_timeout(now);
                    let expired: Vec<OpId> =
                        self.waiting.iter().filter(|(_, waiting)| waiting.give_up.is_some_and(|at| at <= now)).map(|(op, _)| *op).collect();
                    for op in expired {
                        let waiting = self.waiting.remove(&op);
                        let error = waiting.as_ref().map(|waiting| DriverError::timeout_of(&self.engine, op, waiting.limit));
                        let _ = self.engine.cancel(op);
                        if let (Some(waiting), Some(error)) = (waiting, error) {
                            let _ = waiting.reply.send(Err(error));
                        }
                    }
                }
                message = rx.recv(), if receiving => { now = OffsetDateTime::now_utc(); match message {
                    // Started below, outside the `select!`: its store calls may wait.
                    Some(Message::Run(command, within, reply)) => to_start = Some((command, within, reply)),
                    Some(Message::View(view)) => view(&self.engine),
                    Some(Message::Cancel(flow, reply)) => {
                        // The completions it queues reach their callers on the next turn.
                        let _ = reply.send(self.cancel_flow(flow));
                    }
                    None => {
                        // Every handle is gone, so no caller can still be waiting (a call
                        // borrows its handle): what is pending was abandoned (an email-link
                        // wait whose future was dropped). Cancel it rather than poll on for
                        // nobody; the task ends once the request on the wire is answered.
                        // (A cancelled sign-out's request still goes out: `Client::cancel`.)
                        receiving = false;
                        for op in std::mem::take(&mut self.waiting).into_keys() {
                            let _ = self.engine.cancel(op);
                        }
                    }
                }},
            }
            // A call starts outside the `select!`: a wait inside one of its branches would
            // keep the `select!`'s output (which can be an answer, body and all) in this
            // future across the wait, at the cost of a copy of it on every turn.
            if let Some((command, within, reply)) = to_start {
                // A call given up just before this one must not hold its flow against it.
                self.cancel_abandoned();
                if in_flight.is_none() && self.waiting.is_empty() {
                    // In step with the store first (see `DriveSupport::sync_from_store`).
                    let mut synced = Ok(());
                    let mut next = self.support.begin_sync(&self.engine);
                    while let Some(call) = next {
                        let answer = match store!(call, now) {
                            Ok(answer) => answer,
                            Err(ended) => {
                                let _ = reply.send(Err(ended.error()));
                                return self.end(ended);
                            }
                        };
                        next = self.support.resume_sync(&mut self.engine, answer).unwrap_or_else(|error| {
                            synced = Err(error);
                            None
                        });
                    }
                    self.publish_told_events();
                    if let Err(error) = synced {
                        let _ = reply.send(Err(error));
                        continue;
                    }
                    // A failed save not yet reported was made good: nothing to tell.
                    if !self.support.has_unsaved_state() {
                        self.unreported = None;
                    }
                }
                match self.engine.submit(*command, now) {
                    Ok(op) => {
                        let limit = within.unwrap_or(self.operation_timeout);
                        // A limit too large to add to a date is no limit.
                        let give_up = Duration::try_from(limit).ok().and_then(|limit| now.checked_add(limit));
                        self.waiting.insert(op, Waiting { reply, give_up, limit });
                    }
                    Err(error) => {
                        let _ = reply.send(Err(error.into()));
                    }
                }
            }
        }
    }

    /// Cancels the operations whose callers gave up (dropped the call's future: a
    /// `select!` that took another branch, a timeout around the call). Nobody will read
    /// their results, and each would hold its flow ([`CommandError::Busy`]) until its time
    /// limit, an email-link wait for many minutes. An answer already on the wire still
    /// counts for what it says about identity, as with [`Clerk::cancel`].
    ///
    /// [`CommandError::Busy`]: clerk_core::CommandError::Busy
    fn cancel_abandoned(&mut self) {
        // Nearly always no one gave up: one look per waiting call, nothing allocated.
        if !self.waiting.values().any(|waiting| waiting.reply.is_closed()) {
            return;
        }
        let abandoned: Vec<OpId> =
            self.waiting.iter().filter(|(_, waiting)| waiting.reply.is_closed()).map(|(op, _)| *op).collect();
        for op in abandoned {
            // (A sign-out's request still goes to the server: `Client::cancel` keeps it.)
            self.waiting.remove(&op);
            let _ = self.engine.cancel(op);
        }
    }

    /// Makes one call of a store that never blocks (the memory store) here, in the task.
    /// A store that panicked ends the task.
    fn store_here(call: StoreCall) -> Result<StoreAnswer, Ended> {
        // `AssertUnwindSafe`: after a panic the task ends, so nothing the call may have left
        // half-changed is used again: the engine and the glue go with the task, and this
        // driver never calls the store again. (A panic on the blocking pool, which tokio
        // catches, ends the task the same way.)
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || call.run())).map_err(|_| Ended::StorePanicked)
    }

    /// Makes one call of a store that may block on tokio's blocking thread pool, and waits
    /// for its answer. A store that panicked ends the task.
    async fn store_off_thread(call: StoreCall) -> Result<StoreAnswer, Ended> {
        tokio::task::spawn_blocking(move || call.run())
            .await
            .map_err(|error| if error.is_panic() { Ended::StorePanicked } else { Ended::ShutDown })
    }

    /// Ends the task early: every call waiting gets `ended`'s error. The calls whose
    /// messages are still queued get [`DriverError::Stopped`] as the queue is dropped with
    /// the task, and so do later calls; subscribers see their channel close, since only the
    /// task holds it.
    fn end(&mut self, ended: Ended) {
        tracing::error!("{}", ended.error());
        for (_, waiting) in std::mem::take(&mut self.waiting) {
            let _ = waiting.reply.send(Err(ended.error()));
        }
    }

    /// Cancels every pending operation that holds `flow` (usually one). Returns whether
    /// there was any.
    fn cancel_flow(&mut self, flow: Flow) -> Result<bool, DriverError> {
        let mut cancelled: Vec<OpId> = Vec::new();
        while let Some(op) = self.engine.pending_operation(flow) {
            // The engine forgets a cancelled operation; should it ever name the same one
            // again, stop rather than loop.
            if cancelled.contains(&op) {
                break;
            }
            self.engine.cancel(op)?;
            cancelled.push(op);
        }
        Ok(!cancelled.is_empty())
    }

    /// Passes on to subscribers what the store glue told the listeners around an adopted
    /// shared state (the listeners have heard it already).
    fn publish_told_events(&mut self) {
        let told = self.support.take_told_events();
        // Usually none: then not even the channel's receiver count (a lock) is read.
        if !told.is_empty() && self.events.receiver_count() > 0 {
            for event in told {
                let _ = self.events.send(event);
            }
        }
    }

    /// Handles one event, given the answer to the save it asked for
    /// ([`DriveSupport::save_for`]). Returns `true` when the engine was replaced by a newer
    /// shared state: every waiting call then ends with [`DriverError::StateReplaced`] and
    /// the request on the wire (the old engine's) must be forgotten.
    fn dispatch(&mut self, event: Event, saved: Option<StoreAnswer>) -> bool {
        let op = match &event {
            Event::OperationCompleted { op, .. } => Some(*op),
            _ => None,
        };
        let outcome = self.support.finish_event(&mut self.engine, &event, op, saved);
        // Nobody subscribed: nothing to send (and `send` would only hand the event back).
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(event);
        }
        self.publish_told_events();
        if matches!(outcome, Err(DriverError::StateReplaced)) {
            for (_, waiting) in std::mem::take(&mut self.waiting) {
                let _ = waiting.reply.send(Err(DriverError::StateReplaced));
            }
            return true;
        }
        let reply = op.and_then(|op| self.waiting.remove(&op));
        match (reply, outcome) {
            (Some(Waiting { reply, give_up, limit, .. }), outcome) => {
                let result = match (self.unreported.take(), outcome) {
                    (Some(error), _) | (None, Err(error)) => Err(error),
                    // The request was cut short at the caller's limit (see `send`): the
                    // operation ran out of the caller's time, not the request its own.
                    (None, Ok(Some(Err(OperationError::Transport(TransportError::Timeout(_))))))
                        if give_up.is_some_and(|at| OffsetDateTime::now_utc() >= at) =>
                    {
                        Err(DriverError::Timeout { limit, retrying_after: None })
                    }
                    (None, Ok(Some(outcome))) => completion(outcome),
                    (None, Ok(None)) => Err(DriverError::Stopped),
                };
                let _ = reply.send(result);
            }
            (None, Err(error)) => self.unreported = Some(error),
            (None, Ok(_)) => {}
        }
        false
    }
}

/// Sends one request and reads its answer, within the size limit. Hands the request back
/// with the answer, for the transcript.
/// A request sent, and what came of it.
struct Sent {
    id: RequestId,
    /// The operation it was sent for.
    op: OpId,
    /// The request, handed back for the transcript.
    request: HttpRequest,
    result: Result<HttpResponse, TransportError>,
    /// It was cut short at its caller's limit.
    cut: bool,
}

async fn send(
    http: reqwest::Client,
    url: Result<reqwest::Url, TransportError>,
    outgoing: clerk_core::Outgoing,
    limit: usize,
    give_up: Option<tokio::time::Instant>,
) -> Sent {
    let span = tracing::info_span!(
        "clerk.request",
        kind = outgoing.kind.name(),
        id = outgoing.id.0,
        attempt = outgoing.attempt,
        status = tracing::field::Empty
    );
    let exchange = send_inner(&http, url, &outgoing.request, limit).instrument(span.clone());
    let (result, cut) = match give_up {
        Some(at) => match tokio::time::timeout_at(at, exchange).await {
            Ok(result) => (result, false),
            Err(_) => (Err(TransportError::Timeout(String::from("the operation's time limit was reached"))), true),
        },
        None => (exchange.await, false),
    };
    if let Ok(response) = &result {
        span.record("status", response.status);
    }
    Sent { id: outgoing.id, op: outgoing.op, request: outgoing.request, result, cut }
}

async fn send_inner(
    http: &reqwest::Client,
    url: Result<reqwest::Url, TransportError>,
    request: &HttpRequest,
    limit: usize,
) -> Result<HttpResponse, TransportError> {
    // Built directly (not through `http::Request`, whose URI reqwest would print and parse
    // again), on the URL the task built on the base URL parsed once.
    let method = reqwest::Method::from(request.method);
    let url = url?;
    let mut http_request = reqwest::Request::new(method, url);
    let headers = http_request.headers_mut();
    for field in &request.headers {
        let name = reqwest::header::HeaderName::from_bytes(field.name.as_bytes())
            .map_err(|_| TransportError::Other(format!("invalid header name {:?}", field.name)))?;
        let value = reqwest::header::HeaderValue::from_str(field.value.expose())
            .map_err(|_| TransportError::Other(format!("invalid value for header {:?}", field.name)))?;
        headers.append(name, value);
    }
    if request.form.is_some() {
        *http_request.body_mut() = Some(request.body().into());
    }
    let mut response = http.execute(http_request).await.map_err(transport_error)?;
    let status = response.status().as_u16();
    let headers: Vec<clerk_core::Field> = response
        .headers()
        .iter()
        .map(|(name, value)| HttpResponse::header_field_from_bytes(name.as_str(), value.as_bytes()))
        .collect();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            // Read no further: one byte past the limit goes to the engine with the status
            // and headers, which fails it as too large and keeps the client token its
            // `Authorization` header may have rotated (decision 0018).
            body.truncate(limit.saturating_add(1));
            break;
        }
    }
    Ok(HttpResponse { status, headers, body })
}

fn transport_error(error: reqwest::Error) -> TransportError {
    // reqwest's message names the request's URL, whose query may hold a secret
    // (`rotating_token_nonce`): the error keeps its kind and cause, not the URL.
    let error = error.without_url();
    let message = with_causes(&error);
    if error.is_timeout() {
        TransportError::Timeout(message)
    } else if error.is_connect() {
        TransportError::Connect(message)
    } else if error.is_body() || error.is_request() || error.is_decode() {
        TransportError::Io(message)
    } else {
        TransportError::Other(message)
    }
}

/// The error's message followed by its causes (`error sending request: client error
/// (Connect): tcp connect error: Connection refused (os error 111)`): reqwest's own message
/// only names the stage, the causes say what went wrong (refused, DNS, TLS). The causes
/// are hyper's and the OS's; none of them names the URL.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let text = inner.to_string();
        // Some layers repeat their cause's text in their own message.
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = inner.source();
    }
    message
}
