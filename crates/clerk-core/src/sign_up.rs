//! The sign-up flow: commands, their legality per status, and the requests they mean
//! (fapi.md §3.4, §3.7.3, §5.2).
//!
//! | status | create | update | reload | prepare verification | attempt verification |
//! | --- | --- | --- | --- | --- | --- |
//! | no attempt | ✓ | | | | |
//! | `missing_requirements` | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | `complete` | ✓ | | ✓ | | |
//! | `abandoned` | ✓ | | | | |
//! | unknown | ✓ | | ✓ | | |
//!
//! An attempt without a prepare in the same run is legal: the server may have sent the
//! code already (the recordings do this).

use serde::Serialize;

use crate::builder::RequestSpec;
use crate::captcha::Captcha;
use crate::encoding::ResourceId;
use crate::error::CommandError;
use crate::kind::RequestKind;
use crate::request::Field;
use crate::secret::{Credential, Password, Ticket, VerificationCode};
use crate::sign_in::{require_provider_redirect, require_web3};
use crate::wire::{SignUpResource, SignUpStatus, Strategy, Text};

/// The fields of `POST /v1/client/sign_ups` and `PATCH /v1/client/sign_ups/{id}`
/// (fapi.md §3.4.1–3.4.2). Every field left `None` is omitted.
///
/// Not `#[non_exhaustive]`, so it can be built with a struct literal; always end one
/// with `..Default::default()` so new fields do not break it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SignUpFields {
    /// `email_address`.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub email_address: Option<String>,
    /// `phone_number` (E.164).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub phone_number: Option<String>,
    /// `username`.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub username: Option<String>,
    /// `password`.
    pub password: Option<Password>,
    /// `first_name`.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub first_name: Option<String>,
    /// `last_name`.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub last_name: Option<String>,
    /// `unsafe_metadata`: a JSON object, sent as a JSON string (fapi.md §1.7).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_metadata))]
    pub unsafe_metadata: Option<serde_json::Value>,
    /// `legal_accepted`.
    pub legal_accepted: Option<bool>,
    /// `strategy` (`email_code`, `phone_code`, `oauth_<provider>`, `ticket`, …).
    pub strategy: Option<Strategy>,
    /// `ticket` (invitations).
    pub ticket: Option<Ticket>,
    /// `token`: an ID token (`google_one_tap`, `oauth_token_<provider>`).
    pub token: Option<Credential>,
    /// `code`: an authorization code (`oauth_token_<provider>`).
    pub code: Option<Credential>,
    /// `redirect_url` (OAuth, SSO).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub redirect_url: Option<String>,
    /// `action_complete_redirect_url` (OAuth, SSO).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub action_complete_redirect_url: Option<String>,
    /// `oidc_prompt` (OAuth through a browser): the OpenID Connect `prompt` the provider
    /// gets, e.g. `select_account` to let the person pick another account, or `login`.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub oidc_prompt: Option<String>,
    /// `oidc_login_hint` (OAuth through a browser): the account the provider suggests.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub oidc_login_hint: Option<String>,
    /// `web3_wallet`: the address of a Web3 wallet to sign up with; then prepare and
    /// attempt its verification with a `web3_<provider>_signature` strategy (fapi.md
    /// §3.7.7: clerk-js signs up a wallet the sign-in does not know this way).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub web3_wallet: Option<String>,
    /// `transfer=true` (create only): build the sign-up from the transferable sign-in.
    pub transfer: bool,
    /// `locale` (create only): the person's language (BCP 47, e.g. `fr-FR`), for the emails
    /// and texts the server sends (clerk-js sends the browser's).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub locale: Option<String>,
    /// The outcome of a bot-protection challenge (create only; browser front ends, see
    /// [`crate::captcha`]).
    pub captcha: Option<Captcha>,
}

