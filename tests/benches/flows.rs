#![allow(missing_docs)] // criterion_group! generates an undocumented function

//! Engine CPU per whole flow on canned answers, no network: a password sign-in that needs a
//! TOTP second factor, then a session-token fetch. Beside it, as the baseline measured in
//! the same run, `serde_json::from_slice::<Value>` of the same answer bodies (what any
//! client must at least do with them). Run with `cargo bench -p clerk-tests --bench flows`.

use std::hint::black_box;
use std::time::Instant;

use clerk_core::secret::{Password, VerificationCode};
use clerk_core::{
    Client, Command, HttpResponse, Output, SecondFactorAttempt, SessionCommand, SignInCommand, SignInCreate,
    TokenRequest,
};
use clerk_tests::harness::{START, client_json, config, sign_in_json};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

fn answers() -> Vec<Vec<u8>> {
    let mut needs_mfa = sign_in_json("sia_1", "needs_second_factor");
    needs_mfa["supported_second_factors"] = json!([{ "strategy": "totp" }]);
    let mut client = client_json(&[], None, 1);
    client["sign_in"] = needs_mfa.clone();
    let first = json!({ "response": needs_mfa, "client": client });
    let mut complete = sign_in_json("sia_1", "complete");
    complete["created_session_id"] = json!("sess_1");
    let mut done = client_json(&[("sess_1", "active")], Some("sess_1"), 2);
    done["sessions"][0]["last_active_token"] = json!({ "object": "token", "jwt": clerk_tests::canned_jwt("sess_1", START.unix_timestamp(), START.unix_timestamp() + 60) });
    let second = json!({ "response": complete, "client": done });
    let token = json!({ "object": "token", "jwt": clerk_tests::canned_jwt("sess_1", START.unix_timestamp(), START.unix_timestamp() + 60) });
    [first, second, token].iter().map(|value| serde_json::to_vec(value).unwrap_or_default()).collect()
}

fn run_flow(answers: &[Vec<u8>]) -> Client {
    let mut client = Client::new(config(), START);
    let commands: [Command; 3] = [
        SignInCommand::Create(SignInCreate::password("ada@example.com", Password::new("pw"))).into(),
        SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(VerificationCode::new("424242"))).into(),
        SessionCommand::GetToken(TokenRequest { skip_cache: true, ..TokenRequest::default() }).into(),
    ];
    for (command, answer) in commands.into_iter().zip(answers) {
        let _ = client.submit(command, START);
        loop {
            match client.poll_output() {
                Output::Request(outgoing) => {
                    let response = HttpResponse::new(200, [("authorization", "tok")], answer.clone());
                    let _ = client.handle_response(outgoing.id, Ok(response), START);
                }
                Output::Event(_) => {}
                _ => break,
            }
        }
    }
    client
}

fn bench(c: &mut Criterion) {
    let answers = answers();
    assert_eq!(run_flow(&answers).active_session_id(), Some("sess_1"), "the canned flow must complete");
    let mut group = c.benchmark_group("password_totp_token_flow");
    group.bench_function("baseline: serde_json::Value of the 3 answers", |b| {
        b.iter(|| {
            for answer in &answers {
                let _ = black_box(serde_json::from_slice::<serde_json::Value>(answer));
            }
        })
    });
    group.bench_function("engine: the whole flow", |b| b.iter(|| run_flow(black_box(&answers))));
    group.finish();

    // The same ratio from alternating blocks (baseline, engine, …; median of 31), which a
    // machine whose speed drifts during the run does not skew.
    let mut ratios: Vec<f64> = (0..31)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..200 {
                for answer in &answers {
                    let _ = black_box(serde_json::from_slice::<serde_json::Value>(black_box(answer)));
                }
            }
            let baseline = start.elapsed().as_secs_f64();
            let start = Instant::now();
            for _ in 0..200 {
                black_box(run_flow(black_box(&answers)));
            }
            start.elapsed().as_secs_f64() / baseline
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!("\nengine flow ÷ Value of its 3 answers, alternating blocks (median of 31): {:.2}×", ratios[15]);
}

criterion_group!(benches, bench);
criterion_main!(benches);
