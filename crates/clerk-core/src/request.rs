//! Descriptions of HTTP requests and responses, owned by the engine.
//!
//! The engine never touches a socket: it describes each request it wants sent as an
//! [`HttpRequest`] (method, path relative to the Frontend API base URL, ordered query
//! pairs, ordered headers, form body) and takes each answer back as an [`HttpResponse`]
//! (status, headers, body bytes). Both derive `PartialEq` and `Serialize`, so tests can
//! compare them and transcripts can record them.
//!
//! Values that are secrets (the client token in `Authorization`, passwords, codes,
//! tickets, nonces) are held as [`FieldValue::Secret`]: `Debug` and `Serialize` show
//! [`REDACTED`] in their place, so nothing that formats or
//! serialises a request can leak one. The real value is reached only through
//! [`FieldValue::expose`].

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::secret::REDACTED;

/// The HTTP method of a request, as the Frontend API defines the operation.
///
/// In browser mode the wire method of anything but GET and POST is POST with a `_method`
/// query parameter; [`HttpRequest::method`] is always the wire method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
}

impl Method {
    /// The method's name as it goes on the wire.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
        }
    }

    /// Whether a request with this method may be repeated without changing anything
    /// on the server (GET and HEAD).
    #[must_use]
    pub fn is_safe(self) -> bool {
        matches!(self, Method::Get | Method::Head)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value of a query parameter, header or form field, marked as plain or secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum FieldValue {
    /// A value that may be shown in logs and transcripts; borrowed, without allocating,
    /// when it is a fixed string (`true`, `1`, a content type, a strategy name).
    Plain(Cow<'static, str>),
    /// A secret: shown as [`REDACTED`] by `Debug` and `Serialize`.
    Secret(String),
}

impl FieldValue {
    /// The real value, secret or not. Only code that puts the value on the wire should
    /// call this.
    #[must_use]
    pub fn expose(&self) -> &str {
        match self {
            FieldValue::Plain(value) => value,
            FieldValue::Secret(value) => value,
        }
    }

    /// Whether the value is marked secret.
    #[must_use]
    pub fn is_secret(&self) -> bool {
        matches!(self, FieldValue::Secret(_))
    }

    /// What may be shown of the value: itself when plain, [`REDACTED`] when secret.
    #[must_use]
    pub fn shown(&self) -> &str {
        match self {
            FieldValue::Plain(value) => value,
            FieldValue::Secret(_) => REDACTED,
        }
    }
}

impl fmt::Debug for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.shown(), f)
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.shown())
    }
}

/// One `name=value` pair of a query string, a header list or a form body.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Field {
    /// The name, exactly as sent (headers in lower case). Names are nearly always fixed
    /// strings, borrowed without allocating.
    pub name: Cow<'static, str>,
    /// The value, marked plain or secret.
    pub value: FieldValue,
}

impl Field {
    /// A plain field.
    pub fn plain(name: impl Into<Cow<'static, str>>, value: impl Into<Cow<'static, str>>) -> Self {
        Field { name: name.into(), value: FieldValue::Plain(value.into()) }
    }

    /// A secret field.
    pub fn secret(name: impl Into<Cow<'static, str>>, value: impl Into<String>) -> Self {
        Field { name: name.into(), value: FieldValue::Secret(value.into()) }
    }
}

/// A request the engine wants sent, relative to the Frontend API base URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpRequest {
    /// The wire method.
    pub method: Method,
    /// The path, starting with `/v1/`, every id already percent-encoded.
    pub path: String,
    /// Query parameters in the order they go on the wire.
    pub query: Vec<Field>,
    /// Headers in the order they go on the wire, names in lower case.
    pub headers: Vec<Field>,
    /// The form body (`application/x-www-form-urlencoded`); `None` for GET.
    pub form: Option<Vec<Field>>,
}

impl HttpRequest {
    /// The query string (without `?`), values encoded, secrets included: for sending.
    #[must_use]
    pub fn query_string(&self) -> String {
        encode_fields(&self.query, false)
    }

