//! Sessions: the requests of every session operation (written by hand from fapi.md §1.4–1.7,
//! §3.5, §3.8 and Appendix B.1, then checked against the spec plus undocumented.json), and
//! what their answers do to the client: switching, pending sessions, end/remove, busy and
//! illegal commands, and sign-out (design §7.9) including offline and late answers.

use clerk_core::encoding::InvalidIdError;
use clerk_core::wire::SessionStatus;
use clerk_core::{
    ClientCommand, Command, CommandError, Completion, Event, Flow, HttpRequest, Method, OperationError,
    OrganizationChoice, SessionCommand, SignOutConfirmation, SignOutReason, TokenRequest, TouchIntent, TransportError,
};
use clerk_tests::canned_jwt;
use clerk_tests::golden::{self, GET_HEADERS, Golden, NATIVE_QUERY, POST_HEADERS};
use clerk_tests::harness::{Harness, START, client_json, client_of, error_json, session_json};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Checks `request` against `golden` and the spec; no query or form field may be marked
/// secret (the client token must be).
fn check(request: &HttpRequest, golden: &Golden<'_>) {
    check_with_secrets(request, golden, &[]);
}

/// Checks `request` against `golden` and the spec; the query or form fields named in
/// `secrets` (and the client token) must be marked secret, no other query or form field.
fn check_with_secrets(request: &HttpRequest, golden: &Golden<'_>, secrets: &[&str]) {
    golden::check(request, golden);
    let form = request.form.as_deref().unwrap_or_default();
    for field in request.query.iter().chain(form) {
        let must_be_secret = secrets.contains(&field.name.as_ref());
        assert_eq!(field.value.is_secret(), must_be_secret, "secret mark of {} in {}", field.name, golden.path);
    }
    assert_eq!(request.header("authorization").map(|v| v.is_secret()), Some(true), "client token is secret");
}

fn post<'a>(path: &'a str, body: &'a str) -> Golden<'a> {
    Golden {
        method: Method::Post,
        path,
        query: NATIVE_QUERY.to_vec(),
        headers: POST_HEADERS.to_vec(),
        body: Some(body),
    }
}

/// A session object with a piggybacked session token.
fn session_with_token(id: &str, status: &str, jwt: &str) -> Value {
    let mut session = session_json(id, status);
    session["last_active_token"] = json!({ "object": "token", "jwt": jwt });
    session
}

/// Signed in with `sess_1` active (organization `org` when given) and a 60 s token that
/// arrived at [`START`].
fn signed_in_with_org(org: Option<&str>) -> Harness {
    let now = START.unix_timestamp();
    let mut session = session_with_token("sess_1", "active", &canned_jwt("sess_1", now, now + 60));
    session["last_active_organization_id"] = json!(org);
    Harness::signed_in(&client_of(vec![session], Some("sess_1"), 1))
}

fn signed_in() -> Harness {
    signed_in_with_org(None)
}

/// Two signed-in sessions, `sess_1` active.
fn two_sessions() -> Harness {
    Harness::signed_in(&client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_1"), 1))
}

fn session_answer(session: &Value, client: &Value) -> Value {
    json!({ "response": session, "client": client })
}

fn token_request(request: TokenRequest) -> Command {
    Command::Session(SessionCommand::GetToken(request))
}

fn refused(h: &mut Harness, command: impl Into<Command>) -> CommandError {
    let before = h.client.export();
    let result = h.client.submit(command.into(), h.now);
    assert!(h.poll_request().is_none(), "a refused command sends nothing");
    assert_eq!(h.client.export(), before, "a refused command changes nothing");
    match result {
        Ok(op) => panic!("command accepted as {op}"),
        Err(error) => error,
    }
}

// ---------------------------------------------------------------------------------------
// Golden requests
// ---------------------------------------------------------------------------------------

#[test]
fn set_active_keeps_the_session_organization_with_intent_select_session() {
    let mut h = signed_in_with_org(Some("org_9"));
    let _ = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::SessionDefault,
    });
    check(
        &h.expect_request().request,
        &post("/v1/client/sessions/sess_1/touch", "active_organization_id=org_9&intent=select_session"),
    );

    // Without an organization on the session, the personal account is sent as empty
    // (Appendix B.1 "Activate").
    let mut h = signed_in();
    let _ = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::SessionDefault,
    });
    check(
        &h.expect_request().request,
        &post("/v1/client/sessions/sess_1/touch", "active_organization_id=&intent=select_session"),
    );
}

#[test]
fn set_active_with_the_personal_account_sends_an_empty_organization_and_select_org() {
    let mut h = signed_in_with_org(Some("org_9"));
    let _ =
        h.submit(SessionCommand::SetActive { session_id: "sess_1".into(), organization: OrganizationChoice::Personal });
    check(
        &h.expect_request().request,
        &post("/v1/client/sessions/sess_1/touch", "active_organization_id=&intent=select_org"),
    );
}

#[test]
fn set_active_with_an_organization_sends_it_and_select_org() {
    let mut h = signed_in();
    let _ = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::Id("org_1".into()),
    });
    check(
        &h.expect_request().request,
        &post("/v1/client/sessions/sess_1/touch", "active_organization_id=org_1&intent=select_org"),
    );
}

/// Signed in with `sess_1` active, its user a member of `org_2` (slug `acme`).
fn member_of_acme() -> Harness {
    let now = START.unix_timestamp();
    let mut session = session_with_token("sess_1", "active", &canned_jwt("sess_1", now, now + 60));
    session["user"]["organization_memberships"] = json!([
        { "object": "organization_membership", "id": "orgmem_2", "role": "org:admin",
          "organization": { "object": "organization", "id": "org_2", "name": "Acme", "slug": "acme" } }
    ]);
    Harness::signed_in(&client_of(vec![session], Some("sess_1"), 1))
}

#[test]
fn an_organization_slug_is_sent_as_the_id_of_the_users_membership() {
    // fapi.md §3.8.2 step 3: clerk-js looks a slug up among the user's memberships.
    let mut h = member_of_acme();
    let _ = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::Id("acme".into()),
    });
    check(
        &h.expect_request().request,
        &post("/v1/client/sessions/sess_1/touch", "active_organization_id=org_2&intent=select_org"),
    );

    // A token for the slug is a token for the organization's id: same request, same key.
    let mut h = member_of_acme();
    let by_slug = h.submit(token_request(TokenRequest {
        organization: OrganizationChoice::Id("acme".into()),
        ..TokenRequest::default()
    }));
    let request = h.expect_request();
    check(&request.request, &post("/v1/client/sessions/sess_1/tokens", "organization_id=org_2"));
    let now = START.unix_timestamp();
    let jwt = canned_jwt("sess_1", now, now + 60);
    h.respond_json(&request, 200, &json!({ "object": "token", "jwt": jwt }));
    assert!(matches!(h.expect_success(by_slug), Completion::SessionToken(_)));
    let by_id = h.submit(token_request(TokenRequest {
        organization: OrganizationChoice::Id("org_2".into()),
        ..TokenRequest::default()
    }));
    assert!(matches!(h.expect_success(by_id), Completion::SessionToken(_)), "served from the cache");
    assert!(h.poll_request().is_none(), "no second fetch");

    // A slug no membership has goes as given, for the server to accept or refuse.
    let mut h = member_of_acme();
    let _ = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::Id("globex".into()),
    });
    check(
        &h.expect_request().request,
        &post("/v1/client/sessions/sess_1/touch", "active_organization_id=globex&intent=select_org"),
    );
}

