//! Both drivers — `clerk-ureq` (blocking) and `clerk-reqwest` (async, driven here through a
//! tokio runtime's `block_on`) — against `clerk-mock` over loopback.
//!
//! - Every flow the mock supports is written once as a scenario over the [`Driver`] trait and
//!   run through each driver against a fresh mock; the outcomes (completion kinds, statuses,
//!   session counts, error codes) must be identical, and every request must pass the mock's
//!   spec validation.
//! - Faults: retries on GETs (429 with `Retry-After`, 503, broken bodies), no re-send of a
//!   POST, connection refused and timeouts as typed errors that leave the state unchanged.
//! - The file store: a restart comes back signed in, a corrupt file is reported and left
//!   alone, two processes share one store through token rotations.
//! - The mock's session tokens verify against its JWKS with an independent JWT library.
//! - No secret reaches the drivers' tracing output.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration as StdDuration, Instant};

use clerk_core::secret::{Password, SessionJwt, Ticket, VerificationCode};
use clerk_core::wire::{SignInResource, SignUpResource, Strategy, Text};
use clerk_core::{
    ActiveSession, ClientCommand, ClientConfig, Command, CommandError, Completion, EmailLinkOutcome, Event,
    FirstFactorAttempt, FirstFactorPreparation, Flow, InstanceType, OperationError, OrganizationChoice, PersistedState,
    ResponseError, SecondFactorAttempt, SecondFactorPreparation, SessionCommand, SignInCommand, SignInCreate,
    SignOutConfirmation, SignUpAttempt, SignUpCommand, SignUpFields, SignUpPreparation, TokenRequest, TransportError,
};
use clerk_mock::{Fault, MockServer, RecordedRequest, Route, Totp, UserSpec};
use clerk_store::drive::DriverError;
use clerk_store::{FileStore, StoreError, TokenStore};
use clerk_tests::response_schemas;

/// Every answer the mock gave follows the spec's response schemas, but for the spec's known
/// inaccuracies (`clerk_tests::response_schemas::SPEC_DEVIATIONS`).
fn assert_answers_follow_the_spec(mock: &MockServer) {
    let Some(shared) = clerk_tests::shared_dir() else { return };
    let schemas = response_schemas::schemas(&shared);
    let mut findings = response_schemas::Findings::default();
    for answer in mock.answers() {
        let request = &answer.request;
        let origin = format!("{} {} → {}", request.effective_method, request.path, answer.status);
        let violations = response_schemas::answer_violations(
            schemas,
            &request.effective_method,
            &request.path,
            answer.status,
            Some(&answer.body),
        );
        findings.add(&origin, violations);
    }
    let unlisted = findings.unlisted();
    assert!(unlisted.is_empty(), "the mock's answers depart from the spec:\n{}", unlisted.join("\n"));
}

// ---------------------------------------------------------------------------------------
// The two drivers behind one blocking interface
// ---------------------------------------------------------------------------------------

/// Which driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `clerk_ureq::Clerk`.
    Blocking,
    /// `clerk_reqwest::Clerk`, through `Runtime::block_on`.
    Async,
}

const KINDS: [Kind; 2] = [Kind::Blocking, Kind::Async];

/// What the tests read of a driver's engine.
#[derive(Debug, Clone)]
struct Snapshot {
    state: PersistedState,
    sign_in: Option<SignInResource>,
    sign_up: Option<SignUpResource>,
    /// `(id, status, last active organization)` of every session the client holds.
    sessions: Vec<(Text, String, Option<Text>)>,
    active: Option<String>,
    client_token: Option<String>,
}

impl Snapshot {
    fn of(engine: &clerk_core::Client) -> Self {
        Snapshot {
            state: engine.export(),
            sign_in: engine.sign_in().cloned(),
            sign_up: engine.sign_up().cloned(),
            sessions: engine
                .sessions()
                .iter()
                .map(|s| {
                    (
                        s.id.clone(),
                        s.status.as_ref().map_or("?", |s| s.as_str()).to_owned(),
                        s.last_active_organization_id.clone(),
                    )
                })
                .collect(),
            active: engine.active_session_id().map(str::to_owned),
            client_token: engine.client_token().map(|t| t.expose().to_owned()),
        }
    }

    /// The state without the request and operation counters (which every call advances):
    /// what "the state is unchanged" compares.
    fn identity(&self) -> PersistedState {
        PersistedState { next_request_id: 0, next_op_id: 0, ..self.state.clone() }
    }

    fn session_status(&self, id: &str) -> Option<&str> {
        self.sessions.iter().find(|(sid, _, _)| sid == id).map(|(_, status, _)| status.as_str())
    }

    fn signed_in_count(&self) -> usize {
        // Signed in: `active` or `pending` (fapi.md §4.10).
        self.sessions.iter().filter(|(_, status, _)| matches!(status.as_str(), "active" | "pending")).count()
    }

    /// The outcome-relevant part, without ids or tokens (which differ between runs).
    fn summary(&self) -> String {
        let mut statuses: Vec<&str> = self.sessions.iter().map(|(_, status, _)| status.as_str()).collect();
        statuses.sort_unstable();
        format!(
            "sign_in={} sign_up={} sessions={statuses:?} active={} token={}",
            self.sign_in.as_ref().and_then(|s| s.status.as_ref()).map_or("none", |s| s.as_str()),
            self.sign_up.as_ref().and_then(|s| s.status.as_ref()).map_or("none", |s| s.as_str()),
            self.active.is_some(),
            self.client_token.is_some(),
        )
    }
}

/// One interface over both drivers, so a scenario is written once.
trait Driver {
    fn kind(&self) -> Kind;
    /// Runs a command to completion.
    fn run(&mut self, command: Command) -> Result<Completion, DriverError>;
    /// Runs a command to completion within `timeout` instead of the driver's own limit.
    fn run_within(&mut self, command: Command, timeout: StdDuration) -> Result<Completion, DriverError>;
    /// The engine's state now (after every event of the last call was handled).
    fn snapshot(&mut self) -> Snapshot;
    /// Every event the driver's listeners saw so far.
    fn events(&mut self) -> Vec<Event>;
    /// A handle that ends the driver's wait from another thread.
    fn cancel_handle(&self) -> CancelHandle;
    /// The driver's `active_sessions()`.
    fn active_sessions(&mut self) -> Result<Vec<ActiveSession>, DriverError>;
    /// The driver's `revoke_session(id)`.
    fn revoke_session(&mut self, session_id: &str) -> Result<bool, DriverError>;
}

/// Ends a driver's wait from another thread: the blocking driver's `Canceller` (ends the
/// call running), or the async driver's `cancel(flow)` (through its runtime).
#[derive(Clone)]
enum CancelHandle {
    Blocking(clerk_ureq::Canceller),
    Async(clerk_reqwest::Clerk, tokio::runtime::Handle),
}

impl CancelHandle {
    /// Cancels the sign-in's wait; returns whether there was one.
    fn cancel_sign_in(&self) -> bool {
        match self {
            CancelHandle::Blocking(canceller) => canceller.cancel(),
            CancelHandle::Async(clerk, runtime) => {
                runtime.block_on(clerk.cancel(Flow::SignIn)).expect("the driver's task is running")
            }
        }
    }
}

struct Blocking {
    clerk: clerk_ureq::Clerk,
    events: Arc<Mutex<Vec<Event>>>,
}

impl Driver for Blocking {
    fn kind(&self) -> Kind {
        Kind::Blocking
    }

    fn run(&mut self, command: Command) -> Result<Completion, DriverError> {
        self.clerk.run(command)
    }

    fn run_within(&mut self, command: Command, timeout: StdDuration) -> Result<Completion, DriverError> {
        self.clerk.run_within(command, timeout)
    }

    fn snapshot(&mut self) -> Snapshot {
        Snapshot::of(self.clerk.engine())
    }

    fn events(&mut self) -> Vec<Event> {
        self.events.lock().expect("events").clone()
    }

    fn cancel_handle(&self) -> CancelHandle {
        CancelHandle::Blocking(self.clerk.canceller())
    }

    fn active_sessions(&mut self) -> Result<Vec<ActiveSession>, DriverError> {
        self.clerk.active_sessions()
    }

    fn revoke_session(&mut self, session_id: &str) -> Result<bool, DriverError> {
        self.clerk.revoke_session(session_id)
    }
}

struct Async {
    clerk: clerk_reqwest::Clerk,
    events: Arc<Mutex<Vec<Event>>>,
    runtime: tokio::runtime::Runtime,
}

impl Driver for Async {
    fn kind(&self) -> Kind {
        Kind::Async
    }

    fn run(&mut self, command: Command) -> Result<Completion, DriverError> {
        self.runtime.block_on(self.clerk.run(command))
    }

    fn run_within(&mut self, command: Command, timeout: StdDuration) -> Result<Completion, DriverError> {
        self.runtime.block_on(self.clerk.run_within(command, timeout))
    }

    fn snapshot(&mut self) -> Snapshot {
        // The driver's task answers a view only after it has handled every output the
        // engine had queued, so this is the state after the last call's events.
        self.runtime.block_on(self.clerk.view(Snapshot::of)).expect("the driver's task is running")
    }

    fn events(&mut self) -> Vec<Event> {
        let _ = self.snapshot();
        self.events.lock().expect("events").clone()
    }

    fn cancel_handle(&self) -> CancelHandle {
        CancelHandle::Async(self.clerk.clone(), self.runtime.handle().clone())
    }

    fn active_sessions(&mut self) -> Result<Vec<ActiveSession>, DriverError> {
        self.runtime.block_on(self.clerk.active_sessions())
    }

    fn revoke_session(&mut self, session_id: &str) -> Result<bool, DriverError> {
        self.runtime.block_on(self.clerk.revoke_session(session_id))
    }
}

/// How to build a driver.
#[derive(Clone)]
struct Setup {
    base_url: String,
    store: Option<Arc<dyn TokenStore>>,
    timeouts: Option<(StdDuration, StdDuration)>,
    operation_timeout: Option<StdDuration>,
    /// Where the driver's transcript goes, if it keeps one.
    transcript: Option<SharedBuffer>,
    /// Counts the exchanges the driver's exchange listener is told of.
    exchanges: Option<Arc<AtomicUsize>>,
    /// The app's product for the `User-Agent`.
    user_agent: Option<String>,
}

/// A writer into memory that the test can read while the driver holds it.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("buffer")).into_owned()
    }
}

impl Setup {
    fn new(base_url: impl Into<String>) -> Self {
        Setup {
            base_url: base_url.into(),
            store: None,
            timeouts: None,
            operation_timeout: None,
            transcript: None,
            exchanges: None,
            user_agent: None,
        }
    }

    fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// A shorter operation timeout, for tests whose call may hang on a driver bug.
    fn operation_timeout(mut self, timeout: StdDuration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    fn timeouts(mut self, connect: StdDuration, request: StdDuration) -> Self {
        self.timeouts = Some((connect, request));
        self
    }
}

/// Applies a [`Setup`] to either driver's builder (they have the same methods).
macro_rules! configure {
    ($builder:expr, $setup:expr, $events:expr) => {{
        let mut builder = $builder;
        if let Some(store) = $setup.store.clone() {
            builder = builder.store(store);
        }
        if let Some((connect, request)) = $setup.timeouts {
            builder = builder.timeouts(connect, request);
        }
        if let Some(timeout) = $setup.operation_timeout {
            builder = builder.operation_timeout(timeout);
        }
        if let Some(product) = $setup.user_agent.clone() {
            builder = builder.user_agent(product);
        }
        if let Some(buffer) = $setup.transcript.clone() {
            builder = builder.transcript(clerk_store::TranscriptWriter::new(buffer));
        }
        if let Some(count) = $setup.exchanges.clone() {
            builder = builder.on_exchange(move |_, _| {
                count.fetch_add(1, Ordering::SeqCst);
            });
        }
        let events = Arc::clone(&$events);
        builder.on_event(move |event: &Event| events.lock().expect("events").push(event.clone()))
    }};
}

fn build(kind: Kind, setup: &Setup) -> Result<Box<dyn Driver>, DriverError> {
    let events = Arc::new(Mutex::new(Vec::new()));
    match kind {
        Kind::Blocking => {
            let builder = configure!(clerk_ureq::Clerk::builder_for_base_url(&setup.base_url)?, setup, events);
            Ok(Box::new(Blocking { clerk: builder.build()?, events }))
        }
        Kind::Async => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            let builder = configure!(clerk_reqwest::Clerk::builder_for_base_url(&setup.base_url)?, setup, events);
            let clerk = {
                let _entered = runtime.enter();
                builder.build()?
            };
            Ok(Box::new(Async { clerk, events, runtime }))
        }
    }
}

fn driver(kind: Kind, mock: &MockServer) -> Box<dyn Driver> {
    build(kind, &Setup::new(mock.base_url())).expect("driver")
}

// ---------------------------------------------------------------------------------------
// Scenario helpers
// ---------------------------------------------------------------------------------------

/// The outcomes of a scenario, free of ids and tokens: compared between the drivers.
#[derive(Debug, Default)]
struct Trace(Vec<String>);

impl Trace {
    fn push(&mut self, line: String) {
        self.0.push(line);
    }

    fn state(&mut self, label: &str, driver: &mut dyn Driver) -> Snapshot {
        let snapshot = driver.snapshot();
        self.push(format!("{label}: {}", snapshot.summary()));
        snapshot
    }
}

/// A completion as the trace records it.
fn describe(completion: &Completion) -> String {
    match completion {
        Completion::SignIn(sign_in) => {
            let first = sign_in.first_factor_verification.as_ref().and_then(|v| v.status.as_ref());
            format!(
                "sign_in {} (first factor {})",
                sign_in.status.as_ref().map_or("none", |s| s.as_str()),
                first.map_or("none", |s| s.as_str())
            )
        }
        Completion::SignUp(sign_up) => format!(
            "sign_up {} missing={:?} unverified={:?}",
            sign_up.status.as_ref().map_or("none", |s| s.as_str()),
            sign_up.missing_fields,
            sign_up.unverified_fields
        ),
        Completion::EmailLink(EmailLinkOutcome::Completed { created_session_id }) => {
            format!("email_link completed (session named: {})", created_session_id.is_some())
        }
        Completion::EmailLink(other) => format!("email_link {other:?}"),
        Completion::Session(session) => {
            format!("session {}", session.status.as_ref().map_or("none", |s| s.as_str()))
        }
        Completion::SessionToken(_) => String::from("session_token"),
        Completion::SignedOut { confirmation: SignOutConfirmation::Confirmed } => String::from("signed_out revoked"),
        Completion::SignedOut { confirmation } => format!("signed_out {confirmation:?}"),
        other => format!("{other:?}"),
    }
}

/// Runs `command`, which must succeed; records its completion.
fn step(driver: &mut dyn Driver, trace: &mut Trace, command: impl Into<Command>) -> Completion {
    let command = command.into();
    let name = command.name();
    let completion =
        driver.run(command).unwrap_or_else(|error| panic!("{:?} driver: {name} failed: {error:?}", driver.kind()));
    trace.push(format!("{name} -> {}", describe(&completion)));
    completion
}

/// Runs `command`, which must fail with a Frontend API error; records and returns its code.
fn refused(driver: &mut dyn Driver, trace: &mut Trace, command: impl Into<Command>) -> String {
    let command = command.into();
    let name = command.name();
    match driver.run(command) {
        Err(error) => {
            let api = error.api().unwrap_or_else(|| panic!("{:?}: {name}: not an API error: {error:?}", driver.kind()));
            let code = api.code.as_str().to_owned();
            trace.push(format!("{name} -> refused {} {code}", api.status));
            code
        }
        Ok(completion) => panic!("{:?}: {name} should have been refused, got {completion:?}", driver.kind()),
    }
}

fn sign_in_status(completion: &Completion) -> &str {
    match completion {
        Completion::SignIn(sign_in) => sign_in.status.as_ref().map_or("none", |s| s.as_str()),
        other => panic!("not a sign-in completion: {other:?}"),
    }
}

fn sign_up_status(completion: &Completion) -> &str {
    match completion {
        Completion::SignUp(sign_up) => sign_up.status.as_ref().map_or("none", |s| s.as_str()),
        other => panic!("not a sign-up completion: {other:?}"),
    }
}

fn code(value: &str) -> VerificationCode {
    VerificationCode::new(value)
}

/// The code Clerk's test mode accepts for `+clerk_test` emails and `+1555555 01xx` phones.
const TEST_CODE: &str = "424242";

/// Runs `scenario` through each driver against a fresh mock; the traces must be equal and
/// every request must have passed the mock's spec validation.
fn on_both(scenario: fn(&mut dyn Driver, &MockServer, &mut Trace)) {
    let mut traces = Vec::new();
    for kind in KINDS {
        let mock = MockServer::start();
        mock.set_answer_recording(true);
        let mut driver = driver(kind, &mock);
        let mut trace = Trace::default();
        scenario(driver.as_mut(), &mock, &mut trace);
        let violations = mock.violations();
        assert!(violations.is_empty(), "{kind:?}: requests the spec does not document: {violations:#?}");
        assert_answers_follow_the_spec(&mock);
        traces.push(trace.0);
    }
    assert!(traces[0].len() > 1, "the scenario recorded nothing");
    assert_eq!(traces[0], traces[1], "the blocking (left) and async (right) drivers' outcomes differ");
}

// ---------------------------------------------------------------------------------------
// Flows, each run through both drivers
// ---------------------------------------------------------------------------------------

#[test]
fn password_sign_in() {
    on_both(|d, mock, t| {
        mock.add_user(UserSpec::with_email("ada@example.com").password("correct horse battery"));
        step(d, t, ClientCommand::Load);
        let code =
            refused(d, t, SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("nope"))));
        assert_eq!(code, "form_password_incorrect");
        let done = step(
            d,
            t,
            SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("correct horse battery"))),
        );
        assert_eq!(sign_in_status(&done), "complete");
        let s = t.state("signed in", d);
        assert_eq!(s.signed_in_count(), 1);
        assert!(s.active.is_some() && s.client_token.is_some());
    });
}

