//! Browser mode as a wasm front end meets it (fapi.md §1.6–1.8, §2.4): what clerk-js does in
//! a standard browser, against what the engine sends. On a development instance every request
//! carries the dev-browser token, made with `POST /v1/dev_browser` (§1.8.3).

use clerk_core::secret::DevBrowserToken;
use clerk_core::sign_in::SignInCreate;
use clerk_core::{
    Client, ClientConfig, Completion, Event, HttpResponse, Method, OperationError, RequestKind, SignInCommand,
    SignOutConfirmation, TransportError, TransportMode,
};
use clerk_tests::golden::{Golden, check, check_secret_marks};
use clerk_tests::harness::{Harness, START, client_json, config, error_json};
use serde_json::json;
use time::Duration;

/// A live key (`fake-clerk-test.clerk.accounts.dev`, production).
const LIVE_KEY: &str = "pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ";

fn browser() -> ClientConfig {
    config().with_mode(TransportMode::Browser)
}

/// A browser on the development instance, loaded, with the dev-browser token `dvb_1`.
fn loaded() -> Harness {
    let mut h = Harness::with_config(browser());
    let op = h.client.load(h.now);
    h.answer_dev_browser("dvb_1");
    let environment = h.expect_request();
    h.respond_json(&environment, 200, &json!({ "auth_config": {} }));
    let client = h.expect_request();
    h.respond_json(&client, 200, &json!({ "response": client_json(&[], None, 1), "client": null }));
    let _ = h.expect_success(op);
    h.clear_events();
    h
}

fn query<'a>(request: &'a clerk_core::HttpRequest, name: &str) -> Option<&'a str> {
    request.query_value(name).map(|value| value.expose())
}

// fapi.md §1.8.3, §1.4, §1.9 step 5, Appendix B.2: a development instance refuses a browser
// without a dev-browser token (`dev_browser_unauthenticated`), so clerk-js makes one first and
// every later request carries it as `__clerk_db_jwt`.
#[test]
fn a_development_browser_makes_a_dev_browser_token_before_its_first_request() {
    let mut h = Harness::with_config(browser());
    let op = h.client.load(h.now);
    let first = h.expect_request();
    check(
        &first.request,
        &Golden {
            method: Method::Post,
            path: "/v1/dev_browser",
            query: vec![("__clerk_api_version", "2026-05-12")],
            headers: vec![("content-type", "application/x-www-form-urlencoded")],
            body: Some(""),
        },
    );
    assert_eq!(first.kind, RequestKind::DevBrowser);
    assert!(!first.kind.sends_cookies(), "clerk-js sends it as a plain fetch");
    h.respond_json(&first, 200, &json!({ "object": "dev_browser", "id": "dvb_2pWw3n7rX3IfFv53BGdnwQ4BB4K" }));

    let environment = h.expect_request();
    check(
        &environment.request,
        &Golden {
            method: Method::Get,
            path: "/v1/environment",
            query: vec![("__clerk_api_version", "2026-05-12"), ("__clerk_db_jwt", "dvb_2pWw3n7rX3IfFv53BGdnwQ4BB4K")],
            headers: vec![],
            body: None,
        },
    );
    check_secret_marks(&environment.request, &["__clerk_db_jwt"]);
    assert!(environment.kind.sends_cookies());
    assert!(!format!("{environment:?}").contains("2pWw3n7rX3IfFv53BGdnwQ4BB4K"), "the token is redacted");
    h.respond_json(&environment, 200, &json!({ "auth_config": {} }));
    let client = h.expect_request();
    assert_eq!(client.request.path, "/v1/client");
    assert_eq!(query(&client.request, "__clerk_db_jwt"), Some("dvb_2pWw3n7rX3IfFv53BGdnwQ4BB4K"));
    h.respond_json(&client, 200, &json!({ "response": client_json(&[], None, 1), "client": null }));
    assert_eq!(h.expect_success(op), Completion::Loaded { client_present: true });
    assert!(h.events.iter().any(|event| matches!(
        event,
        Event::DevBrowserTokenChanged { token: Some(token) } if token.expose() == "dvb_2pWw3n7rX3IfFv53BGdnwQ4BB4K"
    )));
    assert!(h.events.iter().any(Event::changes_saved_identity));
    // Made once: later requests reuse it.
    let _ = h.client.reload(h.now);
    let reload = h.expect_request();
    assert_eq!(query(&reload.request, "__clerk_db_jwt"), Some("dvb_2pWw3n7rX3IfFv53BGdnwQ4BB4K"));
}

