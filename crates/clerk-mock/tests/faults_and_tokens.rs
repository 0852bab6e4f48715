//! Fault injection per route, and session JWTs verified against the JWKS with an independent
//! JWT library.

mod support;

use std::time::{Duration, Instant};

use clerk_mock::{Fault, MockServer, Route, UserSpec};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;
use support::{Native, raw_exchange};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

fn environment_url(mock: &MockServer) -> String {
    format!("{}/v1/environment?_is_native=true", mock.base_url())
}

#[test]
fn too_many_requests_carries_retry_after_then_the_route_recovers() {
    let mock = support::mock();
    mock.set_fault(Route::new("GET", "/v1/environment"), Fault::TooManyRequests { retry_after_secs: 7 }, Some(1));
    let mut native = Native::new(&mock.base_url());
    let limited = native.get("/v1/environment");
    assert_eq!(limited.status, 429);
    assert_eq!(limited.retry_after.as_deref(), Some("7"));
    assert_eq!(limited.body["errors"][0]["code"], "too_many_requests");
    assert_eq!(native.get("/v1/environment").status, 200, "the fault was armed once");
}

#[test]
fn server_errors_leave_state_untouched() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("s@example.com").password("password-1234"));
    mock.set_fault(Route::any_method("/v1/client/**"), Fault::ServerError(503), None);
    let mut native = Native::new(&mock.base_url());
    let failed = native.post("/v1/client/sign_ins", &[("identifier", "s@example.com"), ("password", "password-1234")]);
    assert_eq!(failed.status, 503);
    assert_eq!(failed.body["errors"][0]["code"], "internal_clerk_error");
    assert!(failed.token.is_none(), "nothing was created");
    mock.clear_faults();
    assert_eq!(native.get("/v1/client").body["response"], Value::Null);
}

#[test]
fn slow_answers_arrive_late_but_whole() {
    let mock = support::mock();
    mock.set_fault(Route::new("GET", "/v1/environment"), Fault::Slow(Duration::from_millis(300)), Some(1));
    let started = Instant::now();
    let mut native = Native::new(&mock.base_url());
    let answer = native.get("/v1/environment");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer.status, 200);
    assert!(answer.body["auth_config"].is_object());
}

#[test]
fn truncated_bodies_do_not_decode() {
    let mock = support::mock();
    mock.set_fault(Route::new("GET", "/v1/environment"), Fault::TruncatedBody, Some(1));
    let result = agent().get(&environment_url(&mock)).call();
    let undecodable = match result {
        Err(_) => true,
        Ok(mut response) => match response.body_mut().read_to_string() {
            Err(_) => true,
            Ok(text) => serde_json::from_str::<Value>(&text).is_err(),
        },
    };
    assert!(undecodable, "a truncated body must not decode");
}