/// Active devices (fapi.md §3.5.3, §5.5): ada signs in on a laptop and a phone (two drivers
/// of the same kind, each with its own store); the laptop lists both sessions with their
/// latest activity, revokes the phone's, and keeps only its own; the phone's next request
/// finds its session revoked and signs it out there.
#[test]
fn a_device_lists_both_sessions_and_revokes_the_other_which_finds_itself_signed_out() {
    on_both(|laptop, mock, t| {
        mock.add_user(UserSpec::with_email("ada@example.com").password("correct horse battery"));
        let sign_in =
            || SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("correct horse battery")));
        let mut phone = driver(laptop.kind(), mock);
        let phone = phone.as_mut();
        for device in [&mut *laptop, &mut *phone] {
            step(device, t, ClientCommand::Load);
            assert_eq!(sign_in_status(&step(device, t, sign_in())), "complete");
        }
        let laptop_session = laptop.snapshot().active.expect("the laptop is signed in");
        let phone_session = phone.snapshot().active.expect("the phone is signed in");

        let listed = laptop.active_sessions().expect("the laptop lists the sessions");
        let mut seen: Vec<(bool, bool)> = listed.iter().map(|s| (s.on_this_client, s.current)).collect();
        seen.sort_unstable();
        assert_eq!(seen, [(false, false), (true, true)], "this device and one other");
        let mine = listed.iter().find(|s| s.current).expect("this device");
        assert_eq!(mine.id(), laptop_session);
        let other = listed.iter().find(|s| !s.on_this_client).expect("the other device");
        assert_eq!(other.id(), phone_session);
        let activity = other.session.latest_activity.as_ref().expect("the phone's latest activity");
        assert!(activity.is_mobile, "native drivers send x-mobile: 1");
        assert!(activity.browser_name.is_some() && activity.ip_address.is_some());
        t.push(format!("listed {} sessions", listed.len()));

        let own = laptop.revoke_session(&phone_session).expect("the laptop revokes the phone's session");
        assert!(!own, "not the laptop's own session");
        t.push(String::from("revoked the other device"));
        let after = t.state("laptop after revoking", laptop);
        assert_eq!(after.sessions.len(), 1, "the phone's session never joins the laptop's client");
        assert_eq!(after.active.as_deref(), Some(laptop_session.as_str()));
        assert_eq!(mock.session_status(&phone_session).as_deref(), Some("revoked"));

        // The phone's next request finds its session revoked.
        step(phone, t, ClientCommand::Reload);
        let phone_after = t.state("phone after its reload", phone);
        assert_eq!(phone_after.active, None);
        assert_eq!(phone_after.session_status(&phone_session), Some("revoked"));
        let reason = clerk_core::SignOutReason::SessionEnded { reason: clerk_core::SessionEndReason::Revoked };
        assert!(phone.events().contains(&Event::SignedOut { reason }), "{:?}", phone.events());
        match phone.active_sessions() {
            Err(DriverError::Command(CommandError::NoActiveSession { command })) => {
                assert_eq!(command, "active_sessions")
            }
            other => panic!("the signed-out phone may not list sessions: {other:?}"),
        }
        assert_eq!(laptop.active_sessions().expect("the laptop lists again").len(), 1);
        let phone_violations = mock.violations();
        assert!(phone_violations.is_empty(), "{phone_violations:#?}");
    });
}

/// A locked account (fapi.md §2.5 `user_locked`): both drivers report it as the API error it
/// is, with the time left, and a user already signed in on the client stays signed in.
#[test]
fn a_locked_account_is_reported_and_the_signed_in_user_stays() {
    on_both(|d, mock, t| {
        mock.set_user_lockout(2, StdDuration::from_secs(600));
        mock.add_user(UserSpec::with_email("ada@example.com").password("correct horse battery"));
        mock.add_user(UserSpec::with_email("bob@example.com").password("bob's password"));
        step(d, t, ClientCommand::Load);
        let signed_in = step(
            d,
            t,
            SignInCommand::Create(SignInCreate::password("bob@example.com", Password::new("bob's password"))),
        );
        assert_eq!(sign_in_status(&signed_in), "complete");
        let before = t.state("bob signed in", d);
        let wrong = || SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("nope")));
        assert_eq!(refused(d, t, wrong()), "form_password_incorrect");
        assert_eq!(refused(d, t, wrong()), "form_password_incorrect");
        let right =
            SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("correct horse battery")));
        let error = d.run(right.into()).expect_err("locked");
        let api = error.api().unwrap_or_else(|| panic!("not an API error: {error:?}"));
        assert_eq!((api.status, &api.code), (403, &clerk_core::wire::ErrorCode::UserLocked));
        // Other meta keys stay available verbatim.
        let left = api.meta.other.get("lockout_expires_in_seconds").map(|raw| raw.get().to_owned());
        assert_eq!(left.as_deref(), Some("600"));
        t.push(format!("refused {} ({} s left)", api.code, left.unwrap_or_default()));
        let after = t.state("after the lockout", d);
        assert_eq!(after.active, before.active, "bob is still the active session");
        assert_eq!(after.signed_in_count(), 1);
    });
}

#[test]
fn email_code_sign_in() {
    on_both(|d, mock, t| {
        mock.add_user(UserSpec::with_email("grace+clerk_test@example.com"));
        step(d, t, ClientCommand::Load);
        let created = step(d, t, SignInCommand::Create(SignInCreate::identifier("grace+clerk_test@example.com")));
        assert_eq!(sign_in_status(&created), "needs_first_factor");
        step(d, t, SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }));
        assert_eq!(mock.latest_code("grace+clerk_test@example.com").as_deref(), Some(TEST_CODE));
        refused(d, t, SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code("000000"))));
        let done = step(d, t, SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code(TEST_CODE))));
        assert_eq!(sign_in_status(&done), "complete");
        assert_eq!(t.state("signed in", d).signed_in_count(), 1);
    });
}

#[test]
fn phone_code_sign_in() {
    on_both(|d, mock, t| {
        mock.add_user(UserSpec::default().phone("+15555550100"));
        step(d, t, ClientCommand::Load);
        let created = step(d, t, SignInCommand::Create(SignInCreate::identifier("+15555550100")));
        assert_eq!(sign_in_status(&created), "needs_first_factor");
        step(d, t, SignInCommand::PrepareFirstFactor(FirstFactorPreparation::PhoneCode { phone_number_id: None }));
        let done = step(d, t, SignInCommand::AttemptFirstFactor(FirstFactorAttempt::PhoneCode(code(TEST_CODE))));
        assert_eq!(sign_in_status(&done), "complete");
        assert_eq!(t.state("signed in", d).signed_in_count(), 1);
    });
}

/// Opens the email link as soon as the mock has sent it (from another thread, while the
/// driver polls). Gives up after a generous deadline.
fn click_when_sent(mock: &MockServer, email: &str) -> bool {
    let deadline = Instant::now() + StdDuration::from_secs(60);
    while Instant::now() < deadline {
        if mock.click_email_link(email) {
            return true;
        }
        std::thread::sleep(StdDuration::from_millis(20));
    }
    false
}

#[test]
fn email_link_sign_in_completes_while_the_driver_polls() {
    on_both(|d, mock, t| {
        mock.add_user(UserSpec::with_email("link@example.com"));
        step(d, t, ClientCommand::Load);
        step(d, t, SignInCommand::Create(SignInCreate::identifier("link@example.com")));
        let preparation = FirstFactorPreparation::EmailLink {
            email_address_id: None,
            redirect_url: String::from("http://localhost/verified"),
        };
        let done = std::thread::scope(|scope| {
            let clicker = scope.spawn(|| click_when_sent(mock, "link@example.com"));
            let done = step(d, t, SignInCommand::PrepareFirstFactor(preparation));
            assert!(clicker.join().expect("clicker"), "the link was never sent");
            done
        });
        assert!(matches!(done, Completion::EmailLink(EmailLinkOutcome::Completed { .. })), "{done:?}");
        let s = t.state("signed in", d);
        assert_eq!(s.signed_in_count(), 1);
        // The driver polled: more than one GET /v1/client after the prepare.
        let polls = mock.requests().iter().filter(|r| r.effective_method == "GET" && r.path == "/v1/client").count();
        assert!(polls >= 1, "no poll was sent");
    });
}

#[test]
fn an_operation_past_its_time_limit_is_cancelled_and_one_call_may_ask_for_longer() {
    for kind in KINDS {
        let mock = MockServer::start();
        let limit = StdDuration::from_secs(1);
        let mut d = build(kind, &Setup::new(mock.base_url()).operation_timeout(limit)).expect("a driver");
        mock.add_user(UserSpec::with_email("slow@example.com"));
        d.run(ClientCommand::Load.into()).expect("load");
        d.run(SignInCommand::Create(SignInCreate::identifier("slow@example.com")).into()).expect("create");
        let preparation = || FirstFactorPreparation::EmailLink {
            email_address_id: None,
            redirect_url: String::from("http://localhost/verified"),
        };

        // Nobody opens the link: the wait ends at the driver's limit, which the error names,
        // and the sign-in is still there to continue.
        let error = d
            .run(SignInCommand::PrepareFirstFactor(preparation()).into())
            .expect_err("nobody opens the link within the limit");
        assert!(
            matches!(error, DriverError::Timeout { limit: timeout, .. } if timeout == limit),
            "{kind:?}: {error:?}"
        );
        let s = d.snapshot();
        let status = s.sign_in.as_ref().and_then(|sign_in| sign_in.status.as_ref()).map(|status| status.as_str());
        assert_eq!(status, Some("needs_first_factor"), "{kind:?}");

        // The same wait with a longer limit for this call only: the link is opened after the
        // driver's own limit has passed, and the call completes.
        let done = std::thread::scope(|scope| {
            let clicker = scope.spawn(|| {
                std::thread::sleep(StdDuration::from_millis(1500));
                click_when_sent(&mock, "slow@example.com")
            });
            let done =
                d.run_within(SignInCommand::PrepareFirstFactor(preparation()).into(), StdDuration::from_secs(60));
            assert!(clicker.join().expect("clicker"), "{kind:?}: the link was never sent");
            done
        });
        assert!(matches!(done, Ok(Completion::EmailLink(EmailLinkOutcome::Completed { .. }))), "{kind:?}: {done:?}");
        assert_eq!(d.snapshot().signed_in_count(), 1, "{kind:?}");
    }
}

fn email_link() -> FirstFactorPreparation {
    FirstFactorPreparation::EmailLink {
        email_address_id: None,
        redirect_url: String::from("http://localhost/verified"),
    }
}

/// Whether the mock has received a `GET /v1/client` after the latest
/// `prepare_first_factor`: the driver is polling for the email link.
fn polling(mock: &MockServer) -> bool {
    let requests = mock.requests();
    let prepared = requests.iter().rposition(|r| r.path.ends_with("/prepare_first_factor"));
    prepared
        .is_some_and(|at| requests.iter().skip(at + 1).any(|r| r.effective_method == "GET" && r.path == "/v1/client"))
}

/// From another thread: waits until the driver polls for the email link, then cancels the
/// sign-in's wait. Returns whether there was one; gives up after a generous deadline.
fn cancel_once_polling(mock: &MockServer, cancel: &CancelHandle) -> bool {
    let deadline = Instant::now() + StdDuration::from_secs(60);
    while Instant::now() < deadline {
        if polling(mock) {
            return cancel.cancel_sign_in();
        }
        std::thread::sleep(StdDuration::from_millis(20));
    }
    false
}

/// Runs the email-link prepare with a 15-minute limit (clerk-js's wait for an email link)
/// while another thread cancels it once the driver polls. Returns the call's result and
/// how long it took.
fn prepare_email_link_and_cancel(
    d: &mut dyn Driver,
    mock: &MockServer,
) -> (Result<Completion, DriverError>, StdDuration) {
    let cancel = d.cancel_handle();
    let started = Instant::now();
    let (waited, cancelled) = std::thread::scope(|scope| {
        let canceller = scope.spawn(|| cancel_once_polling(mock, &cancel));
        let waited =
            d.run_within(SignInCommand::PrepareFirstFactor(email_link()).into(), StdDuration::from_secs(15 * 60));
        (waited, canceller.join().expect("the cancelling thread"))
    });
    assert!(cancelled, "{:?}: the wait was never there to cancel ({waited:?})", d.kind());
    (waited, started.elapsed())
}

#[test]
fn a_cancelled_email_link_wait_ends_at_once_and_the_sign_in_goes_on_with_a_password() {
    on_both(|d, mock, t| {
        mock.add_user(UserSpec::with_email("link@example.com").password("correct horse battery"));
        step(d, t, ClientCommand::Load);
        step(d, t, SignInCommand::Create(SignInCreate::identifier("link@example.com")));

        let (waited, took) = prepare_email_link_and_cancel(d, mock);
        assert!(matches!(waited, Err(DriverError::Operation(OperationError::Cancelled))), "{:?}: {waited:?}", d.kind());
        // Well under the 15-minute limit (the cancel comes after the first poll, ~1 s).
        assert!(took < StdDuration::from_secs(30), "{:?}: the cancelled wait took {took:?}", d.kind());
        t.push(String::from("prepare_first_factor(email_link) -> cancelled"));

        // The attempt was kept and the flow is free: a password finishes the same sign-in.
        let s = t.state("after the cancel", d);
        let waiting_id = s.sign_in.as_ref().map(|sign_in| sign_in.id.clone());
        assert!(waiting_id.is_some(), "the attempt is kept");
        let password = FirstFactorAttempt::Password(Password::new("correct horse battery"));
        let done = step(d, t, SignInCommand::AttemptFirstFactor(password));
        assert_eq!(sign_in_status(&done), "complete");
        let Completion::SignIn(sign_in) = &done else { unreachable!("a sign-in completion") };
        assert_eq!(Some(&sign_in.id), waiting_id.as_ref(), "the same sign-in");
        assert_eq!(t.state("signed in", d).signed_in_count(), 1);
    });
}

#[test]
fn a_cancel_with_nothing_pending_does_nothing_and_leaves_the_next_call_alone() {
    on_both(|d, mock, t| {
        mock.add_user(UserSpec::with_email("ada@example.com").password("correct horse battery"));
        let cancel = d.cancel_handle();
        assert!(!cancel.cancel_sign_in(), "{:?}: nothing to cancel before any call", d.kind());
        step(d, t, ClientCommand::Load);
        step(d, t, SignInCommand::Create(SignInCreate::identifier("ada@example.com")));
        assert!(!cancel.cancel_sign_in(), "{:?}: nothing to cancel between calls", d.kind());
        // The cancels made while nothing ran are not kept for this call.
        let password = FirstFactorAttempt::Password(Password::new("correct horse battery"));
        let done = step(d, t, SignInCommand::AttemptFirstFactor(password));
        assert_eq!(sign_in_status(&done), "complete");
    });
}

#[test]
fn a_cancel_during_a_request_on_the_wire_ends_the_wait_when_it_is_answered() {
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = driver(kind, &mock);
        mock.add_user(UserSpec::with_email("wire@example.com").password("correct horse battery"));
        d.run(ClientCommand::Load.into()).expect("load");
        d.run(SignInCommand::Create(SignInCreate::identifier("wire@example.com")).into()).expect("create");
        // The first poll is answered late: the cancel comes while it is on the wire. The
        // blocking driver ends the call when the answer arrives, the async one at once.
        mock.set_fault(Route::new("GET", "/v1/client"), Fault::Slow(StdDuration::from_secs(1)), Some(1));
        let (waited, took) = prepare_email_link_and_cancel(d.as_mut(), &mock);
        assert!(matches!(waited, Err(DriverError::Operation(OperationError::Cancelled))), "{kind:?}: {waited:?}");
        assert!(took < StdDuration::from_secs(30), "{kind:?}: the cancelled wait took {took:?}");
        let password = FirstFactorAttempt::Password(Password::new("correct horse battery"));
        let done = d.run(SignInCommand::AttemptFirstFactor(password).into()).expect("the password attempt");
        assert_eq!(sign_in_status(&done), "complete", "{kind:?}");
    }
}

/// Once every handle is dropped, an abandoned wait (an email-link poll whose caller's
/// future was dropped) is cancelled: the task stops polling for nobody and ends.
#[test]
fn the_async_driver_stops_an_abandoned_wait_when_its_last_handle_is_dropped() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("gone@example.com"));
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime");
    let clerk = {
        let _entered = runtime.enter();
        clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url()).expect("a builder").build().expect("a driver")
    };
    // Every GET once the link is asked for is the wait's poll.
    let polls = || {
        let requests = mock.requests();
        let asked = requests.iter().position(|r| r.path.ends_with("/prepare_first_factor"));
        asked.map_or(0, |at| requests.iter().skip(at).filter(|r| r.effective_method == "GET").count())
    };
    runtime.block_on(async {
        clerk.load().await.expect("load");
        clerk.sign_in(SignInCreate::identifier("gone@example.com")).await.expect("create");
        let wait = clerk.run_within(SignInCommand::PrepareFirstFactor(email_link()), StdDuration::from_secs(15 * 60));
        let polling = async {
            while polls() == 0 {
                tokio::time::sleep(StdDuration::from_millis(20)).await;
            }
        };
        tokio::select! {
            ended = wait => panic!("the wait ended by itself: {ended:?}"),
            () = polling => {}
        }
    });
    drop(clerk);
    // The poll interval is 1 s: a task still polling would send two more in 2.5 s.
    std::thread::sleep(StdDuration::from_millis(500));
    let after_drop = polls();
    std::thread::sleep(StdDuration::from_millis(2500));
    assert_eq!(polls(), after_drop, "the task went on polling for nobody");
}

