//! The user's sessions on every device ("active devices"): `GET /v1/me/sessions/active` and
//! `POST /v1/me/sessions/{id}/revoke` (fapi.md §1.4, §3.5.3, §4.10, §5.5, Appendix A row 36),
//! with canned answers: the requests, what the answers change (another device's session
//! never joins this client; this client's own, revoked, is signed out), bodies that cannot
//! be decoded, errors, and refusals.

use clerk_core::encoding::InvalidIdError;
use clerk_core::wire::SessionStatus;
use clerk_core::{
    CommandError, Completion, Event, Flow, Method, OperationError, ResponseError, SessionCommand, SessionEndReason,
    SignOutReason, TouchIntent,
};
use clerk_tests::canned_jwt;
use clerk_tests::golden::{self, GET_HEADERS, Golden, POST_HEADERS};
use clerk_tests::harness::{Harness, START, client_json, client_of, error_json, ms, session_json};
use serde_json::{Value, json};

const ME_QUERY: [(&str, &str); 3] =
    [("__clerk_api_version", "2026-05-12"), ("_clerk_session_id", "sess_1"), ("_is_native", "true")];

/// Signed in with `sess_1` active, holding a 60 s session token that arrived at [`START`].
fn signed_in() -> Harness {
    let now = START.unix_timestamp();
    let mut session = session_json("sess_1", "active");
    session["last_active_token"] = json!({ "object": "token", "jwt": canned_jwt("sess_1", now, now + 60) });
    let h = Harness::signed_in(&client_of(vec![session], Some("sess_1"), 1));
    assert!(h.client.cached_session_token("sess_1").is_some());
    h
}

/// One entry of the active-sessions list, as the spec's `Client.ActiveSession` has it.
fn active_json(id: &str, browser: &str, mobile: bool) -> Value {
    json!({
        "object": "session",
        "id": id,
        "status": "active",
        "expire_at": ms(7 * 24 * 3600),
        "abandon_at": ms(30 * 24 * 3600),
        "last_active_at": ms(60),
        "actor": null,
        "tasks": null,
        "latest_activity": {
            "object": "session_activity", "id": format!("sess_act_{id}"), "device_type": "iPhone",
            "is_mobile": mobile, "browser_name": browser, "browser_version": "17.1",
            "ip_address": "203.0.113.9", "city": "Lisbon", "country": "PT"
        }
    })
}

/// What the engine holds about identity and sessions (the exported state without the id
/// counters, which every command moves).
fn state(h: &Harness) -> clerk_core::PersistedState {
    let mut state = h.client.export();
    state.next_request_id = 0;
    state.next_op_id = 0;
    state
}

fn refused(h: &mut Harness, command: SessionCommand) -> CommandError {
    let before = h.client.export();
    let Err(error) = h.client.submit(command.into(), h.now) else { panic!("accepted") };
    assert_eq!(h.client.export(), before, "a refused command changes nothing, counters included");
    assert!(h.poll_request().is_none(), "a refused command sends nothing");
    error
}

fn revoked(h: &mut Harness, op: clerk_core::OpId) -> (SessionStatus, bool) {
    match h.expect_success(op) {
        Completion::SessionRevoked { session, on_this_client } => {
            assert!(session.last_active_token.is_none(), "the outcome holds no token");
            (session.status.clone().unwrap_or_else(|| SessionStatus::from("none")), on_this_client)
        }
        other => panic!("{other:?}"),
    }
}

