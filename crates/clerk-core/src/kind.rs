//! Which Frontend API operation a request performs.

use std::fmt;

use serde::Serialize;

use crate::request::Method;

/// The Frontend API operation behind a request: for logs, retries and decoding.
///
/// Each kind fixes the logical method and the shape of a successful answer (see
/// `docs/api-mapping.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RequestKind {
    /// `GET /v1/environment`: the instance's settings (unwrapped body).
    Environment,
    /// `GET /v1/client`: the current client, or `null` when the server has none.
    ClientGet,
    /// `POST /v1/client` (native) or `PUT /v1/client` (browser): a new client.
    ClientCreate,
    /// `DELETE /v1/client`: end the client and all its sessions.
    ClientDestroy,
    /// `DELETE /v1/client/sessions`: end every session, keep the client.
    ClientRemoveSessions,
    /// `POST /v1/client/sign_ins`
    SignInCreate,
    /// `GET /v1/client/sign_ins/{id}`
    SignInGet,
    /// `POST /v1/client/sign_ins/{id}/prepare_first_factor`
    SignInPrepareFirstFactor,
    /// `POST /v1/client/sign_ins/{id}/attempt_first_factor`
    SignInAttemptFirstFactor,
    /// `POST /v1/client/sign_ins/{id}/prepare_second_factor`
    SignInPrepareSecondFactor,
    /// `POST /v1/client/sign_ins/{id}/attempt_second_factor`
    SignInAttemptSecondFactor,
    /// `POST /v1/client/sign_ins/{id}/reset_password`
    SignInResetPassword,
    /// `POST /v1/client/sign_ups`
    SignUpCreate,
    /// `GET /v1/client/sign_ups/{id}`
    SignUpGet,
    /// `PATCH /v1/client/sign_ups/{id}`
    SignUpUpdate,
    /// `POST /v1/client/sign_ups/{id}/prepare_verification`
    SignUpPrepareVerification,
    /// `POST /v1/client/sign_ups/{id}/attempt_verification`
    SignUpAttemptVerification,
    /// `GET /v1/client/sessions/{id}`
    SessionGet,
    /// `POST /v1/client/sessions/{id}/touch`
    SessionTouch,
    /// `POST /v1/client/sessions/{id}/end`
    SessionEnd,
    /// `POST /v1/client/sessions/{id}/remove`
    SessionRemove,
    /// `POST /v1/client/sessions/{id}/tokens[/{template}]` (unwrapped body)
    SessionToken,
    /// `POST /v1/client/sessions/{id}/verify`
    SessionVerify,
    /// `POST /v1/client/sessions/{id}/verify/prepare_first_factor`
    SessionVerifyPrepareFirstFactor,
    /// `POST /v1/client/sessions/{id}/verify/attempt_first_factor`
    SessionVerifyAttemptFirstFactor,
    /// `POST /v1/client/sessions/{id}/verify/prepare_second_factor`
    SessionVerifyPrepareSecondFactor,
    /// `POST /v1/client/sessions/{id}/verify/attempt_second_factor`
    SessionVerifyAttemptSecondFactor,
    /// `GET /v1/me/sessions/active`: the signed-in user's active sessions on every device,
    /// each with its latest activity (an unwrapped array; fapi.md §5.5, clerk-js's
    /// `user.getSessions()`). Sent as the active session (`_clerk_session_id`).
    MeSessionsActive,
    /// `POST /v1/me/sessions/{id}/revoke`: revokes one of the user's sessions, on any device
    /// (status `revoked`; fapi.md §3.5.3, Appendix A row 36). Sent as the active session.
    MeSessionRevoke,
    /// `POST /v1/dev_browser`: a new dev-browser token (`{id}`), made by the engine itself
    /// in browser mode on a development instance (fapi.md §1.8.3). clerk-js sends it as a
    /// plain `fetch`, without the browser's cookies ([`sends_cookies`](Self::sends_cookies)).
    DevBrowser,
}

