//! Why a command failed: in words for a person, and with `--json` as one JSON object a
//! script can read.
//!
//! Every failure of the program is a [`Failure`]: its [`Kind`], the message, and, when the
//! Frontend API refused a request, Clerk's error `code`, the form field at fault (`param`,
//! Clerk's `meta.param_name`) and, for `identifier_already_signed_in`, the session that is
//! already signed in (`session_id`). [`report`] writes it on standard error:
//!
//! - as text, `clerk: MESSAGE` (an API error's code after its message), control characters
//!   escaped as [`printable`] escapes them;
//! - with `--json`, as one line holding one JSON object, the last thing the program writes
//!   on standard error (questions, instructions and warnings for a person may come before
//!   it):
//!
//!   ```text
//!   {"error":{"kind":"api","message":"Password is incorrect. Try again, or use another method.","code":"form_password_incorrect","param":"password"}}
//!   ```
//!
//!   `kind` is one of the names [`Kind::as_str`] lists; `message` is what a person would
//!   read; `code`, `param` and `session_id` appear only when known.
//!
//! The exit status is the same either way (1; 2 for a usage error). An interrupt (Ctrl-C at a
//! prompt or during the email-link wait) is not a failure reported here: the program
//! restores the terminal and exits with 130, writing nothing more, in either mode.
//! Messages never carry a
//! secret: they are built from the server's error text, ids and what the program itself
//! says, never from a password, code or token.

use std::fmt;
use std::sync::OnceLock;

use clerk_core::{ApiError, CommandError, OperationError};
use clerk_ureq::DriverError;
use serde_json::{Map, Value, json};

use crate::stdout::{json_text, printable};

/// What kind of failure it was: the `kind` field of the JSON object, a closed set a script
/// can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The Frontend API refused the request; `code` says why.
    Api,
    /// The Frontend API could not be reached: the network failed on every attempt.
    Transport,
    /// The operation did not complete in time (the driver's limit, or an email link's wait).
    Timeout,
    /// The Frontend API's answer could not be used (not Clerk's JSON, too large, …).
    Response,
    /// The token store cannot be used (a file that is corrupt, for another host, not private,
    /// changed by another process, …); the message names the file and the way out.
    Store,
    /// No usable publishable key or driver configuration.
    Config,
    /// The command needs a signed-in, active session and there is none.
    NotSignedIn,
    /// Something the command was given or asked for is missing or not acceptable: a flag's
    /// value, a line of standard input, an answer at the terminal, a session id.
    Input,
    /// A sign-in or sign-up stopped without a new session: an email link that expired or was
    /// opened elsewhere, a status or requirement this program cannot answer.
    Incomplete,
    /// A transcript file (`--transcript`, or `replay`'s FILE) cannot be opened, written or
    /// read.
    Transcript,
    /// `clerk replay`: the engine's request differs from the transcript's.
    Mismatch,
    /// The command line cannot be used (exit status 2): an unknown option, a missing
    /// argument, an option that does not apply to the command.
    Usage,
    /// Standard output cannot be written (other than a reader that went away, which ends
    /// the program quietly).
    Output,
    /// Anything else.
    Other,
}

impl Kind {
    /// The name in the JSON object.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Api => "api",
            Kind::Transport => "transport",
            Kind::Timeout => "timeout",
            Kind::Response => "response",
            Kind::Store => "store",
            Kind::Config => "config",
            Kind::NotSignedIn => "not_signed_in",
            Kind::Input => "input",
            Kind::Incomplete => "incomplete",
            Kind::Transcript => "transcript",
            Kind::Mismatch => "mismatch",
            Kind::Usage => "usage",
            Kind::Output => "output",
            Kind::Other => "other",
        }
    }

    /// The kind of a driver's error.
    pub(crate) fn of(error: &DriverError) -> Kind {
        match error {
            DriverError::Operation(OperationError::Api(_)) => Kind::Api,
            DriverError::Operation(OperationError::Transport(_)) => Kind::Transport,
            DriverError::Operation(OperationError::Response(_)) => Kind::Response,
            DriverError::Timeout { .. } => Kind::Timeout,
            DriverError::Store(_)
            | DriverError::Restore(_)
            | DriverError::StorePanicked
            | DriverError::StateReplaced => Kind::Store,
            DriverError::Config(_) => Kind::Config,
            DriverError::Command(CommandError::NoActiveSession { .. }) => Kind::NotSignedIn,
            DriverError::Command(
                CommandError::InvalidId(_)
                | CommandError::InvalidTemplate(_)
                | CommandError::InvalidArgument { .. }
                | CommandError::FactorNotOffered { .. },
            ) => Kind::Input,
            _ => Kind::Other,
        }
    }
}

