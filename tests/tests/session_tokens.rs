//! Session tokens in virtual time (fapi.md §3.5.4, §6.4; design §7.2, §7.5, §7.10): the
//! cache and its lookup leeway, the proactive refresh deadline, life counted from arrival,
//! shared fetches, keys, freshness of piggybacked tokens, malformed tokens, the
//! `missing_expired_token` retry, automatic retries, and never persisting a JWT.

use clerk_core::secret::SessionJwt;
use clerk_core::wire::ErrorCode;
use clerk_core::{
    ApiError, Command, Completion, Event, HttpResponse, OperationError, OrganizationChoice, RequestKind, ResponseError,
    RetryPolicy, SessionCommand, SignOutReason, TokenRequest, TransportError,
};
use clerk_tests::canned_jwt;
use clerk_tests::harness::{Harness, START, client_json, client_of, config, error_json, session_json};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const LIFETIME: i64 = 60;

fn secs(n: i64) -> Duration {
    Duration::seconds(n)
}

fn unix(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

/// A client with `sess_1` active carrying `jwt` as its piggybacked token.
fn client_with_token(jwt: Option<&str>, updated_seconds: i64) -> Value {
    let mut session = session_json("sess_1", "active");
    if let Some(jwt) = jwt {
        session["last_active_token"] = json!({ "object": "token", "jwt": jwt });
    }
    let mut client = client_json(&[], Some("sess_1"), updated_seconds);
    client["sessions"] = json!([session]);
    client
}

/// Signed in, `sess_1` active, with a piggybacked 60 s token issued at `iat` (engine time
/// [`START`] when it arrives).
fn signed_in_with_token_issued(iat: i64) -> (Harness, String) {
    let jwt = canned_jwt("sess_1", iat, iat + LIFETIME);
    (Harness::signed_in(&client_with_token(Some(&jwt), 1)), jwt)
}

fn signed_in_with_token() -> (Harness, String) {
    signed_in_with_token_issued(unix(START))
}

fn signed_in_without_token() -> Harness {
    Harness::signed_in(&client_with_token(None, 1))
}

fn get_token(request: TokenRequest) -> Command {
    Command::Session(SessionCommand::GetToken(request))
}

fn default_token() -> Command {
    get_token(TokenRequest::default())
}

fn token_body(jwt: &str) -> Value {
    json!({ "object": "token", "jwt": jwt })
}

fn token_of(completion: Completion) -> String {
    match completion {
        Completion::SessionToken(jwt) => jwt.expose().to_owned(),
        other => panic!("expected a session token, got {other:?}"),
    }
}

/// Base64url without padding, for hand-made JWT headers.
fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * k)) & 0x3f) as usize]));
        }
    }
    out
}

