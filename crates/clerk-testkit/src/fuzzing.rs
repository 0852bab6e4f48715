//! The bodies of the fuzz targets `client_actions` and `restore`, shared by `fuzz/`
//! (libFuzzer, nightly) and the seed replay tests (stable).

use arbitrary::{Arbitrary, Unstructured};
use clerk_core::{Client, ClientCommand, Command, Output, PersistedState};

use crate::runner::{Runner, START, test_config};
use crate::transition::Transition;

/// The longest transition sequence one input decodes to.
pub const MAX_STEPS: usize = 64;

/// Decodes `data` into a transition sequence (at most [`MAX_STEPS`]).
#[must_use]
pub fn decode_transitions(data: &[u8]) -> Vec<Transition> {
    let mut input = Unstructured::new(data);
    let mut steps = Vec::new();
    while steps.len() < MAX_STEPS && !input.is_empty() {
        match Transition::arbitrary(&mut input) {
            Ok(step) => steps.push(step),
            Err(_) => break,
        }
    }
    steps
}

/// The `client_actions` target: any transition sequence through the shared runner and
/// invariants. Panics on a violated invariant.
pub fn client_actions(data: &[u8]) {
    let steps = decode_transitions(data);
    let _ = Runner::run(&steps);
}

/// The `restore` target: arbitrary bytes as a persisted state. A state that reads back
/// must restore (or be refused with a typed error), export the same again and take a few
/// commands without panicking or leaking its token into `Debug`.
///
/// # Panics
/// On a violated check.
pub fn restore(data: &[u8]) {
    let Ok(state) = PersistedState::from_json(data) else { return };
    // The client token must never reach Debug. Arbitrary input may repeat the same text in
    // fields that are not secret (a status, an id): only a token that appears once in the
    // input, as the token, is a canary.
    let text = String::from_utf8_lossy(data);
    let canary = state
        .client_token
        .as_ref()
        .map(|t| t.expose().to_owned())
        .filter(|token| token.len() >= 8 && text.matches(token.as_str()).count() == 1);
    let debug = format!("{state:?}");
    if let Some(token) = &canary
        && debug.contains(token.as_str())
    {
        panic!("the client token reached PersistedState's Debug");
    }
    let Ok(mut client) = Client::restore(test_config(), state.clone(), START) else { return };
    let exported = client.export();
    let again = match PersistedState::from_json(&exported.to_json()) {
        Ok(again) => again,
        Err(error) => panic!("a restored state's export does not read back: {error}"),
    };
    if again != exported {
        panic!("export → to_json → from_json is not the identity");
    }
    match Client::restore(test_config(), again, START) {
        Ok(second) => {
            if second.export() != exported {
                panic!("restore → export → restore → export is not stable");
            }
        }
        Err(error) => panic!("an export of a restored client does not restore: {error}"),
    }
    if exported.next_request_id < state.next_request_id.max(1) {
        panic!("restore moved the request id counter backwards");
    }
    let first_id = exported.next_request_id;
    for command in [ClientCommand::Load, ClientCommand::Reload, ClientCommand::RemoveSessions, ClientCommand::Destroy] {
        let _ = client.submit(Command::Client(command), START);
        for _ in 0..16 {
            match client.poll_output() {
                Output::Request(outgoing) => {
                    if outgoing.id.0 < first_id {
                        panic!("a restored client reused a request id");
                    }
                    let _ = client.handle_response(outgoing.id, Err(clerk_core::TransportError::Io("x".into())), START);
                }
                Output::Event(_) => {}
                _ => break,
            }
        }
    }
    let debug = format!("{client:?}");
    if let Some(token) = &canary
        && debug.contains(token.as_str())
    {
        panic!("the client token reached the client's Debug");
    }
}
