//! The Frontend API's base URL, parsed once for every request the task sends.
//!
//! A request's URL is the base URL followed by the request's path and query
//! ([`HttpRequest::url`]). Parsing that text afresh costs a request about as much as
//! decoding a signed-out client's answer (the host alone is most of it), and the origin is
//! the same for every request. So the base is parsed once, and each request's path and
//! query are resolved against it as a path-absolute reference (only they are parsed; the
//! scheme and host are copied). That gives the very URL the whole text parses to whenever
//! the path is plain (letters, digits, `/`, `_`, `-`, `%`: every path the engine builds
//! from ids) and the base, `http` or `https`, was written in the form the parser gives
//! back; a property test below holds the two to the same result. Anything else (a base
//! URL with upper-case letters or a default port, another scheme, a template name with a
//! dot, …) takes the full parse.
//!
//! Most requests repeat one another's URL (a client reload, a token refresh), so the last
//! URL built is kept with the reference it came from and handed out again for the same
//! reference, without parsing; a URL whose query holds a secret (a `rotating_token_nonce`,
//! a dev-browser token) is never kept.

use clerk_core::{HttpRequest, TransportError};
use reqwest::Url;

/// The base URL as configured, and parsed when requests may be built on it.
pub(crate) struct BaseUrl {
    /// The base URL as configured, without a trailing `/`.
    text: String,
    /// The base URL parsed, when the fast path gives the same URLs as a full parse: its
    /// text is already in the parser's normal form, with no query or fragment.
    parsed: Option<Parsed>,
    /// The last reference resolved (its query free of secrets) and the URL it gave.
    last: Option<(String, Url)>,
    /// A buffer for the next reference.
    scratch: String,
}

/// A base URL in normal form, and the path every request's path goes under.
struct Parsed {
    url: Url,
    /// The base URL's own path without a trailing `/` (empty for `https://host`).
    path_prefix: String,
}

impl BaseUrl {
    /// `base_url` as [`HttpRequest::url`] reads it (a trailing `/` ignored).
    pub(crate) fn new(base_url: &str) -> BaseUrl {
        let text = base_url.trim_end_matches('/').to_owned();
        // Only the schemes a configuration allows: for others (`file:` drive letters, a
        // backslash that a non-special scheme keeps in the path) a reference is read
        // differently from the whole text.
        let parsed = Url::parse(&text).ok().filter(|url| {
            matches!(url.scheme(), "http" | "https")
                && !url.cannot_be_a_base()
                && url.query().is_none()
                && url.fragment().is_none()
                && url.as_str().trim_end_matches('/') == text
        });
        let parsed = parsed.map(|url| {
            let path_prefix = url.path().trim_end_matches('/').to_owned();
            Parsed { url, path_prefix }
        });
        BaseUrl { text, parsed, last: None, scratch: String::new() }
    }

    /// The URL `request` goes to: what [`HttpRequest::url`] under this base parses to.
    pub(crate) fn url_for(&mut self, request: &HttpRequest) -> Result<Url, TransportError> {
        let Some(parsed) = self.parsed.as_ref().filter(|_| is_plain_path(&request.path)) else {
            return self.parse_whole(request);
        };
        // A path-absolute reference resolved against the parsed base: the scheme and host
        // are copied from it, only the path and query are parsed.
        let mut reference = std::mem::take(&mut self.scratch);
        reference.clear();
        reference.push_str(&parsed.path_prefix);
        request.push_path_and_query(&mut reference);
        if let Some((last, url)) = &self.last
            && *last == reference
        {
            self.scratch = reference;
            return Ok(url.clone());
        }
        if reference.starts_with("//") {
            // A reference starting `//` names a host: only the whole text is right.
            self.scratch = reference;
            return self.parse_whole(request);
        }
        let url = parsed.url.join(&reference).map_err(invalid_url);
        match &url {
            Ok(url) if !request.query.iter().any(|field| field.value.is_secret()) => {
                if let Some((previous, _)) = self.last.replace((reference, url.clone())) {
                    self.scratch = previous;
                }
            }
            _ => {
                // Not kept: wiped now rather than left in the buffer until the next request.
                reference.clear();
                self.scratch = reference;
            }
        }
        url
    }

    /// The URL `request` goes to, parsed from its whole text.
    pub(crate) fn parse_whole(&self, request: &HttpRequest) -> Result<Url, TransportError> {
        Url::parse(&request.url(&self.text)).map_err(invalid_url)
    }
}

fn invalid_url(error: impl std::fmt::Display) -> TransportError {
    TransportError::Other(format!("invalid request URL: {error}"))
}

