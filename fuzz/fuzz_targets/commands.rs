//! Real engine commands, decoded with `arbitrary` (clerk-core's `arbitrary` feature and its
//! curated ids, codes, statuses and strategies), submitted to a fresh or a signed-in engine
//! in any mode (native; browser on a production or a development instance: the mode is
//! chosen by the input, like the commands). Every request is answered with a canned server
//! situation picked by a byte: no client, a signed-in client, a sign-in waiting for a first
//! or second factor or a new password, a complete sign-in, a sign-up missing requirements, a
//! reverification, a rotated token, Clerk errors (`dev_browser_unauthenticated` too), 429,
//! 500, an undecodable 200 or a transport error; `POST /v1/dev_browser` gets a dev-browser
//! token in those situations; and any answer may carry a `Clerk-Db-Jwt` header.
//!
//! Checked: no panic; never a second request on the wire before the first is answered;
//! every request documented by the spec as far as the mode shapes it (operation, query and
//! header names); a browser sends no `authorization`, no `_is_native` and only GET and POST,
//! and never keeps or persists a client token; on a development instance every request but
//! `POST /v1/dev_browser` carries the current dev-browser token (one the server handed out)
//! as a secret `__clerk_db_jwt`, `POST /v1/dev_browser` goes only while there is none, and
//! no handed-out dev-browser token shows in `Debug`; a transport error, a 5xx or an
//! undecodable body leave the saved state as it was.
#![no_main]

use std::collections::BTreeSet;

use clerk_core::{
    Client, Command, Event, HttpResponse, Method, Output, PersistedState, RequestId, RequestKind, TransportError,
};
use clerk_spec_check::check_shape;
use clerk_testkit::EngineMode;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use time::OffsetDateTime;

const SIGNED_IN: &str = include_str!("../seeds/restore/signed-in.json");
const JWT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3NjcyMjYyMDAsImlhdCI6MTc2NzIyNTYwMCwic2lkIjoic2Vzc18xIiwic3ViIjoidXNlcl8xIn0.c2lnbmF0dXJl";
const MAX_COMMANDS: usize = 24;
const MAX_STEPS_PER_COMMAND: usize = 48;
const T0: i64 = 1_767_225_600;

mod clerk_spec_check {
    use clerk_spec::Violation;

    /// The spec's findings that the engine's mode decides (which operation, which query and
    /// header names, tunnelling); values come from the arbitrary commands and may be
    /// anything.
    pub fn check_shape(request: &clerk_core::HttpRequest) {
        let found: Vec<Violation> = clerk_testkit::runner::spec_violations(request)
            .into_iter()
            .filter(|violation| {
                matches!(
                    violation,
                    Violation::UnknownOperation { .. }
                        | Violation::UnknownQueryParameter { .. }
                        | Violation::UnknownHeader { .. }
                        | Violation::MethodOverrideNotOnPost { .. }
                        | Violation::RepeatedQueryParameter { .. }
                )
            })
            .collect();
        assert!(found.is_empty(), "{} {} violates the spec: {found:?}", request.method, request.path);
    }
}

/// The dev-browser tokens the fake server handed out, and the counter that makes them.
#[derive(Default)]
struct DevTokens {
    handed: BTreeSet<String>,
    serial: u32,
}

impl DevTokens {
    fn issue(&mut self, prefix: &str) -> String {
        self.serial += 1;
        let token = format!("{prefix}{}", self.serial);
        self.handed.insert(token.clone());
        token
    }

    /// Panics when a handed-out token shows in `debug`.
    fn check_hidden(&self, debug: &str, what: &str) {
        assert!(!self.handed.iter().any(|token| debug.contains(token.as_str())), "a dev-browser token in {what}");
    }
}