impl RequestKind {
    /// The logical HTTP method of the operation (before browser-mode tunnelling).
    #[must_use]
    pub fn method(self) -> Method {
        use RequestKind::*;
        match self {
            Environment | ClientGet | SignInGet | SignUpGet | SessionGet | MeSessionsActive => Method::Get,
            ClientDestroy | ClientRemoveSessions => Method::Delete,
            SignUpUpdate => Method::Patch,
            ClientCreate
            | SignInCreate
            | SignInPrepareFirstFactor
            | SignInAttemptFirstFactor
            | SignInPrepareSecondFactor
            | SignInAttemptSecondFactor
            | SignInResetPassword
            | SignUpCreate
            | SignUpPrepareVerification
            | SignUpAttemptVerification
            | SessionTouch
            | SessionEnd
            | SessionRemove
            | SessionToken
            | SessionVerify
            | SessionVerifyPrepareFirstFactor
            | SessionVerifyAttemptFirstFactor
            | SessionVerifyPrepareSecondFactor
            | SessionVerifyAttemptSecondFactor
            | MeSessionRevoke
            | DevBrowser => Method::Post,
        }
    }

    /// Whether a browser sends this request with its cookies for the Frontend API
    /// (`credentials: 'include'`, fapi.md §1.6): every request but
    /// [`DevBrowser`](Self::DevBrowser), which clerk-js sends as a plain `fetch`. Only a
    /// driver running in a browser ([`TransportMode::Browser`](crate::TransportMode::Browser))
    /// has a use for it.
    #[must_use]
    pub fn sends_cookies(self) -> bool {
        self != RequestKind::DevBrowser
    }

    /// Whether the engine may repeat the request by itself after a transport error, a
    /// 429 or a 502/503/504 (design §7.5), and for a token request an unusable JWT
    /// (decision 0015): GET requests and session-token requests.
    #[must_use]
    pub fn is_retryable(self) -> bool {
        self.method().is_safe() || self == RequestKind::SessionToken
    }

    /// Whether a successful answer carries a client that the engine applies (every
    /// mutation and every reload: fapi.md §2.2). The environment, token and active-sessions
    /// endpoints do not (their answers are unwrapped).
    #[must_use]
    pub fn applies_client(self) -> bool {
        !matches!(
            self,
            RequestKind::Environment
                | RequestKind::SessionToken
                | RequestKind::DevBrowser
                | RequestKind::MeSessionsActive
        )
    }

    /// A short stable name, as used in logs and transcripts.
    #[must_use]
    pub fn name(self) -> &'static str {
        use RequestKind::*;
        match self {
            Environment => "environment",
            ClientGet => "client_get",
            ClientCreate => "client_create",
            ClientDestroy => "client_destroy",
            ClientRemoveSessions => "client_remove_sessions",
            SignInCreate => "sign_in_create",
            SignInGet => "sign_in_get",
            SignInPrepareFirstFactor => "sign_in_prepare_first_factor",
            SignInAttemptFirstFactor => "sign_in_attempt_first_factor",
            SignInPrepareSecondFactor => "sign_in_prepare_second_factor",
            SignInAttemptSecondFactor => "sign_in_attempt_second_factor",
            SignInResetPassword => "sign_in_reset_password",
            SignUpCreate => "sign_up_create",
            SignUpGet => "sign_up_get",
            SignUpUpdate => "sign_up_update",
            SignUpPrepareVerification => "sign_up_prepare_verification",
            SignUpAttemptVerification => "sign_up_attempt_verification",
            SessionGet => "session_get",
            SessionTouch => "session_touch",
            SessionEnd => "session_end",
            SessionRemove => "session_remove",
            SessionToken => "session_token",
            SessionVerify => "session_verify",
            SessionVerifyPrepareFirstFactor => "session_verify_prepare_first_factor",
            SessionVerifyAttemptFirstFactor => "session_verify_attempt_first_factor",
            SessionVerifyPrepareSecondFactor => "session_verify_prepare_second_factor",
            SessionVerifyAttemptSecondFactor => "session_verify_attempt_second_factor",
            MeSessionsActive => "me_sessions_active",
            MeSessionRevoke => "me_session_revoke",
            DevBrowser => "dev_browser",
        }
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
