//! Profiling aid (not run in CI): decode-and-apply of the recorded sign-in-complete answer in
//! a loop, for `valgrind --tool=callgrind` or `perf stat`.
//!
//! ```text
//! profile_apply MODE [ROUNDS]
//! ```
//!
//! * `MODE`: `apply` (the engine decodes and applies the answer to a copy of an engine that
//!   is waiting for it, having applied the same answer once before), `decode` (the wire types alone, decoded as the engine does),
//!   `value` (`serde_json::Value`, the baseline), `clone` (the per-round copying `apply`
//!   does, to subtract) or `setup` (nothing: the fixed cost of loading the recordings).
//! * `ROUNDS`: how many times (default 500).
//! * `COMPACT=1`: use the answer without the recorder's indentation, as the server sends it.
//! * `RELOAD=1`: answer a `GET /v1/client` (the same client) in place of the sign-in create.
use clerk_core::secret::Password;
use clerk_core::{Client, ClientCommand, Command, HttpResponse, Output, SignInCommand, SignInCreate};
use clerk_tests::harness::{START, config};

/// The sign-in-complete answer's two parts, decoded into the wire types alone.
#[derive(serde::Deserialize)]
#[allow(dead_code)] // decoded for the cost of decoding
struct SignInEnvelope {
    response: clerk_core::wire::SignInResource,
    client: clerk_core::wire::ClientResource,
}

/// A `GET /v1/client` answer, decoded into the wire types alone.
#[derive(serde::Deserialize)]
#[allow(dead_code)] // decoded for the cost of decoding
struct ClientEnvelope {
    response: clerk_core::wire::ClientResource,
    client: Option<clerk_core::wire::ClientResource>,
}

fn submit(engine: &mut Client, command: Command) -> clerk_core::Outgoing {
    let _ = engine.submit(command, START);
    loop {
        if let Output::Request(outgoing) = engine.poll_output() {
            return outgoing;
        }
    }
}

fn main() {
    let recorded = clerk_tests::recorded_flows()
        .into_iter()
        .find(|(name, _)| name == "clerk_auth/sign_in_test/sign_in_with_password")
        .and_then(|(_, e)| e.into_iter().find(|e| e.index == 3))
        .map(|e| e.body)
        .unwrap_or_default();
    let reload = std::env::var_os("RELOAD").is_some();
    let body = if reload {
        let value: serde_json::Value = serde_json::from_slice(&recorded).unwrap_or_default();
        let envelope = serde_json::json!({ "response": value["client"], "client": null });
        if std::env::var_os("COMPACT").is_some() {
            serde_json::to_vec(&envelope)
        } else {
            serde_json::to_vec_pretty(&envelope)
        }
        .unwrap_or_default()
    } else if std::env::var_os("COMPACT").is_some() {
        let value: serde_json::Value = serde_json::from_slice(&recorded).unwrap_or_default();
        serde_json::to_vec(&value).unwrap_or_default()
    } else {
        recorded
    };
    let command = if reload {
        Command::Client(ClientCommand::Reload)
    } else {
        Command::SignIn(SignInCommand::Create(SignInCreate::password("a@b.co", Password::new("p"))))
    };
    // Steady state: the engine applied this answer once already and has the same command's
    // request on the wire again, so applying replaces (and drops) what the last answer built.
    let mut engine = Client::new(config(), START);
    let first = submit(&mut engine, command.clone());
    let _ = engine.handle_response(first.id, Ok(HttpResponse::ok_json(body.clone())), START);
    let outgoing = submit(&mut engine, command);
    let mode = std::env::args().nth(1).unwrap_or_default();
    let rounds: u32 = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(500);
    for _ in 0..rounds {
        match mode.as_str() {
            "value" => {
                let _ = std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&body));
            }
            "decode" => {
                let text = std::str::from_utf8(&body).unwrap_or_default();
                if reload {
                    let _ = std::hint::black_box(serde_json::from_str::<ClientEnvelope>(text));
                } else {
                    let _ = std::hint::black_box(serde_json::from_str::<SignInEnvelope>(text));
                }
            }
            "setup" => {}
            "clone" => {
                let copy = engine.clone();
                std::hint::black_box((&copy, HttpResponse::ok_json(body.clone())));
            }
            _ => {
                let mut copy = engine.clone();
                let _ = copy.handle_response(outgoing.id, Ok(HttpResponse::ok_json(body.clone())), START);
                std::hint::black_box(&copy);
            }
        }
    }
}
