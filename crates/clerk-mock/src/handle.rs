//! [`MockServer`]: starting, stopping, and steering the mock from tests.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use clerk_spec::SpecTable;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::faults::{Fault, Route};
use crate::request::{RecordedAnswer, RecordedRequest};
use crate::routes::{sign_ins, sign_ups};
use crate::server::{Shared, router};
use crate::state::users::{Identification, Organization, User, UserSpec};
use crate::state::{LinkTarget, MockState, code_key};
use crate::tokens::SessionTokenSigner;
use crate::validation::SpecViolation;

/// A running mock of Clerk's Frontend API on `127.0.0.1`.
///
/// [`MockServer::start`] binds a free port and serves from a thread of its own (a
/// current-thread tokio runtime), so it works from blocking and async tests alike. Dropping
/// the handle stops the server and joins its thread. Every other method steers or inspects the
/// mock directly, without HTTP.
///
/// Its `Debug` shows the address and how much the mock holds, never the users' passwords,
/// codes or client tokens inside it.
pub struct MockServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("MockServer")
            .field("address", &self.address)
            .field("clients", &state.clients.len())
            .field("sessions", &state.sessions.len())
            .field("requests", &state.requests.len())
            .field("running", &self.thread.is_some())
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a mock on a free port of `127.0.0.1`.
    ///
    /// # Panics
    ///
    /// When no port can be bound or the thread cannot start (a broken test machine).
    #[must_use]
    pub fn start() -> Self {
        match Self::start_on_port(0) {
            Ok(server) => server,
            Err(error) => panic!("clerk-mock could not start: {error}"),
        }
    }

    /// Starts a mock on `127.0.0.1:port` (`0`: a free port).
    ///
    /// # Errors
    ///
    /// When the port cannot be bound, or the runtime or thread cannot be created.
    pub fn start_on_port(port: u16) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let base_url = format!("http://{address}");
        let signer = SessionTokenSigner::test_key().map_err(|e| io::Error::other(format!("test key: {}", e.0)))?;
        let spec = SpecTable::load().map_err(|e| io::Error::other(e.to_string()))?;
        let shared = Arc::new(Shared { state: Mutex::new(MockState::new(base_url, signer)), spec });
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let app = router(Arc::clone(&shared));
        let thread = std::thread::Builder::new().name(format!("clerk-mock-{}", address.port())).spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stopped => {}
                }
            });
            // Dropping the runtime cancels open connections and slow responses.
            drop(runtime);
        })?;
        Ok(Self { address, shared, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`, the Frontend API base (paths start with `/v1`).
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The port the mock listens on.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// A development publishable key that points at this mock: `pk_test_` + unpadded base64
    /// of `127.0.0.1:PORT$` (the decoded host contains a `.`, as fapi.md §1.1 requires).
    #[must_use]
    pub fn publishable_key(&self) -> String {
        format!("pk_test_{}", STANDARD_NO_PAD.encode(format!("{}$", self.address)))
    }

    /// The JWKS that verifies the mock's session tokens (also served at
    /// `/.well-known/jwks.json`).
    #[must_use]
    pub fn jwks(&self) -> Value {
        self.shared.lock().signer.jwks()
    }

    /// Adds a user; returns its id (`user_…`).
    pub fn add_user(&self, spec: UserSpec) -> String {
        let mut state = self.shared.lock();
        let now = state.now();
        let user = User {
            id: state.random.id("user"),
            email: spec.email.map(|value| Identification { id: state.random.id("idn"), value }),
            phone: spec.phone.map(|value| Identification { id: state.random.id("idn"), value }),
            username: spec.username,
            password: spec.password,
            first_name: spec.first_name,
            last_name: spec.last_name,
            totp: spec.totp,
            backup_codes: spec.backup_codes,
            phone_second_factor: spec.phone_second_factor,
            unsafe_metadata: json!({}),
            legal_accepted_at: None,
            last_sign_in_at: None,
            failed_attempts: 0,
            locked_until: None,
            created_at: now,
            updated_at: now,
        };
        let id = user.id.clone();
        state.users.push(user);
        id
    }

    /// The latest one-time code the mock "sent" to an email address or phone number
    /// (`424242` for Clerk's test identifiers).
    #[must_use]
    pub fn latest_code(&self, identifier: &str) -> Option<String> {
        self.shared.lock().codes.get(&code_key(identifier)).cloned()
    }

    /// The TOTP code the authenticator app of the user with this email address (or phone
    /// number, or username) would show now, by the mock's clock
    /// ([`advance_clock`](Self::advance_clock) moves it): what `GET /__mock/totp?email=…`
    /// answers. `None` when no user has this identifier or the user has no TOTP second
    /// factor. For a [`Totp::FixedCode`](crate::Totp::FixedCode) user, that code.
    #[must_use]
    pub fn totp_code(&self, email: &str) -> Option<String> {
        let state = self.shared.lock();
        state.user_by_identifier(email)?.totp.as_ref()?.code_at(state.clock.now_secs())
    }

    /// Opens the latest pending email link sent to `email`, as a user clicking it would (also
    /// `POST /__mock/email_links/click` with `email=…`). Returns whether there was one.
    pub fn click_email_link(&self, email: &str) -> bool {
        open_email_link(&mut self.shared.lock(), email)
    }

    /// Revokes a session from "another device", as `POST /v1/me/sessions/{id}/revoke` does:
    /// a signed-in session becomes `revoked` and its client no longer names it as the last
    /// active one. Returns whether the session exists.
    pub fn revoke_session(&self, session_id: &str) -> bool {
        self.shared.lock().revoke_session(session_id)
    }

    /// Makes requests on `route` misbehave; `times: None` until [`MockServer::clear_faults`].
    /// The first armed fault that matches a request applies.
    pub fn set_fault(&self, route: Route, fault: Fault, times: Option<u32>) {
        self.shared.lock().faults.set(route, fault, times);
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Every Frontend API request received so far, in order (faulted ones included).
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Every request that the spec does not document (each was answered with an error).
    #[must_use]
    pub fn violations(&self) -> Vec<SpecViolation> {
        self.shared.lock().violations.clone()
    }

    /// Starts (`true`) or stops keeping every answer the mock's own logic gives (status and
    /// JSON body, errors included; injected faults are not), for tests that check answers
    /// against the spec's response schemas. Off by default: a long-running mock would keep
    /// every body. Stopping drops what was kept.
    pub fn set_answer_recording(&self, enabled: bool) {
        let mut state = self.shared.lock();
        match (enabled, state.answers.is_some()) {
            (true, false) => state.answers = Some(Vec::new()),
            (false, true) => state.answers = None,
            _ => {}
        }
    }

    /// The answers kept since [`MockServer::set_answer_recording`] turned recording on, in
    /// order (empty when it is off).
    #[must_use]
    pub fn answers(&self) -> Vec<RecordedAnswer> {
        self.shared.lock().answers.clone().unwrap_or_default()
    }

    /// Account lockout (`attack_protection.user_lockout`, default 100 attempts and one hour):
    /// after `max_attempts` failed sign-in verifications of a password, TOTP or backup code
    /// the user is locked for `duration`, and every sign-in verification answers 403
    /// `user_locked` with `meta.lockout_expires_in_seconds` until it passes (see
    /// [`MockServer::advance_clock`]). A success resets the count. `max_attempts` 0 turns
    /// lockout off. The environment advertises the setting.
    pub fn set_user_lockout(&self, max_attempts: u32, duration: Duration) {
        let mut state = self.shared.lock();
        state.settings.lockout_max_attempts = max_attempts;
        state.settings.lockout_duration = duration;
    }

    /// Sets the lifetime (`exp − iat`) of session tokens minted from now on (default 60 s).
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.lock().settings.token_lifetime = lifetime;
    }

    /// Device trust: when on, a password sign-in on a client where the user never had a
    /// session answers `needs_client_trust` and needs an email (or phone) code.
    pub fn set_client_trust(&self, enabled: bool) {
        self.shared.lock().settings.client_trust = enabled;
    }

    /// Single-session mode: creating a sign-in or sign-up on a client that has a signed-in
    /// session answers `session_exists`.
    pub fn set_single_session_mode(&self, enabled: bool) {
        self.shared.lock().settings.single_session_mode = enabled;
    }

    /// Forces organization selection (`organization_settings.force_organization_selection`,
    /// default off): from now on a new session is `pending` with the task
    /// `choose-organization` until a touch with `active_organization_id` names one of the
    /// user's organizations (see [`add_organization`](Self::add_organization)); an empty
    /// `active_organization_id` then keeps the session's organization.
    pub fn set_force_organization_selection(&self, forced: bool) {
        self.shared.lock().settings.force_organization_selection = forced;
    }

    /// Whether sign-ups must send `legal_accepted=true` (default on).
    pub fn set_legal_consent_required(&self, required: bool) {
        self.shared.lock().settings.legal_consent_required = required;
    }

    /// Configures the instance's JWT templates: from now on `POST
    /// /v1/client/sessions/{id}/tokens/{template}` serves only these names (compared exactly,
    /// after percent-decoding) and answers any other with 404 `resource_not_found`, as FAPI
    /// does for a template the instance does not have (fapi.md §2.5). Until this is called the
    /// mock serves every template name; an empty list means the instance has no templates.
    pub fn set_jwt_templates(&self, names: &[&str]) {
        self.shared.lock().settings.jwt_templates = Some(names.iter().map(|name| (*name).to_owned()).collect());
    }

    /// A single-use sign-in ticket for the user (`strategy=ticket&ticket=…`).
    #[must_use]
    pub fn create_sign_in_ticket(&self, user_id: &str) -> String {
        let mut state = self.shared.lock();
        let ticket = state.random.id("ticket");
        state.tickets.insert(ticket.clone(), user_id.to_owned());
        ticket
    }

    /// Makes the user an admin (`org:admin`) of an organization with this id and slug, so that
    /// sessions can switch to it (touch with `active_organization_id`, tokens with `o`).
    pub fn add_organization(&self, user_id: &str, org_id: &str, slug: &str) {
        let mut state = self.shared.lock();
        let now = state.now();
        let membership_id = state.random.id("orgmem");
        state.organizations.push(Organization {
            id: org_id.to_owned(),
            slug: slug.to_owned(),
            user_id: user_id.to_owned(),
            membership_id,
            role: "org:admin".to_owned(),
            created_at: now,
        });
    }

    /// Moves the mock's clock forward: codes, links, tokens and sessions expire without
    /// sleeping.
    pub fn advance_clock(&self, by: Duration) {
        self.shared.lock().clock.advance(by);
    }

    /// The status of a session (`active`, `ended`, `removed`, `revoked`, …).
    #[must_use]
    pub fn session_status(&self, session_id: &str) -> Option<String> {
        self.shared.lock().sessions.get(session_id).map(|s| s.status.to_owned())
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Opens the latest pending email link sent to `email`; whether there was one.
pub(crate) fn open_email_link(state: &mut MockState, email: &str) -> bool {
    // A link to an attempt that was abandoned in the meantime verifies nothing.
    state.abandon_attempts();
    let Some(index) = state.email_links.iter().rposition(|link| link.email.eq_ignore_ascii_case(email.trim())) else {
        return false;
    };
    let link = state.email_links.remove(index);
    match link.target {
        LinkTarget::SignIn { id, second_factor } => sign_ins::open_email_link(state, &id, second_factor),
        LinkTarget::SignUp { id } => sign_ups::open_email_link(state, &id),
    }
    true
}
