//! The abstract transitions: what a test (or a fuzzer) does to an engine, in a small
//! curated vocabulary so that random sequences reach deep states (real statuses, real
//! error codes, factors the canned attempts offer).

use arbitrary::Arbitrary;
use clerk_core::secret::{Password, VerificationCode};
use clerk_core::{
    ClientCommand, Command, FirstFactorAttempt, FirstFactorPreparation, OrganizationChoice, SecondFactorAttempt,
    SecondFactorPreparation, SessionCommand, SignInCommand, SignInCreate, SignUpAttempt, SignUpCommand, SignUpFields,
    SignUpPreparation, TokenRequest,
};

/// The session of the same user on another device that [`CommandChoice::RevokeOtherDevice`]
/// revokes: never one of this client's.
pub const OTHER_DEVICE_SESSION: &str = "sess_other";

/// The password every canned command carries. It contains [`SECRET_MARK`], so the
/// invariants can spot it in any `Debug` output.
pub const CANNED_PASSWORD: &str = "pw-SECRET-hunter2";
/// The verification code every canned command carries (contains [`SECRET_MARK`]).
pub const CANNED_CODE: &str = "code-SECRET-424242";
/// The marker every canned secret (password, code, client token) contains.
pub const SECRET_MARK: &str = "SECRET";

/// One command from the curated vocabulary. Legal or not in the current state: the
/// model decides which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
#[non_exhaustive]
pub enum CommandChoice {
    /// `ClientCommand::Load`.
    Load,
    /// `ClientCommand::LoadEnvironment`.
    LoadEnvironment,
    /// `ClientCommand::Reload`.
    Reload,
    /// `ClientCommand::Create`.
    Create,
    /// `ClientCommand::Destroy`.
    Destroy,
    /// `ClientCommand::ClearCache`.
    ClearCache,
    /// Sign-in create with an identifier.
    SignInIdentifier,
    /// Sign-in create with identifier and password.
    SignInPassword,
    /// Sign-in reload.
    SignInReload,
    /// Prepare the offered first factor (`email_code`).
    SignInPrepareEmailCode,
    /// Prepare a first factor the canned attempt does not offer (`phone_code`).
    SignInPreparePhoneCode,
    /// Attempt the first factor with a code.
    SignInAttemptEmailCode,
    /// Prepare the second factor (`phone_code`).
    SignInPrepareSecondFactor,
    /// Attempt the second factor (`totp`).
    SignInAttemptTotp,
    /// Reset the password.
    SignInResetPassword,
    /// Sign-up create with an email address.
    SignUpCreate,
    /// Sign-up update of the first name.
    SignUpUpdate,
    /// Sign-up reload.
    SignUpReload,
    /// Prepare the email-code verification.
    SignUpPrepare,
    /// Attempt the email-code verification.
    SignUpAttempt,
    /// `get_token` for the active session.
    GetToken,
    /// `set_active` of `sess_1`.
    SetActive,
    /// `touch` of `sess_1`.
    Touch,
    /// `active_sessions`: the user's sessions on every device (`GET /v1/me/sessions/active`).
    ActiveSessions,
    /// `revoke` of `sess_other`, a session of the same user on another device.
    RevokeOtherDevice,
}

impl CommandChoice {
    /// Every choice, for generators.
    pub const ALL: [CommandChoice; 25] = [
        CommandChoice::Load,
        CommandChoice::LoadEnvironment,
        CommandChoice::Reload,
        CommandChoice::Create,
        CommandChoice::Destroy,
        CommandChoice::ClearCache,
        CommandChoice::SignInIdentifier,
        CommandChoice::SignInPassword,
        CommandChoice::SignInReload,
        CommandChoice::SignInPrepareEmailCode,
        CommandChoice::SignInPreparePhoneCode,
        CommandChoice::SignInAttemptEmailCode,
        CommandChoice::SignInPrepareSecondFactor,
        CommandChoice::SignInAttemptTotp,
        CommandChoice::SignInResetPassword,
        CommandChoice::SignUpCreate,
        CommandChoice::SignUpUpdate,
        CommandChoice::SignUpReload,
        CommandChoice::SignUpPrepare,
        CommandChoice::SignUpAttempt,
        CommandChoice::GetToken,
        CommandChoice::SetActive,
        CommandChoice::Touch,
        CommandChoice::ActiveSessions,
        CommandChoice::RevokeOtherDevice,
    ];

