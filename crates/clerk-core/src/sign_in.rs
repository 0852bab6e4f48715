//! The sign-in flow: commands, their legality per status, and the requests they mean
//! (fapi.md §3.3, §3.7, §5.1).
//!
//! The server chooses every status; the engine decides which commands are legal in the
//! current one and what goes on the wire. The table below is also in
//! `docs/state-machines.md`, and a test holds it against [`SignInCommand::is_legal_in`].
//!
//! | status | create | reload | prepare 1st | attempt 1st | prepare 2nd | attempt 2nd | reset password |
//! | --- | --- | --- | --- | --- | --- | --- | --- |
//! | no attempt | ✓ | | | | | | |
//! | `needs_identifier` | ✓ | ✓ | ✓ | | | | |
//! | `needs_first_factor` | ✓ | ✓ | ✓ | ✓ | | | |
//! | `needs_second_factor` | ✓ | ✓ | | | ✓ | ✓ | |
//! | `needs_client_trust` | ✓ | ✓ | | | ✓ | ✓ | |
//! | `needs_new_password` | ✓ | ✓ | | | | | ✓ |
//! | `needs_protect_check` | ✓ | ✓ | | | | | |
//! | `complete` | ✓ | ✓ | | | | | |
//! | `abandoned` | ✓ | | | | | | |
//! | unknown | ✓ | ✓ | | | | | |

use serde::Serialize;

use crate::builder::RequestSpec;
use crate::captcha::Captcha;
use crate::encoding::ResourceId;
use crate::error::CommandError;
use crate::kind::RequestKind;
use crate::request::Field;
use crate::secret::{Credential, Password, Ticket, VerificationCode};
use crate::wire::{SignInResource, SignInStatus, Strategy, Text};

/// Parameters of `POST /v1/client/sign_ins` (fapi.md §3.3.1). Build them with the
/// constructors; every field left `None` is omitted from the body.
///
/// Not `#[non_exhaustive]`, so it can be built with a struct literal; always end one
/// with `..Default::default()` so new fields do not break it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SignInCreate {
    /// `strategy`; omit to just identify.
    pub strategy: Option<Strategy>,
    /// `identifier`: email address, phone number (E.164), username or wallet.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub identifier: Option<String>,
    /// `password` (with the `password` strategy or an identifier).
    pub password: Option<Password>,
    /// `ticket` (`ticket` strategy).
    pub ticket: Option<Ticket>,
    /// `token`: an ID token (`google_one_tap`, `oauth_token_<provider>`).
    pub token: Option<Credential>,
    /// `code`: an authorization code (`oauth_token_<provider>`).
    pub code: Option<Credential>,
    /// `redirect_url` (OAuth, SAML, enterprise SSO, email link).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub redirect_url: Option<String>,
    /// `action_complete_redirect_url` (OAuth, SSO).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub action_complete_redirect_url: Option<String>,
    /// `oidc_prompt`.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub oidc_prompt: Option<String>,
    /// `oidc_login_hint`.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub oidc_login_hint: Option<String>,
    /// `transfer=true`: build the sign-in from the client's transferable sign-up.
    pub transfer: bool,
    /// `sign_up_if_missing=true`: go on identifying even when no user exists.
    pub sign_up_if_missing: bool,
    /// `locale`: the person's language (BCP 47, e.g. `fr-FR`), for the emails and texts the
    /// server sends (clerk-js sends the browser's).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub locale: Option<String>,
    /// The outcome of a bot-protection challenge (browser front ends, with
    /// `sign_up_if_missing`; see [`crate::captcha`]).
    pub captcha: Option<Captcha>,
}

impl SignInCreate {
    /// Identify only: `identifier`.
    pub fn identifier(identifier: impl Into<String>) -> Self {
        SignInCreate { identifier: Some(identifier.into()), ..Self::default() }
    }

    /// Password sign-in in one call: `identifier` and `password`. The strategy is left out:
    /// the server infers it, and that is what the native SDKs and clerk-js's `password()`
    /// send (fapi.md §3.7.1).
    pub fn password(identifier: impl Into<String>, password: Password) -> Self {
        SignInCreate { identifier: Some(identifier.into()), password: Some(password), ..Self::default() }
    }

