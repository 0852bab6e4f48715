//! Reverification (fapi.md §3.5.5, §4.8): golden requests written by hand for every step,
//! checked against the spec; the flows start → first factor → (second factor) → complete;
//! and the legality table driven through `submit` for every status × command.

use clerk_core::reverification::{REVERIFICATION_COMMAND_NAMES, legal, status_name};
use clerk_core::secret::{Credential, Password, VerificationCode};
use clerk_core::wire::{ReverificationLevel, ReverificationStatus};
use clerk_core::{
    Command, CommandError, Completion, Flow, HttpRequest, Method, ReverificationCommand, ReverificationFirstAttempt,
    ReverificationPreparation, ReverificationSecondAttempt,
};
use clerk_tests::golden::{NATIVE_QUERY, POST_HEADERS, plain};
use clerk_tests::harness::{Harness, client_json, session_json};
use clerk_tests::spec::assert_conforms;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Checks a reverification request against its hand-written path and exact form body;
/// `secret` names the one form field that must be marked secret, if any.
fn check(request: &HttpRequest, path: &str, body: &str, secret: Option<&str>) {
    assert_eq!(request.method, Method::Post, "{path}");
    assert_eq!(request.path, path);
    assert_eq!(plain(&request.query), NATIVE_QUERY, "query of {path}");
    assert_eq!(plain(&request.headers), POST_HEADERS, "headers of {path}");
    assert_eq!(request.body(), body, "body of {path}");
    for field in request.form.as_deref().unwrap_or_default() {
        assert_eq!(field.value.is_secret(), Some(field.name.as_ref()) == secret, "secret mark of {}", field.name);
    }
    if let Some(secret) = secret {
        assert!(!request.redacted_body().contains(request.form_value(secret).map_or("?", |v| v.expose())));
    }
    assert_conforms(request);
}

fn first_factors() -> Value {
    json!([
        { "strategy": "email_code", "email_address_id": "idn_1", "safe_identifier": "a***@example.com", "primary": true },
        { "strategy": "phone_code", "phone_number_id": "idn_p1", "safe_identifier": "+1******0100" },
        { "strategy": "password" },
        { "strategy": "passkey" }
    ])
}

fn second_factors() -> Value {
    json!([
        { "strategy": "phone_code", "phone_number_id": "idn_p1", "safe_identifier": "+1******0100", "default": true },
        { "strategy": "totp" },
        { "strategy": "backup_code" }
    ])
}

/// A reverification object in `status` at `level`.
fn reverification_json(status: &str, level: &str) -> Value {
    json!({
        "object": "session_reverification",
        "id": "sesrvfy_1",
        "status": status,
        "level": level,
        "session": session_json("sess_1", "active"),
        "supported_first_factors": first_factors(),
        "supported_second_factors": second_factors(),
        "first_factor_verification": null,
        "second_factor_verification": null
    })
}

/// The session a completed reverification embeds (the spec's `SessionBase`: no user, no
/// organization), its verification age reset and the token minted with it.
fn embedded_session(id: &str, jwt: &str) -> Value {
    json!({
        "object": "session", "id": id, "status": "active",
        "expire_at": 1, "abandon_at": 1, "last_active_at": 1, "actor": null, "tasks": null,
        "factor_verification_age": [0, -1],
        "last_active_token": { "object": "token", "jwt": jwt }
    })
}

fn signed_in() -> Harness {
    Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1))
}

/// Answers `command`'s request with a reverification in `status`; returns the completion.
fn step(h: &mut Harness, command: ReverificationCommand, status: &str, level: &str) -> Completion {
    let op = h.submit(command);
    let request = h.expect_request();
    let mut client = client_json(&[("sess_1", "active")], Some("sess_1"), 2);
    if status == "complete" {
        client["sessions"][0]["factor_verification_age"] = json!([0, 0]);
    }
    h.respond_json(&request, 200, &json!({ "response": reverification_json(status, level), "client": client }));
    h.expect_success(op)
}

