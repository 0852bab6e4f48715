//! Transcripts: secrets never reach the file, everything else is byte-exact, the same
//! secret keeps its placeholder, JWTs keep their claims, and every line reads back.

mod common;

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use clerk_core::encoding::form_decode;
use clerk_core::secret::{ClientToken, Password};
use clerk_core::{
    Client, Command, Field, FieldValue, HttpRequest, HttpResponse, Method, Output, SignInCommand, SignInCreate,
    TransportError,
};
use clerk_store::{TranscriptEntry, TranscriptError, TranscriptReader, TranscriptResponse, TranscriptWriter};
use common::TempDir;
use time::macros::datetime;

const BASE: &str = "https://clerk.example.com";

/// A `Write` whose bytes the test can read while the writer owns a clone.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

const CLIENT_TOKEN: &str = "client-token-canary-0f9e8d7c6b5a";
const ROTATED_TOKEN: &str = "rotated-token-canary-1a2b3c4d5e6f";
const PASSWORD: &str = "pw canary&=/+é";
const CODE: &str = "424242";
const TICKET: &str = "ticket-canary-77aa88bb99cc";
const NONCE: &str = "nonce-canary-5544332211";
const SIGNATURE: &str = "c2lnbmF0dXJlLWNhbmFyeS1zZWNyZXQ";

