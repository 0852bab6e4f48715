//! The mock's flows end to end over loopback, as a native client sees them.

mod support;

use clerk_mock::{Totp, UserSpec};
use serde_json::Value;
use support::{Browser, Native, assert_ms, assert_recorded_shape, raw_exchange};

const EMAIL_CODE_FLOW: &str = "clerk_auth/sign_in_test/sign_in_with_email_code";
const SIGN_UP_FLOW: &str = "clerk_auth/sign_up_test/sign_up_with_email_and_phone_code";

fn check_client_shape(client: &Value) {
    assert_recorded_shape(client, &format!("{EMAIL_CODE_FLOW}/005.json"), "/client");
    assert_eq!(client["object"], "client");
    assert_ms(&client["created_at"]);
    assert_ms(&client["updated_at"]);
    for session in client["sessions"].as_array().expect("sessions") {
        assert_recorded_shape(session, &format!("{EMAIL_CODE_FLOW}/005.json"), "/client/sessions/0");
        assert_recorded_shape(&session["user"], &format!("{EMAIL_CODE_FLOW}/005.json"), "/client/sessions/0/user");
        assert_recorded_shape(
            &session["public_user_data"],
            &format!("{EMAIL_CODE_FLOW}/005.json"),
            "/client/sessions/0/public_user_data",
        );
        for field in ["expire_at", "abandon_at", "last_active_at", "created_at", "updated_at"] {
            assert_ms(&session[field]);
        }
    }
    if !client["sign_in"].is_null() {
        check_sign_in_shape(&client["sign_in"]);
    }
}

fn check_sign_in_shape(sign_in: &Value) {
    assert_recorded_shape(sign_in, &format!("{EMAIL_CODE_FLOW}/003.json"), "/response");
    assert_ms(&sign_in["abandon_at"]);
    for slot in ["first_factor_verification", "second_factor_verification"] {
        if !sign_in[slot].is_null() {
            assert_recorded_shape(
                &sign_in[slot],
                &format!("{EMAIL_CODE_FLOW}/004.json"),
                "/response/first_factor_verification",
            );
        }
    }
}

fn check_sign_up_shape(sign_up: &Value) {
    assert_recorded_shape(sign_up, &format!("{SIGN_UP_FLOW}/003.json"), "/response");
    assert_ms(&sign_up["abandon_at"]);
    for field in ["email_address", "phone_number"] {
        let verification = &sign_up["verifications"][field];
        if !verification.is_null() {
            assert_recorded_shape(
                verification,
                &format!("{SIGN_UP_FLOW}/003.json"),
                "/response/verifications/email_address",
            );
        }
    }
}

/// Every happy-path envelope: `{response, client}` with recorded shapes.
fn check_envelope(body: &Value) {
    assert!(body.get("response").is_some() && body.get("client").is_some(), "not an envelope: {body}");
    if body["client"].is_object() {
        check_client_shape(&body["client"]);
    }
}

#[test]
fn password_sign_in_end_to_end_rotates_the_client_token() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("ada@example.com").password("correct horse battery").name("Ada", "Lovelace"));
    let mut native = Native::new(&mock.base_url());

    let environment = native.get("/v1/environment");
    assert_eq!(environment.status, 200);
    assert_recorded_shape(&environment.body, &format!("{EMAIL_CODE_FLOW}/002.json"), "");
    assert!(environment.body.get("response").is_none(), "environment is unwrapped");

    let boot = native.get("/v1/client");
    assert_eq!(boot.body, serde_json::json!({ "response": null, "client": null }));
    assert_eq!(boot.token, None);

    let created = native.post("/v1/client", &[]);
    let first_token = created.token.clone().expect("a new client sends its token");
    assert_recorded_shape(&created.body["response"], &format!("{EMAIL_CODE_FLOW}/001.json"), "/response");

    let wrong = native.post("/v1/client/sign_ins", &[("identifier", "ada@example.com"), ("password", "nope")]);
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.body["errors"][0]["code"], "form_password_incorrect");
    assert_eq!(wrong.body["errors"][0]["meta"]["param_name"], "password");
    assert!(wrong.body["meta"]["client"].is_object(), "4xx piggybacks the client");
    assert!(wrong.body["clerk_trace_id"].is_string());

    let done = native.post(
        "/v1/client/sign_ins",
        &[("strategy", "password"), ("identifier", "ada@example.com"), ("password", "correct horse battery")],
    );
    assert_eq!(done.status, 200);
    check_envelope(&done.body);
    let second_token = done.token.clone().expect("completion rotates the token");
    assert_ne!(second_token, first_token);
    let session_id = done.body["response"]["created_session_id"].as_str().expect("session").to_owned();
    assert_eq!(done.body["response"]["status"], "complete");
    assert_eq!(done.body["client"]["sign_in"], Value::Null, "completion consumes the attempt");
    assert_eq!(done.body["client"]["last_active_session_id"], session_id.as_str());
    assert_eq!(done.body["client"]["sessions"][0]["status"], "active");
    assert_eq!(done.body["client"]["sessions"][0]["user"]["first_name"], "Ada");

    // The old token is stale now.
    let mut stale = Native::new(&mock.base_url());
    stale.token = Some(first_token);
    assert_eq!(stale.get("/v1/client").body, serde_json::json!({ "response": null, "client": null }));

    let reloaded = native.get("/v1/client");
    assert_eq!(reloaded.body["response"]["sessions"][0]["id"], session_id.as_str());
    check_client_shape(&reloaded.body["response"]);

    let touched = native.post(
        &format!("/v1/client/sessions/{session_id}/touch"),
        &[("active_organization_id", ""), ("intent", "select_session")],
    );
    assert_eq!(touched.status, 200);
    assert_eq!(touched.body["response"]["object"], "session");

    let token = native.post(&format!("/v1/client/sessions/{session_id}/tokens"), &[("organization_id", "")]);
    assert_eq!(token.body["object"], "token");
    assert!(token.body["jwt"].as_str().is_some_and(|jwt| jwt.split('.').count() == 3));

    let signed_out = native.send("DELETE", "/v1/client/sessions", &[]);
    assert_eq!(signed_out.status, 200);
    assert_eq!(signed_out.body["client"], Value::Null);
    assert_eq!(signed_out.body["response"]["sessions"][0]["status"], "removed");
    assert_eq!(mock.session_status(&session_id).as_deref(), Some("removed"));
    let refused = native.post(&format!("/v1/client/sessions/{session_id}/tokens"), &[("organization_id", "")]);
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["errors"][0]["code"], "authentication_invalid");

    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn email_code_sign_in_accepts_424242_and_counts_wrong_codes() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("grace+clerk_test@example.com"));
    let mut native = Native::new(&mock.base_url());

    let identified = native.post("/v1/client/sign_ins", &[("identifier", "grace+clerk_test@example.com")]);
    check_envelope(&identified.body);
    let sign_in = &identified.body["response"];
    assert_eq!(sign_in["status"], "needs_first_factor");
    let factor = sign_in["supported_first_factors"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["strategy"] == "email_code"))
        .expect("email_code factor")
        .clone();
    let id = sign_in["id"].as_str().expect("id").to_owned();
    let email_id = factor["email_address_id"].as_str().expect("email_address_id");

    let prepared = native.post(
        &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
        &[("strategy", "email_code"), ("email_address_id", email_id)],
    );
    check_envelope(&prepared.body);
    let verification = &prepared.body["response"]["first_factor_verification"];
    assert_eq!(verification["status"], "unverified");
    assert_eq!(verification["attempts"], 0);
    assert_ms(&verification["expire_at"]);
    assert_eq!(mock.latest_code("grace+clerk_test@example.com").as_deref(), Some("424242"));

    let wrong = native.post(
        &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
        &[("strategy", "email_code"), ("code", "000000")],
    );
    assert_eq!(wrong.status, 422);
    assert_eq!(wrong.body["errors"][0]["code"], "form_code_incorrect");
    assert_eq!(wrong.body["meta"]["client"]["sign_in"]["first_factor_verification"]["attempts"], 1);

    let right = native.post(
        &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
        &[("strategy", "email_code"), ("code", "424242")],
    );
    assert_eq!(right.status, 200);
    check_envelope(&right.body);
    assert_eq!(right.body["response"]["status"], "complete");
    assert_eq!(right.body["client"]["last_authentication_strategy"], "email_code");
    assert!(right.token.is_some());
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn three_wrong_codes_fail_the_verification_and_expiry_is_reported() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("real@example.com"));
    let mut native = Native::new(&mock.base_url());
    let id = native.post("/v1/client/sign_ins", &[("identifier", "real@example.com"), ("strategy", "email_code")]).body
        ["response"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let code = mock.latest_code("real@example.com").expect("a generated code");
    assert_ne!(code, "424242", "non-test identifiers get random codes");
    let attempt = |native: &mut Native, code: &str| {
        native.post(
            &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
            &[("strategy", "email_code"), ("code", code)],
        )
    };
    for _ in 0..3 {
        assert_eq!(attempt(&mut native, "999999").body["errors"][0]["code"], "form_code_incorrect");
    }
    let failed = attempt(&mut native, &code);
    assert_eq!(failed.body["meta"]["client"]["sign_in"]["first_factor_verification"]["status"], "failed");

    let prepared =
        native.post(&format!("/v1/client/sign_ins/{id}/prepare_first_factor"), &[("strategy", "email_code")]);
    assert_eq!(prepared.status, 200);
    mock.advance_clock(std::time::Duration::from_secs(11 * 60));
    let code = mock.latest_code("real@example.com").expect("code");
    let expired = attempt(&mut native, &code);
    assert_eq!(expired.body["errors"][0]["code"], "verification_expired");
}

