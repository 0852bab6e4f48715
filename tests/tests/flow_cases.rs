//! Hand-made sign-in and sign-up cases that the recordings lack: error answers with a
//! piggybacked client (fapi.md §2.2 rule 3, §5.1, §5.2), transfers both ways (§5.4), reset
//! password (§3.7.10), second factors, native OAuth with `rotating_token_nonce` (§3.7.5),
//! sign-up-if-missing, email-link outcomes (§3.7.2–3.7.3), captcha, busy and illegal
//! commands, and resets or cancels racing a request on the wire (design §7.2–7.4).
//!
//! Where fapi.md marks a fact [INF], the test makes both answers work and says so.

use clerk_core::secret::{Credential, Password, VerificationCode};
use clerk_core::wire::{ErrorCode, SignInStatus, SignUpStatus, Strategy, Verification, VerificationStatus};
use clerk_core::{
    ApiError, Command, CommandError, Completion, EmailLinkOutcome, Event, FirstFactorAttempt, FirstFactorPreparation,
    Flow, OpId, OperationError, SecondFactorAttempt, SecondFactorPreparation, SignInCommand, SignInCreate,
    SignUpAttempt, SignUpCommand, SignUpFields, SignUpPreparation,
};
use clerk_tests::harness::{Harness, client_json, ms, sign_in_json};
use serde_json::{Value, json};
use time::Duration;

// ---------------------------------------------------------------------------------------
// JSON builders
// ---------------------------------------------------------------------------------------

fn first_factors() -> Value {
    json!([
        { "strategy": "email_code", "email_address_id": "idn_1", "safe_identifier": "a***@example.com" },
        { "strategy": "email_link", "email_address_id": "idn_1", "safe_identifier": "a***@example.com" },
        { "strategy": "password" },
        { "strategy": "reset_password_email_code", "email_address_id": "idn_1", "safe_identifier": "a***@example.com" }
    ])
}

/// A sign-in attempt offering [`first_factors`].
fn sign_in(id: &str, status: &str) -> Value {
    let mut sign_in = sign_in_json(id, status);
    sign_in["supported_first_factors"] = first_factors();
    sign_in
}

/// `sign_in` with `field` (`first_factor_verification`, …) set to `verification`.
fn with(mut resource: Value, field: &str, value: Value) -> Value {
    resource[field] = value;
    resource
}

fn verification(strategy: &str, status: &str, attempts: u32) -> Value {
    json!({ "object": "verification_otp", "status": status, "strategy": strategy, "attempts": attempts,
            "expire_at": ms(600) })
}

/// A session-less client holding `sign_in`, updated `updated` seconds after the start.
fn client_with_sign_in(sign_in: Value, updated: i64) -> Value {
    let mut client = client_json(&[], None, updated);
    client["sign_in"] = sign_in;
    client
}

fn client_with_sign_up(sign_up: Value, updated: i64) -> Value {
    let mut client = client_json(&[], None, updated);
    client["sign_up"] = sign_up;
    client
}

/// A client with the new session `sess_1` active and last active, attempts consumed.
fn completed_client(updated: i64) -> Value {
    client_json(&[("sess_1", "active")], Some("sess_1"), updated)
}

fn complete_sign_in(id: &str) -> Value {
    with(sign_in_json(id, "complete"), "created_session_id", json!("sess_1"))
}

fn sign_up(id: &str, status: &str) -> Value {
    json!({
        "object": "sign_up_attempt",
        "id": id,
        "status": status,
        "required_fields": ["email_address", "password"],
        "optional_fields": [],
        "missing_fields": [],
        "unverified_fields": ["email_address"],
        "verifications": { "email_address": { "status": "unverified", "strategy": "email_code",
            "next_action": "needs_prepare", "supported_strategies": ["email_code", "email_link"] },
            "phone_number": null, "web3_wallet": null, "external_account": null },
        "email_address": "ada@example.com",
        "unsafe_metadata": {},
        "created_session_id": null,
        "created_user_id": null,
        "abandon_at": ms(86_400)
    })
}

fn complete_sign_up(id: &str) -> Value {
    let mut resource = sign_up(id, "complete");
    resource["unverified_fields"] = json!([]);
    resource["created_session_id"] = json!("sess_1");
    resource["created_user_id"] = json!("user_1");
    resource
}

/// The envelope of a sign-in or sign-up answer.
fn answer(response: &Value, client: &Value) -> Value {
    json!({ "response": response, "client": client })
}

/// An error body (fapi.md §2.3) with one error, its `meta`, and optionally `meta.client`.
fn error_body(code: &str, meta: &Value, client: Option<&Value>) -> Value {
    let mut body = json!({
        "errors": [{ "code": code, "message": "msg", "long_message": format!("long {code}"), "meta": meta }],
        "clerk_trace_id": "trace-1"
    });
    if let Some(client) = client {
        body["meta"] = json!({ "client": client });
    }
    body
}

fn api(error: OperationError) -> ApiError {
    match error {
        OperationError::Api(error) => *error,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn code(value: &str) -> VerificationCode {
    VerificationCode::new(value)
}

fn first_factor_verification(h: &Harness) -> Option<&Verification> {
    h.client.sign_in().and_then(|sign_in| sign_in.first_factor_verification.as_deref())
}

fn sign_in_result(completion: Completion) -> clerk_core::wire::SignInResource {
    match completion {
        Completion::SignIn(sign_in) => *sign_in,
        other => panic!("expected a sign-in, got {other:?}"),
    }
}

fn sign_up_result(completion: Completion) -> clerk_core::wire::SignUpResource {
    match completion {
        Completion::SignUp(sign_up) => *sign_up,
        other => panic!("expected a sign-up, got {other:?}"),
    }
}

fn status_changes(h: &Harness) -> Vec<(Option<SignInStatus>, Option<SignInStatus>)> {
    h.events
        .iter()
        .filter_map(|event| match event {
            Event::SignInStatusChanged { from, to } => Some((from.clone(), to.clone())),
            _ => None,
        })
        .collect()
}

/// Signed in with `token-1`; the client holds `sia_1` in `needs_first_factor` with a prepared
/// email code.
fn prepared_email_code() -> Harness {
    let prepared = with(
        sign_in("sia_1", "needs_first_factor"),
        "first_factor_verification",
        verification("email_code", "unverified", 0),
    );
    Harness::signed_in(&client_with_sign_in(prepared, 1))
}

fn attempt_email_code(h: &mut Harness, value: &str) -> (OpId, clerk_core::Outgoing) {
    let op = h.submit(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code(value))));
    (op, h.expect_request())
}

// ---------------------------------------------------------------------------------------
// Error answers that carry the client (fapi.md §2.2 rule 3, §3.3.3, §5.1)
// ---------------------------------------------------------------------------------------

#[test]
fn a_wrong_code_applies_the_attempt_count_then_fails_with_form_code_incorrect() {
    let mut h = prepared_email_code();
    let (op, request) = attempt_email_code(&mut h, "000000");
    let after = with(
        sign_in("sia_1", "needs_first_factor"),
        "first_factor_verification",
        verification("email_code", "unverified", 1),
    );
    h.respond_json(
        &request,
        422,
        &error_body("form_code_incorrect", &json!({ "param_name": "code" }), Some(&client_with_sign_in(after, 2))),
    );
    let error = api(h.expect_failure(op));
    assert_eq!((error.status, &error.code), (422, &ErrorCode::FormCodeIncorrect));
    assert_eq!(error.meta.param_name.as_deref(), Some("code"));
    assert_eq!(error.trace_id.as_deref(), Some("trace-1"));
    // meta.client was applied before the error surfaced: attempts = 1, status unchanged.
    assert_eq!(first_factor_verification(&h).and_then(|v| v.attempts), Some(1));
    assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::NeedsFirstFactor));
    assert!(h.events.contains(&Event::ClientUpdated));
    assert!(status_changes(&h).is_empty(), "{:?}", h.events);

    // The flow is free again: the right code completes it.
    let (op, request) = attempt_email_code(&mut h, "424242");
    h.respond_json(&request, 200, &answer(&complete_sign_in("sia_1"), &completed_client(3)));
    assert_eq!(sign_in_result(h.expect_success(op)).created_session_id.as_deref(), Some("sess_1"));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn an_expired_verification_fails_with_verification_expired_and_can_be_prepared_again() {
    let mut h = prepared_email_code();
    let (op, request) = attempt_email_code(&mut h, "424242");
    let expired = with(
        sign_in("sia_1", "needs_first_factor"),
        "first_factor_verification",
        verification("email_code", "expired", 0),
    );
    h.respond_json(
        &request,
        422,
        &error_body("verification_expired", &json!({}), Some(&client_with_sign_in(expired, 2))),
    );
    assert_eq!(api(h.expect_failure(op)).code, ErrorCode::VerificationExpired);
    assert_eq!(first_factor_verification(&h).and_then(|v| v.status.clone()), Some(VerificationStatus::Expired));
    assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::NeedsFirstFactor));
    let _ = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }));
    assert_eq!(h.expect_request().request.path, "/v1/client/sign_ins/sia_1/prepare_first_factor");
}

#[test]
fn too_many_attempts_leave_the_verification_failed() {
    let mut h = prepared_email_code();
    let (op, request) = attempt_email_code(&mut h, "999999");
    let failed = with(
        sign_in("sia_1", "needs_first_factor"),
        "first_factor_verification",
        verification("email_code", "failed", 3),
    );
    h.respond_json(
        &request,
        422,
        &error_body("form_code_incorrect", &json!({ "param_name": "code" }), Some(&client_with_sign_in(failed, 2))),
    );
    assert_eq!(api(h.expect_failure(op)).code, ErrorCode::FormCodeIncorrect);
    let verification = first_factor_verification(&h).cloned().unwrap_or_else(|| panic!("verification kept"));
    assert_eq!((verification.status, verification.attempts), (Some(VerificationStatus::Failed), Some(3)));
    assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::NeedsFirstFactor));
    // A failed verification is replaced by preparing a new one.
    let _ = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }));
    let _ = h.expect_request();
}

