//! What error answers and session statuses mean for the sessions and the client: one test
//! per row of the table in `clerk_core::classification` (fapi.md §2.4–2.5, §5.5; design §4),
//! driven through the engine and asserted directly on `classify_error` / `classify_status`;
//! and a check that the table in `docs/sessions.md` says the same as the code.

use std::collections::BTreeSet;
use std::path::Path;

use clerk_core::classification::{classify_error, classify_status, is_session_request};
use clerk_core::wire::{ErrorCode, SessionStatus};
use clerk_core::{
    Command, ErrorEffect, Event, OperationError, OrganizationChoice, RequestKind, SessionCommand, SessionEndReason,
    SignInCommand, SignInCreate, SignOutReason, TokenRequest, TouchIntent,
};
use clerk_tests::canned_jwt;
use clerk_tests::harness::{Harness, START, client_json, error_json, session_json};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const SESSION_KINDS: [RequestKind; 5] = [
    RequestKind::SessionGet,
    RequestKind::SessionTouch,
    RequestKind::SessionEnd,
    RequestKind::SessionRemove,
    RequestKind::SessionToken,
];
const OTHER_KINDS: [RequestKind; 5] = [
    RequestKind::SignInCreate,
    RequestKind::SignInAttemptFirstFactor,
    RequestKind::SignUpCreate,
    RequestKind::ClientGet,
    RequestKind::SessionVerify,
];

fn code(text: &str) -> ErrorCode {
    ErrorCode::from(text)
}

/// A client with `sess_1` active and a piggybacked token.
fn active_client(updated_seconds: i64) -> Value {
    let mut session = session_json("sess_1", "active");
    let now = START.unix_timestamp();
    session["last_active_token"] = json!({ "object": "token", "jwt": canned_jwt("sess_1", now, now + 60) });
    let mut client = client_json(&[], Some("sess_1"), updated_seconds);
    client["sessions"] = json!([session]);
    client
}

fn signed_in() -> Harness {
    Harness::signed_in(&active_client(1))
}

fn touch() -> Command {
    Command::Session(SessionCommand::Touch { session_id: "sess_1".into(), intent: Some(TouchIntent::Focus) })
}

fn token() -> Command {
    Command::Session(SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }))
}

fn end() -> Command {
    Command::Session(SessionCommand::End { session_id: "sess_1".into() })
}

fn remove() -> Command {
    Command::Session(SessionCommand::Remove { session_id: "sess_1".into() })
}

fn reload_session() -> Command {
    Command::Session(SessionCommand::Reload { session_id: "sess_1".into() })
}

fn sign_in_create() -> Command {
    Command::SignIn(SignInCommand::Create(SignInCreate::identifier("ada@example.com")))
}

/// Submits `command`, answers its request with an error `code`/`status`, and returns the
/// operation's error; the harness is left with whatever the engine queued next.
fn answer_with_error(h: &mut Harness, command: Command, status: u16, error: &str) -> OperationError {
    let op = h.submit(command);
    let request = h.expect_request();
    h.respond_json(&request, status, &error_json(error, None));
    let failure = h.expect_failure(op);
    match &failure {
        OperationError::Api(api) => {
            assert_eq!(api.code, code(error));
            assert_eq!(api.status, status);
        }
        other => panic!("expected the API error {error}, got {other:?}"),
    }
    failure
}

/// The kinds of every request the engine sends from now on, answering each client refresh
/// with `refresh_answer`.
fn following_requests(h: &mut Harness, refresh_answer: &Value) -> Vec<RequestKind> {
    let mut kinds = Vec::new();
    while let Some(request) = h.poll_request() {
        kinds.push(request.kind);
        assert!(kinds.len() < 10, "runaway requests: {kinds:?}");
        if request.kind == RequestKind::ClientGet {
            assert_eq!(request.request.path, "/v1/client");
            h.respond_json(&request, 200, &json!({ "response": refresh_answer, "client": null }));
        } else {
            h.respond_json(&request, 500, &error_json("internal", None));
        }
    }
    kinds
}

