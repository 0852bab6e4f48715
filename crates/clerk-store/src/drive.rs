//! What both drivers do around the engine: persisting on `ClientTokenChanged`, recording
//! transcripts, turning deadlines into sleeps, and the error type callers see. The drivers
//! only move bytes and sleep.
//!
//! What to read from or write to the token store, and what to make of the answer, is
//! decided here, once. The store's calls themselves are [`StoreCall`]s that a driver may
//! make where it likes: the blocking driver through the plain methods
//! ([`DriveSupport::sync_from_store`], [`DriveSupport::on_event`]), which make them on the
//! calling thread, the async driver through their halves
//! ([`begin_sync`](DriveSupport::begin_sync)/[`resume_sync`](DriveSupport::resume_sync),
//! [`save_for`](DriveSupport::save_for)/[`finish_event`](DriveSupport::finish_event)),
//! making the calls of a store that [may block](TokenStore::may_block) off the runtime's
//! threads.

use std::sync::{Arc, Mutex};

use clerk_core::secret::ClientToken;
use clerk_core::{
    Client, ClientConfig, Command, CommandError, Completion, Event, HttpRequest, HttpResponse, OpId, OperationError,
    Outcome, PersistedState, ResponseError, TransportError,
};
use time::OffsetDateTime;

use crate::{StoreError, StorePeek, TokenStore, TranscriptWriter};

/// One call of the token store that a [`DriveSupport`] needs made before it can go on.
/// It owns what it needs (the store, the state to save), so a driver can make it on another
/// thread: [`run`](Self::run) it, on a thread that may wait when
/// [`may_block`](Self::may_block) says so, and hand the [`StoreAnswer`] back to the method
/// that asked for the call. Its `Debug` names the call, never the state.
#[must_use = "a store call does nothing until it is run and its answer handed back"]
pub struct StoreCall {
    store: Arc<dyn TokenStore>,
    op: StoreOp,
}

/// What a [`StoreCall`] does.
enum StoreOp {
    /// [`TokenStore::peek`]: the check before a call.
    Peek,
    /// [`TokenStore::load`]: another process's state, to continue from.
    Load,
    /// [`TokenStore::save`] of the engine's state.
    Save(Box<PersistedState>),
    /// [`TokenStore::clear`]: nothing left to keep.
    Clear,
}

impl StoreOp {
    fn name(&self) -> &'static str {
        match self {
            StoreOp::Peek => "peek",
            StoreOp::Load => "load",
            StoreOp::Save(_) => "save",
            StoreOp::Clear => "clear",
        }
    }
}

impl std::fmt::Debug for StoreCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("StoreCall").field(&self.op.name()).finish()
    }
}

impl StoreCall {
    fn new(store: &Arc<dyn TokenStore>, op: StoreOp) -> Self {
        StoreCall { store: Arc::clone(store), op }
    }

    /// Whether the call may keep its thread waiting (the store's
    /// [`TokenStore::may_block`]).
    #[must_use]
    pub fn may_block(&self) -> bool {
        self.store.may_block()
    }

    /// Makes the call on this thread. A panic in the store unwinds from here.
    pub fn run(self) -> StoreAnswer {
        StoreAnswer(match self.op {
            StoreOp::Peek => Answer::Peek(self.store.peek()),
            StoreOp::Load => Answer::Load(self.store.load().map(|state| state.map(Box::new))),
            StoreOp::Save(state) => {
                let result = self.store.save(&state);
                Answer::Written { token: state.client_token, result }
            }
            StoreOp::Clear => Answer::Written { token: None, result: self.store.clear() },
        })
    }
}

/// What a [`StoreCall`] found, for the [`DriveSupport`] method that asked for the call.
/// Its `Debug` names the call and whether it succeeded, never the state.
#[must_use = "a store answer must be handed back to the DriveSupport that asked for it"]
pub struct StoreAnswer(Answer);

enum Answer {
    Peek(Result<StorePeek, StoreError>),
    /// Boxed: the state is large, and a load is rare (another process changed the client).
    Load(Result<Option<Box<PersistedState>>, StoreError>),
    /// A save or a clear, and the client token the store then holds when it succeeded.
    Written {
        token: Option<ClientToken>,
        result: Result<(), StoreError>,
    },
}

impl std::fmt::Debug for StoreAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (call, ok) = match &self.0 {
            Answer::Peek(result) => ("peek", result.is_ok()),
            Answer::Load(result) => ("load", result.is_ok()),
            Answer::Written { result, .. } => ("written", result.is_ok()),
        };
        f.debug_struct("StoreAnswer").field("call", &call).field("ok", &ok).finish()
    }
}

