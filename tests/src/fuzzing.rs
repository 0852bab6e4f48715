//! The bodies of the fuzz targets, shared by `fuzz/` (libFuzzer, nightly) and the seed
//! replay tests (stable, in CI), so both run exactly the same checks.

use clerk_core::secret::{Password, VerificationCode};
use clerk_core::wire::ReverificationLevel;
use clerk_core::{
    Client, ClientCommand, ClientConfig, Command, FirstFactorAttempt, FirstFactorPreparation, HttpResponse, Output,
    ReverificationCommand, SessionCommand, SignInCommand, SignInCreate, SignUpAttempt, SignUpCommand, SignUpFields,
    SignUpPreparation, TokenRequest,
};
use serde_json::json;
use time::macros::datetime;

use crate::harness::{TEST_KEY, client_json, sign_in_json};

/// How many request kinds `decode_response` can aim an answer at (the selector byte
/// modulo this picks one of [`decode_command`]).
pub const DECODE_COMMAND_COUNT: u8 = 17;

/// The command whose request the answer goes to, by selector: every request kind the engine
/// emits (client, environment, sign-in, sign-up, session, token, reverification).
#[must_use]
pub fn decode_command(selector: u8) -> Command {
    let code = || VerificationCode::new("424242");
    match selector % DECODE_COMMAND_COUNT {
        0 => ClientCommand::Reload.into(),
        1 => ClientCommand::Create.into(),
        2 => ClientCommand::LoadEnvironment.into(),
        3 => ClientCommand::Destroy.into(),
        4 => ClientCommand::RemoveSessions.into(),
        5 => SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("pw"))).into(),
        6 => SignInCommand::Reload { rotating_token_nonce: None }.into(),
        7 => SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None }).into(),
        8 => SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code())).into(),
        9 => SignUpCommand::Create(SignUpFields {
            email_address: Some("ada@example.com".into()),
            ..SignUpFields::default()
        })
        .into(),
        10 => SignUpCommand::Update(SignUpFields { first_name: Some("Ada".into()), ..SignUpFields::default() }).into(),
        11 => SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode).into(),
        12 => SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(code())).into(),
        13 => SessionCommand::Touch { session_id: "sess_1".into(), intent: None }.into(),
        14 => SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into(),
        15 => SessionCommand::End { session_id: "sess_1".into() }.into(),
        _ => ReverificationCommand::Start { session_id: None, level: ReverificationLevel::FirstFactor }.into(),
    }
}

/// A signed-in engine with an attempt in progress on both flows, so every command of
/// [`decode_command`] is legal.
fn engine() -> Option<Client> {
    let config = ClientConfig::from_publishable_key(TEST_KEY).ok()?;
    let now = datetime!(2026-01-01 00:00 UTC);
    let mut client = Client::new(config, now);
    let mut state = client_json(&[("sess_1", "active")], Some("sess_1"), 1);
    state["sign_in"] = sign_in_json("sia_1", "needs_first_factor");
    state["sign_up"] = json!({ "object": "sign_up_attempt", "id": "sua_1", "status": "missing_requirements" });
    let _ = client.reload(now);
    let Output::Request(outgoing) = client.poll_output() else { return None };
    let body = serde_json::to_vec(&json!({ "response": state, "client": null })).ok()?;
    let response = HttpResponse::new(200, [("authorization", "tok-1")], body);
    client.handle_response(outgoing.id, Ok(response), now).ok()?;
    while let Output::Event(_) = client.poll_output() {}
    Some(client)
}

/// Builds a `decode_response` input: selector, status (LE), header block, body.
#[must_use]
pub fn encode_decode_input(selector: u8, status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let header_block: String = headers.iter().map(|(name, value)| format!("{name}:{value}\n")).collect();
    let header_bytes = header_block.as_bytes();
    let header_len = u8::try_from(header_bytes.len()).unwrap_or(u8::MAX);
    let mut out = vec![selector];
    out.extend_from_slice(&status.to_le_bytes());
    out.push(header_len);
    out.extend_from_slice(header_bytes.get(..usize::from(header_len)).unwrap_or(header_bytes));
    out.extend_from_slice(body);
    out
}

/// Any status, headers and body as the answer to any request kind the engine can emit.
/// Panics (a fuzzer finding) when the engine panics, puts more than one request on the
/// wire, or lets a 5xx or odd status change identity.
pub fn decode_response(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Some((status_bytes, rest)) = rest.split_at_checked(2) else { return };
    let status =
        u16::from_le_bytes([status_bytes.first().copied().unwrap_or(0), status_bytes.get(1).copied().unwrap_or(0)])
            % 700;
    let Some((&header_len, rest)) = rest.split_first() else { return };
    let (header_bytes, body) = rest.split_at(usize::from(header_len).min(rest.len()));
    let header = String::from_utf8_lossy(header_bytes);
    let headers: Vec<(String, String)> = header
        .split('\n')
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();

    let Some(mut client) = engine() else { return };
    let now = datetime!(2026-01-01 00:00 UTC);
    if client.submit(decode_command(selector), now).is_err() {
        return;
    }
    let outgoing = loop {
        match client.poll_output() {
            Output::Request(outgoing) => break outgoing,
            Output::Event(_) => {}
            _ => return,
        }
    };
    let before = client.export();
    let response = HttpResponse::new(status, headers, body.to_vec());
    let _ = client.handle_response(outgoing.id, Ok(response), now);
    let after = client.export();
    if status >= 500 || !(200..600).contains(&status) {
        assert_eq!(before.client, after.client, "a 5xx or odd status changed the client");
        assert_eq!(before.client_token, after.client_token, "a 5xx or odd status changed the token");
    }
    let mut requests = 0;
    for _ in 0..64 {
        match client.poll_output() {
            Output::Request(_) => requests += 1,
            Output::Event(_) => {}
            _ => break,
        }
    }
    assert!(requests <= 1, "more than one request on the wire");
    let _ = format!("{client:?}");
}