fn signed_out_events(h: &Harness) -> Vec<&Event> {
    h.events.iter().filter(|e| matches!(e, Event::SignedOut { .. } | Event::ActiveSessionChanged { .. })).collect()
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

#[test]
fn listing_is_a_get_sent_as_the_active_session() {
    let mut h = signed_in();
    let _ = h.submit(SessionCommand::ActiveSessions);
    let request = h.expect_request();
    assert_eq!(request.kind, clerk_core::RequestKind::MeSessionsActive);
    golden::check(
        &request.request,
        &Golden {
            method: Method::Get,
            path: "/v1/me/sessions/active",
            query: ME_QUERY.to_vec(),
            headers: GET_HEADERS.to_vec(),
            body: None,
        },
    );
}

#[test]
fn revoking_is_a_post_without_body_sent_as_the_active_session() {
    let mut h = signed_in();
    let _ = h.submit(SessionCommand::Revoke { session_id: "sess_2".into() });
    let request = h.expect_request();
    assert_eq!(request.kind, clerk_core::RequestKind::MeSessionRevoke);
    golden::check(
        &request.request,
        &Golden {
            method: Method::Post,
            path: "/v1/me/sessions/sess_2/revoke",
            query: ME_QUERY.to_vec(),
            headers: POST_HEADERS.to_vec(),
            body: Some(""),
        },
    );
}

#[test]
fn revoke_ids_are_percent_encoded_and_hostile_ones_refused() {
    let mut h = signed_in();
    let _ = h.submit(SessionCommand::Revoke { session_id: "sess_?a=b#c&é".into() });
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/me/sessions/sess_%3Fa%3Db%23c%26%C3%A9/revoke");
    clerk_tests::spec::assert_conforms(&request.request);
    h.respond_json(&request, 404, &error_json("resource_not_found", None));
    for (id, why) in [
        ("a/b", InvalidIdError::ForbiddenCharacter { character: '/' }),
        ("..", InvalidIdError::DotSegment),
        ("", InvalidIdError::Empty),
    ] {
        assert_eq!(refused(&mut h, SessionCommand::Revoke { session_id: id.into() }), CommandError::InvalidId(why));
    }
}

// ---------------------------------------------------------------------------------------
// Legality
// ---------------------------------------------------------------------------------------

#[test]
fn both_are_refused_without_a_signed_in_active_session() {
    let not_active = |command: &'static str| CommandError::NoActiveSession { command };
    // A fresh client, and one whose only session has ended.
    for mut h in [Harness::new(), Harness::signed_in(&client_json(&[("sess_1", "ended")], Some("sess_1"), 1))] {
        assert!(h.client.active_session().is_none());
        assert_eq!(refused(&mut h, SessionCommand::ActiveSessions), not_active("active_sessions"));
        assert_eq!(refused(&mut h, SessionCommand::Revoke { session_id: "sess_2".into() }), not_active("revoke"));
        assert!(h.events.is_empty());
    }
    // After signing out.
    let mut h = signed_in();
    let op = h.submit(SessionCommand::SignOut { session_id: None });
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": client_json(&[], None, 2), "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(refused(&mut h, SessionCommand::ActiveSessions), not_active("active_sessions"));
}

#[test]
fn revoke_is_mutating_and_listing_is_not() {
    let mut h = signed_in();
    let _touch = h.submit(SessionCommand::Touch { session_id: "sess_1".into(), intent: Some(TouchIntent::Focus) });
    let revoke = h.client.submit(SessionCommand::Revoke { session_id: "sess_2".into() }.into(), h.now);
    assert!(matches!(revoke, Err(CommandError::Busy { flow: Flow::Session, .. })), "{revoke:?}");
    // A read goes in beside the touch.
    let _list = h.submit(SessionCommand::ActiveSessions);
}

// ---------------------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------------------

#[test]
fn the_list_marks_this_clients_sessions_and_changes_nothing() {
    let mut h = signed_in();
    let before = state(&h);
    let op = h.submit(SessionCommand::ActiveSessions);
    let request = h.expect_request();
    let body = json!([active_json("sess_1", "clerk-rs", true), active_json("sess_2", "Chrome", false)]);
    h.respond_json(&request, 200, &body);
    let Completion::ActiveSessions(sessions) = h.expect_success(op) else { panic!("not a list") };
    assert_eq!(sessions.len(), 2);
    let (mine, other) = (&sessions[0], &sessions[1]);
    assert_eq!((mine.id(), mine.on_this_client, mine.current), ("sess_1", true, true));
    assert_eq!((other.id(), other.on_this_client, other.current), ("sess_2", false, false));
    let activity = other.session.latest_activity.as_ref().expect("activity");
    assert_eq!(activity.browser_name.as_deref(), Some("Chrome"));
    assert_eq!(activity.ip_address.as_deref(), Some("203.0.113.9"));
    assert!(!activity.is_mobile);
    assert_eq!(other.session.status, Some(SessionStatus::Active));
    assert!(other.session.last_active_at.is_some() && other.session.expire_at.is_some());
    assert_eq!(state(&h), before, "a read changes nothing");
    assert_eq!(h.events.len(), 1, "only the completion: {:?}", h.events);
    assert_eq!(h.client.sessions().len(), 1);
}

#[test]
fn the_list_is_read_from_an_envelope_too_and_its_client_is_not_applied() {
    let mut h = signed_in();
    let before = state(&h);
    let op = h.submit(SessionCommand::ActiveSessions);
    let request = h.expect_request();
    let stranger = client_json(&[("sess_9", "active")], Some("sess_9"), 50);
    h.respond_json(
        &request,
        200,
        &json!({ "response": [active_json("sess_2", "Firefox", false)], "client": stranger }),
    );
    let Completion::ActiveSessions(sessions) = h.expect_success(op) else { panic!("not a list") };
    assert_eq!(sessions.iter().map(|s| s.id()).collect::<Vec<_>>(), ["sess_2"]);
    assert_eq!(state(&h), before);
}

#[test]
fn an_empty_list_is_a_list() {
    let mut h = signed_in();
    let op = h.submit(SessionCommand::ActiveSessions);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!([]));
    assert_eq!(h.expect_success(op), Completion::ActiveSessions(Vec::new()));
}

