//! The `clerk` program, run as a user runs it: the demo and its transcript (valid requests,
//! no secrets, reproduced by `clerk replay`), the hint without a key, and scripted sign-in,
//! whoami, token and sign-out against a `MockServer`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use clerk_core::encoding::form_decode;
use clerk_mock::{MockServer, Totp, UserSpec};
use clerk_spec::{RequestShape, SpecTable};
use clerk_store::{TranscriptEntry, TranscriptReader};
use serde_json::Value;

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!("clerk-cli-{label}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `clerk` with `args`, no publishable key from the environment, `stdin` piped in.
fn clerk(args: &[&str], key: Option<&str>, stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clerk"));
    command
        .args(args)
        .env_remove("CLERK_PUBLISHABLE_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key {
        command.env("CLERK_PUBLISHABLE_KEY", key);
    }
    let mut child = command.spawn().expect("clerk runs");
    // A program that stops before reading its input (a usage error) closes the pipe first.
    if let Err(error) = child.stdin.take().expect("stdin").write_all(stdin.as_bytes()) {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {error}");
    }
    child.wait_with_output().expect("clerk finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn succeeded(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// The exit status of `clerk whoami` when no one is signed in.
const NOT_SIGNED_IN: i32 = 3;

/// A `whoami` that found no one signed in: exit status [`NOT_SIGNED_IN`], its standard
/// output still printed (and returned).
fn signed_out(output: &Output, what: &str) -> String {
    assert_eq!(
        output.status.code(),
        Some(NOT_SIGNED_IN),
        "{what}\nstdout:\n{}\nstderr:\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// The base64url header every mock client token starts with (`{"alg":"none","typ":"client"}`).
const CLIENT_TOKEN_HEADER: &str = "eyJhbGciOiJub25lIiwidHlwIjoiY2xpZW50In0";

fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    value.starts_with("[redacted#") && value.ends_with(']')
}

/// Splits a transcript request's URL into path and decoded query.
fn path_and_query(url: &str) -> (String, Vec<(String, String)>) {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_and_query = after_scheme.find('/').map_or("/", |index| &after_scheme[index..]);
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    (path.to_owned(), form_decode(query).expect("query decodes"))
}

#[test]
fn the_demo_runs_its_transcript_is_clean_and_replays() {
    let dir = TempDir::new("demo");
    let transcript = dir.path().join("demo.jsonl");
    let transcript_arg = transcript.to_str().expect("utf-8 path");
    let output = clerk(&["demo", "--transcript", transcript_arg], None, "");
    let stdout = succeeded(&output, "clerk demo");
    for step in [
        "1. Load the environment",
        "2. Sign up as",
        "3. Sign out",
        "4. Sign in as",
        "5. Get a session token",
        "6. Open a second session",
        "7. Switch back to the first session",
        "8. Sign out of every session",
    ] {
        assert!(stdout.contains(step), "the demo did not show {step:?}:\n{stdout}");
    }
    assert!(stdout.contains("signature verified"), "the demo did not verify the JWT:\n{stdout}");
    // Request bodies read as typed, not form-encoded, secrets redacted.
    assert!(
        stdout.contains("identifier=demo+clerk_test@example.com password=[redacted]"),
        "the demo's sign-in body is not readable:\n{stdout}"
    );
    assert!(stdout.contains("strategy=totp code=[redacted]"), "{stdout}");
    // The tour ends with no one signed in, and points to no command its in-memory client
    // could not answer.
    assert!(stdout.contains("No signed-in sessions (3 removed)."), "{stdout}");
    assert!(!stdout.contains("sessions --all"), "{stdout}");
    for secret in ["demo-password-42", "a-fresh-password-77", "424242"] {
        assert!(!stdout.contains(secret), "the demo printed {secret:?}");
    }

    // The transcript: no passwords, no codes, no client tokens.
    let raw = std::fs::read_to_string(&transcript).expect("the transcript was written");
    for secret in ["demo-password-42", "a-fresh-password-77", "424242"] {
        assert!(!raw.contains(secret), "the transcript contains {secret:?}");
    }
    let entries: Vec<TranscriptEntry> =
        TranscriptReader::open(&transcript).expect("readable").collect::<Result<_, _>>().expect("every line parses");
    // Every step's request is there (the session token comes from the cache the sign-in
    // filled, so it may not need one).
    let sent: Vec<String> =
        entries.iter().map(|e| format!("{} {}", e.request.method, path_and_query(&e.request.url).0)).collect();
    for (method, suffix) in [
        ("GET", "/v1/environment"),
        ("POST", "/v1/client/sign_ups"),
        ("POST", "/prepare_verification"),
        ("POST", "/attempt_verification"),
        ("POST", "/v1/client/sign_ins"),
        ("POST", "/attempt_second_factor"),
        ("POST", "/touch"),
        ("DELETE", "/v1/client/sessions"),
    ] {
        assert!(
            sent.iter().any(|line| line.starts_with(method) && line.ends_with(suffix)),
            "no {method} …{suffix} in the transcript: {sent:#?}"
        );
    }
    let mut authorizations = 0;
    for entry in &entries {
        let response_headers = entry.outcome.as_ref().map(|r| r.headers.clone()).unwrap_or_default();
        for (name, value) in entry.request.headers.iter().chain(response_headers.iter()) {
            if name.eq_ignore_ascii_case("authorization") {
                authorizations += 1;
                assert!(is_placeholder(value), "an authorization value is not a placeholder: {value}");
            }
        }
    }
    assert!(authorizations > 0, "no authorization header was recorded at all");
    // A client token anywhere else (a body, a URL) keeps at most its header and claims.
    for (index, _) in raw.match_indices(CLIENT_TOKEN_HEADER) {
        let rest = &raw[index..];
        let token: String = rest.chars().take_while(|c| !matches!(c, '"' | '&' | '\\' | ' ')).collect();
        let signature = token.splitn(3, '.').nth(2).unwrap_or_default();
        assert!(
            signature.starts_with("[redacted#") || signature.starts_with("%5Bredacted"),
            "a client token appears in the transcript: {token}"
        );
    }

    // Every request passes the spec validation the mock applies.
    let spec = SpecTable::load().expect("spec table");
    for entry in &entries {
        let (path, query) = path_and_query(&entry.request.url);
        let form = form_decode(&entry.request.body).expect("body decodes");
        let shape = RequestShape {
            method: &entry.request.method,
            path: &path,
            query: &query,
            headers: &entry.request.headers,
            form: &form,
        };
        if let Err(violations) = spec.validate(&shape) {
            panic!("{} {} is not in the spec: {violations:?}", entry.request.method, entry.request.url);
        }
        let status = entry.outcome.as_ref().map(|r| r.status).expect("no transport error in the demo");
        assert!(status < 400, "{} {} was answered {status}", entry.request.method, path);
    }

    // `clerk replay` reproduces every request.
    let replay = clerk(&["replay", transcript_arg], None, "");
    let replayed = succeeded(&replay, "clerk replay");
    assert!(replayed.contains("every request matched"), "{replayed}");
    assert!(replayed.contains(&format!("Replayed {} exchanges", entries.len())), "{replayed}");
}

#[test]
fn without_a_key_it_points_to_the_demo_and_the_mock() {
    let output = clerk(&["whoami"], None, "");
    assert!(!output.status.success(), "whoami without a key succeeded");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("CLERK_PUBLISHABLE_KEY"), "{stderr}");
    assert!(stderr.contains("clerk demo"), "{stderr}");
    assert!(stderr.contains("clerk-mock"), "{stderr}");
}

fn json_line(stdout: &str) -> Value {
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with(['{', '['])).expect("a JSON line");
    serde_json::from_str(line).expect("JSON")
}

/// Verifies a JWT against the mock's JWKS with an independent library; its claims.
fn verify(mock: &MockServer, jwt: &str) -> Value {
    let header = jsonwebtoken::decode_header(jwt).expect("JWT header");
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(mock.jwks()).expect("JWKS");
    let jwk = set.find(header.kid.as_deref().expect("kid")).expect("key");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    validation.leeway = 30;
    jsonwebtoken::decode::<Value>(jwt, &key, &validation).expect("the JWT verifies").claims
}

#[test]
fn scripted_sign_in_whoami_token_and_sign_out() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let user = mock.add_user(UserSpec::with_email("cli@example.com").password("cli-password-1234"));
    mock.add_user(
        UserSpec::with_email("mfa@example.com")
            .password("cli-password-1234")
            .mfa_totp(Totp::FixedCode(String::from("135790"))),
    );
    let dir = TempDir::new("scripted");
    let store = dir.path().to_str().expect("utf-8 path");

    // A wrong password: a readable error, non-zero exit.
    let wrong = clerk(
        &["sign-in", "--identifier", "cli@example.com", "--password-stdin", "--store-dir", store],
        Some(&key),
        "not-the-password\n",
    );
    assert!(!wrong.status.success());
    assert!(text(&wrong.stderr).contains("form_password_incorrect"), "{}", text(&wrong.stderr));

    let signed_in = clerk(
        &["sign-in", "--identifier", "cli@example.com", "--password-stdin", "--store-dir", store],
        Some(&key),
        "cli-password-1234\n",
    );
    let stdout = succeeded(&signed_in, "clerk sign-in");
    assert!(stdout.contains("Signed in as cli@example.com"), "{stdout}");

    // A new process, the same store: still signed in.
    let whoami = json_line(&succeeded(&clerk(&["whoami", "--json", "--store-dir", store], Some(&key), ""), "whoami"));
    assert_eq!(whoami["signed_in"], true, "{whoami}");
    assert_eq!(whoami["user_id"], user.as_str());
    assert_eq!(whoami["email"], "cli@example.com");
    let session = whoami["session_id"].as_str().expect("session id").to_owned();

    let token = succeeded(&clerk(&["token", "--store-dir", store], Some(&key), ""), "clerk token");
    let jwt = token.trim();
    assert_eq!(jwt.split('.').count(), 3, "not a JWT: {jwt}");
    let claims = verify(&mock, jwt);
    assert_eq!(claims["sid"], session.as_str());
    assert_eq!(claims["sub"], user.as_str());
    assert_eq!(whoami["offline"], false, "{whoami}");

    // With --json the token comes with what a script needs from its claims.
    let token =
        json_line(&succeeded(&clerk(&["token", "--json", "--store-dir", store], Some(&key), ""), "token --json"));
    let claims = verify(&mock, token["jwt"].as_str().expect("a jwt"));
    assert_eq!(token["session_id"], session.as_str(), "{token}");
    assert_eq!(token["user_id"], user.as_str(), "{token}");
    assert_eq!(token["expires_at"], claims["exp"], "{token}");

    // A second session with a TOTP second factor given by --code.
    let mfa = clerk(
        &["sign-in", "--identifier", "mfa@example.com", "--password-stdin", "--code", "135790", "--store-dir", store],
        Some(&key),
        "cli-password-1234\n",
    );
    assert!(succeeded(&mfa, "clerk sign-in with TOTP").contains("Signed in as mfa@example.com"));
    let sessions = succeeded(&clerk(&["sessions", "--json", "--store-dir", store], Some(&key), ""), "sessions");
    let listed = json_line(&sessions);
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");

    let out = succeeded(&clerk(&["sign-out", "--all", "--store-dir", store], Some(&key), ""), "clerk sign-out --all");
    assert!(out.contains("Signed out"), "{out}");
    assert_ne!(mock.session_status(&session).as_deref(), Some("active"), "the server still has the session");
    let whoami = json_line(&signed_out(&clerk(&["whoami", "--json", "--store-dir", store], Some(&key), ""), "whoami"));
    assert_eq!(whoami["signed_in"], false, "{whoami}");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// A mock with one password user, and a store dir signed in as that user.
fn signed_in(mock: &MockServer, email: &str) -> TempDir {
    mock.add_user(UserSpec::with_email(email).password("cli-password-1234"));
    let dir = TempDir::new("signed-in");
    let store = dir.path().to_str().expect("utf-8 path");
    let output = clerk(
        &["sign-in", "--identifier", email, "--password-stdin", "--store-dir", store],
        Some(&mock.publishable_key()),
        "cli-password-1234\n",
    );
    succeeded(&output, "clerk sign-in");
    dir
}

/// `clerk replay FILE`, which must succeed and say every request matched.
fn replays(transcript: &Path, what: &str) -> String {
    let output = clerk(&["replay", transcript.to_str().expect("utf-8 path")], None, "");
    let stdout = succeeded(&output, &format!("clerk replay of {what}"));
    assert!(stdout.contains("every request matched"), "{stdout}");
    stdout
}

#[test]
fn without_the_server_whoami_shows_the_stored_user_and_sign_out_clears_it_locally() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let dir = signed_in(&mock, "offline@example.com");
    let store = dir.path().to_str().expect("utf-8 path");
    drop(mock);

    let whoami = clerk(&["whoami", "--json", "--store-dir", store], Some(&key), "");
    let shown = json_line(&succeeded(&whoami, "whoami without the server"));
    assert_eq!(shown["signed_in"], true, "{shown}");
    assert_eq!(shown["email"], "offline@example.com", "{shown}");
    assert_eq!(shown["offline"], true, "the JSON says it is the stored state: {shown}");
    let warning = text(&whoami.stderr);
    assert!(warning.contains("could not reach") && warning.contains("stored on this machine"), "{warning}");

    let sessions = clerk(&["sessions", "--json", "--store-dir", store], Some(&key), "");
    assert_eq!(json_line(&succeeded(&sessions, "sessions without the server")).as_array().map(Vec::len), Some(1));

    // A command that needs the server fails at once, saying the server is unreachable
    // (not that it is showing the stored state).
    let token = clerk(&["token", "--skip-cache", "--store-dir", store], Some(&key), "");
    assert!(!token.status.success(), "a token was fetched without a server");
    let said = text(&token.stderr);
    assert!(said.contains("cannot reach the Frontend API") && !said.contains("stored on this machine"), "{said}");

    let sign_out = clerk(&["sign-out", "--store-dir", store], Some(&key), "");
    let said = succeeded(&sign_out, "sign-out without the server");
    assert!(said.contains("Signed out") && said.contains("on this machine only"), "{said}");
    let whoami = clerk(&["whoami", "--json", "--store-dir", store], Some(&key), "");
    assert_eq!(json_line(&signed_out(&whoami, "whoami after signing out"))["signed_in"], false);
}

#[test]
fn a_transcript_of_whoami_against_a_closed_port_replays_with_its_retries() {
    let key = MockServer::start().publishable_key(); // the mock stops at once: its port is closed
    let dir = TempDir::new("closed-port");
    let transcript = dir.path().join("whoami.jsonl");
    let store = dir.path().join("store");
    let args =
        ["whoami", "--transcript", transcript.to_str().expect("utf-8"), "--store-dir", store.to_str().expect("utf-8")];
    signed_out(&clerk(&args, Some(&key), ""), "whoami against a closed port");
    let entries: Vec<TranscriptEntry> =
        TranscriptReader::open(&transcript).expect("readable").collect::<Result<_, _>>().expect("every line parses");
    assert!(entries.len() > 1, "no retries recorded: {} entries", entries.len());
    assert!(entries.iter().all(|entry| entry.outcome.is_err()), "a request was answered");
    assert!(entries.iter().skip(1).all(|entry| entry.request.url.contains("_clerk_retry_attempt=")));
    replays(&transcript, "whoami against a closed port");
}

#[test]
fn transcripts_of_token_with_a_template_or_skip_cache_replay() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let dir = signed_in(&mock, "tokens@example.com");
    let store = dir.path().to_str().expect("utf-8 path");
    for (name, flags) in [("template", &["--template", "tpl"][..]), ("skip-cache", &["--skip-cache"][..])] {
        let transcript = dir.path().join(format!("token-{name}.jsonl"));
        let mut args = vec!["token", "--store-dir", store, "--transcript", transcript.to_str().expect("utf-8")];
        args.extend_from_slice(flags);
        let jwt = succeeded(&clerk(&args, Some(&key), ""), &format!("clerk token {flags:?}"));
        assert_eq!(jwt.trim().split('.').count(), 3, "not a JWT: {jwt}");
        let raw = std::fs::read_to_string(&transcript).expect("the transcript was written");
        assert!(raw.contains("/tokens"), "no token request was recorded:\n{raw}");
        replays(&transcript, &format!("token {flags:?}"));
    }
}