/// Whether `path` starts with `/` and holds only characters that mean the same in a
/// reference as in a whole URL's text (no `?`, `#`, `.`, spaces or controls).
fn is_plain_path(path: &str) -> bool {
    path.starts_with('/')
        && path.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'_' | b'-' | b'%'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clerk_core::{Field, Method};
    use proptest::prelude::*;

    fn request(path: &str, query: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method: Method::Get,
            path: path.to_owned(),
            query: query.iter().map(|(name, value)| Field::plain(name.to_string(), value.to_string())).collect(),
            headers: Vec::new(),
            form: None,
        }
    }

    #[test]
    fn a_plain_request_under_a_plain_base_takes_the_fast_path() {
        let mut base = BaseUrl::new("https://clerk.example.com/");
        assert!(base.parsed.is_some());
        let request = request("/v1/client", &[("__clerk_api_version", "2026-05-12"), ("_is_native", "true")]);
        let url = base.url_for(&request).unwrap();
        assert_eq!(url.as_str(), "https://clerk.example.com/v1/client?__clerk_api_version=2026-05-12&_is_native=true");
    }

    #[test]
    fn a_repeated_url_is_handed_out_again_and_one_with_a_secret_is_not_kept() {
        let mut base = BaseUrl::new("https://clerk.example.com");
        let reload = request("/v1/client", &[("_is_native", "true")]);
        let first = base.url_for(&reload).unwrap();
        assert!(base.last.is_some());
        assert_eq!(base.url_for(&reload).unwrap(), first);

        let mut with_nonce = request("/v1/client", &[]);
        with_nonce.query.push(Field::secret("rotating_token_nonce", "canary-nonce-5150"));
        let url = base.url_for(&with_nonce).unwrap();
        assert_eq!(url.query(), Some("rotating_token_nonce=canary-nonce-5150"));
        let (kept, _) = base.last.as_ref().unwrap();
        assert_eq!(kept, "/v1/client?_is_native=true", "the URL with a secret replaced nothing");
        assert!(base.scratch.is_empty(), "the secret is not left in the buffer");
    }

    #[test]
    fn a_base_with_a_path_keeps_it() {
        let mut base = BaseUrl::new("http://127.0.0.1:8080/__clerk/");
        let url = base.url_for(&request("/v1/environment", &[])).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/__clerk/v1/environment");
    }

    #[test]
    fn encoded_dot_segments_mean_what_they_mean_in_the_whole_text() {
        let mut base = BaseUrl::new("http://127.0.0.1:8080/__clerk");
        for path in ["/v1/%2e%2e/x", "/v1/%2E/x", "/%2e%2E/%2e%2e/v1", "/v1/a%2fb", "/v1//x"] {
            let request = request(path, &[("a", "b c")]);
            assert_eq!(base.url_for(&request).unwrap(), base.parse_whole(&request).unwrap(), "{path}");
        }
    }

    #[test]
    fn a_reference_starting_with_two_slashes_is_not_read_as_a_host() {
        for (base, path) in [("https://h.example//a", "/v1/client"), ("https://h.example", "//evil/v1")] {
            let mut base = BaseUrl::new(base);
            let request = request(path, &[]);
            assert_eq!(base.url_for(&request).unwrap(), base.parse_whole(&request).unwrap(), "{path}");
        }
    }

    #[test]
    fn a_base_not_in_normal_form_takes_the_full_parse() {
        for text in ["HTTPS://Clerk.Example.com", "https://clerk.example.com:443", "https://h/a/./b", "https://h/?q=1"]
        {
            assert!(BaseUrl::new(text).parsed.is_none(), "{text}");
        }
    }

    /// Characters that could change a URL's meaning, among plain ones.
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Z0-9_%./?#&=+ \\-\\\\\\t:@é]{0,12}").unwrap()
    }

    /// What the engine puts in a path: ids, percent-encoded.
    fn plain_segment() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[a-zA-Z0-9_%\\-]{0,12}").unwrap()
    }

    fn base_text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::from("https://clerk.example.com")),
            Just(String::from("http://127.0.0.1:3000/")),
            Just(String::from("http://localhost:8080/proxy/")),
            Just(String::from("HTTPS://Clerk.Example.com:443/A/../b")),
            text().prop_map(|path| format!("https://h.example/{path}")),
            (
                prop_oneof![Just("http"), Just("https"), Just("HTTP"), Just("foo"), Just("file")],
                proptest::string::string_regex("[a-zA-Z0-9.:@\\[\\]%\\-]{0,16}").unwrap(),
                text(),
            )
                .prop_map(|(scheme, authority, path)| format!("{scheme}://{authority}/{path}")),
            text().prop_map(|rest| format!("foo:{rest}")),
        ]
    }

    fn request_strategy() -> impl Strategy<Value = HttpRequest> {
        (
            proptest::collection::vec(prop_oneof![plain_segment(), text()], 1..4),
            proptest::collection::vec((text(), text(), any::<bool>()), 0..3),
        )
            .prop_map(|(segments, query)| HttpRequest {
                method: Method::Get,
                path: format!("/{}", segments.join("/")),
                query: query
                    .into_iter()
                    .map(
                        |(name, value, secret)| {
                            if secret { Field::secret(name, value) } else { Field::plain(name, value) }
                        },
                    )
                    .collect(),
                headers: Vec::new(),
                form: None,
            })
    }

    proptest! {
        /// Whatever the requests, in whatever order, repeated or not, each URL built is the
        /// one its whole text parses to.
        #[test]
        fn the_url_built_is_the_url_parsed(
            base in base_text(),
            requests in proptest::collection::vec(request_strategy(), 1..4),
            order in proptest::collection::vec(0usize..4, 1..8),
        ) {
            let mut base = BaseUrl::new(&base);
            for index in order {
                let request = &requests[index % requests.len()];
                let built = base.url_for(request).map(|url| url.to_string()).map_err(|e| e.to_string());
                let parsed = base.parse_whole(request).map(|url| url.to_string()).map_err(|e| e.to_string());
                prop_assert_eq!(built, parsed);
            }
        }
    }
}