/// A session JWT with an `oiat` header (origin-issued-at).
fn jwt_with_oiat(sid: &str, oiat: i64, iat: i64, exp: i64) -> String {
    let header = format!(r#"{{"alg":"RS256","typ":"JWT","oiat":{oiat}}}"#);
    let claims = format!(r#"{{"sid":"{sid}","iat":{iat},"exp":{exp}}}"#);
    format!("{}.{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()), b64url(b"sig"))
}

// ---------------------------------------------------------------------------------------
// Cache and leeway
// ---------------------------------------------------------------------------------------

#[test]
fn a_cached_token_is_served_at_once_until_its_lookup_leeway() {
    let (mut h, jwt) = signed_in_with_token();
    for at in [0, 30, 54] {
        h.now = START + secs(at);
        let op = h.submit(default_token());
        // Complete at once: the outcome is there before anything is sent.
        assert_eq!(token_of(h.expect_success(op)), jwt, "at +{at}s");
        assert!(h.poll_request().is_none(), "no request for a cache hit at +{at}s");
    }
    h.now = START + secs(54) + Duration::milliseconds(999);
    let op = h.submit(default_token());
    assert_eq!(token_of(h.expect_success(op)), jwt, "5.001 s left is more than the leeway");

    // 5 s left is not more than the 5 s leeway: fetch.
    h.now = START + secs(55);
    let op = h.submit(default_token());
    assert!(h.outcome(op).is_none(), "a lookup at the leeway waits for a fetch");
    let request = h.expect_request();
    assert_eq!(request.kind, RequestKind::SessionToken);
    assert_eq!(request.request.path, "/v1/client/sessions/sess_1/tokens");
    let fresh = canned_jwt("sess_1", unix(START) + 55, unix(START) + 55 + LIFETIME);
    h.respond_json(&request, 200, &token_body(&fresh));
    assert_eq!(token_of(h.expect_success(op)), fresh);
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(fresh.as_str()));
    assert!(h.events.contains(&Event::SessionTokenRefreshed { session_id: "sess_1".into(), template: None }));
}

#[test]
fn the_lookup_leeway_is_a_setting() {
    let config = config().with_token_lookup_leeway(secs(20)).unwrap_or_else(|e| panic!("{e}"));
    let jwt = canned_jwt("sess_1", unix(START), unix(START) + LIFETIME);
    let mut state = clerk_core::Client::new(config.clone(), START).export();
    state.client_token = Some(clerk_core::secret::ClientToken::new("token-1"));
    let client = clerk_core::Client::restore(config, state, START).unwrap_or_else(|e| panic!("{e}"));
    let mut h = Harness::from_client(client, START);
    let op = h.client.reload(START);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": client_with_token(Some(&jwt), 1), "client": null }));
    let _ = h.expect_success(op);
    h.now = START + secs(39);
    let op = h.submit(default_token());
    assert_eq!(token_of(h.expect_success(op)), jwt);
    h.now = START + secs(40);
    let _ = h.submit(default_token());
    assert_eq!(h.expect_request().kind, RequestKind::SessionToken);
}

#[test]
fn skip_cache_fetches_even_when_a_token_is_usable() {
    let (mut h, _) = signed_in_with_token();
    let op = h.submit(get_token(TokenRequest { skip_cache: true, ..TokenRequest::default() }));
    let request = h.expect_request();
    assert_eq!(request.request.query_value("debug").map(|v| v.expose()), Some("skip_cache"));
    let fresh = canned_jwt("sess_1", unix(START) + 1, unix(START) + 61);
    h.respond_json(&request, 200, &token_body(&fresh));
    assert_eq!(token_of(h.expect_success(op)), fresh);
}

// ---------------------------------------------------------------------------------------
// Proactive refresh
// ---------------------------------------------------------------------------------------

#[test]
fn a_fetched_token_is_refreshed_17_seconds_before_it_expires() {
    let mut h = signed_in_without_token();
    h.now = START + secs(2);
    let op = h.submit(default_token());
    let request = h.expect_request();
    let first = canned_jwt("sess_1", unix(START) + 2, unix(START) + 2 + LIFETIME);
    h.respond_json(&request, 200, &token_body(&first));
    assert_eq!(token_of(h.expect_success(op)), first);
    let deadline = START + secs(2 + LIFETIME - 17);
    assert_eq!(h.client.poll_timeout(), Some(deadline));

    // Nothing happens before the deadline.
    h.advance(deadline - h.now - Duration::milliseconds(1));
    assert!(h.poll_request().is_none());

    h.clear_events();
    h.advance(Duration::milliseconds(1));
    let refresh = h.expect_request();
    assert_eq!(refresh.kind, RequestKind::SessionToken);
    assert_eq!(refresh.request.path, "/v1/client/sessions/sess_1/tokens");
    assert_eq!(refresh.request.body(), "organization_id=");
    assert!(h.poll_request().is_none(), "exactly one refresh request");
    // The old token is served while the refresh is on the wire.
    let op = h.submit(default_token());
    assert_eq!(token_of(h.expect_success(op)), first);

    let second = canned_jwt("sess_1", unix(deadline), unix(deadline) + LIFETIME);
    h.respond_json(&refresh, 200, &token_body(&second));
    let _ = h.drain();
    assert!(h.events.contains(&Event::SessionTokenRefreshed { session_id: "sess_1".into(), template: None }));
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(second.as_str()));
    // The next deadline counts from the new token's arrival.
    assert_eq!(h.client.poll_timeout(), Some(deadline + secs(LIFETIME - 17)));
}

#[test]
fn a_piggybacked_token_at_load_gets_a_refresh_deadline() {
    let (mut h, _) = signed_in_with_token();
    assert_eq!(h.client.poll_timeout(), Some(START + secs(LIFETIME - 17)));
    h.advance(secs(LIFETIME - 17));
    let refresh = h.expect_request();
    assert_eq!(refresh.kind, RequestKind::SessionToken);
}

#[test]
fn a_device_clock_hours_off_does_not_move_the_deadlines() {
    for offset_hours in [-5, 3] {
        let iat = unix(START) + offset_hours * 3600;
        // Token fetched through get_token: life counted from arrival at START + 1 s.
        let mut h = signed_in_without_token();
        h.now = START + secs(1);
        let op = h.submit(default_token());
        let request = h.expect_request();
        let jwt = canned_jwt("sess_1", iat, iat + LIFETIME);
        h.respond_json(&request, 200, &token_body(&jwt));
        assert_eq!(token_of(h.expect_success(op)), jwt, "a token hours away is still accepted");
        assert_eq!(h.client.poll_timeout(), Some(START + secs(1 + LIFETIME - 17)), "offset {offset_hours} h");
        h.now = START + secs(30);
        let op = h.submit(default_token());
        assert_eq!(token_of(h.expect_success(op)), jwt, "served from cache, offset {offset_hours} h");
        h.now = START + secs(56);
        let _ = h.submit(default_token());
        assert_eq!(h.expect_request().kind, RequestKind::SessionToken, "leeway from arrival, offset {offset_hours} h");
    }
}

#[test]
fn the_same_token_piggybacked_again_keeps_its_first_arrival() {
    // A reload 40 s later carries the very token that arrived at START: its life still
    // counts from START. (Counting from the second arrival would serve it after it expired.)
    let (mut h, jwt) = signed_in_with_token();
    h.now = START + secs(40);
    let op = h.submit(clerk_core::ClientCommand::Reload);
    let reload = h.expect_request();
    h.respond_json(&reload, 200, &json!({ "response": client_with_token(Some(&jwt), 2), "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(h.client.poll_timeout(), Some(START + secs(LIFETIME - 17)), "refresh deadline from the first arrival");
    h.now = START + secs(56);
    let _ = h.submit(default_token());
    assert_eq!(h.expect_request().kind, RequestKind::SessionToken, "not served from the cache past its life");
}

#[test]
fn a_token_handed_over_again_after_the_cache_forgot_it_is_not_served_past_its_life() {
    // `clear_cache` (or ending another session, which clears the cache too) forgets the
    // token; a reload 50 s later carries the very token issued at START. Its life still
    // runs from START: at START + 100 s it is 40 s dead and must be fetched again.
    let (mut h, jwt) = signed_in_with_token();
    h.now = START + secs(50);
    let _ = h.client.clear_cache(h.now);
    reload_with(&mut h, &jwt, 2);
    h.now = START + secs(100);
    let _ = h.submit(default_token());
    assert_eq!(h.expect_request().kind, RequestKind::SessionToken, "not served from the cache past its life");
}

#[test]
fn a_piggybacked_token_from_a_skewed_clock_gets_the_same_deadline() {
    for offset_hours in [-5, 3] {
        let (h, _) = signed_in_with_token_issued(unix(START) + offset_hours * 3600);
        assert_eq!(h.client.poll_timeout(), Some(START + secs(LIFETIME - 17)), "offset {offset_hours} h");
    }
}

#[test]
fn no_refresh_after_sign_out() {
    let mut h = signed_in_without_token();
    let op = h.submit(default_token());
    let request = h.expect_request();
    h.respond_json(&request, 200, &token_body(&canned_jwt("sess_1", unix(START), unix(START) + LIFETIME)));
    let _ = h.expect_success(op);
    assert!(h.client.poll_timeout().is_some());

    let sign_out = h.submit(SessionCommand::SignOut { session_id: None });
    assert_eq!(h.client.poll_timeout(), None, "no deadline after sign-out");
    let request = h.expect_request();
    assert_eq!(request.kind, RequestKind::ClientRemoveSessions);
    h.respond_json(&request, 200, &json!({ "response": client_json(&[], None, 2), "client": null }));
    let _ = h.expect_success(sign_out);
    h.advance(secs(LIFETIME));
    assert!(h.poll_request().is_none(), "no token request after sign-out");
    assert!(h.client.cached_session_token("sess_1").is_none());
}

// ---------------------------------------------------------------------------------------
// Concurrency and keys
// ---------------------------------------------------------------------------------------

#[test]
fn two_asks_for_the_same_key_share_one_request() {
    let mut h = signed_in_without_token();
    let first = h.submit(default_token());
    let second = h.submit(get_token(TokenRequest { session_id: Some("sess_1".into()), ..TokenRequest::default() }));
    let request = h.expect_request();
    assert!(h.poll_request().is_none(), "one request for both");
    let jwt = canned_jwt("sess_1", unix(START), unix(START) + LIFETIME);
    h.respond_json(&request, 200, &token_body(&jwt));
    assert!(h.poll_request().is_none());
    assert_eq!(token_of(h.expect_success(first)), jwt);
    assert_eq!(token_of(h.expect_success(second)), jwt);
}

#[test]
fn organizations_and_templates_are_different_keys() {
    let (mut h, personal) = signed_in_with_token();
    let now = unix(START);

    // Another organization: not the cached personal token.
    let org = h.submit(get_token(TokenRequest {
        organization: OrganizationChoice::Id("org_1".into()),
        ..TokenRequest::default()
    }));
    let request = h.expect_request();
    assert_eq!(request.request.body(), "organization_id=org_1");
    let org_jwt = canned_jwt("sess_1", now + 1, now + 61);
    h.respond_json(&request, 200, &token_body(&org_jwt));
    assert_eq!(token_of(h.expect_success(org)), org_jwt);

    // A template: neither of them.
    let template = h.submit(get_token(TokenRequest { template: Some("supabase".into()), ..TokenRequest::default() }));
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sessions/sess_1/tokens/supabase");
    let template_jwt = canned_jwt("sess_1", now + 2, now + 62);
    h.respond_json(&request, 200, &token_body(&template_jwt));
    assert_eq!(token_of(h.expect_success(template)), template_jwt);
    assert!(
        h.events
            .contains(&Event::SessionTokenRefreshed { session_id: "sess_1".into(), template: Some("supabase".into()) })
    );

    // Each key is now served from the cache with its own token.
    for (request, want) in [
        (TokenRequest::default(), &personal),
        (TokenRequest { organization: OrganizationChoice::Personal, ..TokenRequest::default() }, &personal),
        (TokenRequest { organization: OrganizationChoice::Id("org_1".into()), ..TokenRequest::default() }, &org_jwt),
        (TokenRequest { template: Some("supabase".into()), ..TokenRequest::default() }, &template_jwt),
    ] {
        let op = h.submit(get_token(request.clone()));
        assert_eq!(&token_of(h.expect_success(op)), want, "{request:?}");
        assert!(h.poll_request().is_none(), "{request:?}");
    }
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(personal.as_str()));
}

#[test]
fn asks_for_different_keys_do_not_share_a_request() {
    let mut h = signed_in_without_token();
    let a = h.submit(default_token());
    let b = h.submit(get_token(TokenRequest { template: Some("hasura".into()), ..TokenRequest::default() }));
    let first = h.expect_request();
    let jwt_a = canned_jwt("sess_1", unix(START), unix(START) + LIFETIME);
    h.respond_json(&first, 200, &token_body(&jwt_a));
    let second = h.expect_request();
    assert_eq!(second.request.path, "/v1/client/sessions/sess_1/tokens/hasura");
    let jwt_b = canned_jwt("sess_1", unix(START) + 1, unix(START) + 61);
    h.respond_json(&second, 200, &token_body(&jwt_b));
    assert_eq!(token_of(h.expect_success(a)), jwt_a);
    assert_eq!(token_of(h.expect_success(b)), jwt_b);
}

// ---------------------------------------------------------------------------------------
// Freshness of piggybacked tokens
// ---------------------------------------------------------------------------------------

fn reload_with(h: &mut Harness, jwt: &str, updated_seconds: i64) {
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    h.respond_json(
        &request,
        200,
        &json!({ "response": client_with_token(Some(jwt), updated_seconds), "client": null }),
    );
    let _ = h.expect_success(op);
}

#[test]
fn a_piggybacked_token_seeds_the_cache_and_an_older_one_never_regresses_it() {
    let now = unix(START);
    let mut h = signed_in_without_token();
    assert!(h.client.cached_session_token("sess_1").is_none());
    let newer = canned_jwt("sess_1", now + 10, now + 70);
    reload_with(&mut h, &newer, 2);
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(newer.as_str()));
    let op = h.submit(default_token());
    assert_eq!(token_of(h.expect_success(op)), newer, "seeded token served without a request");
    assert!(h.poll_request().is_none());

    // A later client carrying an older token (lower iat) keeps the newer one.
    let older = canned_jwt("sess_1", now, now + 60);
    reload_with(&mut h, &older, 3);
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(newer.as_str()));

    // An equally fresh or fresher one replaces it.
    let fresher = canned_jwt("sess_1", now + 20, now + 80);
    reload_with(&mut h, &fresher, 4);
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(fresher.as_str()));
}