#[test]
fn identifier_not_found_fails_but_the_new_client_and_its_token_are_kept() {
    // The first mutating request creates the client (fapi.md §1.8.2 step 3); a 4xx still
    // carries its token and meta.client (design §7.3).
    let mut h = clerk_tests::harness::Harness::new();
    let op = h.submit(SignInCommand::Create(SignInCreate::identifier("nobody@example.com")));
    let request = h.expect_request();
    h.respond_with_token(
        &request,
        422,
        &error_body(
            "form_identifier_not_found",
            &json!({ "param_name": "identifier" }),
            Some(&client_json(&[], None, 1)),
        ),
        "tok-1",
    );
    let error = api(h.expect_failure(op));
    assert_eq!(error.code, ErrorCode::FormIdentifierNotFound);
    assert_eq!(error.meta.param_name.as_deref(), Some("identifier"));
    assert!(h.client.sign_in().is_none());
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some("tok-1"));
    assert_eq!(h.client.client().and_then(|c| c.id.as_deref()), Some("client_1"));
}

#[test]
fn session_exists_fails_without_signing_the_user_out() {
    let mut h = Harness::signed_in(&completed_client(1));
    let op = h.submit(SignInCommand::Create(SignInCreate::identifier("ada@example.com")));
    let request = h.expect_request();
    h.respond_json(&request, 400, &error_body("session_exists", &json!({}), Some(&completed_client(2))));
    assert_eq!(api(h.expect_failure(op)).code, ErrorCode::SessionExists);
    // clerk-js activates last_active_session_id here; the engine already holds it active.
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert_eq!(h.client.last_active_session_id(), Some("sess_1"));
    assert!(!h.events.iter().any(|e| matches!(e, Event::SignedOut { .. })), "{:?}", h.events);
}

#[test]
fn a_wrong_password_fails_and_leaves_the_identified_attempt_for_another_try() {
    let mut h = Harness::new();
    let op = h.submit(SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("wrong"))));
    let request = h.expect_request();
    let identified = sign_in("sia_1", "needs_first_factor");
    h.respond_with_token(
        &request,
        422,
        &error_body(
            "form_password_incorrect",
            &json!({ "param_name": "password" }),
            Some(&client_with_sign_in(identified, 1)),
        ),
        "tok-1",
    );
    assert_eq!(api(h.expect_failure(op)).code, ErrorCode::FormPasswordIncorrect);
    assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::NeedsFirstFactor));
    let op = h.submit(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::Password(Password::new("right"))));
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ins/sia_1/attempt_first_factor");
    h.respond_json(&request, 200, &answer(&complete_sign_in("sia_1"), &completed_client(2)));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn identifier_already_signed_in_names_the_session_in_the_error() {
    let mut h = Harness::signed_in(&completed_client(1));
    let op = h.submit(SignInCommand::Create(SignInCreate::identifier("ada@example.com")));
    let request = h.expect_request();
    h.respond_json(
        &request,
        422,
        &error_body("identifier_already_signed_in", &json!({ "session_id": "sess_1" }), Some(&completed_client(2))),
    );
    let error = api(h.expect_failure(op));
    assert_eq!(error.code, ErrorCode::IdentifierAlreadySignedIn);
    assert_eq!(error.meta.session_id.as_deref(), Some("sess_1"));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn identifier_already_signed_in_inside_a_verification_error() {
    // fapi.md §2.3, §3.7.4: after an OAuth round-trip the reload succeeds and the
    // verification carries the error with meta.session_id.
    let pending = with(
        sign_in("sia_1", "needs_first_factor"),
        "first_factor_verification",
        json!({ "status": "unverified", "strategy": "oauth_google",
                "external_verification_redirect_url": "https://accounts.google.com/o/oauth2/auth?s=1" }),
    );
    let mut h = Harness::signed_in(&client_with_sign_in(pending, 1));
    let op = h.submit(SignInCommand::Reload { rotating_token_nonce: Some(Credential::new("n1")) });
    let request = h.expect_request();
    let failed = with(
        sign_in("sia_1", "needs_first_factor"),
        "first_factor_verification",
        json!({ "status": "failed", "strategy": "oauth_google", "error": { "code": "identifier_already_signed_in",
                "message": "m", "long_message": "l", "meta": { "session_id": "sess_9" } } }),
    );
    h.respond_json(&request, 200, &answer(&failed, &client_with_sign_in(failed.clone(), 2)));
    let resource = sign_in_result(h.expect_success(op));
    let error = resource
        .first_factor_verification
        .and_then(|v| v.error)
        .unwrap_or_else(|| panic!("the verification carries the error"));
    assert_eq!(error.code, ErrorCode::IdentifierAlreadySignedIn);
    assert_eq!(error.meta.session_id.as_deref(), Some("sess_9"));
    assert_eq!(first_factor_verification(&h).and_then(|v| v.status.clone()), Some(VerificationStatus::Failed));
}

#[test]
fn captcha_invalid_on_sign_up_explains_native_api_access() {
    let mut h = Harness::new();
    let op = h.submit(SignUpCommand::Create(SignUpFields {
        email_address: Some("ada@example.com".into()),
        ..SignUpFields::default()
    }));
    let request = h.expect_request();
    h.respond_json(&request, 400, &error_body("captcha_invalid", &json!({}), None));
    let error = api(h.expect_failure(op));
    assert_eq!(error.code, ErrorCode::CaptchaInvalid);
    let shown = error.to_string();
    assert!(shown.contains("captcha_invalid"), "{shown}");
    assert!(shown.contains("native API access"), "{shown}");
    assert!(h.client.sign_up().is_none());
}

// ---------------------------------------------------------------------------------------
// Native OAuth (fapi.md §3.7.5, Appendix B.3) and the transfer to sign-up (§5.4)
// ---------------------------------------------------------------------------------------

const PROVIDER_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&state=s";

/// The OAuth sign-in `sia_2` in `status`, its first factor unverified with the provider URL
/// (and `error` on the verification when given).
fn pending_oauth_sign_in(status: &str, error: Option<Value>) -> Value {
    let mut verification = json!({ "object": "verification_oauth", "status": "unverified", "strategy": "oauth_google",
        "external_verification_redirect_url": PROVIDER_URL, "expire_at": ms(600) });
    if let Some(error) = error {
        verification["error"] = error;
    }
    with(
        with(sign_in_json("sia_2", status), "supported_first_factors", json!([{ "strategy": "oauth_google" }])),
        "first_factor_verification",
        verification,
    )
}

/// `create{strategy: oauth_google}` on a new client, answered with `create_status` and an
/// unverified first factor with the provider URL. Returns the harness with token `tok-1`.
fn oauth_started(create_status: &str) -> Harness {
    let mut h = Harness::new();
    let op =
        h.submit(SignInCommand::Create(SignInCreate::redirect(Strategy::from("oauth_google"), "myapp://sso-callback")));
    let request = h.expect_request();
    let pending = pending_oauth_sign_in(create_status, None);
    h.respond_with_token(&request, 200, &answer(&pending, &client_with_sign_in(pending.clone(), 1)), "tok-1");
    let _ = h.expect_success(op);
    assert!(
        h.events.contains(&Event::ExternalVerificationRequired { flow: Flow::SignIn, url: PROVIDER_URL.into() }),
        "{:?}",
        h.events
    );
    h
}

/// The reload after the provider returned `myapp://sso-callback?rotating_token_nonce=abc123`.
fn reload_with_nonce(h: &mut Harness) -> (OpId, clerk_core::Outgoing) {
    let op = h.submit(SignInCommand::Reload { rotating_token_nonce: Some(Credential::new("abc123")) });
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ins/sia_2");
    let nonce = request.request.query_value("rotating_token_nonce").unwrap_or_else(|| panic!("nonce sent"));
    assert_eq!(nonce.expose(), "abc123");
    assert!(nonce.is_secret());
    assert_eq!(request.request.header("authorization").map(|v| v.expose()), Some("tok-1"));
    (op, request)
}

fn oauth_completes_after_the_nonce_reload(create_status: &str) {
    let mut h = oauth_started(create_status);
    let (op, request) = reload_with_nonce(&mut h);
    h.respond_with_token(&request, 200, &answer(&complete_sign_in("sia_2"), &completed_client(2)), "tok-2");
    let resource = sign_in_result(h.expect_success(op));
    assert_eq!(resource.created_session_id.as_deref(), Some("sess_1"));
    assert!(
        h.events.iter().any(|e| matches!(e, Event::ClientTokenChanged { token: Some(t) } if t.expose() == "tok-2"))
    );
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some("tok-2"));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    // The rotated token is what the next request presents.
    let _ = h.client.reload(h.now);
    assert_eq!(h.expect_request().request.header("authorization").map(|v| v.expose()), Some("tok-2"));
}

#[test]
fn oauth_create_answered_needs_first_factor_then_nonce_reload_completes() {
    // fapi.md §5.1 [INF]: create{strategy: oauth_*} answers needs_first_factor.
    oauth_completes_after_the_nonce_reload("needs_first_factor");
}

#[test]
fn oauth_create_answered_with_another_status_works_the_same() {
    // The other answer to the same [INF]: clerk-js only looks at the verification, so the
    // engine must not depend on the status (here needs_identifier, and an unknown one).
    oauth_completes_after_the_nonce_reload("needs_identifier");
    oauth_completes_after_the_nonce_reload("needs_something_new");
}

