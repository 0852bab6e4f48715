//! Bot protection on sign-in and sign-up creation (fapi.md §1.7, §3.3.1, §3.4.1).
//!
//! Where an instance has bot protection on, clerk-js runs a Cloudflare Turnstile challenge
//! before creating a sign-up (and a sign-in with `sign_up_if_missing`) and sends its outcome
//! with the create: `captcha_token`, `captcha_widget_type` and, when the challenge failed,
//! `captcha_error`. Native clients send none of these (fapi.md §1.7); a browser or webview
//! front end runs the widget itself (`display_config.captcha_public_key`,
//! `captcha_widget_type` in the environment) and hands the outcome to
//! [`SignInCreate::captcha`](crate::SignInCreate::captcha) or
//! [`SignUpFields::captcha`](crate::SignUpFields::captcha). The token is a secret: it never
//! shows in Debug, logs or transcripts.
//!
//! ```
//! use clerk_core::captcha::{Captcha, CaptchaWidgetType};
//! use clerk_core::secret::Credential;
//!
//! let solved = Captcha::solved(Credential::new("0.turnstile-token"), CaptchaWidgetType::Smart);
//! assert!(!format!("{solved:?}").contains("turnstile-token"));
//! let failed = Captcha::failed("network", CaptchaWidgetType::Invisible);
//! assert_eq!(failed.error.as_deref(), Some("network"));
//! ```

use serde::Serialize;

use crate::request::Field;
use crate::secret::Credential;

/// How the challenge was shown (`captcha_widget_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CaptchaWidgetType {
    /// A visible widget that may ask the person to interact.
    Smart,
    /// No visible widget.
    Invisible,
}

impl CaptchaWidgetType {
    /// The wire value.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CaptchaWidgetType::Smart => "smart",
            CaptchaWidgetType::Invisible => "invisible",
        }
    }
}

/// The outcome of a bot-protection challenge, sent with a create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub struct Captcha {
    /// `captcha_token`: what the widget gave when the challenge passed.
    pub token: Option<Credential>,
    /// `captcha_widget_type`.
    pub widget_type: CaptchaWidgetType,
    /// `captcha_error`: why the challenge did not pass (the widget's error code).
    #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_text))]
    pub error: Option<String>,
}

impl Captcha {
    /// A passed challenge and its token.
    #[must_use]
    pub fn solved(token: Credential, widget_type: CaptchaWidgetType) -> Self {
        Captcha { token: Some(token), widget_type, error: None }
    }

    /// A challenge that did not pass, with the widget's error; the server decides.
    #[must_use]
    pub fn failed(error: impl Into<String>, widget_type: CaptchaWidgetType) -> Self {
        Captcha { token: None, widget_type, error: Some(error.into()) }
    }

    /// Appends the create's captcha fields.
    pub(crate) fn push_fields(&self, form: &mut Vec<Field>) {
        if let Some(token) = &self.token {
            form.push(Field::secret("captcha_token", token.expose()));
        }
        form.push(Field::plain("captcha_widget_type", self.widget_type.as_str()));
        if let Some(error) = &self.error {
            form.push(Field::plain("captcha_error", error.clone()));
        }
    }
}