    /// The path and query string, secrets in the query included (`rotating_token_nonce`, a
    /// dev-browser token): for sending, never for showing.
    #[must_use]
    pub fn path_and_query(&self) -> String {
        let mut out = String::with_capacity(self.path.len() + 96);
        self.push_path_and_query(&mut out);
        out
    }

    /// Appends [`path_and_query`](Self::path_and_query) to `out` (a driver building the
    /// URL in a buffer of its own), secrets in the query included: for sending.
    pub fn push_path_and_query(&self, out: &mut String) {
        out.push_str(&self.path);
        if !self.query.is_empty() {
            out.push('?');
            push_fields(out, &self.query, false);
        }
    }

    /// The absolute URL of this request under `base_url` (see
    /// [`ClientConfig::base_url`](crate::config::ClientConfig::base_url)), secrets in the
    /// query included: for sending, never for showing.
    #[must_use]
    pub fn url(&self, base_url: &str) -> String {
        let base_url = base_url.trim_end_matches('/');
        let mut out = String::with_capacity(base_url.len() + self.path.len() + 96);
        out.push_str(base_url);
        self.push_path_and_query(&mut out);
        out
    }

    /// The encoded form body, secrets included: for sending. Empty when there is no body.
    #[must_use]
    pub fn body(&self) -> String {
        self.form.as_deref().map(|form| encode_fields(form, false)).unwrap_or_default()
    }

    /// The encoded form body with every secret value replaced by [`REDACTED`]: for
    /// showing.
    #[must_use]
    pub fn redacted_body(&self) -> String {
        self.form.as_deref().map(|form| encode_fields(form, true)).unwrap_or_default()
    }

    /// The value of the first query parameter called `name`.
    #[must_use]
    pub fn query_value(&self, name: &str) -> Option<&FieldValue> {
        self.query.iter().find(|field| field.name == name).map(|field| &field.value)
    }

    /// The value of the first header called `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&FieldValue> {
        self.headers.iter().find(|field| field.name.eq_ignore_ascii_case(name)).map(|field| &field.value)
    }

    /// The value of the first form field called `name`.
    #[must_use]
    pub fn form_value(&self, name: &str) -> Option<&FieldValue> {
        self.form.as_deref()?.iter().find(|field| field.name == name).map(|field| &field.value)
    }
}

fn encode_fields(fields: &[Field], redact: bool) -> String {
    // Room for the fields unescaped, so the common case grows the string once.
    let mut out =
        String::with_capacity(fields.iter().map(|field| field.name.len() + field.value.expose().len() + 2).sum());
    push_fields(&mut out, fields, redact);
    out
}

fn push_fields(out: &mut String, fields: &[Field], redact: bool) {
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        crate::encoding::push_form_component(out, &field.name);
        out.push('=');
        let value = if redact { field.value.shown() } else { field.value.expose() };
        crate::encoding::push_form_component(out, value);
    }
}

/// Names of response headers whose values are secrets.
const SECRET_RESPONSE_HEADERS: &[&str] = &["authorization", "set-cookie", "clerk-db-jwt"];

/// `name` as a `&'static str` when it is a common response header name, already in lower
/// case (as HTTP/2 and the `http` crate give them).
fn common_response_header(name: &str) -> Option<&'static str> {
    Some(match name {
        "authorization" => "authorization",
        "cache-control" => "cache-control",
        "connection" => "connection",
        "content-encoding" => "content-encoding",
        "content-length" => "content-length",
        "content-type" => "content-type",
        "date" => "date",
        "retry-after" => "retry-after",
        "server" => "server",
        "set-cookie" => "set-cookie",
        "vary" => "vary",
        "x-clerk-trace-id" => "x-clerk-trace-id",
        _ => return None,
    })
}