#[test]
fn the_blocking_driver_gives_the_user_the_active_session_id_and_the_signed_in_sessions() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("blocking-shortcut@example.com").password("correct horse battery"));
    let mut clerk =
        clerk_ureq::Clerk::builder_for_base_url(&mock.base_url()).expect("a builder").build().expect("a driver");
    clerk.load().expect("load");
    assert!(clerk.user().is_none() && clerk.active_session_id().is_none());
    let done = clerk
        .sign_in(SignInCreate::password("blocking-shortcut@example.com", Password::new("correct horse battery")))
        .expect("sign-in");
    let created = done.sign_in().and_then(|sign_in| sign_in.created_session_id.as_deref().map(str::to_owned));
    assert_eq!(clerk.active_session_id().map(str::to_owned), created);
    let listed: Vec<String> = clerk.signed_in_sessions().map(|session| session.id.to_string()).collect();
    assert_eq!(Some(listed), created.clone().map(|id| vec![id]), "the signed-in sessions");
    assert_eq!(
        clerk.user().and_then(|user| user.primary_email_address()).and_then(|a| a.email_address.as_deref()),
        Some("blocking-shortcut@example.com")
    );
    clerk.sign_out(None).expect("sign-out");
    assert!(clerk.user().is_none());
    assert_eq!(clerk.signed_in_sessions().count(), 0);
}

#[test]
fn the_async_driver_gives_the_user_the_active_session_id_and_the_signed_in_sessions() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("shortcut@example.com").password("correct horse battery"));
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let clerk =
            clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url()).expect("a builder").build().expect("a driver");
        clerk.load().await.expect("load");
        assert!(clerk.user().await.expect("the task runs").is_none());
        assert_eq!(clerk.active_session_id().await.expect("the task runs"), None);
        let done = clerk
            .sign_in(SignInCreate::password("shortcut@example.com", Password::new("correct horse battery")))
            .await
            .expect("sign-in");
        let created = done.sign_in().and_then(|sign_in| sign_in.created_session_id.as_deref().map(str::to_owned));
        let user = clerk.user().await.expect("the task runs").expect("signed in");
        assert_eq!(
            user.primary_email_address().and_then(|address| address.email_address.as_deref()),
            Some("shortcut@example.com")
        );
        assert_eq!(clerk.active_session_id().await.expect("the task runs"), created);
        let listed: Vec<String> = clerk
            .signed_in_sessions()
            .await
            .expect("the task runs")
            .iter()
            .map(|session| session.id.to_string())
            .collect();
        assert_eq!(Some(listed), created.clone().map(|id| vec![id]), "the signed-in sessions");
        assert_eq!(format!("{clerk:?}"), "Clerk { task_running: true, .. }");
        clerk.sign_out(None).await.expect("sign-out");
        assert!(clerk.user().await.expect("the task runs").is_none());
        assert!(clerk.signed_in_sessions().await.expect("the task runs").is_empty());
    });
}

#[test]
fn the_async_driver_cancels_the_operation_of_a_caller_that_gave_up() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("gave-up@example.com").password("correct horse battery"));
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime");
    let clerk = {
        let _entered = runtime.enter();
        clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url()).expect("a builder").build().expect("a driver")
    };
    runtime.block_on(async {
        clerk.load().await.expect("load");
        clerk.sign_in(SignInCreate::identifier("gave-up@example.com")).await.expect("create");
        assert!(!clerk.cancel(Flow::SignIn).await.expect("the task runs"), "nothing pending yet");

        // The caller gives up on the wait once the link is asked for: its future is
        // dropped, and the task cancels the wait.
        let wait = clerk.run_within(SignInCommand::PrepareFirstFactor(email_link()), StdDuration::from_secs(15 * 60));
        let asked = async {
            while !mock.requests().iter().any(|r| r.path.ends_with("/prepare_first_factor")) {
                tokio::time::sleep(StdDuration::from_millis(20)).await;
            }
        };
        tokio::select! {
            ended = wait => panic!("the wait ended by itself: {ended:?}"),
            () = asked => {}
        }

        // The next step on the same attempt is taken at once: nothing left to cancel.
        let password =
            || SignInCommand::AttemptFirstFactor(FirstFactorAttempt::Password(Password::new("correct horse battery")));
        let done = clerk.sign_in_step(password()).await.expect("the password attempt, right after giving up");
        assert_eq!(sign_in_status(&done), "complete");
        assert!(!clerk.cancel(Flow::SignIn).await.expect("the task runs"), "nothing left to cancel");
        let signed_in = clerk.view(|engine| engine.signed_in_sessions().count()).await.expect("the task runs");
        assert_eq!(signed_in, 1);

        // And no more polls for the wait nobody reads.
        let polls = |mock: &MockServer| mock.requests().iter().filter(|r| r.effective_method == "GET").count();
        let before = polls(&mock);
        tokio::time::sleep(StdDuration::from_secs(3)).await;
        assert_eq!(polls(&mock), before, "the task stopped polling for the abandoned wait");

        // A caller still waiting is cancelled by `cancel(flow)` and told so.
        clerk.sign_out(None).await.expect("sign-out");
        clerk.sign_in(SignInCreate::identifier("gave-up@example.com")).await.expect("create");
        let waiting = tokio::spawn({
            let clerk = clerk.clone();
            async move {
                clerk.run_within(SignInCommand::PrepareFirstFactor(email_link()), StdDuration::from_secs(15 * 60)).await
            }
        });
        while !clerk.cancel(Flow::SignIn).await.expect("the task runs") {
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
        let ended = waiting.await.expect("the waiting task");
        assert!(
            matches!(ended, Err(DriverError::Operation(OperationError::Cancelled))),
            "the caller still waiting is told: {ended:?}"
        );
    });
}

#[test]
fn totp_second_factor() {
    on_both(|d, mock, t| {
        mock.add_user(
            UserSpec::with_email("mfa@example.com")
                .password("password-1234")
                .mfa_totp(Totp::FixedCode(String::from("135790"))),
        );
        step(d, t, ClientCommand::Load);
        let first = step(
            d,
            t,
            SignInCommand::Create(SignInCreate::password("mfa@example.com", Password::new("password-1234"))),
        );
        assert_eq!(sign_in_status(&first), "needs_second_factor");
        refused(d, t, SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(code("000000"))));
        let done = step(d, t, SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(code("135790"))));
        assert_eq!(sign_in_status(&done), "complete");
        assert_eq!(t.state("signed in", d).signed_in_count(), 1);
    });
}

#[test]
fn backup_code_second_factor_is_single_use() {
    on_both(|d, mock, t| {
        mock.add_user(
            UserSpec::with_email("backup@example.com")
                .password("password-1234")
                .mfa_backup_codes(&["backup-1111", "backup-2222"]),
        );
        step(d, t, ClientCommand::Load);
        let create = SignInCreate::password("backup@example.com", Password::new("password-1234"));
        assert_eq!(sign_in_status(&step(d, t, SignInCommand::Create(create.clone()))), "needs_second_factor");
        let done = step(d, t, SignInCommand::AttemptSecondFactor(SecondFactorAttempt::BackupCode(code("backup-1111"))));
        assert_eq!(sign_in_status(&done), "complete");
        step(d, t, SessionCommand::SignOut { session_id: None });
        assert_eq!(sign_in_status(&step(d, t, SignInCommand::Create(create))), "needs_second_factor");
        refused(d, t, SignInCommand::AttemptSecondFactor(SecondFactorAttempt::BackupCode(code("backup-1111"))));
        let done = step(d, t, SignInCommand::AttemptSecondFactor(SecondFactorAttempt::BackupCode(code("backup-2222"))));
        assert_eq!(sign_in_status(&done), "complete");
        assert_eq!(t.state("signed in", d).signed_in_count(), 1);
    });
}

#[test]
fn client_trust_needs_an_email_code_on_a_new_client() {
    on_both(|d, mock, t| {
        mock.set_client_trust(true);
        mock.add_user(UserSpec::with_email("trust+clerk_test@example.com").password("password-1234"));
        step(d, t, ClientCommand::Load);
        let first = step(
            d,
            t,
            SignInCommand::Create(SignInCreate::password(
                "trust+clerk_test@example.com",
                Password::new("password-1234"),
            )),
        );
        assert_eq!(sign_in_status(&first), "needs_client_trust");
        step(d, t, SignInCommand::PrepareSecondFactor(SecondFactorPreparation::EmailCode { email_address_id: None }));
        let done = step(d, t, SignInCommand::AttemptSecondFactor(SecondFactorAttempt::EmailCode(code(TEST_CODE))));
        assert_eq!(sign_in_status(&done), "complete");
        assert_eq!(t.state("signed in", d).signed_in_count(), 1);
    });
}

#[test]
fn reset_password_then_sign_in_with_the_new_one() {
    on_both(|d, mock, t| {
        let email = "reset+clerk_test@example.com";
        mock.add_user(UserSpec::with_email(email).password("old-password-1"));
        step(d, t, ClientCommand::Load);
        step(d, t, SignInCommand::Create(SignInCreate::identifier(email)));
        step(
            d,
            t,
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::ResetPasswordEmailCode {
                email_address_id: None,
            }),
        );
        let verified = step(
            d,
            t,
            SignInCommand::AttemptFirstFactor(FirstFactorAttempt::ResetPasswordEmailCode {
                code: code(TEST_CODE),
                password: None,
            }),
        );
        assert_eq!(sign_in_status(&verified), "needs_new_password");
        let done = step(
            d,
            t,
            SignInCommand::ResetPassword {
                password: Password::new("new-password-2"),
                sign_out_of_other_sessions: true,
            },
        );
        assert_eq!(sign_in_status(&done), "complete");
        step(d, t, SessionCommand::SignOut { session_id: None });
        refused(d, t, SignInCommand::Create(SignInCreate::password(email, Password::new("old-password-1"))));
        let again = step(d, t, SignInCommand::Create(SignInCreate::password(email, Password::new("new-password-2"))));
        assert_eq!(sign_in_status(&again), "complete");
        assert_eq!(t.state("signed in", d).signed_in_count(), 1);
    });
}

#[test]
fn ticket_sign_in_is_single_use() {
    on_both(|d, mock, t| {
        let user = mock.add_user(UserSpec::with_email("ticket@example.com"));
        let ticket = mock.create_sign_in_ticket(&user);
        step(d, t, ClientCommand::Load);
        let done = step(d, t, SignInCommand::Create(SignInCreate::ticket(Ticket::new(ticket.clone()))));
        assert_eq!(sign_in_status(&done), "complete");
        step(d, t, SessionCommand::SignOut { session_id: None });
        refused(d, t, SignInCommand::Create(SignInCreate::ticket(Ticket::new(ticket))));
        assert_eq!(t.state("after reuse", d).signed_in_count(), 0);
    });
}

#[test]
fn sign_up_with_email_code_then_phone_code() {
    on_both(|d, _mock, t| {
        step(d, t, ClientCommand::Load);
        let fields = SignUpFields {
            email_address: Some(String::from("new+clerk_test@example.com")),
            phone_number: Some(String::from("+15555550101")),
            password: Some(Password::new("a-fresh-password-77")),
            legal_accepted: Some(true),
            ..SignUpFields::default()
        };
        let created = step(d, t, SignUpCommand::Create(fields));
        assert_eq!(sign_up_status(&created), "missing_requirements");
        step(d, t, SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode));
        let email_done = step(d, t, SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(code(TEST_CODE))));
        assert_eq!(sign_up_status(&email_done), "missing_requirements");
        step(d, t, SignUpCommand::PrepareVerification(SignUpPreparation::PhoneCode));
        let done = step(d, t, SignUpCommand::AttemptVerification(SignUpAttempt::PhoneCode(code(TEST_CODE))));
        assert_eq!(sign_up_status(&done), "complete");
        let s = t.state("signed up", d);
        assert_eq!(s.signed_in_count(), 1);
        assert!(s.active.is_some());
    });
}

#[test]
fn sign_up_update_sends_only_changes() {
    on_both(|d, mock, t| {
        step(d, t, ClientCommand::Load);
        let fields = SignUpFields {
            email_address: Some(String::from("upd+clerk_test@example.com")),
            legal_accepted: Some(true),
            ..SignUpFields::default()
        };
        let created = step(d, t, SignUpCommand::Create(fields));
        assert_eq!(sign_up_status(&created), "missing_requirements");
        let update = SignUpFields {
            first_name: Some(String::from("Ada")),
            password: Some(Password::new("a-fresh-password-77")),
            ..SignUpFields::default()
        };
        let updated = step(d, t, SignUpCommand::Update(update));
        match &updated {
            Completion::SignUp(sign_up) => {
                assert_eq!(sign_up.first_name.as_deref(), Some("Ada"));
                assert!(!sign_up.missing_fields.iter().any(|f| f == "password"), "{:?}", sign_up.missing_fields);
            }
            other => panic!("{other:?}"),
        }
        let sent = mock.requests().len();
        let same = SignUpFields { first_name: Some(String::from("Ada")), ..SignUpFields::default() };
        let unchanged = step(d, t, SignUpCommand::Update(same));
        assert_eq!(unchanged, Completion::SignUpUnchanged);
        assert_eq!(mock.requests().len(), sent, "an unchanged update was sent");
        step(d, t, SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode));
        let done = step(d, t, SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(code(TEST_CODE))));
        assert_eq!(sign_up_status(&done), "complete");
        assert_eq!(t.state("signed up", d).signed_in_count(), 1);
    });
}

#[test]
fn transfer_from_sign_in_to_sign_up() {
    on_both(|d, _mock, t| {
        step(d, t, ClientCommand::Load);
        let create =
            SignInCreate::with_strategy(Strategy::EmailCode, "fresh+clerk_test@example.com").sign_up_if_missing(true);
        step(d, t, SignInCommand::Create(create));
        // fapi.md §5.1, §5.4: the right code answers an error, and the client it carries
        // shows the verification `transferable`: the engine applies it before reporting.
        let attempt = SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code(TEST_CODE)));
        assert_eq!(refused(d, t, attempt), "sign_up_if_missing_transfer");
        let sign_in = d.snapshot().sign_in;
        let status =
            sign_in.as_ref().and_then(|s| s.first_factor_verification.as_ref()).and_then(|v| v.status.as_ref());
        assert_eq!(status.map(|s| s.as_str()), Some("transferable"));
        let fields = SignUpFields {
            password: Some(Password::new("a-fresh-password-77")),
            legal_accepted: Some(true),
            ..SignUpFields::transfer()
        };
        let done = step(d, t, SignUpCommand::Create(fields));
        assert_eq!(sign_up_status(&done), "complete");
        let s = t.state("transferred", d);
        assert_eq!(s.signed_in_count(), 1);
        assert!(s.sign_in.is_none(), "the sign-in attempt is gone after the transfer");
    });
}

/// The keys of the after-auth tasks of `session` as the engine holds them.
fn tasks_of(driver: &mut dyn Driver, session: &str) -> Vec<String> {
    let client = driver.snapshot().state.client.expect("a client");
    let found = client.session(session).expect("the session").tasks.iter();
    found.filter_map(|task| task.key.as_deref().map(str::to_owned)).collect()
}

/// An instance that forces organization selection: a sign-in ends with a `pending`
/// session whose task is `choose-organization`; the personal account is refused before
/// anything is sent; choosing an organization (here by its slug) makes the session active
/// (fapi.md §4.7, §5.3 item 5, §3.8.2).
#[test]
fn a_pending_session_becomes_active_once_an_organization_is_chosen() {
    on_both(|d, mock, t| {
        mock.set_force_organization_selection(true);
        let ada = mock.add_user(UserSpec::with_email("ada@example.com").password("correct horse battery"));
        mock.add_organization(&ada, "org_acme", "acme");
        step(d, t, ClientCommand::Load);
        let done = step(
            d,
            t,
            SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("correct horse battery"))),
        );
        assert_eq!(sign_in_status(&done), "complete");
        let s = t.state("signed in, organization not chosen", d);
        let (session, status, org) = s.sessions.first().cloned().expect("a session");
        assert_eq!((status.as_str(), org), ("pending", None), "a pending session, no organization");
        assert_eq!(s.signed_in_count(), 1, "a pending session counts as signed in");
        assert_eq!(tasks_of(d, &session), ["choose-organization"]);
        let pending_token = verified_claims(mock, &token(d, t, TokenRequest::default()));
        assert_eq!(pending_token["sts"], "pending");

        let personal =
            SessionCommand::SetActive { session_id: session.to_string(), organization: OrganizationChoice::Personal };
        match d.run(personal.into()) {
            Err(DriverError::Command(CommandError::InvalidArgument { name, .. })) => assert_eq!(name, "organization"),
            other => panic!("the personal account was not refused: {other:?}"),
        }
        t.push(String::from("personal account refused"));

        let by_slug = OrganizationChoice::Id(String::from("acme"));
        step(d, t, SessionCommand::SetActive { session_id: session.to_string(), organization: by_slug });
        let s = t.state("organization chosen", d);
        let (_, status, org) = s.sessions.first().cloned().expect("a session");
        assert_eq!((status.as_str(), org.as_deref()), ("active", Some("org_acme")));
        assert!(tasks_of(d, &session).is_empty(), "the task is done");
        let claims = verified_claims(mock, &token(d, t, TokenRequest { skip_cache: true, ..TokenRequest::default() }));
        assert_eq!((claims["sts"].as_str(), claims["o"]["id"].as_str()), (Some("active"), Some("org_acme")));
    });
}