#[test]
fn replay_stops_at_a_request_sent_to_another_origin() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let dir = signed_in(&mock, "origin@example.com");
    let store = dir.path().to_str().expect("utf-8 path");
    let transcript = dir.path().join("whoami.jsonl");
    let args = ["whoami", "--store-dir", store, "--transcript", transcript.to_str().expect("utf-8")];
    succeeded(&clerk(&args, Some(&key), ""), "whoami");
    let raw = std::fs::read_to_string(&transcript).expect("the transcript was written");
    replays(&transcript, "whoami");
    assert!(raw.lines().count() >= 2, "{raw}");

    let origin = mock.base_url();
    for elsewhere in [format!("http://127.0.0.2:{}", mock.port()), format!("https://127.0.0.1:{}", mock.port())] {
        let edited: Vec<String> = raw
            .lines()
            .enumerate()
            .map(|(index, line)| if index == 1 { line.replace(&origin, &elsewhere) } else { line.to_owned() })
            .collect();
        let moved = dir.path().join("moved.jsonl");
        std::fs::write(&moved, edited.join("\n") + "\n").expect("write the edited transcript");
        let replay = clerk(&["replay", moved.to_str().expect("utf-8")], None, "");
        assert!(!replay.status.success(), "a request to {elsewhere} was replayed against {origin}");
        let stderr = text(&replay.stderr);
        assert!(stderr.contains("line 2") && stderr.contains(&elsewhere) && stderr.contains(&origin), "{stderr}");
    }
}