/// Why a driver call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The engine refused the command (nothing was sent).
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The operation failed (an API error, a transport error after retries, …).
    #[error(transparent)]
    Operation(#[from] OperationError),
    /// The operation did not complete within the driver's time limit for it (the
    /// operation timeout, or the call's own); it was cancelled.
    #[error("the operation did not complete within {limit:?}{}", RetryingNote(retrying_after.as_deref()))]
    Timeout {
        /// The limit that was reached.
        limit: std::time::Duration,
        /// Why the operation's last request was being tried again when the limit came (a
        /// 503, a 429, a dropped connection), if it was: the cause behind the timeout
        /// ([`Client::retrying_after`](clerk_core::Client::retrying_after)).
        retrying_after: Option<Box<OperationError>>,
    },
    /// The token store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine refused an answer (a driver bug: an unknown request id).
    #[error(transparent)]
    Engine(#[from] ResponseError),
    /// The persisted state could not be restored.
    #[error(transparent)]
    Restore(#[from] clerk_core::RestoreError),
    /// The driver's configuration is not usable.
    #[error("invalid driver configuration: {0}")]
    Config(String),
    /// The driver's background task is gone (async driver only).
    #[error("the driver has stopped")]
    Stopped,
    /// The token store panicked (a bug in a store of the app's own), so the async driver's
    /// task ended: the calls waiting for it at that moment get this error, later calls
    /// [`Stopped`](Self::Stopped), and subscribers see their channel close. What the store
    /// holds is whatever the panic left. (In the blocking driver a store's panic unwinds
    /// into the call that made it, as any panic on the calling thread does.)
    #[error("the token store panicked; the driver has stopped")]
    StorePanicked,
    /// Another process sharing the token store changed the client (rotated its token or
    /// signed out) while this call was answered: the engine now continues from the shared
    /// state and this call's result was discarded. Retry the call if it still matters.
    #[error("another process changed the shared client state; this call's result was discarded")]
    StateReplaced,
}

/// The end of a [`DriverError::Timeout`]'s message: what was being retried, if anything.
struct RetryingNote<'a>(Option<&'a OperationError>);

impl std::fmt::Display for RetryingNote<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(cause) => write!(f, " (it was being retried after: {cause})"),
            None => Ok(()),
        }
    }
}

impl DriverError {
    /// A [`Timeout`](Self::Timeout) of `op` at `limit`, with what the engine says `op` is
    /// being retried after. Read it before cancelling `op`, which forgets it.
    #[must_use]
    pub fn timeout_of(engine: &Client, op: OpId, limit: std::time::Duration) -> Self {
        DriverError::Timeout { limit, retrying_after: engine.retrying_after(op).cloned().map(Box::new) }
    }

    /// The Frontend API error, if this is one.
    #[must_use]
    pub fn api(&self) -> Option<&clerk_core::ApiError> {
        match self {
            DriverError::Operation(error) => error.api(),
            _ => None,
        }
    }

    /// The HTTP status of the answer that failed the call, when there was one
    /// ([`OperationError::http_status`](clerk_core::OperationError::http_status)); for a
    /// [`Timeout`](Self::Timeout), that of the answer it was being retried after (a 503, a
    /// proxy's 502 page).
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        match self {
            DriverError::Operation(error) => error.http_status(),
            DriverError::Timeout { retrying_after: Some(cause), .. } => cause.http_status(),
            _ => None,
        }
    }
}

/// How long an operation may take before a driver cancels it, by default.
pub const DEFAULT_OPERATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// The drivers' default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The drivers' default timeout of one request (connect, send, receive).
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What both drivers' builders collect: the engine configuration, the glue around the
/// engine, and the timeouts. A builder holds it as its `settings` field and gets its common
/// methods from [`shared_builder_methods!`](crate::shared_builder_methods).
#[derive(Debug)]
pub struct DriverSettings {
    /// The engine configuration.
    pub config: ClientConfig,
    /// The store, transcript and listeners.
    pub support: DriveSupport,
    /// How long one operation may take before it is cancelled.
    pub operation_timeout: std::time::Duration,
    /// The HTTP client's connect timeout.
    pub connect_timeout: std::time::Duration,
    /// The HTTP client's timeout of one request.
    pub request_timeout: std::time::Duration,
    /// What the app adds before the driver's own `User-Agent` product
    /// ([`user_agent`](Self::user_agent)); `None` sends the driver's alone.
    pub app_user_agent: Option<String>,
}