impl SignUpFields {
    /// A sign-up with an email address and a password, the most common form; add what the
    /// instance also requires with struct update syntax:
    /// `SignUpFields { legal_accepted: Some(true), ..SignUpFields::email_password(email, password) }`.
    pub fn email_password(email_address: impl Into<String>, password: Password) -> Self {
        SignUpFields { email_address: Some(email_address.into()), password: Some(password), ..Self::default() }
    }

    /// A sign-up from the client's transferable sign-in (`transfer=true`).
    pub fn transfer() -> Self {
        SignUpFields { transfer: true, ..Self::default() }
    }

    /// OAuth or SSO through a browser: `strategy`, `redirect_url` and
    /// `action_complete_redirect_url` (the same URL).
    pub fn redirect(strategy: Strategy, redirect_url: impl Into<String>) -> Self {
        let redirect_url = redirect_url.into();
        SignUpFields {
            strategy: Some(strategy),
            action_complete_redirect_url: Some(redirect_url.clone()),
            redirect_url: Some(redirect_url),
            ..Self::default()
        }
    }

    fn validate(&self) -> Result<(), CommandError> {
        if self.unsafe_metadata.as_ref().is_some_and(|value| !value.is_object()) {
            return Err(CommandError::InvalidArgument {
                name: "unsafe_metadata",
                reason: "must be a JSON object".into(),
            });
        }
        Ok(())
    }

    /// The form of a create: every given field.
    fn create_form(&self) -> Vec<Field> {
        let mut form = Vec::new();
        let text = |name: &'static str, value: &Option<String>, form: &mut Vec<Field>| {
            if let Some(value) = value {
                form.push(Field::plain(name, value.clone()));
            }
        };
        text("email_address", &self.email_address, &mut form);
        text("phone_number", &self.phone_number, &mut form);
        text("username", &self.username, &mut form);
        if let Some(password) = &self.password {
            form.push(Field::secret("password", password.expose()));
        }
        text("first_name", &self.first_name, &mut form);
        text("last_name", &self.last_name, &mut form);
        if let Some(metadata) = &self.unsafe_metadata {
            form.push(Field::plain("unsafe_metadata", metadata.to_string()));
        }
        if let Some(accepted) = self.legal_accepted {
            form.push(Field::plain("legal_accepted", if accepted { "true" } else { "false" }));
        }
        if let Some(strategy) = &self.strategy {
            form.push(Field::plain("strategy", strategy.to_wire()));
        }
        if let Some(ticket) = &self.ticket {
            form.push(Field::secret("ticket", ticket.expose()));
        }
        if let Some(token) = &self.token {
            form.push(Field::secret("token", token.expose()));
        }
        if let Some(code) = &self.code {
            form.push(Field::secret("code", code.expose()));
        }
        text("web3_wallet", &self.web3_wallet, &mut form);
        text("redirect_url", &self.redirect_url, &mut form);
        text("action_complete_redirect_url", &self.action_complete_redirect_url, &mut form);
        text("oidc_prompt", &self.oidc_prompt, &mut form);
        text("oidc_login_hint", &self.oidc_login_hint, &mut form);
        if self.transfer {
            form.push(Field::plain("transfer", "true"));
        }
        text("locale", &self.locale, &mut form);
        if let Some(captcha) = &self.captcha {
            captcha.push_fields(&mut form);
        }
        form
    }

    /// The form of an update: only what differs from `current`, plus `strategy` when
    /// anything is sent; redirect URLs always count as a change; empty when nothing
    /// differs.
    fn update_form(&self, current: &SignUpResource) -> Vec<Field> {
        let differs =
            |given: &Option<String>, held: &Option<Text>| given.is_some() && given.as_deref() != held.as_deref();
        let mut changed = SignUpFields {
            email_address: self.email_address.clone().filter(|_| differs(&self.email_address, &current.email_address)),
            phone_number: self.phone_number.clone().filter(|_| differs(&self.phone_number, &current.phone_number)),
            username: self.username.clone().filter(|_| differs(&self.username, &current.username)),
            first_name: self.first_name.clone().filter(|_| differs(&self.first_name, &current.first_name)),
            last_name: self.last_name.clone().filter(|_| differs(&self.last_name, &current.last_name)),
            web3_wallet: self.web3_wallet.clone().filter(|_| differs(&self.web3_wallet, &current.web3_wallet)),
            // The server never echoes a password: a given one is always sent.
            password: self.password.clone(),
            unsafe_metadata: self.unsafe_metadata.clone().filter(|given| {
                let held = current
                    .unsafe_metadata
                    .as_ref()
                    .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw.get()).ok());
                held.as_ref() != Some(given)
            }),
            legal_accepted: self.legal_accepted.filter(|accepted| !(*accepted && current.legal_accepted_at.is_some())),
            ticket: self.ticket.clone(),
            token: self.token.clone(),
            code: self.code.clone(),
            ..SignUpFields::default()
        };
        // Redirect URLs start something new (continuing the sign-up through OAuth or SSO,
        // fapi.md §3.4.5): they always count as a change. A strategy alone does not (the
        // `does_not_update_unchanged_values` recording).
        let redirect = self.redirect_url.is_some() || self.action_complete_redirect_url.is_some();
        if changed == SignUpFields::default() && !redirect {
            return Vec::new();
        }
        changed.strategy = self.strategy.clone();
        changed.redirect_url = self.redirect_url.clone();
        changed.action_complete_redirect_url = self.action_complete_redirect_url.clone();
        // How the provider is to ask, for the redirect this update starts (fapi.md §3.4.5).
        if redirect {
            changed.oidc_prompt = self.oidc_prompt.clone();
            changed.oidc_login_hint = self.oidc_login_hint.clone();
        }
        changed.create_form()
    }
}