    /// The engine command this choice stands for.
    #[must_use]
    pub fn command(self) -> Command {
        let password = || Password::new(CANNED_PASSWORD);
        let code = || VerificationCode::new(CANNED_CODE);
        match self {
            CommandChoice::Load => ClientCommand::Load.into(),
            CommandChoice::LoadEnvironment => ClientCommand::LoadEnvironment.into(),
            CommandChoice::Reload => ClientCommand::Reload.into(),
            CommandChoice::Create => ClientCommand::Create.into(),
            CommandChoice::Destroy => ClientCommand::Destroy.into(),
            CommandChoice::ClearCache => ClientCommand::ClearCache.into(),
            CommandChoice::SignInIdentifier => {
                SignInCommand::Create(SignInCreate::identifier("ada@example.com")).into()
            }
            CommandChoice::SignInPassword => {
                SignInCommand::Create(SignInCreate::password("ada@example.com", password())).into()
            }
            CommandChoice::SignInReload => SignInCommand::Reload { rotating_token_nonce: None }.into(),
            CommandChoice::SignInPrepareEmailCode => {
                SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }).into()
            }
            CommandChoice::SignInPreparePhoneCode => {
                SignInCommand::PrepareFirstFactor(FirstFactorPreparation::PhoneCode { phone_number_id: None }).into()
            }
            CommandChoice::SignInAttemptEmailCode => {
                SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code())).into()
            }
            CommandChoice::SignInPrepareSecondFactor => {
                SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode { phone_number_id: None }).into()
            }
            CommandChoice::SignInAttemptTotp => {
                SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(code())).into()
            }
            CommandChoice::SignInResetPassword => {
                SignInCommand::ResetPassword { password: password(), sign_out_of_other_sessions: false }.into()
            }
            CommandChoice::SignUpCreate => SignUpCommand::Create(SignUpFields {
                email_address: Some("ada@example.com".into()),
                password: Some(password()),
                ..Default::default()
            })
            .into(),
            CommandChoice::SignUpUpdate => {
                SignUpCommand::Update(SignUpFields { first_name: Some("Ada".into()), ..Default::default() }).into()
            }
            CommandChoice::SignUpReload => SignUpCommand::Reload { rotating_token_nonce: None }.into(),
            CommandChoice::SignUpPrepare => SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode).into(),
            CommandChoice::SignUpAttempt => SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(code())).into(),
            CommandChoice::GetToken => SessionCommand::GetToken(TokenRequest::default()).into(),
            CommandChoice::SetActive => SessionCommand::SetActive {
                session_id: "sess_1".into(),
                organization: OrganizationChoice::SessionDefault,
            }
            .into(),
            CommandChoice::Touch => SessionCommand::Touch { session_id: "sess_1".into(), intent: None }.into(),
            CommandChoice::ActiveSessions => SessionCommand::ActiveSessions.into(),
            CommandChoice::RevokeOtherDevice => {
                SessionCommand::Revoke { session_id: OTHER_DEVICE_SESSION.into() }.into()
            }
        }
    }
}

/// A sign-in status the fake server may move an attempt to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
#[non_exhaustive]
pub enum SignInTarget {
    /// `needs_identifier`.
    NeedsIdentifier,
    /// `needs_first_factor`.
    NeedsFirstFactor,
    /// `needs_second_factor`.
    NeedsSecondFactor,
    /// `needs_client_trust`.
    NeedsClientTrust,
    /// `needs_new_password`.
    NeedsNewPassword,
    /// `complete`: a new session, the attempt consumed.
    Complete,
    /// `abandoned`.
    Abandoned,
}

impl SignInTarget {
    /// Every target.
    pub const ALL: [SignInTarget; 7] = [
        SignInTarget::NeedsIdentifier,
        SignInTarget::NeedsFirstFactor,
        SignInTarget::NeedsSecondFactor,
        SignInTarget::NeedsClientTrust,
        SignInTarget::NeedsNewPassword,
        SignInTarget::Complete,
        SignInTarget::Abandoned,
    ];

    /// The wire status.
    #[must_use]
    pub fn wire(self) -> &'static str {
        match self {
            SignInTarget::NeedsIdentifier => "needs_identifier",
            SignInTarget::NeedsFirstFactor => "needs_first_factor",
            SignInTarget::NeedsSecondFactor => "needs_second_factor",
            SignInTarget::NeedsClientTrust => "needs_client_trust",
            SignInTarget::NeedsNewPassword => "needs_new_password",
            SignInTarget::Complete => "complete",
            SignInTarget::Abandoned => "abandoned",
        }
    }
}