/// Decodes a session JWT's claims after verifying it against the mock's JWKS.
fn verified_claims(mock: &MockServer, token: &SessionJwt) -> serde_json::Value {
    let header = jsonwebtoken::decode_header(token.expose()).expect("JWT header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(mock.jwks()).expect("JWKS");
    let jwk = set.find(header.kid.as_deref().expect("kid")).expect("the JWKS has the token's key");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    validation.set_issuer(&[mock.base_url()]);
    validation.leeway = 30;
    jsonwebtoken::decode::<serde_json::Value>(token.expose(), &key, &validation).expect("the token verifies").claims
}

fn token(d: &mut dyn Driver, t: &mut Trace, request: TokenRequest) -> SessionJwt {
    match step(d, t, SessionCommand::GetToken(request)) {
        Completion::SessionToken(jwt) => jwt,
        other => panic!("{other:?}"),
    }
}

#[test]
fn sessions_organizations_tokens_end_remove_sign_out_and_destroy() {
    on_both(|d, mock, t| {
        let ada = mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
        mock.add_user(UserSpec::with_email("bob@example.com").password("password-1234"));
        mock.add_organization(&ada, "org_rustaceans", "rustaceans");
        let sign_in = |who: &str| SignInCommand::Create(SignInCreate::password(who, Password::new("password-1234")));
        step(d, t, ClientCommand::Load);
        step(d, t, sign_in("ada@example.com"));
        let ada_session = d.snapshot().active.expect("ada's session");
        step(d, t, sign_in("bob@example.com"));
        let s = t.state("two sessions", d);
        let bob_session = s.active.clone().expect("bob's session");
        assert_eq!(s.signed_in_count(), 2);
        assert_ne!(ada_session, bob_session);

        // Switch back to Ada, then to her organization.
        step(
            d,
            t,
            SessionCommand::SetActive {
                session_id: ada_session.clone(),
                organization: OrganizationChoice::SessionDefault,
            },
        );
        assert_eq!(d.snapshot().active.as_deref(), Some(ada_session.as_str()));
        step(
            d,
            t,
            SessionCommand::SetActive {
                session_id: ada_session.clone(),
                organization: OrganizationChoice::Id(String::from("org_rustaceans")),
            },
        );
        let s = t.state("ada in her organization", d);
        let org = s.sessions.iter().find(|(id, _, _)| *id == ada_session).and_then(|(_, _, org)| org.clone());
        assert_eq!(org.as_deref(), Some("org_rustaceans"));

        // Tokens: the default (the session's organization), a template, the personal account.
        let default = verified_claims(mock, &token(d, t, TokenRequest::default()));
        assert_eq!(default["sid"], ada_session.as_str());
        assert_eq!(default["sub"], ada.as_str());
        assert_eq!(default["o"]["id"], "org_rustaceans");
        let templated =
            token(d, t, TokenRequest { template: Some(String::from("integration")), ..TokenRequest::default() });
        assert_eq!(verified_claims(mock, &templated)["tmpl"], "integration");
        let personal = token(
            d,
            t,
            TokenRequest { organization: OrganizationChoice::Personal, skip_cache: true, ..TokenRequest::default() },
        );
        assert!(verified_claims(mock, &personal).get("o").is_none(), "a personal token names no organization");
        let explicit = token(
            d,
            t,
            TokenRequest {
                organization: OrganizationChoice::Id(String::from("org_rustaceans")),
                ..TokenRequest::default()
            },
        );
        assert_eq!(verified_claims(mock, &explicit)["o"]["slg"], "rustaceans");

        // End Bob's session; sign him in again and remove that one.
        step(d, t, SessionCommand::End { session_id: bob_session.clone() });
        assert_eq!(mock.session_status(&bob_session).as_deref(), Some("ended"));
        assert_ne!(d.snapshot().session_status(&bob_session), Some("active"));
        step(d, t, sign_in("bob@example.com"));
        let bob_again = d.snapshot().active.expect("bob's new session");
        step(d, t, SessionCommand::Remove { session_id: bob_again.clone() });
        assert_eq!(mock.session_status(&bob_again).as_deref(), Some("removed"));
        t.state("after end and remove", d);

        // Sign out of one session, then of all.
        step(d, t, sign_in("bob@example.com"));
        let bob_third = d.snapshot().active.expect("bob's third session");
        let one = step(d, t, SessionCommand::SignOut { session_id: Some(bob_third.clone()) });
        assert!(matches!(one, Completion::SignedOut { confirmation: SignOutConfirmation::Confirmed }), "{one:?}");
        assert_ne!(mock.session_status(&bob_third).as_deref(), Some("active"));
        let s = t.state("signed out of one", d);
        assert_eq!(s.signed_in_count(), 1, "Ada's session stays");
        let all = step(d, t, SessionCommand::SignOut { session_id: None });
        assert!(matches!(all, Completion::SignedOut { confirmation: SignOutConfirmation::Confirmed }), "{all:?}");
        assert_ne!(mock.session_status(&ada_session).as_deref(), Some("active"));
        assert_eq!(t.state("signed out of all", d).signed_in_count(), 0);

        // DELETE /v1/client: the client is gone, with its token.
        step(d, t, sign_in("ada@example.com"));
        let last = d.snapshot().active.expect("ada's last session");
        step(d, t, ClientCommand::Destroy);
        let destroy = mock.requests().pop().expect("a request");
        assert_eq!((destroy.effective_method.as_str(), destroy.path.as_str()), ("DELETE", "/v1/client"));
        assert_ne!(mock.session_status(&last).as_deref(), Some("active"));
        let s = t.state("destroyed", d);
        assert_eq!(s.signed_in_count(), 0);
        assert!(s.client_token.is_none(), "the destroyed client's token is dropped");
        step(d, t, ClientCommand::Load);
        assert!(mock.requests().pop().and_then(|r| r.header("authorization").map(str::to_owned)).is_none());
    });
}

// ---------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------

/// A driver signed in as a fresh user of `mock`.
fn signed_in(kind: Kind, mock: &MockServer, setup: Setup) -> Box<dyn Driver> {
    let email = format!("user{}@example.com", mock.requests().len());
    mock.add_user(UserSpec::with_email(&email).password("password-1234"));
    let mut d = build(kind, &setup).expect("driver");
    d.run(ClientCommand::Load.into()).expect("load");
    d.run(SignInCommand::Create(SignInCreate::password(email, Password::new("password-1234"))).into())
        .expect("sign in");
    assert_eq!(d.snapshot().signed_in_count(), 1);
    d
}

fn count(requests: &[RecordedRequest], method: &str, path_prefix: &str) -> usize {
    requests.iter().filter(|r| r.effective_method == method && r.path.starts_with(path_prefix)).count()
}

fn since(mock: &MockServer, mark: usize) -> Vec<RecordedRequest> {
    mock.requests().split_off(mark)
}

#[test]
fn too_many_requests_on_a_get_waits_for_retry_after() {
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = signed_in(kind, &mock, Setup::new(mock.base_url()));
        let before = d.snapshot().identity();
        let mark = mock.requests().len();
        mock.set_fault(Route::new("GET", "/v1/client"), Fault::TooManyRequests { retry_after_secs: 2 }, Some(1));
        let started = Instant::now();
        let reloaded = d.run(ClientCommand::Reload.into()).expect("the GET is retried");
        assert!(matches!(reloaded, Completion::ClientReloaded { client_present: true, .. }), "{kind:?}: {reloaded:?}");
        assert!(
            started.elapsed() >= StdDuration::from_secs(2),
            "{kind:?}: Retry-After not honoured: {:?}",
            started.elapsed()
        );
        let sent = since(&mock, mark);
        assert_eq!(count(&sent, "GET", "/v1/client"), 2, "{kind:?}: {sent:#?}");
        assert_eq!(sent[1].query_value("_clerk_retry_attempt"), Some("1"), "{kind:?}");
        assert_eq!(d.snapshot().signed_in_count(), 1);
        assert_eq!(d.snapshot().state.client_token, before.client_token);
    }
}

#[test]
fn a_post_is_never_re_sent() {
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = signed_in(kind, &mock, Setup::new(mock.base_url()));
        for fault in [Fault::ServerError(503), Fault::TooManyRequests { retry_after_secs: 1 }, Fault::DropConnection] {
            let before = d.snapshot().identity();
            let mark = mock.requests().len();
            mock.set_fault(Route::new("POST", "/v1/client/sign_ins"), fault.clone(), Some(1));
            let result = d.run(SignInCommand::Create(SignInCreate::identifier("someone@example.com")).into());
            let error = result.expect_err("the faulted POST fails");
            match (&fault, &error) {
                (Fault::ServerError(_), DriverError::Operation(OperationError::Api(api))) => {
                    assert_eq!(api.status, 503)
                }
                (Fault::TooManyRequests { .. }, DriverError::Operation(OperationError::Api(api))) => {
                    assert_eq!(api.status, 429);
                    assert_eq!(
                        api.retry_after,
                        Some(time::Duration::seconds(1)),
                        "{kind:?}: Retry-After kept for the app"
                    );
                }
                (Fault::DropConnection, DriverError::Operation(OperationError::Transport(_))) => {}
                _ => panic!("{kind:?}: {fault:?} gave {error:?}"),
            }
            let sent = since(&mock, mark);
            assert_eq!(count(&sent, "POST", "/v1/client/sign_ins"), 1, "{kind:?} {fault:?}: {sent:#?}");
            assert_eq!(d.snapshot().identity(), before, "{kind:?} {fault:?}: state changed");
        }
    }
}

#[test]
fn server_errors_on_a_get_are_retried_up_to_the_limit() {
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = signed_in(kind, &mock, Setup::new(mock.base_url()));
        let before = d.snapshot().identity();

        let mark = mock.requests().len();
        mock.set_fault(Route::new("GET", "/v1/client"), Fault::ServerError(503), Some(2));
        d.run(ClientCommand::Reload.into()).expect("the third try succeeds");
        assert_eq!(count(&since(&mock, mark), "GET", "/v1/client"), 3, "{kind:?}");

        let mark = mock.requests().len();
        mock.set_fault(Route::new("GET", "/v1/client"), Fault::ServerError(503), Some(3));
        let error = d.run(ClientCommand::Reload.into()).expect_err("three 503s fail");
        assert_eq!(error.api().map(|api| api.status), Some(503), "{kind:?}: {error:?}");
        assert_eq!(count(&since(&mock, mark), "GET", "/v1/client"), 3, "{kind:?}: retried past the limit");
        let after = d.snapshot();
        assert_eq!(after.signed_in_count(), 1, "{kind:?}: a 503 signed the user out");
        assert_eq!(after.state.client_token, before.client_token);
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    port
}

#[test]
fn connection_refused_is_a_typed_error_and_changes_nothing() {
    for kind in KINDS {
        let mut d = build(kind, &Setup::new(format!("http://127.0.0.1:{}", closed_port()))).expect("driver");
        let before = d.snapshot().identity();
        let error = d.run(ClientCommand::Load.into()).expect_err("nothing listens");
        assert!(
            matches!(error, DriverError::Operation(OperationError::Transport(TransportError::Connect(_)))),
            "{kind:?}: {error:?}"
        );
        // The message says why, not only at which stage (reqwest's own message is
        // "error sending request"; the cause is the OS's).
        assert!(error.to_string().contains("refused"), "{kind:?}: {error}");
        assert_eq!(d.snapshot().identity(), before, "{kind:?}");
        let error =
            d.run(SignInCommand::Create(SignInCreate::identifier("a@example.com")).into()).expect_err("refused");
        assert!(
            matches!(error, DriverError::Operation(OperationError::Transport(TransportError::Connect(_)))),
            "{kind:?}: {error:?}"
        );
        assert_eq!(d.snapshot().identity(), before, "{kind:?}");
    }
}

#[test]
fn a_server_that_went_away_leaves_the_signed_in_state_alone() {
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = signed_in(kind, &mock, Setup::new(mock.base_url()));
        let before = d.snapshot();
        drop(mock);
        let error = d.run(ClientCommand::Reload.into()).expect_err("the server is gone");
        assert!(matches!(error, DriverError::Operation(OperationError::Transport(_))), "{kind:?}: {error:?}");
        let error = d
            .run(SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into())
            .expect_err("the server is gone");
        assert!(matches!(error, DriverError::Operation(OperationError::Transport(_))), "{kind:?}: {error:?}");
        assert_eq!(d.snapshot().identity(), before.identity(), "{kind:?}: a transport error changed the state");
    }
}

#[test]
fn timeouts_are_typed_errors_and_change_nothing() {
    for kind in KINDS {
        let mock = MockServer::start();
        let setup = Setup::new(mock.base_url()).timeouts(StdDuration::from_secs(10), StdDuration::from_secs(2));
        let mut d = signed_in(kind, &mock, setup);
        let before = d.snapshot().identity();

        // A retryable request (session token): every try times out.
        let mark = mock.requests().len();
        mock.set_fault(
            Route::new("POST", "/v1/client/sessions/*/tokens"),
            Fault::Slow(StdDuration::from_secs(20)),
            None,
        );
        let error = d
            .run(SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into())
            .expect_err("every try is too slow");
        assert!(
            matches!(error, DriverError::Operation(OperationError::Transport(TransportError::Timeout(_)))),
            "{kind:?}: {error:?}"
        );
        assert_eq!(count(&since(&mock, mark), "POST", "/v1/client/sessions/"), 3, "{kind:?}");
        assert_eq!(d.snapshot().identity(), before, "{kind:?}");

        // A POST: one try.
        let mark = mock.requests().len();
        mock.set_fault(Route::new("POST", "/v1/client/sign_ins"), Fault::Slow(StdDuration::from_secs(20)), None);
        let error =
            d.run(SignInCommand::Create(SignInCreate::identifier("a@example.com")).into()).expect_err("too slow");
        assert!(
            matches!(error, DriverError::Operation(OperationError::Transport(TransportError::Timeout(_)))),
            "{kind:?}: {error:?}"
        );
        assert_eq!(count(&since(&mock, mark), "POST", "/v1/client/sign_ins"), 1, "{kind:?}");
        assert_eq!(d.snapshot().identity(), before, "{kind:?}");
        mock.clear_faults();
    }
}

#[test]
fn both_drivers_record_every_exchange_in_the_transcript_and_tell_exchange_listeners() {
    let mut exchanges = Vec::new();
    for kind in KINDS {
        let mock = MockServer::start();
        let buffer = SharedBuffer::default();
        let count = Arc::new(AtomicUsize::new(0));
        let mut setup = Setup::new(mock.base_url());
        setup.transcript = Some(buffer.clone());
        setup.exchanges = Some(Arc::clone(&count));
        let mut d = signed_in(kind, &mock, setup);
        let _ = d.snapshot();
        let sent = mock.requests().len();
        let text = buffer.text();
        let lines: Vec<serde_json::Value> =
            text.lines().map(|line| serde_json::from_str(line).expect("a transcript line is JSON")).collect();
        assert_eq!(lines.len(), sent, "{kind:?}: one transcript line per request sent");
        assert_eq!(count.load(Ordering::SeqCst), sent, "{kind:?}: the exchange listener missed exchanges");
        assert!(!text.contains("password-1234"), "{kind:?}: the password reached the transcript");
        let origin = mock.base_url();
        exchanges.push(
            lines
                .iter()
                .map(|line| {
                    let url = line["request"]["url"].as_str().unwrap_or_default();
                    format!("{} {}", line["request"]["method"], url.strip_prefix(origin.as_str()).unwrap_or(url))
                })
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(exchanges[0], exchanges[1], "the blocking (left) and async (right) transcripts differ");
}

#[test]
fn a_transport_error_never_shows_the_rotating_token_nonce() {
    const NONCE: &str = "nonce-canary-4f1d2c3b";
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = build(kind, &Setup::new(mock.base_url())).expect("a driver");
        mock.add_user(UserSpec::with_email("nonce@example.com").password("password-1234"));
        d.run(ClientCommand::Load.into()).expect("load");
        d.run(SignInCommand::Create(SignInCreate::identifier("nonce@example.com")).into()).expect("a sign-in");
        mock.set_fault(Route::new("GET", "/v1/client/sign_ins/*"), Fault::DropConnection, None);
        let reload = SignInCommand::Reload { rotating_token_nonce: Some(clerk_core::secret::Credential::new(NONCE)) };
        let error = d.run(reload.into()).expect_err("every try is dropped");
        assert!(matches!(error, DriverError::Operation(OperationError::Transport(_))), "{kind:?}: {error:?}");
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(NONCE), "{kind:?}: the nonce reached the error: {shown}");
    }
}

#[test]
fn the_operation_time_limit_also_bounds_a_request_on_the_wire() {
    for kind in KINDS {
        let mock = MockServer::start();
        let limit = StdDuration::from_secs(1);
        let mut d = build(kind, &Setup::new(mock.base_url()).operation_timeout(limit)).expect("a driver");
        d.run(ClientCommand::Load.into()).expect("load");
        // The server answers after 8 s, well within the 30 s request timeout but past the
        // operation's 1 s: the call ends with the operation's limit, not the answer.
        mock.set_fault(Route::new("POST", "/v1/client/sign_ins"), Fault::Slow(StdDuration::from_secs(8)), None);
        let result = d.run(SignInCommand::Create(SignInCreate::identifier("slow@example.com")).into());
        assert!(
            matches!(result, Err(DriverError::Timeout { limit: timeout, .. }) if timeout == limit),
            "{kind:?}: {result:?}"
        );
        mock.clear_faults();
        // The abandoned request does not hold the driver's request slot until the server
        // answers: the next call completes within its own (shorter) limit.
        d.run_within(ClientCommand::Reload.into(), StdDuration::from_secs(5)).expect("the driver works on");
    }
}