impl DriverSettings {
    /// Settings for this engine configuration, with the default timeouts.
    #[must_use]
    pub fn new(config: ClientConfig) -> Self {
        let support = DriveSupport::new(config.base_url());
        DriverSettings {
            config,
            support,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            app_user_agent: None,
        }
    }

    /// The `User-Agent` the HTTP client the driver builds sends: `driver` (its own product,
    /// such as `clerk-ureq/0.1.0`), after the app's product when it named one
    /// (`MyApp/2.1 clerk-ureq/0.1.0`). The Frontend API records it with each session, for
    /// the list of a user's devices (`SessionActivity`), and a request without one looks
    /// like a bot to some proxies.
    ///
    /// # Errors
    /// [`DriverError::Config`] when the app's product holds a control character (a line
    /// break, say), which no header value may: refused here, before any request, as some
    /// HTTP libraries would otherwise fail (or panic) on every request.
    pub fn user_agent(&self, driver: &str) -> Result<String, DriverError> {
        let Some(app) = self.app_user_agent.as_deref().map(str::trim).filter(|app| !app.is_empty()) else {
            return Ok(driver.to_owned());
        };
        if app.chars().any(|c| (c.is_control() && c != '\t') || c == '\u{7f}') {
            return Err(DriverError::Config(format!("the user agent {app:?} holds a control character")));
        }
        Ok(format!("{app} {driver}"))
    }

    /// Settings for the instance a publishable key names.
    ///
    /// # Errors
    /// An invalid key.
    pub fn from_publishable_key(key: &str) -> Result<Self, DriverError> {
        let config = ClientConfig::from_publishable_key(key).map_err(|e| DriverError::Config(e.to_string()))?;
        Ok(DriverSettings::new(config))
    }

    /// Settings for a Frontend API at `base_url` (a local mock).
    ///
    /// # Errors
    /// An invalid URL.
    pub fn for_base_url(base_url: &str) -> Result<Self, DriverError> {
        let config = ClientConfig::for_base_url(base_url, clerk_core::InstanceType::Development)
            .map_err(|e| DriverError::Config(e.to_string()))?;
        Ok(DriverSettings::new(config))
    }
}

/// The builder methods both drivers share, for an `impl` block of a builder struct with a
/// `settings: DriverSettings` field: `config`, `store`, `transcript`, `on_exchange`,
/// `on_event`, `operation_timeout`, `user_agent` and `timeouts`. Every duration a driver takes from its user is a
/// `std::time::Duration` (never negative, and what an app already has at hand); the engine's
/// own `time::Duration`s stay inside.
#[macro_export]
macro_rules! shared_builder_methods {
    () => {
        /// The engine configuration the driver will run with: the instance's host (for a
        /// [`FileStore`](clerk_store::FileStore), through
        /// [`FileStore::for_config`](clerk_store::FileStore::for_config)), its base URL,
        /// its limits.
        #[must_use]
        pub fn config(&self) -> &::clerk_core::ClientConfig {
            &self.settings.config
        }

        /// Persists (and restores) the engine state through `store`.
        #[must_use]
        pub fn store(mut self, store: ::std::sync::Arc<dyn $crate::TokenStore>) -> Self {
            self.settings.support.set_store(store);
            self
        }

        /// Records every exchange to `transcript`.
        #[must_use]
        pub fn transcript(mut self, transcript: $crate::TranscriptWriter) -> Self {
            self.settings.support.set_transcript(transcript);
            self
        }

        /// Calls `listener` with every exchange (request and answer), e.g. to show progress:
        /// a closure `|request, answer| …`.
        #[must_use]
        pub fn on_exchange(
            mut self,
            listener: impl FnMut(
                &::clerk_core::HttpRequest,
                &::std::result::Result<::clerk_core::HttpResponse, ::clerk_core::TransportError>,
            ) + Send
            + 'static,
        ) -> Self {
            self.settings.support.add_exchange_listener(::std::boxed::Box::new(listener));
            self
        }

        /// Calls `listener` (a closure `|event| …`) with every engine event, on whatever
        /// drives the engine (the calling thread, or the async driver's task): keep it quick.
        #[must_use]
        pub fn on_event(mut self, listener: impl FnMut(&::clerk_core::Event) + Send + 'static) -> Self {
            self.settings.support.add_listener(::std::boxed::Box::new(listener));
            self
        }

        /// How long one operation may take before it is cancelled (default 60 s). A limit
        /// too long to add to a date is no limit.
        #[must_use]
        pub fn operation_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.settings.operation_timeout = timeout;
            self
        }

        /// Names the app in the `User-Agent` the driver's HTTP client sends, before the
        /// driver's own product: `MyApp/2.1` gives `MyApp/2.1 clerk-ureq/0.1.0`. Clerk shows
        /// it in the user's list of devices. (An app's own `reqwest::Client` sends its own.)
        /// A product holding a control character fails the build with
        /// `DriverError::Config`.
        #[must_use]
        pub fn user_agent(mut self, product: impl Into<String>) -> Self {
            self.settings.app_user_agent = Some(product.into());
            self
        }

        /// Connect and per-request timeouts of the HTTP client the driver builds (defaults
        /// 10 s and 30 s).
        #[must_use]
        pub fn timeouts(mut self, connect: ::std::time::Duration, request: ::std::time::Duration) -> Self {
            self.settings.connect_timeout = connect;
            self.settings.request_timeout = request;
            self
        }
    };
}

