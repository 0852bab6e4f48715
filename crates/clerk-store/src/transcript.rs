//! Transcripts: every exchange with the Frontend API as one JSON line, secrets replaced by
//! numbered placeholders, readable back for `clerk replay` and bug reports.
//!
//! ## The format
//!
//! One exchange a line, keys in this order:
//!
//! ```json
//! {"request":{"method":"POST","url":"https://clerk.example.com/v1/client/sign_ins?_is_native=true","headers":[["authorization","[redacted#1]"]],"body":"identifier=a%40b.c&password=%5Bredacted%232%5D"},"response":{"status":200,"headers":[["content-type","application/json"]],"body":"{…}"}}
//! ```
//!
//! A transport error takes the place of `response`: `"error":"timed out: …"`.
//!
//! * `url` is the absolute URL with its query string and `body` the form-encoded body
//!   (empty when there is none), both exactly as sent except that each secret value is
//!   replaced by its placeholder *before* encoding: decode the query or form and the
//!   value reads `[redacted#2]`.
//! * Header values and the response body are copied as received (a body that is not
//!   UTF-8 has its invalid bytes replaced by U+FFFD).
//!
//! ## What is redacted
//!
//! * Every value the engine marks [`FieldValue::Secret`](clerk_core::FieldValue::Secret)
//!   (client token, password, code, ticket, `rotating_token_nonce`, signature, …), and, in
//!   case a request was built by hand, every `authorization`, `proxy-authorization`,
//!   `cookie`, `set-cookie` and `clerk-db-jwt` header and every query or form field named
//!   like a secret Clerk parameter (`password`, `current_password`, `new_password`, `code`,
//!   `ticket`, `token`, `expired_token`, `rotating_token_nonce`, `signature`,
//!   `public_key_credential`, `__clerk_db_jwt`, `__dev_session`, `__clerk_token`, OAuth
//!   and captcha tokens), marked or not. A secret query or form value that is a whole JWT
//!   (a session token sent back as `expired_token`) keeps its header and claims, like
//!   every other JWT below; headers (a client token) show nothing of themselves.
//! * The signature of every JWT anywhere else (header values, query and form values,
//!   bodies, error text): `eyJhbGc….eyJleHAi….[redacted#3]`. Header and claims stay, so
//!   `exp`, `iat` and `sid` can still be read.
//! * A secret of 16 characters or more wherever it reappears in plain text (a token
//!   echoed in a body).
//! * In answer bodies, the string values of the keys in
//!   [`SECRET_BODY_KEYS`](clerk_core::redact::SECRET_BODY_KEYS): a user's backup codes
//!   (under a key spelled with JSON escapes, `backup\u005fcodes`, too).
//!
//! The same secret value gets the same number throughout one transcript (one
//! [`TranscriptWriter`]); numbers count from 1 in order of first appearance. Everything
//! else is kept byte for byte. So a transcript shows which secrets were equal: two
//! accounts signed in with the same password, or a code typed twice, share a number
//! (that is what lets a replay tell the client token it was sent from the one before).
//! Keep that in mind before sharing one.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use clerk_core::{Field, HttpRequest, HttpResponse, TransportError};
use serde::de::Error as _;
use serde::ser::SerializeStruct as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::TranscriptError;
use crate::placeholder::Placeholders;

/// Header names whose values are always replaced, marked secret or not.
const SECRET_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie", "set-cookie", "clerk-db-jwt"];

/// Query and form field names whose values are always replaced, marked secret or not.
const SECRET_FIELDS: &[&str] = &[
    "password",
    "current_password",
    "new_password",
    "code",
    "ticket",
    "token",
    "expired_token",
    "rotating_token_nonce",
    "signature",
    "public_key_credential",
    "__clerk_db_jwt",
    "__dev_session",
    "__clerk_token",
    "__clerk_ticket",
    "captcha_token",
    "id_token",
    "access_token",
    "refresh_token",
    "client_secret",
    "code_verifier",
];

/// A request as a transcript records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptRequest {
    /// The wire method (`GET`, `POST`, …).
    pub method: String,
    /// The absolute URL with its query string.
    pub url: String,
    /// The headers as `[name, value]` pairs, in the order sent.
    pub headers: Vec<(String, String)>,
    /// The form-encoded body, empty when there was none.
    pub body: String,
}

/// A response as a transcript records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The headers as `[name, value]` pairs, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body text.
    pub body: String,
}

impl TranscriptResponse {
    /// This response as the engine takes it, headers and body as recorded (placeholders
    /// included: a replayed rotated token is its placeholder). Secret headers are marked
    /// as [`HttpResponse::new`] marks them.
    #[must_use]
    pub fn to_http_response(&self) -> HttpResponse {
        HttpResponse::new(self.status, self.headers.iter().map(|(n, v)| (n.as_str(), v.clone())), self.body.clone())
    }
}

impl From<TranscriptResponse> for HttpResponse {
    fn from(response: TranscriptResponse) -> Self {
        HttpResponse::new(response.status, response.headers, response.body.into_bytes())
    }
}