fn assert_refresh_only(h: &mut Harness, refresh_answer: &Value) {
    assert_eq!(following_requests(h, refresh_answer), [RequestKind::ClientGet], "one coalesced client refresh");
}

fn assert_nothing_follows(h: &mut Harness) {
    assert!(h.poll_request().is_none(), "nothing is sent after this error");
}

fn signed_out_reasons(h: &Harness) -> Vec<SignOutReason> {
    h.events
        .iter()
        .filter_map(|e| match e {
            Event::SignedOut { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

fn assert_session_gone(h: &mut Harness, reason: SessionEndReason) {
    let _ = h.drain();
    assert_eq!(h.client.active_session_id(), None);
    assert_eq!(signed_out_reasons(h), [SignOutReason::SessionEnded { reason }]);
    assert!(h.events.contains(&Event::ActiveSessionChanged { session_id: None }));
}

fn assert_still_signed_in(h: &mut Harness) {
    let _ = h.drain();
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(signed_out_reasons(h).is_empty());
}

// ---------------------------------------------------------------------------------------
// One test per row (engine + direct classification)
// ---------------------------------------------------------------------------------------

#[test]
fn authentication_invalid_refreshes_the_client_once_even_after_two_401s() {
    for kind in SESSION_KINDS.into_iter().chain(OTHER_KINDS) {
        assert_eq!(classify_error(&code("authentication_invalid"), 401, kind), ErrorEffect::RefreshClient, "{kind}");
    }
    let mut h = signed_in();
    let touch_op = h.submit(touch());
    let token_op = h.submit(token());
    let first = h.expect_request();
    assert_eq!(first.kind, RequestKind::SessionTouch);
    h.respond_json(&first, 401, &error_json("authentication_invalid", None));
    let second = h.expect_request();
    assert_eq!(second.kind, RequestKind::SessionToken, "the refresh queues behind what was already queued");
    h.respond_json(&second, 401, &error_json("authentication_invalid", None));
    assert!(matches!(h.expect_failure(touch_op), OperationError::Api(_)));
    assert!(matches!(h.expect_failure(token_op), OperationError::Api(_)));
    // The refresh finds the session still there: nothing else happens.
    assert_refresh_only(&mut h, &active_client(2));
    assert_still_signed_in(&mut h);
}

#[test]
fn a_refresh_that_finds_the_session_ended_signs_out_with_the_reason() {
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, touch(), 401, "authentication_invalid");
    let ended = client_json(&[("sess_1", "ended")], Some("sess_1"), 2);
    assert_refresh_only(&mut h, &ended);
    assert_session_gone(&mut h, SessionEndReason::Ended);
}

#[test]
fn any_other_401_refreshes_the_client() {
    for kind in SESSION_KINDS.into_iter().chain(OTHER_KINDS) {
        assert_eq!(classify_error(&code("some_new_code"), 401, kind), ErrorEffect::RefreshClient, "{kind}");
    }
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, touch(), 401, "some_new_code");
    assert_refresh_only(&mut h, &active_client(2));
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, sign_in_create(), 401, "some_new_code");
    assert_refresh_only(&mut h, &active_client(2));
    assert_still_signed_in(&mut h);
}

#[test]
fn any_other_422_on_a_session_request_refreshes_the_client() {
    for kind in SESSION_KINDS {
        assert_eq!(classify_error(&code("form_param_nil"), 422, kind), ErrorEffect::RefreshClient, "{kind}");
    }
    for kind in OTHER_KINDS {
        assert_eq!(classify_error(&code("form_param_nil"), 422, kind), ErrorEffect::None, "{kind}");
    }
    for command in [touch(), token(), end(), remove()] {
        let mut h = signed_in();
        let _ = answer_with_error(&mut h, command, 422, "form_param_nil");
        assert_refresh_only(&mut h, &active_client(2));
    }
    // Not on other requests: a 422 on a sign-in is a form error, nothing more.
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, sign_in_create(), 422, "form_param_nil");
    assert_nothing_follows(&mut h);
    assert_still_signed_in(&mut h);
}

