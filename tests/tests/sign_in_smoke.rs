//! A first end-to-end pass through the sign-in and sign-up flows with canned answers.

use clerk_core::secret::{Password, VerificationCode};
use clerk_core::wire::SignInStatus;
use clerk_core::{
    Command, CommandError, Completion, EmailLinkOutcome, Event, FirstFactorAttempt, FirstFactorPreparation, Flow,
    SignInCommand, SignInCreate, SignUpCommand, SignUpFields,
};
use clerk_tests::harness::{Harness, client_json, sign_in_json};
use serde_json::json;

#[test]
fn password_sign_in_completes_and_activates_the_session() {
    let mut h = Harness::new();
    let op = h.submit(Command::SignIn(SignInCommand::Create(SignInCreate::password(
        "ada@example.com",
        Password::new("pw-1"),
    ))));
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sign_ins");
    assert_eq!(request.request.form_value("password").map(|v| v.expose()), Some("pw-1"));
    let mut complete = sign_in_json("sia_1", "complete");
    complete["created_session_id"] = json!("sess_1");
    let client = client_json(&[("sess_1", "active")], Some("sess_1"), 1);
    h.respond_with_token(&request, 200, &json!({ "response": complete, "client": client }), "tok-1");
    match h.expect_success(op) {
        Completion::SignIn(sign_in) => {
            assert_eq!(sign_in.status, Some(SignInStatus::Complete));
            assert_eq!(sign_in.created_session_id.as_deref(), Some("sess_1"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(h.events.contains(&Event::ActiveSessionChanged { session_id: Some("sess_1".into()) }));
}

#[test]
fn a_step_that_succeeds_says_whether_the_attempt_is_complete() {
    // A password accepted with a second factor still due is a success of the step, not a
    // signed-in user: `Completion::sign_in()` and `is_complete()` tell them apart.
    let mut h = Harness::new();
    let op = h.submit(SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("pw-1"))));
    let request = h.expect_request();
    let mut pending = sign_in_json("sia_1", "needs_second_factor");
    pending["supported_second_factors"] = json!([{ "strategy": "totp" }]);
    let mut client = client_json(&[], None, 1);
    client["sign_in"] = pending.clone();
    h.respond_with_token(&request, 200, &json!({ "response": pending, "client": client }), "tok-1");
    let completion = h.expect_success(op);
    let sign_in = completion.sign_in().expect("a sign-in step");
    assert!(!sign_in.is_complete());
    assert_eq!(sign_in.status, Some(SignInStatus::NeedsSecondFactor));
    assert!(completion.sign_up().is_none());
    assert!(h.client.user().is_none(), "nobody is signed in yet");

    let mut done = sign_in_json("sia_1", "complete");
    done["created_session_id"] = json!("sess_1");
    let op = h.submit(SignInCommand::AttemptSecondFactor(clerk_core::SecondFactorAttempt::Totp(
        VerificationCode::new("123456"),
    )));
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "active")], Some("sess_1"), 2);
    h.respond_json(&request, 200, &json!({ "response": done, "client": client }));
    let completion = h.expect_success(op);
    assert!(completion.sign_in().is_some_and(|sign_in| sign_in.is_complete()));
    assert!(h.client.user().is_some());
}

