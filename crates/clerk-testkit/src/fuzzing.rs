//! The bodies of the fuzz targets `client_actions` and `restore`, shared by `fuzz/`
//! (libFuzzer, nightly) and the seed replay tests (stable).

use arbitrary::{Arbitrary, Unstructured};
use clerk_core::secret::{ClientToken, DevBrowserToken};
use clerk_core::{Client, ClientCommand, Command, HttpResponse, Output, PersistedState, RequestKind, TransportError};

use crate::mode::EngineMode;
use crate::runner::{Runner, START, spec_violations};
use crate::transition::Transition;

/// The longest transition sequence one input decodes to.
pub const MAX_STEPS: usize = 64;

/// Decodes `data` into the engine mode (from its first bytes) and a transition sequence
/// (at most [`MAX_STEPS`]).
#[must_use]
pub fn decode_case(data: &[u8]) -> (EngineMode, Vec<Transition>) {
    let mut input = Unstructured::new(data);
    let mode = EngineMode::arbitrary(&mut input).unwrap_or_default();
    let mut steps = Vec::new();
    while steps.len() < MAX_STEPS && !input.is_empty() {
        match Transition::arbitrary(&mut input) {
            Ok(step) => steps.push(step),
            Err(_) => break,
        }
    }
    (mode, steps)
}

/// The `client_actions` target: any transition sequence, in any engine mode, through the
/// shared runner and invariants. Panics on a violated invariant.
pub fn client_actions(data: &[u8]) {
    let (mode, steps) = decode_case(data);
    let _ = Runner::run_in(mode, &steps);
}

/// The `restore` target: arbitrary bytes as a persisted state. A state that reads back
/// must restore into an engine of every mode (or be refused with a typed error), keep
/// exactly the credentials that mode sends (a client token in native mode only, a
/// dev-browser token in browser mode on a development instance only), export the same
/// again and take a few commands without panicking, without sending what the mode forbids
/// and without leaking either token into `Debug`.
///
/// # Panics
/// On a violated check.
pub fn restore(data: &[u8]) {
    let Ok(state) = PersistedState::from_json(data) else { return };
    // The tokens must never reach Debug. Arbitrary input may repeat a token's text in fields
    // that are not secret (an id, a status), and Debug shows names of its own (an event
    // called `SessionsChanged` shows `sionsChange`): so the same run is made again with
    // each token replaced by a decoy of its length, and a token leaks when it shows more
    // often with it than with the decoy.
    let tokens: Vec<String> = [
        state.client_token.as_ref().map(|token| token.expose().to_owned()),
        state.dev_browser_token.as_ref().map(|token| token.expose().to_owned()),
    ]
    .into_iter()
    .flatten()
    .filter(|token| !token.is_empty())
    .collect();
    let mut decoy = state.clone();
    decoy.client_token = decoy.client_token.map(|token| ClientToken::new(decoy_of(token.expose())));
    decoy.dev_browser_token = decoy.dev_browser_token.map(|token| DevBrowserToken::new(decoy_of(token.expose())));
    let check_hidden = |shown: &str, with_decoys: &str, what: &str| {
        if tokens
            .iter()
            .any(|token| shown.matches(token.as_str()).count() > with_decoys.matches(token.as_str()).count())
        {
            panic!("a token reached {what}");
        }
    };
    check_hidden(&format!("{state:?}"), &format!("{decoy:?}"), "PersistedState's Debug");
    for mode in EngineMode::ALL {
        if let (Some(shown), Some(with_decoys)) = (restore_in(mode, &state), restore_in(mode, &decoy)) {
            check_hidden(&shown, &with_decoys, "the Debug of a restored engine or its events");
        }
    }
}

/// Text as long as `token` that differs from it at every place.
fn decoy_of(token: &str) -> String {
    token.chars().map(|c| if c == 'x' { 'y' } else { 'x' }).collect()
}