/// `prepare_verification` (fapi.md §3.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum SignUpPreparation {
    /// Send a code to the sign-up's email address.
    EmailCode,
    /// Send a magic link; the engine then polls until it is used (design §7.8).
    EmailLink {
        /// The URL the link opens.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::text))]
        redirect_url: String,
    },
    /// Send a code to the sign-up's phone number.
    PhoneCode,
    /// Get the message the sign-up's Web3 wallet must sign
    /// (`verifications.web3_wallet.message`; fapi.md §3.4.3).
    Web3 {
        /// `web3_<provider>_signature`.
        strategy: Strategy,
    },
    /// Verify through OAuth or enterprise SSO in a browser; the provider URL is reported
    /// as [`Event::ExternalVerificationRequired`](crate::Event::ExternalVerificationRequired).
    Redirect(SignUpRedirect),
}

/// A `prepare_verification` through a browser (OAuth, enterprise SSO; fapi.md §3.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct SignUpRedirect {
    /// `oauth_<provider>`, `enterprise_sso` or `saml`.
    pub strategy: Strategy,
    /// Where the provider returns (the app's callback).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::text))]
    pub redirect_url: String,
    /// Where to land when the flow completes (`None`: `redirect_url`).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub action_complete_redirect_url: Option<String>,
    /// `oidc_prompt` (OAuth only): the OpenID Connect `prompt`, e.g. `select_account`.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub oidc_prompt: Option<String>,
    /// `oidc_login_hint` (OAuth only): the account the provider suggests.
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub oidc_login_hint: Option<String>,
}

impl SignUpRedirect {
    /// A redirect for `strategy` returning to `redirect_url`, which is also where the
    /// flow lands when it completes; no OpenID Connect hints.
    pub fn new(strategy: Strategy, redirect_url: impl Into<String>) -> Self {
        SignUpRedirect {
            strategy,
            redirect_url: redirect_url.into(),
            action_complete_redirect_url: None,
            oidc_prompt: None,
            oidc_login_hint: None,
        }
    }

    /// The same, with `oidc_prompt` (e.g. `select_account`, `login`).
    #[must_use]
    pub fn with_oidc_prompt(mut self, prompt: impl Into<String>) -> Self {
        self.oidc_prompt = Some(prompt.into());
        self
    }

    /// The same, with `oidc_login_hint`.
    #[must_use]
    pub fn with_oidc_login_hint(mut self, hint: impl Into<String>) -> Self {
        self.oidc_login_hint = Some(hint.into());
        self
    }