    /// A strategy with an identifier (codes, links): `strategy`, `identifier`. With a code
    /// strategy the server prepares the first factor at once (the code is sent with the
    /// create): attempt it next, without a `PrepareFirstFactor`, which would send a second
    /// code.
    pub fn with_strategy(strategy: Strategy, identifier: impl Into<String>) -> Self {
        SignInCreate { strategy: Some(strategy), identifier: Some(identifier.into()), ..Self::default() }
    }

    /// A ticket (invitation, sign-in token): `strategy=ticket`, `ticket`.
    pub fn ticket(ticket: Ticket) -> Self {
        SignInCreate { strategy: Some(Strategy::Ticket), ticket: Some(ticket), ..Self::default() }
    }

    /// Transfer from the client's transferable sign-up: `transfer=true`.
    pub fn transfer() -> Self {
        SignInCreate { transfer: true, ..Self::default() }
    }

    /// OAuth, enterprise SSO or SAML through a browser: `strategy`, `redirect_url`,
    /// `action_complete_redirect_url` (defaults to `redirect_url`, as clerk-js's native
    /// transport does). The answer's `external_verification_redirect_url` is reported as
    /// [`Event::ExternalVerificationRequired`](crate::Event::ExternalVerificationRequired).
    pub fn redirect(strategy: Strategy, redirect_url: impl Into<String>) -> Self {
        let redirect_url = redirect_url.into();
        SignInCreate {
            strategy: Some(strategy),
            action_complete_redirect_url: Some(redirect_url.clone()),
            redirect_url: Some(redirect_url),
            ..Self::default()
        }
    }

    /// A native ID token: `oauth_token_apple` (with the token and, optionally, the
    /// authorization code) or `google_one_tap`.
    pub fn id_token(strategy: Strategy, token: Credential, code: Option<Credential>) -> Self {
        SignInCreate { strategy: Some(strategy), token: Some(token), code, ..Self::default() }
    }

    /// Discoverable passkey: `strategy=passkey`; the WebAuthn options come back in
    /// `first_factor_verification.nonce`.
    pub fn passkey() -> Self {
        SignInCreate { strategy: Some(Strategy::Passkey), ..Self::default() }
    }

    /// Sets `sign_up_if_missing`.
    #[must_use]
    pub fn sign_up_if_missing(mut self, on: bool) -> Self {
        self.sign_up_if_missing = on;
        self
    }

    /// Sets `locale` (BCP 47).
    #[must_use]
    pub fn locale(mut self, locale: impl Into<String>) -> Self {
        self.locale = Some(locale.into());
        self
    }

    /// Sets the bot-protection outcome (see [`crate::captcha`]).
    #[must_use]
    pub fn captcha(mut self, captcha: Captcha) -> Self {
        self.captcha = Some(captcha);
        self
    }

    fn form(&self) -> Vec<Field> {
        let mut form = Vec::new();
        push(&mut form, "strategy", self.strategy.as_ref().map(Strategy::as_str));
        push(&mut form, "identifier", self.identifier.as_deref());
        push_secret(&mut form, "password", self.password.as_ref().map(Password::expose));
        push_secret(&mut form, "ticket", self.ticket.as_ref().map(Ticket::expose));
        push_secret(&mut form, "token", self.token.as_ref().map(Credential::expose));
        push_secret(&mut form, "code", self.code.as_ref().map(Credential::expose));
        push(&mut form, "redirect_url", self.redirect_url.as_deref());
        push(&mut form, "action_complete_redirect_url", self.action_complete_redirect_url.as_deref());
        push(&mut form, "oidc_prompt", self.oidc_prompt.as_deref());
        push(&mut form, "oidc_login_hint", self.oidc_login_hint.as_deref());
        if self.transfer {
            form.push(Field::plain("transfer", "true"));
        }
        if self.sign_up_if_missing {
            form.push(Field::plain("sign_up_if_missing", "true"));
        }
        push(&mut form, "locale", self.locale.as_deref());
        if let Some(captcha) = &self.captcha {
            captcha.push_fields(&mut form);
        }
        form
    }
}