/// Restores `state` into an engine of `mode` and drives it a little; returns the `Debug` of
/// everything it showed (events, the engine), or `None` when the state was refused.
fn restore_in(mode: EngineMode, state: &PersistedState) -> Option<String> {
    let mut client = Client::restore(mode.config(), state.clone(), START).ok()?;
    // Decision 0014: a browser never takes back a client token; only a browser on a
    // development instance takes back a dev-browser token. Empty ones are none.
    let expected_token = state.client_token.clone().filter(|token| !token.is_empty() && !mode.is_browser());
    if client.client_token() != expected_token.as_ref() {
        panic!("{mode:?} restored the client token wrongly");
    }
    let expected_dev = state.dev_browser_token.clone().filter(|token| !token.is_empty() && mode.uses_dev_browser());
    if client.dev_browser_token() != expected_dev.as_ref() {
        panic!("{mode:?} restored the dev-browser token wrongly");
    }
    let exported = client.export();
    if mode.is_browser() && exported.client_token.is_some() {
        panic!("a browser engine persists a client token");
    }
    let again = match PersistedState::from_json(&exported.to_json()) {
        Ok(again) => again,
        Err(error) => panic!("a restored state's export does not read back: {error}"),
    };
    if again != exported {
        panic!("export → to_json → from_json is not the identity");
    }
    match Client::restore(mode.config(), again, START) {
        Ok(second) => {
            let mut expected = exported.clone();
            expected.next_request_id = expected.next_request_id.saturating_add(clerk_core::IDS_SKIPPED_AT_RESTORE);
            expected.next_op_id = expected.next_op_id.saturating_add(clerk_core::IDS_SKIPPED_AT_RESTORE);
            if second.export() != expected {
                panic!("restore → export → restore → export is not stable (but for the skipped ids)");
            }
        }
        Err(error) => panic!("an export of a restored client does not restore: {error}"),
    }
    if exported.next_request_id < state.next_request_id.max(1) {
        panic!("restore moved the request id counter backwards");
    }
    let mut shown = format!("{client:?}");
    let first_id = exported.next_request_id;
    for command in [ClientCommand::Load, ClientCommand::Reload, ClientCommand::RemoveSessions, ClientCommand::Destroy] {
        let _ = client.submit(Command::Client(command), START);
        for _ in 0..16 {
            match client.poll_output() {
                Output::Request(outgoing) => {
                    if outgoing.id.0 < first_id {
                        panic!("a restored client reused a request id");
                    }
                    check_request(mode, &client, &outgoing);
                    shown.push_str(&format!("{outgoing:?}"));
                    // The dev-browser token is made; everything else fails in transit.
                    let answer = if outgoing.kind == RequestKind::DevBrowser {
                        Ok(HttpResponse::ok_json(br#"{"object":"dev_browser","id":"dvb_restored"}"#.to_vec()))
                    } else {
                        Err(TransportError::Io("x".into()))
                    };
                    let _ = client.handle_response(outgoing.id, answer, START);
                }
                Output::Event(event) => shown.push_str(&format!("{event:?}")),
                _ => break,
            }
        }
    }
    shown.push_str(&format!("{client:?}"));
    Some(shown)
}

/// What a restored engine sends is documented by the spec and shaped by its mode.
fn check_request(mode: EngineMode, client: &Client, outgoing: &clerk_core::Outgoing) {
    let request = &outgoing.request;
    let found = spec_violations(request);
    if !found.is_empty() {
        panic!("{} {} violates the spec: {found:?}", request.method, request.path);
    }
    if mode.is_browser() && request.header("authorization").is_some() {
        panic!("a browser request carries authorization");
    }
    let db_jwt = request.query_value("__clerk_db_jwt").map(|value| value.expose());
    let current = client.dev_browser_token().map(|token| token.expose());
    match (mode.uses_dev_browser(), outgoing.kind == RequestKind::DevBrowser) {
        (true, true) if current.is_none() && db_jwt.is_none() => {}
        (true, false) if current.is_some() && db_jwt == current => {}
        (false, false) if db_jwt.is_none() => {}
        _ => panic!("{mode:?}: {:?} with the dev-browser token {}", outgoing.kind, db_jwt.is_some()),
    }
}
