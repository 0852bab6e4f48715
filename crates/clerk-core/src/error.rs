//! Errors: refused commands, failed operations, and what went wrong with an answer.
//!
//! None of these ever holds a secret unredacted: raw bodies are kept through
//! [`redact_body`](crate::redact::redact_body) and request values through
//! [`FieldValue`](crate::request::FieldValue).

use std::fmt;

use time::Duration;

use crate::command::Flow;
use crate::ids::{OpId, RequestId};
use crate::kind::RequestKind;
use crate::wire::{ErrorCode, ErrorItem, ErrorItemMeta};

/// Why [`submit`](crate::Client::submit) refused a command. Nothing was changed and
/// nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The flow already has a mutating operation pending; wait for its completion, or
    /// [`cancel`](crate::Client::cancel) it (`pending`, also named by
    /// [`Client::pending_operation`](crate::Client::pending_operation)).
    #[error("the {flow} flow is busy with {pending}")]
    Busy {
        /// The busy flow.
        flow: Flow,
        /// The operation it waits for.
        pending: OpId,
    },
    /// The command is not legal in the flow's current status.
    #[error("{command} is not allowed while the {flow} is {status}")]
    InvalidState {
        /// The flow.
        flow: Flow,
        /// Its current status, as text.
        status: String,
        /// The refused command's name.
        command: &'static str,
    },
    /// The command acts as the active session (`get_token` without a session id, starting a
    /// reverification, the user's commands on their sessions), and this client has none:
    /// nobody is signed in, or the active session was signed out while others stay signed
    /// in (then [`set_active`](crate::SessionCommand::SetActive) one of
    /// [`signed_in_sessions`](crate::Client::signed_in_sessions)).
    #[error(
        "{command} needs an active session: nobody is signed in, or no session is selected (sign in, or set one of the signed-in sessions active)"
    )]
    NoActiveSession {
        /// The refused command's name.
        command: &'static str,
    },
    /// An id is not usable in a path (empty, `.`, `..`, contains `/`, …).
    #[error("invalid id: {0}")]
    InvalidId(#[from] crate::encoding::InvalidIdError),
    /// A JWT template name is not usable in a path, where it goes as an id does (empty, `.`,
    /// `..`, contains `/` or whitespace, …).
    #[error("invalid template name: {0}")]
    InvalidTemplate(crate::encoding::InvalidIdError),
    /// An argument of the command is not acceptable.
    #[error("invalid argument {name}: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The strategy (or the factor id given for it) is not among the factors the server
    /// offered for this attempt.
    #[error("the server did not offer {strategy} for this attempt")]
    FactorNotOffered {
        /// The strategy asked for.
        strategy: String,
    },
    /// [`cancel`](crate::Client::cancel) named an operation that is not pending.
    #[error("no pending operation {0}")]
    UnknownOperation(OpId),
}

/// A failure of the network below HTTP, as the driver reports it. Drivers map their own
/// error types into this; the engine never sees a reqwest or ureq type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The request did not complete in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// No connection could be made (DNS, refused, TLS).
    #[error("could not connect: {0}")]
    Connect(String),
    /// The connection broke while sending or reading.
    #[error("i/o error: {0}")]
    Io(String),
    /// The body grew past the engine's `max_response_bytes` while the driver read it.
    #[error("response body over {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Anything else.
    #[error("transport error: {0}")]
    Other(String),
}

/// Something wrong with an answer itself, or with how it was fed back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// No request with this id is waiting for an answer (never sent, already answered, or
    /// from before a restart). Nothing was changed.
    #[error("no request {0} is waiting for an answer")]
    UnknownRequest(RequestId),
    /// The body is larger than `max_response_bytes`.
    #[error("{kind} answer of at least {size} bytes is over the {limit}-byte limit")]
    BodyTooLarge {
        /// The request kind.
        kind: RequestKind,
        /// The bytes received: the drivers stop reading one byte past the limit, so the
        /// whole body may be larger.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body could not be decoded as the answer this request expects.
    #[error("undecodable {kind} answer (HTTP {status}): {reason}; body: {body}")]
    Undecodable {
        /// The request kind.
        kind: RequestKind,
        /// The HTTP status.
        status: u16,
        /// What the decoder said.
        reason: String,
        /// The body, redacted and truncated.
        body: String,
    },
    /// The status is not one the Frontend API answers with (a redirect, 1xx, …).
    #[error("unexpected HTTP status {status} for {kind}")]
    UnexpectedStatus {
        /// The request kind.
        kind: RequestKind,
        /// The HTTP status.
        status: u16,
    },
}

