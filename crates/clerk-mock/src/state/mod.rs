//! The mock's world: users, clients, sign-in and sign-up attempts, sessions, and the settings
//! tests can change. One [`MockState`] behind a mutex; route handlers mutate it.

mod lockout;
pub(crate) mod users;
pub(crate) mod verification;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::clock::Clock;
use crate::faults::FaultTable;
use crate::random::Random;
use crate::request::{RecordedAnswer, RecordedRequest};
use crate::tokens::SessionTokenSigner;
use crate::{SpecViolation, state::users::Organization};

pub(crate) use users::User;
pub(crate) use verification::Verification;

/// Session lifetime (`expire_at − created_at`): 7 days.
pub(crate) const SESSION_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;
/// Session inactivity limit (`abandon_at − last_active_at`): 30 days.
pub(crate) const SESSION_ABANDON_MS: i64 = 30 * 24 * 3600 * 1000;
/// Sign-in/sign-up attempt abandonment: 24 hours.
pub(crate) const ATTEMPT_ABANDON_MS: i64 = 24 * 3600 * 1000;

/// Settings tests can change through the handle.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Session JWT lifetime (`exp − iat`), default 60 s.
    pub(crate) token_lifetime: Duration,
    /// Device trust: a password sign-in on a client where the user never had a session needs
    /// a second factor (`needs_client_trust`).
    pub(crate) client_trust: bool,
    /// At most one signed-in session per client (`session_exists`).
    pub(crate) single_session_mode: bool,
    /// Sign-ups must send `legal_accepted=true`.
    pub(crate) legal_consent_required: bool,
    /// The instance's JWT templates: `None` (the default) serves any template name, `Some`
    /// only these (an unknown name is `resource_not_found`, fapi.md §2.5).
    pub(crate) jwt_templates: Option<Vec<String>>,
    /// Account lockout (`attack_protection.user_lockout`): after this many failed sign-in
    /// verifications of a password, TOTP or backup code the user is locked for
    /// `lockout_duration`; 0 turns it off. Default 100 and one hour, as the recordings' instance.
    pub(crate) lockout_max_attempts: u32,
    /// How long a lockout lasts.
    pub(crate) lockout_duration: Duration,
    /// `organization_settings.force_organization_selection`: a session created without an
    /// organization is `pending` with the task `choose-organization` until a touch chooses
    /// one of the user's organizations (fapi.md §4.7, §5.3 item 5).
    pub(crate) force_organization_selection: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(60),
            client_trust: false,
            single_session_mode: false,
            legal_consent_required: true,
            jwt_templates: None,
            lockout_max_attempts: 100,
            lockout_duration: Duration::from_secs(3600),
            force_organization_selection: false,
        }
    }
}

/// A client (a device or browser) and its identity token.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub(crate) id: String,
    /// The current client token; older ones are stale.
    pub(crate) token: String,
    /// Something happened out of band (an email link was opened): rotate the token on the
    /// next request.
    pub(crate) rotate_pending: bool,
    pub(crate) session_ids: Vec<String>,
    pub(crate) sign_in_id: Option<String>,
    pub(crate) sign_up_id: Option<String>,
    pub(crate) last_active_session_id: Option<String>,
    pub(crate) last_authentication_strategy: Option<String>,
    /// Users that had a session on this client (device trust).
    pub(crate) known_user_ids: Vec<String>,
    /// `DELETE /v1/client` ended it; its tokens are stale.
    pub(crate) ended: bool,
    /// Where and from what the client's latest request came (`latest_activity` of its
    /// sessions in `GET /v1/me/sessions/active`).
    pub(crate) activity: Activity,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// What the mock makes of a client's latest request for `latest_activity`: the browser from
/// the `User-Agent` (`name/version`), mobile from `x-mobile: 1` (native SDKs send it), and
/// a fixed loopback address and place (the mock has no geolocation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Activity {
    /// The `User-Agent`'s first product (`ureq/3.0.0` → `ureq`, `3.0.0`), if any.
    pub(crate) browser: Option<(String, String)>,
    /// The request carried `x-mobile: 1`.
    pub(crate) mobile: bool,
}

impl Activity {
    /// The activity a request shows.
    pub(crate) fn of(request: &RecordedRequest) -> Self {
        let browser = request.header("user-agent").and_then(|agent| {
            let product = agent.split_whitespace().next()?;
            let (name, version) = product.split_once('/').unwrap_or((product, ""));
            (!name.is_empty()).then(|| (name.to_owned(), version.to_owned()))
        });
        Activity { browser, mobile: request.header("x-mobile") == Some("1") }
    }
}