/// A listener for engine events.
pub type EventListener = Box<dyn FnMut(&Event) + Send>;

/// A listener for exchanges (a request and its answer), e.g. to show progress. Secrets are
/// marked in both; print them only through their redacting `Debug`/`shown` forms.
pub type ExchangeListener = Box<dyn FnMut(&HttpRequest, &Result<HttpResponse, TransportError>) + Send>;

/// Runs a caller's listener so that its panic does not unwind through the drive loop: the
/// driver would stop in the middle of an operation (the async driver's task for good, the
/// blocking driver with a request answered but never applied). The panic is reported through
/// `tracing` (and the panic hook has printed it) and the drive goes on; the listener stays.
fn contain_panic(what: &str, listener: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(listener)).is_err() {
        tracing::error!("{what} panicked; the driver goes on");
    }
}

/// The glue both drivers share: the store, the transcript and the event listeners.
///
/// Each step that may need the store comes whole, making the store's calls on the calling
/// thread ([`sync_from_store`](Self::sync_from_store), [`on_event`](Self::on_event)), and in
/// halves that name the [`StoreCall`] to make and take its [`StoreAnswer`], for a driver
/// that makes the call elsewhere (the async driver, on tokio's blocking pool). Both forms
/// decide the same: what to read and write, and what an answer means.
pub struct DriveSupport {
    store: Option<Arc<dyn TokenStore>>,
    transcript: Option<Mutex<TranscriptWriter>>,
    listeners: Vec<EventListener>,
    exchange_listeners: Vec<ExchangeListener>,
    /// Events told to the listeners here rather than through the driver's dispatch (around
    /// an adopted shared state), for a driver with subscribers of its own to pass on; kept
    /// only when `keep_told` says it takes them.
    told: Vec<Event>,
    keep_told: bool,
    base_url: String,
    /// The client token the store held when this driver last read or wrote it (`None`:
    /// not known yet). A store that still holds it was changed by nobody else, so a token
    /// that differs from the engine's there means this driver's own save failed, not that
    /// another process rotated the token.
    seen_in_store: Option<Option<ClientToken>>,
    /// The last save failed: the store holds an older state than the engine.
    unsaved: bool,
    /// The last save met another process's state that this engine's own request has since
    /// made obsolete (see [`written`](Self::written)): save at the next event, whatever it
    /// changed, rather than wait for the next call.
    save_again: bool,
}