#[test]
fn the_json_demo_prints_one_json_object_per_step() {
    let output = clerk(&["demo", "--json"], None, "");
    let stdout = succeeded(&output, "clerk demo --json");
    let steps: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}")))
        .collect();
    let names: Vec<&str> =
        steps.iter().map(|step| step["step"].as_str().unwrap_or_else(|| panic!("no step name: {step}"))).collect();
    assert_eq!(
        names,
        ["load", "sign-up", "sign-out", "sign-in", "token", "second-session", "switch", "sign-out-all"],
        "{stdout}"
    );
    assert!(steps.iter().all(|step| step["exchanges"].is_array() && step["title"].is_string()), "{stdout}");
    assert_eq!(steps[1]["whoami"]["signed_in"], true, "{}", steps[1]);
    assert!(steps[4]["verified_claims"]["claims"]["sid"].is_string(), "{}", steps[4]);
    for secret in ["demo-password-42", "a-fresh-password-77", "424242"] {
        assert!(!stdout.contains(secret), "the JSON output contains {secret:?}");
    }
    let help = succeeded(&clerk(&["demo", "--help"], None, ""), "clerk demo --help");
    assert!(help.contains("JSON Lines") && help.contains("\"step\""), "{help}");
}

#[test]
fn an_empty_key_gets_the_same_hint_as_a_missing_one() {
    let output = clerk(&["whoami"], Some(""), "");
    assert!(!output.status.success(), "whoami with an empty key succeeded");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("no publishable key") && stderr.contains("clerk demo"), "{stderr}");
}

#[test]
fn an_empty_password_on_stdin_fails_before_anything_is_sent() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("empty@example.com").password("cli-password-1234"));
    let dir = TempDir::new("empty-password");
    let store = dir.path().to_str().expect("utf-8 path");
    for stdin in ["", "\n"] {
        let output = clerk(
            &["sign-in", "--identifier", "empty@example.com", "--password-stdin", "--store-dir", store],
            Some(&mock.publishable_key()),
            stdin,
        );
        assert!(!output.status.success(), "signed in with the password {stdin:?}");
        assert!(text(&output.stderr).contains("no password on standard input"), "{}", text(&output.stderr));
    }
    let sign_ins: Vec<String> =
        mock.requests().into_iter().map(|r| r.path).filter(|path| path.contains("sign_ins")).collect();
    assert!(sign_ins.is_empty(), "requests were sent: {sign_ins:?}");
}

#[test]
fn an_email_link_sign_in_waits_for_the_link_and_keeps_instructions_off_stdout() {
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("link@example.com").password("cli-password-1234"));
    let dir = TempDir::new("email-link");
    let store = dir.path().to_str().expect("utf-8 path");
    let child = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args([
            "sign-in",
            "--json",
            "--identifier",
            "link@example.com",
            "--strategy",
            "email_link",
            "--store-dir",
            store,
        ])
        .env("CLERK_PUBLISHABLE_KEY", mock.publishable_key())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clerk runs");
    let started = std::time::Instant::now();
    while !mock.click_email_link("link@example.com") {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "no email link was sent");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("clerk finishes");
    let stdout = succeeded(&output, "clerk sign-in --strategy email_link");
    let shown: Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {stdout}"));
    assert_eq!(shown["email"], "link@example.com", "{shown}");
    assert!(text(&output.stderr).contains("open it to continue"), "{}", text(&output.stderr));
}