/// A session of a user on a client.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) client_id: String,
    pub(crate) user_id: String,
    /// `active`, `pending` (an after-auth task remains), `ended`, `removed`, `revoked`,
    /// `expired`, `abandoned`.
    pub(crate) status: &'static str,
    pub(crate) last_active_organization_id: Option<String>,
    pub(crate) first_factor_at: i64,
    pub(crate) second_factor_at: Option<i64>,
    pub(crate) last_active_at: i64,
    pub(crate) expire_at: i64,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl Session {
    /// Whether the session counts as signed in.
    pub(crate) fn is_signed_in(&self) -> bool {
        matches!(self.status, "active" | "pending")
    }
}

/// A sign-in attempt.
#[derive(Debug, Clone)]
pub(crate) struct SignIn {
    pub(crate) id: String,
    pub(crate) client_id: String,
    /// `needs_identifier`, `needs_first_factor`, `needs_second_factor`, `needs_client_trust`,
    /// `needs_new_password`, `complete`, `abandoned` (past `abandon_at`).
    pub(crate) status: &'static str,
    pub(crate) identifier: Option<String>,
    pub(crate) user_id: Option<String>,
    pub(crate) first_factor: Option<Verification>,
    pub(crate) second_factor: Option<Verification>,
    pub(crate) created_session_id: Option<String>,
    /// `sign_up_if_missing=true` with an identifier no user has.
    pub(crate) sign_up_if_missing: bool,
    pub(crate) abandon_at: i64,
}

/// A sign-up attempt.
#[derive(Debug, Clone)]
pub(crate) struct SignUp {
    pub(crate) id: String,
    pub(crate) client_id: String,
    /// `missing_requirements`, `complete`, `abandoned` (past `abandon_at`).
    pub(crate) status: &'static str,
    pub(crate) email_address: Option<String>,
    pub(crate) phone_number: Option<String>,
    pub(crate) username: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) legal_accepted_at: Option<i64>,
    pub(crate) unsafe_metadata: Value,
    pub(crate) email_verification: Option<Verification>,
    pub(crate) phone_verification: Option<Verification>,
    pub(crate) external_account: Option<Verification>,
    pub(crate) created_session_id: Option<String>,
    pub(crate) created_user_id: Option<String>,
    pub(crate) locale: Option<String>,
    pub(crate) abandon_at: i64,
}

/// What an email link, once opened, verifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkTarget {
    /// A sign-in's first or second factor.
    SignIn { id: String, second_factor: bool },
    /// A sign-up's email address.
    SignUp { id: String },
}

/// An email link that was sent and not yet opened.
#[derive(Debug, Clone)]
pub(crate) struct EmailLink {
    pub(crate) email: String,
    pub(crate) target: LinkTarget,
}

/// The whole mutable world of the mock.
#[derive(Debug)]
pub(crate) struct MockState {
    pub(crate) base_url: String,
    pub(crate) settings: Settings,
    pub(crate) clock: Clock,
    pub(crate) random: Random,
    pub(crate) signer: SessionTokenSigner,
    pub(crate) users: Vec<User>,
    pub(crate) organizations: Vec<Organization>,
    pub(crate) clients: HashMap<String, Client>,
    /// Every client token ever issued → its client id.
    pub(crate) tokens: HashMap<String, String>,
    pub(crate) sign_ins: HashMap<String, SignIn>,
    pub(crate) sign_ups: HashMap<String, SignUp>,
    pub(crate) sessions: HashMap<String, Session>,
    /// Latest one-time code sent to an identifier (lower-cased email, normalised phone).
    pub(crate) codes: HashMap<String, String>,
    pub(crate) email_links: Vec<EmailLink>,
    /// Sign-in tickets → user id (single use).
    pub(crate) tickets: HashMap<String, String>,
    pub(crate) faults: FaultTable,
    pub(crate) requests: Vec<RecordedRequest>,
    pub(crate) violations: Vec<SpecViolation>,
    /// Every answer the mock's own logic produced (faults not included), when recording is on
    /// ([`crate::MockServer::set_answer_recording`]).
    pub(crate) answers: Option<Vec<RecordedAnswer>>,
}

/// What one request did to client identity: which client it acts for and which token the
/// response must carry in `Authorization`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Exchange {
    /// The client the request acts for (known from its token, or created by it).
    pub(crate) client_id: Option<String>,
    /// A token created or rotated while handling the request.
    pub(crate) issued_token: Option<String>,
}