/// A sign-up status the fake server may move an attempt to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
#[non_exhaustive]
pub enum SignUpTarget {
    /// `missing_requirements`.
    MissingRequirements,
    /// `complete`: a new session, the attempt consumed.
    Complete,
    /// `abandoned`.
    Abandoned,
}

impl SignUpTarget {
    /// The wire status.
    #[must_use]
    pub fn wire(self) -> &'static str {
        match self {
            SignUpTarget::MissingRequirements => "missing_requirements",
            SignUpTarget::Complete => "complete",
            SignUpTarget::Abandoned => "abandoned",
        }
    }
}

/// What the fake server does before it answers successfully.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
#[non_exhaustive]
pub enum ServerChange {
    /// Nothing beyond what the request itself means.
    Nothing,
    /// The sign-in attempt moves to this status (a new attempt on a sign-in create).
    SignIn(SignInTarget),
    /// The sign-up attempt moves to this status (a new attempt on a sign-up create).
    SignUp(SignUpTarget),
    /// The active session ends on the server (status `ended`).
    SessionEnded,
    /// Every session is removed on the server.
    SessionsCleared,
}

/// A Clerk error code the fake server may answer with (and the status it comes with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
#[non_exhaustive]
pub enum ErrorChoice {
    /// 422 `form_code_incorrect`, with the server's client in `meta.client`.
    FormCodeIncorrect,
    /// 422 `form_password_incorrect`, no client.
    FormPasswordIncorrect,
    /// 404 `form_identifier_not_found`, with the client.
    IdentifierNotFound,
    /// 400 `session_exists`, with the client.
    SessionExists,
    /// 401 `authentication_invalid`, no client.
    AuthenticationInvalid,
    /// 404 `client_not_found`: the server no longer knows the client.
    ClientNotFound,
    /// 401 `dev_browser_unauthenticated`, no client: a development instance refuses the
    /// dev-browser token (fapi.md §1.8.3, §2.4). Only a browser on a development instance
    /// renews its token after it; for any other engine it is an error like the others.
    DevBrowserUnauthenticated,
}

impl ErrorChoice {
    /// `(status, code, whether meta.client rides along)`.
    #[must_use]
    pub fn wire(self) -> (u16, &'static str, bool) {
        match self {
            ErrorChoice::FormCodeIncorrect => (422, "form_code_incorrect", true),
            ErrorChoice::FormPasswordIncorrect => (422, "form_password_incorrect", false),
            ErrorChoice::IdentifierNotFound => (404, "form_identifier_not_found", true),
            ErrorChoice::SessionExists => (400, "session_exists", true),
            ErrorChoice::AuthenticationInvalid => (401, "authentication_invalid", false),
            ErrorChoice::ClientNotFound => (404, "client_not_found", false),
            ErrorChoice::DevBrowserUnauthenticated => (401, "dev_browser_unauthenticated", false),
        }
    }
}

/// An abstract answer to the request on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
#[non_exhaustive]
pub enum Answer {
    /// 2xx after the server made this change.
    Success(ServerChange),
    /// A Clerk error.
    Error(ErrorChoice),
    /// 429 with `Retry-After` seconds.
    TooManyRequests {
        /// `Retry-After` in seconds.
        retry_after: u8,
    },
    /// A 5xx: `500 + (n % 5)` (500, 501, 502, 503, 504), with an error body.
    ServerError(u8),
    /// The connection failed.
    Transport,
    /// A 200 whose body is not JSON.
    MalformedBody,
    /// A 200 carrying an older client (older `updated_at`, no sessions): what a stale
    /// replica or an old-token answer looks like. Must never sign anyone out.
    StaleClient,
    /// A 2xx with a rotated client token in `Authorization`.
    RotatedToken,
}

/// The `Clerk-Db-Jwt` header an answer carries besides what [`Answer`] says (fapi.md §1.8.3:
/// any answer may replace the dev-browser token). Only a browser on a development instance
/// reads it; every other engine must ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Arbitrary)]
#[non_exhaustive]
pub enum DbJwt {
    /// No header.
    #[default]
    Absent,
    /// A new token (it contains [`SECRET_MARK`]).
    Fresh,
    /// A blank value: carries no token.
    Blank,
}

/// Which local attempt a reset forgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
#[non_exhaustive]
pub enum ResetTarget {
    /// `reset_sign_in`.
    SignIn,
    /// `reset_sign_up`.
    SignUp,
}