/// `clerk demo` with its standard output read by `read` and then closed: the program must
/// stop quietly (status 0, see src/stdout.rs), never panic.
fn demo_with_stdout_closed(read: impl FnOnce(&mut std::process::ChildStdout)) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .arg("demo")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clerk runs");
    let mut stdout = child.stdout.take().expect("stdout");
    read(&mut stdout);
    drop(stdout);
    child.wait_with_output().expect("clerk finishes")
}

#[test]
fn a_reader_that_stops_early_ends_the_program_quietly() {
    use std::io::Read as _;
    let after_a_few_bytes = demo_with_stdout_closed(|stdout| {
        let mut first = [0_u8; 16];
        stdout.read_exact(&mut first).expect("the demo prints");
    });
    let before_anything = demo_with_stdout_closed(|_| {});
    for (when, output) in [("after a few bytes", after_a_few_bytes), ("before anything", before_anything)] {
        let stderr = text(&output.stderr);
        assert!(!stderr.contains("panicked"), "clerk demo panicked with stdout closed {when}:\n{stderr}");
        assert!(!stderr.contains("Broken pipe"), "clerk demo complained with stdout closed {when}:\n{stderr}");
        assert_eq!(output.status.code(), Some(0), "stdout closed {when}:\n{stderr}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_to_stdout_is_an_error_not_a_panic() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let output = Command::new(env!("CARGO_BIN_EXE_clerk"))
        .arg("demo")
        .stdin(Stdio::null())
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .output()
        .expect("clerk runs");
    let stderr = text(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("clerk: cannot write to standard output"), "{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
}

#[test]
fn the_second_factor_can_be_chosen_by_flag_and_must_be_one_the_server_offers() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    mock.add_user(
        UserSpec::with_email("factors@example.com")
            .password("cli-password-1234")
            .mfa_totp(Totp::FixedCode(String::from("135790")))
            .mfa_backup_codes(&["bk-2468-1357"]),
    );
    // Each sign-in in a store of its own: the user is never already signed in.
    let sign_in = |extra: &[&str]| {
        let dir = TempDir::new("second-factor");
        let store = dir.path().to_str().expect("utf-8 path");
        let mut args = vec!["sign-in", "--identifier", "factors@example.com", "--password-stdin", "--store-dir", store];
        args.extend_from_slice(extra);
        clerk(&args, Some(&key), "cli-password-1234\n")
    };
    let second_factors_used = || -> Vec<String> {
        let attempts = mock.requests().into_iter().filter(|r| r.path.ends_with("/attempt_second_factor"));
        attempts.filter_map(|r| r.form.into_iter().find(|(name, _)| name == "strategy").map(|(_, v)| v)).collect()
    };

    // A factor the server did not offer: a clear error naming the offered ones.
    let refused = sign_in(&["--second-factor", "phone_code", "--code", "123456"]);
    assert!(!refused.status.success(), "signed in with a factor the server did not offer");
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("phone_code") && stderr.contains("totp, backup_code"), "{stderr}");
    assert!(second_factors_used().is_empty(), "a second factor was attempted: {:?}", second_factors_used());

    // The flag picks the backup code although the TOTP is offered first.
    let by_flag = sign_in(&["--second-factor", "backup_code", "--code", "bk-2468-1357"]);
    assert!(
        succeeded(&by_flag, "sign-in with --second-factor backup_code").contains("Signed in as factors@example.com")
    );
    assert_eq!(second_factors_used(), ["backup_code"]);

    // Without the flag and without a terminal, the first offered factor (TOTP) is used.
    let by_default = sign_in(&["--code", "135790"]);
    assert!(succeeded(&by_default, "sign-in without --second-factor").contains("Signed in as factors@example.com"));
    assert_eq!(second_factors_used(), ["backup_code", "totp"]);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// The token file in a store directory (`client-<host>.json`).
fn token_file(store: &Path) -> PathBuf {
    std::fs::read_dir(store)
        .expect("store dir")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.extension().is_some_and(|ext| ext == "json"))
        .expect("a token file")
}

#[test]
fn an_unusable_token_file_is_named_with_the_way_out_and_left_untouched() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let dir = signed_in(&mock, "corrupt@example.com");
    let store = dir.path().to_str().expect("utf-8 path");
    let file = token_file(dir.path());
    let foreign = r#"{"format_version":1,"frontend_api_host":"clerk.elsewhere.example","generation":3,"state":null}"#;
    for contents in ["this is not JSON\n", foreign] {
        std::fs::write(&file, contents).expect("write the token file");
        for args in [&["whoami"][..], &["sign-out", "--all"][..]] {
            let mut args = args.to_vec();
            args.extend(["--store-dir", store]);
            let output = clerk(&args, Some(&key), "");
            assert!(!output.status.success(), "{args:?} succeeded with {contents:?} in the token file");
            // An error, not "no one is signed in": a script can tell them apart.
            assert_eq!(output.status.code(), Some(1), "{args:?} with {contents:?} in the token file");
            let stderr = text(&output.stderr);
            assert!(stderr.contains(&file.display().to_string()), "{args:?}: the path is not named:\n{stderr}");
            assert!(stderr.contains("delete that file") && stderr.contains("rm "), "{args:?}: no remedy:\n{stderr}");
            let now = std::fs::read_to_string(&file).expect("the token file is still there");
            assert_eq!(now, contents, "{args:?} changed the token file");
        }
    }
    // The remedy works: without the file, the next sign-in starts afresh.
    std::fs::remove_file(&file).expect("delete the token file");
    let whoami = json_line(&signed_out(&clerk(&["whoami", "--json", "--store-dir", store], Some(&key), ""), "whoami"));
    assert_eq!(whoami["signed_in"], false, "{whoami}");
}