#[test]
fn undecodable_lists_fail_and_change_nothing() {
    let bodies: [&[u8]; 8] = [
        b"<html>oops</html>",
        b"null",
        b"{}",
        b"{\"response\":null}",
        b"[{\"status\":\"active\"}]",
        b"[\"sess_1\"]",
        b"[{\"id\":\"sess_1\",\"last_active_at\":\"yesterday\"}]",
        b"\xff\xfe",
    ];
    for body in bodies {
        let mut h = signed_in();
        let before = state(&h);
        let op = h.submit(SessionCommand::ActiveSessions);
        let request = h.expect_request();
        h.respond(&request, clerk_core::HttpResponse::new(200, [("content-type", "text/html")], body.to_vec()));
        let error = h.expect_failure(op);
        assert!(matches!(error, OperationError::Response(ResponseError::Undecodable { .. })), "{error:?}");
        assert_eq!(state(&h), before, "{body:?}");
        assert!(h.client.cached_session_token("sess_1").is_some());
        assert_eq!(h.events.len(), 1, "only the completion");
    }
}

#[test]
fn a_failed_list_is_retried_as_any_get() {
    let mut h = signed_in();
    let op = h.submit(SessionCommand::ActiveSessions);
    let request = h.expect_request();
    h.respond_json(&request, 503, &error_json("service_unavailable", None));
    assert!(h.poll_request().is_none());
    h.advance(time::Duration::seconds(30));
    let retry = h.expect_request();
    assert_eq!(retry.request.path, "/v1/me/sessions/active");
    assert_eq!(retry.request.query_value("_clerk_retry_attempt").map(|v| v.expose()), Some("1"));
    h.respond_json(&retry, 200, &json!([active_json("sess_1", "x", false)]));
    assert!(matches!(h.expect_success(op), Completion::ActiveSessions(list) if list.len() == 1));
}

// ---------------------------------------------------------------------------------------
// Revoking
// ---------------------------------------------------------------------------------------