#[test]
fn touch_sends_the_current_organization_and_the_intent_only_when_given() {
    let mut h = signed_in_with_org(Some("org_9"));
    let op = h.submit(SessionCommand::Touch { session_id: "sess_1".into(), intent: None });
    let request = h.expect_request();
    check(&request.request, &post("/v1/client/sessions/sess_1/touch", "active_organization_id=org_9"));
    h.respond_json(&request, 200, &json!({ "response": session_json("sess_1", "active"), "client": null }));
    let _ = h.expect_success(op);

    let _ = h.submit(SessionCommand::Touch { session_id: "sess_1".into(), intent: Some(TouchIntent::Focus) });
    check(
        &h.expect_request().request,
        &post("/v1/client/sessions/sess_1/touch", "active_organization_id=&intent=focus"),
    );
}

#[test]
fn end_and_remove_are_empty_posts() {
    let mut h = two_sessions();
    let op = h.submit(SessionCommand::End { session_id: "sess_2".into() });
    let request = h.expect_request();
    check(&request.request, &post("/v1/client/sessions/sess_2/end", ""));
    h.respond_json(&request, 200, &json!({ "response": session_json("sess_2", "ended"), "client": null }));
    let _ = h.expect_success(op);

    let _ = h.submit(SessionCommand::Remove { session_id: "sess_1".into() });
    check(&h.expect_request().request, &post("/v1/client/sessions/sess_1/remove", ""));
}

#[test]
fn sign_out_of_every_session_deletes_the_collection() {
    let mut h = signed_in();
    let _ = h.submit(SessionCommand::SignOut { session_id: None });
    check(
        &h.expect_request().request,
        &Golden {
            method: Method::Delete,
            path: "/v1/client/sessions",
            query: NATIVE_QUERY.to_vec(),
            headers: POST_HEADERS.to_vec(),
            body: Some(""),
        },
    );
}

#[test]
fn sign_out_of_one_session_removes_it() {
    let mut h = two_sessions();
    let _ = h.submit(SessionCommand::SignOut { session_id: Some("sess_2".into()) });
    check(&h.expect_request().request, &post("/v1/client/sessions/sess_2/remove", ""));
}

#[test]
fn reload_is_a_get_of_the_session() {
    let mut h = signed_in();
    let _ = h.submit(SessionCommand::Reload { session_id: "sess_1".into() });
    check(
        &h.expect_request().request,
        &Golden {
            method: Method::Get,
            path: "/v1/client/sessions/sess_1",
            query: NATIVE_QUERY.to_vec(),
            headers: GET_HEADERS.to_vec(),
            body: None,
        },
    );
}

#[test]
fn get_token_default_sends_the_organization_in_the_body() {
    // The session's own organization (`organizationId` undefined).
    let mut h = signed_in_with_org(Some("org_9"));
    let _ = h.submit(token_request(TokenRequest { skip_cache: true, ..TokenRequest::default() }));
    check(
        &h.expect_request().request,
        &Golden {
            query: vec![("debug", "skip_cache"), NATIVE_QUERY[0], NATIVE_QUERY[1]],
            ..post("/v1/client/sessions/sess_1/tokens", "organization_id=org_9")
        },
    );

    // Personal account: the key is present with an empty value (Appendix B.1 "Get a token").
    let mut h = signed_in_with_org(Some("org_9"));
    let _ = h.submit(token_request(TokenRequest {
        session_id: Some("sess_1".into()),
        organization: OrganizationChoice::Personal,
        ..TokenRequest::default()
    }));
    check(&h.expect_request().request, &post("/v1/client/sessions/sess_1/tokens", "organization_id="));

    // A given organization.
    let mut h = signed_in();
    let _ = h.submit(token_request(TokenRequest {
        organization: OrganizationChoice::Id("org_1".into()),
        ..TokenRequest::default()
    }));
    check(&h.expect_request().request, &post("/v1/client/sessions/sess_1/tokens", "organization_id=org_1"));
}

#[test]
fn get_token_default_without_a_cached_token_posts_an_empty_organization() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let _ = h.submit(token_request(TokenRequest::default()));
    check(&h.expect_request().request, &post("/v1/client/sessions/sess_1/tokens", "organization_id="));
}

#[test]
fn get_token_with_a_template_posts_an_empty_body_to_the_encoded_template() {
    let mut h = signed_in_with_org(Some("org_9"));
    let _ = h.submit(token_request(TokenRequest {
        template: Some("supabase".into()),
        organization: OrganizationChoice::Id("org_9".into()),
        ..TokenRequest::default()
    }));
    check(&h.expect_request().request, &post("/v1/client/sessions/sess_1/tokens/supabase", ""));

    // Template names are percent-encoded like every path segment (design §7.13).
    let mut h = signed_in();
    let _ = h.submit(token_request(TokenRequest { template: Some("hasura:v2".into()), ..TokenRequest::default() }));
    check(&h.expect_request().request, &post("/v1/client/sessions/sess_1/tokens/hasura%3Av2", ""));

    // skip_cache on a template token.
    let mut h = signed_in();
    let _ = h.submit(token_request(TokenRequest {
        template: Some("supabase".into()),
        skip_cache: true,
        ..TokenRequest::default()
    }));
    check(
        &h.expect_request().request,
        &Golden {
            query: vec![("debug", "skip_cache"), NATIVE_QUERY[0], NATIVE_QUERY[1]],
            ..post("/v1/client/sessions/sess_1/tokens/supabase", "")
        },
    );
}

#[test]
fn a_template_token_for_another_organization_than_the_active_one_is_refused() {
    // The template endpoint takes no organization: the server would mint the token for
    // the active one, and the cache would file it under the one asked for.
    let mut h = signed_in_with_org(Some("org_9"));
    for organization in [OrganizationChoice::Id("org_1".into()), OrganizationChoice::Personal] {
        let error = refused(
            &mut h,
            token_request(TokenRequest { organization: organization.clone(), ..TokenRequest::template("supabase") }),
        );
        assert!(
            matches!(&error, CommandError::InvalidArgument { name: "organization", reason } if reason.contains("org_9")),
            "{organization:?}: {error:?}"
        );
        assert!(!error.to_string().contains("  "), "the message reads as one sentence: {error}");
    }
    assert!(h.client.pending_operations().next().is_none(), "nothing was sent");

    // The personal account, while it is the active one, is fine.
    let mut h = signed_in_with_org(None);
    let _ = h.submit(token_request(TokenRequest {
        organization: OrganizationChoice::Personal,
        ..TokenRequest::template("supabase")
    }));
    check(&h.expect_request().request, &post("/v1/client/sessions/sess_1/tokens/supabase", ""));
}

#[test]
fn hostile_template_names_and_session_ids_are_refused_before_anything_is_sent() {
    let mut h = signed_in();
    for (template, why) in [
        ("a/b", InvalidIdError::ForbiddenCharacter { character: '/' }),
        ("..", InvalidIdError::DotSegment),
        ("", InvalidIdError::Empty),
    ] {
        let error =
            refused(&mut h, token_request(TokenRequest { template: Some(template.into()), ..TokenRequest::default() }));
        assert_eq!(error, CommandError::InvalidTemplate(why.clone()), "template {template:?}");
        assert!(error.to_string().starts_with("invalid template name: it "), "{error}");
    }
    assert!(h.client.pending_operations().next().is_none());
}

