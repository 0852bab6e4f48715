//! Hostile and broken answers: each gives a typed error or the documented outcome, and
//! `export()` is unchanged wherever design §7.3 says nothing may change.

use clerk_core::config::RetryPolicy;
use clerk_core::wire::{ErrorCode, SessionStatus, SignInStatus};
use clerk_core::{
    ClientCommand, Command, Completion, HttpResponse, OperationError, Outcome, ResponseError, TransportError,
};
use clerk_tests::harness::{Harness, client_json, config, error_json, sign_in_json};
use serde_json::json;

#[derive(Clone, Copy, Debug)]
enum Ask {
    Reload,
    Create,
    Environment,
}

enum Answer {
    Raw(u16, Vec<(&'static str, &'static str)>, Vec<u8>),
    Transport(TransportError),
}

fn raw(status: u16, body: &str) -> Answer {
    Answer::Raw(status, vec![("content-type", "application/json")], body.as_bytes().to_vec())
}

fn json_answer(status: u16, body: serde_json::Value) -> Answer {
    Answer::Raw(status, vec![("content-type", "application/json")], serde_json::to_vec(&body).unwrap_or_default())
}

fn with_headers(status: u16, headers: Vec<(&'static str, &'static str)>, body: serde_json::Value) -> Answer {
    Answer::Raw(status, headers, serde_json::to_vec(&body).unwrap_or_default())
}

type Check = fn(&Outcome, &Harness);

struct Case {
    name: &'static str,
    ask: Ask,
    answer: Answer,
    /// Whether `export()` must be identical before and after.
    unchanged: bool,
    check: Check,
}

fn undecodable(outcome: &Outcome, status: u16) -> bool {
    matches!(outcome, Err(OperationError::Response(ResponseError::Undecodable { status: s, .. })) if *s == status)
}

fn api_code(outcome: &Outcome) -> Option<&ErrorCode> {
    match outcome {
        Err(OperationError::Api(error)) => Some(&error.code),
        _ => None,
    }
}

fn signed_in() -> serde_json::Value {
    client_json(&[("sess_1", "active")], Some("sess_1"), 10)
}

fn newer_client() -> serde_json::Value {
    let mut client = client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_1"), 20);
    client["sign_in"] = sign_in_json("sia_9", "needs_first_factor");
    client
}

