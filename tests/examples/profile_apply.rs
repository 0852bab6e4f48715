//! Profiling aid (not run in CI): decode-and-apply of the recorded sign-in-complete answer in
//! a loop, for `valgrind --tool=callgrind` or `perf stat`.
//!
//! ```text
//! profile_apply MODE [ROUNDS]
//! ```
//!
//! * `MODE`: `apply` (the engine decodes and applies the answer to a copy of an engine that
//!   is waiting for it, having applied the same answer once before), `decode` (the wire
//!   types alone, decoded as the engine does), `value` (`serde_json::Value`, the baseline),
//!   `clone` (the per-round copying `apply` does, to subtract), `setup` (nothing: the fixed
//!   cost of loading the recordings) or `live` (one engine answering the same command again and
//!   again: submit, decode and apply, drain the events) or `interleaved` (wall-clock ratios from alternating
//!   blocks of 200: `Value`, copy-and-apply, and a live engine answering again and again).
//! * `ROUNDS`: how many times (default 500; for `interleaved`, how many block rounds).
//! * `COMPACT=1`: use the answer as the server sends it: no indentation, keys in their recorded
//!   order (`clerk_tests::minify_json`).
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
    let recorded = clerk_tests::recorded_answer("clerk_auth/sign_in_test/sign_in_with_password", 3);
    let reload = std::env::var_os("RELOAD").is_some();
    let body = if reload { clerk_tests::client_answer_from(&recorded) } else { recorded };
    let body = if std::env::var_os("COMPACT").is_some() { clerk_tests::minify_json(&body) } else { body };
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
    let outgoing = submit(&mut engine, command.clone());
    let mode = std::env::args().nth(1).unwrap_or_default();
    let rounds: u32 = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(500);
    if mode == "interleaved" {
        let timed = |work: &dyn Fn()| {
            let start = std::time::Instant::now();
            for _ in 0..200 {
                work();
            }
            start.elapsed().as_secs_f64()
        };
        let mut ratios = Vec::new();
        let mut sums = [0.0; 4];
        let mut live_ratios = Vec::new();
        let mut decode_ratios = Vec::new();
        for _ in 0..rounds {
            let value = timed(&|| {
                std::hint::black_box(serde_json::from_slice::<serde_json::Value>(std::hint::black_box(&body)).ok());
            });
            let copying = timed(&|| {
                std::hint::black_box((engine.clone(), HttpResponse::ok_json(body.clone())));
            });
            let applied = timed(&|| {
                let mut copy = engine.clone();
                let _ = copy.handle_response(outgoing.id, Ok(HttpResponse::ok_json(body.clone())), START);
                std::hint::black_box(copy);
            });
            let live = {
                let mut engine = engine.clone();
                let mut pending = outgoing.clone();
                let start = std::time::Instant::now();
                for _ in 0..200 {
                    let _ = engine.handle_response(pending.id, Ok(HttpResponse::ok_json(body.clone())), START);
                    while let Output::Event(_) = engine.poll_output() {}
                    pending = submit(&mut engine, command.clone());
                }
                start.elapsed().as_secs_f64()
            };
            sums[3] += live;
            let decoded = timed(&|| {
                let text = std::str::from_utf8(&body).unwrap_or_default();
                let _ = std::hint::black_box(serde_json::from_str::<SignInEnvelope>(text));
            });
            decode_ratios.push(decoded / value);
            live_ratios.push(live / value);
            sums[0] += value;
            sums[1] += copying;
            sums[2] += applied;
            ratios.push((applied - copying) / value);
        }
        ratios.sort_by(f64::total_cmp);
        live_ratios.sort_by(f64::total_cmp);
        decode_ratios.sort_by(f64::total_cmp);
        println!("wire types alone (decode, drop): median ratio {:.3}", decode_ratios[decode_ratios.len() / 2]);
        println!(
            "live engine (submit + decode + apply, no copies): median ratio {:.3}, {:.2} µs",
            live_ratios[live_ratios.len() / 2],
            sums[3] / f64::from(rounds) / 200.0 * 1e6
        );
        println!(
            "median ratio {:.3}; per iteration: value {:.2} µs, copying {:.2} µs, applied {:.2} µs",
            ratios[ratios.len() / 2],
            sums[0] / f64::from(rounds) / 200.0 * 1e6,
            sums[1] / f64::from(rounds) / 200.0 * 1e6,
            sums[2] / f64::from(rounds) / 200.0 * 1e6
        );
        return;
    }
    if mode == "live" {
        let mut live = engine.clone();
        let mut pending = outgoing.clone();
        for _ in 0..rounds {
            let _ = live.handle_response(pending.id, Ok(HttpResponse::ok_json(body.clone())), START);
            while let Output::Event(event) = live.poll_output() {
                std::hint::black_box(event);
            }
            pending = submit(&mut live, command.clone());
        }
        return;
    }
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