/// `prepare_first_factor` (fapi.md §3.3.2). An id left `None` is picked from the
/// sign-in's `supported_first_factors`; a strategy the server did not offer is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum FirstFactorPreparation {
    /// Send a code by email.
    EmailCode {
        /// The `email_address_id`, or `None` to use the offered one.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        email_address_id: Option<String>,
    },
    /// Send a magic link by email; the engine then polls until it is used (design §7.8).
    EmailLink {
        /// The `email_address_id`, or `None` to use the offered one.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        email_address_id: Option<String>,
        /// The URL the link opens.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::text))]
        redirect_url: String,
    },
    /// Send a code by SMS.
    PhoneCode {
        /// The `phone_number_id`, or `None` to use the offered one.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        phone_number_id: Option<String>,
    },
    /// Send a reset-password code by email.
    ResetPasswordEmailCode {
        /// The `email_address_id`, or `None` to use the offered one.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        email_address_id: Option<String>,
    },
    /// Send a reset-password code by SMS.
    ResetPasswordPhoneCode {
        /// The `phone_number_id`, or `None` to use the offered one.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        phone_number_id: Option<String>,
    },
    /// Get WebAuthn options (`first_factor_verification.nonce`).
    Passkey,
    /// Get the message a wallet must sign (`first_factor_verification.message`).
    Web3 {
        /// `web3_<provider>_signature`.
        strategy: Strategy,
        /// The `web3_wallet_id`, or `None` to use the offered one.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        web3_wallet_id: Option<String>,
    },
    /// Start OAuth or enterprise SSO; the provider URL is reported as
    /// [`Event::ExternalVerificationRequired`](crate::Event::ExternalVerificationRequired).
    Redirect {
        /// `oauth_<provider>`, `enterprise_sso` or `saml`.
        strategy: Strategy,
        /// Where the provider returns (the app's callback).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::text))]
        redirect_url: String,
        /// Where to land when the flow completes (defaults to `redirect_url`).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
        action_complete_redirect_url: Option<String>,
        /// `oidc_prompt`: the OpenID Connect `prompt` the provider gets (e.g. `login` to
        /// make the person sign in at the identity provider again, `select_account`).
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
        oidc_prompt: Option<String>,
        /// `oidc_login_hint`: the account the provider suggests.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
        oidc_login_hint: Option<String>,
    },
}

impl FirstFactorPreparation {
    /// The strategy prepared.
    #[must_use]
    pub fn strategy(&self) -> Strategy {
        match self {
            FirstFactorPreparation::EmailCode { .. } => Strategy::EmailCode,
            FirstFactorPreparation::EmailLink { .. } => Strategy::EmailLink,
            FirstFactorPreparation::PhoneCode { .. } => Strategy::PhoneCode,
            FirstFactorPreparation::ResetPasswordEmailCode { .. } => Strategy::ResetPasswordEmailCode,
            FirstFactorPreparation::ResetPasswordPhoneCode { .. } => Strategy::ResetPasswordPhoneCode,
            FirstFactorPreparation::Passkey => Strategy::Passkey,
            FirstFactorPreparation::Web3 { strategy, .. } | FirstFactorPreparation::Redirect { strategy, .. } => {
                strategy.clone()
            }
        }
    }
}

/// `attempt_first_factor` (fapi.md §3.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum FirstFactorAttempt {
    /// `strategy=password`, `password`.
    Password(Password),
    /// `strategy=email_code`, `code`.
    EmailCode(VerificationCode),
    /// `strategy=phone_code`, `code`.
    PhoneCode(VerificationCode),
    /// `strategy=reset_password_email_code`, `code`, optionally the new `password`.
    ResetPasswordEmailCode {
        /// The code.
        code: VerificationCode,
        /// The new password, set in the same call.
        password: Option<Password>,
    },
    /// `strategy=reset_password_phone_code`, `code`, optionally the new `password`.
    ResetPasswordPhoneCode {
        /// The code.
        code: VerificationCode,
        /// The new password, set in the same call.
        password: Option<Password>,
    },
    /// `strategy=passkey`, `public_key_credential` (the JSON the app's WebAuthn call
    /// produced).
    Passkey {
        /// The assertion, as a JSON string.
        public_key_credential: Credential,
    },
    /// `strategy=web3_<provider>_signature`, `signature`.
    Web3 {
        /// The strategy.
        strategy: Strategy,
        /// The wallet's signature of `first_factor_verification.message`.
        signature: Credential,
    },
}