fn cases() -> Vec<Case> {
    let huge = format!("{{\"response\":null,\"pad\":\"{}\"}}", "x".repeat(5 * 1024 * 1024));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    vec![
        Case {
            name: "HTML 502 from a proxy",
            ask: Ask::Create,
            answer: Answer::Raw(
                502,
                vec![("content-type", "text/html")],
                b"<html><body>Bad Gateway</body></html>".to_vec(),
            ),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 502), "{o:?}"),
        },
        Case {
            name: "HTML 404",
            ask: Ask::Reload,
            answer: Answer::Raw(404, vec![("content-type", "text/html")], b"<h1>Not Found</h1>".to_vec()),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 404), "{o:?}"),
        },
        Case {
            name: "truncated JSON",
            ask: Ask::Reload,
            answer: raw(200, r#"{"response":{"object":"client","id":"cl"#),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "empty body",
            ask: Ask::Reload,
            answer: raw(200, ""),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "not UTF-8",
            ask: Ask::Reload,
            answer: Answer::Raw(200, vec![], vec![0xff, 0xfe, 0x00, 0x7b]),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "a valid client with a non-UTF-8 byte in an unknown field",
            ask: Ask::Reload,
            answer: Answer::Raw(
                200,
                vec![],
                [
                    &br#"{"response":{"object":"client","id":"client_1","sessions":[],"x":""#[..],
                    &[0xff],
                    br#""},"client":null}"#,
                ]
                .concat(),
            ),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "envelope without response",
            ask: Ask::Reload,
            answer: raw(200, "{}"),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "response of the wrong type",
            ask: Ask::Reload,
            answer: raw(200, r#"{"response":[],"client":null}"#),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "sessions of the wrong type",
            ask: Ask::Reload,
            answer: json_answer(
                200,
                json!({"response": {"object":"client","id":"client_1","sessions":"all of them"}, "client": null}),
            ),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "a timestamp as a placeholder string",
            ask: Ask::Reload,
            answer: json_answer(
                200,
                json!({"response": {"object":"client","id":"client_1","sessions":[],"updated_at":"%%DATETIME 1%%"}, "client": null}),
            ),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "a timestamp beyond any calendar",
            ask: Ask::Reload,
            answer: raw(
                200,
                r#"{"response":{"object":"client","id":"client_1","sessions":[],"updated_at":9223372036854775807},"client":null}"#,
            ),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "a session without an id",
            ask: Ask::Reload,
            answer: json_answer(
                200,
                json!({"response": {"object":"client","id":"client_1","sessions":[{"object":"session","status":"active"}]}, "client": null}),
            ),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "JSON nested past the recursion limit",
            ask: Ask::Reload,
            answer: raw(200, &deep),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "body over max_response_bytes",
            ask: Ask::Reload,
            answer: raw(200, &huge),
            unchanged: true,
            check: |o, _| {
                assert!(matches!(o, Err(OperationError::Response(ResponseError::BodyTooLarge { .. }))), "{o:?}")
            },
        },
        Case {
            name: "environment that is not an object",
            ask: Ask::Environment,
            answer: raw(200, "[1,2,3]"),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
        Case {
            name: "client: null beside a client response",
            ask: Ask::Reload,
            answer: json_answer(200, json!({"response": newer_client(), "client": null})),
            unchanged: false,
            check: |o, h| {
                assert_eq!(o, &Ok(Completion::ClientReloaded { client_present: true, applied: true }));
                assert_eq!(h.client.sessions().len(), 2);
            },
        },
        Case {
            name: "unknown session and sign-in statuses are kept",
            ask: Ask::Reload,
            answer: json_answer(200, {
                let mut c = client_json(&[("sess_1", "active"), ("sess_2", "hibernating")], Some("sess_1"), 20);
                c["sign_in"] = sign_in_json("sia_1", "needs_quantum_factor");
                json!({"response": c, "client": null})
            }),
            unchanged: false,
            check: |o, h| {
                assert!(o.is_ok(), "{o:?}");
                assert_eq!(
                    h.client.session("sess_2").and_then(|s| s.status.clone()),
                    Some(SessionStatus::Unknown("hibernating".into()))
                );
                assert_eq!(h.client.sign_in_status(), Some(&SignInStatus::Unknown("needs_quantum_factor".into())));
                assert_eq!(h.client.active_session_id(), Some("sess_1"));
            },
        },
        Case {
            name: "hostile ids in a client are data, never paths",
            ask: Ask::Reload,
            answer: json_answer(
                200,
                json!({"response": client_json(&[("../../v1/client", "active")], Some("../../v1/client"), 20), "client": null}),
            ),
            unchanged: false,
            check: |o, h| {
                assert!(o.is_ok(), "{o:?}");
                assert_eq!(h.client.active_session_id(), Some("../../v1/client"));
                assert!(clerk_core::encoding::ResourceId::new("../../v1/client").is_err());
                assert!(clerk_core::encoding::ResourceId::new("..").is_err());
            },
        },
        Case {
            name: "missing Authorization on create",
            ask: Ask::Create,
            answer: json_answer(200, json!({"response": newer_client(), "client": null})),
            unchanged: false,
            check: |o, h| {
                assert_eq!(o, &Ok(Completion::ClientCreated));
                assert_eq!(h.client.client_token().map(|t| t.expose()), Some("token-1"));
            },
        },
        Case {
            name: "blank Authorization is no information",
            ask: Ask::Create,
            answer: with_headers(
                200,
                vec![("authorization", "   ")],
                json!({"response": newer_client(), "client": null}),
            ),
            unchanged: false,
            check: |_, h| assert_eq!(h.client.client_token().map(|t| t.expose()), Some("token-1")),
        },
        Case {
            name: "a bare Bearer is no information",
            ask: Ask::Create,
            answer: with_headers(
                200,
                vec![("authorization", "Bearer")],
                json!({"response": newer_client(), "client": null}),
            ),
            unchanged: false,
            check: |_, h| assert_eq!(h.client.client_token().map(|t| t.expose()), Some("token-1")),
        },
        Case {
            name: "401 authentication_invalid on a reload",
            ask: Ask::Reload,
            answer: json_answer(401, error_json("authentication_invalid", None)),
            unchanged: true,
            check: |o, h| {
                assert_eq!(api_code(o), Some(&ErrorCode::AuthenticationInvalid));
                assert!(h.client.is_quiescent(), "no refresh loop on /v1/client itself");
            },
        },
        Case {
            name: "429 with Retry-After on a mutation",
            ask: Ask::Create,
            answer: with_headers(429, vec![("retry-after", "30")], error_json("too_many_requests", None)),
            unchanged: true,
            check: |o, _| {
                assert_eq!(
                    o.as_ref().err().and_then(|e| e.api()).and_then(|e| e.retry_after),
                    Some(time::Duration::seconds(30))
                )
            },
        },
        Case {
            name: "429 without Retry-After",
            ask: Ask::Create,
            answer: json_answer(429, error_json("too_many_requests", None)),
            unchanged: true,
            check: |o, _| {
                let api = o.as_ref().err().and_then(|e| e.api());
                assert_eq!(api.map(|e| e.status), Some(429));
                assert_eq!(api.and_then(|e| e.retry_after), None);
            },
        },
        Case {
            name: "429 with an HTTP-date Retry-After",
            ask: Ask::Create,
            answer: with_headers(
                429,
                vec![("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT")],
                error_json("too_many_requests", None),
            ),
            unchanged: true,
            check: |o, _| assert_eq!(o.as_ref().err().and_then(|e| e.api()).map(|e| e.retry_after), Some(None)),
        },
        Case {
            name: "4xx with meta.client applies the client, then fails",
            ask: Ask::Create,
            answer: json_answer(422, error_json("form_code_incorrect", Some(&newer_client()))),
            unchanged: false,
            check: |o, h| {
                assert_eq!(api_code(o), Some(&ErrorCode::FormCodeIncorrect));
                assert_eq!(h.client.sessions().len(), 2);
                assert!(h.client.sign_in().is_some());
            },
        },
        Case {
            name: "5xx with meta.client changes nothing",
            ask: Ask::Create,
            answer: json_answer(500, error_json("internal_error", Some(&client_json(&[], None, 99)))),
            unchanged: true,
            check: |o, h| {
                assert!(o.is_err());
                assert_eq!(h.client.active_session_id(), Some("sess_1"));
            },
        },
        Case {
            name: "error body with an empty errors list",
            ask: Ask::Create,
            answer: raw(400, r#"{"errors":[]}"#),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 400), "{o:?}"),
        },
        Case {
            name: "error item without a code",
            ask: Ask::Create,
            answer: raw(422, r#"{"errors":[{"message":"no code"}]}"#),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 422), "{o:?}"),
        },
        Case {
            name: "unknown error code is kept verbatim",
            ask: Ask::Create,
            answer: json_answer(422, error_json("brand_new_code", None)),
            unchanged: true,
            check: |o, _| assert_eq!(api_code(o), Some(&ErrorCode::Other("brand_new_code".into()))),
        },
        Case {
            name: "captcha error explains native access",
            ask: Ask::Create,
            answer: json_answer(400, error_json("captcha_invalid", None)),
            unchanged: true,
            check: |o, _| {
                let text = o.as_ref().err().map(ToString::to_string).unwrap_or_default();
                assert!(text.contains("native"), "{text}");
            },
        },
        Case {
            name: "a redirect",
            ask: Ask::Reload,
            answer: Answer::Raw(302, vec![("location", "https://evil.example")], Vec::new()),
            unchanged: true,
            check: |o, _| {
                assert!(
                    matches!(o, Err(OperationError::Response(ResponseError::UnexpectedStatus { status: 302, .. }))),
                    "{o:?}"
                )
            },
        },
        Case {
            name: "connection refused on a mutation",
            ask: Ask::Create,
            answer: Answer::Transport(TransportError::Connect("refused".into())),
            unchanged: true,
            check: |o, _| assert_eq!(o, &Err(OperationError::Transport(TransportError::Connect("refused".into())))),
        },
        Case {
            name: "timeout on a read (no retries configured)",
            ask: Ask::Reload,
            answer: Answer::Transport(TransportError::Timeout("10s".into())),
            unchanged: true,
            check: |o, _| assert!(matches!(o, Err(OperationError::Transport(TransportError::Timeout(_)))), "{o:?}"),
        },
        Case {
            name: "body cut off by the driver's size limit",
            ask: Ask::Reload,
            answer: Answer::Transport(TransportError::BodyTooLarge { limit: 4 }),
            unchanged: true,
            check: |o, _| {
                assert!(matches!(o, Err(OperationError::Transport(TransportError::BodyTooLarge { .. }))), "{o:?}")
            },
        },
        Case {
            name: "an older client by updated_at",
            ask: Ask::Reload,
            answer: json_answer(200, json!({"response": client_json(&[], None, 1), "client": null})),
            unchanged: true,
            check: |o, _| assert_eq!(o, &Ok(Completion::ClientReloaded { client_present: true, applied: false })),
        },
        Case {
            name: "a client object of another shape entirely",
            ask: Ask::Reload,
            answer: raw(200, r#"{"response":"client","client":null}"#),
            unchanged: true,
            check: |o, _| assert!(undecodable(o, 200), "{o:?}"),
        },
    ]
}

#[test]
fn every_hostile_answer_has_a_typed_outcome() {
    let cases = cases();
    assert!(cases.len() >= 20, "at least 20 hostile answers");
    for case in cases {
        let config = config().with_retry(RetryPolicy::no_retries()).unwrap_or_else(|e| panic!("{e}"));
        let mut h = Harness::signed_in(&signed_in());
        h.client = clerk_core::Client::restore(config, h.client.export(), h.now).unwrap_or_else(|e| panic!("{e}"));
        let op = match case.ask {
            Ask::Reload => h.client.reload(h.now),
            Ask::Create => h.client.create(h.now).unwrap_or_else(|e| panic!("{e}")),
            Ask::Environment => h.submit(Command::Client(ClientCommand::LoadEnvironment)),
        };
        let request = h.expect_request();
        let before = h.client.export();
        match case.answer {
            Answer::Raw(status, headers, body) => h.respond(&request, HttpResponse::new(status, headers, body)),
            Answer::Transport(error) => h.fail(&request, error),
        }
        let outcome = h.expect_outcome(op);
        if case.unchanged {
            assert_eq!(h.client.export(), before, "{}: state changed", case.name);
        }
        (case.check)(&outcome, &h);
        println!("ok: {}", case.name);
    }
}

#[test]
fn undecodable_bodies_keep_a_redacted_preview() {
    let mut h = Harness::signed_in(&signed_in());
    let _ = h.client.create(h.now);
    let request = h.expect_request();
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzaWQiOiJzZXNzXzEifQ.c2VjcmV0LXNpZ25hdHVyZQ";
    h.respond(&request, HttpResponse::new(200, [("content-type", "application/json")], format!("{{\"jwt\":\"{jwt}\"")));
    let _ = h.drain();
    let text = format!("{:?} {}", h.events, h.events.iter().map(|e| format!("{e:?}")).collect::<String>());
    assert!(!text.contains("c2VjcmV0LXNpZ25hdHVyZQ"), "{text}");
    assert!(text.contains("eyJhbGciOiJSUzI1NiJ9.eyJzaWQiOiJzZXNzXzEifQ"), "claims stay for diagnosis");
}

/// Hostile commands: each is refused with a typed error, sends nothing and changes nothing.
#[test]
fn hostile_commands_are_refused_and_change_nothing() {
    use clerk_core::encoding::InvalidIdError;
    use clerk_core::{
        CommandError, FirstFactorPreparation, OrganizationChoice, SessionCommand, SignInCommand, SignUpCommand,
        SignUpFields, TokenRequest,
    };
    let mut hostile_client = client_json(&[("a/b", "active"), ("sess_1", "active")], Some("sess_1"), 10);
    let mut attempt = sign_in_json("../../v1/client", "needs_first_factor");
    attempt["supported_first_factors"] = json!([{ "strategy": "email_code", "email_address_id": "idn_1" }]);
    hostile_client["sign_in"] = attempt;
    hostile_client["sign_up"] = json!({ "object": "sign_up_attempt", "id": "sua_1", "status": "missing_requirements" });
    type Expect = fn(&CommandError) -> bool;
    let cases: Vec<(&str, Command, Expect)> = vec![
        ("an attempt id with ../ in a path", SignInCommand::Reload { rotating_token_nonce: None }.into(), |e| {
            matches!(e, CommandError::InvalidId(InvalidIdError::ForbiddenCharacter { .. }))
        }),
        ("a session id with / in a path", SessionCommand::Reload { session_id: "a/b".into() }.into(), |e| {
            matches!(e, CommandError::InvalidId(_))
        }),
        (
            "a template name ..",
            SessionCommand::GetToken(TokenRequest { template: Some("..".into()), ..TokenRequest::default() }).into(),
            |e| matches!(e, CommandError::InvalidTemplate(InvalidIdError::DotSegment)),
        ),
        (
            "an empty template name",
            SessionCommand::GetToken(TokenRequest { template: Some(String::new()), ..TokenRequest::default() }).into(),
            |e| matches!(e, CommandError::InvalidTemplate(InvalidIdError::Empty)),
        ),
        (
            "unsafe_metadata that is not an object",
            SignUpCommand::Create(SignUpFields { unsafe_metadata: Some(json!([1, 2])), ..SignUpFields::default() })
                .into(),
            |e| matches!(e, CommandError::InvalidArgument { name: "unsafe_metadata", .. }),
        ),
        ("a transfer in an update", SignUpCommand::Update(SignUpFields::transfer()).into(), |e| {
            matches!(e, CommandError::InvalidArgument { name: "transfer", .. })
        }),
        (
            "a factor id the server did not offer",
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode {
                email_address_id: Some("idn_evil".into()),
            })
            .into(),
            |e| matches!(e, CommandError::FactorNotOffered { .. }),
        ),
        (
            "a web3 preparation with a non-web3 strategy",
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::Web3 {
                strategy: clerk_core::wire::Strategy::Password,
                web3_wallet_id: None,
            })
            .into(),
            |e| matches!(e, CommandError::InvalidArgument { .. } | CommandError::FactorNotOffered { .. }),
        ),
        (
            "set_active on a session the client does not have",
            SessionCommand::SetActive { session_id: "sess_unknown".into(), organization: OrganizationChoice::Personal }
                .into(),
            |e| matches!(e, CommandError::InvalidState { .. }),
        ),
    ];
    let mut clean_client = hostile_client.clone();
    clean_client["sign_in"]["id"] = json!("sia_1");
    for (name, command, expect) in cases {
        // The factor cases need a usable attempt id, so the id check does not answer first.
        let factor_case = name.contains("factor") || name.contains("web3");
        let mut h = Harness::signed_in(if factor_case { &clean_client } else { &hostile_client });
        let before = h.client.export();
        match h.client.submit(command, h.now) {
            Err(error) => assert!(expect(&error), "{name}: unexpected {error:?}"),
            Ok(op) => panic!("{name}: accepted as {op}"),
        }
        assert!(h.poll_request().is_none(), "{name}: something was sent");
        assert_eq!(h.client.export(), before, "{name}: state changed");
    }
    let mut h = Harness::signed_in(&hostile_client);
    assert_eq!(h.client.cancel(clerk_core::OpId(9_999)), Err(CommandError::UnknownOperation(clerk_core::OpId(9_999))));
}

/// Broken answers to sign-in, session and token requests: typed errors, nothing changed.
#[test]
fn broken_answers_to_flow_requests_change_nothing() {
    use clerk_core::{SessionCommand, SignInCommand, SignInCreate, TokenRequest};
    let signed_in = || Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 10));
    let cases: Vec<(&str, Command, &str)> = vec![
        (
            "sign-in answer without a response",
            SignInCommand::Create(SignInCreate::identifier("a@b.co")).into(),
            r#"{"response":null,"client":null}"#,
        ),
        (
            "sign-in answer whose attempt has no id",
            SignInCommand::Create(SignInCreate::identifier("a@b.co")).into(),
            r#"{"response":{"status":"needs_first_factor"},"client":null}"#,
        ),
        ("sign-in answer that is an array", SignInCommand::Create(SignInCreate::identifier("a@b.co")).into(), r#"[]"#),
        (
            "a token that is not a JWT",
            SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into(),
            r#"{"object":"token","jwt":"not-a-jwt"}"#,
        ),
        (
            "a token answer without jwt",
            SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into(),
            r#"{"object":"token"}"#,
        ),
        (
            "a token whose exp is before iat",
            SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into(),
            r#"{"jwt":"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjEsImlhdCI6Mn0.c2ln"}"#,
        ),
        (
            "a touch answer with a numeric session id",
            SessionCommand::Touch { session_id: "sess_1".into(), intent: None }.into(),
            r#"{"response":{"id":5},"client":null}"#,
        ),
    ];
    for (name, command, body) in cases {
        let mut h = signed_in();
        let op = h.submit(command);
        let mut request = h.expect_request();
        // A token request asks again after a broken token (decision 0015): every attempt
        // gets the same broken answer, and none of them changes anything.
        let outcome = loop {
            let before = h.client.export();
            h.respond(
                &request,
                HttpResponse::new(200, [("content-type", "application/json")], body.as_bytes().to_vec()),
            );
            assert_eq!(h.client.export(), before, "{name}: state changed");
            if let Some(outcome) = h.outcome(op) {
                break outcome;
            }
            assert_eq!(request.kind, clerk_core::RequestKind::SessionToken, "{name}: only a token request is retried");
            let wake = h.client.poll_timeout().unwrap_or_else(|| panic!("{name}: no outcome and no retry"));
            h.advance(wake - h.now);
            request = h.expect_request();
        };
        assert!(undecodable(&outcome, 200), "{name}: {outcome:?}");
        assert!(h.client.cached_session_token("sess_1").is_none(), "{name}: a token was cached");
    }
}

/// `factor_verification_age` of another length than two does not spoil the whole answer.
#[test]
fn a_factor_verification_age_of_another_length_does_not_make_the_client_undecodable() {
    use clerk_tests::harness::{Harness, client_json};
    use serde_json::json;
    for fva in [json!([0]), json!([0, -1, 5])] {
        let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
        let op = h.client.reload(h.now);
        let r = h.expect_request();
        let mut client = client_json(&[("sess_1", "active"), ("sess_2", "active")], Some("sess_2"), 2);
        client["sessions"][0]["factor_verification_age"] = fva.clone();
        h.respond_json(&r, 200, &json!({ "response": client, "client": null }));
        assert!(h.expect_outcome(op).is_ok(), "fva {fva} made the whole client undecodable");
        assert_eq!(h.client.active_session_id(), Some("sess_2"));
    }
}

#[test]
fn an_answer_a_driver_cut_at_the_size_limit_is_not_fetched_again() {
    // A driver stops reading at `max_response_bytes` and reports `BodyTooLarge`: asking
    // again would download as much again, so even a GET fails at once.
    let mut h = Harness::signed_in(&client_json(&[("sess_1", "active")], Some("sess_1"), 1));
    let before = h.client.export();
    let reload = h.client.reload(h.now);
    let request = h.expect_request();
    h.fail(&request, TransportError::BodyTooLarge { limit: 64 });
    assert_eq!(h.expect_failure(reload), OperationError::Transport(TransportError::BodyTooLarge { limit: 64 }));
    assert!(h.poll_request().is_none(), "nothing is sent again");
    let after = h.client.export();
    assert_eq!(
        (after.client_token, after.client, after.active_session_id),
        (before.client_token, before.client, before.active_session_id)
    );
}