/// `--code-stdin`: codes from standard input, a line each after the password's, so that a
/// long-lived backup code never shows in the process list; a missing line is a clear error.
#[test]
fn codes_can_come_from_standard_input() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    mock.add_user(
        UserSpec::with_email("stdin@example.com")
            .password("cli-password-1234")
            .mfa_totp(Totp::FixedCode(String::from("135790")))
            .mfa_backup_codes(&["bk-1111-2222"]),
    );
    let sign_in = |extra: &[&str], stdin: &str| {
        let dir = TempDir::new("code-stdin");
        let store = dir.path().to_str().expect("utf-8 path");
        let mut args = vec!["sign-in", "--identifier", "stdin@example.com", "--password-stdin", "--store-dir", store];
        args.extend_from_slice(extra);
        clerk(&args, Some(&key), stdin)
    };

    let done = sign_in(&["--code-stdin", "--second-factor", "backup_code"], "cli-password-1234\nbk-1111-2222\n");
    assert!(succeeded(&done, "sign-in with --code-stdin").contains("Signed in as stdin@example.com"));
    let attempt = mock.requests().into_iter().find(|r| r.path.ends_with("/attempt_second_factor")).expect("attempt");
    assert!(attempt.form.contains(&(String::from("code"), String::from("bk-1111-2222"))), "{:?}", attempt.form);

    let missing = sign_in(&["--code-stdin"], "cli-password-1234\n");
    assert!(!missing.status.success(), "signed in without a code");
    let stderr = text(&missing.stderr);
    assert!(stderr.contains("Authenticator code needed") && stderr.contains("--code-stdin"), "{stderr}");

    let both = sign_in(&["--code-stdin", "--code", "135790"], "cli-password-1234\n");
    assert!(!both.status.success(), "--code and --code-stdin together were accepted");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// Mistakes a person makes get advice naming what to run or pass, checked before anything
/// is sent where the program can tell.
#[test]
fn mistakes_are_answered_with_what_to_do() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let dir = signed_in(&mock, "advice@example.com");
    let store = dir.path().to_str().expect("utf-8 path");
    let fails = |args: &[&str], stdin: &str| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--store-dir", store]);
        let output = clerk(&all, Some(&key), stdin);
        assert!(!output.status.success(), "{args:?} succeeded");
        text(&output.stderr)
    };

    let said = fails(&["switch", "sess_nope"], "");
    assert!(said.contains("no session sess_nope on this client") && said.contains("clerk sessions"), "{said}");
    let said = fails(&["sign-out", "sess_nope"], "");
    assert!(said.contains("no session sess_nope"), "{said}");

    // Signing in again as the same user names the session to switch to.
    let said = fails(&["sign-in", "--identifier", "advice@example.com", "--password-stdin"], "cli-password-1234\n");
    assert!(said.contains("already signed in") && said.contains("clerk switch sess_"), "{said}");

    // A factor the server does not offer is refused before it is prepared.
    let marker = mock.requests().len();
    let said = fails(&["sign-in", "--identifier", "advice2@example.com", "--strategy", "phone_code"], "");
    assert!(said.contains("no account") || said.contains("Couldn't find"), "{said}");
    mock.add_user(UserSpec::with_email("advice2@example.com").password("cli-password-1234"));
    let said = fails(&["sign-in", "--identifier", "advice2@example.com", "--strategy", "phone_code"], "");
    assert!(said.contains("--strategy phone_code: the server did not offer it") && said.contains("password"), "{said}");
    let prepared =
        mock.requests().into_iter().skip(marker).filter(|r| r.path.ends_with("/prepare_first_factor")).count();
    assert_eq!(prepared, 0, "nothing was prepared");

    // Without a terminal, a missing input names the flag that gives it.
    let said = fails(&["sign-in"], "");
    assert!(said.contains("pass it with --identifier"), "{said}");
    let said = fails(&["sign-up"], "");
    assert!(said.contains("pass it with --email"), "{said}");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// Without anyone signed in, `token` says to sign in.
#[test]
fn a_token_without_a_session_says_to_sign_in() {
    let mock = MockServer::start();
    let dir = TempDir::new("no-session");
    let store = dir.path().to_str().expect("utf-8 path");
    let output = clerk(&["token", "--store-dir", store], Some(&mock.publishable_key()), "");
    assert!(!output.status.success());
    let said = text(&output.stderr);
    assert!(said.contains("not signed in: run `clerk sign-in` first"), "{said}");
}

/// `whoami` with no one signed in says so, in text or JSON, and exits with its own status,
/// so that `clerk whoami && …` can tell; signed in, it exits 0.
#[test]
fn whoami_without_a_session_says_so_and_exits_with_its_own_status() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let dir = TempDir::new("whoami-signed-out");
    let store = dir.path().to_str().expect("utf-8 path");

    let shown = signed_out(&clerk(&["whoami", "--store-dir", store], Some(&key), ""), "whoami");
    assert!(shown.contains("Not signed in."), "{shown}");
    let shown = json_line(&signed_out(&clerk(&["whoami", "--json", "--store-dir", store], Some(&key), ""), "whoami"));
    assert_eq!(shown["signed_in"], false, "{shown}");

    let dir = signed_in(&mock, "status@example.com");
    let store = dir.path().to_str().expect("utf-8 path");
    let shown = succeeded(&clerk(&["whoami", "--store-dir", store], Some(&key), ""), "whoami signed in");
    assert!(shown.contains("Signed in as status@example.com"), "{shown}");
    let help = succeeded(&clerk(&["--help"], None, ""), "clerk --help");
    assert!(help.contains("3  `whoami`: no one is signed in"), "{help}");
}

/// `demo` and `replay` honour the global options that apply to them (`--json`; for the demo,
/// `--transcript`) and refuse, as usage errors, those that cannot apply, before doing
/// anything: nothing given is silently ignored. A key in the environment is no option given
/// on the command line and stays ignored.
#[test]
fn demo_and_replay_refuse_the_global_options_that_do_not_apply_to_them() {
    const KEY: &str = "pk_test_Y2xlcmsuZXhhbXBsZS5jb20k"; // clerk.example.com
    let dir = TempDir::new("globals");
    let transcript = dir.path().join("demo.jsonl");
    let transcript_arg = transcript.to_str().expect("utf-8 path");
    let demo = succeeded(&clerk(&["demo", "--json", "--transcript", transcript_arg], Some(KEY), ""), "clerk demo");
    for line in demo.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    }
    assert!(transcript.exists(), "the demo ignored --transcript");
    let replay = succeeded(&clerk(&["replay", "--json", transcript_arg], Some(KEY), ""), "clerk replay --json");
    let state: Value =
        serde_json::from_str(replay.trim()).unwrap_or_else(|e| panic!("not one JSON value ({e}): {replay}"));
    assert_eq!(state["signed_in"], false, "{state}");

    let store = dir.path().join("store");
    let store_arg = store.to_str().expect("utf-8 path");
    let recorded = dir.path().join("again.jsonl");
    let recorded_arg = recorded.to_str().expect("utf-8 path");
    for (args, option) in [
        (&["demo", "--publishable-key", KEY][..], "--publishable-key"),
        (&["--store-dir", store_arg, "demo"][..], "--store-dir"),
        (&["replay", transcript_arg, "--publishable-key", KEY][..], "--publishable-key"),
        (&["replay", "--store-dir", store_arg, transcript_arg][..], "--store-dir"),
        (&["--transcript", recorded_arg, "replay", transcript_arg][..], "--transcript"),
    ] {
        let output = clerk(args, None, "");
        assert_eq!(output.status.code(), Some(2), "{args:?} was not refused as a usage error");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(option) && stderr.contains("does not apply"), "{args:?}:\n{stderr}");
        assert!(output.stdout.is_empty(), "{args:?} ran:\n{}", text(&output.stdout));
    }
    assert!(!store.exists() && !recorded.exists(), "a refused option was used");
}