#[test]
fn sign_up_with_email_code_then_phone_code() {
    let mock = support::mock();
    let mut native = Native::new(&mock.base_url());
    let created = native.post(
        "/v1/client/sign_ups",
        &[
            ("email_address", "new+clerk_test@example.com"),
            ("phone_number", "+15555550151"),
            ("password", "a long password"),
            ("first_name", "New"),
            ("strategy", "email_code"),
        ],
    );
    assert_eq!(created.status, 200);
    check_envelope(&created.body);
    let sign_up = &created.body["response"];
    check_sign_up_shape(sign_up);
    assert_eq!(sign_up["status"], "missing_requirements");
    assert_eq!(sign_up["missing_fields"], serde_json::json!(["legal_accepted"]));
    assert_eq!(sign_up["unverified_fields"], serde_json::json!(["email_address", "phone_number"]));
    assert_eq!(sign_up["verifications"]["email_address"]["next_action"], "needs_attempt");
    let id = sign_up["id"].as_str().expect("id").to_owned();

    let updated = native.send("PATCH", &format!("/v1/client/sign_ups/{id}"), &[("legal_accepted", "true")]);
    assert_eq!(updated.body["response"]["missing_fields"], serde_json::json!([]));
    assert_ms(&updated.body["response"]["legal_accepted_at"]);

    let email = native.post(
        &format!("/v1/client/sign_ups/{id}/attempt_verification"),
        &[("strategy", "email_code"), ("code", "424242")],
    );
    check_envelope(&email.body);
    assert_eq!(email.body["response"]["verifications"]["email_address"]["status"], "verified");
    assert_eq!(email.body["response"]["unverified_fields"], serde_json::json!(["phone_number"]));

    let prepared =
        native.post(&format!("/v1/client/sign_ups/{id}/prepare_verification"), &[("strategy", "phone_code")]);
    check_sign_up_shape(&prepared.body["response"]);
    assert_eq!(prepared.body["response"]["verifications"]["phone_number"]["channel"], "sms");

    let before = native.token.clone();
    let done = native.post(
        &format!("/v1/client/sign_ups/{id}/attempt_verification"),
        &[("strategy", "phone_code"), ("code", "424242")],
    );
    check_envelope(&done.body);
    let sign_up = &done.body["response"];
    assert_eq!(sign_up["status"], "complete");
    assert!(sign_up["created_user_id"].is_string());
    let session_id = sign_up["created_session_id"].as_str().expect("session");
    assert_eq!(done.body["client"]["sign_up"], Value::Null);
    assert_eq!(done.body["client"]["last_active_session_id"], session_id);
    assert_ne!(done.token, before, "completion rotates the token");

    let again = native.send("PATCH", &format!("/v1/client/sign_ups/{id}"), &[("first_name", "Late")]);
    assert_eq!(again.body["errors"][0]["code"], "sign_up_cannot_be_updated");

    let mut other = Native::new(&mock.base_url());
    let taken = other.post("/v1/client/sign_ups", &[("email_address", "new+clerk_test@example.com")]);
    assert_eq!(taken.body["errors"][0]["code"], "form_identifier_exists");
    assert_eq!(taken.body["errors"][0]["meta"]["param_name"], "email_address");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn email_link_is_clicked_out_of_band_and_seen_by_polling() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("link@example.com"));
    let mut native = Native::new(&mock.base_url());
    let created = native.post("/v1/client/sign_ins", &[("identifier", "link@example.com")]);
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    let prepared = native.post(
        &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
        &[("strategy", "email_link"), ("redirect_url", "https://example.com/verify")],
    );
    assert_eq!(prepared.body["response"]["first_factor_verification"]["object"], "verification_email_link");
    assert_eq!(prepared.body["response"]["first_factor_verification"]["attempts"], Value::Null);

    let poll = native.get(&format!("/v1/client/sign_ins/{id}"));
    assert_eq!(poll.body["response"]["first_factor_verification"]["status"], "unverified");
    let token_before = native.token.clone();

    let click =
        ureq::post(format!("{}/__mock/email_links/click", mock.base_url())).send_form([("email", "link@example.com")]);
    assert_eq!(click.expect("click").status().as_u16(), 200);

    let poll = native.get(&format!("/v1/client/sign_ins/{id}"));
    check_envelope(&poll.body);
    let sign_in = &poll.body["response"];
    assert_eq!(sign_in["first_factor_verification"]["status"], "verified");
    assert!(sign_in["first_factor_verification"]["verified_at_client"].is_string());
    assert_eq!(sign_in["status"], "complete");
    assert!(sign_in["created_session_id"].is_string());
    assert!(poll.token.is_some() && poll.token != token_before, "the token rotates after an out-of-band completion");
    assert!(!mock.click_email_link("link@example.com"), "a link opens once");
}