/// A signed-in engine whose reverification is in `status` (`None`: none started).
fn in_status(status: Option<&str>) -> Harness {
    let mut h = signed_in();
    if let Some(status) = status {
        let _ = step(&mut h, start(ReverificationLevel::MultiFactor), status, "multi_factor");
    }
    h.clear_events();
    h
}

fn start(level: ReverificationLevel) -> ReverificationCommand {
    ReverificationCommand::Start { session_id: None, level }
}

fn code(value: &str) -> VerificationCode {
    VerificationCode::new(value)
}

fn current_status(h: &Harness) -> Option<ReverificationStatus> {
    h.client.reverification().and_then(|(_, r)| r.status.clone())
}

// ---------------------------------------------------------------------------------------
// Golden requests
// ---------------------------------------------------------------------------------------

#[test]
fn start_posts_the_level() {
    for (level, body) in [
        (ReverificationLevel::FirstFactor, "level=first_factor"),
        (ReverificationLevel::SecondFactor, "level=second_factor"),
        (ReverificationLevel::MultiFactor, "level=multi_factor"),
    ] {
        let mut h = signed_in();
        let _ = h.submit(start(level));
        check(&h.expect_request().request, "/v1/client/sessions/sess_1/verify", body, None);
    }
    // A named session.
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_1"), 1));
    let _ = h.submit(ReverificationCommand::Start {
        session_id: Some("sess_2".into()),
        level: ReverificationLevel::FirstFactor,
    });
    check(&h.expect_request().request, "/v1/client/sessions/sess_2/verify", "level=first_factor", None);
}

#[test]
fn prepare_first_factor_sends_the_strategy_and_the_offered_identification() {
    let path = "/v1/client/sessions/sess_1/verify/prepare_first_factor";
    for (preparation, body) in [
        (ReverificationPreparation::EmailCode { email_address_id: None }, "strategy=email_code&email_address_id=idn_1"),
        (
            ReverificationPreparation::EmailCode { email_address_id: Some("idn_1".into()) },
            "strategy=email_code&email_address_id=idn_1",
        ),
        (ReverificationPreparation::PhoneCode { phone_number_id: None }, "strategy=phone_code&phone_number_id=idn_p1"),
        (ReverificationPreparation::Passkey, "strategy=passkey"),
    ] {
        let mut h = in_status(Some("needs_first_factor"));
        let _ = h.submit(ReverificationCommand::PrepareFirstFactor(preparation));
        check(&h.expect_request().request, path, body, None);
    }
}