#[test]
fn a_missing_expired_token_answer_is_retried_once_with_the_previous_token() {
    let mut h = signed_in();
    let previous = canned_jwt("sess_1", START.unix_timestamp(), START.unix_timestamp() + 60);
    // Long after the cached token expired.
    h.now = START + time::Duration::minutes(10);
    let op = h.submit(token_request(TokenRequest::default()));
    let first = h.expect_request();
    check(&first.request, &post("/v1/client/sessions/sess_1/tokens", "organization_id="));
    h.respond_json(&first, 422, &clerk_tests::harness::error_json("missing_expired_token", None));
    let retry = h.expect_request();
    check_with_secrets(
        &retry.request,
        &Golden {
            query: vec![("expired_token", previous.as_str()), NATIVE_QUERY[0], NATIVE_QUERY[1]],
            ..post("/v1/client/sessions/sess_1/tokens", "organization_id=")
        },
        &["expired_token"],
    );
    let fresh = canned_jwt("sess_1", START.unix_timestamp() + 600, START.unix_timestamp() + 660);
    h.respond_json(&retry, 200, &json!({ "object": "token", "jwt": fresh }));
    match h.expect_success(op) {
        Completion::SessionToken(jwt) => assert_eq!(jwt.expose(), fresh),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

#[test]
fn set_active_switches_between_two_sessions() {
    let mut h = two_sessions();
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    let op = h.submit(SessionCommand::SetActive {
        session_id: "sess_2".into(),
        organization: OrganizationChoice::SessionDefault,
    });
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_2"), 2);
    h.respond_json(&request, 200, &session_answer(&session_json("sess_2", "active"), &client));
    match h.expect_success(op) {
        Completion::Session(session) => assert_eq!(session.id, "sess_2"),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.client.active_session_id(), Some("sess_2"));
    assert!(h.events.contains(&Event::ActiveSessionChanged { session_id: Some("sess_2".into()) }));
    assert!(!h.events.iter().any(|e| matches!(e, Event::SignedOut { .. })), "a switch is not a sign-out");
    assert_eq!(h.client.signed_in_sessions().count(), 2, "the other session stays signed in");

    // And back, with a touch answer that carries no client (fapi.md §2.1: touch may skip it).
    h.clear_events();
    let op = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::SessionDefault,
    });
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": session_json("sess_1", "active"), "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(h.events.contains(&Event::ActiveSessionChanged { session_id: Some("sess_1".into()) }));
}

#[test]
fn set_active_with_an_organization_moves_the_session_and_its_token_to_it() {
    let mut h = signed_in();
    let op = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::Id("org_1".into()),
    });
    let request = h.expect_request();
    let now = START.unix_timestamp();
    let org_token = canned_jwt("sess_1", now + 1, now + 61);
    let mut session = session_with_token("sess_1", "active", &org_token);
    session["last_active_organization_id"] = json!("org_1");
    let client = client_of(vec![session.clone()], Some("sess_1"), 2);
    h.respond_json(&request, 200, &session_answer(&session, &client));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session().and_then(|s| s.last_active_organization_id.as_deref()), Some("org_1"));
    assert_eq!(h.client.cached_session_token("sess_1").map(|t| t.expose()), Some(org_token.as_str()));
    assert_eq!(h.client.active_organization().as_deref(), Some("org_1"));
    assert_eq!(
        h.events.iter().filter(|e| matches!(e, Event::ActiveOrganizationChanged { .. })).collect::<Vec<_>>(),
        [&Event::ActiveOrganizationChanged { organization_id: Some("org_1".into()) }],
        "announced once"
    );
    // The default token of the new organization is served from the cache.
    let op = h.submit(token_request(TokenRequest::default()));
    assert!(h.poll_request().is_none());
    assert_eq!(h.expect_success(op), Completion::SessionToken(clerk_core::secret::SessionJwt::new(org_token)));
}

/// `ActiveOrganizationChanged` follows the active session's organization wherever the change
/// comes from: back to the personal account, a client that arrives with another organization
/// (a change made elsewhere), signing out. Nothing when it stays the same.
#[test]
fn the_active_organization_is_announced_when_it_changes_and_only_then() {
    let with_org = |org: Option<&str>, updated: i64| {
        let mut session = session_json("sess_1", "active");
        session["last_active_organization_id"] = json!(org);
        client_of(vec![session], Some("sess_1"), updated)
    };
    let mut h = Harness::signed_in(&with_org(Some("org_1"), 1));
    assert_eq!(h.client.active_organization().as_deref(), Some("org_1"));
    let announced = |h: &Harness| -> Vec<Option<String>> {
        h.events
            .iter()
            .filter_map(|e| match e {
                Event::ActiveOrganizationChanged { organization_id } => {
                    Some(organization_id.as_deref().map(str::to_owned))
                }
                _ => None,
            })
            .collect()
    };
    assert!(announced(&h).is_empty(), "the starting state is not a change");

    // The same organization again: nothing.
    let op = h.submit(ClientCommand::Reload);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": with_org(Some("org_1"), 2), "client": null }));
    let _ = h.expect_success(op);
    assert!(announced(&h).is_empty());

    // Changed elsewhere (another device chose the personal account).
    let op = h.submit(ClientCommand::Reload);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": with_org(None, 3), "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(announced(&h), [None]);

    let op = h.submit(ClientCommand::Reload);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": with_org(Some("org_2"), 4), "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(announced(&h), [None, Some(String::from("org_2"))]);

    // Signing out: no active session, no active organization.
    let _ = h.submit(SessionCommand::SignOut { session_id: None });
    let _ = h.poll_request();
    assert_eq!(announced(&h), [None, Some(String::from("org_2")), None]);
}

#[test]
fn pending_sessions_count_as_signed_in_and_show_their_tasks() {
    let mut pending = session_json("sess_1", "pending");
    pending["tasks"] = json!([{ "key": "choose-organization" }, { "key": "setup-mfa" }]);
    let mut h = Harness::signed_in(&client_of(vec![pending], Some("sess_1"), 1));
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    let session = h.client.active_session().unwrap_or_else(|| panic!("no active session"));
    assert_eq!(session.status, Some(SessionStatus::Pending));
    let tasks: Vec<Option<&str>> = session.tasks.iter().map(|t| t.key.as_deref()).collect();
    assert_eq!(tasks, [Some("choose-organization"), Some("setup-mfa")]);
    assert_eq!(session.current_task().and_then(|t| t.key.as_deref()), Some("choose-organization"));

    // Every session command is legal on a pending session (the legality table).
    let _ = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::Id("org_1".into()),
    });
    let request = h.expect_request();
    // Choosing the organization resolves the task: the session turns active.
    let mut active = session_json("sess_1", "active");
    active["last_active_organization_id"] = json!("org_1");
    let client = client_of(vec![active.clone()], Some("sess_1"), 2);
    h.respond_json(&request, 200, &session_answer(&active, &client));
    let _ = h.drain();
    assert_eq!(h.client.active_session().and_then(|s| s.status.clone()), Some(SessionStatus::Active));
    assert!(h.client.active_session().is_some_and(|s| s.tasks.is_empty()));
    assert!(h.events.contains(&Event::SessionsChanged));
}