#[test]
fn totp_and_backup_code_second_factors() {
    let mock = support::mock();
    mock.add_user(
        UserSpec::with_email("mfa@example.com")
            .password("password-1234")
            .mfa_totp(Totp::FixedCode("123456".into()))
            .mfa_backup_codes(&["bk-1"]),
    );
    for (strategy, wrong, right) in [("totp", "654321", "123456"), ("backup_code", "bk-0", "bk-1")] {
        let mut native = Native::new(&mock.base_url());
        let created =
            native.post("/v1/client/sign_ins", &[("identifier", "mfa@example.com"), ("password", "password-1234")]);
        let sign_in = &created.body["response"];
        assert_eq!(sign_in["status"], "needs_second_factor");
        let strategies: Vec<&str> = sign_in["supported_second_factors"]
            .as_array()
            .expect("factors")
            .iter()
            .filter_map(|f| f["strategy"].as_str())
            .collect();
        assert!(strategies.contains(&strategy), "{strategies:?}");
        let id = sign_in["id"].as_str().expect("id").to_owned();
        let path = format!("/v1/client/sign_ins/{id}/attempt_second_factor");
        assert_eq!(
            native.post(&path, &[("strategy", strategy), ("code", wrong)]).body["errors"][0]["code"],
            "form_code_incorrect"
        );
        let done = native.post(&path, &[("strategy", strategy), ("code", right)]);
        assert_eq!(done.body["response"]["status"], "complete", "{strategy}");
        check_envelope(&done.body);
        assert_eq!(done.body["client"]["last_authentication_strategy"], "password", "the first factor, not {strategy}");
        assert_eq!(done.body["client"]["sessions"][0]["factor_verification_age"][1], 0);
    }
}

#[test]
fn client_trust_asks_for_an_email_code_on_a_new_device() {
    let mock = support::mock();
    mock.set_client_trust(true);
    mock.add_user(UserSpec::with_email("trust+clerk_test@example.com").password("password-1234"));
    let mut native = Native::new(&mock.base_url());
    let created = native
        .post("/v1/client/sign_ins", &[("identifier", "trust+clerk_test@example.com"), ("password", "password-1234")]);
    assert_eq!(created.body["response"]["status"], "needs_client_trust");
    assert_eq!(created.body["response"]["supported_second_factors"][0]["strategy"], "email_code");
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    native.post(&format!("/v1/client/sign_ins/{id}/prepare_second_factor"), &[("strategy", "email_code")]);
    let done = native.post(
        &format!("/v1/client/sign_ins/{id}/attempt_second_factor"),
        &[("strategy", "email_code"), ("code", "424242")],
    );
    assert_eq!(done.body["response"]["status"], "complete");
    // As recorded in clerk_auth/sign_in_test/sign_in_with_client_trust/005.json: the first factor.
    assert_eq!(done.body["client"]["last_authentication_strategy"], "password");
}

#[test]
fn a_stale_token_gets_a_brand_new_session_less_client() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("stale@example.com").password("password-1234"));
    let mut native = Native::new(&mock.base_url());
    let first = native.post("/v1/client", &[]).token.expect("token");
    let done =
        native.post("/v1/client/sign_ins", &[("identifier", "stale@example.com"), ("password", "password-1234")]);
    let client_id = done.body["client"]["id"].clone();

    let mut racer = Native::new(&mock.base_url());
    racer.token = Some(first);
    let answer = racer.post("/v1/client/sign_ins", &[("identifier", "stale@example.com")]);
    assert_eq!(answer.status, 200);
    assert_ne!(answer.body["client"]["id"], client_id);
    assert_eq!(answer.body["client"]["sessions"], serde_json::json!([]));
    assert!(answer.token.is_some(), "the new client's token");
}

#[test]
fn single_session_mode_refuses_a_second_sign_in() {
    let mock = support::mock();
    mock.set_single_session_mode(true);
    mock.add_user(UserSpec::with_email("one@example.com").password("password-1234"));
    let mut native = Native::new(&mock.base_url());
    native.post("/v1/client/sign_ins", &[("identifier", "one@example.com"), ("password", "password-1234")]);
    let again = native.post("/v1/client/sign_ins", &[("identifier", "one@example.com")]);
    assert_eq!(again.body["errors"][0]["code"], "session_exists");
}

#[test]
fn tunnelled_delete_ends_the_client() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("end@example.com").password("password-1234"));
    let mut native = Native::new(&mock.base_url());
    let done = native.post("/v1/client/sign_ins", &[("identifier", "end@example.com"), ("password", "password-1234")]);
    let session_id = done.body["response"]["created_session_id"].as_str().expect("sid").to_owned();
    let ended = native.post("/v1/client?_method=DELETE", &[]);
    assert_eq!(ended.status, 200);
    assert_eq!(ended.body["client"], Value::Null);
    assert_eq!(ended.body["response"]["sessions"][0]["status"], "ended");
    assert_eq!(mock.session_status(&session_id).as_deref(), Some("ended"));
    assert_eq!(native.get("/v1/client").body["response"], Value::Null);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn transfers_go_both_ways() {
    let mock = support::mock();
    // Sign-in → sign-up: an unknown identifier proven by a code.
    let mut native = Native::new(&mock.base_url());
    let created = native.post(
        "/v1/client/sign_ins",
        &[("identifier", "fresh+clerk_test@example.com"), ("sign_up_if_missing", "true"), ("strategy", "email_code")],
    );
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    let attempt = native.post(
        &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
        &[("strategy", "email_code"), ("code", "424242")],
    );
    // fapi.md §5.1, §5.4: the right code answers an error; the piggybacked client is what
    // shows the verification `transferable`.
    assert_eq!(attempt.status, 422, "{}", attempt.body);
    assert_eq!(attempt.body["errors"][0]["code"], "sign_up_if_missing_transfer");
    assert_eq!(attempt.body["meta"]["client"]["sign_in"]["first_factor_verification"]["status"], "transferable");
    let transferred = native.post(
        "/v1/client/sign_ups",
        &[("transfer", "true"), ("password", "password-1234"), ("legal_accepted", "true")],
    );
    assert_eq!(transferred.body["response"]["status"], "complete", "{}", transferred.body);
    assert_eq!(transferred.body["response"]["email_address"], "fresh+clerk_test@example.com");
    assert_eq!(transferred.body["client"]["sign_in"], Value::Null);

    // Sign-up → sign-in: an ID token for an existing account.
    mock.add_user(UserSpec::with_email("known@example.com"));
    let mut native = Native::new(&mock.base_url());
    let sign_up = native.post("/v1/client/sign_ups", &[("strategy", "google_one_tap"), ("token", "known@example.com")]);
    let external = &sign_up.body["response"]["verifications"]["external_account"];
    assert_eq!(external["status"], "transferable");
    assert_eq!(external["error"]["code"], "external_account_exists");
    let sign_in = native.post("/v1/client/sign_ins", &[("transfer", "true")]);
    assert_eq!(sign_in.body["response"]["status"], "complete", "{}", sign_in.body);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn reset_password_and_ticket_sign_ins() {
    let mock = support::mock();
    let user = mock.add_user(UserSpec::with_email("reset+clerk_test@example.com").password("old-password"));
    let mut native = Native::new(&mock.base_url());
    let created = native.post("/v1/client/sign_ins", &[("identifier", "reset+clerk_test@example.com")]);
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    native
        .post(&format!("/v1/client/sign_ins/{id}/prepare_first_factor"), &[("strategy", "reset_password_email_code")]);
    let verified = native.post(
        &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
        &[("strategy", "reset_password_email_code"), ("code", "424242")],
    );
    assert_eq!(verified.body["response"]["status"], "needs_new_password");
    let done = native.post(
        &format!("/v1/client/sign_ins/{id}/reset_password"),
        &[("password", "new-password"), ("sign_out_of_other_sessions", "true")],
    );
    assert_eq!(done.body["response"]["status"], "complete");

    let mut other = Native::new(&mock.base_url());
    let ok = other
        .post("/v1/client/sign_ins", &[("identifier", "reset+clerk_test@example.com"), ("password", "new-password")]);
    assert_eq!(ok.body["response"]["status"], "complete");

    let ticket = mock.create_sign_in_ticket(&user);
    let mut third = Native::new(&mock.base_url());
    let by_ticket = third.post("/v1/client/sign_ins", &[("strategy", "ticket"), ("ticket", &ticket)]);
    assert_eq!(by_ticket.body["response"]["status"], "complete");
    let reused =
        Native::new(&mock.base_url()).post("/v1/client/sign_ins", &[("strategy", "ticket"), ("ticket", &ticket)]);
    assert_eq!(reused.status, 422);
}

#[test]
fn a_spec_violation_is_answered_with_the_envelope_naming_the_parameter() {
    let mock = support::mock();
    let mut native = Native::new(&mock.base_url());
    let answer = native.post("/v1/client/sign_ins", &[("identifier", "x@example.com"), ("favourite_colour", "blue")]);
    assert_eq!(answer.status, 422);
    assert_eq!(answer.body["errors"][0]["code"], "form_param_unknown");
    assert_eq!(answer.body["errors"][0]["meta"]["param_name"], "favourite_colour");
    let violations = mock.violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].request.path, "/v1/client/sign_ins");
}

