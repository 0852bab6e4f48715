//! Decoding answers: the envelope rules of fapi.md §2.
//!
//! * `/v1/client…` answers are `{ "response": …, "client": … }`; error answers carry the
//!   client in `meta.client`.
//! * `/v1/environment` and the token endpoints answer the resource itself, unwrapped;
//!   `POST /v1/dev_browser` answers `{id, …}`.
//! * `client: null` (or absent) means "no information", never "signed out". For
//!   `GET /v1/client` the `response` is the client itself, so `client: null` beside it is
//!   ignored, and `response: null` means the server has no client for this token.

use serde::{Deserialize, Deserializer};

use crate::secret::{DevBrowserToken, SessionJwt};
use crate::wire::text::SharedSource;
use crate::wire::{ActiveSessionResource, ClientResource, Environment, ErrorBody, TokenResource};

/// A field that can be absent, `null`, or a value.
#[derive(Debug, Default)]
pub(crate) enum Tristate<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Tristate<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Tristate::Value(value),
            None => Tristate::Null,
        })
    }
}

#[derive(Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
struct Envelope<T> {
    #[serde(default)]
    response: Tristate<T>,
    #[serde(default)]
    client: Tristate<Box<ClientResource>>,
}

/// What an answer says about the client.
#[derive(Debug)]
pub(crate) enum ClientUpdate {
    /// A client to offer to the stale gate.
    Present(Box<ClientResource>),
    /// The server has no client for the presented token.
    Cleared,
    /// The answer says nothing about the client.
    NoInformation,
}

fn reason(error: &serde_json::Error) -> String {
    crate::redact::serde_reason(error)
}

/// Parses a whole answer body as JSON into `T`.
///
/// The body is checked to be UTF-8 once, as a whole, and then parsed from text: checking
/// each string separately while parsing (what `serde_json::from_slice` does) costs about a
/// sixth of the decode time on a typical client answer. JSON is UTF-8 by definition
/// (RFC 8259 §8.1), so a body that is not is refused, wherever the bad byte is.
fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, String> {
    let text = std::str::from_utf8(body).map_err(|e| not_text(e.valid_up_to()))?;
    serde_json::from_str(text).map_err(|e| reason(&e))
}

/// Why a body that is not UTF-8 is refused.
pub(crate) fn not_text(valid_up_to: usize) -> String {
    format!("the body is not UTF-8 text (invalid byte at offset {valid_up_to})")
}

/// Parses a whole answer body, already checked to be text, into `T`, whose
/// [`Text`](crate::wire::Text)s share the body rather than copy out of it.
fn parse_shared<T: for<'de> Deserialize<'de>>(body: &SharedSource) -> Result<T, String> {
    body.decode(|text| serde_json::from_str(text)).map_err(|e| reason(&e))
}

/// Decodes `{response: Client | null, client}` (GET/POST/PUT/DELETE `/v1/client`,
/// DELETE `/v1/client/sessions`) into what it says about the client. The `response` key
/// must be there.
pub(crate) fn decode_client_envelope(body: &SharedSource) -> Result<ClientUpdate, String> {
    let envelope: Envelope<Box<ClientResource>> = parse_shared(body)?;
    match (envelope.response, envelope.client) {
        (Tristate::Value(client), _) => Ok(ClientUpdate::Present(client)),
        (Tristate::Null, Tristate::Value(client)) => Ok(ClientUpdate::Present(client)),
        (Tristate::Null, Tristate::Null | Tristate::Absent) => Ok(ClientUpdate::Cleared),
        (Tristate::Absent, _) => Err(String::from("missing field `response`")),
    }
}

/// Decodes `{response: T, client}` for a resource under `/v1/client/…` (sign-ins,
/// sign-ups, sessions). The `response` must be present and non-null; a `null` or absent
/// `client` is no information.
pub(crate) fn decode_resource_envelope<T: for<'de> Deserialize<'de>>(
    body: &SharedSource,
) -> Result<(Box<T>, ClientUpdate), String> {
    let envelope: Envelope<Box<T>> = parse_shared(body)?;
    let Tristate::Value(response) = envelope.response else {
        return Err(String::from("missing or null `response`"));
    };
    let client = match envelope.client {
        Tristate::Value(client) => ClientUpdate::Present(client),
        Tristate::Null | Tristate::Absent => ClientUpdate::NoInformation,
    };
    Ok((response, client))
}

/// Decodes the answer of `GET /v1/me/sessions/active`: the spec's unwrapped array of
/// sessions, or (leniently, as clerk-js reads `payload.response` before the whole payload,
/// fapi.md §2.1) an envelope whose `response` is that array. A `client` beside it is not
/// read: the request is a GET (fapi.md §2.2 rule 2). Anything else is undecodable.
pub(crate) fn decode_active_sessions(body: &SharedSource) -> Result<Vec<ActiveSessionResource>, String> {
    match body.as_str().trim_start().as_bytes().first() {
        Some(b'[') => parse_shared(body),
        Some(b'{') => {
            let envelope: Envelope<Vec<ActiveSessionResource>> = parse_shared(body)?;
            match envelope.response {
                Tristate::Value(sessions) => Ok(sessions),
                Tristate::Null | Tristate::Absent => Err(String::from("missing or null `response`")),
            }
        }
        _ => Err(String::from("expected a JSON array of sessions")),
    }
}

/// Decodes the token endpoint's unwrapped `{object: "token", jwt}` and checks the JWT's
/// claims (`exp`, `iat`) without verifying its signature.
pub(crate) fn decode_token(body: &SharedSource) -> Result<SessionJwt, String> {
    let token: TokenResource = parse_shared(body)?;
    crate::jwt::decode_claims(token.jwt.expose()).map_err(|e| format!("malformed session token: {e}"))?;
    Ok(token.jwt)
}

/// Decodes the answer of `POST /v1/dev_browser`, `{id, …}`, whose `id` is the dev-browser
/// token (fapi.md §1.8.3, §2.1). A missing, `null` or empty `id` is undecodable.
pub(crate) fn decode_dev_browser(body: &SharedSource) -> Result<DevBrowserToken, String> {
    #[derive(Deserialize)]
    struct DevBrowser {
        id: DevBrowserToken,
    }
    let answer: DevBrowser = serde_json::from_str(body.as_str()).map_err(|e| reason(&e))?;
    if answer.id.is_empty() {
        return Err(String::from("empty dev-browser `id`"));
    }
    Ok(answer.id)
}

/// Decodes the unwrapped environment.
pub(crate) fn decode_environment(body: &SharedSource) -> Result<Box<Environment>, String> {
    // The environment holds no `Text`: nothing to share, so no registration.
    serde_json::from_str(body.as_str()).map_err(|e| reason(&e))
}

/// Decodes an error answer (status ≥ 400).
pub(crate) fn decode_error_body(body: &[u8]) -> Result<ErrorBody, String> {
    let body: ErrorBody = parse(body)?;
    if body.errors.is_empty() {
        return Err(String::from("error answer with an empty `errors` list"));
    }
    Ok(body)
}