#[test]
fn end_and_remove_answers_update_the_session_status() {
    let mut h = two_sessions();
    let op = h.submit(SessionCommand::End { session_id: "sess_2".into() });
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "active"), ("sess_2", "ended")], Some("sess_1"), 2);
    h.respond_json(&request, 200, &session_answer(&session_json("sess_2", "ended"), &client));
    match h.expect_success(op) {
        Completion::Session(session) => assert_eq!(session.status, Some(SessionStatus::Ended)),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.client.session("sess_2").and_then(|s| s.status.clone()), Some(SessionStatus::Ended));
    assert_eq!(h.client.active_session_id(), Some("sess_1"), "ending another session keeps this one");
    assert!(h.events.contains(&Event::SessionsChanged));

    // Remove answered without a client: the session from `response` is merged.
    h.clear_events();
    let op = h.submit(SessionCommand::Remove { session_id: "sess_1".into() });
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": session_json("sess_1", "removed"), "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(h.client.session("sess_1").and_then(|s| s.status.clone()), Some(SessionStatus::Removed));
    assert_eq!(h.client.active_session_id(), None);
    assert!(h.events.contains(&Event::SignedOut {
        reason: SignOutReason::SessionEnded { reason: clerk_core::SessionEndReason::Removed }
    }));
    assert!(h.events.contains(&Event::ActiveSessionChanged { session_id: None }));
}

#[test]
fn ending_a_session_clears_the_token_cache_first() {
    let mut h = signed_in();
    assert!(h.client.cached_session_token("sess_1").is_some());
    let _ = h.submit(SessionCommand::End { session_id: "sess_1".into() });
    assert!(h.client.cached_session_token("sess_1").is_none(), "fapi.md §3.5.2: cache cleared before the post");
}

#[test]
fn a_second_mutating_session_command_is_busy() {
    let mut h = two_sessions();
    let first = h.submit(SessionCommand::Touch { session_id: "sess_1".into(), intent: None });
    let _request = h.expect_request();
    for command in [
        SessionCommand::Touch { session_id: "sess_1".into(), intent: None },
        SessionCommand::SetActive { session_id: "sess_2".into(), organization: OrganizationChoice::SessionDefault },
        SessionCommand::End { session_id: "sess_2".into() },
        SessionCommand::Remove { session_id: "sess_2".into() },
    ] {
        let name = command.name();
        assert_eq!(
            refused(&mut h, command),
            CommandError::Busy { flow: Flow::Session, pending: first },
            "{name} while a touch is pending"
        );
    }
    // Reads are never busy.
    let _ = h.submit(SessionCommand::Reload { session_id: "sess_1".into() });
    let _ = h.submit(token_request(TokenRequest { skip_cache: true, ..TokenRequest::default() }));
    // A sign-out is never busy: it supersedes the pending session work.
    let sign_out = h.submit(SessionCommand::SignOut { session_id: None });
    assert_eq!(h.expect_failure(first), clerk_core::OperationError::Superseded);
    assert!(h.client.active_session_id().is_none());
    assert!(h.client.pending_operations().any(|op| op == sign_out));
}

#[test]
fn commands_on_terminal_or_unknown_sessions_are_refused_with_nothing_sent() {
    let statuses = ["ended", "removed", "revoked", "expired", "abandoned", "replaced", "hibernating"];
    let mut sessions = vec![("sess_1", "active")];
    let ids: Vec<String> = statuses.iter().map(|s| format!("sess_{s}")).collect();
    sessions.extend(ids.iter().map(String::as_str).zip(statuses));
    let mut h = Harness::signed_in(&client_json(&sessions, Some("sess_1"), 1));
    for (id, status) in ids.iter().map(String::as_str).zip(statuses).chain([("sess_nowhere", "not on the client")]) {
        let commands = [
            SessionCommand::SetActive { session_id: id.into(), organization: OrganizationChoice::SessionDefault },
            SessionCommand::Touch { session_id: id.into(), intent: Some(TouchIntent::Focus) },
            SessionCommand::End { session_id: id.into() },
            SessionCommand::Remove { session_id: id.into() },
            SessionCommand::SignOut { session_id: Some(id.into()) },
            SessionCommand::GetToken(TokenRequest { session_id: Some(id.into()), ..TokenRequest::default() }),
        ];
        for command in commands {
            let name = command.name();
            assert!(!clerk_core::session::legal(name, h.client.session(id).and_then(|s| s.status.as_ref())));
            assert_eq!(
                refused(&mut h, command),
                CommandError::InvalidState { flow: Flow::Session, status: status.into(), command: name },
                "{name} on {id}"
            );
        }
        // Reload is the one command legal on a session that is no longer signed in.
        if status != "not on the client" {
            let op = h.submit(SessionCommand::Reload { session_id: id.into() });
            let request = h.expect_request();
            assert_eq!(request.request.path, format!("/v1/client/sessions/{id}"));
            h.respond_json(&request, 200, &json!({ "response": session_json(id, status), "client": null }));
            let _ = h.expect_success(op);
        }
    }
}

#[test]
fn session_legality_table_matches_submit_for_every_status_and_command() {
    let statuses = ["active", "pending", "ended", "removed", "revoked", "expired", "abandoned", "replaced", "odd"];
    for status in statuses {
        for name in clerk_core::session::SESSION_COMMAND_NAMES {
            let mut h =
                Harness::signed_in(&client_json(&[("sess_1", "active"), ("sess_x", status)], Some("sess_1"), 1));
            let id = String::from("sess_x");
            let command = match name {
                "set_active" => {
                    SessionCommand::SetActive { session_id: id, organization: OrganizationChoice::SessionDefault }
                }
                "touch" => SessionCommand::Touch { session_id: id, intent: None },
                "end" => SessionCommand::End { session_id: id },
                "remove" => SessionCommand::Remove { session_id: id },
                "sign_out" => SessionCommand::SignOut { session_id: Some(id) },
                "reload" => SessionCommand::Reload { session_id: id },
                "get_token" => {
                    SessionCommand::GetToken(TokenRequest { session_id: Some(id), ..TokenRequest::default() })
                }
                other => panic!("unknown command {other}"),
            };
            let legal = clerk_core::session::legal(name, Some(&SessionStatus::from(status)));
            let result = h.client.submit(command.into(), h.now);
            assert_eq!(result.is_ok(), legal, "{name} on a {status} session: {result:?}");
            assert_eq!(h.poll_request().is_some(), legal, "{name} on a {status} session sends iff legal");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Sign-out (design §7.9)
// ---------------------------------------------------------------------------------------

#[test]
fn sign_out_confirmed_by_the_server_is_revoked() {
    let mut h = signed_in();
    let op = h.submit(SessionCommand::SignOut { session_id: None });
    let request = h.expect_request();
    let mut cleared = client_json(&[("sess_1", "removed")], None, 2);
    cleared["last_active_session_id"] = Value::Null;
    h.respond_json(&request, 200, &json!({ "response": cleared, "client": null }));
    assert_eq!(h.expect_success(op), Completion::SignedOut { confirmation: SignOutConfirmation::Confirmed });
    assert_eq!(h.client.active_session_id(), None);
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some("token-1"), "sign-out keeps the client token");
}

/// A touch moves the client's `last_active_session_id` to the session it touched (fapi.md
/// §5.5). clerk-js keeps its current session through such a client (§2.2 rule 4): only
/// `setActive` switches. So touching another session records activity and nothing more:
/// `get_token` keeps handing out the active session's token, not the other account's.
#[test]
fn touching_another_session_keeps_the_active_one() {
    let mut h = two_sessions();
    let op = h.submit(SessionCommand::Touch { session_id: "sess_2".into(), intent: None });
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_2"), 2);
    h.respond_json(&request, 200, &session_answer(&session_json("sess_2", "active"), &client));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), Some("sess_1"), "a touch switched the active session");
    assert!(!h.events.iter().any(|e| matches!(e, Event::ActiveSessionChanged { .. })), "{:?}", h.events);
    // A later client that still names sess_2 last active changes nothing either.
    let reload = h.client.reload(h.now);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": client, "client": null }));
    let _ = h.expect_success(reload);
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

/// Signed in as `sess_1`, signed out offline (the server still has the session), then a
/// sign-in answered `session_exists`: returns the harness, the client refresh that answer
/// asked for (not answered yet) and the server's client.
fn session_exists_after_an_offline_sign_out() -> (Harness, clerk_core::Outgoing, Value) {
    let mut h = signed_in();
    let op = h.submit(SessionCommand::SignOut { session_id: None });
    let request = h.expect_request();
    h.fail(&request, TransportError::Connect("offline".into()));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), None);
    h.clear_events();
    let sign_in = h.submit(clerk_core::SignInCommand::Create(clerk_core::SignInCreate::identifier("a@example.com")));
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "active")], Some("sess_1"), 5);
    h.respond_json(&request, 400, &error_json("session_exists", Some(&client)));
    let _ = h.expect_failure(sign_in);
    let refresh = h.expect_request();
    assert_eq!(refresh.kind, clerk_core::RequestKind::ClientGet);
    (h, refresh, client)
}

