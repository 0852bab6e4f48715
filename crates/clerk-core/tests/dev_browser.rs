//! The dev-browser token of a browser on a development instance (decision 0014): what the
//! answer to `POST /v1/dev_browser` may change, found by the browser-mode property tests.

#![allow(clippy::expect_used, clippy::panic)]

use clerk_core::secret::{ClientToken, DevBrowserToken};
use clerk_core::{
    Client, ClientConfig, Command, Event, HttpResponse, Outgoing, Output, PersistedState, RequestKind, SignInCommand,
    SignInCreate, TransportMode,
};
use time::{Duration, OffsetDateTime};

const KEY: &str = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";

const SIGNED_IN: &str = r#"{"response":{"object":"client","id":"client_1","sessions":[
    {"object":"session","id":"sess_1","status":"active"}],
    "sign_in":null,"sign_up":null,"last_active_session_id":"sess_1","updated_at":1000},"client":null}"#;

fn now() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
}

fn next_request(client: &mut Client) -> Outgoing {
    loop {
        match client.poll_output() {
            Output::Request(outgoing) => return outgoing,
            Output::Event(_) => {}
            other => panic!("expected a request, got {other:?}"),
        }
    }
}

fn answer(client: &mut Client, kind: RequestKind, status: u16, body: &str) {
    let outgoing = next_request(client);
    assert_eq!(outgoing.kind, kind);
    let response = HttpResponse::new(status, [("content-type", "application/json")], body.as_bytes().to_vec());
    client.handle_response(outgoing.id, Ok(response), now()).expect("the request on the wire");
}

/// The saved state without the id counters (the requests themselves move those).
fn identity(client: &Client) -> PersistedState {
    PersistedState { next_request_id: 0, next_op_id: 0, ..client.export() }
}