    /// The same, landing on `url` when the flow completes.
    #[must_use]
    pub fn with_action_complete_redirect_url(mut self, url: impl Into<String>) -> Self {
        self.action_complete_redirect_url = Some(url.into());
        self
    }
}

/// `attempt_verification` (fapi.md §3.4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum SignUpAttempt {
    /// `strategy=email_code`, `code`.
    EmailCode(VerificationCode),
    /// `strategy=phone_code`, `code`.
    PhoneCode(VerificationCode),
    /// `strategy=web3_<provider>_signature`, `signature`.
    Web3 {
        /// The strategy.
        strategy: Strategy,
        /// The wallet's signature of `verifications.web3_wallet.message`.
        signature: Credential,
    },
}

/// Commands on the client's sign-up attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum SignUpCommand {
    /// `POST /v1/client/sign_ups`: a new attempt, replacing any previous one.
    Create(SignUpFields),
    /// `PATCH /v1/client/sign_ups/{id}` with only the fields that differ from the
    /// current attempt; completes at once, without a request, when none do.
    Update(SignUpFields),
    /// `GET /v1/client/sign_ups/{id}` (with the `rotating_token_nonce` of an OAuth
    /// return when given).
    Reload {
        /// The nonce from the OAuth callback URL.
        rotating_token_nonce: Option<Credential>,
    },
    /// `POST …/prepare_verification`.
    PrepareVerification(SignUpPreparation),
    /// `POST …/attempt_verification`.
    AttemptVerification(SignUpAttempt),
}

/// The columns of the legality table.
pub const SIGN_UP_COMMAND_NAMES: [&str; 5] =
    ["create", "update", "reload", "prepare_verification", "attempt_verification"];

impl SignUpCommand {
    /// A short stable name (a column of the legality table).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            SignUpCommand::Create(_) => "create",
            SignUpCommand::Update(_) => "update",
            SignUpCommand::Reload { .. } => "reload",
            SignUpCommand::PrepareVerification(_) => "prepare_verification",
            SignUpCommand::AttemptVerification(_) => "attempt_verification",
        }
    }

    /// Whether the command changes the attempt on the server (all but reload).
    #[must_use]
    pub fn is_mutating(&self) -> bool {
        !matches!(self, SignUpCommand::Reload { .. })
    }

    /// Whether the command is legal when the client's attempt has `status`.
    #[must_use]
    pub fn is_legal_in(&self, status: Option<&SignUpStatus>) -> bool {
        legal(self.name(), status)
    }
}

/// The legality table by command name (see the module documentation).
#[must_use]
pub fn legal(command: &str, status: Option<&SignUpStatus>) -> bool {
    use SignUpStatus as S;
    match (command, status) {
        ("create", _) => true,
        ("reload", None | Some(S::Abandoned)) => false,
        ("reload", Some(_)) => true,
        ("update" | "prepare_verification" | "attempt_verification", Some(S::MissingRequirements)) => true,
        _ => false,
    }
}

/// The status as the legality table and errors name it.
#[must_use]
pub fn status_name(status: Option<&SignUpStatus>) -> String {
    status.map_or_else(|| String::from("no attempt"), |status| status.as_str().to_owned())
}