/// fapi.md §2.5: after `session_exists` the session the client already has becomes
/// active. That holds after a sign-out the server never heard of (offline): the server
/// still has the session, and its `last_active_session_id` names the same session as
/// before, yet it is the one to activate instead of signing in again.
#[test]
fn session_exists_after_an_offline_sign_out_activates_the_existing_session() {
    let (mut h, refresh, client) = session_exists_after_an_offline_sign_out();
    h.respond_json(&refresh, 200, &json!({ "response": client, "client": null }));
    let _ = h.drain();
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(h.events.contains(&Event::ActiveSessionChanged { session_id: Some("sess_1".into()) }));
}

/// A sign-out between `session_exists` and the refresh it asked for is the user's last
/// word: the refresh does not sign them back in.
#[test]
fn a_sign_out_after_session_exists_is_not_undone_by_its_refresh() {
    let (mut h, refresh, client) = session_exists_after_an_offline_sign_out();
    let again = h.submit(SessionCommand::SignOut { session_id: None });
    h.respond_json(&refresh, 200, &json!({ "response": client, "client": null }));
    let request = h.expect_request();
    h.fail(&request, TransportError::Connect("offline".into()));
    let _ = h.expect_success(again);
    assert_eq!(h.client.active_session_id(), None);
}

/// fapi.md §3.8.1: the first client chooses the session named `last_active_session_id`
/// when it is signed in, else the first signed-in session, else none.
#[test]
fn the_first_client_falls_back_to_its_first_signed_in_session() {
    for last_active in [None, Some("sess_1")] {
        let h = Harness::signed_in(&client_json(&[("sess_1", "ended"), ("sess_2", "active")], last_active, 1));
        assert_eq!(h.client.active_session_id(), Some("sess_2"), "last active {last_active:?}");
    }
    let h = Harness::signed_in(&client_json(&[("sess_1", "ended"), ("sess_2", "removed")], None, 1));
    assert_eq!(h.client.active_session_id(), None, "no signed-in session, none active");
}

#[test]
fn sign_out_offline_clears_local_state_and_reports_local_only() {
    let mut h = signed_in();
    assert!(h.client.cached_session_token("sess_1").is_some());
    let op = h.submit(SessionCommand::SignOut { session_id: None });
    // Cleared at once, before any answer.
    assert_eq!(h.client.active_session_id(), None);
    assert!(h.client.cached_session_token("sess_1").is_none());
    assert_eq!(h.client.signed_in_sessions().count(), 0);
    let request = h.expect_request();
    assert!(h.events.contains(&Event::SignedOut { reason: SignOutReason::UserAction }));
    assert!(h.events.contains(&Event::ActiveSessionChanged { session_id: None }));
    h.fail(&request, TransportError::Connect("offline".into()));
    match h.expect_success(op) {
        Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { error } } => {
            assert_eq!(*error, OperationError::Transport(TransportError::Connect("offline".into())));
        }
        other => panic!("{other:?}"),
    }
    assert!(h.poll_request().is_none(), "a sign-out is never re-sent by itself");
    assert_eq!(h.client.active_session_id(), None);
    assert_eq!(h.client.client_token().map(|t| t.expose()), Some("token-1"));
}

#[test]
fn a_late_touch_answer_cannot_bring_a_signed_out_session_back() {
    let mut h = signed_in();
    let touch = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::SessionDefault,
    });
    let touch_request = h.expect_request();
    // The app gives up on the touch and signs out while it is still on the wire.
    h.client.cancel(touch).unwrap_or_else(|e| panic!("{e}"));
    let sign_out = h.submit(SessionCommand::SignOut { session_id: None });
    assert_eq!(h.client.active_session_id(), None);

    // The touch answer arrives late, with the session active and a fresh token.
    let now = START.unix_timestamp();
    let late = session_with_token("sess_1", "active", &canned_jwt("sess_1", now + 5, now + 65));
    let client = client_of(vec![late.clone()], Some("sess_1"), 5);
    h.respond_json(&touch_request, 200, &session_answer(&late, &client));
    assert_eq!(h.client.active_session_id(), None);
    assert!(h.client.cached_session_token("sess_1").is_none());

    let request = h.expect_request();
    assert_eq!(request.request.path, "/v1/client/sessions");
    h.fail(&request, TransportError::Timeout("no answer".into()));
    assert!(matches!(
        h.expect_success(sign_out),
        Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { .. } }
    ));
    assert_eq!(h.client.active_session_id(), None);
    assert!(h.client.cached_session_token("sess_1").is_none());
    assert_eq!(h.client.poll_timeout(), None, "no token refresh for a signed-out session");
}

#[test]
fn a_late_touch_answer_after_remove_sessions_cannot_bring_the_session_back() {
    let mut h = signed_in();
    let touch = h.submit(SessionCommand::Touch { session_id: "sess_1".into(), intent: Some(TouchIntent::Focus) });
    let touch_request = h.expect_request();
    // Remove-sessions is a client command, so it is accepted while the touch is pending.
    let sign_out = h.submit(ClientCommand::RemoveSessions);
    assert_eq!(h.client.active_session_id(), None);
    let now = START.unix_timestamp();
    let late = session_with_token("sess_1", "active", &canned_jwt("sess_1", now + 5, now + 65));
    h.respond_json(&touch_request, 200, &session_answer(&late, &client_of(vec![late.clone()], Some("sess_1"), 5)));
    assert_eq!(h.client.active_session_id(), None);
    assert!(h.client.cached_session_token("sess_1").is_none());
    let _ = h.outcome(touch);
    let request = h.expect_request();
    h.fail(&request, TransportError::Io("reset".into()));
    assert!(matches!(
        h.expect_success(sign_out),
        Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { .. } }
    ));
    assert_eq!(h.client.active_session_id(), None);
}

#[test]
fn a_late_token_answer_cannot_bring_a_token_back_after_sign_out() {
    let mut h = signed_in();
    let get = h.submit(token_request(TokenRequest { skip_cache: true, ..TokenRequest::default() }));
    let token_request = h.expect_request();
    let sign_out = h.submit(SessionCommand::SignOut { session_id: None });
    assert_eq!(h.expect_failure(get), OperationError::Superseded, "the pending get_token is superseded");
    let now = START.unix_timestamp();
    h.respond_json(&token_request, 200, &json!({ "object": "token", "jwt": canned_jwt("sess_1", now + 1, now + 61) }));
    assert!(h.client.cached_session_token("sess_1").is_none());
    assert!(!h.events.iter().any(|e| matches!(e, Event::SessionTokenRefreshed { .. })));
    let request = h.expect_request();
    h.fail(&request, TransportError::Connect("offline".into()));
    assert!(matches!(
        h.expect_success(sign_out),
        Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { .. } }
    ));
    assert_eq!(h.client.active_session_id(), None);
    assert!(h.client.cached_session_token("sess_1").is_none());
}

