//! Shared helpers for the cross-crate tests: finding the shared test data beside the checkout
//! and loading the recorded Frontend API exchanges with their placeholders filled in.
//!
//! The test data lives in `../shared/` (or wherever `CLERK_SHARED_DIR` points) and is never
//! copied into the repository. When it is missing, tests fail under CI (`CI=true`) and skip
//! with a loud message elsewhere: see [`shared_dir`].
#![forbid(unsafe_code)]
// Test support: a broken fixture must stop the test run loudly, so panicking is the point.
#![allow(clippy::panic, clippy::expect_used)]
// The README's snippets ([`ReadmeSnippets`]) are this crate's only doctests: a reader pastes
// them, so they must build without warnings. Their functions are not called here.
#![doc(test(attr(deny(warnings), allow(dead_code))))]

/// The Rust snippets of the repository's README, built by `cargo test --doc -p clerk-tests`
/// (warnings are errors) so that they keep compiling against the crates as they change.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeSnippets;

pub mod fuzzing;
pub mod golden;
pub mod harness;
pub mod replay;
pub mod response_schemas;
pub mod spec;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The Unix time, in milliseconds, that `"%%DATETIME 0%%"` becomes (2025-12-31T00:00:00Z).
/// `"%%DATETIME n%%"` becomes `DATETIME_BASE_MS + n * 1000`.
pub const DATETIME_BASE_MS: i64 = 1_767_139_200_000;

/// What `%%EMAIL%%` becomes.
pub const EMAIL: &str = "user+clerk_test@example.com";

/// What `%%PHONE%%` becomes.
pub const PHONE: &str = "+15555550100";

/// What `%%FIRSTNAME%%` becomes.
pub const FIRST_NAME: &str = "Ada";

/// What `%%LASTNAME%%` becomes.
pub const LAST_NAME: &str = "Lovelace";

/// The placeholder the recorder put where a session JWT was; kept as is by
/// [`substitute_placeholders`], because the engine must tolerate a malformed token.
pub const PLACEHOLDER_JWT: &str = "e30=.e30=.e30=";

/// The number of recorded exchanges in `fixtures/recorded/`.
pub const RECORDED_FILE_COUNT: usize = 176;

/// The shared test-data directory: `$CLERK_SHARED_DIR`, or `<workspace root>/../shared`.
///
/// When it does not exist: under CI (`CI=true`) this panics, so a misconfigured pipeline
/// cannot pass by skipping; elsewhere it prints a loud skip line to stderr and returns `None`,
/// and the caller returns early.
#[must_use]
pub fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CLERK_SHARED_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..").join("shared"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "shared test data not found at {} (CI=true): check out the shared data beside the \
             repository or set CLERK_SHARED_DIR",
            dir.display()
        );
    }
    eprintln!(
        "!!!!! SKIPPED: shared test data not found at {}; set CLERK_SHARED_DIR to run this test !!!!!",
        dir.display()
    );
    None
}

/// One recorded request/response exchange of a flow
/// (`fixtures/recorded/<flow>/<index>.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedExchange {
    /// The flow, as its folder path (`clerk_auth/sign_in_test/sign_in_with_password`).
    pub flow: String,
    /// The position in the flow, from the file name (`003.json` → 3).
    pub index: u32,
    /// The recorded key: `"<METHOD> <path>[?query] [form parameters]"`.
    pub key: String,
    /// The HTTP method (`GET`, `POST`, …).
    pub method: String,
    /// The path without the query (`/v1/client/sign_ins/SIGN_IN_ID/attempt_first_factor`).
    pub path: String,
    /// The query pairs in order (`[("_clerk_session_id", "SESSION_ID")]`).
    pub query: Vec<(String, String)>,
    /// The form parameters of the key, in order: `name` alone (value withheld by the
    /// recorder) or `name=value`.
    pub params: Vec<(String, Option<String>)>,
    /// The response body: JSON text after [`substitute_placeholders`].
    pub body: Vec<u8>,
}

impl RecordedExchange {
    /// The file this exchange was read from, relative to `fixtures/recorded/`.
    #[must_use]
    pub fn file_name(&self) -> String {
        format!("{}/{:03}.json", self.flow, self.index)
    }

    /// The value of a form parameter: `Some(Some(v))` for `name=v`, `Some(None)` for a bare
    /// `name`, `None` when absent.
    #[must_use]
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_deref())
    }
}

