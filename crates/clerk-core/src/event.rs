//! What the engine tells the application: outputs, events and operation outcomes.

use serde::Serialize;
use time::OffsetDateTime;

use crate::classification::SessionEndReason;
use crate::command::Flow;
use crate::error::OperationError;
use crate::ids::{OpId, RequestId};
use crate::kind::RequestKind;
use crate::request::HttpRequest;
use crate::secret::SessionJwt;
use crate::secret::{ClientToken, DevBrowserToken};
use crate::session::ActiveSession;
use crate::wire::{
    SessionResource, SessionReverification, SignInResource, SignInStatus, SignUpResource, SignUpStatus, Text,
};

/// One thing for the driver to do, from [`Client::poll_output`](crate::Client::poll_output).
#[derive(Debug, Clone, PartialEq)]
#[must_use]
#[non_exhaustive]
pub enum Output {
    /// Send this request and feed its answer to
    /// [`handle_response`](crate::Client::handle_response).
    Request(Outgoing),
    /// Pass this event on to the application.
    Event(Event),
    /// Nothing to send before this instant: sleep until then, then call
    /// [`handle_timeout`](crate::Client::handle_timeout).
    Timeout(OffsetDateTime),
    /// Nothing to do until a response arrives or a command is submitted.
    Idle,
}

/// A request the engine wants sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outgoing {
    /// Matches the answer to the request in
    /// [`handle_response`](crate::Client::handle_response).
    pub id: RequestId,
    /// Which operation of the Frontend API this is.
    pub kind: RequestKind,
    /// The operation this request serves.
    pub op: OpId,
    /// 1 for the first try, 2 for the first retry, …
    pub attempt: u32,
    /// What to send.
    pub request: HttpRequest,
}

/// Something that happened, for the application.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// An operation ended. Exactly one per [`OpId`].
    OperationCompleted {
        /// The operation.
        op: OpId,
        /// How it ended.
        outcome: Outcome,
    },
    /// The client token changed: persist it (or delete it when `None`). This is the
    /// persistence hook of a native client.
    ClientTokenChanged {
        /// The new token, `None` when the client was destroyed.
        token: Option<ClientToken>,
    },
    /// The dev-browser token changed (browser mode on a development instance, fapi.md
    /// §1.8.3): made by `POST /v1/dev_browser`, replaced by a `Clerk-Db-Jwt` response
    /// header, or dropped (`None`) after a `dev_browser_unauthenticated` answer. Persist the
    /// state ([`Client::export`](crate::Client::export) holds it), as clerk-js keeps it in
    /// its `__clerk_db_jwt` cookie.
    DevBrowserTokenChanged {
        /// The new token, `None` when it was dropped.
        token: Option<DevBrowserToken>,
    },
    /// A new client object was applied (any field may have changed).
    ClientUpdated,
    /// The environment was loaded or changed.
    EnvironmentUpdated,
    /// The list of sessions, or the status of one, changed.
    SessionsChanged,
    /// The session the engine treats as active changed.
    ActiveSessionChanged {
        /// The new active session, `None` when signed out.
        session_id: Option<Text>,
    },
    /// The active organization changed: the active session's `last_active_organization_id`
    /// after a `SetActive` with an organization, a switch to a session in another
    /// organization, or a change made elsewhere ([`Client::active_organization`](crate::Client::active_organization)).
    /// Token requests for the session's default organization now mean this one.
    ActiveOrganizationChanged {
        /// The new active organization, `None` for the personal account or when no session
        /// is active.
        organization_id: Option<Text>,
    },
    /// The sign-in attempt's status changed (`None`: no attempt).
    SignInStatusChanged {
        /// The previous status.
        from: Option<SignInStatus>,
        /// The new status.
        to: Option<SignInStatus>,
    },
    /// The sign-up attempt's status changed (`None`: no attempt).
    SignUpStatusChanged {
        /// The previous status.
        from: Option<SignUpStatus>,
        /// The new status.
        to: Option<SignUpStatus>,
    },
    /// A browser must be opened at `url` (OAuth, enterprise SSO, SAML): the
    /// verification's `external_verification_redirect_url`. After the provider returns to
    /// the app, reload the attempt with the callback's `rotating_token_nonce`. Reported for
    /// the answer to the request that started the verification (create, prepare, a sign-up
    /// update), never for a reload: one still showing the verification pending (the browser
    /// was closed, the provider step failed) is no reason to open the browser again.
    ExternalVerificationRequired {
        /// The flow whose verification waits.
        flow: Flow,
        /// The URL to open.
        url: Text,
    },
    /// An email link was sent; the engine now polls until it is used, expires or fails
    /// (or the operation is cancelled).
    EmailLinkSent {
        /// The flow that sent it.
        flow: Flow,
    },
    /// A session token was fetched and cached (a `get_token` or the proactive refresh
    /// ahead of expiry).
    SessionTokenRefreshed {
        /// The session.
        session_id: Text,
        /// The JWT template, `None` for the default session token.
        template: Option<Text>,
    },
    /// The active session is gone (signed out here, ended on the server, or the client
    /// destroyed). Usually no session is active now. On a multi-session client other
    /// sessions may still be signed in
    /// ([`Client::signed_in_sessions`](crate::Client::signed_in_sessions));
    /// [`SetActive`](crate::SessionCommand::SetActive) one of them to go on as that user.
    /// When the same update also made another session active (the server named it last
    /// active: a flow completed there), [`ActiveSessionChanged`](Self::ActiveSessionChanged)
    /// follows with it; that session may be another user's.
    SignedOut {
        /// Why.
        reason: SignOutReason,
    },
}

