//! The Client object, member by member: what a user of the engine sees and what goes on
//! the wire. Expectations come from fapi.md §3.2, §5.6, §6.2 and design §7.

use clerk_core::wire::{SessionStatus, SignInStatus};
use clerk_core::{
    ClientCommand, CommandError, Completion, Event, Flow, HttpResponse, Method, OperationError, SignOutConfirmation,
    SignOutReason, TransportError, TransportMode,
};
use clerk_tests::harness::{Harness, START, client_json, config, error_json, ms, session_json, sign_in_json};
use serde_json::json;
use time::Duration;

#[test]
fn client_is_send_sync_clone_and_static() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<clerk_core::Client>();
}

#[test]
fn read_views_follow_the_applied_client() {
    let mut client =
        client_json(&[("sess_1", "active"), ("sess_2", "ended"), ("sess_3", "pending")], Some("sess_1"), 1);
    client["last_authentication_strategy"] = json!("password");
    client["sign_in"] = sign_in_json("sia_1", "needs_first_factor");
    client["sign_up"] = json!({ "object": "sign_up_attempt", "id": "sua_1", "status": "missing_requirements" });
    let harness = Harness::signed_in(&client);
    let engine = &harness.client;
    assert_eq!(engine.sessions().len(), 3, "terminal sessions stay listed");
    let signed_in: Vec<&str> = engine.signed_in_sessions().map(|s| s.id.as_str()).collect();
    assert_eq!(signed_in, ["sess_1", "sess_3"], "active and pending count as signed in");
    assert_eq!(engine.last_active_session_id(), Some("sess_1"));
    assert_eq!(engine.active_session_id(), Some("sess_1"));
    assert_eq!(engine.active_session().and_then(|s| s.status.as_ref()), Some(&SessionStatus::Active));
    assert_eq!(engine.last_authentication_strategy(), Some("password"));
    assert_eq!(engine.sign_in_status(), Some(&SignInStatus::NeedsFirstFactor));
    assert_eq!(engine.sign_up().map(|s| s.id.as_str()), Some("sua_1"));
    assert!(!engine.is_new());
}

#[test]
fn load_without_a_token_fetches_only_the_environment() {
    let mut h = Harness::new();
    let op = h.client.load(h.now);
    let env = h.expect_request();
    assert_eq!((env.request.method, env.request.path.as_str()), (Method::Get, "/v1/environment"));
    h.respond_json(&env, 200, &json!({ "auth_config": { "single_session_mode": true } }));
    assert!(h.poll_request().is_none(), "no GET /v1/client without a client token");
    assert_eq!(h.expect_success(op), Completion::Loaded { client_present: false });
    assert!(h.client.environment().is_some());
    assert!(h.client.is_new());
}

#[test]
fn load_with_a_token_fetches_environment_then_client() {
    let mut h = Harness::signed_in(&client_json(&[], None, 1));
    let op = h.client.load(h.now);
    let env = h.expect_request();
    assert_eq!(env.request.path, "/v1/environment");
    h.respond_json(&env, 200, &json!({}));
    let client = h.expect_request();
    assert_eq!(client.request.path, "/v1/client");
    assert_eq!(client.request.header("authorization").map(|v| v.expose()), Some("token-1"));
    h.respond_json(
        &client,
        200,
        &json!({ "response": client_json(&[("sess_1", "active")], Some("sess_1"), 2), "client": null }),
    );
    assert_eq!(h.expect_success(op), Completion::Loaded { client_present: true });
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn create_posts_in_native_mode_and_adopts_the_token() {
    let mut h = Harness::new();
    let op = h.client.create(h.now).unwrap_or_else(|e| panic!("{e}"));
    let request = h.expect_request();
    assert_eq!(request.request.method, Method::Post);
    assert_eq!(request.request.path, "/v1/client");
    assert_eq!(request.request.form.as_deref().map(<[_]>::len), Some(0), "empty form body");
    assert!(request.request.header("authorization").is_none(), "no token yet");
    h.respond_with_token(&request, 200, &json!({ "response": client_json(&[], None, 1), "client": null }), "tok-new");
    assert_eq!(h.expect_success(op), Completion::ClientCreated);
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some("tok-new"));
    assert!(
        h.events.iter().any(|e| matches!(e, Event::ClientTokenChanged { token: Some(t) } if t.expose() == "tok-new"))
    );
    assert!(!h.client.is_new());
}