#[test]
fn updating_a_sign_up_with_a_strategy_sends_a_new_code_to_the_corrected_email() {
    // As recorded in clerk_auth/sign_up_test/sign_up_with_email_code_and_typo/003–005.json.
    let mock = support::mock();
    let mut native = Native::new(&mock.base_url());
    let created = native.post(
        "/v1/client/sign_ups",
        &[
            ("email_address", "typo@exmaple.com"),
            ("password", "a long password"),
            ("legal_accepted", "true"),
            ("strategy", "email_code"),
        ],
    );
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    assert_ne!(mock.latest_code("typo@exmaple.com").as_deref(), Some("424242"), "a random code for the typo");

    let updated = native.send(
        "PATCH",
        &format!("/v1/client/sign_ups/{id}"),
        &[("email_address", "fixed+clerk_test@example.com"), ("strategy", "email_code")],
    );
    assert_eq!(updated.status, 200, "{}", updated.body);
    check_envelope(&updated.body);
    let sign_up = &updated.body["response"];
    check_sign_up_shape(sign_up);
    assert_eq!(sign_up["email_address"], "fixed+clerk_test@example.com");
    let verification = &sign_up["verifications"]["email_address"];
    assert_eq!(verification["status"], "unverified");
    assert_eq!(verification["strategy"], "email_code");
    assert_eq!(verification["attempts"], 0);
    assert_eq!(verification["next_action"], "needs_attempt");
    assert_eq!(mock.latest_code("fixed+clerk_test@example.com").as_deref(), Some("424242"));

    // No prepare_verification in between: the update sent the code.
    let attempted = native.post(
        &format!("/v1/client/sign_ups/{id}/attempt_verification"),
        &[("strategy", "email_code"), ("code", "424242")],
    );
    assert_eq!(attempted.status, 200, "{}", attempted.body);
    assert_eq!(attempted.body["response"]["verifications"]["email_address"]["status"], "verified");
    assert_eq!(attempted.body["response"]["status"], "complete");

    // A strategy does not undo a verification that is already done.
    let mut other = Native::new(&mock.base_url());
    let transfer = other.post(
        "/v1/client/sign_ins",
        &[("identifier", "proven+clerk_test@example.com"), ("sign_up_if_missing", "true"), ("strategy", "email_code")],
    );
    let sign_in_id = transfer.body["response"]["id"].as_str().expect("id").to_owned();
    other.post(
        &format!("/v1/client/sign_ins/{sign_in_id}/attempt_first_factor"),
        &[("strategy", "email_code"), ("code", "424242")],
    );
    let transferred = other.post("/v1/client/sign_ups", &[("transfer", "true")]);
    let sign_up_id = transferred.body["response"]["id"].as_str().expect("id").to_owned();
    let kept = other.send("PATCH", &format!("/v1/client/sign_ups/{sign_up_id}"), &[("strategy", "email_code")]);
    assert_eq!(kept.body["response"]["verifications"]["email_address"]["status"], "verified", "{}", kept.body);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn the_authorization_header_identifies_the_client_only_in_native_mode() {
    let mock = support::mock();
    let mut native = Native::new(&mock.base_url());
    let created = native.post("/v1/client", &[]);
    let client_id = created.body["response"]["id"].clone();
    let token = created.token.expect("a new client sends its token");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let client_with_token = |query: &str| -> Value {
        let url = format!("{}/v1/client?__clerk_api_version=2026-05-12{query}", mock.base_url());
        let mut response = agent.get(&url).header("Authorization", &token).call().expect("an answer");
        serde_json::from_str(&response.body_mut().read_to_string().expect("body")).expect("json")
    };

    assert_eq!(client_with_token("&_is_native=true")["response"]["id"], client_id);
    assert_eq!(client_with_token("&_is_native=1")["response"]["id"], client_id, "Expo sends 1");
    assert_eq!(client_with_token(""), serde_json::json!({ "response": null, "client": null }), "no _is_native");
    assert_eq!(client_with_token("&_is_native=false")["response"], Value::Null);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn a_development_browser_gets_a_dev_browser_token() {
    let mock = support::mock();
    let mut browser = Browser::new(&mock.base_url());
    let made = browser.post("/v1/dev_browser", &[]);
    assert_eq!(made.status, 200, "{}", made.body);
    let id = made.body["id"].as_str().expect("an id");
    assert!(id.starts_with("dvb_") && id.len() > 4, "{id}");
    let environment = browser.get(&format!("/v1/environment?__clerk_db_jwt={id}"));
    assert_eq!(environment.status, 200, "{}", environment.body);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn a_browser_is_identified_by_the_client_cookie_the_mock_sets() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("cookie@example.com").password("password-1234"));
    let mut browser = Browser::new(&mock.base_url());

    let created = browser.post("/v1/client/sign_ins", &[("identifier", "cookie@example.com")]);
    assert_eq!(created.status, 200, "{}", created.body);
    let set_cookie = created.set_cookie.clone().expect("a new client is set as a cookie outside native mode");
    assert!(set_cookie.starts_with("__client=") && set_cookie.contains("HttpOnly"), "{set_cookie}");
    let client_id = created.body["client"]["id"].clone();
    let sign_in_id = created.body["response"]["id"].clone();

    let reloaded = browser.get("/v1/client");
    assert_eq!(reloaded.status, 200, "{}", reloaded.body);
    assert_eq!(reloaded.body["response"]["id"], client_id);
    assert_eq!(reloaded.body["response"]["sign_in"]["id"], sign_in_id);
    assert_eq!(reloaded.set_cookie, None, "the cookie stays as long as the token does");

    let signed_in = browser.post(
        &format!("/v1/client/sign_ins/{}/attempt_first_factor", sign_in_id.as_str().expect("id")),
        &[("strategy", "password"), ("password", "password-1234")],
    );
    assert_eq!(signed_in.body["response"]["status"], "complete", "{}", signed_in.body);
    assert!(signed_in.set_cookie.is_some(), "completion rotates the token, and so the cookie");
    let after = browser.get("/v1/client");
    assert_eq!(after.body["response"]["id"], client_id);
    assert_eq!(after.body["response"]["sessions"][0]["status"], "active");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn signing_in_with_an_identifier_that_is_signed_in_names_its_session() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("twice@example.com").password("password-1234"));
    mock.add_user(UserSpec::with_email("other@example.com").password("password-1234"));
    let mut native = Native::new(&mock.base_url());
    let done =
        native.post("/v1/client/sign_ins", &[("identifier", "twice@example.com"), ("password", "password-1234")]);
    let session_id = done.body["response"]["created_session_id"].clone();

    let again = native.post("/v1/client/sign_ins", &[("identifier", "twice@example.com")]);
    assert_eq!(again.status, 400);
    assert_eq!(again.body["errors"][0]["code"], "identifier_already_signed_in");
    assert_eq!(again.body["errors"][0]["meta"]["session_id"], session_id);
    assert_eq!(again.body["meta"]["client"]["last_active_session_id"], session_id, "the client is piggybacked");

    let other =
        native.post("/v1/client/sign_ins", &[("identifier", "other@example.com"), ("password", "password-1234")]);
    assert_eq!(other.body["response"]["status"], "complete", "another user may sign in on the same client");

    let elsewhere = Native::new(&mock.base_url()).post("/v1/client/sign_ins", &[("identifier", "twice@example.com")]);
    assert_eq!(elsewhere.body["response"]["status"], "needs_first_factor", "another client is not signed in");

    native.post(&format!("/v1/client/sessions/{}/end", session_id.as_str().expect("sid")), &[]);
    let after_sign_out = native.post("/v1/client/sign_ins", &[("identifier", "twice@example.com")]);
    assert_eq!(after_sign_out.body["response"]["status"], "needs_first_factor", "{}", after_sign_out.body);
}