fn session_jwt() -> (String, String) {
    let header_and_claims = format!(
        "{}.{}",
        b64(r#"{"alg":"RS256","kid":"ins_1"}"#),
        b64(r#"{"exp":1767225660,"iat":1767225600,"sid":"sess_1"}"#)
    );
    let jwt = format!("{header_and_claims}.{SIGNATURE}");
    (jwt, header_and_claims)
}

fn request(
    method: Method,
    path: &str,
    query: Vec<Field>,
    headers: Vec<Field>,
    form: Option<Vec<Field>>,
) -> HttpRequest {
    HttpRequest { method, path: path.into(), query, headers, form }
}

/// The exchanges of one flow, with every kind of secret in it.
fn exchanges() -> Vec<(HttpRequest, Result<HttpResponse, TransportError>)> {
    let (jwt, _) = session_jwt();
    let native = || vec![Field::plain("_is_native", "true"), Field::plain("__clerk_api_version", "2025-11-10")];
    let sign_in = request(
        Method::Post,
        "/v1/client/sign_ins",
        native(),
        vec![
            Field::secret("authorization", CLIENT_TOKEN),
            Field::plain("content-type", "application/x-www-form-urlencoded"),
        ],
        Some(vec![
            Field::plain("identifier", "user+1@example.com"),
            Field::secret("password", PASSWORD),
            Field::secret("ticket", TICKET),
        ]),
    );
    let sign_in_body = format!(
        r#"{{"response":{{"object":"sign_in_attempt","status":"complete"}},"client":{{"sessions":[{{"id":"sess_1","last_active_token":{{"jwt":"{jwt}"}}}}]}}}}"#
    );
    let sign_in_answer = HttpResponse::new(
        200,
        [("Content-Type", "application/json"), ("Authorization", ROTATED_TOKEN), ("x-request-id", "req_1")],
        sign_in_body,
    );
    let attempt = request(
        Method::Post,
        "/v1/client/sign_ins/sia_1/attempt_first_factor",
        native(),
        vec![Field::secret("authorization", ROTATED_TOKEN)],
        Some(vec![Field::plain("strategy", "email_code"), Field::secret("code", CODE)]),
    );
    let attempt_answer = HttpResponse::new(
        422,
        [("content-type", "application/json")],
        r#"{"errors":[{"code":"form_code_incorrect","message":"Incorrect code"}]}"#,
    );
    let reload = request(
        Method::Get,
        "/v1/client/sign_ins/sia_1",
        vec![Field::plain("_is_native", "true"), Field::secret("rotating_token_nonce", NONCE)],
        vec![Field::secret("authorization", ROTATED_TOKEN)],
        None,
    );
    // Built by hand without marks: still redacted by name.
    let unmarked = request(
        Method::Post,
        "/v1/client/sign_ins",
        vec![],
        vec![Field::plain("Authorization", CLIENT_TOKEN)],
        Some(vec![Field::plain("password", PASSWORD), Field::plain("note", format!("jwt {jwt}"))]),
    );
    vec![
        (sign_in, Ok(sign_in_answer)),
        (attempt, Ok(attempt_answer)),
        (reload, Err(TransportError::Timeout(format!("no answer for token {jwt}")))),
        (unmarked, Err(TransportError::Connect("connection refused".into()))),
    ]
}

fn record_all(writer: &TranscriptWriter) {
    for (request, outcome) in exchanges() {
        writer.record(&request, BASE, &outcome).unwrap();
    }
}

fn entries(text: &str) -> Vec<TranscriptEntry> {
    text.lines().map(|line| TranscriptReader::parse_line(line).unwrap()).collect()
}

fn decoded(form: &str) -> Vec<(String, String)> {
    form_decode(form).unwrap()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

#[test]
fn canary_secrets_never_reach_the_transcript() {
    let buffer = SharedBuffer::default();
    record_all(&TranscriptWriter::new(buffer.clone()));
    let text = buffer.text();
    assert_eq!(text.lines().count(), 4, "one line per exchange:\n{text}");
    let encoded_password = clerk_core::encoding::form_urlencode_component(PASSWORD);
    for canary in [CLIENT_TOKEN, ROTATED_TOKEN, PASSWORD, &encoded_password, TICKET, NONCE, SIGNATURE] {
        assert!(!text.contains(canary), "{canary} leaked:\n{text}");
    }
    assert!(!text.contains(&format!("code={CODE}")), "the code leaked:\n{text}");
}

#[test]
fn secrets_get_stable_numbered_placeholders() {
    let buffer = SharedBuffer::default();
    record_all(&TranscriptWriter::new(buffer.clone()));
    let lines = entries(&buffer.text());

    let sign_in = &lines[0];
    assert_eq!(header(&sign_in.request.headers, "authorization"), Some("[redacted#1]"));
    let form = decoded(&sign_in.request.body);
    assert_eq!(form[1], ("password".into(), "[redacted#2]".into()));
    assert_eq!(form[2], ("ticket".into(), "[redacted#3]".into()));
    let response = sign_in.outcome.as_ref().unwrap();
    let rotated = header(&response.headers, "authorization").unwrap();
    assert_eq!(rotated, "[redacted#4]");

    // The rotated token sent back in the next requests keeps its number.
    assert_eq!(header(&lines[1].request.headers, "authorization"), Some(rotated));
    assert_eq!(header(&lines[2].request.headers, "authorization"), Some(rotated));
    assert_eq!(decoded(&lines[1].request.body)[1].1, "[redacted#6]", "the code (#5 is the JWT signature)");
    let query = lines[2].request.url.split_once('?').unwrap().1;
    assert_eq!(decoded(query)[1], ("rotating_token_nonce".into(), "[redacted#7]".into()));

    // The unmarked request: the first client token and password get their old numbers.
    assert_eq!(header(&lines[3].request.headers, "Authorization"), Some("[redacted#1]"));
    assert_eq!(decoded(&lines[3].request.body)[0], ("password".into(), "[redacted#2]".into()));
}

#[test]
fn jwts_keep_header_and_claims() {
    let buffer = SharedBuffer::default();
    record_all(&TranscriptWriter::new(buffer.clone()));
    let lines = entries(&buffer.text());
    let (_, header_and_claims) = session_jwt();
    let redacted_jwt = format!("{header_and_claims}.[redacted#5]");

    let body = &lines[0].outcome.as_ref().unwrap().body;
    assert!(body.contains(&redacted_jwt), "{body}");
    // The expiry can still be read from the transcript.
    let claims_b64 = header_and_claims.split('.').nth(1).unwrap();
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims_b64).unwrap();
    assert!(String::from_utf8(claims).unwrap().contains(r#""exp":1767225660"#));

    // The same token elsewhere (an error message, a plain form value) gets the same number.
    assert_eq!(lines[2].outcome, Err(format!("timed out: no answer for token {redacted_jwt}")));
    assert_eq!(decoded(&lines[3].request.body)[1].1, format!("jwt {redacted_jwt}"));
}

#[test]
fn everything_but_secrets_is_kept_exactly() {
    let buffer = SharedBuffer::default();
    record_all(&TranscriptWriter::new(buffer.clone()));
    let lines = entries(&buffer.text());
    let all = exchanges();

    let (jwt, header_and_claims) = session_jwt();
    let (sign_in, Ok(sign_in_answer)) = &all[0] else { panic!() };
    assert_eq!(lines[0].request.method, "POST");
    assert_eq!(lines[0].request.url, sign_in.url(BASE), "no secret in the query: the URL is exactly what was sent");
    assert!(lines[0].request.body.starts_with("identifier=user%2B1%40example.com&password="));
    assert_eq!(
        lines[0].request.headers[1],
        ("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned())
    );
    let response = lines[0].outcome.as_ref().unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.headers[0], ("content-type".to_owned(), "application/json".to_owned()));
    assert_eq!(response.headers[2], ("x-request-id".to_owned(), "req_1".to_owned()));
    let original_body = String::from_utf8(sign_in_answer.body.clone()).unwrap();
    assert_eq!(response.body, original_body.replace(&jwt, &format!("{header_and_claims}.[redacted#5]")));

    let (_, Ok(error_answer)) = &all[1] else { panic!() };
    let error = lines[1].outcome.as_ref().unwrap();
    assert_eq!((error.status, error.body.as_bytes()), (422, error_answer.body.as_slice()));
    assert_eq!(decoded(&lines[1].request.body)[0], ("strategy".into(), "email_code".into()));

    assert_eq!(lines[2].request.method, "GET");
    assert_eq!(lines[2].request.body, "", "no form: empty body");
    assert!(lines[2].request.url.starts_with("https://clerk.example.com/v1/client/sign_ins/sia_1?_is_native=true&"));
    assert_eq!(lines[3].outcome, Err("could not connect: connection refused".to_owned()));
}

#[test]
fn a_line_has_exactly_the_documented_shape() {
    let buffer = SharedBuffer::default();
    let writer = TranscriptWriter::new(buffer.clone());
    let get = request(Method::Get, "/v1/environment", vec![Field::plain("_is_native", "true")], vec![], None);
    writer.record(&get, "https://clerk.example.com/", &Ok(HttpResponse::new(200, [("x", "y")], "{}"))).unwrap();
    writer.record(&get, "https://clerk.example.com", &Err(TransportError::Io("reset".into()))).unwrap();
    assert_eq!(
        buffer.text(),
        concat!(
            r#"{"request":{"method":"GET","url":"https://clerk.example.com/v1/environment?_is_native=true","headers":[],"body":""},"response":{"status":200,"headers":[["x","y"]],"body":"{}"}}"#,
            "\n",
            r#"{"request":{"method":"GET","url":"https://clerk.example.com/v1/environment?_is_native=true","headers":[],"body":""},"error":"i/o error: reset"}"#,
            "\n",
        )
    );
}

#[test]
fn placeholders_are_per_transcript() {
    let first = SharedBuffer::default();
    let second = SharedBuffer::default();
    let (request, outcome) = exchanges().swap_remove(1);
    let writer = TranscriptWriter::new(first.clone());
    writer.record(&exchanges()[0].0, BASE, &exchanges()[0].1).unwrap();
    writer.record(&request, BASE, &outcome).unwrap();
    TranscriptWriter::new(second.clone()).record(&request, BASE, &outcome).unwrap();
    let numbered =
        |text: String| header(&entries(&text).last().unwrap().request.headers, "authorization").map(str::to_owned);
    assert_eq!(numbered(first.text()).as_deref(), Some("[redacted#4]"));
    assert_eq!(numbered(second.text()).as_deref(), Some("[redacted#1]"), "a new transcript counts from 1");
}

#[test]
fn the_engine_marks_are_honoured_end_to_end() {
    let now = datetime!(2026-01-01 00:00 UTC);
    let mut state = Client::new(common::config(), now).export();
    state.client_token = Some(ClientToken::new(CLIENT_TOKEN));
    let mut client = Client::restore(common::config(), state, now).unwrap();
    while let Output::Request(outgoing) = client.poll_output() {
        client.handle_response(outgoing.id, Ok(HttpResponse::new(200, [("x", "y")], "{}")), now).ok();
    }
    let create = SignInCreate::password("user@example.com", Password::new(PASSWORD));
    client.submit(Command::SignIn(SignInCommand::Create(create)), now).unwrap();
    let outgoing = loop {
        match client.poll_output() {
            Output::Request(outgoing) if outgoing.request.form.is_some() => break outgoing,
            Output::Request(_) | Output::Event(_) => {}
            other => panic!("no sign-in request: {other:?}"),
        }
    };
    assert!(outgoing.request.form_value("password").is_some_and(FieldValue::is_secret));

    let buffer = SharedBuffer::default();
    let writer = TranscriptWriter::new(buffer.clone());
    writer.record(&outgoing.request, &common::config().base_url(), &Ok(HttpResponse::ok_json("{}"))).unwrap();
    let text = buffer.text();
    assert!(!text.contains(CLIENT_TOKEN) && !text.contains("canary"), "{text}");
    let entry = TranscriptReader::parse_line(text.trim_end()).unwrap();
    assert!(entry.request.url.starts_with("https://foo-bar-13.clerk.accounts.dev/v1/client/sign_ins?"), "{text}");
    assert_eq!(header(&entry.request.headers, "authorization"), Some("[redacted#1]"));
}

#[test]
fn every_line_written_reads_back() {
    let dir = TempDir::new("transcript");
    std::fs::create_dir_all(dir.path()).unwrap();
    let path = dir.path().join("t.jsonl");
    let writer = TranscriptWriter::create(&path).unwrap();
    record_all(&writer);
    drop(writer);
    let text = std::fs::read_to_string(&path).unwrap();
    let read: Vec<TranscriptEntry> = TranscriptReader::open(&path).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(read.len(), 4);
    for (entry, line) in read.iter().zip(text.lines()) {
        assert_eq!(entry.to_json_line(), line, "re-serialising a read entry gives the line back byte for byte");
        assert_eq!(&TranscriptReader::parse_line(line).unwrap(), entry);
    }
    assert!(matches!(read[2].outcome, Err(ref e) if e.starts_with("timed out: ")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn a_recorded_response_feeds_the_engine_as_recorded() {
    let buffer = SharedBuffer::default();
    record_all(&TranscriptWriter::new(buffer.clone()));
    let entry = entries(&buffer.text()).remove(0);
    let recorded: TranscriptResponse = entry.outcome.clone().unwrap();
    let response: HttpResponse = recorded.clone().into();
    assert_eq!(response, recorded.to_http_response());
    assert_eq!(response, entry.engine_outcome().unwrap());
    assert_eq!(response.status, 200);
    assert_eq!(response.body, recorded.body.as_bytes());
    assert_eq!(
        response.header("authorization"),
        Some(&FieldValue::Secret("[redacted#4]".into())),
        "the placeholder is the token, still marked secret"
    );
    assert_eq!(response.header("x-request-id"), Some(&FieldValue::Plain("req_1".into())));
    let error = entries(&buffer.text()).remove(3);
    assert_eq!(error.engine_outcome(), Err(TransportError::Other("could not connect: connection refused".into())));
}

#[test]
fn malformed_lines_are_typed_errors_with_line_numbers() {
    let good = r#"{"request":{"method":"GET","url":"u","headers":[],"body":""},"error":"x"}"#;
    let input =
        format!("{good}\n\nnot json\n{}\n{good}\n", r#"{"request":{"method":"GET","url":"u","headers":[],"body":""}}"#);
    let results: Vec<_> = TranscriptReader::new(io::Cursor::new(input)).collect();
    assert_eq!(results.len(), 4, "blank lines are skipped");
    assert!(results[0].is_ok() && results[3].is_ok());
    assert!(matches!(results[1], Err(TranscriptError::Malformed { line: Some(3), .. })), "{:?}", results[1]);
    assert!(
        matches!(&results[2], Err(TranscriptError::Malformed { line: Some(4), reason }) if reason.contains("neither")),
        "{:?}",
        results[2]
    );
    let both = r#"{"request":{"method":"GET","url":"u","headers":[],"body":""},"error":"x","response":{"status":1,"headers":[],"body":""}}"#;
    assert!(matches!(TranscriptReader::parse_line(both), Err(TranscriptError::Malformed { line: None, .. })));
}

#[test]
fn a_session_token_sent_back_keeps_its_claims_and_its_signature_keeps_its_number() {
    let (jwt, header_and_claims) = session_jwt();
    let buffer = SharedBuffer::default();
    let writer = TranscriptWriter::new(buffer.clone());
    let path = "/v1/client/sessions/sess_1/tokens";
    let body = format!(r#"{{"object":"token","jwt":"{jwt}"}}"#);
    // The token arrives, then goes back as `expired_token` (a secret field), and arrives again.
    let first = request(Method::Post, path, vec![], vec![], Some(vec![]));
    writer.record(&first, BASE, &Ok(HttpResponse::ok_json(body.clone()))).unwrap();
    let again = request(Method::Post, path, vec![Field::secret("expired_token", jwt.clone())], vec![], Some(vec![]));
    writer.record(&again, BASE, &Ok(HttpResponse::ok_json(body))).unwrap();

    let text = buffer.text();
    assert!(!text.contains(SIGNATURE), "the signature reached the transcript");
    let kept = format!("{header_and_claims}.[redacted#1]");
    let lines = entries(&text);
    let sent_back = lines[1].request.url.split_once('?').map(|(_, query)| decoded(query)).unwrap_or_default();
    assert_eq!(sent_back, vec![(String::from("expired_token"), kept.clone())]);
    for entry in &lines {
        let body = &entry.outcome.as_ref().unwrap().body;
        assert!(body.contains(&kept), "the answer lost the token's claims or its number: {body}");
    }
}

#[test]
fn secret_names_clerk_uses_are_redacted_even_when_unmarked() {
    let canaries = [
        ("__clerk_db_jwt", "dvb_2devbrowsercanary"),
        ("__dev_session", "dvb_3devsessioncanary"),
        ("__clerk_token", "sync-token-canary"),
        ("current_password", "old-password-canary"),
        ("new_password", "new-password-canary"),
    ];
    let buffer = SharedBuffer::default();
    let writer = TranscriptWriter::new(buffer.clone());
    let (query, form) = canaries.split_at(3);
    let hand_built = request(
        Method::Post,
        "/v1/me/change_password",
        query.iter().map(|(name, value)| Field::plain(*name, *value)).collect(),
        vec![],
        Some(form.iter().map(|(name, value)| Field::plain(*name, *value)).collect()),
    );
    writer.record(&hand_built, BASE, &Ok(HttpResponse::ok_json(r#"{"id":"dvb_2devbrowsercanary"}"#))).unwrap();
    let text = buffer.text();
    for (name, canary) in canaries {
        assert!(!text.contains(canary), "{name}'s value reached the transcript");
    }
}

#[cfg(unix)]
#[test]
fn a_transcript_written_over_an_existing_file_is_private_too() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("transcript-mode");
    std::fs::create_dir_all(dir.path()).unwrap();
    let path = dir.path().join("old.jsonl");
    std::fs::write(&path, b"old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _writer = TranscriptWriter::create(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

/// A user's backup codes in an answer (`phone_numbers[].backup_codes`) are secrets nothing
/// in the request names; they still become numbered placeholders, and the rest of the body
/// stays byte for byte.
#[test]
fn backup_codes_in_an_answer_never_reach_the_transcript() {
    let out = SharedBuffer::default();
    let writer = TranscriptWriter::new(out.clone());
    let get_client = request(Method::Get, "/v1/client", vec![Field::plain("_is_native", "true")], vec![], None);
    let body = r#"{"response":{"object":"client","id":"client_1","sessions":[{"id":"sess_1","user":{"id":"user_1","phone_numbers":[{"id":"idn_2","backup_codes":["bkp-canary-1", "bkp-canary-2"]}]}}]},"client":null}"#;
    writer.record(&get_client, BASE, &Ok(HttpResponse::ok_json(body))).unwrap();
    let text = out.text();
    assert!(!text.contains("bkp-canary"), "{text}");
    let entry = entries(&text).remove(0);
    let shown = entry.outcome.expect("an answer").body;
    assert_eq!(shown, body.replace("bkp-canary-1", "[redacted#1]").replace("bkp-canary-2", "[redacted#2]"));
}

/// A key spelled with JSON escapes (`backup\u005fcodes`) names the same field: its values
/// are placeholders too.
#[test]
fn backup_codes_under_an_escaped_key_never_reach_the_transcript() {
    let out = SharedBuffer::default();
    let writer = TranscriptWriter::new(out.clone());
    let get_client = request(Method::Get, "/v1/client", vec![Field::plain("_is_native", "true")], vec![], None);
    let body = r#"{"response":{"phone_numbers":[{"id":"idn_2","backup\u005fcodes":["bkp-canary-1"]}]},"client":null}"#;
    writer.record(&get_client, BASE, &Ok(HttpResponse::ok_json(body))).unwrap();
    let text = out.text();
    assert!(!text.contains("bkp-canary"), "{text}");
    let shown = entries(&text).remove(0).outcome.expect("an answer").body;
    assert_eq!(shown, body.replace("bkp-canary-1", "[redacted#1]"));
}