#[test]
fn origin_issued_at_decides_freshness_before_iat() {
    let now = unix(START);
    let mut h = signed_in_without_token();
    let with_oiat = jwt_with_oiat("sess_1", now + 5, now + 5, now + 65);
    reload_with(&mut h, &with_oiat, 2);
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(with_oiat.as_str()));

    // No oiat loses to one with it, even with a greater iat.
    let without = canned_jwt("sess_1", now + 30, now + 90);
    reload_with(&mut h, &without, 3);
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(with_oiat.as_str()));

    // A lower oiat loses even with a greater iat.
    let lower = jwt_with_oiat("sess_1", now + 1, now + 40, now + 100);
    reload_with(&mut h, &lower, 4);
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(with_oiat.as_str()));

    // A greater oiat wins.
    let higher = jwt_with_oiat("sess_1", now + 9, now + 9, now + 69);
    reload_with(&mut h, &higher, 5);
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(higher.as_str()));
}

#[test]
fn a_malformed_piggybacked_token_is_dropped_without_failing_the_update() {
    let mut h = signed_in_without_token();
    reload_with(&mut h, "e30=.e30=.e30=", 2);
    assert!(h.client.cached_session_token("sess_1").is_none());
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

// ---------------------------------------------------------------------------------------
// Bad answers, retries
// ---------------------------------------------------------------------------------------

/// fapi.md §3.5.4 step 5 and §1.10: an answer without a usable JWT (an empty one, or one
/// whose claims cannot be read) is retried like a server error, within the retry policy's
/// attempts; what is left then fails the operation as undecodable, and nothing is cached.
#[test]
fn a_malformed_token_from_the_endpoint_is_retried_then_fails_and_caches_nothing() {
    for jwt in ["e30=.e30=.e30=", "not-a-jwt", ""] {
        let mut h = signed_in_without_token();
        let op = h.submit(default_token());
        let attempts = h.client.config().retry().max_attempts;
        for attempt in 1..=attempts {
            let request = loop {
                if let Some(request) = h.poll_request() {
                    break request;
                }
                let wake = h.client.poll_timeout().unwrap_or_else(|| panic!("{jwt:?}: no retry scheduled"));
                h.advance(wake - h.now);
            };
            assert_eq!(request.attempt, attempt, "{jwt:?}");
            assert!(h.outcome(op).is_none() || attempt == attempts, "{jwt:?}: failed before its last attempt");
            h.respond_json(&request, 200, &token_body(jwt));
        }
        match h.expect_failure(op) {
            OperationError::Response(ResponseError::Undecodable {
                kind: RequestKind::SessionToken,
                status: 200,
                ..
            }) => {}
            other => panic!("{jwt:?}: {other:?}"),
        }
        assert!(h.client.cached_session_token("sess_1").is_none(), "{jwt:?}");
        assert!(!h.events.iter().any(|e| matches!(e, Event::SessionTokenRefreshed { .. })), "{jwt:?}");
        assert_eq!(h.client.poll_timeout(), None, "{jwt:?}: nothing to refresh");
    }
}

/// An empty JWT followed by a good one: the caller gets the good one.
#[test]
fn an_empty_token_then_a_good_one_hands_out_the_good_one() {
    let mut h = signed_in_without_token();
    let now = unix(START);
    let op = h.submit(default_token());
    let first = h.expect_request();
    h.respond_json(&first, 200, &token_body(""));
    assert!(h.outcome(op).is_none(), "an empty token failed the call at once");
    let wake = h.client.poll_timeout().expect("a retry is scheduled");
    h.advance(wake - h.now);
    let retry = h.expect_request();
    assert_eq!(retry.attempt, 2);
    let good = canned_jwt("sess_1", now, now + LIFETIME);
    h.respond_json(&retry, 200, &token_body(&good));
    assert_eq!(token_of(h.expect_success(op)), good);
}

#[test]
fn missing_expired_token_is_retried_exactly_once_with_the_previous_jwt() {
    let (mut h, previous) = signed_in_with_token();
    h.now = START + secs(3600);
    let op = h.submit(default_token());
    let first = h.expect_request();
    assert!(first.request.query_value("expired_token").is_none());
    h.respond_json(&first, 422, &error_json("missing_expired_token", None));
    let retry = h.expect_request();
    let expired = retry.request.query_value("expired_token").unwrap_or_else(|| panic!("no expired_token"));
    assert_eq!(expired.expose(), previous);
    assert!(expired.is_secret());
    assert_eq!(retry.request.body(), "organization_id=");
    // The server insists: no third request, the operation fails with the API error.
    h.respond_json(&retry, 422, &error_json("missing_expired_token", None));
    match h.expect_failure(op) {
        OperationError::Api(error) => {
            let error: ApiError = *error;
            assert_eq!(error.code, ErrorCode::MissingExpiredToken);
            assert_eq!(error.status, 422);
        }
        other => panic!("{other:?}"),
    }
    assert!(h.poll_request().is_none(), "exactly one retry");
}

fn retrying_harness() -> Harness {
    let config =
        config().with_retry(RetryPolicy { jitter: false, ..RetryPolicy::default() }).unwrap_or_else(|e| panic!("{e}"));
    let mut h = Harness::with_config(config.clone());
    let mut state = h.client.export();
    state.client_token = Some(clerk_core::secret::ClientToken::new("token-1"));
    h = Harness::from_client(
        clerk_core::Client::restore(config, state, START).unwrap_or_else(|e| panic!("{e}")),
        START,
    );
    let op = h.client.reload(START);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": client_with_token(None, 1), "client": null }));
    let _ = h.expect_success(op);
    h.clear_events();
    h
}

#[test]
fn token_requests_are_retried_with_backoff_after_transport_errors_and_5xx() {
    let mut h = retrying_harness();
    let op = h.submit(default_token());
    let first = h.expect_request();
    h.fail(&first, TransportError::Connect("refused".into()));
    assert!(h.outcome(op).is_none(), "not failed yet");
    assert!(h.poll_request().is_none(), "the retry waits for its backoff");
    assert_eq!(h.client.poll_timeout(), Some(START + Duration::milliseconds(100)));
    h.advance(Duration::milliseconds(100));
    let second = h.expect_request();
    assert_eq!(second.attempt, 2);
    assert_eq!(second.request.query_value("_clerk_retry_attempt").map(|v| v.expose()), Some("1"));
    h.respond_json(&second, 503, &error_json("service_unavailable", None));
    assert_eq!(h.client.poll_timeout(), Some(h.now + Duration::milliseconds(700)));
    h.advance(Duration::milliseconds(700));
    let third = h.expect_request();
    assert_eq!(third.attempt, 3);
    let jwt = canned_jwt("sess_1", unix(START) + 1, unix(START) + 61);
    h.respond_json(&third, 200, &token_body(&jwt));
    assert_eq!(token_of(h.expect_success(op)), jwt);
}

#[test]
fn a_429_on_a_token_request_waits_for_retry_after() {
    let mut h = retrying_harness();
    let op = h.submit(default_token());
    let first = h.expect_request();
    let body = serde_json::to_vec(&error_json("too_many_requests", None)).unwrap_or_default();
    h.respond(&first, HttpResponse::new(429, [("content-type", "application/json"), ("retry-after", "2")], body));
    assert_eq!(h.client.poll_timeout(), Some(START + secs(2)));
    h.advance(secs(2));
    let second = h.expect_request();
    assert_eq!(second.kind, RequestKind::SessionToken);
    let jwt = canned_jwt("sess_1", unix(START) + 2, unix(START) + 62);
    h.respond_json(&second, 200, &token_body(&jwt));
    assert_eq!(token_of(h.expect_success(op)), jwt);
}

#[test]
fn token_retries_stop_after_the_attempt_limit() {
    let mut h = retrying_harness();
    let op = h.submit(default_token());
    for _ in 0..3 {
        let request = h.expect_request();
        h.fail(&request, TransportError::Timeout("slow".into()));
        if let Some(at) = h.client.poll_timeout() {
            h.advance(at - h.now);
        }
    }
    assert_eq!(h.expect_failure(op), OperationError::Transport(TransportError::Timeout("slow".into())));
    assert!(h.poll_request().is_none());
    assert!(h.client.cached_session_token("sess_1").is_none());
}

// ---------------------------------------------------------------------------------------
// Never persisted
// ---------------------------------------------------------------------------------------

#[test]
fn session_jwts_never_enter_the_export() {
    let (mut h, piggybacked) = signed_in_with_token();
    let op = h.submit(get_token(TokenRequest { template: Some("supabase".into()), ..TokenRequest::default() }));
    let request = h.expect_request();
    let fetched = canned_jwt("sess_1", unix(START) + 1, unix(START) + 61);
    h.respond_json(&request, 200, &token_body(&fetched));
    let _ = h.expect_success(op);
    let exported = h.client.export();
    let text = serde_json::to_string(&exported).unwrap_or_else(|e| panic!("{e}"));
    let debug = format!("{exported:?}");
    for jwt in [&piggybacked, &fetched] {
        let claims = jwt.split('.').nth(1).unwrap_or_default();
        assert!(!text.contains(claims), "a session JWT in the export: {text}");
        assert!(!debug.contains(claims), "a session JWT in the export's Debug");
    }
    assert!(exported.client.iter().flat_map(|c| &c.sessions).all(|s| s.last_active_token.is_none()));
    // And a restore starts without tokens.
    let restored = clerk_core::Client::restore(config(), exported, h.now).unwrap_or_else(|e| panic!("{e}"));
    assert!(restored.cached_session_token("sess_1").is_none());
    assert_eq!(restored.active_session_id(), Some("sess_1"));
}

#[test]
fn a_sign_in_completion_with_a_piggybacked_token_gets_a_refresh_deadline() {
    use clerk_core::secret::Password;
    use clerk_core::{SignInCommand, SignInCreate};
    let mut h = Harness::new();
    let op = h.submit(SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("pw"))));
    let request = h.expect_request();
    let jwt = canned_jwt("sess_1", unix(START), unix(START) + LIFETIME);
    let mut complete = clerk_tests::harness::sign_in_json("sia_1", "complete");
    complete["created_session_id"] = json!("sess_1");
    let client = client_with_token(Some(&jwt), 1);
    h.respond_with_token(&request, 200, &json!({ "response": complete, "client": client }), "tok-1");
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert_eq!(h.client.cached_session_token("sess_1").map(SessionJwt::expose), Some(jwt.as_str()));
    assert_eq!(h.client.poll_timeout(), Some(START + secs(LIFETIME - 17)));
}