/// fapi.md §3.3.9, §3.7.4–3.7.5: clerk-js sends the browser to the provider once, after the
/// create (or prepare) that returned the URL; the reload after the return only reads the
/// outcome. A reload that still shows the verification `unverified` with its URL (the person
/// closed the browser, or the provider step failed with the error on the verification) is
/// no request to open the browser again: an app following the event would loop.
#[test]
fn a_reload_of_a_pending_oauth_attempt_does_not_ask_for_the_browser_again() {
    let pending = pending_oauth_sign_in(
        "needs_first_factor",
        Some(json!({ "code": "oauth_access_denied", "message": "m", "long_message": "l", "meta": {} })),
    );
    for nonce in [None, Some(Credential::new("abc123"))] {
        let mut h = oauth_started("needs_first_factor");
        h.clear_events();
        let op = h.submit(SignInCommand::Reload { rotating_token_nonce: nonce.clone() });
        let request = h.expect_request();
        h.respond_json(&request, 200, &answer(&pending, &client_with_sign_in(pending.clone(), 2)));
        let _ = h.expect_success(op);
        assert!(
            !h.events.iter().any(|e| matches!(e, Event::ExternalVerificationRequired { .. })),
            "nonce {}: {:?}",
            nonce.is_some(),
            h.events
        );
    }

    // The same for a sign-up's external account.
    let mut h = Harness::new();
    let op = h.submit(SignUpCommand::Create(SignUpFields::redirect(Strategy::from("oauth_github"), "myapp://cb")));
    let request = h.expect_request();
    let mut pending = sign_up("sua_1", "missing_requirements");
    pending["verifications"]["external_account"] = json!({ "status": "unverified", "strategy": "oauth_github",
        "external_verification_redirect_url": "https://github.com/login/oauth/authorize?s=1" });
    h.respond_with_token(&request, 200, &answer(&pending, &client_with_sign_up(pending.clone(), 1)), "tok-1");
    let _ = h.expect_success(op);
    h.clear_events();
    let op = h.submit(SignUpCommand::Reload { rotating_token_nonce: None });
    let request = h.expect_request();
    h.respond_json(&request, 200, &answer(&pending, &client_with_sign_up(pending.clone(), 2)));
    let _ = h.expect_success(op);
    assert!(!h.events.iter().any(|e| matches!(e, Event::ExternalVerificationRequired { .. })), "{:?}", h.events);
}

/// The OAuth reload answers "no user has this external account": first factor
/// `transferable`; then `POST /sign_ups {transfer: true}` completes. `consumed` picks the
/// [INF] answer of fapi.md §5.4 (whether the transfer empties `client.sign_in`).
fn oauth_transfers_to_sign_up(consumed: bool) -> Harness {
    let mut h = oauth_started("needs_first_factor");
    let (op, request) = reload_with_nonce(&mut h);
    let transferable = with(
        with(
            sign_in_json("sia_2", "needs_first_factor"),
            "supported_first_factors",
            json!([{ "strategy": "oauth_google" }]),
        ),
        "first_factor_verification",
        json!({ "status": "transferable", "strategy": "oauth_google",
                "error": { "code": "external_account_not_found", "message": "m", "long_message": "l", "meta": {} } }),
    );
    h.respond_with_token(&request, 200, &answer(&transferable, &client_with_sign_in(transferable.clone(), 2)), "tok-2");
    let _ = h.expect_success(op);
    assert_eq!(first_factor_verification(&h).and_then(|v| v.status.clone()), Some(VerificationStatus::Transferable));

    let op = h.submit(SignUpCommand::Create(SignUpFields::transfer()));
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ups");
    assert_eq!(request.request.body(), "transfer=true");
    assert_eq!(request.request.header("authorization").map(|v| v.expose()), Some("tok-2"), "same client");
    let mut after = completed_client(3);
    if !consumed {
        after["sign_in"] = transferable;
    }
    h.respond_json(&request, 200, &answer(&complete_sign_up("sua_1"), &after));
    let resource = sign_up_result(h.expect_success(op));
    assert_eq!(resource.status, Some(SignUpStatus::Complete));
    assert_eq!(resource.created_session_id.as_deref(), Some("sess_1"));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    h
}

#[test]
fn oauth_transferable_sign_in_becomes_a_sign_up_that_consumes_the_sign_in() {
    let h = oauth_transfers_to_sign_up(true);
    assert!(h.client.sign_in().is_none());
}

#[test]
fn oauth_transferable_sign_in_becomes_a_sign_up_when_the_sign_in_stays() {
    // The other [INF] answer: the server keeps the source attempt; the engine shows what
    // the server says and the flow is complete all the same.
    let mut h = oauth_transfers_to_sign_up(false);
    assert_eq!(h.client.sign_in().map(|s| s.id.as_str()), Some("sia_2"));
    // A new sign-in may still be started over it.
    let _ = h.submit(SignInCommand::Create(SignInCreate::identifier("ada@example.com")));
    let _ = h.expect_request();
}

/// Sign-up with an Apple ID token finds an existing account: the external account is
/// `transferable` with `external_account_exists`; `POST /sign_ins {transfer: true}`
/// completes. `consumed` picks the [INF] answer of fapi.md §5.4.
fn sign_up_transfers_to_sign_in(consumed: bool) -> Harness {
    let mut h = Harness::new();
    let op = h.submit(SignUpCommand::Create(SignUpFields {
        strategy: Some(Strategy::from("oauth_token_apple")),
        token: Some(Credential::new("eyJ.apple")),
        ..SignUpFields::default()
    }));
    let request = h.expect_request();
    let mut exists = sign_up("sua_1", "missing_requirements");
    exists["verifications"]["external_account"] = json!({ "status": "transferable", "strategy": "oauth_token_apple",
        "error": { "code": "external_account_exists", "message": "m", "long_message": "l", "meta": {} } });
    h.respond_with_token(&request, 200, &answer(&exists, &client_with_sign_up(exists.clone(), 1)), "tok-1");
    let _ = h.expect_success(op);
    let external = h
        .client
        .sign_up()
        .and_then(|s| s.verifications.as_deref())
        .and_then(|v| v.external_account.as_deref())
        .cloned()
        .unwrap_or_else(|| panic!("external account verification"));
    assert_eq!(external.status, Some(VerificationStatus::Transferable));
    assert_eq!(external.error.map(|e| e.code), Some(ErrorCode::ExternalAccountExists));

    let op = h.submit(SignInCommand::Create(SignInCreate::transfer()));
    let request = h.expect_request();
    assert_eq!(
        (request.request.path.as_str(), request.request.body()),
        ("/v1/client/sign_ins", "transfer=true".into())
    );
    assert_eq!(request.request.header("authorization").map(|v| v.expose()), Some("tok-1"));
    let mut after = completed_client(2);
    if !consumed {
        after["sign_up"] = exists;
    }
    h.respond_json(&request, 200, &answer(&complete_sign_in("sia_1"), &after));
    assert_eq!(sign_in_result(h.expect_success(op)).status, Some(SignInStatus::Complete));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    h
}

#[test]
fn sign_up_with_an_existing_external_account_transfers_to_sign_in_consuming_the_sign_up() {
    let h = sign_up_transfers_to_sign_in(true);
    assert!(h.client.sign_up().is_none());
}

#[test]
fn sign_up_with_an_existing_external_account_transfers_to_sign_in_when_the_sign_up_stays() {
    let h = sign_up_transfers_to_sign_in(false);
    assert_eq!(h.client.sign_up().map(|s| s.id.as_str()), Some("sua_1"));
}

#[test]
fn sign_up_if_missing_error_answer_reveals_a_transferable_verification() {
    // fapi.md §2.2 rule 3, §5.1: the attempt with the right code answers an error, and the
    // piggybacked client is what shows first_factor_verification = transferable. The error
    // code is not documented; the engine must not depend on it.
    let mut h = Harness::new();
    let op = h.submit(SignInCommand::Create(SignInCreate::identifier("new@example.com").sign_up_if_missing(true)));
    let request = h.expect_request();
    assert_eq!(request.request.form_value("sign_up_if_missing").map(|v| v.expose()), Some("true"));
    let identified = sign_in("sia_1", "needs_first_factor");
    h.respond_with_token(&request, 200, &answer(&identified, &client_with_sign_in(identified.clone(), 1)), "tok-1");
    let _ = h.expect_success(op);

    let op = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }));
    let request = h.expect_request();
    let prepared = with(identified.clone(), "first_factor_verification", verification("email_code", "unverified", 0));
    h.respond_json(&request, 200, &answer(&prepared, &client_with_sign_in(prepared.clone(), 2)));
    let _ = h.expect_success(op);

    let (op, request) = attempt_email_code(&mut h, "424242");
    let transferable = with(identified, "first_factor_verification", verification("email_code", "transferable", 1));
    h.respond_json(
        &request,
        422,
        &error_body("form_identifier_not_found", &json!({}), Some(&client_with_sign_in(transferable, 3))),
    );
    let _ = api(h.expect_failure(op));
    assert_eq!(first_factor_verification(&h).and_then(|v| v.status.clone()), Some(VerificationStatus::Transferable));

    let op = h.submit(SignUpCommand::Create(SignUpFields::transfer()));
    let request = h.expect_request();
    assert_eq!(request.request.body(), "transfer=true");
    h.respond_json(&request, 200, &answer(&complete_sign_up("sua_1"), &completed_client(4)));
    assert_eq!(sign_up_result(h.expect_success(op)).status, Some(SignUpStatus::Complete));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

// ---------------------------------------------------------------------------------------
// Reset password (fapi.md §3.7.10) and second factors (§3.3.5)
// ---------------------------------------------------------------------------------------