#[test]
fn create_is_a_tunnelled_put_in_browser_mode() {
    let mut h = Harness::with_config(config().with_mode(TransportMode::Browser));
    let _ = h.client.create(h.now).unwrap_or_else(|e| panic!("{e}"));
    h.answer_dev_browser("dvb_1");
    let request = h.expect_request();
    assert_eq!(request.request.method, Method::Post);
    assert_eq!(request.request.query_value("_method").map(|v| v.expose()), Some("PUT"));
    assert!(request.request.query_value("_is_native").is_none());
    assert!(request.request.header("authorization").is_none());
}

#[test]
fn a_second_mutating_command_is_busy_and_changes_nothing() {
    let mut h = Harness::new();
    let first = h.client.create(h.now).unwrap_or_else(|e| panic!("{e}"));
    let before = h.client.export();
    let refused = h.client.create(h.now);
    assert_eq!(refused, Err(CommandError::Busy { flow: Flow::Client, pending: first }));
    assert_eq!(h.client.export(), before);
    // Reads are never busy.
    let _reload = h.client.reload(h.now);
}

#[test]
fn reload_applies_the_client_and_reports_presence() {
    let mut h = Harness::signed_in(&client_json(&[], None, 1));
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    assert_eq!((request.request.method, request.request.path.as_str()), (Method::Get, "/v1/client"));
    assert!(request.request.form.is_none());
    h.respond_json(
        &request,
        200,
        &json!({ "response": client_json(&[("sess_1", "active")], Some("sess_1"), 5), "client": null }),
    );
    assert_eq!(h.expect_success(op), Completion::ClientReloaded { client_present: true, applied: true });
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(h.events.contains(&Event::ActiveSessionChanged { session_id: Some("sess_1".into()) }));
}

#[test]
fn reload_answered_null_clears_the_client_and_signs_out() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": null, "client": null }));
    assert_eq!(h.expect_success(op), Completion::ClientReloaded { client_present: false, applied: true });
    assert!(h.client.client().is_none());
    assert!(h.client.active_session_id().is_none());
    assert!(h.events.contains(&Event::SignedOut { reason: SignOutReason::ClientLost }));
    assert!(h.client.client_token().is_some(), "a null client never drops the token");
}

#[test]
fn destroy_uses_the_current_token_then_clears_everything() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let op = h.client.destroy(h.now).unwrap_or_else(|e| panic!("{e}"));
    // Local state is cleared at once, before any answer.
    assert!(h.client.client_token().is_none());
    assert!(h.client.active_session_id().is_none());
    assert!(h.client.sessions().is_empty());
    let request = h.expect_request();
    assert!(h.events.contains(&Event::ClientTokenChanged { token: None }));
    assert!(h.events.contains(&Event::SignedOut { reason: SignOutReason::UserAction }));
    assert_eq!((request.request.method, request.request.path.as_str()), (Method::Delete, "/v1/client"));
    assert_eq!(request.request.header("authorization").map(|v| v.expose()), Some("token-1"));
    h.respond_json(&request, 200, &json!({ "response": client_json(&[("sess_1", "ended")], None, 2), "client": null }));
    assert_eq!(h.expect_success(op), Completion::SignedOut { confirmation: SignOutConfirmation::Confirmed });
    assert!(h.client.client().is_none(), "the ended client is not applied");
}

#[test]
fn destroy_offline_is_local_only() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let op = h.client.destroy(h.now).unwrap_or_else(|e| panic!("{e}"));
    let request = h.expect_request();
    h.fail(&request, TransportError::Connect("refused".into()));
    match h.expect_success(op) {
        Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { error } } => {
            assert_eq!(*error, OperationError::Transport(TransportError::Connect("refused".into())));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(h.client.client_token().is_none());
    assert!(h.poll_request().is_none(), "a DELETE is never retried by the engine");
}

