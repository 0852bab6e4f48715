//! Golden requests: for every operation, the exact method, path, query, headers and body,
//! written by hand from fapi.md §1.3–1.7 and Appendix B (not snapshots of what the code
//! emits); and every emitted request checked against Clerk's OpenAPI spec plus
//! `../shared/fapi/undocumented.json`.

use clerk_core::config::RetryPolicy;
use clerk_core::{ClientCommand, ClientConfig, InstanceType, Method, Outgoing, TransportError, TransportMode};
use clerk_tests::golden::{Golden, NATIVE_QUERY, check};
use clerk_tests::harness::{Harness, client_json, config};
use clerk_tests::spec::{assert_conforms, violations};
use serde_json::json;

fn signed_in() -> Harness {
    Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1))
}

#[test]
fn load_without_a_token_is_a_bare_environment_get() {
    let mut h = Harness::new();
    let _ = h.client.load(h.now);
    let request = h.expect_request();
    check(
        &request.request,
        &Golden {
            method: Method::Get,
            path: "/v1/environment",
            query: NATIVE_QUERY.to_vec(),
            headers: vec![("x-mobile", "1")],
            body: None,
        },
    );
    assert_eq!(
        request.request.url(&h.client.config().base_url()),
        "https://foo-bar-13.clerk.accounts.dev/v1/environment?__clerk_api_version=2026-05-12&_is_native=true"
    );
}

#[test]
fn environment_carries_the_active_session_outside_v1_client() {
    let mut h = signed_in();
    let _ = h.submit(ClientCommand::LoadEnvironment);
    let request = h.expect_request();
    check(
        &request.request,
        &Golden {
            method: Method::Get,
            path: "/v1/environment",
            query: vec![("__clerk_api_version", "2026-05-12"), ("_clerk_session_id", "sess_1"), ("_is_native", "true")],
            headers: vec![("authorization", "token-1"), ("x-mobile", "1")],
            body: None,
        },
    );
}

#[test]
fn reload_is_a_get_with_the_client_token() {
    let mut h = signed_in();
    let _ = h.client.reload(h.now);
    check(
        &h.expect_request().request,
        &Golden {
            method: Method::Get,
            path: "/v1/client",
            query: NATIVE_QUERY.to_vec(),
            headers: vec![("authorization", "token-1"), ("x-mobile", "1")],
            body: None,
        },
    );
}

#[test]
fn create_is_an_empty_form_post() {
    let mut h = Harness::new();
    let _ = h.client.create(h.now);
    check(
        &h.expect_request().request,
        &Golden {
            method: Method::Post,
            path: "/v1/client",
            query: NATIVE_QUERY.to_vec(),
            headers: vec![("x-mobile", "1"), ("content-type", "application/x-www-form-urlencoded")],
            body: Some(""),
        },
    );
}

