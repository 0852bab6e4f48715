//! Secrets canary: a password, a code, a client token and a session JWT never appear in
//! the Debug output of the engine, its requests, responses, events or errors.

use clerk_core::secret::{Password, VerificationCode};
use clerk_core::{Field, HttpRequest, HttpResponse, Method};
use clerk_tests::harness::{Harness, START, client_json, session_json};
use serde_json::json;

const TOKEN_CANARY: &str = "canary-client-token-5c1e";
const PASSWORD_CANARY: &str = "canary-password-9d2f";
const CODE_CANARY: &str = "731942";
const SIGNATURE_CANARY: &str = "Y2FuYXJ5LWp3dC1zaWduYXR1cmU";

fn jwt_canary() -> String {
    let claims = clerk_tests::canned_jwt("sess_1", START.unix_timestamp(), START.unix_timestamp() + 60);
    let mut parts: Vec<&str> = claims.split('.').collect();
    parts.truncate(2);
    format!("{}.{SIGNATURE_CANARY}", parts.join("."))
}

fn assert_clean(text: &str, what: &str) {
    for canary in [TOKEN_CANARY, PASSWORD_CANARY, SIGNATURE_CANARY] {
        assert!(!text.contains(canary), "{what} leaks {canary}: {text}");
    }
    assert!(!text.contains(&jwt_canary()), "{what} leaks the JWT");
}

#[test]
fn no_secret_reaches_debug_output_anywhere() {
    let jwt = jwt_canary();
    let mut session = session_json("sess_1", "active");
    session["last_active_token"] = json!({ "object": "token", "jwt": jwt });
    let mut client = client_json(&[], Some("sess_1"), 1);
    client["sessions"] = json!([session]);

    let mut h = Harness::new();
    let op = h.client.create(h.now).unwrap_or_else(|e| panic!("{e}"));
    let request = h.expect_request();
    h.respond_with_token(&request, 200, &json!({ "response": client, "client": null }), TOKEN_CANARY);
    let _ = h.expect_success(op);
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some(TOKEN_CANARY));
    assert_eq!(h.client.cached_session_token("sess_1").map(|t| t.expose()), Some(jwt.as_str()));

    // The next request carries the token: its Debug and serialisation must not.
    let _ = h.client.reload(h.now);
    let carrying = h.expect_request();
    assert_eq!(carrying.request.header("authorization").map(|v| v.expose()), Some(TOKEN_CANARY));
    assert_clean(&format!("{carrying:?}"), "request Debug");
    assert_clean(&serde_json::to_string(&carrying).unwrap_or_default(), "request serialisation");

    // A response that carries a JWT and the token.
    let response = HttpResponse::new(200, [("authorization", TOKEN_CANARY)], format!("{{\"jwt\":\"{jwt}\"}}"));
    assert_clean(&format!("{response:?}"), "response Debug");
    assert_clean(&serde_json::to_string(&response).unwrap_or_default(), "response serialisation");
    // An undecodable answer carrying the JWT becomes an error with a redacted body.
    h.respond(&carrying, response);
    let _ = h.drain();

    assert_clean(&format!("{:?}", h.events), "events");
    assert_clean(&format!("{:?}", h.client), "engine Debug");
    assert_clean(&format!("{:?}", h.client.export()), "persisted state Debug");
    assert_clean(&format!("{:?}", h.client.sessions()), "sessions view");

    // Form values marked secret, and the secret newtypes.
    let form = HttpRequest {
        method: Method::Post,
        path: "/v1/client/sign_ins".into(),
        query: vec![],
        headers: vec![],
        form: Some(vec![
            Field::plain("identifier", "ada@example.com"),
            Field::secret("password", PASSWORD_CANARY),
            Field::secret("code", CODE_CANARY),
        ]),
    };
    let shown = format!("{form:?} {} {}", serde_json::to_string(&form).unwrap_or_default(), form.redacted_body());
    assert_clean(&shown, "form");
    assert!(!shown.contains(CODE_CANARY), "{shown}");
    assert!(form.body().contains(PASSWORD_CANARY), "the wire body has the real value");
    let typed = format!(
        "{:?} {} {:?}",
        Password::new(PASSWORD_CANARY),
        Password::new(PASSWORD_CANARY),
        VerificationCode::new(CODE_CANARY)
    );
    assert_clean(&typed, "secret newtypes");
    assert!(!typed.contains(CODE_CANARY));
}