#[test]
fn remove_sessions_signs_out_and_keeps_the_token() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_1"), 1));
    let op = h.client.remove_sessions(h.now).unwrap_or_else(|e| panic!("{e}"));
    assert!(h.client.active_session_id().is_none());
    assert_eq!(h.client.signed_in_sessions().count(), 0);
    let request = h.expect_request();
    assert_eq!((request.request.method, request.request.path.as_str()), (Method::Delete, "/v1/client/sessions"));
    h.respond_json(
        &request,
        200,
        &json!({ "response": client_json(&[("sess_1", "removed"), ("sess_2", "removed")], Some("sess_1"), 2), "client": null }),
    );
    assert_eq!(h.expect_success(op), Completion::SignedOut { confirmation: SignOutConfirmation::Confirmed });
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some("token-1"));
    assert_eq!(h.client.sessions().len(), 2, "the server's ended sessions are applied");
    assert!(h.client.active_session_id().is_none());
}

#[test]
fn remove_sessions_refused_by_the_server_is_local_only() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let op = h.client.remove_sessions(h.now).unwrap_or_else(|e| panic!("{e}"));
    let request = h.expect_request();
    h.respond_json(&request, 500, &error_json("internal_error", None));
    assert!(matches!(
        h.expect_success(op),
        Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { .. } }
    ));
    assert!(h.client.active_session_id().is_none());
}

#[test]
fn reset_sign_in_hides_the_attempt_until_a_new_one_appears() {
    let mut client = client_json(&[], None, 1);
    client["sign_in"] = sign_in_json("sia_old", "needs_first_factor");
    let mut h = Harness::signed_in(&client);
    let op = h.client.reset_sign_in(h.now);
    assert_eq!(h.expect_success(op), Completion::LocalChange);
    assert!(h.client.sign_in().is_none());
    assert!(h.events.contains(&Event::SignInStatusChanged { from: Some(SignInStatus::NeedsFirstFactor), to: None }));

    // The server still has the old attempt: a later client must not bring it back.
    let reload = h.client.reload(h.now);
    let request = h.expect_request();
    let mut later = client.clone();
    later["updated_at"] = json!(ms(2));
    h.respond_json(&request, 200, &json!({ "response": later, "client": null }));
    let _ = h.expect_success(reload);
    assert!(h.client.sign_in().is_none(), "the reset attempt stays hidden");

    // A new attempt shows.
    let reload = h.client.reload(h.now);
    let request = h.expect_request();
    let mut newer = client.clone();
    newer["sign_in"] = sign_in_json("sia_new", "needs_identifier");
    newer["updated_at"] = json!(ms(3));
    h.respond_json(&request, 200, &json!({ "response": newer, "client": null }));
    let _ = h.expect_success(reload);
    assert_eq!(h.client.sign_in().map(|s| s.id.as_str()), Some("sia_new"));
}

#[test]
fn reset_sign_up_is_local() {
    let mut client = client_json(&[], None, 1);
    client["sign_up"] = json!({ "object": "sign_up_attempt", "id": "sua_1", "status": "missing_requirements" });
    let mut h = Harness::signed_in(&client);
    let op = h.client.reset_sign_up(h.now);
    assert_eq!(h.expect_success(op), Completion::LocalChange);
    assert!(h.client.sign_up().is_none());
    assert!(h.poll_request().is_none(), "no request");
}

#[test]
fn clear_cache_drops_piggybacked_session_tokens() {
    let mut session = session_json("sess_1", "active");
    let jwt = clerk_tests::canned_jwt("sess_1", START.unix_timestamp(), START.unix_timestamp() + 60);
    session["last_active_token"] = json!({ "object": "token", "jwt": jwt });
    let mut client = client_json(&[], Some("sess_1"), 1);
    client["sessions"] = json!([session]);
    let mut h = Harness::signed_in(&client);
    assert_eq!(h.client.cached_session_token("sess_1").map(|t| t.expose()), Some(jwt.as_str()));
    assert!(h.client.session("sess_1").is_some_and(|s| s.last_active_token.is_none()), "tokens leave the view");
    let op = h.client.clear_cache(h.now);
    assert_eq!(h.expect_success(op), Completion::LocalChange);
    assert!(h.client.cached_session_token("sess_1").is_none());
    assert_eq!(h.client.active_session_id(), Some("sess_1"), "clearing tokens is not a sign-out");
}