#[test]
fn email_code_sign_in_picks_the_offered_factor() {
    let mut h = Harness::new();
    let op = h.submit(SignInCommand::Create(SignInCreate::identifier("ada@example.com")));
    let request = h.expect_request();
    let mut client = client_json(&[], None, 1);
    client["sign_in"] = sign_in_json("sia_1", "needs_first_factor");
    h.respond_with_token(
        &request,
        200,
        &json!({ "response": sign_in_json("sia_1", "needs_first_factor"), "client": client }),
        "tok",
    );
    let _ = h.expect_success(op);
    assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::NeedsFirstFactor));

    // Illegal in this status: nothing sent.
    let refused = h.client.submit(
        Command::SignIn(SignInCommand::AttemptSecondFactor(clerk_core::SecondFactorAttempt::Totp(
            VerificationCode::new("1"),
        ))),
        h.now,
    );
    assert!(matches!(refused, Err(CommandError::InvalidState { flow: Flow::SignIn, .. })), "{refused:?}");
    // A strategy the server did not offer is refused.
    let refused = h.client.submit(
        Command::SignIn(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::PhoneCode { phone_number_id: None })),
        h.now,
    );
    assert_eq!(refused, Err(CommandError::FactorNotOffered { strategy: "phone_code".into() }));

    let _ = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }));
    let prepare = h.expect_request();
    assert_eq!(prepare.request.path, "/v1/client/sign_ins/sia_1/prepare_first_factor");
    assert_eq!(prepare.request.form_value("email_address_id").map(|v| v.expose()), Some("idn_1"));
    h.respond_json(
        &prepare,
        200,
        &json!({ "response": sign_in_json("sia_1", "needs_first_factor"), "client": client }),
    );
    let attempt =
        h.submit(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(VerificationCode::new("424242"))));
    let request = h.expect_request();
    assert_eq!(request.request.form_value("code").map(|v| v.expose()), Some("424242"));
    let mut done = client_json(&[("sess_1", "active")], Some("sess_1"), 2);
    done["sign_in"] = json!(null);
    let mut complete = sign_in_json("sia_1", "complete");
    complete["created_session_id"] = json!("sess_1");
    h.respond_json(&request, 200, &json!({ "response": complete, "client": done }));
    assert!(matches!(h.expect_success(attempt), Completion::SignIn(_)));
    assert!(h.client.sign_in().is_none(), "the attempt is consumed");
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn email_link_polls_until_the_link_is_used() {
    let mut client = client_json(&[], None, 1);
    let mut sign_in = sign_in_json("sia_1", "needs_first_factor");
    sign_in["supported_first_factors"] = json!([{ "strategy": "email_link", "email_address_id": "idn_1" }]);
    client["sign_in"] = sign_in;
    let mut h = Harness::signed_in(&client);
    let op = h.submit(SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailLink {
        email_address_id: None,
        redirect_url: "https://app.example.com/verify".into(),
    }));
    let prepare = h.expect_request();
    let mut waiting = client["sign_in"].clone();
    waiting["first_factor_verification"] = json!({ "status": "unverified", "strategy": "email_link" });
    let mut waiting_client = client.clone();
    waiting_client["sign_in"] = waiting.clone();
    h.respond_json(&prepare, 200, &json!({ "response": waiting, "client": waiting_client }));
    assert!(h.outcome(op).is_none(), "the wait goes on");
    assert!(h.events.contains(&Event::EmailLinkSent { flow: Flow::SignIn }));
    let deadline = h.client.poll_timeout().unwrap_or_else(|| panic!("a poll deadline"));
    assert_eq!(deadline - h.now, time::Duration::seconds(1));
    assert!(h.poll_request().is_none(), "nothing before the deadline");
    h.advance(time::Duration::seconds(1));
    let poll = h.expect_request();
    assert_eq!(poll.request.path, "/v1/client");
    h.respond_json(&poll, 200, &json!({ "response": waiting_client, "client": null }));
    assert!(h.outcome(op).is_none());
    h.advance(time::Duration::seconds(1));
    let poll = h.expect_request();
    let mut done = client_json(&[("sess_1", "active")], Some("sess_1"), 3);
    done["sign_in"] = json!(null);
    h.respond_json(&poll, 200, &json!({ "response": done, "client": null }));
    assert_eq!(
        h.expect_success(op),
        Completion::EmailLink(EmailLinkOutcome::Completed { created_session_id: Some("sess_1".into()) })
    );
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(h.client.poll_timeout().is_none(), "polling stopped");
}

#[test]
fn sign_up_update_sends_only_what_changed() {
    let mut client = client_json(&[], None, 1);
    client["sign_up"] = json!({ "object": "sign_up_attempt", "id": "sua_1", "status": "missing_requirements",
        "email_address": "ada@example.com", "first_name": "Ada" });
    let mut h = Harness::signed_in(&client);
    let same = SignUpFields {
        email_address: Some("ada@example.com".into()),
        first_name: Some("Ada".into()),
        ..SignUpFields::default()
    };
    let op = h.submit(SignUpCommand::Update(same));
    assert_eq!(h.expect_success(op), Completion::SignUpUnchanged);
    assert!(h.poll_request().is_none());
    let changed = SignUpFields {
        email_address: Some("ada@example.org".into()),
        first_name: Some("Ada".into()),
        strategy: Some(clerk_core::wire::Strategy::EmailCode),
        ..SignUpFields::default()
    };
    let _ = h.submit(SignUpCommand::Update(changed));
    let request = h.expect_request();
    assert_eq!(request.request.method, clerk_core::Method::Patch);
    let names: Vec<&str> = request.request.form.iter().flatten().map(|f| f.name.as_ref()).collect();
    assert_eq!(names, ["email_address", "strategy"]);
}
