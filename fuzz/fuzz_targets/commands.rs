//! Real engine commands, decoded with `arbitrary` (clerk-core's `arbitrary` feature and its
//! curated ids, codes, statuses and strategies), submitted to a fresh or a signed-in engine.
//! Every request is answered with a canned server situation picked by a byte: no client, a
//! signed-in client, a sign-in waiting for a first or second factor or a new password, a
//! complete sign-in, a sign-up missing requirements, a reverification, a rotated token,
//! Clerk errors, 429, 500 or a transport error. Checked: no panic, and never a second
//! request on the wire before the first is answered.
#![no_main]

use clerk_core::{
    Client, ClientConfig, Command, HttpResponse, Output, PersistedState, RequestId, RequestKind, TransportError,
};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use time::OffsetDateTime;

const KEY: &str = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";
const SIGNED_IN: &str = include_str!("../seeds/restore/signed-in.json");
const JWT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3NjcyMjYyMDAsImlhdCI6MTc2NzIyNTYwMCwic2lkIjoic2Vzc18xIiwic3ViIjoidXNlcl8xIn0.c2lnbmF0dXJl";
const MAX_COMMANDS: usize = 24;
const MAX_STEPS_PER_COMMAND: usize = 48;
const T0: i64 = 1_767_225_600;

fuzz_target!(|input: (bool, Vec<u8>, Vec<Command>)| {
    let (start_signed_in, answers, commands) = input;
    let Ok(config) = ClientConfig::from_publishable_key(KEY) else { return };
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
                    on_the_wire = Some((outgoing.id, outgoing.kind));
                }
                Output::Event(_) => {}
                Output::Timeout(deadline) if on_the_wire.is_none() => {
                    now = deadline;
                    client.handle_timeout(now);
                }
                Output::Idle if on_the_wire.is_none() => break,
                // A request is on the wire (or an output this version does not know): answer.
                _ => {
                    let Some((id, kind)) = on_the_wire.take() else { break };
                    updated_at += 1_000;
                    let answer = answer(answer_bytes.next().unwrap_or(0), kind, updated_at);
                    let _ = client.handle_response(id, answer, now);
                }
            }
        }
    }
});

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

fn answer(byte: u8, kind: RequestKind, updated_at: i64) -> Result<HttpResponse, TransportError> {
    let error = |status: u16, code: &str| {
        let body = json!({ "errors": [{ "code": code, "message": code, "long_message": code }] });
        Ok(HttpResponse::new(status, [("content-type", "application/json")], body.to_string()))
    };
    match byte % 18 {
        which @ 0..=9 => {
            let body = situation(which, kind, updated_at).to_string();
            Ok(HttpResponse::ok_json(body))
        }
        10 => {
            let body = situation(1, kind, updated_at).to_string();
            Ok(HttpResponse::ok_json(body).with_header("authorization", "tok-SECRET-rotated"))
        }
        11 => error(422, "form_code_incorrect"),
        12 => error(422, "form_password_incorrect"),
        13 => error(401, "authentication_invalid"),
        14 => error(404, "client_not_found"),
        15 => Ok(HttpResponse::new(429, [("retry-after", "1")], "{}")),
        16 => Ok(HttpResponse::new(500, [("content-type", "text/html")], "<html>")),
        _ => Err(TransportError::Io("reset".into())),
    }
}