#[test]
fn revoking_another_devices_session_leaves_this_client_as_it_was() {
    for with_client in [true, false] {
        let mut h = signed_in();
        let op = h.submit(SessionCommand::Revoke { session_id: "sess_2".into() });
        let request = h.expect_request();
        let client = if with_client { client_json(&[("sess_1", "active")], Some("sess_1"), 2) } else { Value::Null };
        h.respond_json(&request, 200, &json!({ "response": session_json("sess_2", "revoked"), "client": client }));
        assert_eq!(revoked(&mut h, op), (SessionStatus::Revoked, false));
        let ids: Vec<&str> = h.client.sessions().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["sess_1"], "the other device's session never joins this client");
        assert_eq!(h.client.active_session().map(|s| s.id.as_str()), Some("sess_1"));
        assert!(h.client.cached_session_token("sess_1").is_some(), "this session's token stays");
        assert!(signed_out_events(&h).is_empty(), "{:?}", h.events);
        assert!(!h.events.contains(&Event::SessionsChanged));
    }
}

#[test]
fn revoking_this_clients_own_session_signs_it_out_as_revoked() {
    // The piggybacked client lists it revoked, lists it no more, or there is none.
    let answers = [client_json(&[("sess_1", "revoked")], Some("sess_1"), 2), client_json(&[], None, 2), Value::Null];
    for client in answers {
        let mut h = signed_in();
        let op = h.submit(SessionCommand::Revoke { session_id: "sess_1".into() });
        let request = h.expect_request();
        let null_client = client.is_null();
        h.respond_json(&request, 200, &json!({ "response": session_json("sess_1", "revoked"), "client": client }));
        assert_eq!(revoked(&mut h, op), (SessionStatus::Revoked, true));
        assert!(h.client.active_session().is_none());
        assert!(h.client.cached_session_token("sess_1").is_none(), "its tokens are gone");
        assert_eq!(
            signed_out_events(&h),
            [
                &Event::SignedOut { reason: SignOutReason::SessionEnded { reason: SessionEndReason::Revoked } },
                &Event::ActiveSessionChanged { session_id: None },
            ],
            "{:?}",
            h.events
        );
        assert!(h.events.contains(&Event::SessionsChanged));
        if null_client {
            assert_eq!(h.client.session("sess_1").and_then(|s| s.status.clone()), Some(SessionStatus::Revoked));
        }
        // The SignedOut comes before the completion.
        let signed_out = h.events.iter().position(|e| matches!(e, Event::SignedOut { .. }));
        let completed = h.events.iter().position(|e| matches!(e, Event::OperationCompleted { .. }));
        assert!(signed_out < completed);
        // Nothing left that needs a session.
        assert!(h.client.submit(SessionCommand::ActiveSessions.into(), h.now).is_err());
    }
}

#[test]
fn a_piggybacked_client_still_listing_the_revoked_session_does_not_bring_it_back() {
    // The answer's session says revoked; the client beside it is older than the local one
    // (the stale gate rejects it) or, newer, still lists the session active with a token.
    let now = START.unix_timestamp();
    let mut stale_session = session_json("sess_1", "active");
    stale_session["last_active_token"] = json!({ "object": "token", "jwt": canned_jwt("sess_1", now, now + 60) });
    let answers =
        [client_of(vec![stale_session.clone()], Some("sess_1"), 0), client_of(vec![stale_session], Some("sess_1"), 2)];
    for client in answers {
        let mut h = signed_in();
        let op = h.submit(SessionCommand::Revoke { session_id: "sess_1".into() });
        let request = h.expect_request();
        h.respond_json(&request, 200, &json!({ "response": session_json("sess_1", "revoked"), "client": client }));
        assert_eq!(revoked(&mut h, op), (SessionStatus::Revoked, true));
        assert!(h.client.active_session().is_none());
        assert_eq!(h.client.session("sess_1").and_then(|s| s.status.clone()), Some(SessionStatus::Revoked));
        assert!(h.client.cached_session_token("sess_1").is_none(), "no token of a revoked session");
        assert_eq!(h.events.iter().filter(|e| matches!(e, Event::SignedOut { .. })).count(), 1, "{:?}", h.events);
        assert_eq!(h.events.iter().filter(|e| **e == Event::SessionsChanged).count(), 1, "{:?}", h.events);
        // A restart does not sign the revoked session back in.
        let restored = clerk_core::Client::restore(clerk_tests::harness::config(), h.client.export(), h.now)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(restored.active_session().is_none(), "restored as signed in");
        assert!(restored.cached_session_token("sess_1").is_none());
    }
}