/// A script that gives only `--code` (no `--password-stdin`, no terminal) signs in with the
/// first code factor the server offers, not the password it cannot give.
#[test]
fn a_code_alone_signs_in_with_a_code_factor_without_a_terminal() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    mock.add_user(UserSpec::with_email("code+clerk_test@example.com").password("cli-password-1234"));
    let dir = TempDir::new("code-alone");
    let store = dir.path().to_str().expect("utf-8 path");
    let args = ["sign-in", "--identifier", "code+clerk_test@example.com", "--code", "424242", "--store-dir", store];
    let shown = succeeded(&clerk(&args, Some(&key), ""), "sign-in with only --code");
    assert!(shown.contains("Signed in as code+clerk_test@example.com"), "{shown}");
    let strategies: Vec<String> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/attempt_first_factor"))
        .filter_map(|r| r.form.into_iter().find(|(name, _)| name == "strategy").map(|(_, v)| v))
        .collect();
    assert_eq!(strategies, ["email_code"]);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// After signing out of the active session, the other sessions stay signed in but none is
/// active: `sign-out`, `whoami` and `token` say how to make one active.
#[test]
fn with_another_session_still_signed_in_the_way_to_switch_is_shown() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let dir = signed_in(&mock, "first@example.com");
    let store = dir.path().to_str().expect("utf-8 path");
    let first = json_line(&succeeded(&clerk(&["whoami", "--json", "--store-dir", store], Some(&key), ""), "whoami"));
    let first = first["session_id"].as_str().expect("session id").to_owned();
    mock.add_user(UserSpec::with_email("second@example.com").password("cli-password-1234"));
    let args = ["sign-in", "--identifier", "second@example.com", "--password-stdin", "--store-dir", store];
    succeeded(&clerk(&args, Some(&key), "cli-password-1234\n"), "second sign-in");

    let advice = format!("session {first} (first@example.com) is still signed in: `clerk switch {first}`");
    let said = succeeded(&clerk(&["sign-out", "--store-dir", store], Some(&key), ""), "sign-out");
    assert!(said.contains(&advice), "{said}");
    let said = signed_out(&clerk(&["whoami", "--store-dir", store], Some(&key), ""), "whoami");
    assert!(said.contains("Not signed in.") && said.contains(&advice), "{said}");
    let token = clerk(&["token", "--store-dir", store], Some(&key), "");
    assert!(!token.status.success(), "a token without an active session");
    let said = text(&token.stderr);
    assert!(said.contains("no active session") && said.contains(&advice), "{said}");

    let switched = succeeded(&clerk(&["switch", &first, "--store-dir", store], Some(&key), ""), "switch");
    assert!(switched.contains("Signed in as first@example.com"), "{switched}");
}

/// Ctrl-C at a hidden prompt (the password) ends the program as interrupted (130) with the
/// terminal restored: rpassword raised SIGINT before restoring it, which left the terminal
/// without echo. Run in a pseudo-terminal made by util-linux's `script`; skipped without it.
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_at_the_password_prompt_leaves_the_terminal_as_it_was() {
    use std::io::Read as _;
    if Command::new("script").arg("--version").output().map_or(true, |o| !o.status.success()) {
        eprintln!("skipped: no util-linux `script` to make a terminal");
        return;
    }
    let mock = MockServer::start();
    mock.add_user(UserSpec::with_email("ctrlc@example.com").password("cli-password-1234"));
    let dir = TempDir::new("ctrl-c");
    // The shell outlives the program, to report its status and the terminal's settings.
    let run = dir.path().join("run.sh");
    let lines = [
        String::from("trap 'echo trapped' INT"),
        format!(
            "'{}' sign-in --identifier ctrlc@example.com --strategy password --store-dir '{}'",
            env!("CARGO_BIN_EXE_clerk"),
            dir.path().display()
        ),
        String::from("echo \"status=$?\""),
        String::from("stty -a"),
    ];
    std::fs::write(&run, lines.join("\n") + "\n").expect("write the script");
    let mut child = Command::new("script")
        .args(["-qfec", &format!("sh '{}'", run.display()), "/dev/null"])
        .env("CLERK_PUBLISHABLE_KEY", mock.publishable_key())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script runs");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    let mut chunk = [0_u8; 256];
    while !String::from_utf8_lossy(&seen).contains("Password: ") {
        let read = stdout.read(&mut chunk).expect("read the terminal");
        assert!(read > 0, "no password prompt: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&chunk[..read]);
    }
    // The prompt is shown before the terminal is put in raw mode: let that happen first.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"\x03").expect("type Ctrl-C");
    stdout.read_to_end(&mut seen).expect("read the terminal");
    drop(stdin);
    let _ = child.wait();
    let shown = String::from_utf8_lossy(&seen).into_owned();
    assert!(shown.contains("status=130"), "{shown}");
    let settings: Vec<&str> = shown.split([' ', ';', '\r', '\n']).collect();
    for flag in ["echo", "icanon", "isig"] {
        assert!(settings.contains(&flag), "the terminal was left with -{flag}:\n{shown}");
    }
}

/// `clerk devices`: the same user signed in from two store directories (two devices) sees
/// both sessions, in text and JSON; `--revoke` signs the other device out on its next run,
/// and revoking this device's own session signs it out here.
#[test]
fn devices_lists_both_and_revoke_signs_the_other_device_out() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let laptop = signed_in(&mock, "devices@example.com");
    let laptop_store = laptop.path().to_str().expect("utf-8 path");
    let phone = TempDir::new("phone");
    let phone_store = phone.path().to_str().expect("utf-8 path");
    succeeded(
        &clerk(
            &["sign-in", "--identifier", "devices@example.com", "--password-stdin", "--store-dir", phone_store],
            Some(&key),
            "cli-password-1234\n",
        ),
        "clerk sign-in on the phone",
    );
    let session_of = |store: &str| {
        let whoami =
            json_line(&succeeded(&clerk(&["whoami", "--json", "--store-dir", store], Some(&key), ""), "whoami"));
        whoami["session_id"].as_str().expect("session id").to_owned()
    };
    let (laptop_session, phone_session) = (session_of(laptop_store), session_of(phone_store));

    let listed =
        json_line(&succeeded(&clerk(&["devices", "--json", "--store-dir", laptop_store], Some(&key), ""), "devices"));
    let listed = listed.as_array().expect("a JSON array");
    assert_eq!(listed.len(), 2, "{listed:?}");
    let mine = listed.iter().find(|d| d["id"] == laptop_session.as_str()).expect("the laptop's session");
    assert_eq!((&mine["current"], &mine["this_device"]), (&Value::Bool(true), &Value::Bool(true)));
    let other = listed.iter().find(|d| d["id"] == phone_session.as_str()).expect("the phone's session");
    assert_eq!((&other["current"], &other["this_device"]), (&Value::Bool(false), &Value::Bool(false)));
    assert_eq!(other["status"], "active");
    assert!(other["last_active_at"].is_i64() && other["ip_address"].is_string() && other["is_mobile"].is_boolean());
    // The program names itself in its User-Agent, which the mock reports as the browser.
    assert_eq!(other["browser_name"], "clerk-cli", "{other}");

    let text_list = succeeded(&clerk(&["devices", "--store-dir", laptop_store], Some(&key), ""), "devices");
    assert!(text_list.contains(&format!("* {laptop_session}  this device")), "{text_list}");
    assert!(text_list.contains(&format!("  {phone_session}\n")), "{text_list}");
    assert!(text_list.contains("last active "), "{text_list}");

    // A hostile id is refused by a signed-in client before anything is sent.
    let sent = mock.requests().iter().filter(|r| r.path.contains("/revoke")).count();
    let hostile = clerk(&["devices", "--revoke", "../client", "--store-dir", laptop_store], Some(&key), "");
    assert!(!hostile.status.success());
    assert!(text(&hostile.stderr).contains("invalid id"), "{}", text(&hostile.stderr));
    assert_eq!(mock.requests().iter().filter(|r| r.path.contains("/revoke")).count(), sent, "a revoke went out");

    let revoked = succeeded(
        &clerk(&["devices", "--revoke", &phone_session, "--store-dir", laptop_store], Some(&key), ""),
        "devices --revoke",
    );
    assert!(revoked.contains(&format!("Revoked session {phone_session}.")), "{revoked}");
    assert_eq!(mock.session_status(&phone_session).as_deref(), Some("revoked"));
    // The laptop is still signed in; the phone finds itself signed out.
    assert_eq!(session_of(laptop_store), laptop_session);
    let phone_whoami =
        json_line(&signed_out(&clerk(&["whoami", "--json", "--store-dir", phone_store], Some(&key), ""), "whoami"));
    assert_eq!(phone_whoami["signed_in"], false, "{phone_whoami}");
    let refused = clerk(&["devices", "--store-dir", phone_store], Some(&key), "");
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("not signed in: run `clerk sign-in` first"), "{}", text(&refused.stderr));

    // Revoking this device's own session signs it out here.
    let own = clerk(&["devices", "--json", "--revoke", &laptop_session, "--store-dir", laptop_store], Some(&key), "");
    let own = json_line(&succeeded(&own, "devices --revoke of this device"));
    assert_eq!(own, serde_json::json!({ "revoked": laptop_session, "this_device": true, "signed_in": false }));
    signed_out(&clerk(&["whoami", "--store-dir", laptop_store], Some(&key), ""), "whoami after revoking itself");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// The failure `clerk --json` reports: standard error's last line, one JSON object
