//! Writes seed inputs for the `decode_response` fuzz target.
//!
//! ```text
//! cargo run -p clerk-tests --bin make-fuzz-seeds -- hand-made fuzz/seeds/decode_response
//! cargo run -p clerk-tests --bin make-fuzz-seeds -- recorded  fuzz/corpus/decode_response
//! ```
//!
//! `hand-made` writes the committed error-case seeds. `recorded` turns every recorded
//! Frontend API answer of `../shared/fixtures/recorded/` into a seed for the request kind
//! that fits it; those stay out of the repository (the recordings are not ours to copy)
//! and are rebuilt by `fuzz/run.sh`.

use std::path::PathBuf;

use clerk_tests::fuzzing::encode_decode_input;

/// Selectors of `clerk_tests::fuzzing::decode_command`.
const RELOAD: u8 = 0;
const CREATE: u8 = 1;
const ENVIRONMENT: u8 = 2;
const DESTROY: u8 = 3;
const REMOVE_SESSIONS: u8 = 4;

fn hand_made() -> Vec<(&'static str, Vec<u8>)> {
    let client = br#"{"response":{"object":"client","id":"client_1","sessions":[{"object":"session","id":"sess_1","status":"active","last_active_token":{"object":"token","jwt":"eyJhbGciOiJub25lIn0.eyJzaWQiOiJzZXNzXzEiLCJpYXQiOjEsImV4cCI6NjF9.c2ln"}}],"sign_in":null,"sign_up":null,"last_active_session_id":"sess_1","updated_at":1767225600000},"client":null}"#;
    let error_with_client = br#"{"errors":[{"code":"form_code_incorrect","message":"m","long_message":"l","meta":{"param_name":"code"}}],"meta":{"client":{"object":"client","id":"client_1","sessions":[]}},"clerk_trace_id":"t"}"#;
    vec![
        ("reload-client", encode_decode_input(RELOAD, 200, &[("authorization", "tok-2")], client)),
        ("reload-null", encode_decode_input(RELOAD, 200, &[], br#"{"response":null,"client":null}"#)),
        ("reload-truncated", encode_decode_input(RELOAD, 200, &[], br#"{"response":{"object":"client","id":"#)),
        ("reload-html-502", encode_decode_input(RELOAD, 502, &[("content-type", "text/html")], b"<html>Bad Gateway</html>")),
        ("reload-429", encode_decode_input(RELOAD, 429, &[("retry-after", "3")], br#"{"errors":[{"code":"too_many_requests"}]}"#)),
        ("reload-401", encode_decode_input(RELOAD, 401, &[], br#"{"errors":[{"code":"authentication_invalid","message":"x"}]}"#)),
        ("create-client-rotated", encode_decode_input(CREATE, 200, &[("authorization", "tok-9")], client)),
        ("create-422-meta-client", encode_decode_input(CREATE, 422, &[], error_with_client)),
        ("create-blank-authorization", encode_decode_input(CREATE, 200, &[("authorization", " ")], client)),
        ("environment", encode_decode_input(ENVIRONMENT, 200, &[], br#"{"auth_config":{"single_session_mode":true},"display_config":{"instance_environment_type":"development"}}"#)),
        ("environment-array", encode_decode_input(ENVIRONMENT, 200, &[], b"[]")),
        ("destroy-ended", encode_decode_input(DESTROY, 200, &[], client)),
        ("remove-sessions-503", encode_decode_input(REMOVE_SESSIONS, 503, &[], br#"{"errors":[{"code":"internal_error"}]}"#)),
        ("remove-sessions-302", encode_decode_input(REMOVE_SESSIONS, 302, &[("location", "https://x")], b"")),
    ]
}

fn selector_for(key: &str) -> Option<u8> {
    let (method, rest) = key.split_once(' ')?;
    let path = rest.split(['?', ' ']).next()?;
    Some(match (method, path) {
        ("GET", "/v1/environment") => ENVIRONMENT,
        ("POST", "/v1/client") => CREATE,
        ("GET", "/v1/client") => RELOAD,
        ("DELETE", "/v1/client") => DESTROY,
        ("DELETE", "/v1/client/sessions") => REMOVE_SESSIONS,
        ("POST", "/v1/client/sign_ins") => 5,
        ("POST", p) if p.ends_with("/prepare_first_factor") || p.ends_with("/prepare_second_factor") => 7,
        ("POST", p) if p.ends_with("/attempt_first_factor") || p.ends_with("/attempt_second_factor") => 8,
        ("POST", "/v1/client/sign_ups") => 9,
        ("PATCH", p) if p.starts_with("/v1/client/sign_ups/") => 10,
        ("POST", p) if p.ends_with("/prepare_verification") => 11,
        ("POST", p) if p.ends_with("/attempt_verification") => 12,
        // Every other recorded answer carries a client: offer it as a reload answer.
        _ => RELOAD,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let out = PathBuf::from(args.next().ok_or("usage: make-fuzz-seeds hand-made|recorded DIR")?);
    std::fs::create_dir_all(&out)?;
    match mode.as_str() {
        "hand-made" => {
            for (name, bytes) in hand_made() {
                std::fs::write(out.join(name), bytes)?;
            }
        }
        "recorded" => {
            for (flow, exchanges) in clerk_tests::recorded_flows() {
                for exchange in exchanges {
                    let Some(selector) = selector_for(&exchange.key) else { continue };
                    let name = format!("{}-{:03}", flow.replace('/', "-"), exchange.index);
                    std::fs::write(out.join(name), encode_decode_input(selector, 200, &[], &exchange.body))?;
                }
            }
        }
        _ => return Err("usage: make-fuzz-seeds hand-made|recorded DIR".into()),
    }
    Ok(())
}