#[test]
fn revoking_another_session_of_this_client_updates_it_without_signing_out() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_1"), 1));
    let op = h.submit(SessionCommand::Revoke { session_id: "sess_2".into() });
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": session_json("sess_2", "revoked"), "client": null }));
    assert_eq!(revoked(&mut h, op), (SessionStatus::Revoked, true));
    assert_eq!(h.client.session("sess_2").and_then(|s| s.status.clone()), Some(SessionStatus::Revoked));
    assert_eq!(h.client.active_session().map(|s| s.id.as_str()), Some("sess_1"));
    assert!(signed_out_events(&h).is_empty());
}

#[test]
fn a_session_signed_out_here_while_its_revoke_was_on_the_wire_is_still_this_clients() {
    // The revoke of `sess_2` goes out; before its answer, the user signs `sess_2` out of this
    // client. The answer is about a session this client held: the outcome says so, and the
    // signed-out session does not come back.
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_1"), 1));
    let op = h.submit(SessionCommand::Revoke { session_id: "sess_2".into() });
    let request = h.expect_request();
    let _ = h.submit(SessionCommand::SignOut { session_id: Some("sess_2".into()) });
    assert!(h.client.session("sess_2").is_none(), "signed out locally at once");
    h.respond_json(&request, 200, &json!({ "response": session_json("sess_2", "revoked"), "client": null }));
    assert_eq!(revoked(&mut h, op), (SessionStatus::Revoked, true));
    assert!(h.client.session("sess_2").is_none(), "the revoke's answer does not bring it back");
    assert_eq!(h.client.active_session().map(|s| s.id.as_str()), Some("sess_1"));
}

#[test]
fn undecodable_revoke_answers_fail_and_change_nothing() {
    let bodies: [&[u8]; 6] = [
        b"<html><body>Bad gateway</body></html>",
        b"",
        b"{\"response\":null,\"client\":null}",
        b"{\"client\":null}",
        b"{\"response\":[],\"client\":null}",
        b"{\"response\":{\"status\":\"revoked\"}}",
    ];
    for body in bodies {
        let mut h = signed_in();
        let before = state(&h);
        let op = h.submit(SessionCommand::Revoke { session_id: "sess_1".into() });
        let request = h.expect_request();
        h.respond(&request, clerk_core::HttpResponse::new(200, [("content-type", "text/html")], body.to_vec()));
        let error = h.expect_failure(op);
        assert!(matches!(error, OperationError::Response(ResponseError::Undecodable { .. })), "{error:?}");
        assert_eq!(state(&h), before);
        assert!(h.client.cached_session_token("sess_1").is_some());
        assert!(signed_out_events(&h).is_empty());
    }
}

#[test]
fn a_revoke_answer_about_another_session_fails_and_changes_nothing() {
    // Asked to revoke another device's session, the answer names this client's own: it
    // signs nothing out here.
    let mut h = signed_in();
    let before = state(&h);
    let op = h.submit(SessionCommand::Revoke { session_id: "sess_2".into() });
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": session_json("sess_1", "revoked"), "client": null }));
    let error = h.expect_failure(op);
    assert!(matches!(error, OperationError::Response(ResponseError::Undecodable { .. })), "{error:?}");
    assert_eq!(state(&h), before);
    assert_eq!(h.client.active_session().map(|s| s.id.as_str()), Some("sess_1"));
    assert!(signed_out_events(&h).is_empty(), "{:?}", h.events);
}