fn error(code: &str) -> String {
    format!(r#"{{"errors":[{{"code":"{code}","message":"m","long_message":"l"}}]}}"#)
}

/// A browser on a development instance, signed in as `sess_1`, whose dev-browser token the
/// server has just refused on a mutation: the next request must make a new one first.
fn signed_in_without_a_token() -> Client {
    let config = ClientConfig::from_publishable_key(KEY).expect("test key").with_mode(TransportMode::Browser);
    let mut client = Client::new(config, now());
    let _ = client.reload(now());
    answer(&mut client, RequestKind::DevBrowser, 200, r#"{"object":"dev_browser","id":"dvb_1"}"#);
    answer(&mut client, RequestKind::ClientGet, 200, SIGNED_IN);
    assert_eq!(client.active_session_id(), Some("sess_1"));
    let _ = client.create(now()).expect("accepted");
    answer(&mut client, RequestKind::ClientCreate, 401, &error("dev_browser_unauthenticated"));
    assert!(client.dev_browser_token().is_none());
    while let Output::Event(_) = client.poll_output() {}
    client
}

// `POST /v1/dev_browser` goes without cookies (`RequestKind::sends_cookies`): its answer
// cannot speak for the browser's client, so a `client_not_found` in it is no sign-out.
#[test]
fn client_not_found_in_answer_to_the_dev_browser_request_leaves_the_client() {
    let mut client = signed_in_without_a_token();
    let before = identity(&client);
    let _ = client.reload(now());
    answer(&mut client, RequestKind::DevBrowser, 404, &error("client_not_found"));
    assert_eq!(identity(&client), before, "the failed dev-browser request changed the state");
    assert_eq!(client.active_session_id(), Some("sess_1"));
}

// Nor is a `meta.client` beside an error in that answer the browser's client.
#[test]
fn a_client_beside_an_error_in_answer_to_the_dev_browser_request_is_not_applied() {
    let mut client = signed_in_without_a_token();
    let before = identity(&client);
    let _ = client.reload(now());
    let body = r#"{"errors":[{"code":"form_param_missing","message":"m","long_message":"l"}],
        "meta":{"client":{"object":"client","id":"client_2","sessions":[],"last_active_session_id":null,
        "updated_at":2000}}}"#;
    answer(&mut client, RequestKind::DevBrowser, 422, body);
    assert_eq!(identity(&client), before, "the failed dev-browser request changed the state");
    assert_eq!(client.active_session_id(), Some("sess_1"));
}

/// Answers the next request, which must be of `kind`, with `response`.
fn answer_with(client: &mut Client, kind: RequestKind, response: HttpResponse) {
    let outgoing = next_request(client);
    assert_eq!(outgoing.kind, kind);
    client.handle_response(outgoing.id, Ok(response), now()).expect("the request on the wire");
}

fn too_many_requests() -> HttpResponse {
    let body = error("too_many_requests");
    HttpResponse::new(429, [("content-type", "application/json"), ("retry-after", "1")], body.into_bytes())
}

// Engine contract ("What an answer may change"): a 4xx with an error envelope replaces the
// token, and fapi.md §1.8.3: a `Clerk-Db-Jwt` header replaces it, also on a 429 the engine
// then retries by itself.
#[test]
fn a_retried_429_still_replaces_the_dev_browser_token() {
    let config = ClientConfig::from_publishable_key(KEY).expect("test key").with_mode(TransportMode::Browser);
    let mut client = Client::new(config, now());
    let _ = client.reload(now());
    answer(&mut client, RequestKind::DevBrowser, 200, r#"{"object":"dev_browser","id":"dvb_1"}"#);
    answer_with(&mut client, RequestKind::ClientGet, too_many_requests().with_header("clerk-db-jwt", "dvb_2"));
    assert_eq!(client.dev_browser_token().map(DevBrowserToken::expose), Some("dvb_2"));
    assert!(client.poll_timeout().is_some(), "the read is retried after a backoff");
}

// The same rule for the client token a native client keeps: a rotated token in a 429 that
// is retried is still the token (the next request presenting the old one would get a new,
// session-less client).
#[test]
fn a_retried_429_still_adopts_a_rotated_client_token() {
    let config = ClientConfig::from_publishable_key(KEY).expect("test key");
    let mut state = Client::new(config.clone(), now()).export();
    state.client_token = Some(ClientToken::new("token-1"));
    let mut client = Client::restore(config, state, now()).expect("restores");
    let _ = client.reload(now());
    answer_with(&mut client, RequestKind::ClientGet, too_many_requests().with_header("authorization", "token-2"));
    assert_eq!(client.client_token().map(ClientToken::expose), Some("token-2"));
    assert!(client.poll_timeout().is_some(), "the read is retried after a backoff");
}

// fapi.md §2.4: the client refresh that re-checks a session refused with 401 signs it out
// when the refresh itself fails with 403 or 500. A failed `POST /v1/dev_browser` made for
// that refresh is not the server's verdict on the session: the refresh fails, the session
// stays.
#[test]
fn a_failed_dev_browser_request_does_not_sign_out_the_session_a_refresh_rechecks() {
    let config = ClientConfig::from_publishable_key(KEY).expect("test key").with_mode(TransportMode::Browser);
    let mut client = Client::new(config, now());
    let _ = client.reload(now());
    answer(&mut client, RequestKind::DevBrowser, 200, r#"{"object":"dev_browser","id":"dvb_1"}"#);
    answer(&mut client, RequestKind::ClientGet, 200, SIGNED_IN);
    let _ = client.create(now()).expect("accepted");
    let sign_in = SignInCommand::Create(SignInCreate::identifier("ada@example.com"));
    let _ = client.submit(Command::SignIn(sign_in), now()).expect("accepted");
    // The 401 queues the refresh behind the sign-in; the sign-in's answer refuses the token.
    answer(&mut client, RequestKind::ClientCreate, 401, &error("authentication_invalid"));
    answer(&mut client, RequestKind::SignInCreate, 401, &error("dev_browser_unauthenticated"));
    answer(&mut client, RequestKind::DevBrowser, 500, &error("internal_clerk_error"));
    assert_eq!(client.active_session_id(), Some("sess_1"));
    let mut events = Vec::new();
    while let Output::Event(event) = client.poll_output() {
        events.push(event);
    }
    assert!(!events.iter().any(|event| matches!(event, Event::SignedOut { .. })), "{events:?}");
}