/// The Frontend API records each session's `User-Agent` for the user's list of devices:
/// every request names the driver, after the app when the builder named one.
#[test]
fn every_request_names_the_driver_and_the_app_in_its_user_agent() {
    for kind in KINDS {
        let (driver, version) = match kind {
            Kind::Blocking => (clerk_ureq::USER_AGENT, "clerk-ureq/"),
            Kind::Async => (clerk_reqwest::USER_AGENT, "clerk-reqwest/"),
        };
        assert!(driver.starts_with(version), "{driver}");
        for (app, expected) in [(None, driver.to_owned()), (Some("Notes/2.1"), format!("Notes/2.1 {driver}"))] {
            let mock = MockServer::start();
            let mut setup = Setup::new(mock.base_url());
            setup.user_agent = app.map(str::to_owned);
            let mut d = build(kind, &setup).expect("a driver");
            d.run(ClientCommand::Load.into()).expect("load");
            d.run(ClientCommand::Reload.into()).expect("reload");
            let requests = mock.requests();
            assert!(!requests.is_empty(), "{kind:?}");
            for request in requests {
                let sent =
                    request.headers.iter().find(|(name, _)| name == "user-agent").map(|(_, value)| value.as_str());
                assert_eq!(sent, Some(expected.as_str()), "{kind:?} {} {}", request.method, request.path);
            }
        }
        // A product no header may carry fails the build, not every request.
        let mock = MockServer::start();
        let mut setup = Setup::new(mock.base_url());
        setup.user_agent = Some(String::from("Notes/2.1\r\nX-Injected: 1"));
        let built = build(kind, &setup);
        assert!(matches!(built, Err(DriverError::Config(_))), "{kind:?}: {:?}", built.err());
    }
}

#[test]
fn a_limit_too_large_for_a_date_means_no_limit() {
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = build(kind, &Setup::new(mock.base_url()).operation_timeout(StdDuration::MAX)).expect("a driver");
        d.run(ClientCommand::Load.into()).expect("load");
        d.run(ClientCommand::Reload.into()).expect("reload");
    }
}

#[test]
fn the_async_driver_built_outside_a_runtime_is_an_error_not_a_panic() {
    let mock = MockServer::start();
    let built = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url()).expect("a builder").build();
    assert!(matches!(built, Err(DriverError::Config(_))), "{:?}", built.map(|_| ()));
}

/// A store whose saves fail while `failing` is set (a full disk), in memory otherwise.
#[derive(Default)]
struct FailingStore {
    inner: clerk_store::MemoryStore,
    failing: AtomicBool,
}

impl TokenStore for FailingStore {
    fn load(&self) -> Result<Option<PersistedState>, StoreError> {
        self.inner.load()
    }

    fn save(&self, state: &PersistedState) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::Io {
                operation: "write",
                path: PathBuf::from("/full-disk/client.json"),
                source: std::io::Error::other("no space left on device"),
            });
        }
        self.inner.save(state)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.inner.clear()
    }

    fn client_token(&self) -> Result<Option<clerk_core::secret::ClientToken>, StoreError> {
        self.inner.client_token()
    }
}

#[test]
fn a_failed_save_is_reported_then_saved_again_without_losing_the_sign_in() {
    for kind in KINDS {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
        let store = Arc::new(FailingStore::default());
        let mut d = build(kind, &Setup::new(mock.base_url()).store(store.clone())).expect("a driver");
        d.run(ClientCommand::Load.into()).expect("load");

        // The sign-in rotates the client token; saving it fails: the call says so.
        store.failing.store(true, Ordering::SeqCst);
        let sign_in = SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("password-1234")));
        let result = d.run(sign_in.into());
        assert!(matches!(result, Err(DriverError::Store(_))), "{kind:?}: the failed save was not reported: {result:?}");

        // The disk has room again: the next call keeps the signed-in engine (the store's
        // older token is this driver's own failed save, not another process's rotation)
        // and saves it.
        store.failing.store(false, Ordering::SeqCst);
        d.run(SessionCommand::GetToken(TokenRequest::default()).into()).expect("a token for the signed-in session");
        let s = d.snapshot();
        assert_eq!(s.signed_in_count(), 1, "{kind:?}: the sign-in was lost");
        let stored = store.inner.load().expect("load").expect("a saved state");
        assert_eq!(stored.client_token, s.identity().client_token, "{kind:?}: the rotated token was not saved again");
    }
}

/// A store that cannot be written at all (a read-only or full disk) does not lock the user
/// in: later calls are sent (each reporting its own failed save), and a sign-out still
/// reaches the server and signs out in memory.
#[test]
fn a_store_that_cannot_be_written_does_not_block_signing_out() {
    for kind in KINDS {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
        let store = Arc::new(FailingStore::default());
        let mut d = build(kind, &Setup::new(mock.base_url()).store(store.clone())).expect("a driver");
        d.run(ClientCommand::Load.into()).expect("load");
        store.failing.store(true, Ordering::SeqCst);
        let sign_in = SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("password-1234")));
        assert!(matches!(d.run(sign_in.into()), Err(DriverError::Store(_))), "{kind:?}: the failed save is reported");

        // A later call is sent (it may report its own failed save), rather than refused
        // before anything is sent.
        let mark = mock.requests().len();
        let reloaded = d.run(ClientCommand::Reload.into());
        assert_eq!(count(&since(&mock, mark), "GET", "/v1/client"), 1, "{kind:?}: the reload was sent: {reloaded:?}");
        d.run(SessionCommand::GetToken(TokenRequest::default()).into())
            .unwrap_or_else(|e| panic!("{kind:?}: a token while the store cannot be written: {e:?}"));
        let mark = mock.requests().len();
        let result = d.run(SessionCommand::SignOut { session_id: None }.into());
        assert!(matches!(result, Err(DriverError::Store(_))), "{kind:?}: its own failed save is reported: {result:?}");
        assert_eq!(count(&since(&mock, mark), "DELETE", "/v1/client/sessions"), 1, "{kind:?}: the server was told");
        assert_eq!(d.snapshot().signed_in_count(), 0, "{kind:?}: signed out in memory");
    }
}

#[test]
fn a_sign_out_whose_save_failed_is_saved_before_the_next_call() {
    for kind in KINDS {
        let mock = MockServer::start();
        let store = Arc::new(FailingStore::default());
        let setup = Setup::new(mock.base_url()).store(store.clone());
        let mut d = signed_in(kind, &mock, setup.clone());

        // The sign-out keeps the client token, so only its session events ask for a save,
        // and that save fails: the call says so.
        store.failing.store(true, Ordering::SeqCst);
        let result = d.run(SessionCommand::SignOut { session_id: None }.into());
        assert!(matches!(result, Err(DriverError::Store(_))), "{kind:?}: {result:?}");
        let stored = store.inner.load().expect("load").expect("a state");
        assert!(stored.active_session_id.is_some(), "{kind:?}: the failed save changed the store");

        // The disk has room again: the next call saves the signed-out state first, so a
        // restart is signed out.
        store.failing.store(false, Ordering::SeqCst);
        d.run(ClientCommand::Reload.into()).expect("reload");
        drop(d);
        let mut again = build(kind, &setup).expect("a restarted driver");
        assert_eq!(again.snapshot().signed_in_count(), 0, "{kind:?}: signed in again after a restart");
    }
}

#[test]
fn a_restart_after_a_sign_out_is_signed_out_even_offline() {
    for kind in KINDS {
        for offline in [false, true] {
            let mock = MockServer::start();
            let store: Arc<dyn TokenStore> = Arc::new(clerk_store::MemoryStore::new());
            let setup = Setup::new(mock.base_url()).store(Arc::clone(&store));
            let mut d = signed_in(kind, &mock, setup.clone());
            if offline {
                drop(mock);
            }
            let done = d.run(SessionCommand::SignOut { session_id: None }.into()).expect("a sign-out");
            let local_only =
                matches!(done, Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { .. } });
            assert_eq!(local_only, offline, "{kind:?}: {done:?}");
            drop(d);
            let mut again = build(kind, &setup).expect("a restarted driver");
            assert_eq!(
                again.snapshot().signed_in_count(),
                0,
                "{kind:?} offline={offline}: signed in again after a restart"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// The async driver and its store: slow stores off the runtime's threads, panicking ones
// ---------------------------------------------------------------------------------------

/// A store in memory that can be made slow or made to panic, and notes the threads it is
/// called on.
#[derive(Default)]
struct ProbeStore {
    inner: clerk_store::MemoryStore,
    /// What it answers to `may_block`, negated (by default it may block, as a store of the
    /// app's own that does not say).
    never_blocks: bool,
    /// The threads it was called on.
    threads: Mutex<Vec<std::thread::ThreadId>>,
    /// While set, every call waits until another task on the driver's runtime has ticked
    /// twice: a slow disk, or a lock another process holds.
    slow: AtomicBool,
    /// Bumped by that other task.
    ticks: Mutex<u64>,
    ticked: std::sync::Condvar,
    /// The calls that waited, and those whose wait saw no tick for a second: the runtime's
    /// other tasks were stalled while the store held its thread.
    waits: AtomicUsize,
    stalls: AtomicUsize,
    /// The method that panics (`"save"`, `"client_token"`), once set.
    panic_in: Mutex<Option<&'static str>>,
}

impl ProbeStore {
    fn tick(&self) {
        *self.ticks.lock().expect("ticks") += 1;
        self.ticked.notify_all();
    }

    fn call(&self, method: &'static str) {
        self.threads.lock().expect("threads").push(std::thread::current().id());
        if *self.panic_in.lock().expect("panic_in") == Some(method) {
            panic!("a bug in a store of the app's own ({method})");
        }
        if !self.slow.load(Ordering::SeqCst) {
            return;
        }
        self.waits.fetch_add(1, Ordering::SeqCst);
        let ticks = self.ticks.lock().expect("ticks");
        let start = *ticks;
        let (_ticks, waited) =
            self.ticked.wait_timeout_while(ticks, StdDuration::from_secs(1), |now| *now < start + 2).expect("ticks");
        if waited.timed_out() {
            self.stalls.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl TokenStore for ProbeStore {
    fn load(&self) -> Result<Option<PersistedState>, StoreError> {
        self.call("load");
        self.inner.load()
    }

    fn save(&self, state: &PersistedState) -> Result<(), StoreError> {
        self.call("save");
        self.inner.save(state)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.call("clear");
        self.inner.clear()
    }

    fn client_token(&self) -> Result<Option<clerk_core::secret::ClientToken>, StoreError> {
        self.call("client_token");
        self.inner.client_token()
    }

    fn may_block(&self) -> bool {
        !self.never_blocks
    }
}

/// A tokio runtime with one thread for its tasks: `current_thread`, or `multi_thread` with
/// one worker.
fn one_thread_runtime(current_thread: bool) -> tokio::runtime::Runtime {
    let mut builder = if current_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(1);
        builder
    };
    builder.enable_all().build().expect("a tokio runtime")
}

/// A store that takes its time (a slow disk, a file lock another process holds) holds up
/// only the async driver's own calls: the application's other tasks on the same runtime go
/// on meanwhile, also on a runtime with one thread (current-thread or one worker).
#[test]
fn a_slow_store_does_not_stall_the_async_drivers_runtime() {
    for current_thread in [true, false] {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
        let store = Arc::new(ProbeStore::default());
        let runtime = one_thread_runtime(current_thread);
        let token = runtime.block_on(async {
            let clerk = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url())
                .expect("a builder")
                .store(store.clone())
                .build()
                .expect("a driver");
            clerk.load().await.expect("load");
            // The application's other work, on the same runtime.
            let ticker = tokio::spawn({
                let store = Arc::clone(&store);
                async move {
                    loop {
                        store.tick();
                        tokio::time::sleep(StdDuration::from_millis(5)).await;
                    }
                }
            });
            store.slow.store(true, Ordering::SeqCst);
            clerk
                .sign_in(SignInCreate::password("ada@example.com", Password::new("password-1234")))
                .await
                .expect("the sign-in");
            store.slow.store(false, Ordering::SeqCst);
            ticker.abort();
            clerk.view(|engine| engine.client_token().cloned()).await.expect("the task runs")
        });
        let flavour = if current_thread { "current_thread" } else { "one worker" };
        assert!(store.waits.load(Ordering::SeqCst) >= 2, "{flavour}: the sign-in read and saved the store");
        assert_eq!(
            store.stalls.load(Ordering::SeqCst),
            0,
            "{flavour}: the store's calls held the runtime's only thread, the app's other tasks stalled"
        );
        let stored = store.inner.load().expect("load").expect("a saved state");
        assert_eq!(stored.client_token, token, "{flavour}: the rotated token was saved");
    }
}

/// A store that says it never blocks, as the memory store does, is called in the async
/// driver's own task, with no hand-off between threads per call; one that may block (the
/// file store, a store of the app's own that does not say) only ever on other threads. The
/// load when the driver is built is made on the building thread by `build()`, and where
/// the other calls are made by `build_async()`.
#[test]
fn only_a_store_that_may_block_is_called_off_the_async_drivers_thread() {
    for (never_blocks, build_async) in [(true, false), (false, false), (true, true), (false, true)] {
        let label = format!("never_blocks={never_blocks}, build_async={build_async}");
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
        let store = Arc::new(ProbeStore { never_blocks, ..ProbeStore::default() });
        // The runtime's one thread is this one.
        let runtime = one_thread_runtime(true);
        runtime.block_on(async {
            let builder =
                clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url()).expect("a builder").store(store.clone());
            let clerk = if build_async { builder.build_async().await } else { builder.build() }.expect("a driver");
            clerk.load().await.expect("load");
            clerk
                .sign_in(SignInCreate::password("ada@example.com", Password::new("password-1234")))
                .await
                .expect("the sign-in");
        });
        let here = std::thread::current().id();
        let threads = store.threads.lock().expect("threads").clone();
        let (built, calls) = threads.split_first().expect("the load at build");
        assert_eq!(*built == here, never_blocks || !build_async, "{label}: where the load at build was made");
        assert!(calls.len() >= 3, "{label}: the calls read and saved the store: {calls:?}");
        if never_blocks {
            assert!(
                calls.iter().all(|thread| *thread == here),
                "{label}: a store that never blocks was called elsewhere"
            );
        } else {
            assert!(
                calls.iter().all(|thread| *thread != here),
                "{label}: a store that may block was called in the task"
            );
        }
    }
}

/// `build_async` restores what the store holds, as `build` does, and a store that panics
/// while loading is a typed error, not a panic in the application's task.
#[test]
fn the_async_drivers_build_async_restores_and_reports_a_panicking_load() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
    let store = Arc::new(ProbeStore::default());
    let runtime = one_thread_runtime(true);
    runtime.block_on(async {
        let builder = || clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url()).expect("a builder");
        let first = builder().store(store.clone()).build_async().await.expect("a driver");
        first.load().await.expect("load");
        first
            .sign_in(SignInCreate::password("ada@example.com", Password::new("password-1234")))
            .await
            .expect("the sign-in");
        let signed_in = first.view(|engine| engine.active_session_id().map(str::to_owned)).await.expect("a view");
        assert!(signed_in.is_some());

        let again = builder().store(store.clone()).build_async().await.expect("a second driver");
        let restored = again.view(|engine| engine.active_session_id().map(str::to_owned)).await.expect("a view");
        assert_eq!(restored, signed_in, "the second driver starts signed in from the store");

        *store.panic_in.lock().expect("panic_in") = Some("load");
        let panicked = builder().store(store.clone()).build_async().await;
        assert!(matches!(panicked, Err(DriverError::StorePanicked)), "{panicked:?}");
    });
}

/// A store that panics (a bug in a store of the app's own) ends the async driver cleanly:
/// the call that met it gets a typed error, subscribers see the channel close, and later
/// calls are told the driver has stopped.
#[test]
fn a_panicking_store_ends_the_async_driver_with_a_typed_error() {
    use tokio::sync::broadcast::error::RecvError;
    // A store that may block panics on the blocking pool, one that never blocks in the task.
    for (never_blocks, method) in [(false, "client_token"), (false, "save"), (true, "client_token"), (true, "save")] {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
        let store = Arc::new(ProbeStore { never_blocks, ..ProbeStore::default() });
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
        runtime.block_on(async {
            let clerk = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url())
                .expect("a builder")
                .store(store.clone())
                .build()
                .expect("a driver");
            let mut events = clerk.subscribe();
            clerk.load().await.expect("load");
            *store.panic_in.lock().expect("panic_in") = Some(method);
            let result = clerk.sign_in(SignInCreate::password("ada@example.com", Password::new("password-1234"))).await;
            assert!(
                matches!(result, Err(DriverError::StorePanicked)),
                "{method} (never_blocks={never_blocks}): the call that met the panic: {result:?}"
            );
            // The events before the end, then the end.
            let closed = tokio::time::timeout(StdDuration::from_secs(5), async {
                while let Ok(_) | Err(RecvError::Lagged(_)) = events.recv().await {}
            })
            .await;
            assert!(closed.is_ok(), "{method} (never_blocks={never_blocks}): subscribers never saw the driver end");
            let later = clerk.reload().await;
            assert!(
                matches!(later, Err(DriverError::Stopped)),
                "{method} (never_blocks={never_blocks}): a later call: {later:?}"
            );
            let late = clerk.subscribe().recv().await;
            assert!(
                matches!(late, Err(RecvError::Closed)),
                "{method} (never_blocks={never_blocks}): a later subscriber: {late:?}"
            );
        });
    }
}

#[test]
fn truncated_and_html_bodies() {
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = signed_in(kind, &mock, Setup::new(mock.base_url()));
        let before = d.snapshot().identity();

        // On a POST: the status and headers arrive, the body breaks off half way: a
        // transport error (nothing of an incomplete answer is applied), one try, nothing
        // changed.
        let post = Route::new("POST", "/v1/client/sign_ins");
        mock.set_fault(post.clone(), Fault::TruncatedBody, Some(1));
        let error =
            d.run(SignInCommand::Create(SignInCreate::identifier("a@example.com")).into()).expect_err("truncated");
        assert!(
            matches!(error, DriverError::Operation(OperationError::Transport(TransportError::Io(_)))),
            "{kind:?}: {error:?}"
        );
        assert_eq!(d.snapshot().identity(), before, "{kind:?}: a truncated body changed the state");
        mock.set_fault(post, Fault::HtmlBody, Some(1));
        let error = d.run(SignInCommand::Create(SignInCreate::identifier("a@example.com")).into()).expect_err("html");
        match &error {
            DriverError::Operation(OperationError::Response(ResponseError::Undecodable { status, .. })) => {
                assert_eq!(*status, 502);
            }
            other => panic!("{kind:?}: {other:?}"),
        }
        assert_eq!(error.http_status(), Some(502), "{kind:?}: the proxy's status, without reading the variants");
        assert_eq!(d.snapshot().identity(), before, "{kind:?}: an HTML body changed the state");

        // On a GET: retried, and the retry succeeds.
        for fault in [Fault::TruncatedBody, Fault::HtmlBody] {
            let mark = mock.requests().len();
            mock.set_fault(Route::new("GET", "/v1/client"), fault.clone(), Some(1));
            d.run(ClientCommand::Reload.into()).unwrap_or_else(|e| panic!("{kind:?} {fault:?}: {e:?}"));
            assert_eq!(count(&since(&mock, mark), "GET", "/v1/client"), 2, "{kind:?} {fault:?}");
            assert_eq!(d.snapshot().signed_in_count(), 1);
        }
    }
}