// Appendix B.2's query order: `_method` before the `__clerk_db_jwt` the before-request hook
// appends (§1.4).
#[test]
fn a_tunnelled_mutation_carries_the_token_after_method() {
    let mut h = loaded();
    let _ = h.client.remove_sessions(h.now);
    check(
        &h.expect_request().request,
        &Golden {
            method: Method::Post,
            path: "/v1/client/sessions",
            query: vec![("__clerk_api_version", "2026-05-12"), ("_method", "DELETE"), ("__clerk_db_jwt", "dvb_1")],
            headers: vec![("content-type", "application/x-www-form-urlencoded")],
            body: Some(""),
        },
    );
}

// §1.8.3: "A response header `Clerk-Db-Jwt` replaces the stored token."
#[test]
fn a_clerk_db_jwt_response_header_replaces_the_token() {
    let mut h = loaded();
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    let body =
        serde_json::to_vec(&json!({ "response": client_json(&[], None, 2), "client": null })).unwrap_or_default();
    h.respond(
        &request,
        HttpResponse::new(200, [("content-type", "application/json"), ("Clerk-Db-Jwt", "dvb_2")], body),
    );
    let _ = h.expect_success(op);
    assert_eq!(h.client.dev_browser_token().map(DevBrowserToken::expose), Some("dvb_2"));
    assert!(h.events.contains(&Event::DevBrowserTokenChanged { token: Some(DevBrowserToken::new("dvb_2")) }));
    let _ = h.client.reload(h.now);
    assert_eq!(query(&h.expect_request().request, "__clerk_db_jwt"), Some("dvb_2"));
}

// §2.4: a 401 `dev_browser_unauthenticated` drops the token and makes a new one; clerk-js's
// load repeats its reads after that.
#[test]
fn dev_browser_unauthenticated_on_a_read_makes_a_new_token_and_repeats_the_read() {
    let mut h = loaded();
    let op = h.client.reload(h.now);
    let refused = h.expect_request();
    h.respond_json(&refused, 401, &error_json("dev_browser_unauthenticated", None));
    let _ = h.drain();
    assert!(h.events.contains(&Event::DevBrowserTokenChanged { token: None }));
    assert_eq!(h.client.dev_browser_token(), None);
    assert_eq!(h.outcome(op), None, "the read waits to be repeated");
    h.advance(Duration::seconds(1));
    h.answer_dev_browser("dvb_new");
    let repeated = h.expect_request();
    assert_eq!(repeated.request.path, "/v1/client");
    assert_eq!(query(&repeated.request, "__clerk_db_jwt"), Some("dvb_new"));
    assert_eq!(query(&repeated.request, "_clerk_retry_attempt"), Some("1"));
    h.respond_json(&repeated, 200, &json!({ "response": client_json(&[], None, 2), "client": null }));
    assert_eq!(h.expect_success(op), Completion::ClientReloaded { client_present: true, applied: true });
}

