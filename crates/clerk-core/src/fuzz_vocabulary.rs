//! Curated values for the `arbitrary` feature: what fuzzers and property tests put in the
//! ids, free text, secrets and wire strings of generated [`Command`](crate::Command)s.
//!
//! Uniformly random strings almost never name the session the client holds or a strategy
//! the server offered, so a fuzzer would spend its time on refusals. Each helper here
//! returns a value from a short list most of the time (real ids of the canned answers,
//! hostile path segments, real codes) and an arbitrary short string now and then.
//!
//! The helpers have the shape `#[arbitrary(with = …)]` expects.

use arbitrary::{Arbitrary, Result, Unstructured};

/// Ids of the resources the canned clients and answers hold, and hostile path segments.
pub const IDS: &[&str] = &[
    "sess_1",
    "sess_2",
    "sia_1",
    "sua_1",
    "idn_1",
    "idn_2",
    "org_1",
    "org_2",
    "user_1",
    "a/b",
    "..",
    "",
    "sess_1?x=1",
    "%2e%2e",
];

/// Identifiers, names, URLs and template names: the free text of commands.
pub const TEXT: &[&str] = &[
    "ada@example.com",
    "+15555550100",
    "ada",
    "Ada",
    "clerk://callback",
    "https://example.com/callback",
    "integration",
    "javascript:alert(1)",
    "a/b",
    "..",
    "",
    " ",
    "é\u{0}\u{202e}",
];

/// Secret values: a canary that tests look for in logs, the test code Clerk accepts, empty,
/// and a JWT-shaped string (the redaction of JWTs keys on that shape).
pub const SECRETS: &[&str] = &[
    "canary-SECRET-7f3a",
    "424242",
    "",
    "eyJhbGciOiJSUzI1NiJ9.eyJzaWQiOiJzZXNzXzEiLCJleHAiOjE3Njc4MzA0MDB9.c2lnbmF0dXJl",
];

/// Values of the open wire families (OAuth and Web3 strategies, codes and levels this
/// version does not know), for the fallback variant of the wire string enums.
pub const OTHER_WIRE_WORDS: &[&str] = &[
    "oauth_google",
    "oauth_custom_acme",
    "oauth_token_apple",
    "web3_metamask_signature",
    "second_factor_only",
    "needs_something_new",
    "form_param_unknown",
    "",
];

/// The longest arbitrary string a helper returns, in characters.
const MAX_ARBITRARY_CHARS: usize = 24;

/// One of `vocabulary` (seven times in eight), else an arbitrary short string.
///
/// # Errors
/// Only when `vocabulary` is empty.
pub fn curated_or_arbitrary(u: &mut Unstructured<'_>, vocabulary: &[&str]) -> Result<String> {
    if u.ratio(7u8, 8u8)? { u.choose(vocabulary).map(|word| (*word).to_owned()) } else { short_string(u) }
}

/// An arbitrary string of at most a few characters.
///
/// # Errors
/// Never with the helpers' inputs; kept for the `with = …` shape.
pub fn short_string(u: &mut Unstructured<'_>) -> Result<String> {
    let text = <&str>::arbitrary(u)?;
    Ok(text.chars().take(MAX_ARBITRARY_CHARS).collect())
}

/// A resource id (see [`IDS`]).
///
/// # Errors
/// As [`curated_or_arbitrary`].
pub fn id(u: &mut Unstructured<'_>) -> Result<String> {
    curated_or_arbitrary(u, IDS)
}

/// An optional resource id: `None` about a quarter of the time.
///
/// # Errors
/// As [`curated_or_arbitrary`].
pub fn optional_id(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    if u.ratio(1u8, 4u8)? { Ok(None) } else { id(u).map(Some) }
}

/// Free text (see [`TEXT`]).
///
/// # Errors
/// As [`curated_or_arbitrary`].
pub fn text(u: &mut Unstructured<'_>) -> Result<String> {
    curated_or_arbitrary(u, TEXT)
}

