//! Every recorded Frontend API response decodes into the wire types, and what it decodes to
//! agrees with the protocol (`fapi.md` §2.1, §4, §5.3).
#![allow(clippy::expect_used, clippy::panic)]

use clerk_core::wire::{
    ClientResource, EmailAddress, Environment, SessionResource, SessionStatus, SignInResource, SignInStatus,
    SignUpResource, SignUpStatus, UserResource, Verification, VerificationStatus,
};
use clerk_tests::{DATETIME_BASE_MS, EMAIL, PLACEHOLDER_JWT, RECORDED_FILE_COUNT, RecordedExchange, recorded_flows};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;

/// The `{ response, client }` envelope (`fapi.md` §2.1), defined here for the test only.
#[derive(Debug, Deserialize)]
struct Envelope<R> {
    // A missing `Option` field decodes as `None` without `#[serde(default)]`.
    response: Option<R>,
    client: Option<ClientResource>,
}

fn decode<T: DeserializeOwned>(exchange: &RecordedExchange) -> T {
    serde_json::from_slice(&exchange.body).unwrap_or_else(|err| {
        panic!("{} ({}) does not decode as {}: {err}", exchange.file_name(), exchange.key, std::any::type_name::<T>())
    })
}

/// What one recorded body decoded to.
enum Decoded {
    Client(Box<Envelope<ClientResource>>),
    SignIn(Box<Envelope<SignInResource>>),
    SignUp(Box<Envelope<SignUpResource>>),
    Session(Box<Envelope<SessionResource>>),
    Me(Box<Envelope<serde_json::Value>>, Option<Box<UserResource>>),
    Environment(Box<Environment>),
    Health,
}

fn decode_exchange(exchange: &RecordedExchange) -> Decoded {
    let path = exchange.path.as_str();
    if path == "/v1/environment" {
        Decoded::Environment(Box::new(decode(exchange)))
    } else if path == "/v1/health" {
        let body: serde_json::Value = decode(exchange);
        assert_eq!(body, "", "{}: the health check has an empty body", exchange.file_name());
        Decoded::Health
    } else if path.starts_with("/v1/client/sign_ins") {
        Decoded::SignIn(Box::new(decode(exchange)))
    } else if path.starts_with("/v1/client/sign_ups") {
        Decoded::SignUp(Box::new(decode(exchange)))
    } else if path.starts_with("/v1/client/sessions/") {
        Decoded::Session(Box::new(decode(exchange)))
    } else if path == "/v1/client" {
        Decoded::Client(Box::new(decode(exchange)))
    } else if path.starts_with("/v1/me") {
        let envelope: Envelope<serde_json::Value> = decode(exchange);
        // GET and PATCH /v1/me answer with the user itself.
        let user = (path == "/v1/me" && exchange.method != "DELETE").then(|| {
            Box::new(decode::<Envelope<UserResource>>(exchange).response.expect("/v1/me answers with a user"))
        });
        Decoded::Me(Box::new(envelope), user)
    } else {
        panic!("{}: no wire type for {}", exchange.file_name(), exchange.key)
    }
}

fn all_exchanges() -> Vec<RecordedExchange> {
    recorded_flows().into_iter().flat_map(|(_, exchanges)| exchanges).collect()
}

fn assert_recording_time(file: &str, what: &str, at: Option<OffsetDateTime>) {
    let Some(at) = at else { return };
    let millis = clerk_core::wire::timestamp::to_millis(at);
    assert!(
        (DATETIME_BASE_MS - 60_000..=DATETIME_BASE_MS + 60_000).contains(&millis),
        "{file}: {what} = {millis} ms is not a recording time (units?)"
    );
}

fn check_verification_status(file: &str, status: Option<&VerificationStatus>) {
    if let Some(status) = status {
        assert!(status.is_known(), "{file}: unknown verification status {status:?}");
    }
}

fn check_verification(file: &str, verification: Option<&Verification>) {
    if let Some(verification) = verification {
        check_verification_status(file, verification.status.as_ref());
        assert_recording_time(file, "verification.expire_at", verification.expire_at);
    }
}

fn check_user(file: &str, user: &UserResource) {
    assert!(user.id.is_some(), "{file}: user without id");
    for email in &user.email_addresses {
        check_email(file, email);
    }
    for phone in &user.phone_numbers {
        check_verification(file, phone.verification.as_deref());
    }
    assert_recording_time(file, "user.created_at", user.created_at);
    assert_recording_time(file, "user.updated_at", user.updated_at);
    assert_recording_time(file, "user.last_sign_in_at", user.last_sign_in_at);
}