/// Every recorded flow with its exchanges, flows sorted by name and exchanges by index.
/// Empty when the shared directory is missing (see [`shared_dir`]).
///
/// # Panics
///
/// When a recorded file cannot be read or is not `{ "key": …, "body": … }`.
#[must_use]
pub fn recorded_flows() -> Vec<(String, Vec<RecordedExchange>)> {
    let Some(shared) = shared_dir() else {
        return Vec::new();
    };
    let root = shared.join("fixtures").join("recorded");
    let mut files = Vec::new();
    collect_json_files(&root, &mut files);

    let mut flows: Vec<(String, Vec<RecordedExchange>)> = Vec::new();
    for file in files {
        let exchange = read_exchange(&root, &file);
        match flows.iter_mut().find(|(flow, _)| *flow == exchange.flow) {
            Some((_, exchanges)) => exchanges.push(exchange),
            None => flows.push((exchange.flow.clone(), vec![exchange])),
        }
    }
    flows.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, exchanges) in &mut flows {
        exchanges.sort_by_key(|exchange| exchange.index);
    }
    flows
}

fn collect_json_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display())).path();
        if path.is_dir() {
            collect_json_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
}

#[derive(serde::Deserialize)]
struct RecordedFile {
    key: String,
    body: Box<serde_json::value::RawValue>,
}

fn read_exchange(root: &Path, file: &Path) -> RecordedExchange {
    let text = std::fs::read_to_string(file).unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
    let recorded: RecordedFile = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not a recorded exchange: {err}", file.display()));

    let relative = file
        .parent()
        .and_then(|parent| parent.strip_prefix(root).ok())
        .unwrap_or_else(|| panic!("{} is outside {}", file.display(), root.display()));
    let flow =
        relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/");
    let index = file
        .file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| stem.parse::<u32>().ok())
        .unwrap_or_else(|| panic!("{} is not named <number>.json", file.display()));

    let (method, path, query, params) =
        parse_key(&recorded.key).unwrap_or_else(|| panic!("{}: malformed key {:?}", file.display(), recorded.key));

    RecordedExchange {
        flow,
        index,
        key: recorded.key.clone(),
        method,
        path,
        query,
        params,
        body: substitute_placeholders(recorded.body.get()).into_bytes(),
    }
}

type ParsedKey = (String, String, Vec<(String, String)>, Vec<(String, Option<String>)>);

fn parse_key(key: &str) -> Option<ParsedKey> {
    let (method, rest) = key.split_once(' ')?;
    let (target, form) = rest.split_once(' ').unwrap_or((rest, ""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect();
    let params = form
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (pair.to_owned(), None),
        })
        .collect();
    Some((method.to_owned(), path.to_owned(), query, params))
}

/// A recorded answer as the benchmarks and profilers feed it to the engine: the body of
/// exchange `index` of `flow`, placeholders substituted, and the recorder's placeholder JWT
/// ([`PLACEHOLDER_JWT`], whose claims are empty) replaced by a well-formed session token
/// issued at [`harness::START`] for a minute, since the engine reads a token's claims.
///
/// # Panics
///
/// When the recording is missing.
#[must_use]
pub fn recorded_answer(flow: &str, index: u32) -> Vec<u8> {
    let body = recorded_flows()
        .into_iter()
        .find(|(name, _)| name == flow)
        .and_then(|(_, exchanges)| exchanges.into_iter().find(|e| e.index == index))
        .map(|e| e.body)
        .unwrap_or_else(|| panic!("missing recording {flow}/{index:03}"));
    let issued = harness::START.unix_timestamp();
    String::from_utf8(body)
        .unwrap_or_else(|e| panic!("{e}"))
        .replace(PLACEHOLDER_JWT, &canned_jwt("SESSION_ID", issued, issued + 60))
        .into_bytes()
}

/// The answer `GET /v1/client` gives for the client a recorded answer carries
/// (`{"response": <client>, "client": null}`), the client's text exactly as recorded.
///
/// # Panics
///
/// When `answer` is not JSON with a `client`.
#[must_use]
pub fn client_answer_from(answer: &[u8]) -> Vec<u8> {
    #[derive(serde::Deserialize)]
    struct WithClient<'a> {
        #[serde(borrow)]
        client: &'a serde_json::value::RawValue,
    }
    let recorded: WithClient<'_> = serde_json::from_slice(answer).unwrap_or_else(|e| panic!("{e}"));
    format!("{{\n  \"response\": {},\n  \"client\": null\n}}", recorded.client.get()).into_bytes()
}

/// `json` without insignificant whitespace, keys and everything else in their order: a
/// recorded body (stored indented, nested in the recording's wrapper) as the server sent
/// it on the wire. Whitespace inside strings is kept; the input is assumed to be JSON.
#[must_use]
pub fn minify_json(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for &byte in json {
        if in_string {
            out.push(byte);
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
        } else if !matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
            in_string = byte == b'"';
            out.push(byte);
        }
    }
    out
}