#[test]
fn resource_not_found_on_a_session_request_refreshes_the_client() {
    for kind in SESSION_KINDS {
        assert_eq!(classify_error(&code("resource_not_found"), 404, kind), ErrorEffect::RefreshClient, "{kind}");
    }
    for kind in OTHER_KINDS {
        assert_eq!(classify_error(&code("resource_not_found"), 404, kind), ErrorEffect::None, "{kind}");
    }
    for command in [reload_session(), token(), touch()] {
        let mut h = signed_in();
        let _ = answer_with_error(&mut h, command, 404, "resource_not_found");
        assert_refresh_only(&mut h, &active_client(2));
    }
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, sign_in_create(), 404, "resource_not_found");
    assert_nothing_follows(&mut h);
}

#[test]
fn session_exists_refreshes_the_client() {
    for status in [400, 403, 422] {
        for kind in SESSION_KINDS.into_iter().chain(OTHER_KINDS) {
            assert_eq!(classify_error(&code("session_exists"), status, kind), ErrorEffect::RefreshClient);
        }
    }
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, sign_in_create(), 400, "session_exists");
    assert_refresh_only(&mut h, &active_client(2));
    assert_still_signed_in(&mut h);
}

#[test]
fn identifier_already_signed_in_refreshes_the_client() {
    for status in [400, 422] {
        for kind in SESSION_KINDS.into_iter().chain(OTHER_KINDS) {
            assert_eq!(classify_error(&code("identifier_already_signed_in"), status, kind), ErrorEffect::RefreshClient);
        }
    }
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, sign_in_create(), 422, "identifier_already_signed_in");
    assert_refresh_only(&mut h, &active_client(2));
}

/// fapi.md §2.5, §5.1: `session_exists` and `identifier_already_signed_in` say this client
/// already holds a session the sign-in would create; clerk-js activates it (the client's
/// `last_active_session_id`, or the error's `meta.session_id`). When the local client does not
/// know that session (a sign-out that was only local, a completion whose answer was lost) and
/// the error carries no client, only the refresh brings it: without one the person is stuck,
/// every sign-in failing the same way and `SetActive` refused for a session the client lacks.
#[test]
fn a_session_already_on_the_client_is_fetched_when_none_is_active_locally() {
    for (status, error) in [(400, "session_exists"), (422, "identifier_already_signed_in")] {
        let mut h = Harness::signed_in(&client_json(&[], None, 1));
        let _ = answer_with_error(&mut h, sign_in_create(), status, error);
        assert_refresh_only(&mut h, &active_client(2));
        assert_eq!(h.client.active_session_id(), Some("sess_1"), "{error}: the session on the client is active");
    }
}

#[test]
fn user_banned_ends_the_session_as_banned() {
    for kind in SESSION_KINDS {
        assert_eq!(
            classify_error(&code("user_banned"), 403, kind),
            ErrorEffect::SessionGone(SessionEndReason::Banned),
            "{kind}"
        );
    }
    for kind in OTHER_KINDS {
        assert_eq!(classify_error(&code("user_banned"), 403, kind), ErrorEffect::None, "{kind}");
    }
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, touch(), 403, "user_banned");
    assert_session_gone(&mut h, SessionEndReason::Banned);
    assert!(h.client.cached_session_token("sess_1").is_none(), "tokens of a gone session are dropped");
}

#[test]
fn a_banned_or_deactivated_account_failing_to_sign_in_leaves_the_signed_in_user_alone() {
    // fapi.md §2.4: these codes mean "unauthenticated" only for session operations. Another
    // account's failed sign-in on this client says nothing about the active session.
    for (status, error) in [(403, "user_banned"), (403, "user_deactivated"), (400, "signed_out")] {
        let mut h = signed_in();
        let _ = answer_with_error(&mut h, sign_in_create(), status, error);
        assert_still_signed_in(&mut h);
        assert!(h.client.cached_session_token("sess_1").is_some(), "{error}: the active session keeps its token");
        assert_nothing_follows(&mut h);
    }
}