fn check_email(file: &str, email: &EmailAddress) {
    assert!(email.email_address.is_some(), "{file}: email address without address");
    check_verification(file, email.verification.as_deref());
}

fn check_sign_in(file: &str, sign_in: &SignInResource) {
    let status = sign_in.status.as_ref().expect("a sign-in has a status");
    assert!(status.is_known(), "{file}: unknown sign-in status {status:?}");
    check_verification(file, sign_in.first_factor_verification.as_deref());
    check_verification(file, sign_in.second_factor_verification.as_deref());
    assert_recording_time(file, "sign_in.abandon_at", sign_in.abandon_at);
    if *status == SignInStatus::NeedsFirstFactor {
        assert!(
            !sign_in.supported_first_factors.is_empty(),
            "{file}: needs_first_factor without supported first factors"
        );
    }
    if *status == SignInStatus::NeedsSecondFactor {
        assert!(
            !sign_in.supported_second_factors.is_empty(),
            "{file}: needs_second_factor without supported second factors"
        );
    }
}

fn check_sign_up(file: &str, sign_up: &SignUpResource) {
    let status = sign_up.status.as_ref().expect("a sign-up has a status");
    assert!(status.is_known(), "{file}: unknown sign-up status {status:?}");
    if let Some(verifications) = &sign_up.verifications {
        for verification in [&verifications.email_address, &verifications.phone_number].into_iter().flatten() {
            check_verification_status(file, verification.status.as_ref());
            if let Some(next_action) = &verification.next_action {
                assert!(next_action.is_known(), "{file}: unknown next_action {next_action:?}");
            }
            assert_recording_time(file, "verification.expire_at", verification.expire_at);
        }
        check_verification(file, verifications.external_account.as_deref());
    }
    assert_recording_time(file, "sign_up.abandon_at", sign_up.abandon_at);
    assert_recording_time(file, "sign_up.legal_accepted_at", sign_up.legal_accepted_at);
}

fn check_session(file: &str, session: &SessionResource) {
    let status = session.status.as_ref().expect("a session has a status");
    assert!(status.is_known(), "{file}: unknown session status {status:?}");
    assert_recording_time(file, "session.expire_at", session.expire_at);
    assert_recording_time(file, "session.abandon_at", session.abandon_at);
    assert_recording_time(file, "session.last_active_at", session.last_active_at);
    if let Some(user) = &session.user {
        check_user(file, user);
    }
}

fn check_client(file: &str, client: &ClientResource) {
    assert!(client.id.is_some(), "{file}: a recorded client has an id");
    for session in &client.sessions {
        check_session(file, session);
    }
    if let Some(sign_in) = &client.sign_in {
        check_sign_in(file, sign_in);
    }
    if let Some(sign_up) = &client.sign_up {
        check_sign_up(file, sign_up);
    }
    if let Some(id) = &client.last_active_session_id {
        assert!(client.session(id).is_some(), "{file}: last active session {id} not listed");
    }
    assert_recording_time(file, "client.created_at", client.created_at);
    assert_recording_time(file, "client.updated_at", client.updated_at);

    // Persisting the client and reading it back is the identity, session JWTs aside (they
    // serialize redacted by design).
    let mut without_tokens = client.clone();
    for session in &mut without_tokens.sessions {
        session.last_active_token = None;
    }
    let text = serde_json::to_string(&without_tokens).expect("a client serializes");
    let again: ClientResource = serde_json::from_str(&text).expect("a serialized client decodes");
    assert_eq!(again, without_tokens, "{file}: client does not round-trip");
}

/// A completed attempt's session is the client's last active session, active, with a user
/// whose primary email is set.
fn check_completed_session(file: &str, created_session_id: Option<&str>, client: &ClientResource) {
    let session_id = created_session_id.expect("a complete attempt names its session");
    assert_eq!(
        client.last_active_session_id.as_deref(),
        Some(session_id),
        "{file}: the created session is the last active one"
    );
    let session = client.session(session_id).expect("the created session is listed");
    assert_eq!(session.status, Some(SessionStatus::Active), "{file}");
    assert!(client.signed_in_sessions().any(|s| s.id == session_id), "{file}");
    let user = session.user.as_ref().expect("an active session carries its user");
    let primary = user.primary_email_address().expect("the user has a primary email");
    assert!(primary.email_address.as_deref().is_some_and(|e| e.contains('@')), "{file}");
    let token = session.last_active_token.as_ref().expect("an active session carries a token");
    assert_eq!(token.jwt.expose(), PLACEHOLDER_JWT, "{file}: JWT placeholder kept as is");
    assert!(!format!("{session:?}").contains(PLACEHOLDER_JWT), "{file}: JWT in Debug");
}