/// One line of a transcript: a request and its response, or the transport error that
/// took the response's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptEntry {
    /// The request.
    pub request: TranscriptRequest,
    /// The response, or the transport error's message.
    pub outcome: Result<TranscriptResponse, String>,
}

impl TranscriptEntry {
    /// The entry as one JSON line, without the line break.
    #[must_use]
    pub fn to_json_line(&self) -> String {
        // Strings, numbers and lists only: serialisation cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The outcome as the engine's `handle_response` takes it; a recorded transport
    /// error comes back as [`TransportError::Other`] with the recorded message.
    pub fn engine_outcome(&self) -> Result<HttpResponse, TransportError> {
        match &self.outcome {
            Ok(response) => Ok(response.to_http_response()),
            Err(message) => Err(TransportError::Other(message.clone())),
        }
    }
}

impl Serialize for TranscriptEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entry = serializer.serialize_struct("TranscriptEntry", 2)?;
        entry.serialize_field("request", &self.request)?;
        match &self.outcome {
            Ok(response) => entry.serialize_field("response", response)?,
            Err(error) => entry.serialize_field("error", error)?,
        }
        entry.end()
    }
}

impl<'de> Deserialize<'de> for TranscriptEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Line {
            request: TranscriptRequest,
            #[serde(default)]
            response: Option<TranscriptResponse>,
            #[serde(default)]
            error: Option<String>,
        }
        let line = Line::deserialize(deserializer)?;
        let outcome = match (line.response, line.error) {
            (Some(response), None) => Ok(response),
            (None, Some(error)) => Err(error),
            (Some(_), Some(_)) => return Err(D::Error::custom("both `response` and `error`")),
            (None, None) => return Err(D::Error::custom("neither `response` nor `error`")),
        };
        Ok(TranscriptEntry { request: line.request, outcome })
    }
}

/// Records exchanges as transcript lines (see the [module docs](self) for the format and
/// what is redacted). One writer is one transcript: placeholder numbers are kept across
/// its lines.
///
/// `Send + Sync`: [`record`](Self::record) takes `&self`, so a driver can share one
/// writer; lines are never interleaved. Each line is flushed as it is written, so a crash
/// loses at most the exchange in flight.
pub struct TranscriptWriter {
    state: Mutex<WriterState>,
}

struct WriterState {
    out: Box<dyn Write + Send>,
    placeholders: Placeholders,
}

impl std::fmt::Debug for TranscriptWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TranscriptWriter").finish_non_exhaustive()
    }
}

impl TranscriptWriter {
    /// A writer appending lines to `out`.
    pub fn new(out: impl Write + Send + 'static) -> Self {
        TranscriptWriter {
            state: Mutex::new(WriterState { out: Box::new(out), placeholders: Placeholders::default() }),
        }
    }

    /// A writer to a new file at `path` (truncated if it exists; mode `0600` on Unix:
    /// a transcript has no secrets but does hold e-mail addresses and names).
    ///
    /// # Errors
    /// [`TranscriptError::Open`] when the file cannot be created.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, TranscriptError> {
        let path = path.as_ref();
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|source| TranscriptError::Open { path: path.to_owned(), source })?;
        // `mode` applies only to a file it creates: an existing one is narrowed too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|source| TranscriptError::Open { path: path.to_owned(), source })?;
        }
        Ok(TranscriptWriter::new(BufWriter::new(file)))
    }

    /// Writes one line for `request` (sent under `base_url`, see
    /// [`ClientConfig::base_url`](clerk_core::ClientConfig::base_url)) and its outcome,
    /// secrets redacted, and flushes it.
    ///
    /// # Errors
    /// [`TranscriptError::Io`] when writing fails.
    pub fn record(
        &self,
        request: &HttpRequest,
        base_url: &str,
        outcome: &Result<HttpResponse, TransportError>,
    ) -> Result<(), TranscriptError> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = redact_exchange(&mut state.placeholders, request, base_url, outcome);
        let mut line = entry.to_json_line();
        line.push('\n');
        state.out.write_all(line.as_bytes()).and_then(|()| state.out.flush()).map_err(TranscriptError::Io)
    }
}

fn is_secret_header(field: &Field) -> bool {
    field.value.is_secret() || SECRET_HEADERS.iter().any(|name| field.name.eq_ignore_ascii_case(name))
}

fn is_secret_field(field: &Field) -> bool {
    field.value.is_secret() || SECRET_FIELDS.iter().any(|name| field.name.eq_ignore_ascii_case(name))
}