#[test]
fn attempt_first_factor_sends_the_secret_marked_secret() {
    let path = "/v1/client/sessions/sess_1/verify/attempt_first_factor";
    for (attempt, body, secret) in [
        (ReverificationFirstAttempt::EmailCode(code("424242")), "strategy=email_code&code=424242", "code"),
        (ReverificationFirstAttempt::PhoneCode(code("135790")), "strategy=phone_code&code=135790", "code"),
        (
            ReverificationFirstAttempt::Password(Password::new("correct horse&battery=staple")),
            "strategy=password&password=correct+horse%26battery%3Dstaple",
            "password",
        ),
        (
            ReverificationFirstAttempt::Passkey {
                public_key_credential: Credential::new(r#"{"id":"cred_1","type":"public-key"}"#),
            },
            "strategy=passkey&public_key_credential=%7B%22id%22%3A%22cred_1%22%2C%22type%22%3A%22public-key%22%7D",
            "public_key_credential",
        ),
    ] {
        let mut h = in_status(Some("needs_first_factor"));
        let _ = h.submit(ReverificationCommand::AttemptFirstFactor(attempt));
        check(&h.expect_request().request, path, body, Some(secret));
    }
}

#[test]
fn prepare_second_factor_sends_phone_code_and_the_phone() {
    for phone_number_id in [None, Some("idn_p1".to_owned())] {
        let mut h = in_status(Some("needs_second_factor"));
        let _ = h.submit(ReverificationCommand::PrepareSecondFactor { phone_number_id });
        check(
            &h.expect_request().request,
            "/v1/client/sessions/sess_1/verify/prepare_second_factor",
            "strategy=phone_code&phone_number_id=idn_p1",
            None,
        );
    }
}

#[test]
fn attempt_second_factor_sends_the_strategy_and_the_code() {
    let path = "/v1/client/sessions/sess_1/verify/attempt_second_factor";
    for (attempt, body) in [
        (ReverificationSecondAttempt::PhoneCode(code("111111")), "strategy=phone_code&code=111111"),
        (ReverificationSecondAttempt::Totp(code("222222")), "strategy=totp&code=222222"),
        (ReverificationSecondAttempt::BackupCode(code("abcd-efgh")), "strategy=backup_code&code=abcd-efgh"),
    ] {
        let mut h = in_status(Some("needs_second_factor"));
        let _ = h.submit(ReverificationCommand::AttemptSecondFactor(attempt));
        check(&h.expect_request().request, path, body, Some("code"));
    }
}

#[test]
fn factors_the_server_did_not_offer_are_refused() {
    let mut h = signed_in();
    let op = h.submit(start(ReverificationLevel::FirstFactor));
    let request = h.expect_request();
    let mut only_email = reverification_json("needs_first_factor", "first_factor");
    only_email["supported_first_factors"] = json!([{ "strategy": "email_code", "email_address_id": "idn_1" }]);
    h.respond_json(&request, 200, &json!({ "response": only_email, "client": null }));
    let _ = h.expect_success(op);
    for preparation in [
        ReverificationPreparation::PhoneCode { phone_number_id: None },
        ReverificationPreparation::Passkey,
        ReverificationPreparation::EmailCode { email_address_id: Some("idn_other".into()) },
    ] {
        let refused = h.client.submit(ReverificationCommand::PrepareFirstFactor(preparation).into(), h.now);
        assert!(matches!(refused, Err(CommandError::FactorNotOffered { .. })), "{refused:?}");
        assert!(h.poll_request().is_none());
    }
}

// ---------------------------------------------------------------------------------------
// Flows
// ---------------------------------------------------------------------------------------

#[test]
fn first_factor_reverification_with_an_email_code() {
    let mut h = signed_in();
    assert!(h.client.reverification().is_none());
    let started = step(&mut h, start(ReverificationLevel::FirstFactor), "needs_first_factor", "first_factor");
    match started {
        Completion::Reverification(r) => assert_eq!(r.status, Some(ReverificationStatus::NeedsFirstFactor)),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.client.reverification().map(|(id, _)| id), Some("sess_1"));
    assert_eq!(current_status(&h), Some(ReverificationStatus::NeedsFirstFactor));

    let _ = step(
        &mut h,
        ReverificationCommand::PrepareFirstFactor(ReverificationPreparation::EmailCode { email_address_id: None }),
        "needs_first_factor",
        "first_factor",
    );
    let done = step(
        &mut h,
        ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::EmailCode(code("424242"))),
        "complete",
        "first_factor",
    );
    match done {
        Completion::Reverification(r) => {
            assert_eq!(r.status, Some(ReverificationStatus::Complete));
            assert_eq!(r.level, Some(ReverificationLevel::FirstFactor));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(current_status(&h), Some(ReverificationStatus::Complete));
    // The piggybacked client carries the reset verification age.
    assert_eq!(h.client.active_session().and_then(|s| s.factor_verification_age), Some([0, 0]));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn multi_factor_reverification_with_password_then_totp() {
    let mut h = signed_in();
    let _ = step(&mut h, start(ReverificationLevel::MultiFactor), "needs_first_factor", "multi_factor");
    let _ = step(
        &mut h,
        ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::Password(Password::new("pw"))),
        "needs_second_factor",
        "multi_factor",
    );
    assert_eq!(current_status(&h), Some(ReverificationStatus::NeedsSecondFactor));
    // First-factor steps are no longer legal.
    let refused = h.client.submit(
        ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::Password(Password::new("pw"))).into(),
        h.now,
    );
    assert!(matches!(refused, Err(CommandError::InvalidState { .. })), "{refused:?}");
    let _ = step(
        &mut h,
        ReverificationCommand::AttemptSecondFactor(ReverificationSecondAttempt::Totp(code("123456"))),
        "complete",
        "multi_factor",
    );
    assert_eq!(current_status(&h), Some(ReverificationStatus::Complete));
}

#[test]
fn second_factor_by_sms() {
    let mut h = in_status(Some("needs_second_factor"));
    let _ = step(
        &mut h,
        ReverificationCommand::PrepareSecondFactor { phone_number_id: None },
        "needs_second_factor",
        "multi_factor",
    );
    let _ = step(
        &mut h,
        ReverificationCommand::AttemptSecondFactor(ReverificationSecondAttempt::PhoneCode(code("111111"))),
        "complete",
        "multi_factor",
    );
    assert_eq!(current_status(&h), Some(ReverificationStatus::Complete));
}

#[test]
fn a_wrong_code_fails_the_step_and_keeps_the_status() {
    let mut h = in_status(Some("needs_first_factor"));
    let op = h.submit(ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::EmailCode(code("000000"))));
    let request = h.expect_request();
    h.respond_json(&request, 422, &clerk_tests::harness::error_json("form_code_incorrect", None));
    assert!(
        matches!(h.expect_failure(op), clerk_core::OperationError::Api(e) if e.code.as_str() == "form_code_incorrect")
    );
    assert_eq!(current_status(&h), Some(ReverificationStatus::NeedsFirstFactor));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    // The step can be tried again.
    let _ = h.submit(ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::EmailCode(code("424242"))));
    assert!(h.poll_request().is_some());
}

