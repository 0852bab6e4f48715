//! Requests as the mock receives and records them.

/// The cookie that carries the client token outside native mode (fapi.md §1.8.1).
pub(crate) const CLIENT_COOKIE: &str = "__client";

/// One request the mock received, recorded for assertions ([`crate::MockServer::requests`]).
///
/// Names and values are decoded (no percent-encoding), in wire order. Its `Debug` (what a
/// failing test prints) shows every name, and every value but the secrets' (credentials,
/// passwords, codes, tickets, tokens, signatures, nonces); the fields themselves hold the
/// values as sent.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The wire method (`POST` for a tunnelled `PATCH`).
    pub method: String,
    /// The method the request means: the wire method, or the one `_method` tunnels.
    pub effective_method: String,
    /// The path without the query (`/v1/client/sign_ins`).
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// Request headers, names lower case.
    pub headers: Vec<(String, String)>,
    /// The form body's parameters.
    pub form: Vec<(String, String)>,
}

/// Names of query, header and form fields whose values a recorded request's `Debug` hides:
/// credentials (`authorization`, the `__client` cookie), what a person types (`password`,
/// `code`) and what stands for them (tickets, tokens, signatures, nonces).
pub(crate) const SECRET_NAMES: &[&str] = &[
    "authorization",
    "cookie",
    "password",
    "new_password",
    "code",
    "ticket",
    "token",
    "signature",
    "public_key_credential",
    "rotating_token_nonce",
    "captcha_token",
    "__clerk_db_jwt",
    "__dev_session",
];

/// Shows `fields` as `[(name, value)]`, secret values as `[redacted]`.
struct RedactedFields<'a>(&'a [(String, String)]);

impl std::fmt::Debug for RedactedFields<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, value)| {
                let secret = SECRET_NAMES.iter().any(|secret| name.eq_ignore_ascii_case(secret));
                (name.as_str(), if secret { "[redacted]" } else { value.as_str() })
            }))
            .finish()
    }
}

impl std::fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("effective_method", &self.effective_method)
            .field("path", &self.path)
            .field("query", &RedactedFields(&self.query))
            .field("headers", &RedactedFields(&self.headers))
            .field("form", &RedactedFields(&self.form))
            .finish()
    }
}

/// An answer the mock gave, as [`crate::MockServer::answers`] keeps it. Its `Debug` shows
/// the request (redacted) and the status, not the body, which holds client tokens and
/// session JWTs.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordedAnswer {
    /// The request it answers.
    pub request: RecordedRequest,
    /// The status.
    pub status: u16,
    /// The JSON body.
    pub body: serde_json::Value,
}

impl std::fmt::Debug for RecordedAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedAnswer")
            .field("request", &self.request)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl RecordedRequest {
    /// The first value of a query parameter.
    #[must_use]
    pub fn query_value(&self, name: &str) -> Option<&str> {
        first(&self.query, name)
    }

    /// The first value of a form parameter.
    #[must_use]
    pub fn form_value(&self, name: &str) -> Option<&str> {
        first(&self.form, name)
    }

    /// The first value of a header (name compared case-insensitively).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Whether the request is in native mode (`_is_native` present and not `false`/`0`).
    pub(crate) fn is_native(&self) -> bool {
        self.query_value("_is_native").is_some_and(|v| v != "false" && v != "0")
    }

    /// The client token the request presents: in native mode the `Authorization` header (an
    /// optional `Bearer ` prefix is dropped), otherwise the `__client` cookie. The spec's
    /// `ProductionNativeFlag` makes the header count only with `_is_native` (fapi.md §1.8.2),
    /// and a browser is identified by its cookie alone (§1.8.1). Empty values count as none.
    pub(crate) fn client_token(&self) -> Option<&str> {
        if self.is_native() {
            let value = self.header("authorization")?.trim();
            let value = value.strip_prefix("Bearer ").unwrap_or(value).trim();
            return (!value.is_empty()).then_some(value);
        }
        self.cookie(CLIENT_COOKIE).filter(|value| !value.is_empty())
    }

    /// The value of a cookie the request sends (every `Cookie` header is searched).
    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, cookies)| cookies.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(cookie, _)| *cookie == name)
            .map(|(_, value)| value.trim())
    }

    /// The path split into segments after the leading `/`, percent-decoded.
    pub(crate) fn segments(&self) -> Vec<String> {
        self.path.trim_start_matches('/').split('/').map(percent_decode).collect()
    }
}

/// The first value of `name` among `pairs`.
pub(crate) fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Decodes `application/x-www-form-urlencoded` text (query strings and form bodies).
pub(crate) fn decode_pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Decodes `%XX` escapes in a path segment (a `+` stays a `+`); malformed escapes stay as written.
pub(crate) fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes.get(i), bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (Some(b'%'), Some(high), Some(low)) => {
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                i += 3;
            }
            (Some(byte), _, _) => {
                out.push(*byte);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &[(&str, &str)], headers: &[(&str, &str)]) -> RecordedRequest {
        let pairs = |list: &[(&str, &str)]| list.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        RecordedRequest {
            method: "GET".into(),
            effective_method: "GET".into(),
            path: "/v1/client".into(),
            query: pairs(query),
            headers: pairs(headers),
            form: Vec::new(),
        }
    }

    #[test]
    fn native_requests_are_identified_by_the_authorization_header_only() {
        let native = [("_is_native", "true")];
        assert_eq!(request(&native, &[("authorization", "tok_1")]).client_token(), Some("tok_1"));
        assert_eq!(request(&native, &[("authorization", "Bearer tok_1")]).client_token(), Some("tok_1"));
        assert_eq!(request(&[("_is_native", "1")], &[("authorization", "tok_1")]).client_token(), Some("tok_1"));
        assert_eq!(request(&native, &[("authorization", " ")]).client_token(), None);
        assert_eq!(request(&native, &[("cookie", "__client=tok_2")]).client_token(), None);
    }

    #[test]
    fn browser_requests_are_identified_by_the_client_cookie_only() {
        assert_eq!(request(&[], &[("authorization", "tok_1")]).client_token(), None);
        assert_eq!(request(&[("_is_native", "false")], &[("authorization", "tok_1")]).client_token(), None);
        let both = [("authorization", "tok_1"), ("cookie", "theme=dark; __client=tok_2")];
        assert_eq!(request(&[], &both).client_token(), Some("tok_2"));
        assert_eq!(request(&[], &[("cookie", "__client=")]).client_token(), None);
    }
}