#[test]
fn a_body_in_a_media_type_the_operation_does_not_take_is_a_violation() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("media@example.com"));
    let post = |content_type: Option<&str>, body: &str| -> (u16, Value) {
        let content_type = content_type.map(|value| format!("content-type: {value}\r\n")).unwrap_or_default();
        let answer = raw_exchange(
            mock.port(),
            &format!(
                "POST /v1/client/sign_ins?_is_native=true HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\
                 {content_type}content-length: {}\r\n\r\n{body}",
                body.len()
            ),
        );
        let status = answer.get(9..12).and_then(|code| code.parse().ok()).unwrap_or(0);
        let json = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        (status, serde_json::from_str(json).unwrap_or(Value::Null))
    };

    let (status, json) = post(Some("application/json"), r#"{"identifier":"media@example.com"}"#);
    assert_eq!(status, 400, "{json}");
    let errors = json["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "the body is not read as a form: {json}");
    assert_eq!(errors[0]["code"], "form_param_value_invalid");
    assert_eq!(errors[0]["meta"]["param_name"], "content-type");
    assert!(errors[0]["long_message"].as_str().is_some_and(|m| m.contains("application/x-www-form-urlencoded")));
    let violations = mock.violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].request.header("content-type"), Some("application/json"));

    let (status, json) = post(None, "identifier=media%40example.com");
    assert_eq!(status, 400, "{json}");
    assert_eq!(json["errors"][0]["code"], "form_param_missing");
    assert_eq!(json["errors"][0]["meta"]["param_name"], "content-type");
    assert_eq!(mock.violations().len(), 2);

    let (status, json) =
        post(Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"), "identifier=media%40example.com");
    assert_eq!(status, 200, "parameters of the media type do not count: {json}");
    assert_eq!(json["response"]["status"], "needs_first_factor");
    let (status, json) = post(None, "");
    assert_eq!(status, 200, "an empty body needs no media type: {json}");
    assert_eq!(mock.violations().len(), 2);
}