// A mutation is never repeated by the engine (design §7.5): it fails with the error, and the
// next request makes a new token first.
#[test]
fn dev_browser_unauthenticated_with_a_new_token_in_its_header_repeats_the_read_with_it() {
    // The refusal brings the new token itself (`Clerk-Db-Jwt`): the read is repeated with
    // it, and no `POST /v1/dev_browser` is needed.
    let mut h = loaded();
    let op = h.client.reload(h.now);
    let refused = h.expect_request();
    let body = serde_json::to_vec(&error_json("dev_browser_unauthenticated", None)).unwrap_or_default();
    h.respond(
        &refused,
        clerk_core::HttpResponse::new(401, [("content-type", "application/json"), ("clerk-db-jwt", "dvb_fresh")], body),
    );
    assert_eq!(h.outcome(op), None, "the read waits to be repeated");
    h.advance(Duration::seconds(1));
    let repeated = h.expect_request();
    assert_eq!(repeated.request.path, "/v1/client");
    assert_eq!(query(&repeated.request, "__clerk_db_jwt"), Some("dvb_fresh"));
    h.respond_json(&repeated, 200, &json!({ "response": client_json(&[], None, 2), "client": null }));
    assert_eq!(h.expect_success(op), Completion::ClientReloaded { client_present: true, applied: true });
}

#[test]
fn dev_browser_unauthenticated_on_a_mutation_fails_it_and_the_next_request_makes_a_new_token() {
    let mut h = loaded();
    let create = SignInCreate { identifier: Some("ada@example.com".into()), ..SignInCreate::default() };
    let op = h.submit(SignInCommand::Create(create));
    let refused = h.expect_request();
    h.respond_json(&refused, 401, &error_json("dev_browser_unauthenticated", None));
    match h.expect_failure(op) {
        OperationError::Api(error) => assert_eq!(error.code.as_str(), "dev_browser_unauthenticated"),
        other => panic!("unexpected failure: {other:?}"),
    }
    assert!(h.poll_request().is_none(), "nothing is sent until someone asks");
    let _ = h.client.reload(h.now);
    h.answer_dev_browser("dvb_new");
    assert_eq!(query(&h.expect_request().request, "__clerk_db_jwt"), Some("dvb_new"));
}

// clerk-js's load fails when the dev browser cannot be set up (`clerkErrorDevInitFailed`):
// the operation whose request waited fails with that error; nothing loops.
#[test]
fn a_failed_dev_browser_request_fails_the_operation_that_waited_for_it() {
    let mut h = Harness::with_config(browser());
    let op = h.client.load(h.now);
    let first = h.expect_request();
    assert_eq!(first.kind, RequestKind::DevBrowser);
    h.fail(&first, TransportError::Io("reset".into()));
    assert_eq!(h.expect_failure(op), OperationError::Transport(TransportError::Io("reset".into())));
    assert!(h.poll_request().is_none(), "neither the environment nor the client goes without a token");

    let reload = h.client.reload(h.now);
    let second = h.expect_request();
    assert_eq!(second.kind, RequestKind::DevBrowser);
    h.respond_json(&second, 400, &error_json("url_based_session_syncing_disabled", None));
    match h.expect_failure(reload) {
        OperationError::Api(error) => assert_eq!(error.code.as_str(), "url_based_session_syncing_disabled"),
        other => panic!("unexpected failure: {other:?}"),
    }
    assert!(h.poll_request().is_none());
}

// A sign-out still clears local state and reports it, as it does when its own request fails
// (design §7.9).
#[test]
fn a_sign_out_whose_dev_browser_request_fails_still_signs_out_locally() {
    let mut h = Harness::with_config(browser());
    let _ = h.client.remove_sessions(h.now);
    let first = h.expect_request();
    assert_eq!(first.kind, RequestKind::DevBrowser);
    h.fail(&first, TransportError::Timeout("30 s".into()));
    let _ = h.drain();
    let completion = h.events.iter().find_map(|event| match event {
        Event::OperationCompleted { outcome, .. } => Some(outcome.clone()),
        _ => None,
    });
    assert!(
        matches!(completion, Some(Ok(Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { .. } }))),
        "{:?}",
        h.events
    );
}