/// Optional free text: `None` about half of the time.
///
/// # Errors
/// As [`curated_or_arbitrary`].
pub fn optional_text(u: &mut Unstructured<'_>) -> Result<Option<String>> {
    if u.ratio(1u8, 2u8)? { Ok(None) } else { text(u).map(Some) }
}

/// A secret value (see [`SECRETS`]).
///
/// # Errors
/// As [`curated_or_arbitrary`].
pub fn secret(u: &mut Unstructured<'_>) -> Result<String> {
    curated_or_arbitrary(u, SECRETS)
}

/// A wire string outside an enum's known values (see [`OTHER_WIRE_WORDS`]).
///
/// # Errors
/// As [`curated_or_arbitrary`].
pub fn other_wire_word(u: &mut Unstructured<'_>) -> Result<String> {
    curated_or_arbitrary(u, OTHER_WIRE_WORDS)
}

/// `unsafe_metadata`: `None` half of the time, else a small JSON object of up to three
/// entries, and now and then a value that is not an object (which the server refuses).
///
/// # Errors
/// As [`curated_or_arbitrary`].
pub fn optional_metadata(u: &mut Unstructured<'_>) -> Result<Option<serde_json::Value>> {
    if u.ratio(1u8, 2u8)? {
        return Ok(None);
    }
    if u.ratio(1u8, 8u8)? {
        let not_an_object = match u.int_in_range(0u8..=3)? {
            0 => serde_json::Value::Null,
            1 => serde_json::Value::from(u.arbitrary::<i64>()?),
            2 => serde_json::Value::from(text(u)?),
            _ => serde_json::Value::Array(vec![serde_json::Value::Bool(u.arbitrary()?)]),
        };
        return Ok(Some(not_an_object));
    }
    let mut object = serde_json::Map::new();
    for _ in 0..u.int_in_range(0u8..=3)? {
        let value = match u.int_in_range(0u8..=3)? {
            0 => serde_json::Value::from(text(u)?),
            1 => serde_json::Value::from(u.arbitrary::<i32>()?),
            2 => serde_json::Value::Bool(u.arbitrary()?),
            _ => serde_json::json!({ "nested": text(u)? }),
        };
        object.insert(text(u)?, value);
    }
    Ok(Some(serde_json::Value::Object(object)))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use arbitrary::{Arbitrary, Unstructured};
    use time::OffsetDateTime;
    use time::macros::datetime;

    use crate::{Client, ClientConfig, Command, Event, Output, PersistedState, RequestId, TransportError};

    const KEY: &str = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";
    const NOW: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

    /// A deterministic byte stream (xorshift64*), so the test needs no random crate.
    fn buffers(count: usize) -> Vec<Vec<u8>> {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        (0..count)
            .map(|_| {
                let len = usize::try_from(next() % 96).unwrap_or(0) + 1;
                (0..len).map(|_| next().to_le_bytes()[0]).collect()
            })
            .collect()
    }

    fn fresh() -> Client {
        Client::new(ClientConfig::from_publishable_key(KEY).unwrap(), NOW)
    }

    fn signed_in() -> Client {
        let session = serde_json::json!({
            "object": "session", "id": "sess_1", "status": "active",
            "expire_at": 1_767_830_400_000_i64, "abandon_at": 1_769_817_600_000_i64,
            "last_active_at": 1_767_225_600_000_i64, "last_active_organization_id": "org_1",
            "user": { "object": "user", "id": "user_1", "first_name": "Ada",
                      "email_addresses": [{ "object": "email_address", "id": "idn_1",
                                            "email_address": "ada@example.com" }] },
            "created_at": 1_767_225_600_000_i64, "updated_at": 1_767_225_600_000_i64,
        });
        let state = serde_json::json!({
            "version": 1,
            "frontend_api_host": "foo-bar-13.clerk.accounts.dev",
            "client_token": "tok-SECRET-1",
            "client": {
                "object": "client", "id": "client_1", "sessions": [session],
                "sign_in": null, "sign_up": null, "last_active_session_id": "sess_1",
                "created_at": 1_767_225_600_000_i64, "updated_at": 1_767_225_601_000_i64,
            },
            "active_session_id": "sess_1",
            "next_request_id": 2, "next_op_id": 2, "epoch": 0,
        });
        let persisted = PersistedState::from_json(state.to_string().as_bytes()).unwrap();
        let client = Client::restore(ClientConfig::from_publishable_key(KEY).unwrap(), persisted, NOW).unwrap();
        assert_eq!(client.active_session().map(|s| s.id.as_str()), Some("sess_1"));
        client
    }

    /// Submits `command`; when accepted, drives the engine (every request failing with a
    /// transport error, every deadline fired) and checks the operation completes once,
    /// with at most one request on the wire at a time.
    fn submit_and_settle(mut client: Client, command: Command) -> bool {
        let name = command.name();
        let Ok(op) = client.submit(command, NOW) else { return false };
        let mut now = NOW;
        let mut completions = 0;
        let mut on_the_wire: Option<RequestId> = None;
        for _ in 0..200 {
            match client.poll_output() {
                Output::Request(outgoing) => {
                    assert!(on_the_wire.is_none(), "{name}: a second request while {on_the_wire:?} is on the wire");
                    on_the_wire = Some(outgoing.id);
                }
                Output::Event(Event::OperationCompleted { op: done, .. }) if done == op => completions += 1,
                Output::Event(_) => {}
                Output::Timeout(_) | Output::Idle if on_the_wire.is_some() => {
                    if let Some(id) = on_the_wire.take() {
                        let refused = Err(TransportError::Connect("refused".into()));
                        assert!(client.handle_response(id, refused, now).is_ok());
                    }
                }
                Output::Timeout(deadline) => {
                    now = deadline;
                    client.handle_timeout(now);
                }
                Output::Idle => break,
            }
        }
        assert_eq!(completions, 1, "{name}: the operation completed {completions} times");
        true
    }

    #[test]
    fn arbitrary_commands_reach_every_flow_and_never_panic_the_engine() {
        let mut flows = BTreeSet::new();
        let mut names = BTreeSet::new();
        let (mut accepted_fresh, mut accepted_signed_in) = (BTreeSet::new(), BTreeSet::new());
        for bytes in buffers(4_000) {
            let Ok(command) = Command::arbitrary(&mut Unstructured::new(&bytes)) else { continue };
            flows.insert(command.flow().to_string());
            names.insert(format!("{}/{}", command.flow(), command.name()));
            if submit_and_settle(fresh(), command.clone()) {
                accepted_fresh.insert(format!("{}/{}", command.flow(), command.name()));
            }
            if submit_and_settle(signed_in(), command.clone()) {
                accepted_signed_in.insert(format!("{}/{}", command.flow(), command.name()));
            }
        }
        let expected: BTreeSet<String> =
            ["client", "sign_in", "sign_up", "session", "reverification"].into_iter().map(String::from).collect();
        assert_eq!(flows, expected);
        // Every command of every flow, by name (the legality-table columns).
        let every_name = crate::sign_in::SIGN_IN_COMMAND_NAMES.len()
            + crate::sign_up::SIGN_UP_COMMAND_NAMES.len()
            + crate::session::SESSION_COMMAND_NAMES.len()
            + crate::session::USER_SESSION_COMMAND_NAMES.len()
            + crate::reverification::REVERIFICATION_COMMAND_NAMES.len()
            + 9; // ClientCommand: load … clear_cache
        assert_eq!(names.len(), every_name, "{names:?}");
        // The curated ids name the signed-in session: every session command gets through.
        for command in crate::session::SESSION_COMMAND_NAMES.iter().chain(&crate::session::USER_SESSION_COMMAND_NAMES) {
            assert!(accepted_signed_in.contains(&format!("session/{command}")), "{command}: {accepted_signed_in:?}");
        }
        assert!(accepted_signed_in.contains("reverification/start"));
        assert!(accepted_fresh.contains("sign_in/create") && accepted_fresh.contains("sign_up/create"));
    }
}