/// The transcript entry of one exchange, numbering its secrets in `placeholders`.
fn redact_exchange(
    placeholders: &mut Placeholders,
    request: &HttpRequest,
    base_url: &str,
    outcome: &Result<HttpResponse, TransportError>,
) -> TranscriptEntry {
    // Learn every secret of the exchange first, so one that reappears in plain text
    // earlier in the line is caught too.
    let fields = request.query.iter().chain(request.form.iter().flatten()).filter(|f| is_secret_field(f));
    for field in fields {
        placeholders.learn_field_value(field.value.expose());
    }
    let headers = request.headers.iter().chain(outcome.iter().flat_map(|r| &r.headers)).filter(|f| is_secret_header(f));
    for field in headers {
        placeholders.learn(field.value.expose());
    }

    let mut url = format!("{}{}", base_url.trim_end_matches('/'), request.path);
    if !request.query.is_empty() {
        url.push('?');
        url.push_str(&encode_fields(&request.query, |field| shown_field(placeholders, field)));
    }
    let request_headers =
        request.headers.iter().map(|field| (field.name.to_string(), shown_header(placeholders, field))).collect();
    let body = request
        .form
        .as_deref()
        .map(|form| encode_fields(form, |field| shown_field(placeholders, field)))
        .unwrap_or_default();
    let request = TranscriptRequest { method: request.method.as_str().to_owned(), url, headers: request_headers, body };

    let outcome = match outcome {
        Ok(response) => {
            let headers = response
                .headers
                .iter()
                .map(|field| (field.name.to_string(), shown_header(placeholders, field)))
                .collect();
            // A user's backup codes (`SECRET_BODY_KEYS`) become placeholders first: they
            // are secrets nothing else in the exchange names.
            let body = clerk_core::redact::redact_secret_values(&String::from_utf8_lossy(&response.body), |raw| {
                placeholders.placeholder(raw)
            });
            let body = placeholders.redact_text(&body);
            Ok(TranscriptResponse { status: response.status, headers, body })
        }
        Err(error) => Err(placeholders.redact_text(&error.to_string())),
    };
    TranscriptEntry { request, outcome }
}

/// What a transcript shows of a query or form field's value: a secret's placeholder (of a
/// JWT, its signature's), else the value with JWT signatures and known secrets replaced.
fn shown_field(placeholders: &mut Placeholders, field: &Field) -> String {
    if is_secret_field(field) {
        placeholders.field_value(field.value.expose())
    } else {
        placeholders.redact_text(field.value.expose())
    }
}

/// What a transcript shows of a header's value: a secret header's whole value is a
/// placeholder (a client token shows nothing of itself), else the value with JWT
/// signatures and known secrets replaced.
fn shown_header(placeholders: &mut Placeholders, field: &Field) -> String {
    if is_secret_header(field) {
        placeholders.placeholder(field.value.expose())
    } else {
        placeholders.redact_text(field.value.expose())
    }
}

/// `name=value&…`, form-encoded as [`HttpRequest`] encodes them, each value as `shown`
/// gives it.
fn encode_fields(fields: &[Field], mut shown: impl FnMut(&Field) -> String) -> String {
    let mut out = String::new();
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        out.push_str(&clerk_core::encoding::form_urlencode_component(&field.name));
        out.push('=');
        out.push_str(&clerk_core::encoding::form_urlencode_component(&shown(field)));
    }
    out
}

/// Reads a transcript back, one [`TranscriptEntry`] per non-blank line.
///
/// An iterator of `Result`s: a malformed line is an error naming its line number, and
/// reading goes on with the next line; an I/O error ends the iteration.
pub struct TranscriptReader {
    lines: io::Lines<Box<dyn BufRead + Send>>,
    line_number: usize,
    failed: bool,
}

impl std::fmt::Debug for TranscriptReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TranscriptReader").field("line_number", &self.line_number).finish_non_exhaustive()
    }
}

impl TranscriptReader {
    /// A reader of the transcript file at `path`.
    ///
    /// # Errors
    /// [`TranscriptError::Open`] when the file cannot be opened.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, TranscriptError> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|source| TranscriptError::Open { path: path.to_owned(), source })?;
        Ok(TranscriptReader::new(BufReader::new(file)))
    }

    /// A reader of the transcript text from `input`.
    pub fn new(input: impl BufRead + Send + 'static) -> Self {
        let input: Box<dyn BufRead + Send> = Box::new(input);
        TranscriptReader { lines: input.lines(), line_number: 0, failed: false }
    }

    /// Parses one transcript line.
    ///
    /// # Errors
    /// [`TranscriptError::Malformed`] (with `line: None`) when it is not an entry.
    pub fn parse_line(line: &str) -> Result<TranscriptEntry, TranscriptError> {
        serde_json::from_str(line).map_err(|e| TranscriptError::Malformed { line: None, reason: e.to_string() })
    }
}

impl Iterator for TranscriptReader {
    type Item = Result<TranscriptEntry, TranscriptError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let line = self.lines.next()?;
            self.line_number = self.line_number.saturating_add(1);
            match line {
                Err(error) => {
                    self.failed = true;
                    return Some(Err(TranscriptError::Io(error)));
                }
                Ok(line) if line.trim().is_empty() => {}
                Ok(line) => {
                    let line_number = self.line_number;
                    return Some(Self::parse_line(&line).map_err(|error| match error {
                        TranscriptError::Malformed { reason, .. } => {
                            TranscriptError::Malformed { line: Some(line_number), reason }
                        }
                        other => other,
                    }));
                }
            }
        }
    }
}