#[test]
fn signing_out_of_another_session_keeps_the_active_one() {
    let mut h = two_sessions();
    let op = h.submit(SessionCommand::SignOut { session_id: Some("sess_2".into()) });
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(h.client.session("sess_2").is_none_or(|s| !s.is_signed_in()));
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "active"), ("sess_2", "removed")], Some("sess_1"), 2);
    h.respond_json(&request, 200, &session_answer(&session_json("sess_2", "removed"), &client));
    assert_eq!(h.expect_success(op), Completion::SignedOut { confirmation: SignOutConfirmation::Confirmed });
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(!h.events.iter().any(|e| matches!(e, Event::SignedOut { .. })));

    // Signing out of the active one is a sign-out by the user.
    h.clear_events();
    let op = h.submit(SessionCommand::SignOut { session_id: Some("sess_1".into()) });
    assert_eq!(h.client.active_session_id(), None);
    let request = h.expect_request();
    assert!(h.events.contains(&Event::SignedOut { reason: SignOutReason::UserAction }));
    h.fail(&request, TransportError::Connect("offline".into()));
    assert!(matches!(
        h.expect_success(op),
        Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { .. } }
    ));
}

// ---------------------------------------------------------------------------------------
// Signing out of one session or resetting an attempt clears only that (design §7.4): an
// answer to a request queued before is applied for everything else (fapi.md §3.8.3: "the
// current session is kept"), and cannot bring back the session signed out of.
// ---------------------------------------------------------------------------------------

/// `sess_1`, `sess_2` and `sess_3` signed in, `sess_1` active with a 60 s token that arrived
/// at [`START`].
fn three_sessions() -> Harness {
    let n = START.unix_timestamp();
    Harness::signed_in(&client_of(
        vec![
            session_with_token("sess_1", "active", &canned_jwt("sess_1", n, n + 60)),
            session_json("sess_2", "active"),
            session_json("sess_3", "active"),
        ],
        Some("sess_1"),
        1,
    ))
}

fn set_active(session_id: &str) -> SessionCommand {
    SessionCommand::SetActive { session_id: session_id.into(), organization: OrganizationChoice::SessionDefault }
}

fn token_of(completion: Completion) -> String {
    match completion {
        Completion::SessionToken(jwt) => jwt.expose().to_owned(),
        other => panic!("expected a session token, got {other:?}"),
    }
}

