//! The bodies of the fuzz targets, shared by `fuzz/` (libFuzzer, nightly) and the seed
//! replay tests (stable, in CI), so both run exactly the same checks.

use clerk_core::{Client, ClientCommand, ClientConfig, Command, HttpResponse, Output};
use time::macros::datetime;

use crate::harness::TEST_KEY;

/// The request kinds `decode_response` can aim an answer at, by selector byte.
pub const DECODE_COMMANDS: [ClientCommand; 5] = [
    ClientCommand::Reload,
    ClientCommand::Create,
    ClientCommand::LoadEnvironment,
    ClientCommand::Destroy,
    ClientCommand::RemoveSessions,
];

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

    let Ok(config) = ClientConfig::from_publishable_key(TEST_KEY) else { return };
    let now = datetime!(2026-01-01 00:00 UTC);
    let mut client = Client::new(config, now);
    let command =
        DECODE_COMMANDS.get(usize::from(selector) % DECODE_COMMANDS.len()).cloned().unwrap_or(ClientCommand::Reload);
    if client.submit(Command::Client(command), now).is_err() {
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