#[test]
fn reset_password_goes_through_needs_new_password_to_complete() {
    let mut h = Harness::signed_in(&client_with_sign_in(sign_in("sia_1", "needs_first_factor"), 1));
    let refused = h.client.submit(
        Command::SignIn(SignInCommand::ResetPassword {
            password: Password::new("p"),
            sign_out_of_other_sessions: true,
        }),
        h.now,
    );
    assert!(matches!(refused, Err(CommandError::InvalidState { command: "reset_password", .. })), "{refused:?}");

    let op = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::ResetPasswordEmailCode {
        email_address_id: None,
    }));
    let request = h.expect_request();
    assert_eq!(request.request.form_value("strategy").map(|v| v.expose()), Some("reset_password_email_code"));
    let prepared = with(
        sign_in("sia_1", "needs_first_factor"),
        "first_factor_verification",
        verification("reset_password_email_code", "unverified", 0),
    );
    h.respond_json(&request, 200, &answer(&prepared, &client_with_sign_in(prepared.clone(), 2)));
    let _ = h.expect_success(op);

    let op = h.submit(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::ResetPasswordEmailCode {
        code: code("123456"),
        password: None,
    }));
    let request = h.expect_request();
    let needs_new = with(
        sign_in("sia_1", "needs_new_password"),
        "first_factor_verification",
        verification("reset_password_email_code", "verified", 1),
    );
    h.respond_json(&request, 200, &answer(&needs_new, &client_with_sign_in(needs_new.clone(), 3)));
    assert_eq!(sign_in_result(h.expect_success(op)).status, Some(SignInStatus::NeedsNewPassword));
    assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::NeedsNewPassword));

    let op = h
        .submit(SignInCommand::ResetPassword { password: Password::new("n3w pass"), sign_out_of_other_sessions: true });
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ins/sia_1/reset_password");
    h.respond_json(&request, 200, &answer(&complete_sign_in("sia_1"), &completed_client(4)));
    assert_eq!(sign_in_result(h.expect_success(op)).created_session_id.as_deref(), Some("sess_1"));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert_eq!(
        status_changes(&h),
        [
            (Some(SignInStatus::NeedsFirstFactor), Some(SignInStatus::NeedsNewPassword)),
            (Some(SignInStatus::NeedsNewPassword), None),
        ]
    );
}

fn needs_second_factor() -> Harness {
    let sign_in = with(
        sign_in("sia_1", "needs_second_factor"),
        "supported_second_factors",
        json!([{ "strategy": "totp" }, { "strategy": "backup_code" }]),
    );
    Harness::signed_in(&client_with_sign_in(sign_in, 1))
}

#[test]
fn totp_completes_the_second_factor() {
    let mut h = needs_second_factor();
    let op = h.submit(SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(code("123456"))));
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ins/sia_1/attempt_second_factor");
    h.respond_json(&request, 200, &answer(&complete_sign_in("sia_1"), &completed_client(2)));
    assert_eq!(sign_in_result(h.expect_success(op)).status, Some(SignInStatus::Complete));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn a_wrong_totp_then_a_backup_code_completes() {
    let mut h = needs_second_factor();
    let op = h.submit(SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(code("000000"))));
    let request = h.expect_request();
    let after = with(
        with(
            sign_in("sia_1", "needs_second_factor"),
            "supported_second_factors",
            json!([{ "strategy": "totp" }, { "strategy": "backup_code" }]),
        ),
        "second_factor_verification",
        verification("totp", "unverified", 1),
    );
    h.respond_json(&request, 422, &error_body("form_code_incorrect", &json!({}), Some(&client_with_sign_in(after, 2))));
    assert_eq!(api(h.expect_failure(op)).code, ErrorCode::FormCodeIncorrect);
    assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::NeedsSecondFactor));
    assert_eq!(
        h.client.sign_in().and_then(|s| s.second_factor_verification.as_deref()).and_then(|v| v.attempts),
        Some(1)
    );

    let op = h.submit(SignInCommand::AttemptSecondFactor(SecondFactorAttempt::BackupCode(code("abcd-efgh"))));
    let request = h.expect_request();
    assert_eq!(request.request.form_value("strategy").map(|v| v.expose()), Some("backup_code"));
    h.respond_json(&request, 200, &answer(&complete_sign_in("sia_1"), &completed_client(3)));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(h.client.sign_in().is_none());
}

// ---------------------------------------------------------------------------------------
// Busy and illegal commands (design §7.2)
// ---------------------------------------------------------------------------------------

#[test]
fn a_second_mutating_sign_in_command_is_busy_but_a_reload_is_not() {
    let mut h = prepared_email_code();
    let op = h.submit(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code("1"))));
    let busy = Err(CommandError::Busy { flow: Flow::SignIn, pending: op });
    let mutating = [
        SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code("2"))),
        SignInCommand::Create(SignInCreate::identifier("ada@example.com")),
        SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }),
    ];
    for command in mutating {
        assert_eq!(h.client.submit(Command::SignIn(command), h.now), busy);
    }
    let reload = h.submit(SignInCommand::Reload { rotating_token_nonce: None });
    // Another flow is independent.
    let sign_up = h.submit(SignUpCommand::Create(SignUpFields::default()));

    // One request at a time, in order: the attempt, the reload, the sign-up.
    let attempt_request = h.expect_request();
    assert_eq!(attempt_request.op, op);
    assert!(h.poll_request().is_none(), "one request on the wire at a time");
    let done = with(
        sign_in("sia_1", "needs_first_factor"),
        "first_factor_verification",
        verification("email_code", "unverified", 1),
    );
    h.respond_json(
        &attempt_request,
        422,
        &error_body("form_code_incorrect", &json!({}), Some(&client_with_sign_in(done, 2))),
    );
    let _ = h.expect_failure(op);
    let reload_request = h.expect_request();
    assert_eq!((reload_request.op, reload_request.request.path.as_str()), (reload, "/v1/client/sign_ins/sia_1"));
    // With the attempt over, a mutating command is accepted again (while the reload is out).
    let again = h
        .client
        .submit(Command::SignIn(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code("3")))), h.now);
    assert!(again.is_ok(), "{again:?}");
    let _ = sign_up;
}

#[test]
fn an_illegal_command_in_every_sign_in_status_is_refused_and_changes_nothing() {
    // A compact check of fapi.md §5.1 (the full status × command table is tested elsewhere).
    let attempt_first = || SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code("1")));
    let prepare_first =
        || SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None });
    let cases: Vec<(Option<&str>, SignInCommand, &str)> = vec![
        (None, SignInCommand::Reload { rotating_token_nonce: None }, "reload"),
        (Some("needs_identifier"), attempt_first(), "attempt_first_factor"),
        (
            Some("needs_first_factor"),
            SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(code("1"))),
            "attempt_second_factor",
        ),
        (Some("needs_second_factor"), attempt_first(), "attempt_first_factor"),
        (
            Some("needs_client_trust"),
            SignInCommand::ResetPassword { password: Password::new("p"), sign_out_of_other_sessions: false },
            "reset_password",
        ),
        (
            Some("needs_new_password"),
            SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode { phone_number_id: None }),
            "prepare_second_factor",
        ),
        (Some("needs_protect_check"), attempt_first(), "attempt_first_factor"),
        (Some("complete"), prepare_first(), "prepare_first_factor"),
        (Some("abandoned"), SignInCommand::Reload { rotating_token_nonce: None }, "reload"),
    ];
    for (status, command, name) in cases {
        let client = match status {
            Some(status) => client_with_sign_in(sign_in("sia_1", status), 1),
            None => client_json(&[], None, 1),
        };
        let mut h = Harness::signed_in(&client);
        let before = h.client.sign_in().cloned();
        let refused = h.client.submit(Command::SignIn(command), h.now);
        assert_eq!(
            refused,
            Err(CommandError::InvalidState {
                flow: Flow::SignIn,
                status: status.unwrap_or("no attempt").to_owned(),
                command: name,
            })
        );
        assert!(h.poll_request().is_none(), "{name} in {status:?} sent something");
        assert!(h.events.is_empty(), "{:?}", h.events);
        assert_eq!(h.client.sign_in().cloned(), before);
    }
}

#[test]
fn an_illegal_command_in_every_sign_up_status_is_refused() {
    // missing_requirements allows every sign-up command; the others refuse some.
    let cases: Vec<(Option<&str>, SignUpCommand, &str)> = vec![
        (
            None,
            SignUpCommand::Update(SignUpFields { first_name: Some("Ada".into()), ..SignUpFields::default() }),
            "update",
        ),
        (None, SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode), "prepare_verification"),
        (
            Some("complete"),
            SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(code("1"))),
            "attempt_verification",
        ),
        (
            Some("complete"),
            SignUpCommand::Update(SignUpFields { first_name: Some("Ada".into()), ..SignUpFields::default() }),
            "update",
        ),
        (Some("abandoned"), SignUpCommand::Reload { rotating_token_nonce: None }, "reload"),
    ];
    for (status, command, name) in cases {
        let client = match status {
            Some(status) => client_with_sign_up(sign_up("sua_1", status), 1),
            None => client_json(&[], None, 1),
        };
        let mut h = Harness::signed_in(&client);
        let refused = h.client.submit(Command::SignUp(command), h.now);
        assert_eq!(
            refused,
            Err(CommandError::InvalidState {
                flow: Flow::SignUp,
                status: status.unwrap_or("no attempt").to_owned(),
                command: name,
            })
        );
        assert!(h.poll_request().is_none(), "{name} in {status:?} sent something");
    }
}

// ---------------------------------------------------------------------------------------
// Email links (fapi.md §3.7.2–3.7.3, design §7.8)
// ---------------------------------------------------------------------------------------