fuzz_target!(|input: (EngineMode, bool, Vec<u8>, Vec<Command>)| {
    let (mode, start_signed_in, answers, commands) = input;
    let config = mode.config();
    let mut now = OffsetDateTime::from_unix_timestamp(T0).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let mut client = if start_signed_in {
        let persisted = PersistedState::from_json(SIGNED_IN.as_bytes()).expect("the signed-in seed reads");
        Client::restore(config, persisted, now).expect("the signed-in seed restores")
    } else {
        Client::new(config, now)
    };
    let mut answer_bytes = answers.iter().copied().cycle();
    let mut on_the_wire: Option<(RequestId, RequestKind)> = None;
    let mut updated_at = 1_767_225_601_000_i64;
    let mut tokens = DevTokens::default();
    for command in commands.into_iter().take(MAX_COMMANDS) {
        let _ = client.submit(command, now);
        for _ in 0..MAX_STEPS_PER_COMMAND {
            match client.poll_output() {
                Output::Request(outgoing) => {
                    assert!(
                        on_the_wire.is_none(),
                        "a second request on the wire: {:?} while {on_the_wire:?}",
                        outgoing.kind
                    );
                    check_request(mode, &client, &outgoing, &tokens);
                    on_the_wire = Some((outgoing.id, outgoing.kind));
                }
                Output::Event(event) => {
                    if let Event::DevBrowserTokenChanged { .. } | Event::OperationCompleted { .. } = &event {
                        tokens.check_hidden(&format!("{event:?}"), "an event's Debug");
                    }
                }
                Output::Timeout(deadline) if on_the_wire.is_none() => {
                    now = deadline;
                    client.handle_timeout(now);
                }
                Output::Idle if on_the_wire.is_none() => break,
                // A request is on the wire (or an output this version does not know): answer.
                _ => {
                    let Some((id, kind)) = on_the_wire.take() else { break };
                    updated_at += 1_000;
                    let byte = answer_bytes.next().unwrap_or(0);
                    let (answer, changes_nothing) = answer(byte, kind, updated_at, &mut tokens);
                    let before = changes_nothing.then(|| client.export());
                    let _ = client.handle_response(id, answer, now);
                    if let Some(before) = before {
                        assert!(client.export() == before, "a failed answer to {kind:?} changed the state");
                    }
                }
            }
        }
        let exported = client.export();
        assert!(!mode.is_browser() || exported.client_token.is_none(), "a browser engine persists a client token");
        tokens.check_hidden(&format!("{exported:?}"), "the saved state's Debug");
    }
});

/// What every request must look like in `mode` (fapi.md §1.4–1.5, §1.8; decision 0014).
fn check_request(mode: EngineMode, client: &Client, outgoing: &clerk_core::Outgoing, tokens: &DevTokens) {
    let request = &outgoing.request;
    check_shape(request);
    if mode.is_browser() {
        assert!(request.header("authorization").is_none(), "a browser request carries authorization");
        assert!(request.query_value("_is_native").is_none(), "a browser request carries _is_native");
        assert!(matches!(request.method, Method::Get | Method::Post), "a browser sends {}", request.method);
    }
    let db_jwt: Vec<_> = request.query.iter().filter(|field| field.name == "__clerk_db_jwt").collect();
    let current = client.dev_browser_token().map(|token| token.expose().to_owned());
    match (mode.uses_dev_browser(), outgoing.kind == RequestKind::DevBrowser) {
        (true, true) => {
            assert!(current.is_none(), "a dev-browser token made while one is known");
            assert!(db_jwt.is_empty(), "POST /v1/dev_browser carries __clerk_db_jwt");
        }
        (true, false) => {
            let [field] = db_jwt.as_slice() else {
                panic!("{:?} carries __clerk_db_jwt {} times", outgoing.kind, db_jwt.len())
            };
            assert!(field.value.is_secret(), "__clerk_db_jwt is not marked secret");
            assert!(current.as_deref() == Some(field.value.expose()), "__clerk_db_jwt is not the current token");
            assert!(tokens.handed.contains(field.value.expose()), "__clerk_db_jwt is no token the server handed out");
            tokens.check_hidden(&format!("{:?}", field.value), "the request's Debug");
        }
        (false, dev_browser) => {
            assert!(!dev_browser, "POST /v1/dev_browser outside a browser on a development instance");
            assert!(db_jwt.is_empty(), "__clerk_db_jwt outside a browser on a development instance");
        }
    }
}