/// `{"error":{…}}` (questions and warnings for a person may come before it).
fn json_failure(output: &Output, what: &str) -> Value {
    let stderr = text(&output.stderr);
    let last = stderr.lines().last().unwrap_or_else(|| panic!("{what}: nothing on standard error"));
    let failure: Value =
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{what}: not one JSON object ({e}):\n{stderr}"));
    let error = failure.get("error").unwrap_or_else(|| panic!("{what}: no \"error\" object: {failure}"));
    assert!(error["kind"].is_string() && error["message"].is_string(), "{what}: {failure}");
    error.clone()
}

/// With `--json` every failure is one JSON object on standard error, its kind and (from the
/// server) its code and field there for a script to read; the exit status and standard
/// output are as without it, and no secret shows.
#[test]
fn with_json_a_failure_is_one_json_object_on_standard_error() {
    const CANARY_PASSWORD: &str = "canary-Pa55word-never-shown-7f3e";
    let mock = MockServer::start();
    let key = mock.publishable_key();
    mock.add_user(UserSpec::with_email("json-errors@example.com").password("cli-password-1234"));
    let dir = TempDir::new("json-errors");
    let store = dir.path().to_str().expect("utf-8 path");

    // A wrong password: Clerk's code and the field at fault; the password nowhere.
    let wrong = clerk(
        &["sign-in", "--json", "--identifier", "json-errors@example.com", "--password-stdin", "--store-dir", store],
        Some(&key),
        &format!("{CANARY_PASSWORD}\n"),
    );
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong.stderr));
    let error = json_failure(&wrong, "a wrong password");
    assert_eq!(error["kind"], "api", "{error}");
    assert_eq!(error["code"], "form_password_incorrect", "{error}");
    assert_eq!(error["param"], "password", "{error}");
    assert_eq!(error["message"], "Password is incorrect. Try again, or use another method.", "{error}");
    assert_eq!(text(&wrong.stderr).lines().count(), 1, "more than the failure on stderr:\n{}", text(&wrong.stderr));
    assert!(wrong.stdout.is_empty(), "{}", text(&wrong.stdout));
    for (stream, bytes) in [("stdout", &wrong.stdout), ("stderr", &wrong.stderr)] {
        assert!(!text(bytes).contains(CANARY_PASSWORD), "the password is on {stream}: {}", text(bytes));
    }

    // Already signed in as that user: the session to switch to, by name.
    let right = ["sign-in", "--identifier", "json-errors@example.com", "--password-stdin", "--store-dir", store];
    succeeded(&clerk(&right, Some(&key), "cli-password-1234\n"), "sign-in");
    let again = clerk(
        &["sign-in", "--json", "--identifier", "json-errors@example.com", "--password-stdin", "--store-dir", store],
        Some(&key),
        "cli-password-1234\n",
    );
    let error = json_failure(&again, "a second sign-in as the same user");
    assert_eq!(error["code"], "identifier_already_signed_in", "{error}");
    let session = error["session_id"].as_str().unwrap_or_else(|| panic!("no session_id: {error}"));
    assert!(error["message"].as_str().is_some_and(|m| m.contains(&format!("clerk switch {session}"))), "{error}");

    // No key at all.
    let no_key = clerk(&["whoami", "--json"], None, "");
    assert_eq!(no_key.status.code(), Some(1));
    let error = json_failure(&no_key, "no key");
    assert_eq!(error["kind"], "config", "{error}");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("CLERK_PUBLISHABLE_KEY")), "{error}");

    // Nobody signed in where a session is needed.
    let empty = TempDir::new("json-not-signed-in");
    let empty_store = empty.path().to_str().expect("utf-8 path");
    let token = clerk(&["token", "--json", "--store-dir", empty_store], Some(&key), "");
    assert_eq!(token.status.code(), Some(1));
    assert_eq!(json_failure(&token, "a token signed out")["kind"], "not_signed_in");
    // A session id that is not on this client.
    let switch = clerk(&["switch", "sess_nope", "--json", "--store-dir", store], Some(&key), "");
    assert_eq!(json_failure(&switch, "switch to an unknown session")["kind"], "input");

    // Usage errors keep their status (2) and are JSON too: an option refused by the
    // program, and one clap does not know.
    let refused = clerk(&["demo", "--json", "--publishable-key", &key], None, "");
    assert_eq!(refused.status.code(), Some(2));
    let error = json_failure(&refused, "a refused option");
    assert_eq!(error["kind"], "usage", "{error}");
    assert!(error["message"].as_str().is_some_and(|m| m.starts_with("--publishable-key does not apply")), "{error}");
    assert!(refused.stdout.is_empty(), "{}", text(&refused.stdout));
    let unknown = clerk(&["sessions", "--no-such-option", "--json"], Some(&key), "");
    assert_eq!(unknown.status.code(), Some(2));
    let error = json_failure(&unknown, "an unknown option");
    assert_eq!(error["kind"], "usage", "{error}");
    assert!(error["message"].as_str().is_some_and(|m| m.contains("--no-such-option")), "{error}");
    // `--help` is no failure: still help, on standard output.
    let help = succeeded(&clerk(&["sessions", "--json", "--help"], None, ""), "sessions --json --help");
    assert!(help.contains("Usage") && help.contains(r#"{"error":{"kind":"#), "{help}");

    // `replay` and `demo` report their failures the same way.
    let missing = dir.path().join("no-such-transcript.jsonl");
    let replay = clerk(&["replay", "--json", missing.to_str().expect("utf-8")], None, "");
    assert_eq!(replay.status.code(), Some(1));
    assert_eq!(json_failure(&replay, "replay of a missing file")["kind"], "transcript");
    let unwritable = dir.path().join("no-such-dir").join("demo.jsonl");
    let demo = clerk(&["demo", "--json", "--transcript", unwritable.to_str().expect("utf-8")], None, "");
    assert_eq!(demo.status.code(), Some(1));
    assert_eq!(json_failure(&demo, "demo with an unwritable transcript")["kind"], "transcript");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// Without `--json`, a failure reads as it always has: `clerk: ` and the message, the code
/// of the server's refusal after its text.
#[test]
fn without_json_a_failure_is_said_in_words_as_before() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let dir = signed_in(&mock, "plain-errors@example.com");
    let store = dir.path().to_str().expect("utf-8 path");
    let wrong = clerk(
        &["sign-in", "--identifier", "plain-errors@example.com", "--password-stdin", "--store-dir", store],
        Some(&key),
        "not-the-password\n",
    );
    assert_eq!(wrong.status.code(), Some(1));
    // Signed in already: the sign-in is refused before the password is checked.
    assert!(text(&wrong.stderr).starts_with("clerk: already signed in on this client as session sess_"));

    let fresh = TempDir::new("plain-errors");
    let fresh_store = fresh.path().to_str().expect("utf-8 path");
    let wrong = clerk(
        &["sign-in", "--identifier", "plain-errors@example.com", "--password-stdin", "--store-dir", fresh_store],
        Some(&key),
        "not-the-password\n",
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(
        text(&wrong.stderr),
        "clerk: Password is incorrect. Try again, or use another method. (form_password_incorrect)\n"
    );
    let no_key = clerk(&["whoami"], None, "");
    assert_eq!(
        text(&no_key.stderr),
        "clerk: no publishable key. Set CLERK_PUBLISHABLE_KEY or pass --publishable-key.\n\
         To try things out without a Clerk account: `clerk demo`, or start the local\n\
         Frontend API with `cargo run -p clerk-mock` and use the key it prints.\n"
    );
    let token = clerk(&["token", "--store-dir", fresh_store], Some(&key), "");
    assert_eq!(text(&token.stderr), "clerk: not signed in: run `clerk sign-in` first\n");
    let refused = clerk(&["demo", "--publishable-key", &key], None, "");
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).starts_with("error: --publishable-key does not apply"), "{}", text(&refused.stderr));
}