#[test]
fn reverification_needs_a_signed_in_session() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "ended")], None, 1));
    // No session named and none active: nobody to reverify.
    let refused = h.client.submit(start(ReverificationLevel::FirstFactor).into(), h.now);
    assert_eq!(refused, Err(CommandError::NoActiveSession { command: "start" }));
    let refused = h.client.submit(
        ReverificationCommand::Start { session_id: Some("sess_1".into()), level: ReverificationLevel::FirstFactor }
            .into(),
        h.now,
    );
    assert!(matches!(&refused, Err(CommandError::InvalidState { status, .. }) if status == "ended"), "{refused:?}");
    assert!(h.poll_request().is_none());
}

#[test]
fn a_second_step_while_one_is_pending_is_busy() {
    let mut h = in_status(Some("needs_first_factor"));
    let first = h.submit(ReverificationCommand::PrepareFirstFactor(ReverificationPreparation::EmailCode {
        email_address_id: None,
    }));
    let refused = h.client.submit(
        ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::EmailCode(code("1"))).into(),
        h.now,
    );
    assert_eq!(refused, Err(CommandError::Busy { flow: Flow::Reverification, pending: first }));
}

// ---------------------------------------------------------------------------------------
// Legality: every status × command
// ---------------------------------------------------------------------------------------

fn command_named(name: &str) -> ReverificationCommand {
    match name {
        "start" => start(ReverificationLevel::FirstFactor),
        "prepare_first_factor" => {
            ReverificationCommand::PrepareFirstFactor(ReverificationPreparation::EmailCode { email_address_id: None })
        }
        "attempt_first_factor" => {
            ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::Password(Password::new("pw")))
        }
        "prepare_second_factor" => ReverificationCommand::PrepareSecondFactor { phone_number_id: None },
        "attempt_second_factor" => {
            ReverificationCommand::AttemptSecondFactor(ReverificationSecondAttempt::BackupCode(code("abcd")))
        }
        other => panic!("unknown command {other}"),
    }
}