/// Normalized classification of a driver error, for comparing the drivers.
fn error_class(error: &DriverError) -> String {
    match error {
        DriverError::Operation(OperationError::Transport(transport)) => {
            let name = match transport {
                TransportError::Timeout(_) => "timeout",
                TransportError::Connect(_) => "connect",
                TransportError::Io(_) => "io",
                TransportError::BodyTooLarge { .. } => "too_large",
                _ => "other",
            };
            format!("transport {name}")
        }
        DriverError::Operation(OperationError::Api(api)) => format!("api {} {}", api.status, api.code.as_str()),
        DriverError::Operation(OperationError::Response(ResponseError::Undecodable { status, .. })) => {
            format!("undecodable {status}")
        }
        other => format!("{other:?}"),
    }
}

#[test]
fn both_drivers_classify_faults_alike() {
    let mut classes = Vec::new();
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = signed_in(kind, &mock, Setup::new(mock.base_url()));
        let mut seen = Vec::new();
        for fault in [
            Fault::TruncatedBody,
            Fault::HtmlBody,
            Fault::DropConnection,
            Fault::ServerError(500),
            Fault::TooManyRequests { retry_after_secs: 1 },
        ] {
            mock.set_fault(Route::new("POST", "/v1/client/sign_ins"), fault.clone(), Some(1));
            let error =
                d.run(SignInCommand::Create(SignInCreate::identifier("a@example.com")).into()).expect_err("fault");
            seen.push(format!("{fault:?}: {}", error_class(&error)));
        }
        classes.push(seen);
    }
    assert_eq!(classes[0], classes[1], "blocking (left) and async (right) report faults differently");
}

#[test]
fn the_client_token_rotates_across_requests() {
    for kind in KINDS {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("rot@example.com").password("password-1234"));
        let mut d = driver(kind, &mock);
        d.run(ClientCommand::Load.into()).expect("load");
        d.run(SignInCommand::Create(SignInCreate::identifier("rot@example.com")).into()).expect("create");
        let first = d.snapshot().client_token.expect("a token from the first mutation");
        d.run(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::Password(Password::new("password-1234"))).into())
            .expect("complete");
        let second = d.snapshot().client_token.expect("a token");
        assert_ne!(first, second, "{kind:?}: completing the sign-in rotates the token");
        let announced: Vec<String> = d
            .events()
            .iter()
            .filter_map(|e| match e {
                Event::ClientTokenChanged { token: Some(token) } => Some(token.expose().to_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(announced, vec![first.clone(), second.clone()], "{kind:?}");
        let mark = mock.requests().len();
        d.run(SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into())
            .expect("token");
        d.run(ClientCommand::Reload.into()).expect("reload");
        for request in since(&mock, mark) {
            let sent = request.header("authorization").map(|v| v.trim_start_matches("Bearer ").to_owned());
            assert_eq!(sent.as_deref(), Some(second.as_str()), "{kind:?}: {} sent an old token", request.path);
        }
        assert_eq!(d.snapshot().signed_in_count(), 1);
    }
}

// ---------------------------------------------------------------------------------------
// The file store
// ---------------------------------------------------------------------------------------

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("clerk-drivers-{label}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn host_of(mock: &MockServer) -> String {
    ClientConfig::for_base_url(&mock.base_url(), InstanceType::Development)
        .expect("config")
        .frontend_api_host()
        .to_owned()
}

fn file_store(dir: &TempDir, mock: &MockServer) -> Arc<FileStore> {
    let config = ClientConfig::for_base_url(&mock.base_url(), InstanceType::Development).expect("config");
    Arc::new(FileStore::for_config(dir.path(), &config).expect("file store"))
}

/// The number of signed-in sessions in the state a store holds.
fn stored_sessions(store: &FileStore, mock: &MockServer) -> usize {
    let state = store.load().expect("readable").expect("a state");
    let config = ClientConfig::for_base_url(&mock.base_url(), InstanceType::Development).expect("config");
    let engine = clerk_core::Client::restore(config, state, time::OffsetDateTime::now_utc()).expect("restorable");
    engine.signed_in_sessions().count()
}

#[test]
fn a_restart_from_the_file_store_is_still_signed_in() {
    // Every pair: written by one driver, read back by either.
    for (first, second) in [(Kind::Blocking, Kind::Async), (Kind::Async, Kind::Blocking), (Kind::Async, Kind::Async)] {
        let mock = MockServer::start();
        let dir = TempDir::new("restart");
        let mut d = signed_in(first, &mock, Setup::new(mock.base_url()).store(file_store(&dir, &mock)));
        let session = d.snapshot().active.expect("signed in");
        let token = d.snapshot().client_token;
        drop(d);

        let mut again = build(second, &Setup::new(mock.base_url()).store(file_store(&dir, &mock))).expect("restart");
        let restored = again.snapshot();
        assert_eq!(restored.active.as_deref(), Some(session.as_str()), "{first:?}→{second:?}: restored signed in");
        assert_eq!(restored.client_token, token);
        again.run(ClientCommand::Load.into()).expect("load");
        let loaded = again.snapshot();
        assert_eq!(loaded.active.as_deref(), Some(session.as_str()), "{first:?}→{second:?}: the server agrees");
        let jwt = match again.run(SessionCommand::GetToken(TokenRequest::default()).into()).expect("token") {
            Completion::SessionToken(jwt) => jwt,
            other => panic!("{other:?}"),
        };
        assert_eq!(verified_claims(&mock, &jwt)["sid"], session.as_str());
        assert!(mock.violations().is_empty(), "{:?}", mock.violations());
    }
}

#[test]
fn a_corrupt_store_file_is_reported_and_left_untouched() {
    for kind in KINDS {
        let mock = MockServer::start();
        let dir = TempDir::new("corrupt");
        let store = file_store(&dir, &mock);
        let garbage = b"{\"format_version\":1, this is not json".to_vec();
        std::fs::write(store.path(), &garbage).expect("write");
        let error = build(kind, &Setup::new(mock.base_url()).store(store.clone())).err().expect("refused");
        assert!(matches!(error, DriverError::Store(StoreError::Corrupt { .. })), "{kind:?}: {error:?}");
        assert_eq!(std::fs::read(store.path()).expect("still there"), garbage, "{kind:?}: the file was modified");
        assert!(mock.requests().is_empty(), "{kind:?}: nothing is sent");
    }
}

/// What a driver built with a store for `store_host` must say: both hosts, and the way to
/// the right store.
fn assert_names_both_hosts_and_the_fix(error: &DriverError, store_host: &str, driver_host: &str, label: &str) {
    let DriverError::Config(message) = error else { panic!("{label}: not a configuration error: {error:?}") };
    assert!(
        message.contains(&format!("keeps the client state of Frontend API host {store_host:?}"))
            && message.contains(&format!("this driver talks to {driver_host:?}"))
            && message.contains("FileStore::for_config(dir, &config)"),
        "{label}: {message}"
    );
}

/// A file store built for another host than the driver's configuration (`localhost` for a
/// driver talking to `127.0.0.1:PORT`, the trial's mistake) is refused when the driver is
/// built, by `build` and by `build_async`, naming both hosts and how to build the right
/// store, with nothing read or sent, rather than found out at the first save, after a
/// sign-in the server had accepted. The store built from the configuration is taken, and
/// keeps the sign-in.
#[test]
fn a_file_store_for_another_host_is_refused_when_the_driver_is_built() {
    for kind in KINDS {
        let mock = MockServer::start();
        let driver_host = host_of(&mock);
        let port = driver_host.rsplit(':').next().expect("a port");
        let store_host = format!("localhost:{port}");
        let dir = TempDir::new("another-host");
        let wrong = Arc::new(FileStore::new(dir.path(), &store_host).expect("a store"));
        let error = build(kind, &Setup::new(mock.base_url()).store(wrong.clone())).err().expect("refused");
        assert_names_both_hosts_and_the_fix(&error, &store_host, &driver_host, &format!("{kind:?}"));
        assert!(mock.requests().is_empty(), "{kind:?}: nothing is sent");
        assert!(!wrong.path().exists() && !wrong.lock_path().exists(), "{kind:?}: the store is not even read");

        let config = ClientConfig::for_base_url(&mock.base_url(), InstanceType::Development).expect("config");
        let right = Arc::new(FileStore::for_config(dir.path(), &config).expect("a store"));
        let d = signed_in(kind, &mock, Setup::new(mock.base_url()).store(right.clone()));
        drop(d);
        assert_eq!(stored_sessions(&right, &mock), 1, "{kind:?}: the sign-in is kept for the next run");
    }

    let mock = MockServer::start();
    let driver_host = host_of(&mock);
    let dir = TempDir::new("another-host-async");
    let wrong = Arc::new(FileStore::new(dir.path(), "localhost").expect("a store"));
    let config = ClientConfig::for_base_url(&mock.base_url(), InstanceType::Development).expect("config");
    let right = Arc::new(FileStore::for_config(dir.path(), &config).expect("a store"));
    one_thread_runtime(true).block_on(async {
        let refused = clerk_reqwest::Clerk::builder(config.clone()).store(wrong.clone()).build_async().await;
        assert_names_both_hosts_and_the_fix(&refused.expect_err("refused"), "localhost", &driver_host, "build_async");
        assert!(mock.requests().is_empty(), "build_async: nothing is sent");
        assert!(!wrong.path().exists() && !wrong.lock_path().exists(), "build_async: the store is not even read");
        let clerk = clerk_reqwest::Clerk::builder(config).store(right).build_async().await.expect("a driver");
        clerk.load().await.expect("load");
    });
    assert!(!mock.requests().is_empty(), "the driver with the right store talks to the server");
}

#[test]
fn a_stale_token_answered_with_a_session_less_client_keeps_the_signed_in_state() {
    for kind in KINDS {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("other@example.com").password("password-1234"));
        let dir = TempDir::new("stale");
        let setup = Setup::new(mock.base_url()).store(file_store(&dir, &mock)).operation_timeout(BUG_BOUND);
        let mut a = signed_in(kind, &mock, setup);
        let mut b = build(kind, &Setup::new(mock.base_url()).store(file_store(&dir, &mock))).expect("second process");
        // The second process signs in another user: the token rotates and is saved.
        b.run(
            SignInCommand::Create(SignInCreate::password("other@example.com", Password::new("password-1234"))).into(),
        )
        .expect("second sign-in");
        let rotated = b.snapshot().client_token.expect("token");
        assert_ne!(a.snapshot().client_token.as_deref(), Some(rotated.as_str()), "A's token is now stale");

        // A mutation with the stale token: the server answers with a brand-new,
        // session-less client. A must not end up signed out.
        let _ = a.run(SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into());
        let s = a.snapshot();
        assert!(s.signed_in_count() >= 1, "{kind:?}: the stale-token answer signed A out: {}", s.summary());
        assert_eq!(s.client_token.as_deref(), Some(rotated.as_str()), "{kind:?}: A continues with the newer token");
        assert_eq!(stored_sessions(&FileStore::new(dir.path(), &host_of(&mock)).expect("store"), &mock), 2);
        a.run(SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into())
            .unwrap_or_else(|e| panic!("{kind:?}: A keeps working: {e:?}"));
        assert!(mock.violations().is_empty(), "{:?}", mock.violations());
    }
}

/// The operation timeout of the tests whose call meets a store conflict: the async driver
/// then waits it out (see the ignored test below).
const BUG_BOUND: StdDuration = StdDuration::from_secs(8);

/// A mutation whose answer is a brand-new session-less client (the token was stale).
fn touch_active(d: &mut dyn Driver) {
    let session = d.snapshot().active.expect("an active session");
    // The call's own outcome is the subject of the ignored test below; here only the state
    // after it counts.
    let _ = d.run(
        SessionCommand::SetActive { session_id: session, organization: OrganizationChoice::SessionDefault }.into(),
    );
}

#[test]
fn two_processes_share_one_store() {
    for kind in KINDS {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("second@example.com").password("password-1234"));
        mock.add_user(UserSpec::with_email("third@example.com").password("password-1234"));
        let dir = TempDir::new("shared");
        let setup =
            |mock: &MockServer| Setup::new(mock.base_url()).store(file_store(&dir, mock)).operation_timeout(BUG_BOUND);
        let mut a = signed_in(kind, &mock, setup(&mock));
        let mut b = build(kind, &setup(&mock)).expect("second process");
        b.run(ClientCommand::Load.into()).expect("B loads");
        assert_eq!(b.snapshot().active, a.snapshot().active, "{kind:?}: B starts from A's saved state");

        // B rotates the token (a second sign-in). A's next mutation, with the stale token,
        // meets a conflict when saving the session-less answer: A continues from B's state.
        b.run(
            SignInCommand::Create(SignInCreate::password("second@example.com", Password::new("password-1234"))).into(),
        )
        .expect("B signs in a second user");
        touch_active(a.as_mut());
        let s = a.snapshot();
        assert_eq!(s.signed_in_count(), 2, "{kind:?}: A continues from B's state: {}", s.summary());
        assert_eq!(s.client_token, b.snapshot().client_token, "{kind:?}: A uses the newest token");

        // Now A rotates (a third sign-in) and B catches up the same way.
        a.run(
            SignInCommand::Create(SignInCreate::password("third@example.com", Password::new("password-1234"))).into(),
        )
        .unwrap_or_else(|e| panic!("{kind:?}: A keeps working: {e:?}"));
        assert_eq!(a.snapshot().signed_in_count(), 3, "{kind:?}: A's own rotation is kept");
        touch_active(b.as_mut());
        let s = b.snapshot();
        assert_eq!(s.signed_in_count(), 3, "{kind:?}: B continues from A's state: {}", s.summary());
        assert_eq!(s.client_token, a.snapshot().client_token, "{kind:?}");
        b.run(SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into())
            .unwrap_or_else(|e| panic!("{kind:?}: B keeps working: {e:?}"));
        assert_eq!(stored_sessions(&FileStore::new(dir.path(), &host_of(&mock)).expect("store"), &mock), 3);
    }
}

#[test]
fn a_call_whose_answer_meets_a_store_conflict_ends_promptly_with_a_clear_error() {
    let mut outcomes = Vec::new();
    let mut problems = Vec::new();
    for kind in KINDS {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("second@example.com").password("password-1234"));
        let dir = TempDir::new("conflict");
        // Two processes: two FileStore instances on one directory.
        let setup = |mock: &MockServer| {
            Setup::new(mock.base_url()).store(file_store(&dir, mock)).operation_timeout(StdDuration::from_secs(30))
        };
        let mut a = signed_in(kind, &mock, setup(&mock));
        let mut b = build(kind, &setup(&mock)).expect("second process");
        b.run(ClientCommand::Load.into()).expect("B loads");
        b.run(
            SignInCommand::Create(SignInCreate::password("second@example.com", Password::new("password-1234"))).into(),
        )
        .expect("B signs in a second user");
        let session = a.snapshot().active.expect("active");
        let started = Instant::now();
        let result = a.run(
            SessionCommand::SetActive { session_id: session, organization: OrganizationChoice::SessionDefault }.into(),
        );
        let elapsed = started.elapsed();
        if elapsed > StdDuration::from_secs(20) {
            problems.push(format!("{kind:?}: the call hung for {elapsed:?}: {result:?}"));
        }
        if let Err(error @ (DriverError::Stopped | DriverError::Timeout { .. })) = &result {
            problems.push(format!("{kind:?}: the call ended with a misleading error: {error:?}"));
        }
        assert_eq!(a.snapshot().signed_in_count(), 2, "{kind:?}: A continues from B's state");
        outcomes.push(result.map(|c| describe(&c)).map_err(|e| error_class(&e)));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(outcomes[0], outcomes[1], "the drivers end the call differently");
}

#[test]
fn a_reload_with_a_token_another_process_rotated_keeps_the_signed_in_state() {
    let mut failures = Vec::new();
    for kind in KINDS {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("second@example.com").password("password-1234"));
        let dir = TempDir::new("reload");
        let mut a = signed_in(kind, &mock, Setup::new(mock.base_url()).store(file_store(&dir, &mock)));
        let mut b = build(kind, &Setup::new(mock.base_url()).store(file_store(&dir, &mock))).expect("second process");
        b.run(
            SignInCommand::Create(SignInCreate::password("second@example.com", Password::new("password-1234"))).into(),
        )
        .expect("B signs in a second user");
        // A reloads with its now stale token: the server no longer knows it.
        let _ = a.run(ClientCommand::Reload.into());
        let s = a.snapshot();
        if s.signed_in_count() == 0 {
            failures.push(format!("{kind:?}: signed out after the reload: {}", s.summary()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------
// Session tokens and the JWKS
// ---------------------------------------------------------------------------------------

#[test]
fn session_tokens_verify_against_the_jwks_with_an_independent_library() {
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = signed_in(kind, &mock, Setup::new(mock.base_url()));
        let session = d.snapshot().active.expect("session");
        let jwt = match d.run(SessionCommand::GetToken(TokenRequest::default()).into()).expect("token") {
            Completion::SessionToken(jwt) => jwt,
            other => panic!("{other:?}"),
        };
        let claims = verified_claims(&mock, &jwt);
        assert_eq!(claims["sid"], session.as_str(), "{kind:?}");
        assert_eq!(claims["iss"], mock.base_url().as_str());

        // The verifier really checks the signature: a changed payload is refused.
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        use base64::Engine as _;
        let mut payload: serde_json::Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).expect("base64"))
                .expect("claims");
        payload["sub"] = serde_json::json!("user_someone_else");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string()),
            parts[2]
        );
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(mock.jwks()).expect("JWKS");
        let key = jsonwebtoken::DecodingKey::from_jwk(&set.keys[0]).expect("key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.validate_aud = false;
        assert!(jsonwebtoken::decode::<serde_json::Value>(&forged, &key, &validation).is_err());
    }
}