#[test]
fn destroy_is_a_delete_with_the_token() {
    let mut h = signed_in();
    let _ = h.client.destroy(h.now);
    check(
        &h.expect_request().request,
        &Golden {
            method: Method::Delete,
            path: "/v1/client",
            query: NATIVE_QUERY.to_vec(),
            headers: vec![
                ("authorization", "token-1"),
                ("x-mobile", "1"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            body: Some(""),
        },
    );
}

#[test]
fn remove_sessions_is_a_delete_of_the_collection() {
    let mut h = signed_in();
    let _ = h.client.remove_sessions(h.now);
    check(
        &h.expect_request().request,
        &Golden {
            method: Method::Delete,
            path: "/v1/client/sessions",
            query: NATIVE_QUERY.to_vec(),
            headers: vec![
                ("authorization", "token-1"),
                ("x-mobile", "1"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            body: Some(""),
        },
    );
}

#[test]
fn retries_carry_the_attempt_number() {
    let config =
        config().with_retry(RetryPolicy { jitter: false, ..RetryPolicy::default() }).unwrap_or_else(|e| panic!("{e}"));
    let mut h = Harness::with_config(config);
    let _ = h.client.load(h.now);
    let first = h.expect_request();
    h.fail(&first, TransportError::Io("reset".into()));
    h.advance(time::Duration::milliseconds(100));
    check(
        &h.expect_request().request,
        &Golden {
            method: Method::Get,
            path: "/v1/environment",
            query: vec![("__clerk_api_version", "2026-05-12"), ("_is_native", "true"), ("_clerk_retry_attempt", "1")],
            headers: vec![("x-mobile", "1")],
            body: None,
        },
    );
}

#[test]
fn browser_mode_tunnels_methods_and_sends_no_token() {
    let mut h = Harness::with_config(config().with_mode(TransportMode::Browser));
    let _ = h.client.create(h.now);
    h.answer_dev_browser("dvb_1");
    let create = h.expect_request();
    check(
        &create.request,
        &Golden {
            method: Method::Post,
            path: "/v1/client",
            query: vec![("__clerk_api_version", "2026-05-12"), ("_method", "PUT"), ("__clerk_db_jwt", "dvb_1")],
            headers: vec![("content-type", "application/x-www-form-urlencoded")],
            body: Some(""),
        },
    );
    h.respond_json(&create, 200, &json!({ "response": client_json(&[], None, 1), "client": null }));
    let _ = h.client.destroy(h.now);
    check(
        &h.expect_request().request,
        &Golden {
            method: Method::Post,
            path: "/v1/client",
            query: vec![("__clerk_api_version", "2026-05-12"), ("_method", "DELETE"), ("__clerk_db_jwt", "dvb_1")],
            headers: vec![("content-type", "application/x-www-form-urlencoded")],
            body: Some(""),
        },
    );
}

#[test]
fn development_satellites_send_domain_and_client_id_when_asked() {
    let config =
        config().with_domain("satellite.example.com").unwrap_or_else(|e| panic!("{e}")).with_client_id_header(true);
    let mut h = Harness::with_config(config);
    let _ = h.client.create(h.now);
    let create = h.expect_request();
    assert_eq!(create.request.query_value("__domain").map(|v| v.expose()), Some("satellite.example.com"));
    assert_conforms(&create.request);
    h.respond_with_token(&create, 200, &json!({ "response": client_json(&[], None, 1), "client": null }), "tok");
    let _ = h.client.reload(h.now);
    let reload = h.expect_request();
    check(
        &reload.request,
        &Golden {
            method: Method::Get,
            path: "/v1/client",
            query: vec![
                ("__clerk_api_version", "2026-05-12"),
                ("__domain", "satellite.example.com"),
                ("_is_native", "true"),
            ],
            headers: vec![("authorization", "tok"), ("x-mobile", "1"), ("x-clerk-client-id", "client_1")],
            body: None,
        },
    );
}

#[test]
fn a_proxy_or_a_local_base_url_changes_only_the_origin() {
    let proxied = config().with_proxy_url("https://app.example.com/api/__clerk/").unwrap_or_else(|e| panic!("{e}"));
    let mut h = Harness::with_config(proxied);
    let _ = h.client.reload(h.now);
    let request: Outgoing = h.expect_request();
    assert_eq!(
        request.request.url(&h.client.config().base_url()),
        "https://app.example.com/api/__clerk/v1/client?__clerk_api_version=2026-05-12&_is_native=true"
    );
    let local = ClientConfig::for_base_url("http://127.0.0.1:8080", InstanceType::Development)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(local.base_url(), "http://127.0.0.1:8080");
}

#[test]
fn the_spec_check_catches_an_undocumented_parameter() {
    let mut h = signed_in();
    let _ = h.client.reload(h.now);
    let reload = h.expect_request();
    let mut request = reload.request.clone();
    assert!(violations(&request).is_empty());
    request.query.push(clerk_core::Field::plain("favourite_colour", "blue"));
    let found = violations(&request);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].to_string().contains("favourite_colour"), "{}", found[0]);

    h.respond_json(&reload, 200, &json!({ "response": client_json(&[], None, 2), "client": null }));
    let _ = h.client.create(h.now);
    let mut create = h.expect_request().request;
    create.form.get_or_insert_with(Vec::new).push(clerk_core::Field::plain("sign_up_if_missing", "true"));
    assert!(!violations(&create).is_empty(), "sign_up_if_missing is allowed on sign-in create only");
}