/// A sign-in email link prepared and waiting: the op is open, the next poll is due in 1 s.
fn email_link_waiting() -> (Harness, OpId) {
    let mut h = Harness::signed_in(&client_with_sign_in(sign_in("sia_1", "needs_first_factor"), 1));
    let op = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailLink {
        email_address_id: None,
        redirect_url: "https://app.example.com/verify".into(),
    }));
    let request = h.expect_request();
    let waiting = link_state("needs_first_factor", &json!({ "status": "unverified", "strategy": "email_link" }));
    h.respond_json(&request, 200, &answer(&waiting, &client_with_sign_in(waiting.clone(), 2)));
    assert!(h.outcome(op).is_none(), "the wait goes on");
    assert!(h.events.contains(&Event::EmailLinkSent { flow: Flow::SignIn }));
    assert_eq!(h.client.poll_timeout(), Some(h.now + Duration::seconds(1)));
    (h, op)
}

fn link_state(status: &str, verification: &Value) -> Value {
    with(sign_in("sia_1", status), "first_factor_verification", verification.clone())
}

/// Waits for the next poll and answers it with `client`.
fn answer_poll(h: &mut Harness, client: &Value) {
    assert!(h.poll_request().is_none(), "nothing before the deadline");
    h.advance(Duration::seconds(1));
    let poll = h.expect_request();
    assert_eq!(poll.request.path, "/v1/client");
    h.respond_json(&poll, 200, &json!({ "response": client, "client": null }));
}

fn email_link_ends_with(sign_in_status: &str, verification: &Value) -> (Harness, Completion) {
    let (mut h, op) = email_link_waiting();
    let still = link_state("needs_first_factor", &json!({ "status": "unverified", "strategy": "email_link" }));
    answer_poll(&mut h, &client_with_sign_in(still, 3));
    assert!(h.outcome(op).is_none());
    assert_eq!(h.client.poll_timeout(), Some(h.now + Duration::seconds(1)), "1 s after each answer");
    answer_poll(&mut h, &client_with_sign_in(link_state(sign_in_status, verification), 4));
    let completion = h.expect_success(op);
    assert!(h.client.poll_timeout().is_none(), "polling stopped");
    h.advance(Duration::seconds(5));
    assert!(h.poll_request().is_none(), "no poll after the end");
    (h, completion)
}

#[test]
fn email_link_expired() {
    let (mut h, completion) =
        email_link_ends_with("needs_first_factor", &json!({ "status": "expired", "strategy": "email_link" }));
    assert_eq!(completion, Completion::EmailLink(EmailLinkOutcome::Expired));
    // fapi.md §3.7.2 step 5: on expired, prepare again.
    let _ = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailLink {
        email_address_id: None,
        redirect_url: "https://app.example.com/verify".into(),
    }));
    let _ = h.expect_request();
}

#[test]
fn email_link_verified_on_another_client() {
    let (_, completion) = email_link_ends_with(
        "needs_second_factor",
        &json!({ "status": "verified", "strategy": "email_link", "verified_at_client": "client_other" }),
    );
    assert_eq!(completion, Completion::EmailLink(EmailLinkOutcome::Verified { on_this_client: false }));
}

#[test]
fn email_link_verified_on_this_client_but_more_is_needed() {
    let (_, completion) = email_link_ends_with(
        "needs_second_factor",
        &json!({ "status": "verified", "strategy": "email_link", "verified_at_client": "client_1" }),
    );
    assert_eq!(completion, Completion::EmailLink(EmailLinkOutcome::Verified { on_this_client: true }));
}

/// clerk-js's `verifiedFromTheSameClient()` compares `verified_at_client` with the
/// client's id (fapi.md §3.7): a verification that names no client was not shown to have
/// been opened here, so the app must not continue as if it had.
#[test]
fn email_link_verified_without_a_client_named_is_not_on_this_client() {
    let (_, completion) =
        email_link_ends_with("needs_second_factor", &json!({ "status": "verified", "strategy": "email_link" }));
    assert_eq!(completion, Completion::EmailLink(EmailLinkOutcome::Verified { on_this_client: false }));
}

#[test]
fn email_link_transferable_and_failed() {
    let (_, completion) =
        email_link_ends_with("needs_first_factor", &json!({ "status": "transferable", "strategy": "email_link" }));
    assert_eq!(completion, Completion::EmailLink(EmailLinkOutcome::Transferable));
    let (_, completion) =
        email_link_ends_with("needs_first_factor", &json!({ "status": "failed", "strategy": "email_link" }));
    assert_eq!(completion, Completion::EmailLink(EmailLinkOutcome::Failed));
}

#[test]
fn email_link_wait_keeps_the_flow_busy_but_allows_a_reload() {
    let (mut h, op) = email_link_waiting();
    let refused = h.client.submit(
        Command::SignIn(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode {
            email_address_id: None,
        })),
        h.now,
    );
    assert_eq!(refused, Err(CommandError::Busy { flow: Flow::SignIn, pending: op }));
    let _ = h.submit(SignInCommand::Reload { rotating_token_nonce: None });
    assert_eq!(h.expect_request().request.path, "/v1/client/sign_ins/sia_1");
}

#[test]
fn the_pending_operation_of_a_flow_is_the_one_it_is_busy_with() {
    let (mut h, op) = email_link_waiting();
    assert_eq!(h.client.pending_operation(Flow::SignIn), Some(op));
    assert_eq!(h.client.pending_operation(Flow::SignUp), None);
    assert_eq!(h.client.pending_operation(Flow::Client), None);
    // A read on the flow does not hold it, so it is not named.
    let reload = h.submit(SignInCommand::Reload { rotating_token_nonce: None });
    assert_ne!(reload, op);
    assert_eq!(h.client.pending_operation(Flow::SignIn), Some(op));
    // What `Busy` names is what the accessor names.
    let refused = h.client.submit(
        Command::SignIn(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::Password(Password::new("pw")))),
        h.now,
    );
    assert_eq!(refused, Err(CommandError::Busy { flow: Flow::SignIn, pending: op }));
    // Cancelled, the flow is free and the attempt is kept.
    assert_eq!(h.client.cancel(op), Ok(()));
    assert_eq!(h.expect_failure(op), OperationError::Cancelled);
    assert_eq!(h.client.pending_operation(Flow::SignIn), None);
    assert!(h.client.sign_in().is_some(), "the attempt is kept");
}

#[test]
fn cancel_stops_email_link_polling() {
    let (mut h, op) = email_link_waiting();
    assert_eq!(h.client.cancel(op), Ok(()));
    assert_eq!(h.expect_failure(op), OperationError::Cancelled);
    assert_eq!(h.client.poll_timeout(), None);
    assert_eq!(h.client.cancel(op), Err(CommandError::UnknownOperation(op)), "cancelled twice");
    h.advance(Duration::seconds(10));
    assert!(h.poll_request().is_none(), "no request after cancel");
    // The flow is free again.
    let _ = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }));
    let _ = h.expect_request();
}

#[test]
fn cancel_during_a_poll_on_the_wire_ends_the_wait_and_its_answer_reports_to_nobody() {
    let (mut h, op) = email_link_waiting();
    h.advance(Duration::seconds(1));
    let poll = h.expect_request();
    assert_eq!(h.client.cancel(op), Ok(()));
    let verified = link_state("needs_second_factor", &json!({ "status": "verified", "strategy": "email_link" }));
    h.respond_json(&poll, 200, &json!({ "response": client_with_sign_in(verified, 3), "client": null }));
    // Exactly one completion (Harness::outcome asserts it), and it is the cancel.
    assert_eq!(h.expect_failure(op), OperationError::Cancelled);
    assert_eq!(h.client.poll_timeout(), None);
    h.advance(Duration::seconds(10));
    assert!(h.poll_request().is_none());
}

/// A sign-up email link prepared and waiting.
fn sign_up_link_waiting() -> (Harness, OpId) {
    let mut h = Harness::signed_in(&client_with_sign_up(sign_up("sua_1", "missing_requirements"), 1));
    let op = h.submit(SignUpCommand::PrepareVerification(SignUpPreparation::EmailLink {
        redirect_url: "https://app.example.com/verify".into(),
    }));
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ups/sua_1/prepare_verification");
    let waiting = sign_up_link("missing_requirements", "unverified", None);
    h.respond_json(&request, 200, &answer(&waiting, &client_with_sign_up(waiting.clone(), 2)));
    assert!(h.outcome(op).is_none());
    assert!(h.events.contains(&Event::EmailLinkSent { flow: Flow::SignUp }));
    (h, op)
}

fn sign_up_link(status: &str, verification_status: &str, verified_at: Option<&str>) -> Value {
    let mut resource = sign_up("sua_1", status);
    resource["verifications"]["email_address"] = json!({ "status": verification_status, "strategy": "email_link",
        "verified_at_client": verified_at, "next_action": "", "supported_strategies": ["email_link"] });
    resource
}