/// An answer from the Frontend API, as a driver received it.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Every response header, names in lower case, in the order received. The client
    /// token (`authorization`) and cookies are marked secret.
    pub headers: Vec<Field>,
    /// The body bytes, as received.
    #[serde(serialize_with = "serialize_body")]
    pub body: Vec<u8>,
}

fn serialize_body<S: Serializer>(body: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::redact::redact_body(body))
}

impl HttpResponse {
    /// A response from a status, header pairs and body bytes. Header names are lower-cased
    /// and secret headers are marked as such.
    pub fn new<N, V>(status: u16, headers: impl IntoIterator<Item = (N, V)>, body: impl Into<Vec<u8>>) -> Self
    where
        N: AsRef<str>,
        V: Into<String>,
    {
        let headers = headers.into_iter().map(|(name, value)| Self::header_field(name.as_ref(), value)).collect();
        HttpResponse { status, headers, body: body.into() }
    }

    /// One response header as the engine keeps it: the name in lower case (borrowed,
    /// without allocating, for the common ones), the value marked secret when the name says
    /// so. For drivers that build [`HttpResponse::headers`] themselves.
    pub fn header_field(name: &str, value: impl Into<String>) -> Field {
        let name = common_response_header(name).map_or_else(|| Cow::Owned(name.to_ascii_lowercase()), Cow::Borrowed);
        if SECRET_RESPONSE_HEADERS.contains(&name.as_ref()) {
            Field::secret(name, value)
        } else {
            Field::plain(name, value.into())
        }
    }

    /// A `200 OK` JSON response with no headers.
    pub fn ok_json(body: impl Into<Vec<u8>>) -> Self {
        HttpResponse::new(200, [("content-type", "application/json")], body)
    }

    /// The first header called `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&FieldValue> {
        self.headers.iter().find(|field| field.name.eq_ignore_ascii_case(name)).map(|field| &field.value)
    }

    /// [`HttpResponse::header_field`] from the value's raw bytes: kept as they are when
    /// they are UTF-8 (header values nearly always are ASCII), lossily otherwise.
    pub fn header_field_from_bytes(name: &str, value: &[u8]) -> Field {
        // `from_utf8` checks ASCII a word at a time; the lossy walk goes byte by byte.
        let value = match std::str::from_utf8(value) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(value).into_owned(),
        };
        Self::header_field(name, value)
    }

    /// Adds a header, marking it secret when its name says so.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push(Self::header_field(name, value));
        self
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &crate::redact::redact_body(&self.body))
            .finish()
    }
}

#[cfg(feature = "http")]
mod http_conversions {
    use super::{HttpRequest, HttpResponse, Method};

    /// Why an `http` type could not be converted.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[non_exhaustive]
    pub enum HttpConversionError {
        /// The URL built from the base URL and the request was not a valid URI.
        #[error("invalid request URI: {0}")]
        InvalidUri(String),
        /// A header name or value could not be represented.
        #[error("invalid header {0}")]
        InvalidHeader(String),
    }

    impl From<Method> for http::Method {
        fn from(method: Method) -> Self {
            match method {
                Method::Get => http::Method::GET,
                Method::Post => http::Method::POST,
                Method::Put => http::Method::PUT,
                Method::Patch => http::Method::PATCH,
                Method::Delete => http::Method::DELETE,
                Method::Head => http::Method::HEAD,
            }
        }
    }

    impl HttpRequest {
        /// Builds an `http::Request` for this request under `base_url`, with the real
        /// (unredacted) header and body values.
        ///
        /// # Errors
        /// [`HttpConversionError`] when the URL or a header is not valid for `http`.
        pub fn to_http(&self, base_url: &str) -> Result<http::Request<Vec<u8>>, HttpConversionError> {
            let uri = http::Uri::try_from(self.url(base_url))
                .map_err(|_| HttpConversionError::InvalidUri(self.path.clone()))?;
            let mut builder = http::Request::builder().method(http::Method::from(self.method)).uri(uri);
            for field in &self.headers {
                let value = http::HeaderValue::from_str(field.value.expose())
                    .map_err(|_| HttpConversionError::InvalidHeader(field.name.to_string()))?;
                let name = http::HeaderName::from_bytes(field.name.as_bytes())
                    .map_err(|_| HttpConversionError::InvalidHeader(field.name.to_string()))?;
                builder = builder.header(name, value);
            }
            let body = if self.form.is_some() { self.body().into_bytes() } else { Vec::new() };
            builder.body(body).map_err(|_| HttpConversionError::InvalidHeader(String::from("request")))
        }
    }