#[test]
fn attempts_past_abandon_at_are_abandoned() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("late+clerk_test@example.com").password("password-1234"));
    let mut native = Native::new(&mock.base_url());
    let sign_in = native.post("/v1/client/sign_ins", &[("identifier", "late+clerk_test@example.com")]);
    let sign_in_id = sign_in.body["response"]["id"].as_str().expect("id").to_owned();
    let abandon_at = sign_in.body["response"]["abandon_at"].as_i64().expect("abandon_at");
    let sign_up = native.post("/v1/client/sign_ups", &[("email_address", "new+clerk_test@example.com")]);
    let sign_up_id = sign_up.body["response"]["id"].as_str().expect("id").to_owned();
    native.post(
        &format!("/v1/client/sign_ins/{sign_in_id}/prepare_first_factor"),
        &[("strategy", "email_link"), ("redirect_url", "https://example.com/verify")],
    );

    // Just before abandon_at nothing changes.
    let created_at = sign_in.body["client"]["updated_at"].as_i64().expect("updated_at");
    let almost = u64::try_from(abandon_at - created_at - 60_000).expect("abandon_at lies ahead");
    mock.advance_clock(std::time::Duration::from_millis(almost));
    assert_eq!(native.get(&format!("/v1/client/sign_ins/{sign_in_id}")).status, 200);

    mock.advance_clock(std::time::Duration::from_secs(2 * 60));
    let reload = native.get(&format!("/v1/client/sign_ins/{sign_in_id}"));
    assert_eq!(reload.status, 404);
    assert_eq!(reload.body["errors"][0]["code"], "resource_not_found");
    let attempt = native.post(
        &format!("/v1/client/sign_ins/{sign_in_id}/attempt_first_factor"),
        &[("strategy", "password"), ("password", "password-1234")],
    );
    assert_eq!(attempt.status, 404);
    assert_eq!(attempt.body["errors"][0]["code"], "resource_not_found");
    assert!(mock.click_email_link("late+clerk_test@example.com"), "the link was sent before abandon_at");

    let client = native.get("/v1/client");
    assert_eq!(client.body["response"]["sign_in"], Value::Null, "the slot is cleared");
    assert_eq!(client.body["response"]["sign_up"], Value::Null, "the slot is cleared");
    assert_eq!(client.body["response"]["sessions"], serde_json::json!([]), "a late link click signs nobody in");

    let update = native.send("PATCH", &format!("/v1/client/sign_ups/{sign_up_id}"), &[("first_name", "Late")]);
    assert_eq!(update.status, 400);
    assert_eq!(update.body["errors"][0]["code"], "sign_up_cannot_be_updated");
    let prepare =
        native.post(&format!("/v1/client/sign_ups/{sign_up_id}/prepare_verification"), &[("strategy", "email_code")]);
    assert_eq!(prepare.body["errors"][0]["code"], "sign_up_cannot_be_updated");
    let reloaded = native.get(&format!("/v1/client/sign_ups/{sign_up_id}"));
    assert_eq!(reloaded.body["response"]["status"], "abandoned");
    assert_eq!(reloaded.body["client"]["sign_up"], Value::Null);

    let fresh = native.post("/v1/client/sign_ins", &[("identifier", "late+clerk_test@example.com")]);
    assert_eq!(fresh.body["response"]["status"], "needs_first_factor", "a new attempt starts afresh");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn a_sign_up_verification_that_failed_or_expired_needs_a_new_prepare() {
    let mock = support::mock();
    mock.set_legal_consent_required(false);
    let mut native = Native::new(&mock.base_url());
    let email = "fresh@example.com";
    let created = native.post("/v1/client/sign_ups", &[("email_address", email), ("strategy", "email_code")]);
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    let verification = &created.body["response"]["verifications"]["email_address"];
    assert_eq!(
        (&verification["status"], &verification["next_action"]),
        (&"unverified".into(), &"needs_attempt".into())
    );
    let attempt = |native: &mut Native, code: &str| {
        native.post(
            &format!("/v1/client/sign_ups/{id}/attempt_verification"),
            &[("strategy", "email_code"), ("code", code)],
        )
    };
    let piggybacked =
        |answer: &support::Answer| answer.body["meta"]["client"]["sign_up"]["verifications"]["email_address"].clone();

    // Too many wrong codes: failed, and no attempt can succeed any more.
    for _ in 0..2 {
        let wrong = attempt(&mut native, "000000");
        assert_eq!(wrong.body["errors"][0]["code"], "form_code_incorrect");
        assert_eq!(piggybacked(&wrong)["next_action"], "needs_attempt", "attempts remain");
    }
    let third = attempt(&mut native, "000000");
    assert_eq!(piggybacked(&third)["status"], "failed");
    assert_eq!(piggybacked(&third)["next_action"], "needs_prepare");
    let code = mock.latest_code(email).expect("a code was sent");
    let refused = attempt(&mut native, &code);
    assert_eq!(refused.body["errors"][0]["code"], "verification_failed");
    assert_eq!(piggybacked(&refused)["next_action"], "needs_prepare");
    let reloaded = native.get(&format!("/v1/client/sign_ups/{id}"));
    assert_eq!(reloaded.body["response"]["verifications"]["email_address"]["next_action"], "needs_prepare");

    // A new prepare makes it attemptable again; past expire_at it needs another prepare.
    let prepared =
        native.post(&format!("/v1/client/sign_ups/{id}/prepare_verification"), &[("strategy", "email_code")]);
    let verification = &prepared.body["response"]["verifications"]["email_address"];
    assert_eq!(
        (&verification["status"], &verification["next_action"]),
        (&"unverified".into(), &"needs_attempt".into())
    );
    mock.advance_clock(std::time::Duration::from_secs(11 * 60));
    let late = attempt(&mut native, &mock.latest_code(email).expect("code"));
    assert_eq!(late.body["errors"][0]["code"], "verification_expired");
    assert_eq!(piggybacked(&late)["status"], "expired");
    assert_eq!(piggybacked(&late)["next_action"], "needs_prepare");

    native.post(&format!("/v1/client/sign_ups/{id}/prepare_verification"), &[("strategy", "email_code")]);
    let verified = attempt(&mut native, &mock.latest_code(email).expect("code"));
    let verification = &verified.body["response"]["verifications"]["email_address"];
    assert_eq!((&verification["status"], &verification["next_action"]), (&"verified".into(), &"".into()));
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn headers_undocumented_json_lists_pass_and_others_are_violations() {
    let mock = support::mock();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let url = format!("{}/v1/environment?_is_native=true", mock.base_url());
    let allowed = agent
        .get(&url)
        .header("clerk-api-version", "2026-05-12")
        .header("x-mobile", "1")
        .header("x-clerk-client-id", "client_1")
        .call()
        .expect("an answer");
    assert_eq!(allowed.status().as_u16(), 200);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());

    let mut refused = agent.get(&url).header("x-favourite-colour", "blue").call().expect("an answer");
    assert_eq!(refused.status().as_u16(), 400);
    let body: Value = serde_json::from_str(&refused.body_mut().read_to_string().expect("body")).expect("json");
    assert_eq!(body["errors"][0]["code"], "form_param_unknown");
    assert_eq!(body["errors"][0]["meta"]["param_name"], "x-favourite-colour");
    assert_eq!(mock.violations().len(), 1);
}

/// Account lockout: failed passwords and second-factor codes count; at the limit every
/// sign-in verification answers 403 `user_locked` (even the right password) until the lockout
/// passes; a success resets the count. The environment and the user object say so.
#[test]
fn failed_verifications_lock_the_account_until_the_lockout_passes() {
    use std::time::Duration;

    let mock = support::mock();
    mock.set_user_lockout(3, Duration::from_secs(30 * 60));
    mock.add_user(
        UserSpec::with_email("ada@example.com").password("correct horse").mfa_totp(Totp::FixedCode("123456".into())),
    );
    let mut native = Native::new(&mock.base_url());
    let lockout = &native.get("/v1/environment").body["user_settings"]["attack_protection"]["user_lockout"];
    assert_eq!(*lockout, serde_json::json!({ "enabled": true, "max_attempts": 3, "duration_in_minutes": 30 }));

    let sign_in = |native: &mut Native, password: &str| {
        native.post("/v1/client/sign_ins", &[("identifier", "ada@example.com"), ("password", password)])
    };
    // Two failures, then a success: the count starts again.
    for _ in 0..2 {
        assert_eq!(sign_in(&mut native, "nope").body["errors"][0]["code"], "form_password_incorrect");
    }
    let right = sign_in(&mut native, "correct horse");
    assert_eq!(right.body["response"]["status"], "needs_second_factor", "{:?}", right.body);
    let sign_in_id = right.body["response"]["id"].as_str().expect("id").to_owned();
    // Two more failures (a wrong TOTP code counts too), and a third locks the account.
    let totp = native.post(
        &format!("/v1/client/sign_ins/{sign_in_id}/attempt_second_factor"),
        &[("strategy", "totp"), ("code", "000000")],
    );
    assert_eq!(totp.body["errors"][0]["code"], "form_code_incorrect");
    assert_eq!(sign_in(&mut native, "nope").body["errors"][0]["code"], "form_password_incorrect");
    let locking = sign_in(&mut native, "nope");
    assert_eq!(
        locking.body["errors"][0]["code"], "form_password_incorrect",
        "the failure that locks is still reported"
    );

    let locked = sign_in(&mut native, "correct horse");
    assert_eq!(locked.status, 403);
    let error = &locked.body["errors"][0];
    assert_eq!(error["code"], "user_locked");
    assert_eq!(error["meta"]["lockout_expires_in_seconds"], 30 * 60);
    assert!(error["long_message"].as_str().is_some_and(|m| m.contains("30 minutes")), "{error}");
    let totp = native.post(
        &format!("/v1/client/sign_ins/{sign_in_id}/attempt_second_factor"),
        &[("strategy", "totp"), ("code", "123456")],
    );
    assert_eq!(totp.body["errors"][0]["code"], "user_locked", "the second factor is locked too");

    mock.advance_clock(Duration::from_secs(29 * 60));
    let still = sign_in(&mut native, "correct horse");
    assert_eq!(still.body["errors"][0]["meta"]["lockout_expires_in_seconds"], 60);
    mock.advance_clock(Duration::from_secs(60));
    let after = sign_in(&mut native, "correct horse");
    assert_eq!(after.body["response"]["status"], "needs_second_factor", "{:?}", after.body);
    let done = native.post(
        &format!("/v1/client/sign_ins/{}/attempt_second_factor", after.body["response"]["id"].as_str().expect("id")),
        &[("strategy", "totp"), ("code", "123456")],
    );
    assert_eq!(done.body["response"]["status"], "complete");
    let user = &done.body["client"]["sessions"][0]["user"];
    assert_eq!(user["locked"], false);
    assert_eq!(user["lockout_expires_in_seconds"], serde_json::Value::Null);
    assert_eq!(user["verification_attempts_remaining"], 3);
}