#[test]
fn every_recorded_response_decodes_into_the_wire_types() {
    let exchanges = all_exchanges();
    if exchanges.is_empty() {
        return; // shared data missing: shared_dir() printed the skip (or panicked under CI)
    }
    assert_eq!(exchanges.len(), RECORDED_FILE_COUNT, "recorded file count");

    let mut completed_sign_ins = 0;
    let mut completed_sign_ups = 0;
    let mut environments = 0;
    for exchange in &exchanges {
        let file = exchange.file_name();
        let file = file.as_str();
        match decode_exchange(exchange) {
            Decoded::SignIn(envelope) => {
                let sign_in = envelope.response.expect("a sign-in response");
                let client = envelope.client.expect("sign-in calls piggyback the client");
                check_sign_in(file, &sign_in);
                check_client(file, &client);
                if sign_in.status == Some(SignInStatus::Complete) {
                    check_completed_session(file, sign_in.created_session_id.as_deref(), &client);
                    assert!(client.sign_in.is_none(), "{file}: completed sign-in is cleared");
                    completed_sign_ins += 1;
                } else {
                    assert_eq!(
                        client.sign_in.as_ref().map(|s| &s.id),
                        Some(&sign_in.id),
                        "{file}: the client carries the attempt"
                    );
                }
            }
            Decoded::SignUp(envelope) => {
                let sign_up = envelope.response.expect("a sign-up response");
                let client = envelope.client.expect("sign-up calls piggyback the client");
                check_sign_up(file, &sign_up);
                check_client(file, &client);
                if sign_up.status == Some(SignUpStatus::Complete) {
                    check_completed_session(file, sign_up.created_session_id.as_deref(), &client);
                    assert!(sign_up.created_user_id.is_some(), "{file}: completed without user");
                    completed_sign_ups += 1;
                }
                if exchange.param("password").is_some() {
                    assert!(sign_up.is_password_enabled(), "{file}: password sent but not enabled");
                }
            }
            Decoded::Session(envelope) => {
                check_session(file, &envelope.response.expect("a session response"));
                if let Some(client) = &envelope.client {
                    check_client(file, client);
                }
            }
            Decoded::Client(envelope) => {
                if let Some(client) = &envelope.response {
                    check_client(file, client);
                }
                if let Some(client) = &envelope.client {
                    check_client(file, client);
                }
            }
            Decoded::Me(envelope, user) => {
                assert!(envelope.response.is_some(), "{file}: /v1/me answers with a resource");
                if let Some(client) = &envelope.client {
                    check_client(file, client);
                }
                if let Some(user) = &user {
                    check_user(file, user);
                    assert!(user.primary_email_address().is_some(), "{file}: primary email");
                }
            }
            Decoded::Environment(env) => {
                environments += 1;
                assert_eq!(env.auth_config.object.as_deref(), Some("auth_config"), "{file}");
                for setting in [&env.auth_config.first_name, &env.auth_config.last_name, &env.auth_config.email_address]
                {
                    let setting = setting.as_deref().expect("auth_config setting present");
                    assert!(matches!(setting, "on" | "off" | "required"), "{file}: auth_config setting {setting:?}");
                }
                let email = env.user_settings.attributes.email_address.as_ref();
                assert!(email.is_some_and(|e| e.enabled), "{file}: email attribute");
                assert!(env.user_settings.password_settings.min_length.is_some(), "{file}");
                assert!(env.user_settings.sign_up.mode.is_some(), "{file}");
                assert!(!env.user_settings.social.is_empty(), "{file}: social providers");
            }
            Decoded::Health => {}
        }
    }
    assert!(completed_sign_ins > 0, "the corpus has completed sign-ins");
    assert!(completed_sign_ups > 0, "the corpus has completed sign-ups");
    assert_eq!(environments, 14, "environment fetches in the corpus");
}