fn user() -> Value {
    json!({ "object": "user", "id": "user_1", "first_name": "Ada", "two_factor_enabled": true, "totp_enabled": true,
        "email_addresses": [{ "object": "email_address", "id": "idn_1", "email_address": "ada@example.com" }],
        "phone_numbers": [{ "object": "phone_number", "id": "idn_2", "phone_number": "+15555550100" }] })
}

fn session(id: &str, status: &str) -> Value {
    json!({ "object": "session", "id": id, "status": status, "expire_at": 1_767_830_400_000_i64,
        "abandon_at": 1_769_817_600_000_i64, "last_active_at": 1_767_225_600_000_i64,
        "last_active_organization_id": "org_1", "user": user(),
        "created_at": 1_767_225_600_000_i64, "updated_at": 1_767_225_600_000_i64 })
}

fn factor(strategy: &str, id_field: Option<(&str, &str)>) -> Value {
    let mut factor = json!({ "strategy": strategy, "safe_identifier": "a***@example.com" });
    if let (Some((field, id)), Some(object)) = (id_field, factor.as_object_mut()) {
        object.insert(field.to_owned(), json!(id));
    }
    factor
}

fn first_factors() -> Value {
    json!([
        factor("password", None),
        factor("email_code", Some(("email_address_id", "idn_1"))),
        factor("email_link", Some(("email_address_id", "idn_1"))),
        factor("phone_code", Some(("phone_number_id", "idn_2"))),
        factor("reset_password_email_code", Some(("email_address_id", "idn_1"))),
        factor("reset_password_phone_code", Some(("phone_number_id", "idn_2"))),
        factor("passkey", None),
    ])
}

fn second_factors() -> Value {
    json!([
        factor("totp", None),
        factor("phone_code", Some(("phone_number_id", "idn_2"))),
        factor("backup_code", None),
        factor("email_code", Some(("email_address_id", "idn_1"))),
    ])
}

fn sign_in(status: &str) -> Value {
    let created = if status == "complete" { json!("sess_1") } else { Value::Null };
    json!({ "object": "sign_in_attempt", "id": "sia_1", "status": status, "identifier": "ada@example.com",
        "supported_first_factors": first_factors(), "supported_second_factors": second_factors(),
        "created_session_id": created, "abandon_at": 1_769_817_600_000_i64 })
}

fn sign_up(status: &str) -> Value {
    json!({ "object": "sign_up_attempt", "id": "sua_1", "status": status, "email_address": "ada@example.com",
        "required_fields": ["email_address", "password"], "missing_fields": [],
        "unverified_fields": if status == "complete" { json!([]) } else { json!(["email_address"]) },
        "created_session_id": if status == "complete" { json!("sess_1") } else { Value::Null },
        "abandon_at": 1_769_817_600_000_i64 })
}

fn reverification() -> Value {
    json!({ "object": "session_reverification", "id": "sessrv_1", "status": "needs_first_factor",
        "level": "first_factor", "session": session("sess_1", "active"),
        "supported_first_factors": first_factors(), "supported_second_factors": second_factors() })
}