impl std::fmt::Debug for DriveSupport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriveSupport")
            .field("store", &self.store.is_some())
            .field("transcript", &self.transcript.is_some())
            .field("listeners", &self.listeners.len())
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl DriveSupport {
    /// Glue for an engine talking to `base_url`.
    #[must_use]
    pub fn new(base_url: String) -> Self {
        DriveSupport {
            store: None,
            transcript: None,
            listeners: Vec::new(),
            exchange_listeners: Vec::new(),
            told: Vec::new(),
            keep_told: false,
            base_url,
            seen_in_store: None,
            unsaved: false,
            save_again: false,
        }
    }

    /// The base URL requests are sent to.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Persists the engine's state to `store` whenever what a restart must find changes
    /// (see [`on_event`](Self::on_event)).
    pub fn set_store(&mut self, store: Arc<dyn TokenStore>) {
        self.store = Some(store);
    }

    /// Records every exchange to `transcript`.
    pub fn set_transcript(&mut self, transcript: TranscriptWriter) {
        self.transcript = Some(Mutex::new(transcript));
    }

    /// Adds an event listener.
    pub fn add_listener(&mut self, listener: EventListener) {
        self.listeners.push(listener);
    }

    /// Adds an exchange listener.
    pub fn add_exchange_listener(&mut self, listener: ExchangeListener) {
        self.exchange_listeners.push(listener);
    }

    /// Builds the engine: restored from the store when it holds a state for this host,
    /// else new.
    ///
    /// # Errors
    /// A configuration in browser mode or a store for another host than `config`'s
    /// ([`begin_start`](Self::begin_start): nothing read), a store error, or a stored state
    /// the engine refuses.
    pub fn start_engine(
        &mut self,
        config: clerk_core::ClientConfig,
        now: OffsetDateTime,
    ) -> Result<Client, DriverError> {
        let answer = self.begin_start(&config)?.map(StoreCall::run);
        self.finish_start(config, answer, now)
    }

    /// The store's call [`start_engine`](Self::start_engine) makes (the load), for a driver
    /// that makes it elsewhere (the async driver's `build_async`, on tokio's blocking
    /// pool); `None` without a store. Hand its answer to
    /// [`finish_start`](Self::finish_start).
    ///
    /// # Errors
    /// [`DriverError::Config`] for a configuration in browser mode (the drivers keep no
    /// cookies), or a store for another host than `config`'s
    /// ([`check_store_host`](Self::check_store_host)), with no call named.
    pub fn begin_start(&self, config: &ClientConfig) -> Result<Option<StoreCall>, DriverError> {
        if !config.mode().is_native() {
            // The drivers keep no cookies: in browser mode nothing would say which client
            // a request is for, and every answer would be about a brand-new one.
            return Err(DriverError::Config(String::from(
                "the drivers speak the native protocol (a client token); browser mode needs the browser's \
                 cookies: drive the engine with the browser's fetch instead (README, \"wasm front end\")",
            )));
        }
        self.check_store_host(config)?;
        Ok(self.call(StoreOp::Load))
    }

    /// Refuses a store that keeps the client state of another Frontend API host than the
    /// one `config` talks to ([`TokenStore::frontend_api_host`]; a store that names none,
    /// such as [`MemoryStore`](crate::MemoryStore), is taken). Without this, such a store
    /// would be found out at the first save, after a sign-in the server had accepted: the
    /// engine signed in in memory, the call failing, nothing kept for the next run.
    /// [`start_engine`](Self::start_engine) and [`begin_start`](Self::begin_start) check
    /// it first, before the store is read.
    ///
    /// # Errors
    /// [`DriverError::Config`] naming both hosts and how to build the right store.
    pub fn check_store_host(&self, config: &ClientConfig) -> Result<(), DriverError> {
        let driver_host = config.frontend_api_host();
        match self.store.as_deref().and_then(TokenStore::frontend_api_host) {
            Some(store_host) if store_host != driver_host => Err(DriverError::Config(format!(
                "the token store keeps the client state of Frontend API host {store_host:?}, but this driver \
                 talks to {driver_host:?} (its configuration's host), and a client token for one instance \
                 never goes to another; nothing was read or sent. Build the store from the driver's \
                 configuration, `FileStore::for_config(dir, &config)`, or pass `FileStore::new` the \
                 configuration's `frontend_api_host()`, {driver_host:?}"
            ))),
            _ => Ok(()),
        }
    }

    /// Builds the engine from the answer to [`begin_start`](Self::begin_start)'s call
    /// (`None` when it named none): restored from the stored state for this host, else new.
    ///
    /// # Errors
    /// A store error, or a stored state the engine refuses.
    pub fn finish_start(
        &mut self,
        config: clerk_core::ClientConfig,
        answer: Option<StoreAnswer>,
        now: OffsetDateTime,
    ) -> Result<Client, DriverError> {
        let stored = match answer.map(|answer| answer.0) {
            None => None,
            Some(Answer::Load(loaded)) => loaded?.map(|state| *state),
            Some(Answer::Peek(_) | Answer::Written { .. }) => {
                return Err(DriverError::Config(String::from(
                    "the engine was started from a store call other than its load",
                )));
            }
        };
        if self.store.is_some() {
            self.seen_in_store = Some(stored.as_ref().and_then(|state| state.client_token.clone()));
        }
        match stored {
            Some(state) => Ok(Client::restore(config, state, now)?),
            None => Ok(Client::new(config, now)),
        }
    }

    /// Records one exchange in the transcript, if one is kept, and tells the exchange
    /// listeners.
    pub fn record(&mut self, request: &HttpRequest, result: &Result<HttpResponse, TransportError>) {
        for listener in &mut self.exchange_listeners {
            contain_panic("an exchange listener", || listener(request, result));
        }
        if let Some(transcript) = &self.transcript
            && let Ok(writer) = transcript.lock()
        {
            // A transcript is a diagnostic: failing to write one never fails the call.
            let _ = writer.record(request, &self.base_url, result);
        }
    }

    /// Handles one event: persists the engine's state when the event changed what a
    /// restart must find (the client token, the sessions, the active session, a
    /// sign-out), tells the listeners, and returns the outcome when it completes `op`.
    /// The store's call is made on this thread.
    ///
    /// # Errors
    /// A store error while persisting (the listeners have still been told), or
    /// [`DriverError::StateReplaced`] when persisting found a newer shared state and the
    /// engine was replaced by it (the pending operations went with the old engine).
    pub fn on_event(
        &mut self,
        engine: &mut Client,
        event: &Event,
        op: Option<OpId>,
    ) -> Result<Option<Outcome>, DriverError> {
        let saved = self.save_for(engine, event).map(StoreCall::run);
        self.finish_event(engine, event, op, saved)
    }

    /// The first half of [`on_event`](Self::on_event), for a driver that makes the store's
    /// calls itself: the call that saves what `event` changed, `None` when it changed
    /// nothing a restart must find (or there is no store). Hand its answer, or `None`, to
    /// [`finish_event`](Self::finish_event) before the engine's next output.
    #[must_use]
    pub fn save_for(&self, engine: &Client, event: &Event) -> Option<StoreCall> {
        if event.changes_saved_identity() || self.save_again { self.save_call(engine) } else { None }
    }

    /// The second half of [`on_event`](Self::on_event): takes the answer to the call
    /// [`save_for`](Self::save_for) named (`None` when it named none), tells the listeners,
    /// and returns the outcome when `event` completes `op`.
    ///
    /// # Errors
    /// As [`on_event`](Self::on_event).
    pub fn finish_event(
        &mut self,
        engine: &mut Client,
        event: &Event,
        op: Option<OpId>,
        saved: Option<StoreAnswer>,
    ) -> Result<Option<Outcome>, DriverError> {
        let persisted = match saved {
            Some(answer) => self.saved(engine, answer),
            None => Ok(false),
        };
        for listener in &mut self.listeners {
            contain_panic("an event listener", || listener(event));
        }
        if persisted? {
            return Err(DriverError::StateReplaced);
        }
        Ok(match event {
            Event::OperationCompleted { op: done, outcome } if Some(*done) == op => Some(outcome.clone()),
            _ => None,
        })
    }

    /// Continues from another process's saved state (or from nothing). The listeners first
    /// hear the rest of the step the old engine was reporting (a save conflict can come in
    /// the middle of one), then what changed between that and the shared state. None of
    /// these events is saved: the shared state is what the store holds, and writing it back
    /// would only make the other process's next save a conflict.
    fn adopt(&mut self, engine: &mut Client, shared: Option<PersistedState>) -> Result<(), DriverError> {
        while let Some(event) = engine.poll_event() {
            self.tell(event);
        }
        let now = engine.now();
        engine.adopt(shared, now)?;
        while let Some(event) = engine.poll_event() {
            self.tell(event);
        }
        Ok(())
    }

    /// Tells the listeners one event outside the driver's dispatch, and keeps it for
    /// [`take_told_events`](Self::take_told_events).
    fn tell(&mut self, event: Event) {
        for listener in &mut self.listeners {
            contain_panic("an event listener", || listener(&event));
        }
        if self.keep_told {
            self.told.push(event);
        }
    }

    /// A driver that passes events on to subscribers of its own calls this once, then takes
    /// them with [`take_told_events`](Self::take_told_events).
    pub fn keep_told_events(&mut self) {
        self.keep_told = true;
    }

    /// The events told to the listeners around an adopted shared state since the last call,
    /// for a driver that passes events on to subscribers of its own.
    pub fn take_told_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.told)
    }

    /// Whether the last save failed (and has not been made good by a later one).
    #[must_use]
    pub fn has_unsaved_state(&self) -> bool {
        self.unsaved
    }

    /// Before a call: when another process sharing the store changed the client (a
    /// rotated token, a sign-out) and this engine is idle, continue from the shared state,
    /// so this process never presents a token the server has rotated away. When instead
    /// the store still holds what this driver last saw there and this driver's last save
    /// failed, the engine's state is the newer one, and it is saved again. Should that save
    /// fail too (a read-only or full disk), the call goes on all the same (reported through
    /// `tracing`; the state stays marked unsaved): a store that cannot be written must not
    /// lock the user in, least of all out of signing out. The call's own saves report.
    /// The store's calls are made on this thread.
    ///
    /// # Errors
    /// A store error (the engine is left as it was), or a shared state the engine refuses.
    pub fn sync_from_store(&mut self, engine: &mut Client) -> Result<(), DriverError> {
        let mut next = self.begin_sync(engine);
        while let Some(call) = next {
            next = self.resume_sync(engine, call.run())?;
        }
        Ok(())
    }

    /// [`sync_from_store`](Self::sync_from_store) for a driver that makes the store's calls
    /// itself: the first call to make, `None` when there is nothing to do (no store, or an
    /// engine with work under way). Hand each call's answer to
    /// [`resume_sync`](Self::resume_sync), which names the next call, until it names none;
    /// the engine must take no command meanwhile.
    #[must_use]
    pub fn begin_sync(&self, engine: &Client) -> Option<StoreCall> {
        let store = self.store.as_ref()?;
        if !engine.is_quiescent() || engine.pending_operations().next().is_some() {
            return None;
        }
        // The cheap check first: most calls find the token they already hold.
        Some(StoreCall::new(store, StoreOp::Peek))
    }

    /// Takes the answer to the call [`begin_sync`](Self::begin_sync) or the last
    /// `resume_sync` named, and names the next one (`None`: the engine is in step with the
    /// store).
    ///
    /// # Errors
    /// As [`sync_from_store`](Self::sync_from_store).
    pub fn resume_sync(&mut self, engine: &mut Client, answer: StoreAnswer) -> Result<Option<StoreCall>, DriverError> {
        match answer.0 {
            Answer::Peek(peek) => {
                let StorePeek { client_token: stored, changed_elsewhere } = peek?;
                let ours = !changed_elsewhere
                    && (stored.as_ref() == engine.client_token() || self.seen_in_store.as_ref() == Some(&stored));
                if !ours {
                    // Another process changed the client (rotated the token, or wrote at
                    // all: a sign-out keeps the token): continue from what it saved.
                    return Ok(self.call(StoreOp::Load));
                }
                if self.unsaved {
                    // This driver's last save failed: save again.
                    return Ok(self.save_call(engine));
                }
                self.seen_in_store = Some(stored);
                Ok(None)
            }
            Answer::Written { token, result } => {
                // The second try of a failed save: the call goes on whatever it answers.
                if let Err(error) = self.written(engine, token, result) {
                    tracing::warn!(%error, "the client state is still unsaved; going on with the call");
                }
                Ok(None)
            }
            Answer::Load(shared) => {
                let shared = shared?.map(|state| *state);
                let token = shared.as_ref().and_then(|state| state.client_token.clone());
                self.adopt(engine, shared)?;
                self.seen_in_store = Some(token);
                // The engine now holds what the store holds: nothing to save back.
                self.unsaved = false;
                self.save_again = false;
                Ok(None)
            }
        }
    }

    /// Saves the engine's state (clears the store when there is nothing to keep). On a conflict (another process rotated the token since
    /// this one loaded), the newer state on disk wins: the engine is restored from it, and
    /// `Ok(true)` says so (the old engine's pending operations are gone).
    ///
    /// # Errors
    /// Any other store error.
    pub fn persist(&mut self, engine: &mut Client) -> Result<bool, DriverError> {
        match self.save_call(engine) {
            Some(call) => self.saved(engine, call.run()),
            None => Ok(false),
        }
    }

    /// A call of the store, if there is one.
    fn call(&self, op: StoreOp) -> Option<StoreCall> {
        self.store.as_ref().map(|store| StoreCall::new(store, op))
    }

    /// The call that saves the engine's state (clears the store when there is nothing to
    /// keep), if there is a store.
    fn save_call(&self, engine: &Client) -> Option<StoreCall> {
        let store = self.store.as_ref()?;
        let state: PersistedState = engine.export();
        // Nothing left to keep (after destroy): clear, which a newer state on disk refuses
        // just as it refuses a save.
        let nothing = state.client_token.is_none() && state.client.is_none() && state.dev_browser_token.is_none();
        Some(StoreCall::new(store, if nothing { StoreOp::Clear } else { StoreOp::Save(Box::new(state)) }))
    }

    /// Takes the answer to a [`save_call`](Self::save_call), as [`persist`](Self::persist)
    /// returns it.
    fn saved(&mut self, engine: &mut Client, answer: StoreAnswer) -> Result<bool, DriverError> {
        match answer.0 {
            Answer::Written { token, result } => self.written(engine, token, result),
            Answer::Peek(_) | Answer::Load(_) => {
                // An answer to another call (a driver bug): nothing says the state was
                // saved, so it counts as unsaved and is saved again before the next call.
                tracing::error!("a store answer handed back to the wrong step; the state will be saved again");
                self.unsaved = true;
                Ok(false)
            }
        }
    }

    /// What a save or a clear answered: `token` is the client token the store holds when
    /// it succeeded.
    fn written(
        &mut self,
        engine: &mut Client,
        token: Option<ClientToken>,
        written: Result<(), StoreError>,
    ) -> Result<bool, DriverError> {
        self.unsaved = matches!(written, Err(ref error) if !matches!(error, StoreError::Conflict { .. }));
        self.save_again = false;
        match written {
            Ok(()) => {
                self.seen_in_store = Some(token);
                Ok(false)
            }
            Err(StoreError::Conflict { on_disk: Some(on_disk), .. }) if self.supersedes(engine, &on_disk) => {
                // Another process saved under the very token this driver last saw in the
                // store (a sign-out there keeps it), and this engine's own request has
                // since rotated that token away on the same client, unchanged by anyone
                // since the other state was taken (see `supersedes`): the server has moved
                // past the other state, whose token is now stale. Adopting it would send
                // a rotated-away token and lose what this call did on the server; this
                // engine's state is saved over it instead, at the next event or before
                // the next call (the store now knows the generation it refused).
                self.unsaved = true;
                self.save_again = true;
                Ok(false)
            }
            Err(StoreError::Conflict { on_disk: Some(on_disk), .. }) => {
                // Another process rotated the token since this one loaded: its newer state
                // wins, and this engine continues from it.
                self.seen_in_store = Some(on_disk.client_token.clone());
                self.adopt(engine, Some(*on_disk))?;
                Ok(true)
            }
            Err(StoreError::Conflict { on_disk: None, .. }) => {
                // Another process signed out and cleared the store: so do we.
                self.seen_in_store = Some(None);
                self.adopt(engine, None)?;
                Ok(true)
            }
            Err(other) => Err(other.into()),
        }
    }
}