// fapi.md §1.8.1–1.8.3: native clients and production browsers never use a dev browser.
#[test]
fn native_clients_and_production_browsers_make_no_dev_browser() {
    let live = ClientConfig::from_publishable_key(LIVE_KEY).unwrap_or_else(|e| panic!("{e}"));
    for config in [config(), live.with_mode(TransportMode::Browser)] {
        let mut h = Harness::with_config(config.clone());
        let _ = h.client.load(h.now);
        let first = h.expect_request();
        assert_eq!(first.request.path, "/v1/environment", "{config:?}");
        assert_eq!(query(&first.request, "__clerk_db_jwt"), None);
        // A `Clerk-Db-Jwt` header means nothing to them.
        let response = HttpResponse::ok_json(r#"{"auth_config":{}}"#).with_header("clerk-db-jwt", "dvb_x");
        h.respond(&first, response);
        assert_eq!(h.client.dev_browser_token(), None);
    }
}

// clerk-js keeps the token in its `__clerk_db_jwt` cookie: it outlives the page. The saved
// state holds it (never shown by `Debug`), and only a development browser takes it back.
#[test]
fn the_dev_browser_token_is_saved_and_restored_by_development_browsers_only() {
    let h = loaded();
    let state = h.client.export();
    assert_eq!(state.dev_browser_token.as_ref().map(DevBrowserToken::expose), Some("dvb_1"));
    assert!(!format!("{state:?}").contains("dvb_1"));
    assert!(!format!("{:?}", h.client).contains("dvb_1"), "nor the engine's");
    assert!(String::from_utf8_lossy(&state.to_json()).contains("dvb_1"), "the store keeps it");
    let read = clerk_core::PersistedState::from_json(&state.to_json()).unwrap_or_else(|e| panic!("{e}"));

    let restored = Client::restore(browser(), read.clone(), START).unwrap_or_else(|e| panic!("{e}"));
    let mut again = Harness::from_client(restored, START);
    let _ = again.client.reload(START);
    let reload = again.expect_request();
    assert_eq!(reload.request.path, "/v1/client", "no new dev browser is made");
    assert_eq!(query(&reload.request, "__clerk_db_jwt"), Some("dvb_1"));

    let native = Client::restore(config(), read, START).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(native.dev_browser_token(), None);
    assert_eq!(native.export().dev_browser_token, None);
}

// §3.2: on a development instance the touch URL carries `__clerk_db_jwt`.
#[test]
fn the_touch_url_carries_the_dev_browser_token() {
    let h = loaded();
    assert_eq!(
        h.client.build_touch_url("https://app.example.com/"),
        "https://foo-bar-13.clerk.accounts.dev/v1/client/touch?redirect_url=https%3A%2F%2Fapp.example.com%2F&__clerk_api_version=2026-05-12&__clerk_db_jwt=dvb_1"
    );
}

// A response's `Debug` never shows the token the dev-browser answer carries.
#[test]
fn the_dev_browser_answer_is_redacted() {
    let response = HttpResponse::ok_json(r#"{"object":"dev_browser","id":"dvb_2pWw3n7rX3IfFv53BGdnwQ4BB4K"}"#)
        .with_header("Clerk-Db-Jwt", "dvb_3canary");
    let shown = format!("{response:?}");
    assert!(!shown.contains("2pWw3n7rX3IfFv53BGdnwQ4BB4K") && !shown.contains("3canary"), "{shown}");
}

// fapi.md §1.8.1: a browser's client is its `__client` cookie, which the engine never sees;
// a client token (from a state saved in native mode) is never sent in browser mode, so it is
// not kept either: the saved state of a browser holds no credential it does not use.
#[test]
fn a_browser_keeps_no_client_token_from_a_saved_state() {
    let mut state = Client::new(config(), START).export();
    state.client_token = Some(clerk_core::secret::ClientToken::new("token-from-native"));
    let restored = Client::restore(browser(), state.clone(), START).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(restored.client_token(), None);
    assert_eq!(restored.export().client_token, None);
    let mut adopted = Client::new(browser(), START);
    adopted.adopt(Some(state), START).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(adopted.client_token(), None);
}