/// A failure of the program, as [`report`] shows it (see the [module](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// What kind of failure it was.
    pub(crate) kind: Kind,
    /// What went wrong, and where the program can tell, what to do about it.
    pub(crate) message: String,
    /// Clerk's error code, when the Frontend API refused a request.
    pub(crate) code: Option<String>,
    /// The form field at fault (Clerk's `meta.param_name`), when the server named one.
    pub(crate) param: Option<String>,
    /// The session an `identifier_already_signed_in` refusal names.
    pub(crate) session_id: Option<String>,
    /// The message is the server's own text: a person reads it with the code after it.
    code_after_message: bool,
}

impl Failure {
    /// A failure of `kind`, said in `message`.
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure { kind, message: message.into(), code: None, param: None, session_id: None, code_after_message: false }
    }

    /// The Frontend API's refusal: its text (the long message when there is one), its code,
    /// the field at fault and the session it names.
    pub(crate) fn api(error: &ApiError) -> Self {
        let message = error.long_message.as_deref().or(error.message.as_deref()).unwrap_or("request refused");
        Failure {
            kind: Kind::Api,
            message: message.to_owned(),
            code: Some(error.code.as_str().to_owned()),
            param: error.meta.param_name.clone(),
            session_id: error.meta.session_id.clone(),
            code_after_message: true,
        }
    }

    /// The same failure said in this program's words (advice on what to do), which a person
    /// reads without the code after them; the code and the rest stay for `--json`.
    pub(crate) fn with_advice(self, advice: impl Into<String>) -> Self {
        Failure { message: advice.into(), code_after_message: false, ..self }
    }

    /// The failure as a person reads it (without the `clerk: ` prefix).
    pub(crate) fn text(&self) -> String {
        match (&self.code, self.code_after_message) {
            (Some(code), true) => format!("{} ({code})", self.message),
            _ => self.message.clone(),
        }
    }

    /// The failure as `--json` shows it: `{"error":{"kind":…,"message":…}}`, with `code`,
    /// `param` and `session_id` when known.
    pub(crate) fn to_json(&self) -> Value {
        let mut error = Map::new();
        error.insert(String::from("kind"), json!(self.kind.as_str()));
        error.insert(String::from("message"), json!(self.message));
        for (name, value) in [("code", &self.code), ("param", &self.param), ("session_id", &self.session_id)] {
            if let Some(value) = value {
                error.insert(name.to_owned(), json!(value));
            }
        }
        json!({ "error": error })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// A refusal the program says in its own words, of no more precise kind.
impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::new(Kind::Other, message)
    }
}

/// A refusal the program says in its own words, of no more precise kind.
impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::new(Kind::Other, message)
    }
}

/// Whether failures are reported as JSON (`--json`); set once the command line is parsed.
static AS_JSON: OnceLock<bool> = OnceLock::new();

/// Reports failures as JSON from now on when `json` (the command line's `--json`).
pub(crate) fn report_as_json(json: bool) {
    let _ = AS_JSON.set(json);
}

/// Writes `failure` on standard error, as text or (with `--json`) as one JSON object.
pub(crate) fn report(failure: &Failure) {
    eprintln!("{}", shown(failure, AS_JSON.get().copied().unwrap_or(false)));
}