/// The request a legal command means, or `None` for an update with nothing to send.
pub(crate) fn request_for(
    command: &SignUpCommand,
    current: Option<&SignUpResource>,
) -> Result<Option<RequestSpec>, CommandError> {
    let attempt = || current.ok_or(CommandError::InvalidArgument { name: "sign_up", reason: "no attempt".into() });
    let path = |sign_up: &SignUpResource, action: &str| -> Result<String, CommandError> {
        let id = ResourceId::new(&sign_up.id)?;
        Ok(if action.is_empty() {
            format!("/v1/client/sign_ups/{}", id.to_path_segment())
        } else {
            format!("/v1/client/sign_ups/{}/{action}", id.to_path_segment())
        })
    };
    Ok(Some(match command {
        SignUpCommand::Create(fields) => {
            fields.validate()?;
            let mut spec = RequestSpec::new(RequestKind::SignUpCreate, "/v1/client/sign_ups");
            spec.form = fields.create_form();
            spec
        }
        SignUpCommand::Update(fields) => {
            fields.validate()?;
            // The spec's update takes none of these (fapi.md §3.4.2).
            let create_only = [
                ("transfer", fields.transfer, "only a create can transfer"),
                ("locale", fields.locale.is_some(), "only a create sends the locale"),
                ("captcha", fields.captcha.is_some(), "only a create sends a captcha"),
            ];
            if let Some((name, _, reason)) = create_only.into_iter().find(|(_, given, _)| *given) {
                return Err(CommandError::InvalidArgument { name, reason: reason.into() });
            }
            let sign_up = attempt()?;
            let form = fields.update_form(sign_up);
            if form.is_empty() {
                return Ok(None);
            }
            let mut spec = RequestSpec::new(RequestKind::SignUpUpdate, path(sign_up, "")?);
            spec.form = form;
            spec
        }
        SignUpCommand::Reload { rotating_token_nonce } => {
            let mut spec = RequestSpec::new(RequestKind::SignUpGet, path(attempt()?, "")?);
            if let Some(nonce) = rotating_token_nonce {
                spec.query.push(Field::secret("rotating_token_nonce", nonce.expose()));
            }
            spec
        }
        SignUpCommand::PrepareVerification(preparation) => {
            let mut spec =
                RequestSpec::new(RequestKind::SignUpPrepareVerification, path(attempt()?, "prepare_verification")?);
            match preparation {
                SignUpPreparation::EmailCode => spec.form.push(Field::plain("strategy", "email_code")),
                SignUpPreparation::PhoneCode => spec.form.push(Field::plain("strategy", "phone_code")),
                SignUpPreparation::EmailLink { redirect_url } => {
                    spec.form.push(Field::plain("strategy", "email_link"));
                    spec.form.push(Field::plain("redirect_url", redirect_url.clone()));
                }
                SignUpPreparation::Web3 { strategy } => {
                    require_web3(strategy)?;
                    spec.form.push(Field::plain("strategy", strategy.to_wire()));
                }
                SignUpPreparation::Redirect(redirect) => {
                    let strategy = &redirect.strategy;
                    require_provider_redirect(strategy)?;
                    let landing = redirect.action_complete_redirect_url.as_deref().unwrap_or(&redirect.redirect_url);
                    spec.form.push(Field::plain("strategy", strategy.to_wire()));
                    spec.form.push(Field::plain("redirect_url", redirect.redirect_url.clone()));
                    spec.form.push(Field::plain("action_complete_redirect_url", landing.to_owned()));
                    if let Some(prompt) = &redirect.oidc_prompt {
                        spec.form.push(Field::plain("oidc_prompt", prompt.clone()));
                    }
                    if let Some(hint) = &redirect.oidc_login_hint {
                        spec.form.push(Field::plain("oidc_login_hint", hint.clone()));
                    }
                }
            }
            spec
        }
        SignUpCommand::AttemptVerification(attempt_params) => {
            let mut spec =
                RequestSpec::new(RequestKind::SignUpAttemptVerification, path(attempt()?, "attempt_verification")?);
            match attempt_params {
                SignUpAttempt::EmailCode(code) | SignUpAttempt::PhoneCode(code) => {
                    let strategy =
                        if matches!(attempt_params, SignUpAttempt::EmailCode(_)) { "email_code" } else { "phone_code" };
                    spec.form.push(Field::plain("strategy", strategy));
                    spec.form.push(Field::secret("code", code.expose()));
                }
                SignUpAttempt::Web3 { strategy, signature } => {
                    require_web3(strategy)?;
                    spec.form.push(Field::plain("strategy", strategy.to_wire()));
                    spec.form.push(Field::secret("signature", signature.expose()));
                }
            }
            spec
        }
    }))
}