    impl HttpResponse {
        /// Takes an `http::Response` as the engine's description. Header values that are
        /// not UTF-8 are kept lossily.
        pub fn from_http(response: http::Response<Vec<u8>>) -> Self {
            let (parts, body) = response.into_parts();
            let headers = parts
                .headers
                .iter()
                .map(|(name, value)| HttpResponse::header_field_from_bytes(name.as_str(), value.as_bytes()))
                .collect();
            HttpResponse { status: parts.status.as_u16(), headers, body }
        }
    }
}

#[cfg(feature = "http")]
pub use http_conversions::HttpConversionError;

#[cfg(test)]
#[cfg(feature = "http")]
mod tests {
    use super::*;

    #[test]
    fn converts_to_and_from_http_with_real_values() {
        let request = HttpRequest {
            method: Method::Post,
            path: "/v1/client/sign_ins".into(),
            query: vec![Field::plain("_is_native", "true")],
            headers: vec![Field::secret("authorization", "tok-1"), Field::plain("x-mobile", "1")],
            form: Some(vec![Field::plain("identifier", "a@b.co"), Field::secret("password", "p w")]),
        };
        let http = request.to_http("https://foo.example/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(http.method(), http::Method::POST);
        assert_eq!(http.uri().to_string(), "https://foo.example/v1/client/sign_ins?_is_native=true");
        assert_eq!(http.headers().get("authorization").map(|v| v.as_bytes()), Some(&b"tok-1"[..]));
        assert_eq!(http.body().as_slice(), b"identifier=a%40b.co&password=p+w");

        let response = http::Response::builder()
            .status(401)
            .header("Authorization", "tok-2")
            .header("Retry-After", "3")
            .body(b"{}".to_vec())
            .unwrap_or_else(|e| panic!("{e}"));
        let ours = HttpResponse::from_http(response);
        assert_eq!(ours.status, 401);
        assert!(ours.header("authorization").is_some_and(FieldValue::is_secret));
        assert_eq!(ours.header("retry-after").map(FieldValue::expose), Some("3"));
        assert!(!format!("{ours:?}").contains("tok-2"));
    }

    #[test]
    fn response_headers_are_lower_cased_marked_and_kept_lossily() {
        let fields = [
            HttpResponse::header_field("content-type", "application/json"),
            HttpResponse::header_field("X-Clerk-Trace-Id", "abc"),
            HttpResponse::header_field("AUTHORIZATION", "token-canary"),
            HttpResponse::header_field_from_bytes("x-odd", b"caf\xe9"),
        ];
        let names: Vec<&str> = fields.iter().map(|field| field.name.as_ref()).collect();
        assert_eq!(names, ["content-type", "x-clerk-trace-id", "authorization", "x-odd"]);
        assert!(matches!(fields[0].name, Cow::Borrowed(_)), "a common name is not allocated");
        assert!(fields[2].value.is_secret());
        assert!(!format!("{fields:?}").contains("token-canary"));
        assert_eq!(fields[3].value.expose(), "caf\u{fffd}", "a non-UTF-8 byte is replaced, the rest kept");
    }

    #[test]
    fn an_unusable_url_is_an_error_not_a_panic() {
        let request = HttpRequest {
            method: Method::Get,
            path: "/v1/client".into(),
            query: vec![],
            headers: vec![Field::plain("x-bad", "line\nbreak")],
            form: None,
        };
        assert!(request.to_http("https://foo.example").is_err());
        assert!(request.to_http("not a url at all").is_err());
    }
}