/// With lockout off, failures never lock and the user object says no attempts are counted.
#[test]
fn without_lockout_failures_never_lock() {
    let mock = support::mock();
    mock.set_user_lockout(0, std::time::Duration::from_secs(3600));
    mock.add_user(UserSpec::with_email("ada@example.com").password("correct horse"));
    let mut native = Native::new(&mock.base_url());
    for _ in 0..5 {
        let wrong = native.post("/v1/client/sign_ins", &[("identifier", "ada@example.com"), ("password", "nope")]);
        assert_eq!(wrong.body["errors"][0]["code"], "form_password_incorrect");
    }
    let right = native.post("/v1/client/sign_ins", &[("identifier", "ada@example.com"), ("password", "correct horse")]);
    assert_eq!(right.body["response"]["status"], "complete");
    assert_eq!(right.body["client"]["sessions"][0]["user"]["verification_attempts_remaining"], serde_json::Value::Null);
    let environment = native.get("/v1/environment");
    assert_eq!(environment.body["user_settings"]["attack_protection"]["user_lockout"]["enabled"], false);
}

/// A code or link past its `expire_at` reads `expired` on the next read, before any attempt
/// (fapi.md §4.10), so a client polling for an email link stops (§3.7.2 step 4).
#[test]
fn a_pending_code_or_link_reads_expired_once_its_time_is_up() {
    let mock = support::mock();
    mock.set_legal_consent_required(false);
    mock.add_user(UserSpec::with_email("link@example.com"));
    let mut native = Native::new(&mock.base_url());
    let created = native.post("/v1/client/sign_ins", &[("identifier", "link@example.com")]);
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    native.post(
        &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
        &[("strategy", "email_link"), ("redirect_url", "https://example.com/verify")],
    );
    let sign_up =
        native.post("/v1/client/sign_ups", &[("email_address", "new@example.com"), ("strategy", "email_code")]);
    let sign_up_id = sign_up.body["response"]["id"].as_str().expect("id").to_owned();
    let poll = native.get(&format!("/v1/client/sign_ins/{id}"));
    assert_eq!(poll.body["response"]["first_factor_verification"]["status"], "unverified");

    mock.advance_clock(std::time::Duration::from_secs(11 * 60));
    let poll = native.get(&format!("/v1/client/sign_ins/{id}"));
    assert_eq!(poll.body["response"]["first_factor_verification"]["status"], "expired");
    mock.click_email_link("link@example.com");
    let poll = native.get(&format!("/v1/client/sign_ins/{id}"));
    assert_eq!(
        poll.body["response"]["first_factor_verification"]["status"], "expired",
        "a late click verifies nothing"
    );
    assert_eq!(poll.body["response"]["status"], "needs_first_factor");
    let reloaded = native.get(&format!("/v1/client/sign_ups/{sign_up_id}"));
    let email = &reloaded.body["response"]["verifications"]["email_address"];
    assert_eq!(email["status"], "expired");
    assert_eq!(email["next_action"], "needs_prepare");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// A `create` replaces the client's sign-in (fapi.md §3.3.1): the replaced attempt answers
/// `resource_not_found`, so a client acting on a stale attempt finds out.
#[test]
fn a_replaced_sign_in_is_not_found() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("ada+clerk_test@example.com"));
    mock.add_user(UserSpec::with_email("bob+clerk_test@example.com"));
    let mut native = Native::new(&mock.base_url());
    let first =
        native.post("/v1/client/sign_ins", &[("identifier", "ada+clerk_test@example.com"), ("strategy", "email_code")]);
    let first_id = first.body["response"]["id"].as_str().expect("id").to_owned();
    let second = native.post("/v1/client/sign_ins", &[("identifier", "bob+clerk_test@example.com")]);
    assert_eq!(second.body["client"]["sign_in"]["id"], second.body["response"]["id"]);

    assert_eq!(native.get(&format!("/v1/client/sign_ins/{first_id}")).status, 404);
    let attempt = native.post(
        &format!("/v1/client/sign_ins/{first_id}/attempt_first_factor"),
        &[("strategy", "email_code"), ("code", "424242")],
    );
    assert_eq!(attempt.status, 404);
    assert_eq!(attempt.body["errors"][0]["code"], "resource_not_found");
    assert_eq!(native.get("/v1/client").body["response"]["sessions"], serde_json::json!([]), "nobody signed in");

    // The current attempt goes on; once completed it stays readable (an email-link
    // completion is read after the fact), though it left the client's slot.
    let second_id = second.body["response"]["id"].as_str().expect("id").to_owned();
    native.post(&format!("/v1/client/sign_ins/{second_id}/prepare_first_factor"), &[("strategy", "email_code")]);
    let done = native.post(
        &format!("/v1/client/sign_ins/{second_id}/attempt_first_factor"),
        &[("strategy", "email_code"), ("code", "424242")],
    );
    assert_eq!(done.body["response"]["status"], "complete", "{}", done.body);
    let reloaded = native.get(&format!("/v1/client/sign_ins/{second_id}"));
    assert_eq!((reloaded.status, reloaded.body["client"]["sign_in"].clone()), (200, Value::Null));
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// A locked user gets `user_locked` from every sign-in verification, codes included
/// (fapi.md §2.5), not only from passwords and TOTP.
#[test]
fn a_locked_user_cannot_sign_in_with_a_code_either() {
    let mock = support::mock();
    mock.set_user_lockout(2, std::time::Duration::from_secs(3600));
    mock.add_user(UserSpec::with_email("ada+clerk_test@example.com").password("correct horse"));
    let mut native = Native::new(&mock.base_url());
    for _ in 0..2 {
        let wrong =
            native.post("/v1/client/sign_ins", &[("identifier", "ada+clerk_test@example.com"), ("password", "nope")]);
        assert_eq!(wrong.body["errors"][0]["code"], "form_password_incorrect");
    }
    let created = native.post("/v1/client/sign_ins", &[("identifier", "ada+clerk_test@example.com")]);
    assert_eq!(created.status, 200, "identifying is not a verification");
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    let prepare = native.post(&format!("/v1/client/sign_ins/{id}/prepare_first_factor"), &[("strategy", "email_code")]);
    assert_eq!((prepare.status, prepare.body["errors"][0]["code"].as_str()), (403, Some("user_locked")));
    let attempt = native.post(
        &format!("/v1/client/sign_ins/{id}/attempt_first_factor"),
        &[("strategy", "email_code"), ("code", "424242")],
    );
    assert_eq!((attempt.status, attempt.body["errors"][0]["code"].as_str()), (403, Some("user_locked")));
    assert_eq!(native.get("/v1/client").body["response"]["sessions"], serde_json::json!([]), "nobody signed in");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// A sign-up through an external account needs no password: `missing_fields` does not ask
/// for one, before or after completion (fapi.md §5.2).
#[test]
fn an_external_account_sign_up_never_lists_a_password_as_missing() {
    let mock = support::mock();
    let mut native = Native::new(&mock.base_url());
    let created =
        native.post("/v1/client/sign_ups", &[("strategy", "google_one_tap"), ("token", "newbie@example.com")]);
    assert_eq!(created.body["response"]["missing_fields"], serde_json::json!(["legal_accepted"]), "{}", created.body);
    let updated = native.send(
        "PATCH",
        &format!("/v1/client/sign_ups/{}", created.body["response"]["id"].as_str().expect("id")),
        &[("legal_accepted", "true")],
    );
    assert_eq!(updated.body["response"]["status"], "complete", "{}", updated.body);
    assert_eq!(updated.body["response"]["missing_fields"], serde_json::json!([]));
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

/// The mock-only helpers a person uses with the `clerk-mock` binary: the latest code sent
/// to an address, and the TOTP code a user's authenticator shows now (also a method).
#[test]
fn the_latest_code_and_the_current_totp_code_can_be_read() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("real@example.com").mfa_totp(Totp::Secret("JBSWY3DPEHPK3PXP".into())));
    let mut native = Native::new(&mock.base_url());
    native.post("/v1/client/sign_ins", &[("identifier", "real@example.com"), ("strategy", "email_code")]);
    let (status, body) = read_mock_endpoint(&mock.base_url(), "/__mock/codes?to=real%40example.com");
    assert_eq!((status, body["code"].as_str()), (200, mock.latest_code("real@example.com").as_deref()));
    assert_eq!(
        read_mock_endpoint(&mock.base_url(), "/__mock/codes?to=nobody%40example.com"),
        (404, serde_json::json!({"code": null}))
    );

    let (status, body) = read_mock_endpoint(&mock.base_url(), "/__mock/totp?email=real%40example.com");
    assert_eq!(status, 200);
    let totp = body["code"].as_str().expect("a code").to_owned();
    assert_eq!(totp.len(), 6);
    assert_eq!(mock.totp_code("real@example.com"), Some(totp), "the method and the endpoint agree");
}