#[test]
fn the_persisted_bytes_keep_the_token_for_the_store_but_not_session_jwts() {
    let jwt = jwt_canary();
    let mut session = session_json("sess_1", "active");
    session["last_active_token"] = json!({ "object": "token", "jwt": jwt });
    let mut client = client_json(&[], Some("sess_1"), 1);
    client["sessions"] = json!([session]);
    let mut h = Harness::new();
    let op = h.client.create(h.now).unwrap_or_else(|e| panic!("{e}"));
    let request = h.expect_request();
    h.respond_with_token(&request, 200, &json!({ "response": client, "client": null }), TOKEN_CANARY);
    let _ = h.expect_success(op);
    let bytes = String::from_utf8(h.client.export().to_json()).unwrap_or_default();
    assert!(bytes.contains(TOKEN_CANARY), "the token store needs the token");
    assert!(!bytes.contains(SIGNATURE_CANARY), "session JWTs are never persisted");
}

/// A user's backup codes in an answer body (held as secrets once decoded) do not show in a
/// response's Debug or Serialize form, nor in an undecodable answer's error.
#[test]
fn backup_codes_in_an_answer_body_are_redacted() {
    let body = json!({ "response": { "object": "client", "id": "client_1", "sessions": [{ "object": "session",
        "id": "sess_1", "status": "active", "user": { "id": "user_1", "phone_numbers": [{ "id": "idn_2",
        "phone_number": "+15555550100", "backup_codes": ["BACKUP-CANARY-1"] }] } }] }, "client": null });
    let bytes = serde_json::to_vec(&body).expect("encodes");
    let response = HttpResponse::ok_json(bytes.clone());
    let shown = format!("{response:?} {}", serde_json::to_string(&response).expect("serializes"));
    assert!(!shown.contains("BACKUP-CANARY-1"), "{shown}");

    // The same body cut short is undecodable: the error keeps a redacted preview.
    let mut h = Harness::new();
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    let cut = bytes.get(..bytes.len() - 4).expect("long enough").to_vec();
    h.respond(&request, HttpResponse::ok_json(cut));
    let error = format!("{:?}", h.expect_failure(op));
    assert!(!error.contains("BACKUP-CANARY-1"), "{error}");
}

/// A backup code where the wire model wants a list (or after a `null` element) makes the
/// answer undecodable; neither serde's reason nor the body preview may repeat it.
#[test]
fn backup_codes_in_an_undecodable_answer_stay_hidden() {
    for codes in [r#""BACKUP-CANARY-1""#, r#"["aaaa",null,"BACKUP-CANARY-1"]"#] {
        let body = format!(
            r#"{{"response":{{"object":"client","id":"client_1","sessions":[{{"object":"session","id":"sess_1","status":"active","user":{{"id":"user_1","phone_numbers":[{{"id":"idn_2","backup_codes":{codes}}}]}}}}]}},"client":null}}"#
        );
        let mut h = Harness::new();
        let op = h.client.reload(h.now);
        let request = h.expect_request();
        h.respond(&request, HttpResponse::ok_json(body.into_bytes()));
        let error = h.expect_failure(op);
        let shown = format!("{error:?} {error}");
        assert!(!shown.contains("BACKUP-CANARY-1"), "{codes}: {shown}");
    }
}

/// A key spelled with JSON escapes (`backup\u005fcodes`) is the same field to the decoder;
/// its codes stay hidden too, in a response's Debug and Serialize forms and in an
/// undecodable answer's error.
#[test]
fn backup_codes_under_an_escaped_key_stay_hidden() {
    for codes in [r#"["BACKUP-CANARY-1"]"#, r#""BACKUP-CANARY-1""#] {
        let body = format!(
            r#"{{"response":{{"object":"client","id":"client_1","sessions":[{{"object":"session","id":"sess_1","status":"active","user":{{"id":"user_1","phone_numbers":[{{"id":"idn_2","backup\u005fcodes":{codes}}}]}}}}]}},"client":null}}"#
        );
        let response = HttpResponse::ok_json(body.clone().into_bytes());
        let shown = format!("{response:?} {}", serde_json::to_string(&response).expect("serializes"));
        assert!(!shown.contains("BACKUP-CANARY-1"), "{codes}: {shown}");
    }
    let body = r#"{"response":{"object":"client","id":"client_1","sessions":[{"object":"session","id":"sess_1","status":"active","user":{"id":"user_1","phone_numbers":[{"id":"idn_2","backup\u005fcodes":"BACKUP-CANARY-1"}]}}]},"client":null}"#;
    let mut h = Harness::new();
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    h.respond(&request, HttpResponse::ok_json(body.as_bytes().to_vec()));
    let error = h.expect_failure(op);
    let shown = format!("{error:?} {error}");
    assert!(!shown.contains("BACKUP-CANARY-1"), "{shown}");
}