/// A Frontend API error answer (fapi.md §2.3): the first of `errors[]` with the envelope's
/// details.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The machine-readable code: the only thing to branch on.
    pub code: ErrorCode,
    /// Short human text.
    pub message: Option<String>,
    /// Longer human text.
    pub long_message: Option<String>,
    /// The error's `meta` (`param_name`, `session_id`, …).
    pub meta: ErrorItemMeta,
    /// Further errors of the same answer, if the server sent more than one.
    pub others: Vec<ErrorItem>,
    /// The server's trace id (`clerk_trace_id`), for support requests.
    pub trace_id: Option<String>,
    /// How long the server asks to wait before trying again (`Retry-After`, seconds).
    pub retry_after: Option<Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}", self.status, self.code.as_str())?;
        if let Some(text) = self.long_message.as_deref().or(self.message.as_deref()) {
            write!(f, ": {text}")?;
        }
        if let Some(hint) = self.code_hint() {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl ApiError {
    /// Advice this library adds to some codes.
    #[must_use]
    pub fn code_hint(&self) -> Option<&'static str> {
        match self.code {
            ErrorCode::CaptchaInvalid
            | ErrorCode::CaptchaNotEnabled
            | ErrorCode::CaptchaMissingToken
            | ErrorCode::RequiresCaptcha => Some(
                "native clients cannot solve captchas: the instance must allow native API access \
                 (Clerk dashboard → Native applications) or turn bot protection off for this flow",
            ),
            ErrorCode::NativeApiDisabled => Some("enable the Native API in the Clerk dashboard"),
            _ => None,
        }
    }
}

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OperationError {
    /// The Frontend API answered with an error.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// The network failed (after any retries the engine allows).
    #[error(transparent)]
    Transport(TransportError),
    /// The answer could not be used.
    #[error(transparent)]
    Response(ResponseError),
    /// The application cancelled the operation.
    #[error("cancelled")]
    Cancelled,
    /// A sign-out, destroy or reset made the operation's result meaningless; or the session
    /// a `get_token` was for ended (an end or remove of it was answered, or a client arrived
    /// that no longer lists it signed in) before its token request was sent; or the session
    /// a `set_active` chose was not signed in when its touch was answered, so it did not
    /// become active.
    #[error("superseded by a sign-out, a reset or the end of its session")]
    Superseded,
}

impl OperationError {
    /// The API error, if this is one.
    #[must_use]
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            OperationError::Api(error) => Some(error),
            _ => None,
        }
    }

    /// The HTTP status of the answer that failed the operation, when it is known: an API
    /// error's, or that of an answer that could not be decoded (a proxy's HTML error page)
    /// or had a status the Frontend API never sends (a redirect). So an app can tell "the
    /// service is unavailable" (502–504) from a refusal without reading the variants.
    /// `None` for a transport error, a cancel, and an answer over the size limit.
    ///
    /// ```
    /// use clerk_core::{OperationError, RequestKind, ResponseError};
    /// let proxy_page = OperationError::Response(ResponseError::Undecodable {
    ///     kind: RequestKind::ClientGet,
    ///     status: 502,
    ///     reason: String::from("expected value at line 1 column 1"),
    ///     body: String::from("<!DOCTYPE html>…"),
    /// });
    /// assert_eq!(proxy_page.http_status(), Some(502));
    /// assert_eq!(OperationError::Cancelled.http_status(), None);
    /// ```
    #[must_use]
    pub fn http_status(&self) -> Option<u16> {
        match self {
            OperationError::Api(error) => Some(error.status),
            OperationError::Response(
                ResponseError::Undecodable { status, .. } | ResponseError::UnexpectedStatus { status, .. },
            ) => Some(*status),
            _ => None,
        }
    }
}

/// Why persisted state could not be restored. The caller's state is untouched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The bytes are not a persisted state.
    #[error("not a persisted client state: {0}")]
    Malformed(String),
    /// The state was written by an unknown format version.
    #[error("unsupported persisted state version {found} (this build reads {supported})")]
    UnsupportedVersion {
        /// The version in the state.
        found: u32,
        /// The version this build writes and reads.
        supported: u32,
    },
    /// The state belongs to another Frontend API host: a token for one instance must never
    /// be sent to another.
    #[error("persisted state is for {found}, not {expected}")]
    WrongHost {
        /// The host the configuration names.
        expected: String,
        /// The host in the state.
        found: String,
    },
}