impl MockState {
    /// An empty world served at `base_url`.
    pub(crate) fn new(base_url: String, signer: SessionTokenSigner) -> Self {
        Self {
            base_url,
            settings: Settings::default(),
            clock: Clock::default(),
            random: Random::new(),
            signer,
            users: Vec::new(),
            organizations: Vec::new(),
            clients: HashMap::new(),
            tokens: HashMap::new(),
            sign_ins: HashMap::new(),
            sign_ups: HashMap::new(),
            sessions: HashMap::new(),
            codes: HashMap::new(),
            email_links: Vec::new(),
            tickets: HashMap::new(),
            faults: FaultTable::default(),
            requests: Vec::new(),
            violations: Vec::new(),
            answers: None,
        }
    }

    /// Now, ms epoch.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Revokes session `id` as Clerk does from any device: a signed-in session becomes
    /// `revoked`, and its client forgets it as the last active one and counts as updated.
    /// A session already ended stays as it is. Returns whether the session exists.
    pub(crate) fn revoke_session(&mut self, id: &str) -> bool {
        let now = self.now();
        let Some(session) = self.sessions.get_mut(id) else {
            return false;
        };
        if session.is_signed_in() {
            session.status = "revoked";
            session.updated_at = now;
            if let Some(client) = self.clients.get_mut(&session.client_id) {
                if client.last_active_session_id.as_deref() == Some(id) {
                    client.last_active_session_id = None;
                }
                client.updated_at = now;
            }
        }
        true
    }

    /// Expires sessions past `expire_at` and abandons idle ones.
    pub(crate) fn expire_sessions(&mut self) {
        let now = self.now();
        for session in self.sessions.values_mut() {
            if session.is_signed_in() {
                if now >= session.expire_at {
                    session.status = "expired";
                } else if now >= session.last_active_at + SESSION_ABANDON_MS {
                    session.status = "abandoned";
                }
            }
        }
    }

    /// Abandons sign-in and sign-up attempts whose `abandon_at` has passed (fapi.md §5.1,
    /// §5.2): an open sign-in or a `missing_requirements` sign-up becomes `abandoned` and leaves
    /// its client's `sign_in`/`sign_up` slot. An abandoned sign-in is not found any more
    /// (`GET /v1/client/sign_ins/{id}` answers 404, §3.3.8); an abandoned sign-up answers
    /// `sign_up_cannot_be_updated` to mutations. Pending codes and links past their
    /// `expire_at` turn `expired` first.
    pub(crate) fn abandon_attempts(&mut self) {
        let now = self.now();
        for sign_in in self.sign_ins.values_mut() {
            for verification in [&mut sign_in.first_factor, &mut sign_in.second_factor].into_iter().flatten() {
                verification.expire_if_due(now);
            }
        }
        for sign_up in self.sign_ups.values_mut() {
            for verification in [&mut sign_up.email_verification, &mut sign_up.phone_verification].into_iter().flatten()
            {
                verification.expire_if_due(now);
            }
        }
        let mut emptied_slots = Vec::new();
        for sign_in in self.sign_ins.values_mut() {
            if !matches!(sign_in.status, "complete" | "abandoned") && now >= sign_in.abandon_at {
                sign_in.status = "abandoned";
                emptied_slots.push((sign_in.client_id.clone(), sign_in.id.clone()));
            }
        }
        for sign_up in self.sign_ups.values_mut() {
            if sign_up.status == "missing_requirements" && now >= sign_up.abandon_at {
                sign_up.status = "abandoned";
                emptied_slots.push((sign_up.client_id.clone(), sign_up.id.clone()));
            }
        }
        for (client_id, attempt_id) in emptied_slots {
            let Some(client) = self.clients.get_mut(&client_id) else { continue };
            for slot in [&mut client.sign_in_id, &mut client.sign_up_id] {
                if slot.as_deref() == Some(attempt_id.as_str()) {
                    *slot = None;
                    client.updated_at = now;
                }
            }
        }
    }

    /// Identifies the request's client from its token: the current token of a live client.
    /// A stale token (rotated away, or of an ended client) or an unknown one identifies
    /// nobody. A pending rotation happens here.
    pub(crate) fn identify(&mut self, token: Option<&str>, exchange: &mut Exchange) {
        let Some(token) = token else { return };
        let Some(client_id) = self.tokens.get(token).cloned() else { return };
        let Some(client) = self.clients.get(&client_id) else { return };
        if client.ended || client.token != token {
            return;
        }
        let rotate = client.rotate_pending;
        exchange.client_id = Some(client_id.clone());
        if rotate {
            self.rotate_token(&client_id, exchange);
        }
    }