/// Fills in the recorder's placeholders (see `fixtures/recorded/README.md`):
///
/// - the quoted string `"%%DATETIME n%%"` becomes the integer `DATETIME_BASE_MS + n * 1000`
///   (on the wire it is an integer; the quotes go too);
/// - `%%EMAIL%%`, `%%PHONE%%`, `%%FIRSTNAME%%`, `%%LASTNAME%%` inside strings become
///   [`EMAIL`], [`PHONE`], [`FIRST_NAME`], [`LAST_NAME`];
/// - except that a string value that is exactly one of those placeholders, under the key
///   `first_name`, `last_name` or `email_address` of an `auth_config` object, becomes `on`
///   (the recorder overwrote those `on`/`off`/`required` settings).
///
/// Ids (`SIGN_IN_ID`, …) and the placeholder JWT [`PLACEHOLDER_JWT`] are left as they are.
/// The text is scanned as JSON tokens, so formatting and key order are kept.
#[must_use]
pub fn substitute_placeholders(text: &str) -> String {
    struct Frame {
        is_object: bool,
        expecting_key: bool,
        key: Option<String>,
        /// The key this container is the value of.
        name: Option<String>,
    }

    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let mut end = i + 1;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let content = &text[i + 1..end.min(bytes.len())];
                let after = (end + 1).min(bytes.len());
                out.push_str(&text[copied..i]);
                match stack.last_mut() {
                    Some(frame) if frame.is_object && frame.expecting_key => {
                        frame.key = Some(content.to_owned());
                        frame.expecting_key = false;
                        out.push_str(&text[i..after]);
                    }
                    frame => {
                        let in_auth_config_setting = frame.is_some_and(|frame| {
                            frame.is_object
                                && frame.name.as_deref() == Some("auth_config")
                                && matches!(frame.key.as_deref(), Some("first_name" | "last_name" | "email_address"))
                        });
                        out.push_str(&substitute_string(content, in_auth_config_setting));
                    }
                }
                copied = after;
                i = after;
            }
            open @ (b'{' | b'[') => {
                let name = stack.last().filter(|frame| frame.is_object).and_then(|frame| frame.key.clone());
                stack.push(Frame { is_object: open == b'{', expecting_key: open == b'{', key: None, name });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b',' => {
                if let Some(frame) = stack.last_mut().filter(|frame| frame.is_object) {
                    frame.expecting_key = true;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[copied.min(text.len())..]);
    out
}

/// The replacement of one JSON string value (`content` without its quotes), quotes included.
fn substitute_string(content: &str, in_auth_config_setting: bool) -> String {
    if let Some(n) = content
        .strip_prefix("%%DATETIME ")
        .and_then(|rest| rest.strip_suffix("%%"))
        .and_then(|n| n.trim().parse::<i64>().ok())
        && let Some(millis) = n.checked_mul(1000).and_then(|offset| DATETIME_BASE_MS.checked_add(offset))
    {
        return millis.to_string();
    }
    if in_auth_config_setting && matches!(content, "%%FIRSTNAME%%" | "%%LASTNAME%%" | "%%EMAIL%%") {
        return "\"on\"".to_owned();
    }
    let replaced = content
        .replace("%%EMAIL%%", EMAIL)
        .replace("%%PHONE%%", PHONE)
        .replace("%%FIRSTNAME%%", FIRST_NAME)
        .replace("%%LASTNAME%%", LAST_NAME);
    format!("\"{replaced}\"")
}

/// An unsigned, JWT-shaped session token for tests that read claims: a base64url header
/// (`{"alg":"RS256","kid":"ins_test","typ":"JWT"}`), base64url claims
/// `{"sid":…,"sub":"user_test","iat":…,"exp":…,"nbf":…}` (`iat`/`exp` in seconds, `nbf` =
/// `iat`), and a fake signature. Nothing can verify it.
#[must_use]
pub fn canned_jwt(sid: &str, iat: i64, exp: i64) -> String {
    let header = r#"{"alg":"RS256","kid":"ins_test","typ":"JWT"}"#;
    let sid = serde_json::to_string(sid).expect("a string serializes");
    let claims = format!(r#"{{"sid":{sid},"sub":"user_test","iat":{iat},"exp":{exp},"nbf":{iat}}}"#);
    format!("{}.{}.{}", base64url(header.as_bytes()), base64url(claims.as_bytes()), base64url(b"not-a-real-signature"))
}

/// Base64url without padding (RFC 4648 §5), as JWTs use it.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for k in 0..chars {
            let index = (n >> (18 - 6 * k)) & 0x3f;
            let _ = out.write_char(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn minify_json_drops_layout_only() {
        let pretty = b"{\n  \"a b\": [ 1,\n    \"x \\\" y\" ],\r\n\t\"c\": { }\n}\n";
        assert_eq!(super::minify_json(pretty), br#"{"a b":[1,"x \" y"],"c":{}}"#.to_vec());
        let value: serde_json::Value = serde_json::from_slice(pretty).expect("valid");
        let minified: serde_json::Value = serde_json::from_slice(&super::minify_json(pretty)).expect("still valid");
        assert_eq!(value, minified);
    }

    use super::*;

    #[test]
    fn datetimes_become_integers_and_personal_data_is_filled_in() {
        let text = r#"{"created_at": "%%DATETIME -4%%", "expire_at":"%%DATETIME 1%%",
            "identifier": "%%EMAIL%%", "phone": "%%PHONE%%",
            "user": {"first_name": "%%FIRSTNAME%%", "last_name": "%%LASTNAME%%"},
            "id": "SIGN_IN_ID", "jwt": "e30=.e30=.e30=", "note": "say \"%%DATETIME 1%%\""}"#;
        let value: serde_json::Value = serde_json::from_str(&substitute_placeholders(text)).expect("valid JSON");
        assert_eq!(value["created_at"], DATETIME_BASE_MS - 4000);
        assert_eq!(value["expire_at"], DATETIME_BASE_MS + 1000);
        assert_eq!(value["identifier"], EMAIL);
        assert_eq!(value["phone"], PHONE);
        assert_eq!(value["user"]["first_name"], FIRST_NAME);
        assert_eq!(value["user"]["last_name"], LAST_NAME);
        assert_eq!(value["id"], "SIGN_IN_ID");
        assert_eq!(value["jwt"], PLACEHOLDER_JWT);
        assert_eq!(value["note"], "say \"%%DATETIME 1%%\"");
    }

    #[test]
    fn auth_config_settings_become_on_but_nothing_else_does() {
        let text = r#"{"auth_config": {"object": "auth_config", "first_name": "%%FIRSTNAME%%",
              "last_name": "%%LASTNAME%%", "email_address": "%%EMAIL%%", "password": "required",
              "nested": {"first_name": "%%FIRSTNAME%%"}},
            "display_config": {"first_name": "%%FIRSTNAME%%"},
            "sign_up": {"email_address": "%%EMAIL%%"}}"#;
        let value: serde_json::Value = serde_json::from_str(&substitute_placeholders(text)).expect("valid JSON");
        assert_eq!(value["auth_config"]["first_name"], "on");
        assert_eq!(value["auth_config"]["last_name"], "on");
        assert_eq!(value["auth_config"]["email_address"], "on");
        assert_eq!(value["auth_config"]["password"], "required");
        assert_eq!(value["auth_config"]["nested"]["first_name"], FIRST_NAME);
        assert_eq!(value["display_config"]["first_name"], FIRST_NAME);
        assert_eq!(value["sign_up"]["email_address"], EMAIL);
    }

    #[test]
    fn keys_are_split_into_method_path_query_and_params() {
        let (method, path, query, params) = parse_key(
            "POST /v1/me/email_addresses/idn_1/prepare_verification?_clerk_session_id=SESSION_ID \
             redirect_url=https://redirect.to.somewhere&strategy=email_link&password",
        )
        .expect("parses");
        assert_eq!(method, "POST");
        assert_eq!(path, "/v1/me/email_addresses/idn_1/prepare_verification");
        assert_eq!(query, [("_clerk_session_id".to_owned(), "SESSION_ID".to_owned())]);
        assert_eq!(
            params,
            [
                ("redirect_url".to_owned(), Some("https://redirect.to.somewhere".to_owned())),
                ("strategy".to_owned(), Some("email_link".to_owned())),
                ("password".to_owned(), None),
            ]
        );
        let (method, path, query, params) = parse_key("GET /v1/environment").expect("parses");
        assert_eq!((method.as_str(), path.as_str()), ("GET", "/v1/environment"));
        assert!(query.is_empty() && params.is_empty());
    }

    #[test]
    fn canned_jwt_carries_the_claims() {
        let jwt = canned_jwt("sess_1", 1_767_139_200, 1_767_139_260);
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], base64url(br#"{"alg":"RS256","kid":"ins_test","typ":"JWT"}"#));
        assert!(parts.iter().all(|part| !part.contains('=') && !part.is_empty()));
        assert_eq!(
            parts[1],
            base64url(br#"{"sid":"sess_1","sub":"user_test","iat":1767139200,"exp":1767139260,"nbf":1767139200}"#)
        );
    }

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), expected);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
