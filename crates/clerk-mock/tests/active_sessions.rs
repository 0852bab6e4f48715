//! `/v1/me/sessions/active` and `/v1/me/sessions/{id}/revoke` over loopback: one user signed
//! in on two clients (two devices), each seeing both, one revoking the other.

mod support;

use clerk_mock::UserSpec;
use serde_json::Value;
use support::{Native, assert_ms};

const PASSWORD: &str = "correct horse battery";

/// A client signed in as ada; returns it and its session id.
fn signed_in(base: &str) -> (Native, String) {
    let mut native = Native::new(base);
    let done = native.post(
        "/v1/client/sign_ins",
        &[("strategy", "password"), ("identifier", "ada@example.com"), ("password", PASSWORD)],
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let session = done.body["response"]["created_session_id"].as_str().expect("a session").to_owned();
    (native, session)
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().expect("an unwrapped array").iter().filter_map(|s| s["id"].as_str()).collect()
}

#[test]
fn each_device_lists_both_sessions_and_a_revoked_one_is_gone_for_its_own_client() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("ada@example.com").password(PASSWORD));
    let (mut laptop, laptop_session) = signed_in(&mock.base_url());
    let (mut phone, phone_session) = signed_in(&mock.base_url());
    assert_ne!(laptop_session, phone_session);

    let listed = laptop.get(&format!("/v1/me/sessions/active?_clerk_session_id={laptop_session}"));
    assert_eq!(listed.status, 200, "{}", listed.body);
    let mut seen = ids(&listed.body);
    seen.sort_unstable();
    let mut expected = vec![laptop_session.as_str(), phone_session.as_str()];
    expected.sort_unstable();
    assert_eq!(seen, expected);
    for session in listed.body.as_array().expect("array") {
        assert_eq!(session["object"], "session");
        assert_eq!(session["status"], "active");
        assert!(session.get("last_active_token").is_none(), "no other device's token: {session}");
        for field in ["expire_at", "abandon_at", "last_active_at"] {
            assert_ms(&session[field]);
        }
        let activity = &session["latest_activity"];
        assert_eq!(activity["object"], "session_activity");
        assert!(activity["id"].is_string());
        // The test client is ureq (`User-Agent: ureq/…`) and sends `x-mobile: 1`.
        assert_eq!(activity["browser_name"], "ureq");
        assert_eq!(activity["is_mobile"], true);
        assert!(activity["ip_address"].is_string() && activity["country"].is_string());
    }

    // Without `_clerk_session_id` the client's last active session is the requester.
    assert_eq!(ids(&phone.get("/v1/me/sessions/active").body).len(), 2);

    let revoked =
        laptop.post(&format!("/v1/me/sessions/{phone_session}/revoke?_clerk_session_id={laptop_session}"), &[]);
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["response"]["id"], phone_session.as_str());
    assert_eq!(revoked.body["response"]["status"], "revoked");
    assert_eq!(revoked.body["response"]["last_active_token"], Value::Null);
    let laptop_client = &revoked.body["client"];
    let laptop_sessions: Vec<&str> =
        laptop_client["sessions"].as_array().expect("sessions").iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(laptop_sessions, [laptop_session.as_str()], "the requesting client's own client rides along");
    assert_eq!(mock.session_status(&phone_session).as_deref(), Some("revoked"));

    // The phone finds its session gone on its next requests.
    let reloaded = phone.get("/v1/client");
    assert_eq!(reloaded.body["response"]["sessions"][0]["status"], "revoked");
    assert_eq!(reloaded.body["response"]["last_active_session_id"], Value::Null);
    let token = phone.post(&format!("/v1/client/sessions/{phone_session}/tokens"), &[("organization_id", "")]);
    assert_eq!(token.status, 401);
    assert_eq!(token.body["errors"][0]["code"], "authentication_invalid");
    let refused = phone.get(&format!("/v1/me/sessions/active?_clerk_session_id={phone_session}"));
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["errors"][0]["code"], "authentication_invalid");

    // The laptop now sees only itself; revoking again leaves the session as it is.
    let listed = laptop.get(&format!("/v1/me/sessions/active?_clerk_session_id={laptop_session}"));
    assert_eq!(ids(&listed.body), [laptop_session.as_str()]);
    let again = laptop.post(&format!("/v1/me/sessions/{phone_session}/revoke?_clerk_session_id={laptop_session}"), &[]);
    assert_eq!((again.status, &again.body["response"]["status"]), (200, &Value::from("revoked")));
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}

#[test]
fn other_users_sessions_and_unknown_ids_are_not_found_and_strangers_are_unauthenticated() {
    let mock = support::mock();
    mock.add_user(UserSpec::with_email("ada@example.com").password(PASSWORD));
    mock.add_user(UserSpec::with_email("bob@example.com").password(PASSWORD));
    let (mut ada, ada_session) = signed_in(&mock.base_url());
    let mut bob = Native::new(&mock.base_url());
    let done = bob.post(
        "/v1/client/sign_ins",
        &[("strategy", "password"), ("identifier", "bob@example.com"), ("password", PASSWORD)],
    );
    let bob_session = done.body["response"]["created_session_id"].as_str().expect("a session").to_owned();

    assert_eq!(ids(&bob.get("/v1/me/sessions/active").body), [bob_session.as_str()], "only bob's own");
    for target in [ada_session.as_str(), "sess_nobody"] {
        let refused = bob.post(&format!("/v1/me/sessions/{target}/revoke"), &[]);
        assert_eq!(refused.status, 404, "{target}");
        assert_eq!(refused.body["errors"][0]["code"], "resource_not_found");
    }
    assert_eq!(mock.session_status(&ada_session).as_deref(), Some("active"));

    // A client without a session, and no client at all.
    let mut stranger = Native::new(&mock.base_url());
    assert_eq!(stranger.get("/v1/me/sessions/active").status, 401);
    let created = stranger.post("/v1/client", &[]);
    assert_eq!(created.status, 200);
    assert_eq!(stranger.post(&format!("/v1/me/sessions/{ada_session}/revoke"), &[]).status, 401);
    // A session id of another client is no way in.
    assert_eq!(stranger.get(&format!("/v1/me/sessions/active?_clerk_session_id={ada_session}")).status, 401);
    assert_eq!(ada.get("/v1/me/sessions/active").status, 200);
    assert!(mock.violations().is_empty(), "{:?}", mock.violations());
}