#[test]
fn every_status_and_command_follows_the_legality_table() {
    let statuses = [None, Some("needs_first_factor"), Some("needs_second_factor"), Some("complete"), Some("odd")];
    let mut legal_pairs = 0;
    for status in statuses {
        let prepared = in_status(status);
        let wire_status = status.map(ReverificationStatus::from);
        assert_eq!(current_status(&prepared), wire_status);
        for name in REVERIFICATION_COMMAND_NAMES {
            let mut h = Harness::from_client(prepared.client.clone(), prepared.now);
            let command = command_named(name);
            assert_eq!(command.name(), name);
            let is_legal = legal(name, wire_status.as_ref());
            let before = h.client.reverification().map(|(id, r)| (id.to_owned(), r.clone()));
            let result = h.client.submit(Command::Reverification(command), h.now);
            if is_legal {
                legal_pairs += 1;
                assert!(result.is_ok(), "{name} in {status:?}: {result:?}");
                let request = h.expect_request();
                assert!(request.request.path.starts_with("/v1/client/sessions/sess_1/verify"), "{name}");
                assert_conforms(&request.request);
            } else {
                assert_eq!(
                    result,
                    Err(CommandError::InvalidState {
                        flow: Flow::Reverification,
                        status: status_name(wire_status.as_ref()),
                        command: name,
                    }),
                    "{name} in {status:?}"
                );
                assert!(h.poll_request().is_none(), "{name} in {status:?} sent something");
                let after = h.client.reverification().map(|(id, r)| (id.to_owned(), r.clone()));
                assert_eq!(after, before, "{name} in {status:?} changed the reverification");
                assert!(h.client.pending_operations().next().is_none());
            }
        }
    }
    // start everywhere, two steps in each of the two middle statuses.
    assert_eq!(legal_pairs, 5 + 2 + 2);
}

#[test]
fn status_names_in_errors() {
    assert_eq!(status_name(None), "none started");
    assert_eq!(status_name(Some(&ReverificationStatus::NeedsSecondFactor)), "needs_second_factor");
}

/// A second-factor SMS without a chosen phone goes to the user's default MFA phone (fapi.md
/// §4.4 `default`), as for sign-in, not to the first phone offered.
#[test]
fn the_second_factor_code_without_a_phone_goes_to_the_default_phone() {
    let mut h = signed_in();
    let op = h.submit(start(ReverificationLevel::SecondFactor));
    let request = h.expect_request();
    let mut reverification = reverification_json("needs_second_factor", "second_factor");
    reverification["supported_second_factors"] = json!([
        { "strategy": "phone_code", "phone_number_id": "idn_backup", "safe_identifier": "+1******0199", "default": false },
        { "strategy": "phone_code", "phone_number_id": "idn_mfa", "safe_identifier": "+1******0100", "default": true },
        { "strategy": "totp" }
    ]);
    h.respond_json(
        &request,
        200,
        &json!({ "response": reverification, "client": client_json(&[("sess_1", "active")], Some("sess_1"), 2) }),
    );
    let _ = h.expect_success(op);
    let _ = h.submit(ReverificationCommand::PrepareSecondFactor { phone_number_id: None });
    let sent = h.expect_request().request;
    assert_eq!(sent.form_value("phone_number_id").map(|v| v.expose().to_owned()).as_deref(), Some("idn_mfa"));
}

