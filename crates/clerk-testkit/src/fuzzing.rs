//! The bodies of the fuzz targets `client_actions` and `restore`, shared by `fuzz/`
//! (libFuzzer, nightly) and the seed replay tests (stable).

use arbitrary::{Arbitrary, Unstructured};
use clerk_core::{Client, ClientCommand, Command, Output, PersistedState};

use crate::runner::{Runner, START, test_config};
use crate::transition::{SECRET_MARK, Transition};

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

/// Encodes a transition sequence so that [`decode_transitions`] gives it back: seeds are
/// written with this.
#[must_use]
pub fn encode_transitions(steps: &[Transition]) -> Vec<u8> {
    // `arbitrary` has no encoder; search per step for the shortest byte string that decodes
    // to it. Enough for hand-written seeds, whose steps are few.
    let mut out = Vec::new();
    for step in steps {
        if let Some(bytes) = encoding_of(step) {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

fn encoding_of(step: &Transition) -> Option<Vec<u8>> {
    // Steps decode from at most 6 bytes; try prefixes that matter, byte by byte, padding
    // with zeroes so that a following step starts cleanly.
    for len in 1..=6usize {
        let mut candidate = vec![0u8; len];
        if search(step, &mut candidate, 0) {
            return Some(candidate);
        }
    }
    None
}

fn search(step: &Transition, candidate: &mut Vec<u8>, at: usize) -> bool {
    if at == candidate.len() {
        let mut input = Unstructured::new(candidate);
        return Transition::arbitrary(&mut input).is_ok_and(|decoded| &decoded == step && input.is_empty());
    }
    for byte in 0..=u8::MAX {
        if let Some(slot) = candidate.get_mut(at) {
            *slot = byte;
        }
        if search(step, candidate, at + 1) {
            return true;
        }
        // Only the first byte picks the variant; later bytes rarely need the full range
        // once the first is wrong.
        if at + 1 < candidate.len() && byte > 40 {
            break;
        }
    }
    false
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
    let debug = format!("{state:?}");
    if let Some(token) = state.client_token.as_ref().map(|t| t.expose().to_owned())
        && token.len() >= 8
        && debug.contains(&token)
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
    if debug.contains(SECRET_MARK) {
        panic!("a secret reached the client's Debug");
    }
}