/// `prepare_second_factor` (fapi.md §3.3.4), in `needs_second_factor` or
/// `needs_client_trust`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum SecondFactorPreparation {
    /// Send a code by SMS (`phone_number_id`, or the default phone when `None`).
    PhoneCode {
        /// The phone, or `None` for the default one.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        phone_number_id: Option<String>,
    },
    /// Send a code by email (client trust).
    EmailCode {
        /// The address, or `None` to use the offered one.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        email_address_id: Option<String>,
    },
    /// Send a magic link (client trust); the engine then polls until it is used.
    EmailLink {
        /// The address, or `None` to use the offered one.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        email_address_id: Option<String>,
        /// The URL the link opens.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::text))]
        redirect_url: String,
    },
}

/// `attempt_second_factor` (fapi.md §3.3.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum SecondFactorAttempt {
    /// `strategy=phone_code`.
    PhoneCode(VerificationCode),
    /// `strategy=totp` (authenticator app).
    Totp(VerificationCode),
    /// `strategy=backup_code`.
    BackupCode(VerificationCode),
    /// `strategy=email_code` (client trust).
    EmailCode(VerificationCode),
}

/// Commands on the client's sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
// `Create` is the large one (a few hundred bytes): a command is built once per user action
// and moved into `submit`, so boxing it would only cost every caller a `Box::new`.
#[allow(clippy::large_enum_variant)]
pub enum SignInCommand {
    /// `POST /v1/client/sign_ins`: a new attempt, replacing any previous one.
    Create(SignInCreate),
    /// `GET /v1/client/sign_ins/{id}`, with the `rotating_token_nonce` of a native OAuth
    /// return when given.
    Reload {
        /// The nonce from the OAuth callback URL.
        rotating_token_nonce: Option<Credential>,
    },
    /// `POST …/prepare_first_factor`.
    PrepareFirstFactor(FirstFactorPreparation),
    /// `POST …/attempt_first_factor`.
    AttemptFirstFactor(FirstFactorAttempt),
    /// `POST …/prepare_second_factor`.
    PrepareSecondFactor(SecondFactorPreparation),
    /// `POST …/attempt_second_factor`.
    AttemptSecondFactor(SecondFactorAttempt),
    /// `POST …/reset_password`, in `needs_new_password`.
    ResetPassword {
        /// The new password.
        password: Password,
        /// Sign out of every other session of the user.
        sign_out_of_other_sessions: bool,
    },
}

/// The columns of the legality table.
pub const SIGN_IN_COMMAND_NAMES: [&str; 7] = [
    "create",
    "reload",
    "prepare_first_factor",
    "attempt_first_factor",
    "prepare_second_factor",
    "attempt_second_factor",
    "reset_password",
];

impl SignInCommand {
    /// A short stable name (a column of the legality table).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            SignInCommand::Create(_) => "create",
            SignInCommand::Reload { .. } => "reload",
            SignInCommand::PrepareFirstFactor(_) => "prepare_first_factor",
            SignInCommand::AttemptFirstFactor(_) => "attempt_first_factor",
            SignInCommand::PrepareSecondFactor(_) => "prepare_second_factor",
            SignInCommand::AttemptSecondFactor(_) => "attempt_second_factor",
            SignInCommand::ResetPassword { .. } => "reset_password",
        }
    }

    /// Whether the command changes the attempt on the server (all but reload).
    #[must_use]
    pub fn is_mutating(&self) -> bool {
        !matches!(self, SignInCommand::Reload { .. })
    }

    /// Whether the command is legal when the client's attempt has `status` (`None`: no
    /// attempt). This is the legality table of the module documentation.
    #[must_use]
    pub fn is_legal_in(&self, status: Option<&SignInStatus>) -> bool {
        legal(self.name(), status)
    }
}

/// The legality table by command name (see the module documentation).
#[must_use]
pub fn legal(command: &str, status: Option<&SignInStatus>) -> bool {
    use SignInStatus as S;
    match (command, status) {
        ("create", _) => true,
        ("reload", None | Some(S::Abandoned)) => false,
        ("reload", Some(_)) => true,
        ("prepare_first_factor" | "attempt_first_factor", Some(S::NeedsFirstFactor)) => true,
        // Domain discovery (fapi.md §5.1): identifying an enterprise user answers
        // `needs_identifier` with only `enterprise_sso` factors; preparing that factor is the
        // way on. A strategy the attempt does not offer is still refused (`FactorNotOffered`).
        ("prepare_first_factor", Some(S::NeedsIdentifier)) => true,
        ("prepare_second_factor" | "attempt_second_factor", Some(S::NeedsSecondFactor | S::NeedsClientTrust)) => true,
        ("reset_password", Some(S::NeedsNewPassword)) => true,
        _ => false,
    }
}