#[test]
fn truncated_bodies_arrive_with_status_headers_and_half_the_body_then_the_connection_breaks() {
    let mock = support::mock();
    mock.set_fault(Route::new("GET", "/v1/environment"), Fault::TruncatedBody, Some(1));
    let started = Instant::now();
    let received = raw_exchange(mock.port(), "GET /v1/environment?_is_native=true HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
    assert!(started.elapsed() < Duration::from_secs(5), "the connection breaks, it is not left open");
    assert!(received.starts_with("HTTP/1.1 200 OK\r\n"), "the status line arrives: {received:?}");
    let (head, body) = received.split_once("\r\n\r\n").expect("headers arrive");
    let announced: usize = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
        .expect("content-length")
        .trim()
        .parse()
        .expect("a length");
    assert!(head.to_ascii_lowercase().contains("content-type: application/json"));
    assert!(body.starts_with('{'), "the first part of the JSON body arrives: {body:?}");
    assert_eq!(body.len(), announced / 2, "half of the announced {announced} bytes");
    assert!(serde_json::from_str::<Value>(body).is_err());

    let mut native = Native::new(&mock.base_url());
    assert_eq!(native.get("/v1/environment").status, 200, "the fault was armed once");
}

#[test]
fn html_bodies_are_not_json() {
    let mock = support::mock();
    mock.set_fault(Route::new("GET", "/v1/environment"), Fault::HtmlBody, Some(1));
    let mut response = agent().get(&environment_url(&mock)).call().expect("an answer");
    assert_eq!(response.status().as_u16(), 502);
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(content_type.starts_with("text/html"));
    let text = response.body_mut().read_to_string().expect("body");
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[test]
fn dropped_connections_are_transport_errors() {
    let mock = support::mock();
    mock.set_fault(Route::new("GET", "/v1/environment"), Fault::DropConnection, Some(1));
    let result = agent().get(&environment_url(&mock)).call();
    let failed = match result {
        Err(_) => true,
        Ok(mut response) => response.body_mut().read_to_string().is_err(),
    };
    assert!(failed, "a dropped connection must fail the exchange");

    // On the wire: the connection closes before a single byte of an answer.
    mock.set_fault(Route::new("GET", "/v1/environment"), Fault::DropConnection, Some(1));
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", mock.port())).expect("connect");
    std::io::Write::write_all(&mut stream, b"GET /v1/environment?_is_native=true HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .expect("write");
    let mut received = Vec::new();
    let _ = std::io::Read::read_to_end(&mut stream, &mut received);
    assert!(received.is_empty(), "got {:?}", String::from_utf8_lossy(&received));
    assert_eq!(agent().get(&environment_url(&mock)).call().expect("recovered").status().as_u16(), 200);
}

#[test]
fn session_jwts_verify_against_the_jwks_and_carry_the_organization() {
    let mock = support::mock();
    let user = mock.add_user(UserSpec::with_email("jwt@example.com").password("password-1234"));
    mock.add_organization(&user, "org_mock_1", "acme");
    let mut native = Native::new(&mock.base_url());
    let done = native.post("/v1/client/sign_ins", &[("identifier", "jwt@example.com"), ("password", "password-1234")]);
    let session_id = done.body["response"]["created_session_id"].as_str().expect("session").to_owned();

    let jwks_text = agent()
        .get(&format!("{}/.well-known/jwks.json?_is_native=true", mock.base_url()))
        .call()
        .expect("jwks")
        .body_mut()
        .read_to_string()
        .expect("body");
    let jwks: Value = serde_json::from_str(&jwks_text).expect("json");
    assert_eq!(jwks, mock.jwks());
    let key = &jwks["keys"][0];
    let decoding_key = DecodingKey::from_rsa_components(key["n"].as_str().expect("n"), key["e"].as_str().expect("e"))
        .expect("rsa key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[mock.base_url()]);
    validation.validate_aud = false;

    let verify = |jwt: &str| -> Value {
        let header = decode_header(jwt).expect("header");
        assert_eq!(header.kid.as_deref(), key["kid"].as_str());
        decode::<Value>(jwt, &decoding_key, &validation).expect("signature and claims verify").claims
    };

    let piggybacked = done.body["client"]["sessions"][0]["last_active_token"]["jwt"].as_str().expect("jwt");
    let claims = verify(piggybacked);
    assert_eq!(claims["sid"], session_id.as_str());
    assert_eq!(claims["sub"], user.as_str());
    assert_eq!(claims["v"], 2);
    assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 60);
    assert!(claims.get("o").is_none(), "personal account");

    let touched = native.post(
        &format!("/v1/client/sessions/{session_id}/touch"),
        &[("active_organization_id", "acme"), ("intent", "select_org")],
    );
    assert_eq!(touched.body["response"]["last_active_organization_id"], "org_mock_1");

    mock.set_token_lifetime(Duration::from_secs(120));
    let token = native.post(&format!("/v1/client/sessions/{session_id}/tokens"), &[]);
    let claims = verify(token.body["jwt"].as_str().expect("jwt"));
    assert_eq!(claims["o"]["id"], "org_mock_1");
    assert_eq!(claims["o"]["slg"], "acme");
    assert_eq!(claims["o"]["rol"], "admin");
    assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 120);

    let personal = native.post(&format!("/v1/client/sessions/{session_id}/tokens"), &[("organization_id", "")]);
    assert!(verify(personal.body["jwt"].as_str().expect("jwt")).get("o").is_none());

    let template = native.post(&format!("/v1/client/sessions/{session_id}/tokens/my-template"), &[]);
    assert_eq!(verify(template.body["jwt"].as_str().expect("jwt"))["tmpl"], "my-template");

    mock.revoke_session(&session_id);
    let revoked = native.post(&format!("/v1/client/sessions/{session_id}/tokens"), &[]);
    assert_eq!(revoked.status, 401);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn the_revoke_helper_leaves_the_client_as_the_revoke_route_does() {
    // Tests stand in for "another device" with the helper: its client must look the same
    // as after `POST /v1/me/sessions/{id}/revoke`.
    let mock = support::mock();
    let (mut native, session_id) = signed_in(&mock, "revoked-elsewhere@example.com");
    let before = native.get("/v1/client");
    assert_eq!(before.body["response"]["last_active_session_id"], session_id.as_str());
    assert!(mock.revoke_session(&session_id));
    let after = native.get("/v1/client");
    let client = &after.body["response"];
    assert_eq!(client["last_active_session_id"], serde_json::Value::Null, "{client}");
    assert_eq!(client["sessions"][0]["status"], "revoked", "{client}");
    assert!(
        client["updated_at"].as_i64() >= before.body["response"]["updated_at"].as_i64(),
        "the client counts as updated"
    );
    assert!(mock.revoke_session(&session_id), "an ended session still exists");
    assert!(!mock.revoke_session("sess_unknown"));
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn the_mocks_debug_shows_no_password_or_client_token() {
    let mock = support::mock();
    let (mut native, _session) = signed_in(&mock, "debugged@example.com");
    let _ = native.get("/v1/client"); // a request that presents the client token
    let token = native.token.clone().expect("a client token");
    let server: &clerk_mock::MockServer = &mock;
    let shown = format!("{server:?}");
    assert!(shown.contains("MockServer") && shown.contains("127.0.0.1"), "{shown}");
    assert!(!shown.contains("password-1234"), "{shown}");
    assert!(!shown.contains(&token), "{shown}");
    // What failing tests print: the recorded requests (and violations, which hold them).
    let requests = format!("{:?}", mock.requests());
    assert!(requests.contains("\"password\", \"[redacted]\""), "{requests}");
    assert!(requests.contains("\"authorization\", \"[redacted]\""), "{requests}");
    assert!(requests.contains("/v1/client/sign_ins") && requests.contains("debugged@example.com"), "{requests}");
    assert!(!requests.contains("password-1234"), "{requests}");
    assert!(!requests.contains(&token), "{requests}");
}

#[test]
fn the_publishable_key_points_at_the_mock() {
    use base64::Engine as _;
    let mock = support::mock();
    let key = mock.publishable_key();
    let payload = key.strip_prefix("pk_test_").expect("test key");
    assert!(!payload.contains('='), "unpadded");
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD.decode(payload).expect("base64");
    let host = String::from_utf8(decoded).expect("utf-8");
    assert_eq!(format!("http://{}", host.trim_end_matches('$')), mock.base_url());
    assert!(host.ends_with('$') && host.contains('.'));
}

/// Signs `email` in with a password; the native client and the new session's id.
fn signed_in(mock: &MockServer, email: &str) -> (Native, String) {
    mock.add_user(UserSpec::with_email(email).password("password-1234"));
    let mut native = Native::new(&mock.base_url());
    let done = native.post("/v1/client/sign_ins", &[("identifier", email), ("password", "password-1234")]);
    let session_id = done.body["response"]["created_session_id"].as_str().expect("session").to_owned();
    (native, session_id)
}

/// The decoded header and claims of a compact JWT (no signature check).
fn decode_parts(jwt: &str) -> (Value, Value) {
    use base64::Engine as _;
    let mut parts = jwt.split('.').map(|part| {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).expect("base64url");
        serde_json::from_slice::<Value>(&bytes).expect("json")
    });
    (parts.next().expect("header"), parts.next().expect("claims"))
}

#[test]
fn template_tokens_are_limited_to_the_configured_templates() {
    let mock = support::mock();
    let (mut native, session_id) = signed_in(&mock, "templates@example.com");
    let template =
        |native: &mut Native, name: &str| native.post(&format!("/v1/client/sessions/{session_id}/tokens/{name}"), &[]);
    assert_eq!(template(&mut native, "anything").status, 200, "any name until templates are configured");

    mock.set_jwt_templates(&["supabase", "hasura:v2"]);
    let known = template(&mut native, "supabase");
    assert_eq!(known.status, 200);
    assert_eq!(decode_parts(known.body["jwt"].as_str().expect("jwt")).1["tmpl"], "supabase");
    let encoded = template(&mut native, "hasura%3Av2");
    assert_eq!(encoded.status, 200, "names are compared after percent-decoding");
    assert_eq!(decode_parts(encoded.body["jwt"].as_str().expect("jwt")).1["tmpl"], "hasura:v2");

    let unknown = template(&mut native, "anything");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["errors"][0]["code"], "resource_not_found");
    assert!(unknown.body.get("jwt").is_none());
    assert_eq!(template(&mut native, "Supabase").status, 404, "names are case-sensitive");

    mock.set_jwt_templates(&[]);
    assert_eq!(template(&mut native, "supabase").status, 404, "an instance without templates");
    assert_eq!(native.post(&format!("/v1/client/sessions/{session_id}/tokens"), &[]).status, 200, "the default token");

    mock.revoke_session(&session_id);
    assert_eq!(template(&mut native, "anything").status, 401, "the session is checked first");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn session_jwts_carry_the_v2_claims_and_oiat_in_the_header() {
    let mock = support::mock();
    let (mut native, session_id) = signed_in(&mock, "claims@example.com");
    let first = native.post(&format!("/v1/client/sessions/{session_id}/tokens"), &[]);
    let (header, claims) = decode_parts(first.body["jwt"].as_str().expect("jwt"));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].is_string() && header["cat"].is_string(), "{header}");
    let iat = claims["iat"].as_i64().expect("iat, s epoch");
    assert_eq!(header["oiat"].as_i64(), Some(iat), "oiat is in seconds, like iat: {header}");
    for claim in ["sid", "sub", "iss", "azp", "sts", "nbf", "exp", "fva"] {
        assert!(claims.get(claim).is_some(), "{claim} missing from {claims}");
    }
    assert_eq!(claims["v"], 2);
    assert_eq!(claims["sts"], "active");

    mock.advance_clock(Duration::from_secs(30));
    let later = native.post(&format!("/v1/client/sessions/{session_id}/tokens"), &[]);
    let (later_header, _) = decode_parts(later.body["jwt"].as_str().expect("jwt"));
    assert_eq!(later_header["oiat"].as_i64(), Some(iat + 30), "a later token is fresher by oiat");

    let template = native.post(&format!("/v1/client/sessions/{session_id}/tokens/any"), &[]);
    assert!(decode_parts(template.body["jwt"].as_str().expect("jwt")).0["oiat"].is_i64(), "template tokens too");
}