// ---------------------------------------------------------------------------------------
// Secrets never reach the tracing output
// ---------------------------------------------------------------------------------------

/// Everything the process's tracing subscriber wrote.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs (once) a process-wide subscriber at TRACE level that writes everything —
/// spans with their fields as they open and close, events of every crate (hyper, reqwest,
/// ureq) — into a buffer.
fn captured_tracing() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        captured
    })
}

#[test]
fn no_secret_reaches_the_tracing_output() {
    let captured = captured_tracing();
    const PASSWORD: &str = "canary-password-7c1e";
    const TOTP: &str = "canary-totp-4e2b";
    const BACKUP: &str = "canary-backup-55aa";
    let mut secrets: Vec<String> = vec![PASSWORD.into(), TOTP.into(), BACKUP.into()];
    for kind in KINDS {
        let mock = MockServer::start();
        let email = format!("canary-{kind:?}+clerk_test@example.com").to_lowercase();
        mock.add_user(
            UserSpec::with_email(&email)
                .password(PASSWORD)
                .mfa_totp(Totp::FixedCode(TOTP.into()))
                .mfa_backup_codes(&[BACKUP]),
        );
        let mut d = driver(kind, &mock);
        d.run(ClientCommand::Load.into()).expect("load");
        d.run(
            SignInCommand::Create(SignInCreate::password(&email, Password::new("canary-wrong-password-3d9f"))).into(),
        )
        .expect_err("wrong password");
        secrets.push(String::from("canary-wrong-password-3d9f"));
        d.run(SignInCommand::Create(SignInCreate::password(&email, Password::new(PASSWORD))).into()).expect("password");
        d.run(SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(code(TOTP))).into()).expect("totp");
        let jwt = match d.run(SessionCommand::GetToken(TokenRequest::default()).into()).expect("token") {
            Completion::SessionToken(jwt) => jwt,
            other => panic!("{other:?}"),
        };
        secrets.push(jwt.expose().to_owned());
        // The JWT's signature alone is secret enough to look for.
        secrets.push(jwt.expose().rsplit('.').next().expect("signature").to_owned());
        let s = d.snapshot();
        secrets.push(s.client_token.clone().expect("client token"));
        d.run(SessionCommand::SignOut { session_id: None }.into()).expect("sign out");
        // Second factor by backup code, and an email code sign-in.
        d.run(SignInCommand::Create(SignInCreate::password(&email, Password::new(PASSWORD))).into()).expect("password");
        d.run(SignInCommand::AttemptSecondFactor(SecondFactorAttempt::BackupCode(code(BACKUP))).into())
            .expect("backup");
        secrets.push(d.snapshot().client_token.expect("client token"));
        let debug = format!("{:?}", d.snapshot().state);
        for secret in &secrets {
            assert!(!debug.contains(secret.as_str()), "{kind:?}: the persisted state's Debug shows a secret");
        }
    }
    let text = String::from_utf8_lossy(&captured.0.lock().expect("buffer")).into_owned();
    assert!(text.contains("clerk.request"), "the drivers' spans were not captured: {} bytes", text.len());
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "a secret ({} chars) appears in the tracing output", secret.len());
    }
}

// ---------------------------------------------------------------------------------------
// The caller's code panicking inside a driver
// ---------------------------------------------------------------------------------------

/// A `view` closure that panics raises its panic in the caller's task; the driver's task goes
/// on (before, every later call failed with `Stopped`).
#[test]
fn a_panicking_view_is_raised_in_the_caller_and_the_async_driver_goes_on() {
    let mock = MockServer::start();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let clerk = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url()).expect("url").build().expect("driver");
        clerk.load().await.expect("load");
        let viewer = clerk.clone();
        let panicked = tokio::spawn(async move {
            viewer.view(|engine| engine.active_session().map(|s| s.id.to_string()).expect("signed in")).await
        })
        .await;
        assert!(panicked.is_err_and(|error| error.is_panic()), "the panic reaches the caller");
        clerk.load().await.expect("the driver still runs");
        assert_eq!(clerk.view(|engine| engine.sessions().len()).await.expect("view"), 0);
    });
}

/// An event listener that panics does not stop either driver in the middle of an operation:
/// the sign-in completes and later calls work.
#[test]
fn a_panicking_event_listener_does_not_stop_the_drivers() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("ada@example.com").password("correct horse battery"));
    let sign_in = || SignInCreate::password("ada@example.com", Password::new("correct horse battery"));
    let listener = || -> clerk_store::drive::EventListener {
        Box::new(|event: &Event| {
            if matches!(event, Event::SessionsChanged) {
                panic!("a listener bug");
            }
        })
    };

    let mut blocking = clerk_ureq::Clerk::builder_for_base_url(&mock.base_url())
        .expect("url")
        .on_event(listener())
        .build()
        .expect("driver");
    blocking.run(ClientCommand::Load).expect("load");
    blocking.run(SignInCommand::Create(sign_in())).expect("the sign-in completes");
    assert!(blocking.engine().active_session_id().is_some());
    blocking.run(ClientCommand::Reload).expect("later calls work");

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let clerk = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url())
            .expect("url")
            .on_event(listener())
            .build()
            .expect("driver");
        clerk.load().await.expect("load");
        clerk.sign_in(sign_in()).await.expect("the sign-in completes");
        assert!(clerk.view(|engine| engine.active_session_id().is_some()).await.expect("view"), "signed in");
        clerk.reload().await.expect("later calls work");
    });
}

/// An organization switch is announced (`ActiveOrganizationChanged`) and saved: after a
/// restart, the first token (before any load) is for that organization, not the personal
/// account.
#[test]
fn an_organization_switch_is_announced_and_survives_a_restart() {
    for (first, second) in [(Kind::Blocking, Kind::Async), (Kind::Async, Kind::Blocking)] {
        let mock = MockServer::start();
        let dir = TempDir::new("org-restart");
        let user = mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
        mock.add_organization(&user, "org_acme", "acme");
        let mut d = build(first, &Setup::new(mock.base_url()).store(file_store(&dir, &mock))).expect("driver");
        d.run(ClientCommand::Load.into()).expect("load");
        d.run(SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("password-1234"))).into())
            .expect("sign in");
        let session = d.snapshot().active.expect("signed in");
        let _ = d.events();
        d.run(
            SessionCommand::SetActive {
                session_id: session.clone(),
                organization: OrganizationChoice::Id("org_acme".into()),
            }
            .into(),
        )
        .expect("switch");
        let events = d.events();
        let announced = events
            .iter()
            .position(|e| *e == Event::ActiveOrganizationChanged { organization_id: Some("org_acme".into()) });
        // Announced before the switch's completion (the last event).
        let completed = events.iter().rposition(|e| matches!(e, Event::OperationCompleted { .. }));
        assert!(announced.is_some() && announced < completed, "{first:?}: {events:?}");
        drop(d);

        let mut again = build(second, &Setup::new(mock.base_url()).store(file_store(&dir, &mock))).expect("restart");
        let jwt = match again.run(SessionCommand::GetToken(TokenRequest::default()).into()).expect("token") {
            Completion::SessionToken(jwt) => jwt,
            other => panic!("{other:?}"),
        };
        let claims = verified_claims(&mock, &jwt);
        assert_eq!(claims["o"]["id"], "org_acme", "{first:?}→{second:?}: {claims}");
        let restored_events = again.events();
        assert!(
            !restored_events.iter().any(|e| matches!(e, Event::ActiveOrganizationChanged { .. })),
            "a restore reports nothing new: {restored_events:?}"
        );
    }
}

/// The key the mock prints works with the library as it is (decision 0011): both drivers
/// built from it reach the mock over plain HTTP.
#[test]
fn the_mocks_publishable_key_reaches_the_mock_from_both_drivers() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let mut blocking = clerk_ureq::Clerk::builder_from_publishable_key(&key).expect("key").build().expect("driver");
    assert!(matches!(blocking.load(), Ok(Completion::Loaded { .. })));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let clerk = clerk_reqwest::Clerk::builder_from_publishable_key(&key).expect("key").build().expect("driver");
        assert!(matches!(clerk.load().await, Ok(Completion::Loaded { .. })));
    });
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// Another process sharing the store signs out and signs in as someone else: on its next call
/// this driver continues from the shared state and the app hears of it (`SignedOut`,
/// `ActiveSessionChanged`), instead of serving the other user's tokens to a UI that still
/// shows the first one.
#[test]
fn a_user_switched_by_another_process_reaches_the_app_as_events() {
    for kind in KINDS {
        let mock = MockServer::start();
        let dir = TempDir::new("swap");
        mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
        mock.add_user(UserSpec::with_email("bob@example.com").password("password-1234"));
        let sign_in = |who: &str| SignInCommand::Create(SignInCreate::password(who, Password::new("password-1234")));
        let mut app = build(kind, &Setup::new(mock.base_url()).store(file_store(&dir, &mock))).expect("driver");
        app.run(ClientCommand::Load.into()).expect("load");
        app.run(sign_in("ada@example.com").into()).expect("ada signs in");
        let ada = app.snapshot().active.expect("ada");
        let seen_before = app.events().len();

        // The companion program on the same store.
        let mut other = clerk_ureq::Clerk::builder_for_base_url(&mock.base_url())
            .expect("url")
            .store(file_store(&dir, &mock))
            .build()
            .expect("other");
        other.sign_out(None).expect("sign out");
        other.run(sign_in("bob@example.com")).expect("bob signs in");
        let bob = other.engine().active_session_id().map(str::to_owned).expect("bob");

        let jwt = match app.run(SessionCommand::GetToken(TokenRequest::default()).into()).expect("token") {
            Completion::SessionToken(jwt) => jwt,
            other => panic!("{other:?}"),
        };
        assert_eq!(verified_claims(&mock, &jwt)["sid"], bob.as_str(), "{kind:?}: the token is Bob's");
        let events = app.events().split_off(seen_before);
        assert!(events.iter().any(|e| matches!(e, Event::SignedOut { .. })), "{kind:?}: {events:?}");
        assert!(
            events.contains(&Event::ActiveSessionChanged { session_id: Some(bob.as_str().into()) }),
            "{kind:?}: {events:?}"
        );
        assert_ne!(ada, bob);
    }
}

// ---------------------------------------------------------------------------------------
// Adopting a shared state (review of Client::adopt's use in the drivers)
// ---------------------------------------------------------------------------------------

/// Following another process's state does not write it back: the other process's next save
/// is not a conflict (its sign-out is not undone).
#[test]
fn adopting_a_shared_state_does_not_make_the_other_process_conflict() {
    for kind in KINDS {
        let mock = MockServer::start();
        let dir = TempDir::new("adopt-resave");
        mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
        mock.add_user(UserSpec::with_email("bob@example.com").password("password-1234"));
        let sign_in = |who: &str| SignInCommand::Create(SignInCreate::password(who, Password::new("password-1234")));
        let mut app = build(kind, &Setup::new(mock.base_url()).store(file_store(&dir, &mock))).expect("driver");
        app.run(ClientCommand::Load.into()).expect("load");
        app.run(sign_in("ada@example.com").into()).expect("ada signs in");

        let other_store = file_store(&dir, &mock);
        let mut other = clerk_ureq::Clerk::builder_for_base_url(&mock.base_url())
            .expect("url")
            .store(Arc::clone(&other_store) as Arc<dyn TokenStore>)
            .build()
            .expect("other");
        other.sign_out(None).expect("sign out");
        other.run(sign_in("bob@example.com")).expect("bob signs in");
        let generation_after_bob = other_store.generation();

        // The app follows Bob (nothing of its own changes).
        app.run(SessionCommand::GetToken(TokenRequest::default()).into()).expect("token");
        let probe = file_store(&dir, &mock);
        let _ = probe.load().expect("readable");
        assert_eq!(probe.generation(), generation_after_bob, "{kind:?}: adopting the shared state wrote it again");

        // Bob signs out in the other program.
        let signed_out = other.sign_out(None);
        assert!(signed_out.is_ok(), "{kind:?}: {signed_out:?}");
        assert!(other.engine().active_session_id().is_none(), "{kind:?}: the sign-out was undone");
    }
}

/// A store whose next save, once armed, is a conflict: the state on disk is the one armed, or
/// (armed with `None`) the very state being saved, which another process saved first.
#[derive(Default)]
struct ConflictOnNextSave {
    state: Mutex<Option<PersistedState>>,
    armed: Mutex<Option<Option<PersistedState>>>,
}

impl ConflictOnNextSave {
    fn arm(&self, on_disk: Option<PersistedState>) {
        *self.armed.lock().expect("armed") = Some(on_disk);
    }
}

impl TokenStore for ConflictOnNextSave {
    fn load(&self) -> Result<Option<PersistedState>, StoreError> {
        Ok(self.state.lock().expect("state").clone())
    }
    fn save(&self, state: &PersistedState) -> Result<(), StoreError> {
        let armed = self.armed.lock().expect("armed").take();
        let on_disk = armed.map(|newer| newer.unwrap_or_else(|| state.clone()));
        *self.state.lock().expect("state") = Some(on_disk.clone().unwrap_or_else(|| state.clone()));
        match on_disk {
            Some(on_disk) => Err(StoreError::Conflict { on_disk: Some(Box::new(on_disk)), generation: 99 }),
            None => Ok(()),
        }
    }
    fn clear(&self) -> Result<(), StoreError> {
        *self.state.lock().expect("state") = None;
        Ok(())
    }
}

/// A blocking driver on `store` whose listener keeps every event, signed in as `email`.
fn listening_blocking(
    mock: &MockServer,
    store: &Arc<ConflictOnNextSave>,
    email: &str,
) -> (clerk_ureq::Clerk, Arc<Mutex<Vec<Event>>>) {
    let seen: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let mut app = clerk_ureq::Clerk::builder_for_base_url(&mock.base_url())
        .expect("url")
        .store(Arc::clone(store) as Arc<dyn TokenStore>)
        .on_event(move |event: &Event| sink.lock().expect("events").push(event.clone()))
        .build()
        .expect("driver");
    app.run(ClientCommand::Load).expect("load");
    app.run(SignInCommand::Create(SignInCreate::password(email, Password::new("password-1234")))).expect("sign in");
    (app, seen)
}

/// A save conflict in the middle of a step: the rest of the step's events still reach the
/// listeners (the sign-out's `ActiveSessionChanged`), although the other process had saved
/// the same change.
#[test]
fn a_save_conflict_mid_step_does_not_swallow_the_steps_events() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
    let store = Arc::new(ConflictOnNextSave::default());
    let (mut app, seen) = listening_blocking(&mock, &store, "ada@example.com");
    let before = seen.lock().expect("events").len();

    store.arm(None);
    let signed_out = app.sign_out(None);
    assert!(app.engine().active_session_id().is_none(), "the adopted state is signed out");
    let events = seen.lock().expect("events").split_off(before);
    assert!(
        events.contains(&Event::ActiveSessionChanged { session_id: None }),
        "the app was never told no session is active ({signed_out:?}): {events:?}"
    );
}

/// The blocking driver tells the listeners what an adopted state changed before it returns
/// `StateReplaced`, and the engine is left with nothing queued.
#[test]
fn the_blocking_driver_reports_an_adopted_state_before_returning() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("ada@example.com").password("password-1234"));
    mock.add_user(UserSpec::with_email("bob@example.com").password("password-1234"));
    let store = Arc::new(ConflictOnNextSave::default());
    let (mut app, seen) = listening_blocking(&mock, &store, "ada@example.com");
    let ada_state = app.engine().export();
    let ada = app.engine().active_session_id().map(str::to_owned).expect("ada");
    app.sign_out(None).expect("sign out");
    app.run(SignInCommand::Create(SignInCreate::password("bob@example.com", Password::new("password-1234"))))
        .expect("bob signs in");
    let before = seen.lock().expect("events").len();

    store.arm(Some(ada_state)); // another process put Ada back
    let result = app.sign_out(None);
    assert!(matches!(result, Err(DriverError::StateReplaced)), "{result:?}");
    assert_eq!(app.engine().active_session_id(), Some(ada.as_str()), "the engine follows the state on disk");
    let events = seen.lock().expect("events").split_off(before);
    assert!(
        events.contains(&Event::ActiveSessionChanged { session_id: Some(ada.as_str().into()) }),
        "the listeners were not told Ada is active again: {events:?}"
    );
    assert!(app.engine().is_quiescent(), "nothing left queued");
}

#[test]
fn a_builders_config_names_the_host_its_file_store_must_be_for() {
    let mock = MockServer::start();
    let dir = TempDir::new("builder-config");

    let blocking = clerk_ureq::Clerk::builder_for_base_url(&mock.base_url()).expect("builder");
    assert_eq!(blocking.config().frontend_api_host(), host_of(&mock));
    assert_eq!(blocking.config().base_url(), mock.base_url());
    let store = FileStore::for_config(dir.path(), blocking.config()).expect("file store");
    blocking.store(Arc::new(store)).build().expect("a store for the builder's host is accepted");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let asynchronous = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url()).expect("builder");
        assert_eq!(asynchronous.config().frontend_api_host(), host_of(&mock));
        let store = FileStore::for_config(dir.path(), asynchronous.config()).expect("file store");
        asynchronous.store(Arc::new(store)).build_async().await.expect("a store for the builder's host is accepted");
    });

    // A store for another host (the same port on `localhost`) is refused by both builders.
    let elsewhere = FileStore::new(dir.path(), &format!("localhost:{}", mock.port())).expect("file store");
    let elsewhere = Arc::new(elsewhere);
    let refused = clerk_ureq::Clerk::builder_for_base_url(&mock.base_url())
        .expect("builder")
        .store(elsewhere.clone())
        .build()
        .expect_err("refused");
    assert!(matches!(refused, DriverError::Config(_)), "{refused:?}");
    let refused = runtime
        .block_on(
            clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url())
                .expect("builder")
                .store(elsewhere)
                .build_async(),
        )
        .expect_err("refused");
    assert!(matches!(refused, DriverError::Config(_)), "{refused:?}");
}