/// fapi.md §3.5.5: completing a reverification resets the session's
/// `factor_verification_age`, "visible in the embedded `session` and the piggybacked client";
/// the embedded session also carries the `last_active_token` minted with it, whose `fva` claim
/// is what the application's backend checks. clerk-js seeds its token cache from every
/// Session object it builds (fapi.md §6.4), the embedded one included. So right after the
/// reverification the session view shows the new age and `get_token` hands out the new JWT,
/// not the one from before (which the backend would refuse, sending the user round again),
/// whether the answer's client is absent (no update, fapi.md §2.2 rule 1) or lists the
/// session without a token. The embedded session is the spec's `SessionBase` (no user, no
/// organization): it must not wipe the user, and the token is the one of the session's
/// organization.
#[test]
fn a_completed_reverification_brings_the_new_verification_age_and_session_token() {
    let issued = clerk_tests::harness::START.unix_timestamp();
    let old_jwt = clerk_tests::canned_jwt("sess_1", issued, issued + 60);
    let new_jwt = clerk_tests::canned_jwt("sess_1", issued + 10, issued + 70);
    let mut before = session_json("sess_1", "active");
    before["last_active_organization_id"] = json!("org_1");
    before["factor_verification_age"] = json!([30, -1]);
    before["last_active_token"] = json!({ "object": "token", "jwt": old_jwt });
    let embedded = embedded_session("sess_1", &new_jwt);
    let mut listed_without_token = before.clone();
    listed_without_token["factor_verification_age"] = json!([0, -1]);
    listed_without_token.as_object_mut().map(|session| session.remove("last_active_token"));
    let with_client = clerk_tests::harness::client_of(vec![listed_without_token], Some("sess_1"), 3);
    for client in [Value::Null, with_client] {
        let mut h = Harness::signed_in(&clerk_tests::harness::client_of(vec![before.clone()], Some("sess_1"), 1));
        let started = h.submit(start(ReverificationLevel::FirstFactor));
        let request = h.expect_request();
        let needs = reverification_json("needs_first_factor", "first_factor");
        h.respond_json(&request, 200, &json!({ "response": needs, "client": null }));
        let _ = h.expect_success(started);
        h.now += time::Duration::seconds(10);
        let op = h.submit(ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::Password(
            Password::new("pw"),
        )));
        let request = h.expect_request();
        let mut complete = reverification_json("complete", "first_factor");
        complete["session"] = embedded.clone();
        h.respond_json(&request, 200, &json!({ "response": complete, "client": client }));
        let _ = h.expect_success(op);
        let label = if client.is_null() { "no client" } else { "a client without the token" };

        let session = h.client.active_session().unwrap_or_else(|| panic!("{label}: still signed in"));
        assert_eq!(session.factor_verification_age, Some([0, -1]), "{label}: the new age");
        assert!(session.user.is_some(), "{label}: the user is kept");
        assert_eq!(session.last_active_organization_id.as_deref(), Some("org_1"), "{label}");
        let ask = h.submit(clerk_core::SessionCommand::GetToken(clerk_core::TokenRequest::default()));
        match h.expect_success(ask) {
            Completion::SessionToken(jwt) => assert_eq!(jwt.expose(), new_jwt, "{label}: the post-reverification JWT"),
            other => panic!("{label}: {other:?}"),
        }
        assert!(h.poll_request().is_none(), "{label}: served from the cache");
    }
}

/// An app may cancel a reverification whose answer is already on its way (its own time
/// limit, the user closing the dialog). The operation then reports to nobody and leaves no
/// attempt behind, but the server did reverify the session: the token minted with the
/// answer is the one the app's backend now accepts, so `get_token` hands it out, with the
/// session's new verification age, instead of the pre-reverification JWT that would send
/// the user round again.
#[test]
fn a_cancelled_reverification_still_brings_the_session_its_new_token() {
    let issued = clerk_tests::harness::START.unix_timestamp();
    let old_jwt = clerk_tests::canned_jwt("sess_1", issued, issued + 60);
    let new_jwt = clerk_tests::canned_jwt("sess_1", issued + 10, issued + 70);
    let mut before = session_json("sess_1", "active");
    before["factor_verification_age"] = json!([30, -1]);
    before["last_active_token"] = json!({ "object": "token", "jwt": old_jwt });
    let mut h = Harness::signed_in(&clerk_tests::harness::client_of(vec![before], Some("sess_1"), 1));
    let started = h.submit(start(ReverificationLevel::FirstFactor));
    let request = h.expect_request();
    h.respond_json(
        &request,
        200,
        &json!({ "response": reverification_json("needs_first_factor", "first_factor"), "client": null }),
    );
    let _ = h.expect_success(started);
    h.now += time::Duration::seconds(10);
    let op =
        h.submit(ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::Password(Password::new("pw"))));
    let request = h.expect_request();
    h.client.cancel(op).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(h.expect_failure(op), clerk_core::OperationError::Cancelled), "the caller hears it was cancelled");

    let mut complete = reverification_json("complete", "first_factor");
    complete["session"] = embedded_session("sess_1", &new_jwt);
    h.respond_json(&request, 200, &json!({ "response": complete, "client": null }));

    let session = h.client.active_session().unwrap_or_else(|| panic!("still signed in"));
    assert_eq!(session.factor_verification_age, Some([0, -1]), "the new verification age");
    let ask = h.submit(clerk_core::SessionCommand::GetToken(clerk_core::TokenRequest::default()));
    match h.expect_success(ask) {
        Completion::SessionToken(jwt) => assert_eq!(jwt.expose(), new_jwt, "the post-reverification JWT"),
        other => panic!("{other:?}"),
    }
    assert!(h.poll_request().is_none(), "served from the cache");
}