#[test]
fn user_deactivated_ends_the_session_as_deactivated() {
    for kind in SESSION_KINDS {
        assert_eq!(
            classify_error(&code("user_deactivated"), 403, kind),
            ErrorEffect::SessionGone(SessionEndReason::Deactivated),
            "{kind}"
        );
    }
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, token(), 403, "user_deactivated");
    assert_session_gone(&mut h, SessionEndReason::Deactivated);
    assert!(h.client.cached_session_token("sess_1").is_none(), "tokens of a gone session are dropped");
}

#[test]
fn signed_out_ends_the_session() {
    for status in [400, 401, 403, 422] {
        assert_eq!(
            classify_error(&code("signed_out"), status, RequestKind::SessionTouch),
            ErrorEffect::SessionGone(SessionEndReason::Ended)
        );
    }
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, touch(), 400, "signed_out");
    assert_session_gone(&mut h, SessionEndReason::Ended);
    assert!(h.client.cached_session_token("sess_1").is_none(), "tokens of a gone session are dropped");
}

#[test]
fn a_session_gone_error_also_refreshes_the_client() {
    for (status, error) in [(403, "user_banned"), (403, "user_deactivated"), (400, "signed_out")] {
        let mut h = signed_in();
        let _ = answer_with_error(&mut h, touch(), status, error);
        let ended = client_json(&[("sess_1", "ended")], Some("sess_1"), 2);
        assert_eq!(following_requests(&mut h, &ended), [RequestKind::ClientGet], "{error}");
    }
}

#[test]
fn client_not_found_clears_the_client() {
    for status in [400, 404, 422] {
        for kind in SESSION_KINDS.into_iter().chain(OTHER_KINDS) {
            assert_eq!(classify_error(&code("client_not_found"), status, kind), ErrorEffect::ClientGone);
        }
    }
    let mut h = signed_in();
    let _ = answer_with_error(&mut h, touch(), 404, "client_not_found");
    let _ = h.drain();
    assert!(h.client.client().is_none());
    assert_eq!(h.client.active_session_id(), None);
    assert!(h.client.cached_session_token("sess_1").is_none());
    assert_eq!(signed_out_reasons(&h), [SignOutReason::ClientLost]);
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some("token-1"), "only destroy drops the token");
}

#[test]
fn missing_expired_token_repeats_the_token_request() {
    assert_eq!(
        classify_error(&code("missing_expired_token"), 422, RequestKind::SessionToken),
        ErrorEffect::RetryWithExpiredToken
    );
    let mut h = signed_in();
    h.now = START + time::Duration::minutes(5);
    let op = h.submit(Command::Session(SessionCommand::GetToken(TokenRequest::default())));
    let request = h.expect_request();
    h.respond_json(&request, 422, &error_json("missing_expired_token", None));
    let retry = h.expect_request();
    assert_eq!(retry.kind, RequestKind::SessionToken);
    assert!(retry.request.query_value("expired_token").is_some());
    assert!(h.outcome(op).is_none(), "the operation waits for the retry");
}

#[test]
fn configuration_errors_change_nothing_more() {
    for error in ["requires_captcha", "dev_browser_unauthenticated", "native_api_disabled", "origin_invalid"] {
        for status in [400, 401, 403, 422] {
            for kind in SESSION_KINDS.into_iter().chain(OTHER_KINDS) {
                assert_eq!(classify_error(&code(error), status, kind), ErrorEffect::None, "{error} {status} {kind}");
            }
        }
        let mut h = signed_in();
        let _ = answer_with_error(&mut h, touch(), 401, error);
        assert_nothing_follows(&mut h);
        assert_still_signed_in(&mut h);
        assert!(h.client.cached_session_token("sess_1").is_some(), "{error}");
    }
}