/// `clerk sessions` lists the signed-in sessions (as clerk-js's `client.signedInSessions`),
/// `--all` every session on the client with its status; `--json` applies the same filter.
/// With none signed in, it says how many others there are and how to list them.
#[test]
fn sessions_lists_the_signed_in_ones_and_all_of_them_with_all() {
    let mock = MockServer::start();
    let key = mock.publishable_key();
    let dir = signed_in(&mock, "kept@example.com");
    let store = dir.path().to_str().expect("utf-8 path");
    let kept = json_line(&succeeded(&clerk(&["whoami", "--json", "--store-dir", store], Some(&key), ""), "whoami"));
    let kept = kept["session_id"].as_str().expect("session id").to_owned();
    mock.add_user(UserSpec::with_email("gone@example.com").password("cli-password-1234"));
    let args = ["sign-in", "--identifier", "gone@example.com", "--password-stdin", "--store-dir", store];
    succeeded(&clerk(&args, Some(&key), "cli-password-1234\n"), "second sign-in");
    let gone = json_line(&succeeded(&clerk(&["whoami", "--json", "--store-dir", store], Some(&key), ""), "whoami"));
    let gone = gone["session_id"].as_str().expect("session id").to_owned();
    succeeded(&clerk(&["sign-out", "--store-dir", store], Some(&key), ""), "sign-out of the active session");
    let sessions = |extra: &[&str]| {
        let mut args = vec!["sessions", "--store-dir", store];
        args.extend_from_slice(extra);
        succeeded(&clerk(&args, Some(&key), ""), &format!("sessions {extra:?}"))
    };
    let ids = |listed: &Value| -> Vec<(String, String)> {
        let listed = listed.as_array().unwrap_or_else(|| panic!("not an array: {listed}"));
        listed.iter().map(|s| (s["id"].as_str().unwrap_or("?").to_owned(), s["status"].to_string())).collect()
    };

    let shown = sessions(&[]);
    assert!(shown.contains(&kept) && shown.contains("kept@example.com"), "{shown}");
    assert!(!shown.contains(&gone), "a signed-out session is listed:\n{shown}");
    let listed = json_line(&sessions(&["--json"]));
    assert_eq!(ids(&listed), [(kept.clone(), String::from("\"active\""))], "{listed}");

    let shown = sessions(&["--all"]);
    let gone_line = shown.lines().find(|line| line.contains(&gone)).unwrap_or_else(|| panic!("not listed:\n{shown}"));
    assert!(gone_line.contains("removed") && gone_line.contains("gone@example.com"), "{shown}");
    assert!(shown.contains(&kept), "{shown}");
    let listed = json_line(&sessions(&["--all", "--json"]));
    let mut all = ids(&listed);
    all.sort();
    let mut expected = vec![(kept.clone(), String::from("\"active\"")), (gone.clone(), String::from("\"removed\""))];
    expected.sort();
    assert_eq!(all, expected, "{listed}");

    // None signed in: said so, with what there is and how to list it.
    succeeded(&clerk(&["sign-out", &kept, "--store-dir", store], Some(&key), ""), "sign-out of the other session");
    assert_eq!(sessions(&[]).trim(), "No signed-in sessions (2 removed: `clerk sessions --all` lists them).");
    assert_eq!(json_line(&sessions(&["--json"])), Value::Array(Vec::new()));
    assert_eq!(sessions(&["--all"]).lines().count(), 2, "{}", sessions(&["--all"]));
    let help = succeeded(&clerk(&["sessions", "--help"], None, ""), "sessions --help");
    assert!(help.contains("--all") && help.contains("signed-in"), "{help}");
}