#[test]
fn sign_up_email_link_polls_until_the_sign_up_completes() {
    let (mut h, op) = sign_up_link_waiting();
    answer_poll(&mut h, &client_with_sign_up(sign_up_link("missing_requirements", "unverified", None), 3));
    assert!(h.outcome(op).is_none());
    let mut done = sign_up_link("complete", "verified", Some("client_1"));
    done["created_session_id"] = json!("sess_1");
    let mut client = completed_client(4);
    client["sign_up"] = done;
    answer_poll(&mut h, &client);
    assert_eq!(
        h.expect_success(op),
        Completion::EmailLink(EmailLinkOutcome::Completed { created_session_id: Some("sess_1".into()) })
    );
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn sign_up_email_link_verified_with_requirements_left_and_expired() {
    let (mut h, op) = sign_up_link_waiting();
    answer_poll(&mut h, &client_with_sign_up(sign_up_link("missing_requirements", "verified", Some("client_1")), 3));
    assert_eq!(h.expect_success(op), Completion::EmailLink(EmailLinkOutcome::Verified { on_this_client: true }));
    assert_eq!(h.client.sign_up_status(), Some(&SignUpStatus::MissingRequirements));

    let (mut h, op) = sign_up_link_waiting();
    answer_poll(&mut h, &client_with_sign_up(sign_up_link("missing_requirements", "expired", None), 3));
    assert_eq!(h.expect_success(op), Completion::EmailLink(EmailLinkOutcome::Expired));
    assert_eq!(h.client.poll_timeout(), None);
}

// ---------------------------------------------------------------------------------------
// Resets and cancels while a request is on the wire (design §7.3–7.4)
// ---------------------------------------------------------------------------------------

#[test]
fn reset_sign_in_supersedes_the_pending_attempt_and_its_late_answer_stays_out() {
    let mut h = prepared_email_code();
    let (op, request) = attempt_email_code(&mut h, "424242");
    let reset = h.client.reset_sign_in(h.now);
    assert_eq!(h.expect_success(reset), Completion::LocalChange);
    assert_eq!(h.expect_failure(op), OperationError::Superseded);
    assert!(h.client.sign_in().is_none());
    assert!(h.events.contains(&Event::SignInStatusChanged { from: Some(SignInStatus::NeedsFirstFactor), to: None }));

    let moved_on =
        with(sign_in("sia_1", "needs_second_factor"), "supported_second_factors", json!([{ "strategy": "totp" }]));
    h.respond_with_token(&request, 200, &answer(&moved_on, &client_with_sign_in(moved_on.clone(), 2)), "token-2");
    assert!(h.client.sign_in().is_none(), "the late answer brought the attempt back");
    // The late answer reports to nobody (Harness::outcome asserts a single completion).
    assert_eq!(h.expect_failure(op), OperationError::Superseded);
    // Identity is still the server's truth: the rotated token is adopted (design §7.3).
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some("token-2"));
    // The flow is free.
    let _ = h.submit(SignInCommand::Create(SignInCreate::identifier("ada@example.com")));
}

#[test]
fn after_reset_sign_in_a_reload_keeps_the_old_attempt_hidden_until_a_new_one_appears() {
    let mut h = prepared_email_code();
    let _ = h.client.reset_sign_in(h.now);
    let _ = h.drain();
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    h.respond_json(
        &request,
        200,
        &json!({ "response": client_with_sign_in(sign_in("sia_1", "needs_first_factor"), 2), "client": null }),
    );
    let _ = h.expect_success(op);
    assert!(h.client.sign_in().is_none(), "the reset attempt came back");

    let op = h.client.reload(h.now);
    let request = h.expect_request();
    h.respond_json(
        &request,
        200,
        &json!({ "response": client_with_sign_in(sign_in("sia_3", "needs_identifier"), 3), "client": null }),
    );
    let _ = h.expect_success(op);
    assert_eq!(h.client.sign_in().map(|s| s.id.as_str()), Some("sia_3"));
    assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::NeedsIdentifier));
}

#[test]
fn reset_sign_up_supersedes_the_pending_attempt_and_its_late_answer_stays_out() {
    let mut h = Harness::signed_in(&client_with_sign_up(sign_up("sua_1", "missing_requirements"), 1));
    let op = h.submit(SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(code("424242"))));
    let request = h.expect_request();
    let _ = h.client.reset_sign_up(h.now);
    assert_eq!(h.expect_failure(op), OperationError::Superseded);
    assert!(h.client.sign_up().is_none());

    let verified = sign_up_link("missing_requirements", "verified", Some("client_1"));
    h.respond_json(&request, 200, &answer(&verified, &client_with_sign_up(verified.clone(), 2)));
    assert!(h.client.sign_up().is_none(), "the late answer brought the attempt back");
    assert_eq!(h.expect_failure(op), OperationError::Superseded);

    // A reload naming the same attempt keeps it hidden; a new attempt id shows.
    let reload = h.client.reload(h.now);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": client_with_sign_up(verified, 3), "client": null }));
    let _ = h.expect_success(reload);
    assert!(h.client.sign_up().is_none());
    let reload = h.client.reload(h.now);
    let request = h.expect_request();
    h.respond_json(
        &request,
        200,
        &json!({ "response": client_with_sign_up(sign_up("sua_2", "missing_requirements"), 4), "client": null }),
    );
    let _ = h.expect_success(reload);
    assert_eq!(h.client.sign_up().map(|s| s.id.as_str()), Some("sua_2"));
}

#[test]
fn a_create_in_flight_at_reset_sign_in_does_not_show_its_new_attempt_but_the_rest_applies() {
    let mut h = prepared_email_code();
    let op =
        h.submit(SignInCommand::Create(SignInCreate::redirect(Strategy::from("oauth_google"), "myapp://sso-callback")));
    let request = h.expect_request();
    let _ = h.client.reset_sign_in(h.now);
    assert_eq!(h.expect_failure(op), OperationError::Superseded);
    h.clear_events();
    // The server made a new attempt (a new id, which hiding the reset sia_1 does not cover)
    // and, meanwhile, the user signed in elsewhere on this client.
    let pending = pending_oauth_sign_in("needs_first_factor", None);
    let mut client = completed_client(2);
    client["sign_in"] = pending.clone();
    h.respond_json(&request, 200, &answer(&pending, &client));
    assert!(h.client.sign_in().is_none(), "the superseded create's attempt showed after the reset");
    assert!(!h.events.iter().any(|e| matches!(e, Event::ExternalVerificationRequired { .. })));
    // Everything else in the answer applies.
    assert_eq!(h.client.active_session_id(), Some("sess_1"));

    // A request queued after the reset shows the server's attempt: it is not the one reset.
    let reload = h.client.reload(h.now);
    let request = h.expect_request();
    let mut client = completed_client(3);
    client["sign_in"] = pending;
    h.respond_json(&request, 200, &json!({ "response": client, "client": null }));
    let _ = h.expect_success(reload);
    assert_eq!(h.client.sign_in().map(|s| s.id.as_str()), Some("sia_2"));
}

#[test]
fn cancel_then_reset_while_in_flight_keeps_the_attempt_out() {
    let mut h = prepared_email_code();
    let (op, request) = attempt_email_code(&mut h, "424242");
    assert_eq!(h.client.cancel(op), Ok(()));
    let _ = h.client.reset_sign_in(h.now);
    assert_eq!(h.expect_failure(op), OperationError::Cancelled);
    let mut client = completed_client(2);
    client["sign_in"] = sign_in("sia_1", "needs_second_factor");
    h.respond_json(&request, 200, &answer(&sign_in("sia_1", "needs_second_factor"), &client));
    assert!(h.client.sign_in().is_none());
    assert_eq!(h.expect_failure(op), OperationError::Cancelled);
}

#[test]
fn cancel_alone_forgets_the_operation_but_not_what_the_server_says() {
    // Design §7.3: an orphaned answer still goes through the stale gate like any other;
    // cancel is not a reset, so the server's newer client is applied, but nobody is told
    // the operation's result.
    let mut h = prepared_email_code();
    let (op, request) = attempt_email_code(&mut h, "424242");
    assert_eq!(h.client.cancel(op), Ok(()));
    h.respond_json(&request, 200, &answer(&complete_sign_in("sia_1"), &completed_client(2)));
    assert_eq!(h.expect_failure(op), OperationError::Cancelled);
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(h.client.sign_in().is_none());
}

#[test]
fn reset_sign_in_during_email_link_polling_stops_it_and_the_late_poll_stays_out() {
    let (mut h, op) = email_link_waiting();
    h.advance(Duration::seconds(1));
    let poll = h.expect_request();
    let _ = h.client.reset_sign_in(h.now);
    assert_eq!(h.expect_failure(op), OperationError::Superseded);
    assert_eq!(h.client.poll_timeout(), None);
    let still = link_state("needs_first_factor", &json!({ "status": "unverified", "strategy": "email_link" }));
    h.respond_json(&poll, 200, &json!({ "response": client_with_sign_in(still, 3), "client": null }));
    assert!(h.client.sign_in().is_none());
    h.advance(Duration::seconds(10));
    assert!(h.poll_request().is_none());
}

#[test]
fn reset_sign_in_before_the_request_leaves_the_queue_sends_nothing() {
    let mut h = prepared_email_code();
    let reload = h.client.reload(h.now);
    let reload_request = h.expect_request();
    // The attempt waits behind the reload (one request at a time) when the reset comes.
    let op = h.submit(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code("1"))));
    let _ = h.client.reset_sign_in(h.now);
    assert_eq!(h.expect_failure(op), OperationError::Superseded);
    h.respond_json(
        &reload_request,
        200,
        &json!({ "response": client_with_sign_in(sign_in("sia_1", "needs_first_factor"), 2), "client": null }),
    );
    let _ = h.expect_success(reload);
    assert!(h.poll_request().is_none(), "a superseded request still went out");
    assert!(h.client.sign_in().is_none(), "an answer from before the reset brought the attempt back");
}

// ---------------------------------------------------------------------------------------
// Sign-up OAuth (fapi.md §3.7.4–3.7.5) and the second-factor email link (§3.7.11)
// ---------------------------------------------------------------------------------------

/// fapi.md §3.4.3: a sign-up already under way verifies through a provider with
/// `prepare_verification`; its answer's external account carries the provider URL, which
/// the app hears as `ExternalVerificationRequired`.
#[test]
fn sign_up_prepare_verification_through_a_provider_reports_its_url() {
    let mut existing = sign_up("sua_1", "missing_requirements");
    existing["missing_fields"] = json!(["external_account"]);
    let mut h = Harness::signed_in(&client_with_sign_up(existing.clone(), 1));
    let op = h.submit(SignUpCommand::PrepareVerification(clerk_core::SignUpPreparation::Redirect(
        clerk_core::SignUpRedirect::new(Strategy::from("oauth_google"), "myapp://cb")
            .with_oidc_prompt("select_account"),
    )));
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ups/sua_1/prepare_verification");
    let mut pending = existing;
    pending["verifications"]["external_account"] = json!({ "status": "unverified", "strategy": "oauth_google",
        "external_verification_redirect_url": "https://accounts.google.com/o/oauth2/auth?prompt=select_account" });
    h.respond_json(&request, 200, &answer(&pending, &client_with_sign_up(pending.clone(), 2)));
    let _ = h.expect_success(op);
    assert!(h.events.contains(&Event::ExternalVerificationRequired {
        flow: Flow::SignUp,
        url: "https://accounts.google.com/o/oauth2/auth?prompt=select_account".into()
    }));
}