/// `set_active(sess_2)`'s touch is on the wire when the user signs out of `sess_3`; the
/// touch answer switches to `sess_2`; then the remove is answered with `remove_status`.
fn sign_out_of_another_session_during_set_active(remove_status: u16) {
    let n = START.unix_timestamp();
    let mut h = three_sessions();
    let switch = h.submit(set_active("sess_2"));
    let touch = h.expect_request();
    assert_eq!(touch.request.path, "/v1/client/sessions/sess_2/touch");
    let sign_out = h.submit(SessionCommand::SignOut { session_id: Some("sess_3".into()) });
    assert!(h.client.session("sess_3").is_none());

    let sess_2_token = canned_jwt("sess_2", n + 1, n + 61);
    let sess_2 = session_with_token("sess_2", "active", &sess_2_token);
    let client = client_of(
        vec![session_json("sess_1", "active"), sess_2.clone(), session_json("sess_3", "active")],
        Some("sess_2"),
        2,
    );
    h.respond_json(&touch, 200, &session_answer(&sess_2, &client));
    match h.expect_success(switch) {
        Completion::Session(session) => assert_eq!(session.id, "sess_2"),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.client.active_session_id(), Some("sess_2"), "set_active succeeded but did not switch");
    assert!(h.client.session("sess_3").is_none(), "the session signed out of came back");
    let remove = h.expect_request();
    assert_eq!(remove.request.path, "/v1/client/sessions/sess_3/remove");
    let op = h.submit(token_request(TokenRequest::default()));
    assert_eq!(token_of(h.expect_success(op)), sess_2_token, "get_token serves the new active session's token");

    let confirmation = if remove_status == 200 {
        let client =
            client_json(&[("sess_1", "active"), ("sess_2", "active"), ("sess_3", "removed")], Some("sess_2"), 3);
        h.respond_json(&remove, 200, &session_answer(&session_json("sess_3", "removed"), &client));
        match h.expect_success(sign_out) {
            Completion::SignedOut { confirmation } => confirmation,
            other => panic!("{other:?}"),
        }
    } else {
        h.respond_json(&remove, remove_status, &error_json("service_unavailable", None));
        match h.expect_success(sign_out) {
            Completion::SignedOut { confirmation } => confirmation,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(matches!(confirmation, SignOutConfirmation::Confirmed), remove_status == 200);
    assert_eq!(h.client.active_session_id(), Some("sess_2"));
    assert!(h.client.session("sess_3").is_none_or(|s| !s.is_signed_in()));
    assert!(!h.events.iter().any(|e| matches!(e, Event::SignedOut { .. })), "nobody was signed out of the active slot");
}

#[test]
fn signing_out_of_another_session_does_not_void_a_pending_set_active() {
    sign_out_of_another_session_during_set_active(200);
}

#[test]
fn signing_out_of_another_session_does_not_void_a_pending_set_active_when_the_remove_fails() {
    sign_out_of_another_session_during_set_active(503);
}

#[test]
fn signing_out_of_another_session_keeps_the_active_sessions_refresh_going() {
    let n = START.unix_timestamp();
    let mut h = three_sessions();
    // The proactive refresh of sess_1's token (60 s, refreshed 17 s ahead) is on the wire…
    h.advance(time::Duration::seconds(43));
    let refresh = h.expect_request();
    assert_eq!(refresh.request.path, "/v1/client/sessions/sess_1/tokens");
    // …when the user signs out of sess_3.
    let sign_out = h.submit(SessionCommand::SignOut { session_id: Some("sess_3".into()) });
    let fresh = canned_jwt("sess_1", n + 43, n + 103);
    h.respond_json(&refresh, 200, &json!({ "object": "token", "jwt": fresh }));
    assert_eq!(h.client.cached_session_token("sess_1").map(|t| t.expose()), Some(fresh.as_str()));
    let remove = h.expect_request();
    assert_eq!(remove.request.path, "/v1/client/sessions/sess_3/remove");
    assert!(h.events.iter().any(|e| matches!(e, Event::SessionTokenRefreshed { .. })));
    h.fail(&remove, TransportError::Connect("offline".into()));
    let _ = h.expect_success(sign_out);
    // The next refresh is due 17 s before the fresh token's end.
    assert_eq!(h.client.poll_timeout(), Some(START + time::Duration::seconds(43 + 60 - 17)));
    let op = h.submit(token_request(TokenRequest::default()));
    assert_eq!(token_of(h.expect_success(op)), fresh);
}

#[test]
fn reset_sign_in_does_not_void_a_pending_set_active() {
    let n = START.unix_timestamp();
    let mut h = three_sessions();
    let switch = h.submit(set_active("sess_2"));
    let touch = h.expect_request();
    let reset = h.client.reset_sign_in(h.now);
    assert_eq!(h.expect_success(reset), Completion::LocalChange);
    let sess_2_token = canned_jwt("sess_2", n + 1, n + 61);
    let sess_2 = session_with_token("sess_2", "active", &sess_2_token);
    let client = client_of(
        vec![session_json("sess_1", "active"), sess_2.clone(), session_json("sess_3", "active")],
        Some("sess_2"),
        2,
    );
    h.respond_json(&touch, 200, &session_answer(&sess_2, &client));
    assert!(matches!(h.expect_success(switch), Completion::Session(_)));
    assert_eq!(h.client.active_session_id(), Some("sess_2"), "set_active succeeded but did not switch");
    let op = h.submit(token_request(TokenRequest::default()));
    assert_eq!(token_of(h.expect_success(op)), sess_2_token);
}

#[test]
fn a_late_answer_cannot_bring_back_a_session_signed_out_of() {
    let n = START.unix_timestamp();
    let mut h = three_sessions();
    // set_active(sess_3) is on the wire when the user signs out of sess_3.
    let switch = h.submit(set_active("sess_3"));
    let touch = h.expect_request();
    let sign_out = h.submit(SessionCommand::SignOut { session_id: Some("sess_3".into()) });
    assert!(h.client.session("sess_3").is_none());
    h.clear_events();

    // The server had switched to sess_3 and minted its token.
    let sess_3 = session_with_token("sess_3", "active", &canned_jwt("sess_3", n + 1, n + 61));
    let client = client_of(
        vec![session_json("sess_1", "active"), session_json("sess_2", "active"), sess_3.clone()],
        Some("sess_3"),
        2,
    );
    h.respond_json(&touch, 200, &session_answer(&sess_3, &client));
    let _ = h.expect_outcome(switch);
    assert!(h.client.session("sess_3").is_none(), "the session signed out of is listed again");
    assert!(!h.client.signed_in_sessions().any(|s| s.id == "sess_3"));
    assert!(h.client.cached_session_token("sess_3").is_none(), "its piggybacked token was cached");
    assert_eq!(h.client.active_session_id(), Some("sess_1"), "the active session is kept");
    assert!(!h.events.iter().any(|e| matches!(e, Event::SignedOut { .. } | Event::ActiveSessionChanged { .. })));
    // The rest of the answer applied: the client's last active session is the server's.
    assert_eq!(h.client.last_active_session_id(), Some("sess_3"));

    // The remove fails: nothing from before the sign-out brings sess_3 back meanwhile.
    let remove = h.expect_request();
    h.respond_json(&remove, 503, &error_json("service_unavailable", None));
    assert!(matches!(
        h.expect_success(sign_out),
        Completion::SignedOut { confirmation: SignOutConfirmation::LocalOnly { .. } }
    ));
    assert!(h.client.session("sess_3").is_none());
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
}

#[test]
fn a_late_session_or_token_answer_without_a_client_cannot_bring_it_back_either() {
    let n = START.unix_timestamp();
    let mut h = three_sessions();
    // A touch of sess_3 and a token fetch for it are queued when the user signs out of it.
    let touch_op = h.submit(SessionCommand::Touch { session_id: "sess_3".into(), intent: None });
    let get = h.submit(token_request(TokenRequest { session_id: Some("sess_3".into()), ..TokenRequest::default() }));
    let touch = h.expect_request();
    let sign_out = h.submit(SessionCommand::SignOut { session_id: Some("sess_3".into()) });
    let sess_3 = session_with_token("sess_3", "active", &canned_jwt("sess_3", n + 1, n + 61));
    h.respond_json(&touch, 200, &json!({ "response": sess_3, "client": null }));
    let _ = h.expect_outcome(touch_op);
    assert!(h.client.session("sess_3").is_none(), "a session answer merged the session back");
    assert!(h.client.cached_session_token("sess_3").is_none());

    // The token fetch still queued was dropped at the sign-out, its ask superseded (a fetch
    // already on the wire: a_token_asked_for_a_session_then_signed_out_of_is_not_handed_out).
    assert!(matches!(h.expect_failure(get), OperationError::Superseded));
    assert!(h.client.cached_session_token("sess_3").is_none());

    let remove = h.expect_request();
    h.fail(&remove, TransportError::Connect("offline".into()));
    let _ = h.expect_success(sign_out);
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(h.client.session("sess_3").is_none());
}

#[test]
fn a_token_asked_for_a_session_then_signed_out_of_is_not_handed_out() {
    let n = START.unix_timestamp();
    let mut h = three_sessions();
    let ask = h.submit(token_request(TokenRequest { session_id: Some("sess_3".into()), ..TokenRequest::default() }));
    let fetch = h.expect_request();
    assert_eq!(fetch.request.path, "/v1/client/sessions/sess_3/tokens");
    let _sign_out = h.submit(SessionCommand::SignOut { session_id: Some("sess_3".into()) });
    assert!(matches!(h.expect_failure(ask), OperationError::Superseded));
    // The fetch's answer arrives after all: nothing of it is kept.
    h.respond_json(&fetch, 200, &json!({ "object": "token", "jwt": canned_jwt("sess_3", n, n + 60) }));
    assert!(h.client.cached_session_token("sess_3").is_none());
    // The other sessions' tokens are untouched.
    assert!(h.client.cached_session_token("sess_1").is_some());
}

/// An instance that forces organization selection has no personal account: activating it is
/// refused with a typed error and nothing is sent (fapi.md §3.8.2 step 3; the server would keep
/// the previous organization and the switch would look done). Choosing an organization still
/// works, and before the environment is known the engine cannot tell and sends as usual.
#[test]
fn the_personal_account_is_refused_where_organization_selection_is_forced() {
    let mut session = session_json("sess_1", "active");
    session["last_active_organization_id"] = json!("org_1");
    let mut client = client_json(&[], Some("sess_1"), 1);
    client["sessions"] = json!([session]);
    let personal =
        || SessionCommand::SetActive { session_id: "sess_1".into(), organization: OrganizationChoice::Personal };

    // Environment not loaded yet: sent as usual.
    let mut h = Harness::signed_in(&client);
    let _ = h.submit(personal());
    assert!(h.poll_request().is_some(), "without an environment the engine cannot know");

    let mut h = Harness::signed_in(&client);
    let op = h.submit(ClientCommand::LoadEnvironment);
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "organization_settings": { "force_organization_selection": true } }));
    let _ = h.expect_success(op);
    let refused = h.client.submit(Command::Session(personal()), h.now);
    assert!(
        matches!(&refused, Err(CommandError::InvalidArgument { name: "organization", reason }) if reason.contains("force_organization_selection")),
        "{refused:?}"
    );
    assert!(h.poll_request().is_none(), "nothing is sent");
    let _ = h.submit(SessionCommand::SetActive {
        session_id: "sess_1".into(),
        organization: OrganizationChoice::Id("org_2".into()),
    });
    let sent = h.expect_request().request;
    assert_eq!(sent.form_value("active_organization_id").map(|v| v.expose().to_owned()).as_deref(), Some("org_2"));
}