#[test]
fn password_sign_in_completes_into_an_active_session() {
    let flows = recorded_flows();
    if flows.is_empty() {
        return;
    }
    let (_, exchanges) = flows
        .iter()
        .find(|(flow, _)| flow == "clerk_auth/sign_in_test/sign_in_with_password")
        .expect("the password sign-in flow is recorded");
    let last = exchanges.iter().find(|e| e.index == 3).expect("003.json");
    assert_eq!(last.method, "POST");
    assert_eq!(last.path, "/v1/client/sign_ins");
    assert_eq!(last.param("identifier"), Some(None));
    assert_eq!(last.param("password"), Some(None));

    let envelope: Envelope<SignInResource> = decode(last);
    let sign_in = envelope.response.expect("response");
    let client = envelope.client.expect("client");
    assert_eq!(sign_in.status, Some(SignInStatus::Complete));
    assert_eq!(sign_in.identifier.as_deref(), Some(EMAIL));
    assert!(sign_in.supported_first_factors.is_empty(), "null factors decode as empty");
    assert!(sign_in.user_data.is_none());
    let verification = sign_in.first_factor_verification.as_ref().expect("verified factor");
    assert_eq!(verification.status, Some(VerificationStatus::Verified));
    assert_eq!(verification.strategy.as_deref(), Some("password"));
    assert_eq!(verification.attempts, Some(1));

    let session = client.last_active_session().expect("last active session");
    assert_eq!(sign_in.created_session_id.as_deref(), Some(session.id.as_str()));
    assert_eq!(session.status, Some(SessionStatus::Active));
    assert_eq!(session.factor_verification_age, Some([0, -1]));
    assert_eq!(
        session.expire_at.map(clerk_core::wire::timestamp::to_millis),
        Some(DATETIME_BASE_MS + 1000),
        "\"%%DATETIME 1%%\" is one second after the base, in milliseconds"
    );
    let user = session.user.as_ref().expect("user");
    assert_eq!(user.primary_email_address().and_then(|e| e.email_address.as_deref()), Some(EMAIL));
    assert!(user.password_enabled);
    assert_eq!(user.verification_attempts_remaining, Some(100));
    assert_eq!(session.public_user_data.as_ref().and_then(|p| p.identifier.as_deref()), Some(EMAIL));
    assert!(client.sign_in.is_none() && client.sign_up.is_none());
    assert!(!client.captcha_bypass);
    assert_eq!(client.cookie_expires_at, None);
}

#[test]
fn a_placeholder_timestamp_left_unsubstituted_is_rejected() {
    let Some(shared) = clerk_tests::shared_dir() else {
        return;
    };
    let path = shared.join("fixtures/recorded/clerk_auth/sign_in_test/sign_in_with_password/003.json");
    let text = std::fs::read_to_string(path).expect("readable");
    let raw: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let body = serde_json::to_vec(&raw["body"]).expect("serializes");
    assert!(
        serde_json::from_slice::<Envelope<SignInResource>>(&body).is_err(),
        "\"%%DATETIME n%%\" strings must not pass as timestamps"
    );
}

/// Every recorded client applies to the engine without error: offered as the answer to a
/// reload, each is decoded, passes the stale gate and becomes the engine's client.
#[test]
fn every_recorded_client_applies_to_the_engine() {
    use clerk_core::{Completion, HttpResponse};
    use clerk_tests::harness::Harness;
    let mut applied = 0;
    for (flow, exchanges) in clerk_tests::recorded_flows() {
        for exchange in exchanges {
            let Ok(body) = serde_json::from_slice::<serde_json::Value>(&exchange.body) else {
                panic!("{flow}/{:03}: not JSON", exchange.index);
            };
            let client = match (body.get("client"), body.get("response")) {
                (Some(client), _) if client.is_object() => client.clone(),
                (_, Some(response)) if response.get("object").and_then(|o| o.as_str()) == Some("client") => {
                    response.clone()
                }
                _ => continue,
            };
            let mut h = Harness::new();
            let op = h.client.reload(h.now);
            let request = h.expect_request();
            let answer =
                serde_json::to_vec(&serde_json::json!({ "response": client, "client": null })).unwrap_or_default();
            h.respond(&request, HttpResponse::ok_json(answer));
            assert_eq!(
                h.expect_success(op),
                Completion::ClientReloaded { client_present: true, applied: true },
                "{flow}/{:03}",
                exchange.index
            );
            assert!(h.client.client().is_some());
            applied += 1;
        }
    }
    if clerk_tests::shared_dir().is_some() {
        assert!(applied >= 100, "only {applied} recorded clients");
    }
}
