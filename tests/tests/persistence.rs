//! export → restore (design §7.11): every view survives except the session-token cache;
//! foreign or unknown states are typed errors.

use clerk_core::{Client, ClientConfig, PERSISTED_STATE_VERSION, PersistedState, RestoreError};
use clerk_tests::harness::{Harness, START, client_json, config, session_json, sign_in_json};
use serde_json::json;

fn rich_client() -> serde_json::Value {
    let mut session = session_json("sess_2", "active");
    let jwt = clerk_tests::canned_jwt("sess_2", START.unix_timestamp(), START.unix_timestamp() + 60);
    session["last_active_token"] = json!({ "object": "token", "jwt": jwt });
    let mut client = client_json(&[("sess_1", "ended"), ("sess_3", "pending")], Some("sess_2"), 4);
    if let Some(sessions) = client["sessions"].as_array_mut() {
        sessions.push(session);
    }
    client["sign_in"] = sign_in_json("sia_1", "needs_second_factor");
    client["last_authentication_strategy"] = json!("password");
    client
}

#[test]
fn export_then_restore_preserves_every_view_but_tokens() {
    let mut h = Harness::signed_in(&rich_client());
    let op = h.submit(clerk_core::ClientCommand::LoadEnvironment);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "auth_config": { "single_session_mode": false }, "display_config": { "instance_environment_type": "development" } }));
    let _ = h.expect_success(op);
    let original = h.client.clone();
    assert!(original.cached_session_token("sess_2").is_some());

    let bytes = original.export().to_json();
    let state = PersistedState::from_json(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state, original.export(), "the JSON round trip is exact");
    let restored = Client::restore(config(), state, START).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(restored.client(), original.client());
    assert_eq!(restored.environment(), original.environment());
    assert_eq!(restored.sessions(), original.sessions());
    assert_eq!(restored.active_session_id(), Some("sess_2"));
    assert_eq!(restored.sign_in(), original.sign_in());
    assert_eq!(restored.client_token(), original.client_token());
    assert_eq!(restored.last_authentication_strategy(), Some("password"));
    assert_eq!(restored.epoch(), original.epoch());
    // The same state, but for the ids, which go on past every id handed out since the
    // last save (design §7.11: they never repeat across restarts).
    let mut expected = original.export();
    expected.next_request_id += clerk_core::IDS_SKIPPED_AT_RESTORE;
    expected.next_op_id += clerk_core::IDS_SKIPPED_AT_RESTORE;
    assert_eq!(restored.export(), expected);
    assert!(restored.cached_session_token("sess_2").is_none(), "session JWTs are never persisted");
}

#[test]
fn restore_refuses_another_host() {
    let state = Harness::signed_in(&client_json(&[], None, 1)).client.export();
    let other = ClientConfig::from_publishable_key("pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        Client::restore(other, state, START).err(),
        Some(RestoreError::WrongHost {
            expected: "fake-clerk-test.clerk.accounts.dev".into(),
            found: "foo-bar-13.clerk.accounts.dev".into()
        })
    );
}

/// A base-URL override (a local mock) is another endpoint: the state stored for the key's
/// instance, client token and all, is refused there rather than sent to it (decision 0012).
#[test]
fn a_state_stored_for_the_instance_is_not_restored_against_a_base_url_override() {
    let state = Harness::signed_in(&client_json(&[], None, 1)).client.export();
    assert!(state.client_token.is_some(), "the state holds a client token");
    let mock = config().with_base_url("http://127.0.0.1:4010").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        Client::restore(mock.clone(), state, START).err(),
        Some(RestoreError::WrongHost {
            expected: "127.0.0.1:4010".into(),
            found: "foo-bar-13.clerk.accounts.dev".into()
        })
    );
    // What the override's own client saves is restored there.
    let own = Client::new(mock.clone(), START).export();
    assert!(Client::restore(mock, own, START).is_ok());
}

#[test]
fn restore_refuses_unknown_versions_and_garbage() {
    let mut state = Harness::new().client.export();
    state.version = PERSISTED_STATE_VERSION + 1;
    assert!(matches!(Client::restore(config(), state.clone(), START), Err(RestoreError::UnsupportedVersion { .. })));
    assert!(matches!(PersistedState::from_json(&state.to_json()), Err(RestoreError::UnsupportedVersion { .. })));
    for garbage in [
        &b""[..],
        b"null",
        b"[]",
        b"{\"version\":1}",
        b"{\"version\":\"1\"}",
        b"\xff\xfe",
        b"{\"version\":1,\"frontend_api_host\":5}",
    ] {
        assert!(matches!(PersistedState::from_json(garbage), Err(RestoreError::Malformed(_))), "{garbage:?}");
    }
}

#[test]
fn a_restored_active_session_must_still_be_signed_in() {
    let mut state = Harness::signed_in(&client_json(&[("sess_1", "ended")], None, 1)).client.export();
    state.active_session_id = Some("sess_1".into());
    let restored = Client::restore(config(), state, START).unwrap_or_else(|e| panic!("{e}"));
    assert!(restored.active_session_id().is_none());
}

#[test]
fn adopting_another_programs_state_never_hands_out_an_operation_id_again() {
    // This engine has run a few operations; the other program's state was exported by an
    // engine that ran fewer.
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let mut last = None;
    for _ in 0..3 {
        let op = h.submit(clerk_core::ClientCommand::Reload);
        let request = h.expect_request();
        h.respond_json(&request, 200, &json!({ "response": client_json(&[("sess_1", "active")], Some("sess_1"), 2) }));
        let _ = h.expect_success(op);
        last = Some(op);
    }
    let other = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1)).client.export();
    assert!(other.next_op_id <= h.client.export().next_op_id, "the other program is behind");

    h.client.adopt(Some(other), START).unwrap_or_else(|e| panic!("{e}"));
    while h.client.poll_event().is_some() {}
    let next = h.submit(clerk_core::ClientCommand::Reload);
    assert!(Some(next) > last, "{next:?} after {last:?}: an id already reported is never reused");
}