// ---------------------------------------------------------------------------------------
// Organizations, eviction and switching sessions (found in review, 2026-11-27)
// ---------------------------------------------------------------------------------------

/// A session JWT whose claims carry organization `org` (`o.id`, v2 format).
fn org_jwt(sid: &str, org: Option<&str>, iat: i64, exp: i64) -> String {
    let header = r#"{"alg":"RS256","typ":"JWT"}"#;
    let o = org.map(|org| format!(r#","o":{{"id":"{org}"}}"#)).unwrap_or_default();
    let claims = format!(r#"{{"sid":"{sid}","iat":{iat},"exp":{exp}{o}}}"#);
    format!("{}.{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()), b64url(b"sig"))
}

/// A session `id`, active, in organization `org`, with a piggybacked token when given.
fn session_with(id: &str, org: Option<&str>, jwt: Option<&str>) -> Value {
    let mut session = session_json(id, "active");
    session["last_active_organization_id"] = json!(org);
    if let Some(jwt) = jwt {
        session["last_active_token"] = json!({ "object": "token", "jwt": jwt });
    }
    session
}

#[test]
fn a_template_token_of_the_previous_organization_is_not_served_after_a_switch() {
    let now = unix(START);
    let org_1_session = session_with("sess_1", Some("org_1"), Some(&org_jwt("sess_1", Some("org_1"), now, now + 60)));
    let mut h = Harness::signed_in(&client_of(vec![org_1_session], Some("sess_1"), 1));
    let template = || get_token(TokenRequest { template: Some("supabase".into()), ..TokenRequest::default() });
    let op = h.submit(template());
    let request = h.expect_request();
    let org_1_template = org_jwt("sess_1", Some("org_1"), now, now + 60);
    h.respond_json(&request, 200, &token_body(&org_1_template));
    assert_eq!(token_of(h.expect_success(op)), org_1_template);

    // Switch to org_2.
    h.now = START + secs(5);
    let switch = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::Id("org_2".into()),
    });
    let request = h.expect_request();
    let session = session_with("sess_1", Some("org_2"), Some(&org_jwt("sess_1", Some("org_2"), now + 5, now + 65)));
    let client = client_of(vec![session.clone()], Some("sess_1"), 2);
    h.respond_json(&request, 200, &json!({ "response": session, "client": client }));
    let _ = h.expect_success(switch);

    // The same template now: fetched for org_2, not the org_1 token from the cache.
    h.now = START + secs(6);
    let op = h.submit(template());
    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sessions/sess_1/tokens/supabase");
    let org_2_template = org_jwt("sess_1", Some("org_2"), now + 6, now + 66);
    h.respond_json(&request, 200, &token_body(&org_2_template));
    assert_eq!(token_of(h.expect_success(op)), org_2_template);
}

#[test]
fn an_expired_token_is_evicted() {
    let (mut h, _) = signed_in_with_token();
    // The device sleeps past `exp` (no background refresh past exp: the mobile guard).
    h.advance(secs(2 * LIFETIME));
    assert!(h.poll_request().is_none());
    assert!(h.client.cached_session_token("sess_1").is_none(), "an expired JWT is still offered");
}

#[test]
fn an_expired_token_with_oiat_does_not_keep_newer_tokens_out_of_the_cache() {
    let now = unix(START);
    let session = session_with("sess_1", None, Some(&jwt_with_oiat("sess_1", now, now, now + LIFETIME)));
    let mut h = Harness::signed_in(&client_of(vec![session], Some("sess_1"), 1));
    h.advance(secs(2 * LIFETIME));
    assert!(h.poll_request().is_none());
    let op = h.submit(default_token());
    let fetch = h.expect_request();
    // A token without `oiat` loses to one with it, but not to an expired one.
    let fresh = canned_jwt("sess_1", now + 120, now + 180);
    h.respond_json(&fetch, 200, &token_body(&fresh));
    assert_eq!(token_of(h.expect_success(op)), fresh);
    h.advance(secs(1));
    let op = h.submit(default_token());
    assert!(h.poll_request().is_none(), "the fresh token was not cached");
    assert_eq!(token_of(h.expect_success(op)), fresh);
}

#[test]
fn set_active_answered_without_a_client_schedules_the_new_sessions_refresh() {
    let now = unix(START);
    let sessions = vec![
        session_with("sess_1", None, Some(&canned_jwt("sess_1", now, now + LIFETIME))),
        session_with("sess_2", None, None),
    ];
    let mut h = Harness::signed_in(&client_of(sessions, Some("sess_1"), 1));
    h.now = START + secs(10);
    let switch = h.submit(SessionCommand::SetActive {
        session_id: "sess_2".into(),
        organization: OrganizationChoice::SessionDefault,
    });
    let touch = h.expect_request();
    let sess_2_token = canned_jwt("sess_2", now + 10, now + 10 + LIFETIME);
    let answer = json!({ "response": session_with("sess_2", None, Some(&sess_2_token)), "client": null });
    h.respond_json(&touch, 200, &answer);
    let _ = h.expect_success(switch);
    assert_eq!(h.client.active_session_id(), Some("sess_2"));
    // sess_2's token arrived at +10 s and lives 60 s: its refresh is due at +53 s, not at
    // sess_1's +43 s.
    assert_eq!(h.client.poll_timeout(), Some(START + secs(10 + LIFETIME - 17)));
}

/// A 401 on a token fetch re-checks the session with `GET /v1/client`; that refresh fails
/// with `refresh_status`.
fn a_401_then_a_failing_client_refresh(refresh_status: u16) -> Harness {
    refused_then_a_failing_client_refresh(401, "authentication_invalid", refresh_status)
}

/// A token fetch refused with `status` and `code` re-checks the session with
/// `GET /v1/client`; that refresh fails with `refresh_status`.
fn refused_then_a_failing_client_refresh(status: u16, code: &str, refresh_status: u16) -> Harness {
    let (mut h, _) = signed_in_with_token();
    let op = h.submit(get_token(TokenRequest { skip_cache: true, ..TokenRequest::default() }));
    let fetch = h.expect_request();
    h.respond_json(&fetch, status, &error_json(code, None));
    let _ = h.expect_failure(op);
    let refresh = h.expect_request();
    assert_eq!(refresh.kind, RequestKind::ClientGet);
    h.respond_json(&refresh, refresh_status, &error_json("internal_clerk_error", None));
    let _ = h.drain();
    h
}

#[test]
fn a_401_then_a_client_refresh_failing_with_403_or_500_signs_out_locally() {
    for status in [403, 500] {
        let h = a_401_then_a_failing_client_refresh(status);
        assert_eq!(h.client.active_session_id(), None, "{status}: still signed in");
        assert!(h.events.contains(&Event::SignedOut { reason: SignOutReason::Unauthenticated }), "{status}");
        assert!(h.client.cached_session_token("sess_1").is_none(), "{status}: the refused session's token is kept");
    }
    // Any other failure (here 404) keeps the session, as clerk-js rethrows it.
    let h = a_401_then_a_failing_client_refresh(404);
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

/// fapi.md §2.4: for a session request clerk-js counts any 422 as "unauthenticated", as a
/// 401: when the client refresh that re-checks the session then fails with 403 or 500, the
/// session is signed out locally too.
#[test]
fn a_422_on_a_session_request_then_a_failing_client_refresh_signs_out_locally() {
    for status in [403, 500] {
        let h = refused_then_a_failing_client_refresh(422, "form_param_invalid", status);
        assert_eq!(h.client.active_session_id(), None, "{status}: still signed in");
        assert!(h.events.contains(&Event::SignedOut { reason: SignOutReason::Unauthenticated }), "{status}");
    }
    let h = refused_then_a_failing_client_refresh(422, "form_param_invalid", 404);
    assert_eq!(h.client.active_session_id(), Some("sess_1"), "any other failure keeps the session");
}

#[test]
fn skip_cache_is_not_answered_by_a_fetch_already_on_the_wire() {
    let (mut h, _) = signed_in_with_token();
    let now = unix(START);
    // The refresh ahead goes out at +43 s.
    h.advance(secs(LIFETIME - 17));
    let refresh = h.expect_request();
    assert!(refresh.request.query_value("debug").is_none());
    // The app changed the user's metadata and wants a token that shows it.
    let skip = h.submit(get_token(TokenRequest { skip_cache: true, ..TokenRequest::default() }));
    let background = canned_jwt("sess_1", now + 43, now + 43 + LIFETIME);
    h.respond_json(&refresh, 200, &token_body(&background));
    assert!(h.outcome(skip).is_none(), "skip_cache was answered by the refresh sent before it");
    let own = h.expect_request();
    assert_eq!(own.request.query_value("debug").map(|value| value.expose()), Some("skip_cache"));
    let fresh = canned_jwt("sess_1", now + 44, now + 44 + LIFETIME);
    h.respond_json(&own, 200, &token_body(&fresh));
    assert_eq!(token_of(h.expect_success(skip)), fresh);
}

/// Any non-negative refresh-ahead the setter accepts is safe: one longer than the calendar
/// can subtract sets no refresh timer (as any deadline already past), never a panic when a
/// token arrives; the token is still served.
#[test]
fn a_refresh_ahead_too_long_to_subtract_does_not_panic() {
    for ahead in [Duration::MAX, Duration::days(365 * 20_000)] {
        let config = config().with_token_refresh_ahead(ahead).expect("not negative, so accepted");
        let mut h = Harness::with_config(config);
        let op = h.client.create(h.now).expect("create");
        let request = h.expect_request();
        let jwt = canned_jwt("sess_1", unix(START), unix(START) + LIFETIME);
        h.respond_with_token(
            &request,
            200,
            &json!({ "response": client_with_token(Some(&jwt), 1), "client": null }),
            "tok",
        );
        let _ = h.expect_success(op);
        let token = h.submit(default_token());
        assert!(matches!(h.expect_success(token), Completion::SessionToken(_)), "the piggybacked token is served");
    }
}

/// fapi.md §3.5.4 step 4: the `missing_expired_token` retry sends the session's own
/// `last_active_token`, also for a template or another organization never fetched before.
#[test]
fn missing_expired_token_on_a_template_or_other_org_retries_with_the_sessions_last_active_token() {
    for request in [
        TokenRequest { organization: OrganizationChoice::Id("org_2".into()), ..TokenRequest::default() },
        TokenRequest { template: Some("supabase".into()), ..TokenRequest::default() },
    ] {
        let (mut h, last_active) = signed_in_with_token();
        h.now = START + Duration::hours(1); // the session's token has long expired
        let _op = h.submit(get_token(request.clone()));
        let first = h.expect_request();
        h.respond_json(&first, 422, &error_json("missing_expired_token", None));
        // fapi.md §3.5.4 step 4: repeat once with `expired_token=<last_active_token JWT>`.
        let retry = h.poll_request().unwrap_or_else(|| panic!("{request:?}: no retry with expired_token"));
        assert_eq!(retry.request.path, first.request.path);
        assert_eq!(
            retry.request.query_value("expired_token").map(|v| v.expose().to_owned()),
            Some(last_active.clone())
        );
    }
}

/// The retry of a template token sends the session token, never the template's own JWT.
#[test]
fn missing_expired_token_retry_sends_the_session_token_not_a_cached_template_jwt() {
    let t0 = unix(START);
    let (mut h, last_active) = signed_in_with_token();
    let template = || get_token(TokenRequest { template: Some("supabase".into()), ..TokenRequest::default() });
    let op = h.submit(template());
    let r = h.expect_request();
    let template_jwt = canned_jwt("sess_1", t0 + 1, t0 + 61); // the template JWT it answers
    h.respond_json(&r, 200, &json!({ "object": "token", "jwt": template_jwt }));
    let _ = h.expect_success(op);
    h.now = START + time::Duration::hours(1);
    let _op = h.submit(template());
    let first = h.expect_request();
    h.respond_json(&first, 422, &error_json("missing_expired_token", None));
    let retry = h.expect_request();
    let sent = retry.request.query_value("expired_token").map(|v| v.expose().to_owned());
    assert_ne!(sent.as_deref(), Some(template_jwt.as_str()), "the template JWT went out as expired_token");
    assert_eq!(sent, Some(last_active));
}

/// A token answer naming another session (`sid`) fails the `get_token`.
#[test]
fn a_token_for_another_session_fails_the_get_token() {
    let mut h = signed_in_without_token();
    let op = h.submit(default_token());
    let r = h.expect_request();
    h.respond_json(&r, 200, &token_body(&canned_jwt("sess_9", unix(START), unix(START) + LIFETIME)));
    assert!(h.expect_outcome(op).is_err(), "a JWT whose sid is sess_9 was returned for sess_1");
}

/// A `get_token` asked while an end or remove of its session is pending waits behind it (one
/// request at a time; the cache was cleared for the end, fapi.md §3.5.2). Once the server
/// confirms the session ended, a token for it is a token for a signed-out user: the ask fails
/// `Superseded`, as it does at a sign-out of that session, and no token request goes out for
/// the ended session. Whether the answer carries the client or only the session.
#[test]
fn a_get_token_queued_behind_the_end_of_its_session_fails_and_sends_nothing() {
    for (command, status) in [
        (SessionCommand::End { session_id: "sess_1".into() }, "ended"),
        (SessionCommand::Remove { session_id: "sess_1".into() }, "removed"),
    ] {
        for with_client in [true, false] {
            let label =
                format!("{} answered {} a client", command.name(), if with_client { "with" } else { "without" });
            let (mut h, _) = signed_in_with_token();
            let end = h.submit(command.clone());
            let ask = h.submit(default_token());
            let request = h.expect_request();
            assert_ne!(request.kind, RequestKind::SessionToken, "{label}: the end goes first");
            let client = if with_client { client_json(&[("sess_1", status)], Some("sess_1"), 2) } else { Value::Null };
            h.respond_json(&request, 200, &json!({ "response": session_json("sess_1", status), "client": client }));
            let _ = h.expect_success(end);
            if let Some(sent) = h.poll_request() {
                assert_ne!(sent.kind, RequestKind::SessionToken, "{label}: a token request for an ended session");
            }
            assert_eq!(h.expect_failure(ask), OperationError::Superseded, "{label}");
        }
    }
}

/// The same when the end or remove fails with an error that says the session is gone
/// (`signed_out`, `user_banned`, `user_deactivated`: classification, docs/sessions.md) and
/// the error carries no client to show it: the session left the active slot, so a token for
/// it is no token to hand out, and the queued `get_token` fails `Superseded` unsent.
#[test]
fn a_get_token_queued_behind_an_end_that_finds_its_session_gone_fails_and_sends_nothing() {
    for command in
        [SessionCommand::End { session_id: "sess_1".into() }, SessionCommand::Remove { session_id: "sess_1".into() }]
    {
        for (status, code) in [(400, "signed_out"), (403, "user_banned"), (403, "user_deactivated")] {
            let label = format!("{} failing {status} {code}", command.name());
            let (mut h, _) = signed_in_with_token();
            let end = h.submit(command.clone());
            let ask = h.submit(default_token());
            let request = h.expect_request();
            assert_ne!(request.kind, RequestKind::SessionToken, "{label}: the end goes first");
            h.respond_json(&request, status, &error_json(code, None));
            let _ = h.expect_failure(end);
            while let Some(sent) = h.poll_request() {
                assert_ne!(sent.kind, RequestKind::SessionToken, "{label}: a token request for a gone session");
                h.respond_json(&sent, 200, &json!({ "response": client_json(&[], None, 2), "client": null }));
            }
            assert_eq!(h.expect_failure(ask), OperationError::Superseded, "{label}");
        }
    }
}