/// Sign-up with `oauth_github`: the create answer (status `create_status`) carries the
/// provider URL on the external account; the nonce reload completes the sign-up.
fn sign_up_oauth_completes(create_status: &str) {
    let mut h = Harness::new();
    let op = h.submit(SignUpCommand::Create(SignUpFields::redirect(Strategy::from("oauth_github"), "myapp://cb")));
    let request = h.expect_request();
    let mut pending = sign_up("sua_1", create_status);
    pending["verifications"]["external_account"] = json!({ "status": "unverified", "strategy": "oauth_github",
        "external_verification_redirect_url": "https://github.com/login/oauth/authorize?s=1" });
    h.respond_with_token(&request, 200, &answer(&pending, &client_with_sign_up(pending.clone(), 1)), "tok-1");
    let _ = h.expect_success(op);
    assert!(h.events.contains(&Event::ExternalVerificationRequired {
        flow: Flow::SignUp,
        url: "https://github.com/login/oauth/authorize?s=1".into()
    }));

    let op = h.submit(SignUpCommand::Reload { rotating_token_nonce: Some(Credential::new("n0nce")) });
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ups/sua_1");
    assert!(
        request.request.query_value("rotating_token_nonce").is_some_and(|v| v.is_secret() && v.expose() == "n0nce")
    );
    let mut client = completed_client(2);
    client["sign_up"] = json!(null);
    h.respond_with_token(&request, 200, &answer(&complete_sign_up("sua_1"), &client), "tok-2");
    assert_eq!(sign_up_result(h.expect_success(op)).created_session_id.as_deref(), Some("sess_1"));
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some("tok-2"));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn sign_up_oauth_create_answered_missing_requirements() {
    // fapi.md §5.2 [INF]: create{strategy: oauth_*} answers missing_requirements.
    sign_up_oauth_completes("missing_requirements");
}

#[test]
fn sign_up_oauth_create_answered_with_another_status() {
    // The other answer to the same [INF]: clerk-js only checks the external account.
    sign_up_oauth_completes("needs_something_new");
}

#[test]
fn second_factor_email_link_for_client_trust_polls_until_complete() {
    let trust = with(
        sign_in("sia_1", "needs_client_trust"),
        "supported_second_factors",
        json!([{ "strategy": "email_link", "email_address_id": "idn_1" }]),
    );
    let mut h = Harness::signed_in(&client_with_sign_in(trust.clone(), 1));
    let op = h.submit(SignInCommand::PrepareSecondFactor(SecondFactorPreparation::EmailLink {
        email_address_id: None,
        redirect_url: "https://app.example.com/verify".into(),
    }));
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ins/sia_1/prepare_second_factor");
    let waiting =
        with(trust.clone(), "second_factor_verification", json!({ "status": "unverified", "strategy": "email_link" }));
    h.respond_json(&request, 200, &answer(&waiting, &client_with_sign_in(waiting.clone(), 2)));
    assert!(h.outcome(op).is_none());
    // The first factor is verified already; only the second factor's verification counts.
    let first_verified =
        with(waiting, "first_factor_verification", json!({ "status": "verified", "strategy": "password" }));
    answer_poll(&mut h, &client_with_sign_in(first_verified, 3));
    assert!(h.outcome(op).is_none(), "a verified first factor ended the second-factor wait");
    answer_poll(&mut h, &completed_client(4));
    assert_eq!(
        h.expect_success(op),
        Completion::EmailLink(EmailLinkOutcome::Completed { created_session_id: Some("sess_1".into()) })
    );
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn email_link_polls_again_one_second_after_a_slow_answer() {
    // fapi.md §3.7.2 step 3: the poller re-arms 1 000 ms after each response, no overlap.
    let (mut h, op) = email_link_waiting();
    h.advance(Duration::seconds(1));
    let poll = h.expect_request();
    h.advance(Duration::seconds(3));
    assert!(h.poll_request().is_none(), "a second poll while one is on the wire");
    let still = link_state("needs_first_factor", &json!({ "status": "unverified", "strategy": "email_link" }));
    h.respond_json(&poll, 200, &json!({ "response": client_with_sign_in(still, 3), "client": null }));
    assert!(h.outcome(op).is_none());
    assert_eq!(h.client.poll_timeout(), Some(h.now + Duration::seconds(1)));
}

#[test]
fn email_link_wait_does_not_report_completion_when_the_client_is_gone() {
    // fapi.md §1.8.2 step 3: `GET /v1/client` answers `response: null` when the server has
    // no client for this token. The attempt is gone with it and no session was created:
    // that is not a completed sign-in.
    let (mut h, op) = email_link_waiting();
    answer_poll(&mut h, &json!(null));
    let outcome = h.outcome(op);
    assert!(!matches!(outcome, Some(Ok(Completion::EmailLink(EmailLinkOutcome::Completed { .. })))), "{outcome:?}");
    assert!(h.client.active_session_id().is_none());
}

#[test]
fn email_link_wait_does_not_claim_an_older_session_as_created() {
    // Multi-session "add account": signed in as sess_0 while a second sign-in waits for
    // its link. The server drops the attempt (slot null) without creating a session;
    // sess_0 is still last active. The wait must not report sess_0 as the session the
    // attempt created (Completed's contract: "the session the attempt created").
    let mut client = client_json(&[("sess_0", "active")], Some("sess_0"), 1);
    client["sign_in"] = sign_in("sia_1", "needs_first_factor");
    let mut h = Harness::signed_in(&client);
    let op = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailLink {
        email_address_id: None,
        redirect_url: "https://app.example.com/verify".into(),
    }));
    let request = h.expect_request();
    let waiting = link_state("needs_first_factor", &json!({ "status": "unverified", "strategy": "email_link" }));
    client["sign_in"] = waiting.clone();
    client["updated_at"] = json!(ms(2));
    h.respond_json(&request, 200, &answer(&waiting, &client));
    assert!(h.outcome(op).is_none());
    answer_poll(&mut h, &client_json(&[("sess_0", "active")], Some("sess_0"), 3));
    let outcome = h.outcome(op);
    assert_ne!(
        outcome,
        Some(Ok(Completion::EmailLink(EmailLinkOutcome::Completed { created_session_id: Some("sess_0".into()) })))
    );
}

#[test]
fn a_create_in_flight_at_reset_is_not_applied_but_a_later_reload_shows_its_new_attempt() {
    // Design §7.4 suppresses only the id that was reset; the create on the wire made a new
    // attempt on the server, which the late answer cannot bring in (older epoch) but a
    // reload afterwards shows, because it is the server's current attempt with a new id.
    let mut h = prepared_email_code();
    let op = h.submit(SignInCommand::Create(SignInCreate::identifier("other@example.com")));
    let request = h.expect_request();
    let _ = h.client.reset_sign_in(h.now);
    assert_eq!(h.expect_failure(op), OperationError::Superseded);
    let fresh = sign_in("sia_new", "needs_first_factor");
    h.respond_json(&request, 200, &answer(&fresh, &client_with_sign_in(fresh.clone(), 2)));
    assert!(h.client.sign_in().is_none(), "the late create answer was applied after the reset");
    let reload = h.client.reload(h.now);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": client_with_sign_in(fresh, 3), "client": null }));
    let _ = h.expect_success(reload);
    assert_eq!(h.client.sign_in().map(|s| s.id.as_str()), Some("sia_new"));
}

// ---------------------------------------------------------------------------------------
// Domain discovery and the default MFA phone (fapi.md §5.1, §3.3.4, §4.4)
// ---------------------------------------------------------------------------------------

fn form_value(outgoing: &clerk_core::Outgoing, name: &str) -> Option<String> {
    let form = outgoing.request.form.as_ref()?;
    form.iter().find(|field| field.name == name).map(|field| field.value.expose().to_owned())
}

/// Identifying a user whose email domain has an enterprise connection answers
/// `needs_identifier` with only `enterprise_sso` factors: preparing it is the way on, and its
/// answer brings the provider's URL.
#[test]
fn enterprise_sso_is_prepared_after_domain_discovery() {
    const IDP_URL: &str = "https://idp.corp.example/sso?SAMLRequest=x";
    let discovered = with(
        with(sign_in_json("sia_1", "needs_identifier"), "identifier", json!("ada@corp.example")),
        "supported_first_factors",
        json!([{ "strategy": "enterprise_sso", "enterprise_connection_id": "ent_1", "enterprise_connection_name": "Corp" }]),
    );
    let mut h = Harness::signed_in(&client_with_sign_in(discovered.clone(), 1));
    let op = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::Redirect {
        strategy: Strategy::EnterpriseSso,
        redirect_url: "myapp://sso-callback".into(),
        action_complete_redirect_url: None,
        oidc_prompt: None,
        oidc_login_hint: None,
    }));
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ins/sia_1/prepare_first_factor");
    assert_eq!(form_value(&request, "strategy").as_deref(), Some("enterprise_sso"));
    assert_eq!(form_value(&request, "redirect_url").as_deref(), Some("myapp://sso-callback"));
    let prepared = with(
        discovered,
        "first_factor_verification",
        json!({ "object": "verification_saml", "status": "unverified", "strategy": "enterprise_sso",
                "external_verification_redirect_url": IDP_URL, "expire_at": ms(600) }),
    );
    h.respond_json(&request, 200, &answer(&prepared, &client_with_sign_in(prepared.clone(), 2)));
    let _ = h.expect_success(op);
    assert!(
        h.events.contains(&Event::ExternalVerificationRequired { flow: Flow::SignIn, url: IDP_URL.into() }),
        "{:?}",
        h.events
    );
}