impl Event {
    /// Whether this event changed what a restarted program must find in its saved state
    /// ([`Client::export`](crate::Client::export)): the client token or the dev-browser
    /// token, which sessions exist or are signed in, which one is active and in which organization. A driver saves the state on these (and need
    /// not on the others, which a restart re-learns from the next answer).
    #[must_use]
    pub fn changes_saved_identity(&self) -> bool {
        matches!(
            self,
            Event::ClientTokenChanged { .. }
                | Event::DevBrowserTokenChanged { .. }
                | Event::SessionsChanged
                | Event::ActiveSessionChanged { .. }
                | Event::ActiveOrganizationChanged { .. }
                | Event::SignedOut { .. }
        )
    }
}

/// How an operation ended.
pub type Outcome = Result<Completion, OperationError>;

/// What a successful operation achieved.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Completion {
    /// The environment (and, when a token was known, the client) were loaded.
    Loaded {
        /// Whether the server knows a client for this token.
        client_present: bool,
    },
    /// The environment was loaded.
    EnvironmentLoaded,
    /// The client was reloaded.
    ClientReloaded {
        /// Whether the server knows a client for this token (`false`: `response: null`).
        client_present: bool,
        /// Whether the answer was applied (`false`: the stale gate refused it as older
        /// than what the engine already holds, or a sign-out of every session or a
        /// destroy came after the request).
        applied: bool,
    },
    /// A new client was created.
    ClientCreated,
    /// Local identity was cleared by a sign-out or destroy; says whether the server
    /// confirmed it.
    SignedOut {
        /// Whether the server confirmed.
        confirmation: SignOutConfirmation,
    },
    /// A local-only command (reset, clear cache) took effect.
    LocalChange,
    /// A sign-in request succeeded: the attempt as the server answered it (its
    /// `created_session_id` is set when it completed, even though the client's sign-in
    /// slot is then empty).
    SignIn(Box<SignInResource>),
    /// A sign-up request succeeded: the attempt as the server answered it.
    SignUp(Box<SignUpResource>),
    /// A sign-up update had nothing that differs from the current attempt: nothing was
    /// sent.
    SignUpUnchanged,
    /// An email-link wait ended.
    EmailLink(EmailLinkOutcome),
    /// A session request (set active, touch, end, remove, reload) succeeded: the session as
    /// the server answered it (without its token, which went to the token cache).
    Session(Box<SessionResource>),
    /// A session token, from the cache or fresh from the server.
    SessionToken(SessionJwt),
    /// A reverification step succeeded: the reverification as the server answered it.
    Reverification(Box<SessionReverification>),
    /// The signed-in user's active sessions on every device, in the server's order, each
    /// marked when it is this client's own or its active one
    /// ([`SessionCommand::ActiveSessions`](crate::SessionCommand::ActiveSessions)).
    ActiveSessions(Vec<ActiveSession>),
    /// A session was revoked ([`SessionCommand::Revoke`](crate::SessionCommand::Revoke)).
    SessionRevoked {
        /// The session as the server answered it (status `revoked`; without its token).
        session: Box<SessionResource>,
        /// The session was one of this client's own: it is signed out here too (when it was
        /// the active one, `SignedOut` with the `revoked` reason came before this).
        on_this_client: bool,
    },
}