/// [`MockServer::totp_code`](clerk_mock::MockServer::totp_code) is the code the sign-in
/// accepts as the second factor, follows the mock's clock, and is `None` without a TOTP user.
#[test]
fn the_totp_code_method_gives_the_code_a_sign_in_accepts() {
    let mock = support::mock();
    mock.add_user(
        UserSpec::with_email("totp+clerk_test@example.com")
            .password("password-1234")
            .mfa_totp(Totp::Secret("JBSWY3DPEHPK3PXP".into())),
    );
    mock.add_user(UserSpec::with_email("fixed@example.com").mfa_totp(Totp::FixedCode("123456".into())));
    mock.add_user(UserSpec::with_email("plain@example.com").password("password-1234"));
    assert_eq!(mock.totp_code("fixed@example.com").as_deref(), Some("123456"));
    assert_eq!(mock.totp_code("plain@example.com"), None, "a user without TOTP");
    assert_eq!(mock.totp_code("nobody@example.com"), None, "no such user");

    let mut native = Native::new(&mock.base_url());
    let created = native
        .post("/v1/client/sign_ins", &[("identifier", "totp+clerk_test@example.com"), ("password", "password-1234")]);
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    // Two steps (60 s) later the code differs: it is the clock's, not a fixed one.
    let now = mock.totp_code("totp+clerk_test@example.com").expect("a code");
    mock.advance_clock(std::time::Duration::from_secs(60));
    let later = mock.totp_code("totp+clerk_test@example.com").expect("a code");
    assert_ne!(now, later);
    let done = native
        .post(&format!("/v1/client/sign_ins/{id}/attempt_second_factor"), &[("strategy", "totp"), ("code", &later)]);
    assert_eq!(done.body["response"]["status"], "complete", "{}", done.body);
}

/// `GET /__mock/totp` without a code to give answers Clerk's error envelope naming the
/// address it looked up, and says how to send a `+` when one was read as a space.
#[test]
fn the_totp_endpoint_names_the_address_it_did_not_find() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("g+clerk_test@example.com").mfa_totp(Totp::Secret("JBSWY3DPEHPK3PXP".into())));
    mock.add_user(UserSpec::with_email("plain@example.com").password("password-1234"));
    let error_of = |path: &str| {
        let (status, body) = read_mock_endpoint(&mock.base_url(), path);
        assert_eq!(status, 404, "{body}");
        assert!(body.get("code").is_none(), "{body}");
        assert_eq!(body["meta"], serde_json::json!({}), "{body}");
        assert!(body["clerk_trace_id"].is_string(), "{body}");
        let errors = body["errors"].as_array().expect("Clerk's error envelope");
        assert_eq!(errors.len(), 1, "{body}");
        assert_eq!(errors[0]["code"], "resource_not_found", "{body}");
        assert_eq!(errors[0]["meta"]["param_name"], "email", "{body}");
        errors[0]["long_message"].as_str().expect("long_message").to_owned()
    };

    // A bare `+` in the query is form-decoded as a space.
    let why = error_of("/__mock/totp?email=g+clerk_test@example.com");
    assert!(why.contains(r#""g clerk_test@example.com""#), "{why}");
    assert!(why.contains("email=g%2Bclerk_test%40example.com"), "{why}");
    let why = error_of("/__mock/totp?email=nobody%40example.com");
    assert!(why.contains(r#""nobody@example.com""#) && why.contains("%2B"), "{why}");
    let why = error_of("/__mock/totp?email=plain%40example.com");
    assert!(why.contains(r#""plain@example.com""#) && why.contains("no TOTP"), "{why}");
    // The encoded address works.
    assert_eq!(read_mock_endpoint(&mock.base_url(), "/__mock/totp?email=g%2Bclerk_test%40example.com").0, 200);
}

/// Status and JSON body of a `GET` on one of the mock's own endpoints.
fn read_mock_endpoint(base_url: &str, path: &str) -> (u16, Value) {
    let response =
        ureq::get(format!("{base_url}{path}")).config().http_status_as_error(false).build().call().expect("answered");
    let status = response.status().as_u16();
    let body = serde_json::from_str(&response.into_body().read_to_string().expect("body")).expect("JSON");
    (status, body)
}

/// A link sent before a lockout verifies nothing while the lockout lasts.
#[test]
fn an_email_link_sent_before_a_lockout_does_not_sign_a_locked_user_in() {
    let mock = support::mock();
    mock.set_user_lockout(2, std::time::Duration::from_secs(3600));
    mock.add_user(UserSpec::with_email("ada@example.com").password("correct horse"));
    let mut victim = Native::new(&mock.base_url());
    let created = victim.post("/v1/client/sign_ins", &[("identifier", "ada@example.com")]);
    let id = created.body["response"]["id"].as_str().expect("id").to_owned();
    victim.post(
        &format!("/v1/client/sign_ins/{id}/prepare_first_factor"),
        &[("strategy", "email_link"), ("redirect_url", "https://example.com/verify")],
    );
    let mut other = Native::new(&mock.base_url());
    for _ in 0..2 {
        other.post("/v1/client/sign_ins", &[("identifier", "ada@example.com"), ("password", "nope")]);
    }
    mock.click_email_link("ada@example.com");
    let poll = victim.get(&format!("/v1/client/sign_ins/{id}"));
    assert_eq!(poll.body["response"]["status"], "needs_first_factor", "{}", poll.body);
    assert_eq!(poll.body["response"]["first_factor_verification"]["status"], "unverified");
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}