/// The status as the legality table and errors name it.
#[must_use]
pub fn status_name(status: Option<&SignInStatus>) -> String {
    status.map_or_else(|| String::from("no attempt"), |status| status.as_str().to_owned())
}

/// Refuses a strategy that is not `web3_<provider>_signature` (sign-in and sign-up).
pub(crate) fn require_web3(strategy: &Strategy) -> Result<(), CommandError> {
    if strategy.is_web3() {
        Ok(())
    } else {
        Err(CommandError::InvalidArgument { name: "strategy", reason: "not a web3 strategy".into() })
    }
}

/// Refuses a strategy that does not go through a provider in a browser (sign-in and
/// sign-up redirects).
pub(crate) fn require_provider_redirect(strategy: &Strategy) -> Result<(), CommandError> {
    if strategy.is_provider_redirect() {
        Ok(())
    } else {
        Err(CommandError::InvalidArgument {
            name: "strategy",
            reason: "not an OAuth, enterprise SSO or SAML strategy".into(),
        })
    }
}

fn push(form: &mut Vec<Field>, name: &'static str, value: Option<&str>) {
    if let Some(value) = value {
        form.push(Field::plain(name, value.to_owned()));
    }
}

fn push_secret(form: &mut Vec<Field>, name: &'static str, value: Option<&str>) {
    if let Some(value) = value {
        form.push(Field::secret(name, value));
    }
}

fn action_path(id: &ResourceId, action: &str) -> String {
    format!("/v1/client/sign_ins/{}/{action}", id.to_path_segment())
}

/// Picks the factor id for `strategy` from `factors` (fapi.md §3.3.2): the given id must
/// be offered; without one, for a second factor the offer marked `default`, then the factor
/// whose `safe_identifier` is the sign-in's identifier, else the first of that strategy.
fn pick_factor_id(
    sign_in: &SignInResource,
    second: bool,
    strategy: &Strategy,
    requested: Option<&str>,
    id_of: fn(&crate::wire::Factor) -> Option<&Text>,
) -> Result<Option<String>, CommandError> {
    let factors = if second { &sign_in.supported_second_factors } else { &sign_in.supported_first_factors };
    let offered: Vec<&crate::wire::Factor> =
        factors.iter().filter(|factor| factor.strategy == strategy.as_str()).collect();
    let not_offered = || CommandError::FactorNotOffered { strategy: strategy.as_str().to_owned() };
    if offered.is_empty() {
        // A second factor by phone may go to the default phone without an offer list.
        return if second && requested.is_none() && factors.is_empty() { Ok(None) } else { Err(not_offered()) };
    }
    if let Some(requested) = requested {
        return if offered.iter().any(|factor| id_of(factor).is_some_and(|id| id == requested)) {
            Ok(Some(requested.to_owned()))
        } else {
            Err(not_offered())
        };
    }
    // A second factor goes to the user's default MFA phone (`default: true`, fapi.md §3.3.4,
    // §4.4) when the offer marks one; otherwise (and for first factors, §3.3.2) to the factor
    // for the identifier the sign-in was made with, else the first offered.
    let by_default = if second { offered.iter().find(|factor| factor.default == Some(true)) } else { None };
    let by_identifier = || {
        offered.iter().find(|factor| factor.safe_identifier.is_some() && factor.safe_identifier == sign_in.identifier)
    };
    Ok(by_default.or_else(by_identifier).or(offered.first()).and_then(|factor| id_of(factor)).map(String::from))
}

fn email_id(factor: &crate::wire::Factor) -> Option<&Text> {
    factor.email_address_id.as_ref()
}

fn phone_id(factor: &crate::wire::Factor) -> Option<&Text> {
    factor.phone_number_id.as_ref()
}

fn wallet_id(factor: &crate::wire::Factor) -> Option<&Text> {
    factor.web3_wallet_id.as_ref()
}