/// Which session [`Transition::SignOutOf`] signs out of, resolved when the step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
#[non_exhaustive]
pub enum SignOutTarget {
    /// The active session (with none active: `sess_1`, which the client may not list).
    Active,
    /// `sess_{1 + n % 3}`: one of the ids the fake server hands out, signed in or not,
    /// active or not, on the client or not.
    Session(u8),
    /// [`OTHER_DEVICE_SESSION`]: a session of the user's that this client never lists.
    Unknown,
}

impl SignOutTarget {
    /// The session id this target names, given the active session.
    #[must_use]
    pub fn session_id(self, active: Option<&str>) -> String {
        match self {
            SignOutTarget::Active => active.unwrap_or("sess_1").to_owned(),
            SignOutTarget::Session(n) => format!("sess_{}", 1 + n % 3),
            SignOutTarget::Unknown => OTHER_DEVICE_SESSION.to_owned(),
        }
    }
}

/// One step of a test.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Arbitrary)]
#[non_exhaustive]
pub enum Transition {
    /// Submit a command, legal or not.
    Submit(CommandChoice),
    /// Answer the `nth` outstanding request (0: the one on the wire; anything else, or
    /// nothing on the wire: an unknown or finished request id).
    Respond {
        /// Which outstanding request.
        #[arbitrary(with = arbitrary_nth)]
        nth: u8,
        /// The answer.
        answer: Answer,
        /// A `Clerk-Db-Jwt` header on it (nothing when the answer is a transport error).
        db_jwt: DbJwt,
    },
    /// Move virtual time forward by this many milliseconds (firing every deadline on
    /// the way).
    AdvanceTime(u32),
    /// Export → drop → restore.
    Restart,
    /// Cancel the `nth` pending operation (beyond the pending ones: an unknown id).
    Cancel(u8),
    /// Reset the local sign-in or sign-up.
    Reset(ResetTarget),
    /// Sign out of every session (`remove_sessions`).
    SignOut,
    /// Sign out of one session (`SessionCommand::SignOut { session_id: Some(..) }`,
    /// `POST /v1/client/sessions/{id}/remove`): legal or not, as the session table says.
    SignOutOf(SignOutTarget),
}