/// The answer of a cancelled reverification is tied to its session by the request's path:
/// one that embeds another session (a server bug, a hostile proxy) touches no session.
#[test]
fn a_cancelled_reverification_for_one_session_leaves_the_others_alone() {
    let issued = clerk_tests::harness::START.unix_timestamp();
    let mut other = session_json("sess_2", "active");
    other["factor_verification_age"] = json!([30, -1]);
    let mut h = Harness::signed_in(&clerk_tests::harness::client_of(
        vec![session_json("sess_1", "active"), other],
        Some("sess_1"),
        1,
    ));
    let op = h.submit(start(ReverificationLevel::FirstFactor));
    let request = h.expect_request();
    h.client.cancel(op).unwrap_or_else(|e| panic!("{e}"));
    let _ = h.expect_failure(op);
    let mut answer = reverification_json("needs_first_factor", "first_factor");
    answer["session"] = embedded_session("sess_2", &clerk_tests::canned_jwt("sess_2", issued, issued + 60));
    h.respond_json(&request, 200, &json!({ "response": answer, "client": null }));
    let untouched = h.client.client().and_then(|client| client.sessions.iter().find(|s| s.id == "sess_2"));
    assert_eq!(untouched.and_then(|s| s.factor_verification_age), Some([30, -1]));
    assert!(h.client.reverification().is_none(), "a cancelled start leaves no attempt");
}

#[test]
fn a_reverification_ends_with_its_session() {
    // Destroy, a sign-out of that session, a sign-out of all, and a client that no longer
    // lists the session signed in: the reverification has nothing left to verify.
    type End = fn(&mut Harness);
    let end: [(&str, End); 4] = [
        ("destroy", |h| {
            let _ = h.client.destroy(h.now);
        }),
        ("sign out of the session", |h| {
            let _ = h.submit(clerk_core::SessionCommand::SignOut { session_id: Some("sess_1".into()) });
        }),
        ("sign out of all", |h| {
            let _ = h.submit(clerk_core::ClientCommand::RemoveSessions);
        }),
        ("ended elsewhere", |h| {
            let reload = h.client.reload(h.now);
            let request = h.expect_request();
            let client = client_json(&[("sess_1", "ended")], Some("sess_1"), 9);
            h.respond_json(&request, 200, &json!({ "response": client, "client": null }));
            let _ = h.expect_success(reload);
        }),
    ];
    for (how, end) in end {
        let mut h = in_status(Some("needs_first_factor"));
        assert!(h.client.reverification().is_some(), "{how}: started");
        end(&mut h);
        let _ = h.drain();
        assert!(h.client.reverification().is_none(), "{how}: still shown");
    }
}

#[test]
fn a_reverification_whose_own_answer_ends_the_session_is_not_kept() {
    let mut h = signed_in();
    let op = h.submit(start(ReverificationLevel::MultiFactor));
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "revoked")], Some("sess_1"), 2);
    h.respond_json(
        &request,
        200,
        &json!({ "response": reverification_json("needs_first_factor", "multi_factor"), "client": client }),
    );
    let _ = h.outcome(op);
    assert!(h.client.active_session_id().is_none(), "the session ended");
    assert!(h.client.reverification().is_none());
}