/// The request a legal command means, given the current attempt.
pub(crate) fn request_for(
    command: &SignInCommand,
    current: Option<&SignInResource>,
) -> Result<RequestSpec, CommandError> {
    let attempt_id = || -> Result<ResourceId, CommandError> {
        let sign_in = current.ok_or(CommandError::InvalidArgument { name: "sign_in", reason: "no attempt".into() })?;
        Ok(ResourceId::new(&sign_in.id)?)
    };
    let mut spec = match command {
        SignInCommand::Create(params) => {
            // The server takes an empty identifier as none given: the attempt comes back
            // `needs_identifier` and a password sent beside it is silently unused.
            if params.identifier.as_deref().is_some_and(|identifier| identifier.trim().is_empty()) {
                return Err(CommandError::InvalidArgument {
                    name: "identifier",
                    reason: String::from(
                        "it is empty: give the email address, phone number or username to sign in with, or none",
                    ),
                });
            }
            let mut spec = RequestSpec::new(RequestKind::SignInCreate, "/v1/client/sign_ins");
            spec.form = params.form();
            return Ok(spec);
        }
        SignInCommand::Reload { rotating_token_nonce } => {
            let id = attempt_id()?;
            let mut spec =
                RequestSpec::new(RequestKind::SignInGet, format!("/v1/client/sign_ins/{}", id.to_path_segment()));
            if let Some(nonce) = rotating_token_nonce {
                spec.query.push(Field::secret("rotating_token_nonce", nonce.expose()));
            }
            return Ok(spec);
        }
        SignInCommand::PrepareFirstFactor(_) => {
            RequestSpec::new(RequestKind::SignInPrepareFirstFactor, action_path(&attempt_id()?, "prepare_first_factor"))
        }
        SignInCommand::AttemptFirstFactor(_) => {
            RequestSpec::new(RequestKind::SignInAttemptFirstFactor, action_path(&attempt_id()?, "attempt_first_factor"))
        }
        SignInCommand::PrepareSecondFactor(_) => RequestSpec::new(
            RequestKind::SignInPrepareSecondFactor,
            action_path(&attempt_id()?, "prepare_second_factor"),
        ),
        SignInCommand::AttemptSecondFactor(_) => RequestSpec::new(
            RequestKind::SignInAttemptSecondFactor,
            action_path(&attempt_id()?, "attempt_second_factor"),
        ),
        SignInCommand::ResetPassword { .. } => {
            RequestSpec::new(RequestKind::SignInResetPassword, action_path(&attempt_id()?, "reset_password"))
        }
    };
    let sign_in = current.ok_or(CommandError::InvalidArgument { name: "sign_in", reason: "no attempt".into() })?;
    let form = &mut spec.form;
    match command {
        SignInCommand::PrepareFirstFactor(preparation) => {
            let strategy = preparation.strategy();
            form.push(Field::plain("strategy", strategy.to_wire()));
            match preparation {
                FirstFactorPreparation::EmailCode { email_address_id }
                | FirstFactorPreparation::ResetPasswordEmailCode { email_address_id } => {
                    let id = pick_factor_id(sign_in, false, &strategy, email_address_id.as_deref(), email_id)?;
                    push(form, "email_address_id", id.as_deref());
                }
                FirstFactorPreparation::EmailLink { email_address_id, redirect_url } => {
                    let id = pick_factor_id(sign_in, false, &strategy, email_address_id.as_deref(), email_id)?;
                    push(form, "email_address_id", id.as_deref());
                    form.push(Field::plain("redirect_url", redirect_url.clone()));
                }
                FirstFactorPreparation::PhoneCode { phone_number_id }
                | FirstFactorPreparation::ResetPasswordPhoneCode { phone_number_id } => {
                    let id = pick_factor_id(sign_in, false, &strategy, phone_number_id.as_deref(), phone_id)?;
                    push(form, "phone_number_id", id.as_deref());
                }
                FirstFactorPreparation::Passkey => {
                    pick_factor_id(sign_in, false, &strategy, None, |factor| factor.passkey_id.as_ref())?;
                }
                FirstFactorPreparation::Web3 { web3_wallet_id, .. } => {
                    require_web3(&strategy)?;
                    let id = pick_factor_id(sign_in, false, &strategy, web3_wallet_id.as_deref(), wallet_id)?;
                    push(form, "web3_wallet_id", id.as_deref());
                }
                FirstFactorPreparation::Redirect {
                    redirect_url,
                    action_complete_redirect_url,
                    oidc_prompt,
                    oidc_login_hint,
                    ..
                } => {
                    require_provider_redirect(&strategy)?;
                    pick_factor_id(sign_in, false, &strategy, None, |_| None)?;
                    form.push(Field::plain("redirect_url", redirect_url.clone()));
                    form.push(Field::plain(
                        "action_complete_redirect_url",
                        action_complete_redirect_url.as_deref().unwrap_or(redirect_url).to_owned(),
                    ));
                    push(form, "oidc_prompt", oidc_prompt.as_deref());
                    push(form, "oidc_login_hint", oidc_login_hint.as_deref());
                }
            }
        }
        SignInCommand::AttemptFirstFactor(attempt) => match attempt {
            FirstFactorAttempt::Password(password) => {
                form.push(Field::plain("strategy", "password"));
                form.push(Field::secret("password", password.expose()));
            }
            FirstFactorAttempt::EmailCode(code) => {
                form.push(Field::plain("strategy", "email_code"));
                form.push(Field::secret("code", code.expose()));
            }
            FirstFactorAttempt::PhoneCode(code) => {
                form.push(Field::plain("strategy", "phone_code"));
                form.push(Field::secret("code", code.expose()));
            }
            FirstFactorAttempt::ResetPasswordEmailCode { code, password }
            | FirstFactorAttempt::ResetPasswordPhoneCode { code, password } => {
                let strategy = if matches!(attempt, FirstFactorAttempt::ResetPasswordEmailCode { .. }) {
                    "reset_password_email_code"
                } else {
                    "reset_password_phone_code"
                };
                form.push(Field::plain("strategy", strategy));
                form.push(Field::secret("code", code.expose()));
                push_secret(form, "password", password.as_ref().map(Password::expose));
            }
            FirstFactorAttempt::Passkey { public_key_credential } => {
                form.push(Field::plain("strategy", "passkey"));
                form.push(Field::secret("public_key_credential", public_key_credential.expose()));
            }
            FirstFactorAttempt::Web3 { strategy, signature } => {
                require_web3(strategy)?;
                form.push(Field::plain("strategy", strategy.to_wire()));
                form.push(Field::secret("signature", signature.expose()));
            }
        },
        SignInCommand::PrepareSecondFactor(preparation) => match preparation {
            SecondFactorPreparation::PhoneCode { phone_number_id } => {
                let id = pick_factor_id(sign_in, true, &Strategy::PhoneCode, phone_number_id.as_deref(), phone_id)?;
                form.push(Field::plain("strategy", "phone_code"));
                push(form, "phone_number_id", id.as_deref());
            }
            SecondFactorPreparation::EmailCode { email_address_id } => {
                let id = pick_factor_id(sign_in, true, &Strategy::EmailCode, email_address_id.as_deref(), email_id)?;
                form.push(Field::plain("strategy", "email_code"));
                push(form, "email_address_id", id.as_deref());
            }
            SecondFactorPreparation::EmailLink { email_address_id, redirect_url } => {
                let id = pick_factor_id(sign_in, true, &Strategy::EmailLink, email_address_id.as_deref(), email_id)?;
                form.push(Field::plain("strategy", "email_link"));
                push(form, "email_address_id", id.as_deref());
                form.push(Field::plain("redirect_url", redirect_url.clone()));
            }
        },
        SignInCommand::AttemptSecondFactor(attempt) => {
            let (strategy, code) = match attempt {
                SecondFactorAttempt::PhoneCode(code) => ("phone_code", code),
                SecondFactorAttempt::Totp(code) => ("totp", code),
                SecondFactorAttempt::BackupCode(code) => ("backup_code", code),
                SecondFactorAttempt::EmailCode(code) => ("email_code", code),
            };
            form.push(Field::plain("strategy", strategy));
            form.push(Field::secret("code", code.expose()));
        }
        SignInCommand::ResetPassword { password, sign_out_of_other_sessions } => {
            form.push(Field::secret("password", password.expose()));
            form.push(Field::plain(
                "sign_out_of_other_sessions",
                if *sign_out_of_other_sessions { "true" } else { "false" },
            ));
        }
        SignInCommand::Create(_) | SignInCommand::Reload { .. } => {}
    }
    Ok(spec)
}