/// In `needs_identifier` nothing else may be prepared: a strategy the attempt does not offer
/// is refused before anything is sent.
#[test]
fn a_factor_not_offered_after_domain_discovery_is_refused() {
    let discovered = with(
        sign_in_json("sia_1", "needs_identifier"),
        "supported_first_factors",
        json!([{ "strategy": "enterprise_sso", "enterprise_connection_id": "ent_1" }]),
    );
    let mut h = Harness::signed_in(&client_with_sign_in(discovered, 1));
    let refused = h.client.submit(
        Command::SignIn(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode {
            email_address_id: None,
        })),
        h.now,
    );
    assert_eq!(refused, Err(CommandError::FactorNotOffered { strategy: "email_code".into() }));
    assert!(h.poll_request().is_none());
}

/// A second-factor SMS without a chosen phone goes to the user's default MFA phone, not to the
/// first one offered.
#[test]
fn a_second_factor_code_without_a_phone_goes_to_the_default_phone() {
    let needs_second = with(
        sign_in_json("sia_1", "needs_second_factor"),
        "supported_second_factors",
        json!([
            { "strategy": "phone_code", "phone_number_id": "idn_old", "safe_identifier": "+1******0001", "default": false },
            { "strategy": "phone_code", "phone_number_id": "idn_default", "safe_identifier": "+1******0002", "default": true },
            { "strategy": "totp" }
        ]),
    );
    let mut h = Harness::signed_in(&client_with_sign_in(needs_second, 1));
    let _ = h.submit(SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode { phone_number_id: None }));
    let request = h.expect_request();
    assert_eq!(form_value(&request, "phone_number_id").as_deref(), Some("idn_default"));

    // A phone the caller names is still the one used.
    let mut h = Harness::signed_in(&client_with_sign_in(
        with(
            sign_in_json("sia_1", "needs_second_factor"),
            "supported_second_factors",
            json!([
                { "strategy": "phone_code", "phone_number_id": "idn_old", "default": false },
                { "strategy": "phone_code", "phone_number_id": "idn_default", "default": true }
            ]),
        ),
        1,
    ));
    let _ = h.submit(SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode {
        phone_number_id: Some("idn_old".into()),
    }));
    assert_eq!(form_value(&h.expect_request(), "phone_number_id").as_deref(), Some("idn_old"));
}

/// `poll_event` hands out events only: a request queued behind them stays queued for
/// `poll_output` (a driver draining events after a cancel must not take a request it will
/// never send; the engine would wait for its answer for ever).
#[test]
fn poll_event_leaves_the_next_request_queued() {
    let mut client = client_json(&[("sess_1", "active")], Some("sess_1"), 1);
    client["sign_in"] = sign_in("sia_1", "needs_first_factor");
    let mut h = Harness::signed_in(&client);
    let _ = h.submit(SignInCommand::Reload { rotating_token_nonce: None });
    // A sign-out queues events (SessionsChanged, …) ahead of its own request; the reload is
    // queued too.
    let _ = h.client.submit(Command::Session(clerk_core::SessionCommand::SignOut { session_id: None }), h.now);
    let mut events = 0;
    while let Some(_event) = h.client.poll_event() {
        events += 1;
    }
    assert!(events > 0, "the sign-out's events");
    assert!(h.client.poll_event().is_none());
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ins/sia_1", "the reload is still sent");
}

// ---------------------------------------------------------------------------------------
// Answers without a client, completions whose session is not on the client (found in
// review, 2026-11-27)
// ---------------------------------------------------------------------------------------

/// fapi.md §2.2: a `client` that is `null` or absent is "no update" (rule 1), and the
/// resource the call was made on is still updated from `response` (rule 5). On a fresh
/// install there is no local client yet (clerk-js has its empty client singleton there): the
/// first sign-in or sign-up must still be kept, or the next step of the flow is refused.
#[test]
fn the_first_attempt_of_a_fresh_install_is_kept_when_its_answer_carries_no_client() {
    for envelope in ["null client", "no client"] {
        let body = |response: Value| match envelope {
            "null client" => json!({ "response": response, "client": null }),
            _ => json!({ "response": response }),
        };

        let mut h = Harness::new();
        let op = h.submit(SignInCommand::Create(SignInCreate::identifier("ada@example.com")));
        let request = h.expect_request();
        h.respond_with_token(&request, 200, &body(sign_in("sia_1", "needs_first_factor")), "tok-1");
        assert_eq!(sign_in_result(h.expect_success(op)).id.as_str(), "sia_1", "{envelope}");
        assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::NeedsFirstFactor), "{envelope}: sign-in dropped");
        assert_eq!(status_changes(&h), [(None, Some(SignInStatus::NeedsFirstFactor))], "{envelope}");
        assert!(h.client.is_new(), "{envelope}: the server named no client yet");
        let _ =
            h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }));
        assert_eq!(h.expect_request().request.path, "/v1/client/sign_ins/sia_1/prepare_first_factor", "{envelope}");

        let mut h = Harness::new();
        let op = h.submit(SignUpCommand::Create(SignUpFields {
            email_address: Some("ada@example.com".into()),
            ..SignUpFields::default()
        }));
        let request = h.expect_request();
        h.respond_with_token(&request, 200, &body(sign_up("sua_1", "missing_requirements")), "tok-1");
        assert_eq!(sign_up_result(h.expect_success(op)).id.as_str(), "sua_1", "{envelope}");
        assert_eq!(h.client.sign_up_status(), Some(&SignUpStatus::MissingRequirements), "{envelope}: sign-up dropped");
        let _ = h.submit(SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode));
        assert_eq!(h.expect_request().request.path, "/v1/client/sign_ups/sua_1/prepare_verification", "{envelope}");
    }
}

/// fapi.md §5.3 step 4: when the session a completed attempt created (`created_session_id`)
/// is not on the local client, clerk-js reloads the client (`GET /v1/client`) before
/// activating it. The reload belongs to the completing operation: it completes once the
/// session is there and active, so an app (or a driver that stops at the completion) never
/// sees a finished sign-in without its session.
#[test]
fn a_completed_sign_in_whose_session_is_not_on_the_client_reloads_the_client() {
    for client in [client_json(&[], None, 2), Value::Null] {
        let label = if client.is_null() { "no client" } else { "a client without the session" };
        let mut h = prepared_email_code();
        let (op, request) = attempt_email_code(&mut h, "424242");
        h.respond_json(&request, 200, &answer(&complete_sign_in("sia_1"), &client));
        assert!(h.outcome(op).is_none(), "{label}: completed without its session");
        let reload = h.poll_request().unwrap_or_else(|| panic!("{label}: no client reload"));
        assert_eq!(reload.kind, clerk_core::RequestKind::ClientGet, "{label}");
        assert_eq!((reload.request.method, reload.request.path.as_str()), (clerk_core::Method::Get, "/v1/client"));
        h.respond_json(&reload, 200, &json!({ "response": completed_client(3), "client": null }));
        let done = sign_in_result(h.expect_success(op));
        assert_eq!(done.created_session_id.as_deref(), Some("sess_1"), "{label}");
        assert_eq!(h.client.active_session_id(), Some("sess_1"), "{label}");
        assert!(h.poll_request().is_none(), "{label}");
    }

    // The same for a sign-up.
    let mut h = Harness::signed_in(&client_with_sign_up(sign_up("sua_1", "missing_requirements"), 1));
    let op = h.submit(SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(code("424242"))));
    let request = h.expect_request();
    h.respond_json(&request, 200, &answer(&complete_sign_up("sua_1"), &client_json(&[], None, 2)));
    let reload = h.expect_request();
    assert_eq!(reload.request.path, "/v1/client");
    h.respond_json(&reload, 200, &json!({ "response": completed_client(3), "client": null }));
    assert_eq!(sign_up_result(h.expect_success(op)).created_session_id.as_deref(), Some("sess_1"));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

/// The reload after a completion is a read: its failure does not turn the completed sign-in
/// into a failure (the server signed the user in); the session appears with the next client.
#[test]
fn a_failed_reload_after_a_completion_still_completes_the_sign_in() {
    let mut h = prepared_email_code();
    let (op, request) = attempt_email_code(&mut h, "424242");
    h.respond_json(&request, 200, &answer(&complete_sign_in("sia_1"), &Value::Null));
    let reload = h.expect_request();
    h.respond_json(&reload, 500, &error_body("internal_clerk_error", &json!({}), None));
    assert_eq!(sign_in_result(h.expect_success(op)).status, Some(SignInStatus::Complete));
}

/// Both together: a fresh install whose password sign-in completes in an answer without a
/// client keeps the attempt, then reloads the client with the token the answer issued, and
/// ends signed in.
#[test]
fn a_fresh_install_signed_in_by_an_answer_without_a_client_ends_signed_in() {
    let mut h = Harness::new();
    let op = h.submit(SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("pw"))));
    let request = h.expect_request();
    h.respond_with_token(&request, 200, &json!({ "response": complete_sign_in("sia_1"), "client": null }), "tok-1");
    let reload = h.expect_request();
    assert_eq!(reload.request.path, "/v1/client");
    assert_eq!(reload.request.header("authorization").map(|v| v.expose()), Some("tok-1"));
    h.respond_json(&reload, 200, &json!({ "response": completed_client(3), "client": null }));
    let _ = sign_in_result(h.expect_success(op));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(!h.client.is_new());
}
