//! Requests as the mock receives and records them.

/// One request the mock received, recorded for assertions ([`crate::MockServer::requests`]).
///
/// Names and values are decoded (no percent-encoding), in wire order.
#[derive(Debug, Clone, PartialEq, Eq)]
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

    /// The client token the request presents: the `Authorization` header (native), else the
    /// `__client` cookie (browser). Empty values count as none.
    pub(crate) fn client_token(&self) -> Option<&str> {
        if let Some(value) = self.header("authorization") {
            let value = value.trim();
            let value = value.strip_prefix("Bearer ").unwrap_or(value).trim();
            return (!value.is_empty()).then_some(value);
        }
        let cookies = self.header("cookie")?;
        cookies
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == "__client")
            .map(|(_, value)| value)
            .filter(|value| !value.is_empty())
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