/// The client of a situation, with the resource an answer of `kind` carries in `response`.
fn situation(which: u8, kind: RequestKind, updated_at: i64) -> Value {
    let (sessions, sign_in, sign_up): (Vec<Value>, Value, Value) = match which {
        0 => return json!({ "response": null, "client": null }),
        1 => (vec![session("sess_1", "active"), session("sess_2", "active")], Value::Null, Value::Null),
        2 => (vec![], sign_in("needs_first_factor"), Value::Null),
        3 => (vec![], sign_in("needs_second_factor"), Value::Null),
        4 => (vec![], sign_in("needs_new_password"), Value::Null),
        5 => (vec![session("sess_1", "active")], sign_in("complete"), Value::Null),
        6 => (vec![], Value::Null, sign_up("missing_requirements")),
        7 => (vec![session("sess_1", "active")], Value::Null, sign_up("complete")),
        8 => (vec![session("sess_1", "ended")], Value::Null, Value::Null),
        _ => (vec![session("sess_1", "pending")], sign_in("needs_client_trust"), Value::Null),
    };
    let last_active = sessions.first().map_or(Value::Null, |_| json!("sess_1"));
    let client = json!({ "object": "client", "id": "client_1", "sessions": sessions, "sign_in": sign_in.clone(),
        "sign_up": sign_up.clone(), "last_active_session_id": last_active,
        "created_at": 1_767_225_600_000_i64, "updated_at": updated_at });
    let response = match kind {
        RequestKind::Environment => return json!({ "auth_config": { "single_session_mode": false } }),
        RequestKind::SessionToken => return json!({ "object": "token", "jwt": JWT }),
        RequestKind::SignInCreate
        | RequestKind::SignInGet
        | RequestKind::SignInPrepareFirstFactor
        | RequestKind::SignInAttemptFirstFactor
        | RequestKind::SignInPrepareSecondFactor
        | RequestKind::SignInAttemptSecondFactor
        | RequestKind::SignInResetPassword => sign_in,
        RequestKind::SignUpCreate
        | RequestKind::SignUpGet
        | RequestKind::SignUpUpdate
        | RequestKind::SignUpPrepareVerification
        | RequestKind::SignUpAttemptVerification => sign_up,
        RequestKind::SessionGet | RequestKind::SessionTouch | RequestKind::SessionEnd | RequestKind::SessionRemove => {
            client["sessions"].get(0).cloned().unwrap_or(Value::Null)
        }
        RequestKind::SessionVerify
        | RequestKind::SessionVerifyPrepareFirstFactor
        | RequestKind::SessionVerifyAttemptFirstFactor
        | RequestKind::SessionVerifyPrepareSecondFactor
        | RequestKind::SessionVerifyAttemptSecondFactor => reverification(),
        _ => client.clone(),
    };
    json!({ "response": response, "client": client })
}

/// The answer a byte picks for a request of `kind`, and whether it is one that must change
/// nothing (a transport error, a 5xx, an undecodable body: design §7.3).
fn answer(
    byte: u8,
    kind: RequestKind,
    updated_at: i64,
    tokens: &mut DevTokens,
) -> (Result<HttpResponse, TransportError>, bool) {
    let error = |status: u16, code: &str| {
        let body = json!({ "errors": [{ "code": code, "message": code, "long_message": code }] });
        HttpResponse::new(status, [("content-type", "application/json")], body.to_string())
    };
    let response = match byte % 20 {
        // `POST /v1/dev_browser` (fapi.md §1.8.3): its `id` is the token.
        0..=10 if kind == RequestKind::DevBrowser => {
            HttpResponse::ok_json(json!({ "object": "dev_browser", "id": tokens.issue("dvb_fuzz") }).to_string())
        }
        which @ 0..=9 => HttpResponse::ok_json(situation(which, kind, updated_at).to_string()),
        10 => HttpResponse::ok_json(situation(1, kind, updated_at).to_string())
            .with_header("authorization", "tok-SECRET-rotated"),
        11 => error(422, "form_code_incorrect"),
        12 => error(422, "form_password_incorrect"),
        13 => error(401, "authentication_invalid"),
        14 => error(404, "client_not_found"),
        15 => HttpResponse::new(429, [("retry-after", "1")], "{}"),
        16 => return (Ok(HttpResponse::new(500, [("content-type", "text/html")], "<html>")), true),
        17 => return (Err(TransportError::Io("reset".into())), true),
        18 => error(401, "dev_browser_unauthenticated"),
        // An undecodable 200: a truncated dev-browser answer (its token must not show in the
        // error's Debug), or HTML.
        _ => {
            let body = if kind == RequestKind::DevBrowser {
                format!(r#"{{"object":"dev_browser","id":"{}"#, tokens.issue("dvb_cut"))
            } else {
                String::from("<html>")
            };
            return (Ok(HttpResponse::new(200, [("content-type", "text/html")], body)), true);
        }
    };
    // fapi.md §1.8.3: any answer may replace the dev-browser token.
    let response =
        if (byte / 20) % 4 == 3 { response.with_header("clerk-db-jwt", tokens.issue("dbjwt-fuzz-")) } else { response };
    (Ok(response), false)
}