impl Completion {
    /// The sign-in attempt a sign-in command completed with, as the server answered it:
    /// check [`is_complete`](SignInResource::is_complete) (or its `status`) before taking the
    /// user as signed in, since a step that succeeded may leave a next one (a second
    /// factor).
    #[must_use]
    pub fn sign_in(&self) -> Option<&SignInResource> {
        match self {
            Completion::SignIn(sign_in) => Some(sign_in),
            _ => None,
        }
    }

    /// The sign-up attempt a sign-up command completed with, as the server answered it
    /// (see [`sign_in`](Self::sign_in)).
    #[must_use]
    pub fn sign_up(&self) -> Option<&SignUpResource> {
        match self {
            Completion::SignUp(sign_up) => Some(sign_up),
            _ => None,
        }
    }
}

/// How an email-link wait ended (design §7.8).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmailLinkOutcome {
    /// The attempt completed (the link was opened and no further step was needed);
    /// the new session is active.
    Completed {
        /// The session the attempt created, when known.
        created_session_id: Option<Text>,
    },
    /// The link was opened and the verification is verified, but the attempt needs more
    /// (a second factor, missing sign-up fields).
    Verified {
        /// `true` only when `verified_at_client` names this client (clerk-js's
        /// `verifiedFromTheSameClient()`); `false` when the link was opened in another
        /// client (another device or browser) or the answer names no client.
        on_this_client: bool,
    },
    /// The link expired; prepare again.
    Expired,
    /// The verification failed.
    Failed,
    /// The identity was proven but belongs to the other flow: transfer (fapi.md §5.4).
    Transferable,
    /// The attempt disappeared without creating a session: the server no longer knows the
    /// client, or the attempt was dropped. Start again.
    AttemptGone,
}

/// Whether the server confirmed a sign-out or destroy (design §7.9).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SignOutConfirmation {
    /// The server confirmed: it ended the session(s) or the client.
    Confirmed,
    /// Only local state was cleared: the server could not be reached or refused. The
    /// error says why; the server-side session may still be alive until it expires.
    LocalOnly {
        /// Why the server did not confirm.
        error: Box<OperationError>,
    },
}

/// Why the user is no longer signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SignOutReason {
    /// The application asked for it (sign-out, destroy).
    UserAction,
    /// The session ended on the server (its status, or an error code such as
    /// `user_banned`; see `crate::classification`).
    SessionEnded {
        /// Why.
        reason: SessionEndReason,
    },
    /// The session disappeared from the client.
    SessionMissing,
    /// The server refused the session (an unauthenticated answer) and the client refresh
    /// that re-checks it failed with 403 or 500 (fapi.md §2.4): signed out locally.
    Unauthenticated,
    /// The server no longer knows this client.
    ClientLost,
}