#[test]
fn malformed_piggybacked_tokens_are_dropped_not_fatal() {
    // Design §7.10: unreadable claims, and a token object of the wrong shape (no `jwt`, a
    // `jwt` that is not a string, not an object at all), never fail the client around it.
    for token in [
        json!({ "object": "token", "jwt": "e30=.e30=.e30=" }),
        json!({ "object": "token", "jwt": null }),
        json!({ "object": "token" }),
        json!({ "jwt": 12 }),
        json!("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
        json!([]),
    ] {
        let mut session = session_json("sess_1", "active");
        session["last_active_token"] = token.clone();
        let mut client = client_json(&[], Some("sess_1"), 1);
        client["sessions"] = json!([session]);
        let h = Harness::signed_in(&client);
        assert_eq!(h.client.active_session_id(), Some("sess_1"), "{token}");
        assert!(h.client.cached_session_token("sess_1").is_none(), "{token}");
    }
}

#[test]
fn is_new_until_a_client_with_an_id_arrives() {
    let h = Harness::new();
    assert!(h.client.is_new());
    let mut empty = client_json(&[], None, 1);
    empty["id"] = json!(null);
    assert!(Harness::signed_in(&empty).client.is_new());
    assert!(!Harness::signed_in(&client_json(&[], None, 1)).client.is_new());
}

#[test]
fn touch_eligibility_is_eight_days_before_cookie_expiry() {
    let mut client = client_json(&[], None, 1);
    client["cookie_expires_at"] = json!(ms(10 * 24 * 3600));
    let h = Harness::signed_in(&client);
    assert!(!h.client.is_eligible_for_touch(START));
    assert!(!h.client.is_eligible_for_touch(START + Duration::days(2) - Duration::seconds(1)));
    assert!(h.client.is_eligible_for_touch(START + Duration::days(2)));
    client["cookie_expires_at"] = json!(null);
    assert!(!Harness::signed_in(&client).client.is_eligible_for_touch(START + Duration::days(365)));
}

#[test]
fn touch_url_carries_the_common_parameters_and_the_redirect() {
    let h = Harness::new();
    let url = h.client.build_touch_url("https://app.example.com/after sign-in?x=1");
    assert_eq!(
        url,
        "https://foo-bar-13.clerk.accounts.dev/v1/client/touch?redirect_url=https%3A%2F%2Fapp.example.com%2Fafter+sign-in%3Fx%3D1&__clerk_api_version=2026-05-12&_is_native=true"
    );
}

#[test]
fn get_requests_are_retried_with_backoff_in_virtual_time() {
    let mut h = Harness::signed_in(&client_json(&[], None, 1));
    let op = h.client.reload(h.now);
    let first = h.expect_request();
    h.respond_json(&first, 503, &error_json("service_unavailable", None));
    let deadline = match h.drain() {
        clerk_core::Output::Timeout(deadline) => deadline,
        other => panic!("expected a backoff deadline, got {other:?}"),
    };
    assert!(deadline > h.now, "deadlines are never in the past");
    assert!(deadline - h.now >= Duration::milliseconds(100) && deadline - h.now < Duration::milliseconds(200));
    assert_eq!(h.client.poll_timeout(), Some(deadline));
    h.advance(deadline - h.now);
    let retry = h.expect_request();
    assert!(retry.id > first.id, "a retry is a new request");
    assert_eq!(retry.attempt, 2);
    assert_eq!(retry.request.query_value("_clerk_retry_attempt").map(|v| v.expose()), Some("1"));
    h.respond_json(&retry, 200, &json!({ "response": client_json(&[], None, 2), "client": null }));
    assert!(matches!(h.expect_success(op), Completion::ClientReloaded { .. }));
}

#[test]
fn retry_after_is_honoured_on_a_get() {
    let mut h = Harness::signed_in(&client_json(&[], None, 1));
    let _op = h.client.reload(h.now);
    let first = h.expect_request();
    let body = serde_json::to_vec(&error_json("too_many_requests", None)).unwrap_or_default();
    h.respond(&first, HttpResponse::new(429, [("retry-after", "7")], body));
    assert_eq!(h.client.poll_timeout(), Some(h.now + Duration::seconds(7)));
    h.advance(Duration::seconds(6));
    assert!(h.poll_request().is_none(), "not before Retry-After");
    h.advance(Duration::seconds(1));
    assert_eq!(h.expect_request().attempt, 2);
}

#[test]
fn retries_stop_after_max_attempts() {
    let mut h = Harness::signed_in(&client_json(&[], None, 1));
    let op = h.client.reload(h.now);
    for _ in 0..3 {
        let request = h.expect_request();
        h.fail(&request, TransportError::Timeout("slow".into()));
        if let Some(deadline) = h.client.poll_timeout() {
            h.advance(deadline - h.now);
        }
    }
    assert_eq!(h.expect_failure(op), OperationError::Transport(TransportError::Timeout("slow".into())));
    assert!(h.poll_request().is_none());
}

#[test]
fn mutations_are_never_retried_and_carry_retry_after() {
    let mut h = Harness::new();
    let op = h.client.create(h.now).unwrap_or_else(|e| panic!("{e}"));
    let request = h.expect_request();
    let body = serde_json::to_vec(&error_json("too_many_requests", None)).unwrap_or_default();
    h.respond(&request, HttpResponse::new(429, [("retry-after", "12")], body));
    let error = h.expect_failure(op);
    let api = error.api().unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(api.status, 429);
    assert_eq!(api.retry_after, Some(Duration::seconds(12)));
    assert_eq!(api.trace_id.as_deref(), Some("trace-1"));
    assert!(h.poll_request().is_none());
}

#[test]
fn a_401_while_signed_in_triggers_one_coalesced_refresh() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let op = h.client.create(h.now).unwrap_or_else(|e| panic!("{e}"));
    let request = h.expect_request();
    h.respond_json(&request, 401, &error_json("authentication_invalid", None));
    assert!(h.expect_failure(op).api().is_some());
    let refresh = h.expect_request();
    assert_eq!(refresh.request.path, "/v1/client");
    h.respond_json(
        &refresh,
        200,
        &json!({ "response": client_json(&[("sess_1", "revoked")], Some("sess_1"), 2), "client": null }),
    );
    let _ = h.drain();
    assert!(h.client.active_session_id().is_none());
    assert!(h.events.contains(&Event::SignedOut {
        reason: SignOutReason::SessionEnded { reason: clerk_core::SessionEndReason::Revoked }
    }));
}