/// `nth` of [`Transition::Respond`] from fuzzer bytes: mostly 0 (the request on the wire),
/// now and then 1–3 (an unknown or finished id), as the proptest strategy weighs them.
/// Uniform bytes would almost never spell 0, and a browser on a development instance needs
/// two answers (`POST /v1/dev_browser`, then the request) before anything happens.
fn arbitrary_nth(input: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<u8> {
    let byte = u8::arbitrary(input)?;
    Ok(if byte < 224 { 0 } else { 1 + byte % 3 })
}

impl Transition {
    /// Answers the request on the wire, without a `Clerk-Db-Jwt` header.
    #[must_use]
    pub fn respond(answer: Answer) -> Self {
        Transition::Respond { nth: 0, answer, db_jwt: DbJwt::Absent }
    }

    /// Answers the request on the wire with a `Clerk-Db-Jwt` header.
    #[must_use]
    pub fn respond_with_db_jwt(answer: Answer, db_jwt: DbJwt) -> Self {
        Transition::Respond { nth: 0, answer, db_jwt }
    }
}

/// A fixed prefix that leaves an engine in `mode` with two signed-in sessions (`sess_1`,
/// and `sess_2` active) and nothing pending: two password sign-ins the server completes (on
/// a development instance the dev-browser token is made first). Random sequences seldom get
/// there by themselves, and the session commands (a sign-out of one session above all) do
/// little without it.
#[must_use]
pub fn signed_in_twice(mode: crate::mode::EngineMode) -> Vec<Transition> {
    let complete = Transition::respond(Answer::Success(ServerChange::SignIn(SignInTarget::Complete)));
    let mut steps = vec![Transition::Submit(CommandChoice::SignInPassword)];
    if mode.uses_dev_browser() {
        steps.push(Transition::respond(Answer::Success(ServerChange::Nothing)));
    }
    steps.extend([complete.clone(), Transition::Submit(CommandChoice::SignInPassword), complete]);
    steps
}

/// Proptest strategies for the transitions.
#[cfg(feature = "proptest")]
pub mod strategy {
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;

    /// Any server change.
    pub fn server_change() -> impl Strategy<Value = ServerChange> {
        prop_oneof![
            2 => Just(ServerChange::Nothing),
            4 => select(SignInTarget::ALL.to_vec()).prop_map(ServerChange::SignIn),
            2 => select(vec![SignUpTarget::MissingRequirements, SignUpTarget::Complete, SignUpTarget::Abandoned])
                .prop_map(ServerChange::SignUp),
            1 => Just(ServerChange::SessionEnded),
            1 => Just(ServerChange::SessionsCleared),
        ]
    }

    /// Any abstract answer, successes most often.
    pub fn answer() -> impl Strategy<Value = Answer> {
        answer_in(crate::mode::EngineMode::Native)
    }

    /// Any abstract answer for an engine in `mode`, successes most often. A browser on a
    /// development instance gets the faults that reach its dev-browser paths more often:
    /// `dev_browser_unauthenticated` (the token is made again, reads repeated), a 401 (a
    /// refresh re-checking the session) and 5xx (a failed `POST /v1/dev_browser`).
    pub fn answer_in(mode: crate::mode::EngineMode) -> impl Strategy<Value = Answer> {
        let dev = u32::from(mode.uses_dev_browser());
        prop_oneof![
            8 => server_change().prop_map(Answer::Success),
            3 => select(vec![
                ErrorChoice::FormCodeIncorrect,
                ErrorChoice::FormPasswordIncorrect,
                ErrorChoice::IdentifierNotFound,
                ErrorChoice::SessionExists,
                ErrorChoice::AuthenticationInvalid,
                ErrorChoice::ClientNotFound,
                ErrorChoice::DevBrowserUnauthenticated,
            ])
            .prop_map(Answer::Error),
            1 + 2 * dev => Just(Answer::Error(ErrorChoice::DevBrowserUnauthenticated)),
            dev => Just(Answer::Error(ErrorChoice::AuthenticationInvalid)),
            1 => (0u8..40).prop_map(|retry_after| Answer::TooManyRequests { retry_after }),
            1 + dev => (0u8..5).prop_map(Answer::ServerError),
            1 => Just(Answer::Transport),
            1 => Just(Answer::MalformedBody),
            1 => Just(Answer::StaleClient),
            1 => Just(Answer::RotatedToken),
        ]
    }

    /// A `Clerk-Db-Jwt` header now and then.
    pub fn db_jwt() -> impl Strategy<Value = DbJwt> {
        prop_oneof![10 => Just(DbJwt::Absent), 2 => Just(DbJwt::Fresh), 1 => Just(DbJwt::Blank)]
    }

    /// Which session to sign out of: mostly the active one, now and then a named one (which
    /// may be another signed-in session, one no longer signed in, or none), rarely one the
    /// client never lists.
    pub fn sign_out_target() -> impl Strategy<Value = SignOutTarget> {
        prop_oneof![
            3 => Just(SignOutTarget::Active),
            2 => (0u8..3).prop_map(SignOutTarget::Session),
            1 => Just(SignOutTarget::Unknown),
        ]
    }

    /// Any engine mode.
    pub fn mode() -> impl Strategy<Value = crate::mode::EngineMode> {
        select(crate::mode::EngineMode::ALL.to_vec())
    }

    /// Any transition, weighted towards submitting and answering.
    pub fn transition() -> impl Strategy<Value = Transition> {
        transition_in(crate::mode::EngineMode::Native)
    }

    /// Any transition for an engine in `mode` (the answers of [`answer_in`]), weighted
    /// towards submitting and answering.
    pub fn transition_in(mode: crate::mode::EngineMode) -> impl Strategy<Value = Transition> {
        prop_oneof![
            6 => select(CommandChoice::ALL.to_vec()).prop_map(Transition::Submit),
            7 => (prop_oneof![9 => Just(0u8), 1 => 1u8..4], answer_in(mode), db_jwt())
                .prop_map(|(nth, answer, db_jwt)| Transition::Respond { nth, answer, db_jwt }),
            2 => prop_oneof![Just(10u32), Just(1_000), Just(5_000), Just(60_000), 0u32..100_000]
                .prop_map(Transition::AdvanceTime),
            1 => Just(Transition::Restart),
            1 => (0u8..4).prop_map(Transition::Cancel),
            1 => prop_oneof![Just(ResetTarget::SignIn), Just(ResetTarget::SignUp)].prop_map(Transition::Reset),
            1 => Just(Transition::SignOut),
            1 => sign_out_target().prop_map(Transition::SignOutOf),
        ]
    }
}