#[test]
fn other_errors_change_nothing_more() {
    for (status, error) in [(422, "form_code_incorrect"), (400, "form_identifier_not_found"), (403, "user_locked")] {
        assert_eq!(classify_error(&code(error), status, RequestKind::SignInCreate), ErrorEffect::None);
        let mut h = signed_in();
        let _ = answer_with_error(&mut h, sign_in_create(), status, error);
        assert_nothing_follows(&mut h);
        assert_still_signed_in(&mut h);
    }
}

#[test]
fn terminal_statuses_of_the_active_session_sign_out_with_the_reason() {
    let rows = [
        ("ended", SessionEndReason::Ended),
        ("removed", SessionEndReason::Removed),
        ("revoked", SessionEndReason::Revoked),
        ("expired", SessionEndReason::Expired),
        ("abandoned", SessionEndReason::Abandoned),
        ("replaced", SessionEndReason::Replaced),
        ("hibernating", SessionEndReason::Other("hibernating".into())),
    ];
    for (status, reason) in rows {
        assert_eq!(classify_status(&SessionStatus::from(status)), Some(reason.clone()), "{status}");
        let mut h = signed_in();
        let op = h.client.reload(h.now);
        let request = h.expect_request();
        let client = client_json(&[("sess_1", status)], Some("sess_1"), 2);
        h.respond_json(&request, 200, &json!({ "response": client, "client": null }));
        let _ = h.expect_success(op);
        assert_session_gone(&mut h, reason);
        assert!(h.client.session("sess_1").is_some(), "terminal sessions stay listed");
    }
    assert_eq!(classify_status(&SessionStatus::Active), None);
    assert_eq!(classify_status(&SessionStatus::Pending), None);
}

#[test]
fn tokens_of_a_session_gone_by_status_are_dropped() {
    let mut h = signed_in();
    assert!(h.client.cached_session_token("sess_1").is_some());
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "revoked")], Some("sess_1"), 2);
    h.respond_json(&request, 200, &json!({ "response": client, "client": null }));
    let _ = h.expect_success(op);
    assert_session_gone(&mut h, SessionEndReason::Revoked);
    assert!(h.client.cached_session_token("sess_1").is_none(), "tokens of a gone session are dropped");
}

#[test]
fn a_terminal_status_in_a_touch_answer_signs_out_too() {
    let mut h = signed_in();
    let op = h.submit(Command::Session(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::SessionDefault,
    }));
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": session_json("sess_1", "revoked"), "client": null }));
    // The session is not active after it: the set_active did not take.
    assert_eq!(h.expect_failure(op), clerk_core::OperationError::Superseded);
    assert_session_gone(&mut h, SessionEndReason::Revoked);
}

#[test]
fn session_requests_are_exactly_the_per_session_kinds() {
    for kind in SESSION_KINDS {
        assert!(is_session_request(kind), "{kind}");
    }
    for kind in OTHER_KINDS {
        assert!(!is_session_request(kind), "{kind}");
    }
}

// ---------------------------------------------------------------------------------------
// docs/sessions.md cannot drift from the code
// ---------------------------------------------------------------------------------------

fn workspace_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|cell| cell.trim().to_owned()).collect()
}

/// The rows of the first Markdown table in `text` whose header starts with `first_header`.
fn table_rows(lines: &[&str], first_header: &str) -> Vec<Vec<String>> {
    let start = lines
        .iter()
        .position(|line| line.trim_start().starts_with('|') && cells(line).first().is_some_and(|c| c == first_header))
        .unwrap_or_else(|| panic!("no table starting with {first_header:?}"));
    lines[start + 2..].iter().take_while(|line| line.trim_start().starts_with('|')).map(|line| cells(line)).collect()
}