#[test]
fn revoke_is_never_repeated_by_itself() {
    let mut h = signed_in();
    let op = h.submit(SessionCommand::Revoke { session_id: "sess_2".into() });
    let request = h.expect_request();
    h.respond_json(&request, 503, &error_json("service_unavailable", None));
    assert!(matches!(h.expect_failure(op), OperationError::Api(e) if e.status == 503));
    h.advance(time::Duration::seconds(60));
    assert!(h.poll_request().is_none());
}

// ---------------------------------------------------------------------------------------
// Errors (fapi.md §2.4: `/v1/me` requests are not session requests)
// ---------------------------------------------------------------------------------------

#[test]
fn a_401_refreshes_the_client_which_rechecks_the_active_session() {
    let mut h = signed_in();
    let op = h.submit(SessionCommand::ActiveSessions);
    let request = h.expect_request();
    h.respond_json(&request, 401, &error_json("authentication_invalid", None));
    assert!(matches!(h.expect_failure(op), OperationError::Api(e) if e.status == 401));
    let refresh = h.expect_request();
    assert_eq!((refresh.request.method, refresh.request.path.as_str()), (Method::Get, "/v1/client"));
    // The server says the session was revoked elsewhere.
    h.respond_json(
        &refresh,
        200,
        &json!({ "response": client_json(&[("sess_1", "revoked")], Some("sess_1"), 5), "client": null }),
    );
    let _ = h.drain();
    assert!(
        h.events
            .contains(&Event::SignedOut { reason: SignOutReason::SessionEnded { reason: SessionEndReason::Revoked } })
    );
    assert!(h.client.active_session().is_none());
}

#[test]
fn a_404_403_or_422_only_fails_the_operation() {
    for (status, code) in [(404, "resource_not_found"), (403, "user_banned"), (422, "form_param_invalid")] {
        for command in [SessionCommand::Revoke { session_id: "sess_2".into() }, SessionCommand::ActiveSessions] {
            let mut h = signed_in();
            let before = state(&h);
            let op = h.submit(command.clone());
            let request = h.expect_request();
            h.respond_json(&request, status, &error_json(code, None));
            match h.expect_failure(op) {
                OperationError::Api(error) => assert_eq!(error.status, status),
                other => panic!("{other:?}"),
            }
            assert!(h.poll_request().is_none(), "{code} on {command:?}: no refresh");
            assert_eq!(state(&h), before, "{code} on {command:?}");
            assert!(h.client.cached_session_token("sess_1").is_some());
            assert!(signed_out_events(&h).is_empty());
        }
    }
}

#[test]
fn an_errors_piggybacked_client_goes_through_the_stale_gate() {
    let mut h = signed_in();
    let op = h.submit(SessionCommand::Revoke { session_id: "sess_2".into() });
    let request = h.expect_request();
    let newer = client_json(&[("sess_1", "active"), ("sess_3", "active")], Some("sess_1"), 9);
    h.respond_json(&request, 404, &error_json("resource_not_found", Some(&newer)));
    let _ = h.expect_failure(op);
    assert_eq!(h.client.sessions().len(), 2);
    assert_eq!(h.client.active_session().map(|s| s.id.as_str()), Some("sess_1"));
}

#[test]
fn sign_out_supersedes_a_pending_list_and_its_late_answer_changes_nothing() {
    let mut h = signed_in();
    let list = h.submit(SessionCommand::ActiveSessions);
    let request = h.expect_request();
    let sign_out = h.submit(SessionCommand::SignOut { session_id: None });
    assert_eq!(h.outcome(list), Some(Err(OperationError::Superseded)));
    h.respond_json(&request, 200, &json!([active_json("sess_1", "x", false)]));
    let delete = h.expect_request();
    h.respond_json(&delete, 200, &json!({ "response": client_json(&[], None, 3), "client": null }));
    let _ = h.expect_success(sign_out);
    assert!(h.client.active_session().is_none());
}