#[test]
fn cancel_completes_once_and_unknown_ops_are_refused() {
    let mut h = Harness::signed_in(&client_json(&[], None, 1));
    let op = h.client.reload(h.now);
    assert_eq!(h.client.cancel(op), Ok(()));
    assert_eq!(h.expect_failure(op), OperationError::Cancelled);
    assert!(h.poll_request().is_none(), "its queued request is dropped");
    assert_eq!(h.client.cancel(op), Err(CommandError::UnknownOperation(op)));
}

#[test]
fn commands_queue_and_go_out_one_at_a_time_in_order() {
    let mut h = Harness::signed_in(&client_json(&[], None, 1));
    let a = h.client.reload(h.now);
    let b = h.submit(ClientCommand::LoadEnvironment);
    let first = h.expect_request();
    assert!(h.poll_request().is_none(), "one request on the wire at a time");
    assert_eq!(first.op, a);
    h.respond_json(&first, 200, &json!({ "response": client_json(&[], None, 2), "client": null }));
    let second = h.expect_request();
    assert_eq!((second.op, second.request.path.as_str()), (b, "/v1/environment"));
}

#[test]
fn strings_of_an_applied_client_share_its_answer_and_read_as_sent() {
    let mut client = client_json(&[("sess_1", "active")], Some("sess_1"), 1);
    // Escaped in the JSON: decoded into a string of its own, and still read as sent.
    client["sessions"][0]["public_user_data"] = json!({ "first_name": "Zoë \"Z\" <z>", "identifier": "z@example.com" });
    let harness = Harness::signed_in(&client);
    let session = harness.client.active_session().expect("an active session");
    assert_eq!(session.id, "sess_1");
    assert!(session.id.is_shared(), "an id is a range of the answer body, not a copy");
    let profile = session.public_user_data.as_ref().expect("public user data");
    assert_eq!(profile.first_name.as_deref(), Some("Zoë \"Z\" <z>"));
    assert_eq!(profile.identifier.as_deref(), Some("z@example.com"));
    // What the engine exports owns its strings and restores to the same client.
    let exported = serde_json::to_value(harness.client.export()).expect("serializes");
    let restored: clerk_core::PersistedState = serde_json::from_value(exported).expect("decodes");
    let restored_session = &restored.client.as_ref().expect("client").sessions[0];
    assert_eq!(restored_session.id, "sess_1");
    assert!(!restored_session.id.is_shared());
}