fn reason_named(name: &str) -> SessionEndReason {
    match name {
        "ended" => SessionEndReason::Ended,
        "removed" => SessionEndReason::Removed,
        "revoked" => SessionEndReason::Revoked,
        "expired" => SessionEndReason::Expired,
        "abandoned" => SessionEndReason::Abandoned,
        "replaced" => SessionEndReason::Replaced,
        "banned" => SessionEndReason::Banned,
        "deactivated" => SessionEndReason::Deactivated,
        other => panic!("docs/sessions.md names an unknown reason {other:?}"),
    }
}

fn effect_named(text: &str) -> ErrorEffect {
    if let Some(reason) = text.strip_prefix("session gone: ") {
        return ErrorEffect::SessionGone(reason_named(reason.trim()));
    }
    match text {
        "refresh the client" => ErrorEffect::RefreshClient,
        "client gone" => ErrorEffect::ClientGone,
        "nothing more" => ErrorEffect::None,
        _ if text.starts_with("repeat the token request once") => ErrorEffect::RetryWithExpiredToken,
        other => panic!("docs/sessions.md names an unknown effect {other:?}"),
    }
}

#[test]
fn the_classification_table_in_docs_matches_the_code() {
    let doc = workspace_file("docs/sessions.md");
    let lines: Vec<&str> = doc.lines().collect();
    let rows = table_rows(&lines, "Answer");
    let mut checked = 0;
    for row in &rows {
        assert!(row.len() >= 4, "short row {row:?}");
        let (answer, http, to, effect) = (&row[0], &row[1], &row[2], effect_named(&row[3]));
        if answer.starts_with("session status") {
            for status in backticked(answer) {
                let ErrorEffect::SessionGone(reason) = &effect else {
                    panic!("status row {answer} must say `session gone: …`");
                };
                assert_eq!(classify_status(&SessionStatus::from(status.as_str())).as_ref(), Some(reason), "{answer}");
                checked += 1;
            }
            continue;
        }
        let codes: Vec<ErrorCode> = match backticked(answer) {
            names if names.is_empty() => {
                assert!(answer.starts_with("any other code"), "row without a code: {answer}");
                vec![code("a_code_nobody_has_seen")]
            }
            names => names.iter().map(|name| code(name)).collect(),
        };
        let statuses: Vec<u16> = match http.as_str() {
            "any" => vec![400, 401, 403, 404, 422],
            number => vec![number.parse().unwrap_or_else(|_| panic!("HTTP status {number:?}"))],
        };
        let (kinds, others): (Vec<RequestKind>, Vec<RequestKind>) = match to.as_str() {
            "any request" => (SESSION_KINDS.into_iter().chain(OTHER_KINDS).collect(), Vec::new()),
            "a session request" => (SESSION_KINDS.to_vec(), OTHER_KINDS.to_vec()),
            "a token request" => (vec![RequestKind::SessionToken], Vec::new()),
            other => panic!("docs/sessions.md names unknown requests {other:?}"),
        };
        for code in &codes {
            for status in &statuses {
                for kind in &kinds {
                    assert_eq!(classify_error(code, *status, *kind), effect, "{code} {status} {kind}: {row:?}");
                    checked += 1;
                }
                // "On a session request" means: on others the code is like any unknown one
                // (the status rows still apply).
                for kind in &others {
                    let unknown = classify_error(&self::code("a_code_nobody_has_seen"), *status, *kind);
                    assert_eq!(classify_error(code, *status, *kind), unknown, "{code} {status} {kind}");
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} checks: is the table there?");

    // The same rows as the module documentation of clerk_core::classification.
    let source = workspace_file("crates/clerk-core/src/classification.rs");
    let module_lines: Vec<&str> = source.lines().filter_map(|line| line.strip_prefix("//!")).map(str::trim).collect();
    let module_rows = table_rows(&module_lines, "code / status");
    assert_eq!(rows.len(), module_rows.len(), "docs/sessions.md and the module doc have different row counts");
    let names =
        |rows: &[Vec<String>]| -> BTreeSet<String> { rows.iter().flat_map(|row| backticked(&row[0])).collect() };
    assert_eq!(names(&rows), names(&module_rows), "docs/sessions.md names other codes or statuses than the module doc");
}