#[test]
fn a_sign_out_by_another_process_is_picked_up_before_the_next_call() {
    let mut failures = Vec::new();
    for kind in KINDS {
        let mock = MockServer::start();
        let dir = TempDir::new("signed-out-elsewhere");
        let setup =
            |mock: &MockServer| Setup::new(mock.base_url()).store(file_store(&dir, mock)).operation_timeout(BUG_BOUND);
        let mut a = signed_in(kind, &mock, setup(&mock));
        a.run(SessionCommand::GetToken(TokenRequest::default()).into()).expect("a token");
        let email = format!("user{}@example.com", mock.requests().len());
        mock.add_user(UserSpec::with_email(&email).password("password-1234"));

        // Another process signs out; the client token stays the same.
        let mut b = build(kind, &setup(&mock)).expect("second process");
        b.run(SessionCommand::SignOut { session_id: None }.into()).expect("B signs out");
        drop(b);

        // A's next call starts from B's state: no token for a session the server removed.
        match a.run(SessionCommand::GetToken(TokenRequest::default()).into()) {
            Err(DriverError::Command(CommandError::NoActiveSession { .. })) => {}
            other => failures.push(format!("{kind:?}: get_token after B's sign-out: {other:?}")),
        }
        if a.snapshot().active.is_some() {
            failures.push(format!("{kind:?}: still signed in here: {}", a.snapshot().summary()));
        }

        // A signs in again: the call succeeds, and the session it made is the one kept.
        match a.run(SignInCommand::Create(SignInCreate::password(email, Password::new("password-1234"))).into()) {
            Ok(_) => {}
            Err(error) => failures.push(format!("{kind:?}: the second sign-in: {error:?}")),
        }
        match a.snapshot().active {
            Some(session) => {
                if mock.session_status(&session).as_deref() != Some("active") {
                    failures.push(format!("{kind:?}: the session kept is not active on the server"));
                }
                let stored = stored_sessions(&FileStore::new(dir.path(), &host_of(&mock)).expect("store"), &mock);
                if stored != 1 {
                    failures.push(format!("{kind:?}: {stored} sessions in the store"));
                }
            }
            None => failures.push(format!("{kind:?}: signed out after signing in again")),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_sign_in_answered_after_another_process_signed_out_is_kept() {
    let mut failures = Vec::new();
    for kind in KINDS {
        let mock = MockServer::start();
        let dir = TempDir::new("sign-in-after-sign-out-elsewhere");
        let setup =
            |mock: &MockServer| Setup::new(mock.base_url()).store(file_store(&dir, mock)).operation_timeout(BUG_BOUND);
        let mut a = signed_in(kind, &mock, setup(&mock));
        let token_before = a.snapshot().client_token;
        let email = format!("user{}@example.com", mock.requests().len());
        mock.add_user(UserSpec::with_email(&email).password("password-1234"));

        // A's next sign-in waits at the server; meanwhile another process signs out (the
        // token stays) and saves, after A checked the store and before A's answer.
        mock.set_fault(Route::new("POST", "/v1/client/sign_ins"), Fault::Slow(StdDuration::from_secs(3)), Some(1));
        let other = {
            let (base_url, dir) = (mock.base_url(), dir.path().to_owned());
            std::thread::spawn(move || {
                std::thread::sleep(StdDuration::from_millis(300));
                let config = ClientConfig::for_base_url(&base_url, InstanceType::Development).expect("config");
                let store = Arc::new(FileStore::for_config(&dir, &config).expect("store"));
                let mut b = build(kind, &Setup::new(base_url).store(store)).expect("second process");
                b.run(SessionCommand::SignOut { session_id: None }.into()).map(|_| ()).map_err(|e| format!("{e:?}"))
            })
        };
        let result = a.run(SignInCommand::Create(SignInCreate::password(email, Password::new("password-1234"))).into());
        other.join().expect("B's thread").expect("B signs out");

        if let Err(error) = result {
            failures.push(format!("{kind:?}: the sign-in the server accepted: {error:?}"));
        }
        let s = a.snapshot();
        if s.client_token == token_before {
            failures.push(format!("{kind:?}: the sign-in did not rotate the token (the case this tests)"));
        }
        match &s.active {
            Some(session) if mock.session_status(session).as_deref() == Some("active") => {}
            other => failures.push(format!("{kind:?}: A's active session {other:?} is not the one the server made")),
        }
        // What A did is what the store holds, for A's next call and B's next start.
        let _ = a.run(ClientCommand::Reload.into());
        let store = FileStore::new(dir.path(), &host_of(&mock)).expect("store");
        let stored = store.load().expect("readable").expect("a state");
        if stored.client_token.as_ref().map(|t| t.expose().to_owned()) != a.snapshot().client_token {
            failures.push(format!("{kind:?}: the store does not hold A's token"));
        }
        if stored_sessions(&store, &mock) != 1 {
            failures.push(format!("{kind:?}: {} sessions stored", stored_sessions(&store, &mock)));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn a_timeout_says_what_was_being_retried() {
    let mut failures = Vec::new();
    for kind in KINDS {
        for (fault, expected, status) in [
            (Fault::ServerError(503), "http 503", Some(503)),
            (Fault::TooManyRequests { retry_after_secs: 1 }, "http 429", Some(429)),
            (Fault::DropConnection, "i/o error", None),
        ] {
            let mock = MockServer::start();
            // Inside the retries: the engine tries three times, 100 ms then 700 ms apart (and
            // waits out a 429's Retry-After).
            let limit = StdDuration::from_millis(500);
            let mut d = build(kind, &Setup::new(mock.base_url()).operation_timeout(limit)).expect("a driver");
            d.run(ClientCommand::Load.into()).expect("load");
            let identity = |s: Snapshot| format!("{:?}", (s.client_token, s.active, s.sessions, s.state.client));
            let before = identity(d.snapshot());
            mock.set_fault(Route::new("GET", "/v1/client"), fault.clone(), None);
            match d.run(ClientCommand::Reload.into()) {
                Err(error @ DriverError::Timeout { limit: reached, retrying_after: Some(_) }) if reached == limit => {
                    let message = error.to_string();
                    if !message.contains("it was being retried after") || !message.to_lowercase().contains(expected) {
                        failures.push(format!("{kind:?} {fault:?}: the message does not name the cause: {message}"));
                    }
                    if error.http_status() != status {
                        failures.push(format!("{kind:?} {fault:?}: http_status() {:?}", error.http_status()));
                    }
                }
                other => failures.push(format!("{kind:?} {fault:?}: {other:?}")),
            }
            if identity(d.snapshot()) != before {
                failures.push(format!("{kind:?} {fault:?}: the state changed"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn the_blocking_driver_serves_due_deadlines_within_a_limit() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("frames@example.com").password("correct horse battery"));
    // The proactive refresh comes 17 s before expiry: a 19 s token is refreshed after 2 s.
    mock.set_token_lifetime(std::time::Duration::from_secs(19));
    let mut clerk =
        clerk_ureq::Clerk::builder_for_base_url(&mock.base_url()).expect("a builder").build().expect("a driver");
    clerk.load().expect("load");
    clerk
        .sign_in(SignInCreate::password("frames@example.com", Password::new("correct horse battery")))
        .expect("sign-in");
    let first = clerk.get_token(TokenRequest::default()).expect("a token");
    let fetches = |mock: &MockServer| count(&mock.requests(), "POST", "/v1/client/sessions/");

    // The refresh is due, and the server is slow: the frame's budget bounds the wait.
    mock.set_fault(Route::new("POST", "/v1/client/sessions/*/tokens"), Fault::Slow(StdDuration::from_secs(3)), Some(1));
    std::thread::sleep(StdDuration::from_millis(2300));
    let before = fetches(&mock);
    let started = Instant::now();
    clerk.run_due_deadlines_within(StdDuration::from_millis(200)).expect("served within the limit");
    let spent = started.elapsed();
    assert!(
        spent < StdDuration::from_millis(2500),
        "the slow refresh was abandoned at the limit, not waited out: {spent:?}"
    );
    assert_eq!(fetches(&mock), before + 1, "the due refresh was sent");
    assert_eq!(
        clerk.get_token(TokenRequest::default()).expect("the cached token").expose(),
        first.expose(),
        "the token the app holds is still the cached one"
    );

    // At a later frame the refresh is tried again, and the new token arrives.
    let deadline = Instant::now() + StdDuration::from_secs(10);
    while fetches(&mock) < before + 2 && Instant::now() < deadline {
        std::thread::sleep(StdDuration::from_millis(50));
        clerk.run_due_deadlines_within(StdDuration::from_millis(200)).expect("a later frame");
    }
    let refreshed = clerk.get_token(TokenRequest::default()).expect("a token");
    assert_ne!(refreshed.expose(), first.expose(), "the refresh went through at a later frame");
}

/// An async driver from `builder`, loaded and signed in as `email` (a user with the
/// password `correct horse battery`), and its session id.
async fn async_signed_in(builder: clerk_reqwest::ClerkBuilder, email: &str) -> (clerk_reqwest::Clerk, String) {
    let clerk = builder.build().expect("a driver");
    clerk.load().await.expect("load");
    clerk.sign_in(SignInCreate::password(email, Password::new("correct horse battery"))).await.expect("sign-in");
    let session = clerk.active_session_id().await.expect("the task runs").expect("signed in");
    (clerk, session)
}

/// Whether the mock stops calling `session` active within ten seconds.
async fn session_ends_on_server(mock: &MockServer, session: &str) -> bool {
    let deadline = Instant::now() + StdDuration::from_secs(10);
    while mock.session_status(session).as_deref() == Some("active") {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    true
}

#[test]
fn a_sign_out_whose_caller_gave_up_still_reaches_the_server() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("leaving@example.com").password("correct horse battery"));
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let builder = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url()).expect("a builder");
        let (clerk, session) = async_signed_in(builder, "leaving@example.com").await;

        // A slow reload holds the one request slot, so the sign-out's request waits in the
        // queue when its caller gives up.
        mock.set_fault(Route::new("GET", "/v1/client"), Fault::Slow(StdDuration::from_millis(800)), Some(1));
        let reload = tokio::spawn({
            let clerk = clerk.clone();
            async move { clerk.reload().await }
        });
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        let gave_up = tokio::time::timeout(StdDuration::from_millis(100), clerk.sign_out(None)).await;
        assert!(gave_up.is_err(), "the caller gave up before the sign-out was answered");
        let _ = reload.await;

        // The sign-out still went out: the session ended on the server, and stays signed
        // out here after a reload.
        assert!(session_ends_on_server(&mock, &session).await, "the session ended on the server");
        clerk.reload().await.expect("reload");
        assert!(clerk.signed_in_sessions().await.expect("the task runs").is_empty(), "still signed out here");
    });
}

#[test]
fn a_sign_out_cut_at_its_time_limit_still_reaches_the_server() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("limited@example.com").password("correct horse battery"));
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let builder = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url())
            .expect("a builder")
            .operation_timeout(StdDuration::from_millis(300));
        let (clerk, session) = async_signed_in(builder, "limited@example.com").await;

        // A slow reload (with a longer limit of its own) holds the request slot; the
        // sign-out's request waits behind it past the sign-out's 300 ms limit.
        mock.set_fault(Route::new("GET", "/v1/client"), Fault::Slow(StdDuration::from_millis(800)), Some(1));
        let reload = tokio::spawn({
            let clerk = clerk.clone();
            async move { clerk.run_within(ClientCommand::Reload, StdDuration::from_secs(5)).await }
        });
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        let signed_out = clerk.sign_out(None).await;
        assert!(matches!(signed_out, Err(DriverError::Timeout { .. })), "{signed_out:?}");
        let _ = reload.await;

        assert!(session_ends_on_server(&mock, &session).await, "the session ended on the server");
        clerk.reload().await.expect("reload");
        assert!(clerk.signed_in_sessions().await.expect("the task runs").is_empty(), "still signed out here");
        // And the flow is free: the cancelled sign-out holds nothing.
        clerk
            .sign_in(SignInCreate::password("limited@example.com", Password::new("correct horse battery")))
            .await
            .expect("signing in again");
    });
}

#[test]
fn a_sign_out_goes_to_the_server_whatever_its_calls_time_limit() {
    for kind in KINDS {
        let mock = MockServer::start();
        let mut d = signed_in(kind, &mock, Setup::new(mock.base_url()));
        let session = d.snapshot().active.expect("signed in");
        // No time at all: the sign-out's request still goes out, bounded by its own
        // request timeout only.
        let _ = d.run_within(SessionCommand::SignOut { session_id: None }.into(), StdDuration::ZERO);
        let deadline = Instant::now() + StdDuration::from_secs(10);
        while mock.session_status(&session).as_deref() == Some("active") && Instant::now() < deadline {
            std::thread::sleep(StdDuration::from_millis(20));
            let _ = d.run(ClientCommand::Reload.into());
        }
        assert_ne!(
            mock.session_status(&session).as_deref(),
            Some("active"),
            "{kind:?}: the session ended on the server"
        );
        assert_eq!(d.snapshot().signed_in_count(), 0, "{kind:?}");
    }
}

#[test]
fn both_drivers_refuse_browser_mode() {
    // They keep no cookies: in browser mode nothing would name the client, and a sign-in
    // would seem to work until the first token request found no session.
    let config = clerk_core::ClientConfig::for_base_url("http://127.0.0.1:9", clerk_core::InstanceType::Development)
        .expect("a config")
        .with_mode(clerk_core::TransportMode::Browser);
    let blocking = clerk_ureq::Clerk::builder(config.clone()).build();
    assert!(matches!(&blocking, Err(DriverError::Config(why)) if why.contains("browser")), "{:?}", blocking.err());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let asynchronous = runtime.block_on(async { clerk_reqwest::Clerk::builder(config).build() });
    assert!(
        matches!(&asynchronous, Err(DriverError::Config(why)) if why.contains("browser")),
        "{:?}",
        asynchronous.err()
    );
}

/// A one-shot server on loopback: reads its first request's head, then hands the
/// connection to `answer`. Returns its base URL and the thread.
fn one_shot_server(
    answer: impl FnOnce(&mut std::net::TcpStream) + Send + 'static,
) -> (String, std::thread::JoinHandle<()>) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let server = std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else { return };
        let mut seen = Vec::new();
        let mut buffer = [0u8; 1024];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
        answer(&mut stream);
    });
    (format!("http://127.0.0.1:{port}"), server)
}

/// A one-shot server whose answer is a 200 with a body of about `body_len` bytes and
/// `token` in its `Authorization` header.
fn one_oversized_answer(body_len: usize, token: &'static str) -> (String, std::thread::JoinHandle<()>) {
    one_shot_server(move |stream| {
        use std::io::Write;
        let body = format!("{{\"response\":null,\"client\":null,\"pad\":\"{}\"}}", "x".repeat(body_len));
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nauthorization: {token}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body.as_bytes());
    })
}

#[test]
fn an_oversized_answer_fails_as_too_large_and_keeps_its_rotated_token() {
    // The drivers stop reading past max_response_bytes; the status and headers still reach
    // the engine, which keeps the token the server rotated (decision 0018): losing it would
    // present a replaced token next, and the server would answer for a brand-new client.
    for kind in KINDS {
        let (base_url, server) = one_oversized_answer(400, "token-new");
        let config = clerk_core::ClientConfig::for_base_url(&base_url, clerk_core::InstanceType::Development)
            .expect("a config")
            .with_max_response_bytes(64)
            .expect("a limit");
        let mut d: Box<dyn Driver> = match kind {
            Kind::Blocking => Box::new(Blocking {
                clerk: clerk_ureq::Clerk::builder(config).build().expect("a driver"),
                events: Arc::default(),
            }),
            Kind::Async => {
                let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
                let clerk = {
                    let _entered = runtime.enter();
                    clerk_reqwest::Clerk::builder(config).build().expect("a driver")
                };
                Box::new(Async { clerk, events: Arc::default(), runtime })
            }
        };
        let error = d.run(ClientCommand::Reload.into()).expect_err("too large");
        let _ = server.join();
        assert!(
            matches!(
                &error,
                DriverError::Operation(OperationError::Response(ResponseError::BodyTooLarge { limit: 64, .. }))
            ),
            "{kind:?}: {error:?}"
        );
        assert_eq!(d.snapshot().client_token.as_deref(), Some("token-new"), "{kind:?}");
    }
}

#[test]
fn a_body_that_stalls_past_a_calls_limit_is_a_timeout() {
    // The status and the first bytes arrive, then nothing: the call's own limit ends it as
    // a `Timeout`, on both drivers (the blocking one reads the body through an adapter
    // that wraps its errors; unwrapped, the timeout stays one).
    for kind in KINDS {
        let (base_url, server) = one_shot_server(|stream| {
            use std::io::Write;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"resp");
            std::thread::sleep(StdDuration::from_millis(2500));
        });
        let mut d = build(kind, &Setup::new(base_url)).expect("a driver");
        let limit = StdDuration::from_millis(700);
        // (Had the stall's end come first, the cut body would be an I/O error.)
        let outcome = d.run_within(SignInCommand::Create(SignInCreate::identifier("a@example.com")).into(), limit);
        assert!(matches!(outcome, Err(DriverError::Timeout { .. })), "{kind:?}: {outcome:?}");
        let _ = server.join();
    }
}
