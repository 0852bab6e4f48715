//! A tiny native-mode FAPI client over ureq for the mock's tests, and shape checks against the
//! recordings in `../shared/fixtures/recorded/`.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use clerk_mock::MockServer;
use clerk_tests::response_schemas;
use serde_json::Value;

/// A mock that keeps its answers and, when the test ends without panicking, checks every one
/// of them against the spec's response schemas (but for the spec's known inaccuracies,
/// `clerk_tests::response_schemas::SPEC_DEVIATIONS`).
pub struct CheckedMock(MockServer);

/// Starts a [`CheckedMock`].
pub fn mock() -> CheckedMock {
    let mock = MockServer::start();
    mock.set_answer_recording(true);
    CheckedMock(mock)
}

impl std::ops::Deref for CheckedMock {
    type Target = MockServer;

    fn deref(&self) -> &MockServer {
        &self.0
    }
}

impl Drop for CheckedMock {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let Some(shared) = clerk_tests::shared_dir() else { return };
        let schemas = response_schemas::schemas(&shared);
        let mut findings = response_schemas::Findings::default();
        for answer in self.0.answers() {
            let request = &answer.request;
            let origin = format!("{} {} → {}", request.effective_method, request.path, answer.status);
            let method = &request.effective_method;
            findings.add(
                &origin,
                response_schemas::answer_violations(schemas, method, &request.path, answer.status, Some(&answer.body)),
            );
        }
        let unlisted = findings.unlisted();
        assert!(unlisted.is_empty(), "the mock's answers depart from the spec:\n{}", unlisted.join("\n"));
    }
}

/// One answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub token: Option<String>,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    /// The `Set-Cookie` header.
    pub set_cookie: Option<String>,
    pub body: Value,
}

/// A native client: remembers the client token the mock hands out.
pub struct Native {
    base: String,
    agent: ureq::Agent,
    pub token: Option<String>,
}

impl Native {
    pub fn new(base: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Self { base: base.to_owned(), agent, token: None }
    }

    fn url(&self, path: &str) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{separator}__clerk_api_version=2026-05-12&_is_native=true", self.base)
    }

    pub fn get(&mut self, path: &str) -> Answer {
        let mut request = self.agent.get(&self.url(path)).header("x-mobile", "1");
        if let Some(token) = &self.token {
            request = request.header("Authorization", token);
        }
        self.finish(request.call())
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        self.send("POST", path, form)
    }

    pub fn send(&mut self, method: &str, path: &str, form: &[(&str, &str)]) -> Answer {
        let url = self.url(path);
        let mut request = match method {
            "POST" => self.agent.post(&url),
            "PATCH" => self.agent.patch(&url),
            "PUT" => self.agent.put(&url),
            "DELETE" => {
                let mut request = self.agent.delete(&url).header("x-mobile", "1");
                if let Some(token) = &self.token {
                    request = request.header("Authorization", token);
                }
                return self.finish(request.call());
            }
            other => panic!("unsupported method {other}"),
        }
        .header("x-mobile", "1");
        if let Some(token) = &self.token {
            request = request.header("Authorization", token);
        }
        let result = request.send_form(form.iter().copied());
        self.finish(result)
    }

    fn finish(&mut self, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut response = result.expect("transport error");
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let token = header("authorization");
        let content_type = header("content-type");
        let retry_after = header("retry-after");
        let set_cookie = header("set-cookie");
        let text = response.body_mut().read_to_string().expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if let Some(token) = &token {
            self.token = Some(token.clone());
        }
        Answer { status: response.status().as_u16(), token, content_type, retry_after, set_cookie, body }
    }
}

/// A browser-mode client (no `_is_native`, no `Authorization`): keeps the `__client` cookie
/// the mock sets and sends it back, as a browser's cookie jar would.
pub struct Browser {
    base: String,
    agent: ureq::Agent,
    pub cookie: Option<String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Self { base: base.to_owned(), agent, cookie: None }
    }

    fn url(&self, path: &str) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{separator}__clerk_api_version=2026-05-12", self.base)
    }

    pub fn get(&mut self, path: &str) -> Answer {
        let mut request = self.agent.get(&self.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", format!("__client={cookie}"));
        }
        self.finish(request.call())
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut request = self.agent.post(&self.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", format!("__client={cookie}"));
        }
        let result = request.send_form(form.iter().copied());
        self.finish(result)
    }

    fn finish(&mut self, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
        let mut response = result.expect("transport error");
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let token = header("authorization");
        let set_cookie = header("set-cookie");
        let content_type = header("content-type");
        let retry_after = header("retry-after");
        if let Some(value) = set_cookie.as_deref().and_then(|c| c.split(';').next()?.strip_prefix("__client=")) {
            self.cookie = Some(value.to_owned());
        }
        let text = response.body_mut().read_to_string().expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status: response.status().as_u16(), token, content_type, retry_after, set_cookie, body }
    }
}

/// Sends a raw request to the mock and returns everything it answers until it closes the
/// connection (a reset after some bytes keeps those bytes). A request that should be answered
/// normally needs `connection: close`, or this waits for the 5 s read timeout.
pub fn raw_exchange(port: u16, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5))).expect("timeout");
    stream.write_all(request.as_bytes()).expect("write");
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    String::from_utf8_lossy(&received).into_owned()
}

/// `../shared/fixtures/recorded/`, or `None` (loud skip) outside CI when it is missing.
pub fn recordings() -> Option<PathBuf> {
    let shared = std::env::var_os("CLERK_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("fixtures/recorded");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "shared test data missing at {}", dir.display());
    eprintln!("SKIPPING shape checks: no recordings at {} (set CLERK_SHARED_DIR)", dir.display());
    None
}

/// The keys of the object at `pointer` in a recorded exchange's body.
pub fn recorded_keys(file: &str, pointer: &str) -> Option<BTreeSet<String>> {
    let path = recordings()?.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let exchange: Value = serde_json::from_str(&text).expect("recording is JSON");
    let object = exchange["body"].pointer(pointer).unwrap_or_else(|| panic!("{file}{pointer} missing"));
    Some(object.as_object().expect("an object").keys().cloned().collect())
}

/// Asserts that `actual` carries every field the recording carries at that place.
pub fn assert_recorded_shape(actual: &Value, file: &str, pointer: &str) {
    let Some(expected) = recorded_keys(file, pointer) else { return };
    let actual_keys: BTreeSet<String> =
        actual.as_object().unwrap_or_else(|| panic!("not an object: {actual}")).keys().cloned().collect();
    let missing: Vec<&String> = expected.difference(&actual_keys).collect();
    assert!(missing.is_empty(), "fields of {file}{pointer} missing from the mock's object: {missing:?}\n{actual}");
}

/// Asserts the field is a millisecond timestamp (an integer after 2001).
pub fn assert_ms(value: &Value) {
    let ms = value.as_i64().unwrap_or_else(|| panic!("not an integer timestamp: {value}"));
    assert!(ms > 1_000_000_000_000, "not milliseconds: {ms}");
}