/// The line [`report`] writes for `failure`.
fn shown(failure: &Failure, json: bool) -> String {
    if json { json_text(&failure.to_json()) } else { format!("clerk: {}", printable(&failure.text())) }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clerk_core::wire::{ErrorCode, ErrorItemMeta};
    use clerk_core::{ApiError, OperationError, TransportError};
    use clerk_ureq::DriverError;
    use serde_json::{Value, json};

    use super::{Failure, Kind, shown};

    fn password_incorrect() -> ApiError {
        ApiError {
            status: 422,
            code: ErrorCode::from("form_password_incorrect"),
            message: Some(String::from("Password is incorrect.")),
            long_message: Some(String::from("Password is incorrect. Try again, or use another method.")),
            meta: ErrorItemMeta { param_name: Some(String::from("password")), ..ErrorItemMeta::default() },
            others: Vec::new(),
            trace_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn an_api_refusal_reads_as_before_and_carries_its_code_and_field_in_json() {
        let failure = Failure::api(&password_incorrect());
        assert_eq!(
            shown(&failure, false),
            "clerk: Password is incorrect. Try again, or use another method. (form_password_incorrect)"
        );
        let line = shown(&failure, true);
        assert_eq!(
            serde_json::from_str::<Value>(&line).ok(),
            Some(json!({ "error": {
                "kind": "api",
                "message": "Password is incorrect. Try again, or use another method.",
                "code": "form_password_incorrect",
                "param": "password",
            }}))
        );
        assert!(!line.contains('\n'), "{line}");
    }

    #[test]
    fn advice_replaces_the_server_text_for_people_and_keeps_the_code_for_scripts() {
        let mut refusal = password_incorrect();
        refusal.code = ErrorCode::from("identifier_already_signed_in");
        refusal.meta = ErrorItemMeta { session_id: Some(String::from("sess_1")), ..ErrorItemMeta::default() };
        let failure = Failure::api(&refusal).with_advice("already signed in as session sess_1");
        assert_eq!(shown(&failure, false), "clerk: already signed in as session sess_1");
        let json = failure.to_json();
        assert_eq!(json["error"]["code"], "identifier_already_signed_in");
        assert_eq!(json["error"]["session_id"], "sess_1");
        assert_eq!(json["error"]["message"], "already signed in as session sess_1");
        assert!(json["error"].get("param").is_none(), "{json}");
    }

    #[test]
    fn a_refusal_in_the_programs_words_has_only_a_kind_and_a_message() {
        let failure = Failure::from(String::from("something odd"));
        assert_eq!(failure.to_json(), json!({ "error": { "kind": "other", "message": "something odd" } }));
        let failure = Failure::new(Kind::NotSignedIn, "not signed in: run `clerk sign-in` first");
        assert_eq!(shown(&failure, false), "clerk: not signed in: run `clerk sign-in` first");
    }

    #[test]
    fn control_characters_are_escaped_in_either_form() {
        let failure = Failure::new(Kind::Api, "bad\u{1b}[2J name\u{9b}\u{7f}\nsecond line");
        assert_eq!(shown(&failure, false), "clerk: bad\\u{1b}[2J name\\u{9b}\\u{7f}\nsecond line");
        let line = shown(&failure, true);
        assert!(line.chars().all(|c| !c.is_control()), "{line:?}");
        let parsed: Value = serde_json::from_str(&line).unwrap_or_default();
        assert_eq!(parsed["error"]["message"], "bad\u{1b}[2J name\u{9b}\u{7f}\nsecond line");
    }

    #[test]
    fn each_driver_error_has_the_kind_a_script_can_act_on() {
        let transport = DriverError::Operation(OperationError::Transport(TransportError::Connect(String::from("x"))));
        assert_eq!(Kind::of(&transport), Kind::Transport);
        assert_eq!(
            Kind::of(&DriverError::Timeout { limit: Duration::from_secs(60), retrying_after: None }),
            Kind::Timeout
        );
        assert_eq!(Kind::of(&DriverError::StateReplaced), Kind::Store);
        assert_eq!(Kind::of(&DriverError::Config(String::from("bad"))), Kind::Config);
        let api = DriverError::Operation(OperationError::Api(Box::new(password_incorrect())));
        assert_eq!(Kind::of(&api), Kind::Api);
        let hostile = clerk_core::encoding::ResourceId::new("../client").err().map(clerk_core::CommandError::InvalidId);
        assert_eq!(hostile.map(|error| Kind::of(&DriverError::Command(error))), Some(Kind::Input));
    }
}