    /// The request's client, created (with a new token for the response) when it has none.
    pub(crate) fn ensure_client(&mut self, exchange: &mut Exchange) -> String {
        if let Some(id) = &exchange.client_id {
            return id.clone();
        }
        let now = self.now();
        let id = self.random.id("client");
        let token = self.random.client_token(&id);
        self.tokens.insert(token.clone(), id.clone());
        self.clients.insert(
            id.clone(),
            Client {
                id: id.clone(),
                token: token.clone(),
                rotate_pending: false,
                session_ids: Vec::new(),
                sign_in_id: None,
                sign_up_id: None,
                last_active_session_id: None,
                last_authentication_strategy: None,
                known_user_ids: Vec::new(),
                ended: false,
                activity: Activity::default(),
                created_at: now,
                updated_at: now,
            },
        );
        exchange.client_id = Some(id.clone());
        exchange.issued_token = Some(token);
        id
    }

    /// Gives the client a new token; the old one becomes stale.
    pub(crate) fn rotate_token(&mut self, client_id: &str, exchange: &mut Exchange) {
        let token = self.random.client_token(client_id);
        if let Some(client) = self.clients.get_mut(client_id) {
            client.token = token.clone();
            client.rotate_pending = false;
            self.tokens.insert(token.clone(), client_id.to_owned());
            exchange.issued_token = Some(token);
        }
    }

    /// Marks a client as changed now.
    pub(crate) fn touch_client(&mut self, client_id: &str) {
        let now = self.now();
        if let Some(client) = self.clients.get_mut(client_id) {
            client.updated_at = now;
        }
    }

    /// The user `identifier` names.
    pub(crate) fn user_by_identifier(&self, identifier: &str) -> Option<&User> {
        self.users.iter().find(|u| u.is_identified_by(identifier))
    }

    /// The user with this id.
    pub(crate) fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// The user with this id, mutable.
    pub(crate) fn user_mut(&mut self, id: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| u.id == id)
    }

    /// A one-time code for `identifier`: `424242` for test identifiers, random otherwise;
    /// remembered for [`crate::MockServer::latest_code`].
    pub(crate) fn issue_code(&mut self, identifier: &str) -> String {
        let code = if users::is_test_identifier(identifier) { users::TEST_CODE.to_owned() } else { self.random.code() };
        self.codes.insert(code_key(identifier), code.clone());
        code
    }

    /// Whether the client already has a signed-in session (single-session mode check).
    pub(crate) fn client_has_signed_in_session(&self, client_id: &str) -> bool {
        self.clients.get(client_id).is_some_and(|client| {
            client.session_ids.iter().any(|sid| self.sessions.get(sid).is_some_and(Session::is_signed_in))
        })
    }

    /// The signed-in session `user_id` has on the client, if any (the latest one).
    pub(crate) fn signed_in_session_of(&self, client_id: &str, user_id: &str) -> Option<String> {
        let client = self.clients.get(client_id)?;
        client
            .session_ids
            .iter()
            .rev()
            .find(|sid| self.sessions.get(*sid).is_some_and(|s| s.user_id == user_id && s.is_signed_in()))
            .cloned()
    }

    /// Creates an active session for `user_id` on the client, makes it the client's last
    /// active session, and rotates the client token (completion of a sign-in or sign-up).
    pub(crate) fn create_session(
        &mut self,
        client_id: &str,
        user_id: &str,
        strategy: &str,
        second_factor: bool,
        exchange: &mut Exchange,
    ) -> String {
        let now = self.now();
        let id = self.random.id("sess");
        // Forced organization selection: no organization chosen yet, so a task remains.
        let status = if self.settings.force_organization_selection { "pending" } else { "active" };
        self.sessions.insert(
            id.clone(),
            Session {
                id: id.clone(),
                client_id: client_id.to_owned(),
                user_id: user_id.to_owned(),
                status,
                last_active_organization_id: None,
                first_factor_at: now,
                second_factor_at: second_factor.then_some(now),
                last_active_at: now,
                expire_at: now + SESSION_LIFETIME_MS,
                created_at: now,
                updated_at: now,
            },
        );
        if let Some(client) = self.clients.get_mut(client_id) {
            client.session_ids.push(id.clone());
            client.last_active_session_id = Some(id.clone());
            client.last_authentication_strategy = Some(strategy.to_owned());
            if !client.known_user_ids.iter().any(|u| u == user_id) {
                client.known_user_ids.push(user_id.to_owned());
            }
            client.updated_at = now;
        }
        if let Some(user) = self.user_mut(user_id) {
            user.last_sign_in_at = Some(now);
        }
        if exchange.client_id.as_deref() == Some(client_id) {
            self.rotate_token(client_id, exchange);
        } else if let Some(client) = self.clients.get_mut(client_id) {
            // Completed out of band: the client learns its new token on its next request.
            client.rotate_pending = true;
        }
        id
    }
}

/// The key under which codes for an identifier are remembered.
pub(crate) fn code_key(identifier: &str) -> String {
    if identifier.contains('@') { identifier.trim().to_ascii_lowercase() } else { users::normalize_phone(identifier) }
}