impl DriveSupport {
    /// Whether this engine's state is newer than `on_disk`, a state another process saved
    /// that a save just met: `on_disk` carries the token this driver last saw in the store,
    /// this engine has rotated away from it since (its own request's answer brought a new
    /// one), and it did so on the same client (not a brand-new one the server handed back
    /// for a token already stale), which the server has not changed since `on_disk` was
    /// taken (a rotation alone may leave `updated_at` as it was; timestamps are in
    /// milliseconds).
    fn supersedes(&self, engine: &Client, on_disk: &PersistedState) -> bool {
        let stored = on_disk.client_token.as_ref();
        let (Some(ours), Some(theirs)) = (engine.client(), on_disk.client.as_ref()) else {
            return false;
        };
        stored.is_some()
            && self.seen_in_store.as_ref().is_some_and(|seen| seen.as_ref() == stored)
            && engine.client_token() != stored
            && ours.id.is_some()
            && ours.id == theirs.id
            && matches!((ours.updated_at, theirs.updated_at), (Some(ours), Some(theirs)) if ours >= theirs)
    }
}

/// The completion of an outcome, or the failure as a driver error.
///
/// # Errors
/// The operation's error.
pub fn completion(outcome: Outcome) -> Result<Completion, DriverError> {
    outcome.map_err(DriverError::Operation)
}

/// How long to sleep from `now` until `deadline` (zero when it has passed).
#[must_use]
pub fn sleep_for(deadline: OffsetDateTime, now: OffsetDateTime) -> std::time::Duration {
    let wait = deadline - now;
    if wait.is_positive() { wait.unsigned_abs() } else { std::time::Duration::ZERO }
}

/// Submits `command` and returns its operation, for drivers.
///
/// # Errors
/// The engine's refusal.
pub fn submit(engine: &mut Client, command: Command, now: OffsetDateTime) -> Result<OpId, DriverError> {
    Ok(engine.submit(command, now)?)
}