/// A session answer (no client) showing the session ended: its tokens and refresh go.
#[test]
fn a_session_seen_ended_in_a_session_answer_loses_its_tokens_and_refresh_deadline() {
    let mut h = signed_in();
    assert!(h.client.poll_timeout().is_some());
    let op = h.submit(SessionCommand::Reload { session_id: "sess_1".into() });
    let r = h.expect_request();
    h.respond_json(&r, 200, &json!({ "response": session_json("sess_1", "ended"), "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), None);
    assert!(h.client.cached_session_token("sess_1").is_none(), "JWT of an ended session still cached");
    assert_eq!(h.client.poll_timeout(), None, "refresh deadline left after SignedOut");
}

/// A session the new client no longer lists keeps no tokens.
#[test]
fn a_session_missing_from_a_new_client_loses_its_tokens() {
    let mut h = signed_in();
    let op = h.client.reload(h.now);
    let r = h.expect_request();
    h.respond_json(&r, 200, &json!({ "response": client_json(&[], None, 2), "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), None);
    assert!(h.client.cached_session_token("sess_1").is_none(), "JWT of a session no longer on the client");
}

// ---------------------------------------------------------------------------------------
// Shortcuts a user of clerk-js or clerk-ios looks for
// ---------------------------------------------------------------------------------------

#[test]
fn the_user_is_the_active_sessions_user_and_none_without_one() {
    let mut h = two_sessions();
    let user = h.client.user().expect("signed in");
    assert_eq!(user.id.as_deref(), Some("user_1"));
    assert_eq!(
        user.primary_email_address().and_then(|address| address.email_address.as_deref()),
        Some("ada@example.com")
    );
    // Signing out of the active one leaves another signed in but none active: no user.
    let _ = h.submit(SessionCommand::SignOut { session_id: Some("sess_1".into()) });
    assert!(h.client.signed_in_sessions().next().is_some());
    assert!(h.client.user().is_none());
    assert!(Harness::new().client.user().is_none());
}

#[test]
fn a_template_token_request_is_the_active_sessions_token_from_that_template() {
    let request = TokenRequest::template("supabase");
    assert_eq!(request, TokenRequest { template: Some("supabase".into()), ..TokenRequest::default() });
    let mut h = signed_in();
    let _ = h.submit(SessionCommand::GetToken(request));
    assert_eq!(h.expect_request().request.path, "/v1/client/sessions/sess_1/tokens/supabase");
}

#[test]
fn a_cancelled_sign_out_still_sends_its_request() {
    // Signed out here at once; cancelling ends the operation for its caller, but the
    // server must still hear of it, or the session would come back at the next reload.
    for sign_out in [
        Command::Session(SessionCommand::SignOut { session_id: None }),
        Command::Session(SessionCommand::SignOut { session_id: Some(String::from("sess_1")) }),
        Command::Client(ClientCommand::RemoveSessions),
        Command::Client(ClientCommand::Destroy),
    ] {
        assert!(sign_out.signs_out_locally_first(), "{sign_out:?}");
        let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
        let op = h.submit(sign_out.clone());
        assert_eq!(h.client.active_session_id(), None, "{sign_out:?}: signed out here at once");
        h.client.cancel(op).unwrap_or_else(|e| panic!("{sign_out:?}: {e}"));
        assert_eq!(h.expect_failure(op), OperationError::Cancelled, "{sign_out:?}");
        assert!(h.client.pending_operation(Flow::Session).is_none(), "{sign_out:?}: nothing holds the flow");
        let request = h.expect_request();
        assert!(
            request.request.path.starts_with("/v1/client"),
            "{sign_out:?}: the sign-out's request went out: {}",
            request.request.path
        );
    }
    // Anything else cancelled sends nothing more.
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let op = h.submit(ClientCommand::Reload);
    h.client.cancel(op).unwrap_or_else(|e| panic!("{e}"));
    assert!(h.poll_request().is_none(), "a cancelled reload is not sent");
}

#[test]
fn a_second_destroy_does_not_drop_a_cancelled_destroys_request() {
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let token = h.client.client_token().map(|t| t.expose().to_owned()).expect("a client token");
    let reload = h.submit(ClientCommand::Reload);
    let on_wire = h.expect_request();
    let first = h.submit(ClientCommand::Destroy);
    h.client.cancel(first).unwrap_or_else(|e| panic!("{e}"));
    let _second = h.submit(ClientCommand::Destroy);
    h.respond_json(&on_wire, 200, &json!({ "response": client_json(&[("sess_1", "active")], Some("sess_1"), 2) }));
    let _ = h.outcome(reload);

    // The first destroy's request goes out with the token it was pinned to: the client
    // it ends is that one, which the second destroy (with no token left) cannot end.
    let sent = h.expect_request();
    assert_eq!(sent.request.path, "/v1/client");
    assert_eq!(sent.request.header("authorization").map(|v| v.expose().to_owned()), Some(token));
}

#[test]
fn a_touch_answered_without_a_client_does_not_let_the_next_reload_switch_sessions() {
    // Touching sess_2 made it the server's last active session. The touch's answer carried
    // no client, so the next reload is the first to show that: it is no flow completing,
    // and sess_1 stays active (as when the touch's answer carries the client).
    let mut h = two_sessions();
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    let op = h.submit(SessionCommand::Touch { session_id: "sess_2".into(), intent: None });
    let request = h.expect_request();
    h.respond_json(&request, 200, &json!({ "response": session_json("sess_2", "active"), "client": null }));
    let _ = h.expect_success(op);
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_2"), 2);
    h.respond_json(&request, 200, &json!({ "response": client, "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), Some("sess_1"));
    assert!(!h.events.iter().any(|event| matches!(event, Event::ActiveSessionChanged { .. })));
}

#[test]
fn the_active_session_ending_is_a_sign_out_even_when_another_becomes_active() {
    // sess_1 was revoked elsewhere, and the same client makes sess_2 the last active one
    // (which may be another user's): the app hears that sess_1 signed out before it hears
    // of the switch, so it clears what it showed for sess_1.
    let mut h = two_sessions();
    h.clear_events();
    let op = h.client.reload(h.now);
    let request = h.expect_request();
    let client = client_json(&[("sess_1", "revoked"), ("sess_2", "active")], Some("sess_2"), 2);
    h.respond_json(&request, 200, &json!({ "response": client, "client": null }));
    let _ = h.expect_success(op);
    assert_eq!(h.client.active_session_id(), Some("sess_2"));
    let signed_out = h.events.iter().position(|event| matches!(event, Event::SignedOut { .. }));
    let switched =
        h.events.iter().position(|event| *event == Event::ActiveSessionChanged { session_id: Some("sess_2".into()) });
    assert!(signed_out.is_some_and(|at| switched.is_some_and(|switch| at < switch)), "events: {:?}", h.events);
    assert!(
        h.events.iter().any(|event| matches!(event, Event::SignedOut { reason: SignOutReason::SessionEnded { .. } }))
    );
}

#[test]
fn set_active_of_a_session_that_ended_meanwhile_fails_and_keeps_the_active_one() {
    // sess_2 ended on the server while the touch was out: its answer shows it ended, with
    // the client or (the session's own status) without. `Ok` would say sess_2 is active;
    // it is not.
    let client = client_json(&[("sess_1", "active"), ("sess_2", "ended")], Some("sess_1"), 2);
    for answer in [
        session_answer(&session_json("sess_2", "ended"), &client),
        session_answer(&session_json("sess_2", "ended"), &Value::Null),
    ] {
        let mut h = two_sessions();
        let op = h.submit(SessionCommand::SetActive {
            session_id: "sess_2".into(),
            organization: OrganizationChoice::SessionDefault,
        });
        let request = h.expect_request();
        h.respond_json(&request, 200, &answer);
        assert_eq!(h.expect_failure(op), OperationError::Superseded, "{answer}");
        assert_eq!(h.client.active_session_id(), Some("sess_1"), "{answer}");
    }
}
