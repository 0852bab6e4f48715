//! Decode-and-apply of real answers, each beside `serde_json::from_slice::<Value>` of the
//! same bytes in the same run (the baseline). Run with `cargo bench -p clerk-tests`.
//!
//! * `sign_in_complete`: `clerk_auth/sign_in_test/sign_in_with_password/003.json`, the
//!   answer that completes a password sign-in (a sign-in plus the client with its session
//!   and full user).
//! * `environment`: `clerk_auth/sign_in_test/sign_in_with_password/002.json`.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;

use clerk_core::secret::Password;
use clerk_core::wire::{ClientResource, Environment, SignInResource};
use clerk_core::{Client, ClientCommand, Command, HttpResponse, Outgoing, Output, SignInCommand, SignInCreate};
use clerk_tests::harness::{START, config};
use criterion::{Criterion, criterion_group, criterion_main};
use serde::Deserialize;

#[derive(Deserialize)]
struct SignInEnvelope {
    #[allow(dead_code)]
    response: SignInResource,
    #[allow(dead_code)]
    client: ClientResource,
}

fn recorded(flow: &str, index: u32) -> Vec<u8> {
    clerk_tests::recorded_flows()
        .into_iter()
        .find(|(name, _)| name == flow)
        .and_then(|(_, exchanges)| exchanges.into_iter().find(|e| e.index == index))
        .map(|e| e.body)
        .unwrap_or_else(|| panic!("missing recording {flow}/{index:03}"))
}

/// An engine with one request of `command` on the wire, ready for its answer.
fn in_flight(command: ClientCommand) -> (Client, Outgoing) {
    in_flight_command(Command::Client(command))
}

fn in_flight_command(command: Command) -> (Client, Outgoing) {
    let mut client = Client::new(config(), START);
    let _ = client.submit(command, START);
    loop {
        match client.poll_output() {
            Output::Request(outgoing) => return (client, outgoing),
            Output::Event(_) => {}
            other => panic!("no request: {other:?}"),
        }
    }
}

fn bench(c: &mut Criterion) {
    let flow = "clerk_auth/sign_in_test/sign_in_with_password";
    let sign_in = recorded(flow, 3);
    let value: serde_json::Value = serde_json::from_slice(&sign_in).unwrap_or_default();
    // The same client, as GET /v1/client answers it: what the engine applies today.
    let reload_body =
        serde_json::to_vec(&serde_json::json!({ "response": value["client"], "client": null })).unwrap_or_default();
    let environment = recorded(flow, 2);

    let mut group = c.benchmark_group("sign_in_complete");
    group.bench_function("baseline: serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&sign_in)))
    });
    group.bench_function("typed decode (sign-in + client)", |b| {
        b.iter(|| serde_json::from_slice::<SignInEnvelope>(black_box(&sign_in)))
    });
    let (engine, outgoing) = in_flight_command(Command::SignIn(SignInCommand::Create(SignInCreate::password(
        clerk_tests::EMAIL,
        Password::new("benchmark-password"),
    ))));
    group.bench_function("engine: decode + apply (sign-in create answer)", |b| {
        b.iter_batched(
            || (engine.clone(), HttpResponse::ok_json(sign_in.clone())),
            |(mut engine, response)| {
                let _ = engine.handle_response(outgoing.id, Ok(response), START);
                engine
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("client_apply");
    group.bench_function("baseline: serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&reload_body)))
    });
    let (engine, outgoing) = in_flight(ClientCommand::Reload);
    group.bench_function("engine: decode + apply", |b| {
        b.iter_batched(
            || (engine.clone(), HttpResponse::ok_json(reload_body.clone())),
            |(mut engine, response)| {
                let _ = engine.handle_response(outgoing.id, Ok(response), START);
                engine
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("environment");
    group.bench_function("baseline: serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&environment)))
    });
    group.bench_function("typed decode", |b| b.iter(|| serde_json::from_slice::<Environment>(black_box(&environment))));
    let (engine, outgoing) = in_flight(ClientCommand::LoadEnvironment);
    group.bench_function("engine: decode + apply", |b| {
        b.iter_batched(
            || (engine.clone(), HttpResponse::ok_json(environment.clone())),
            |(mut engine, response)| {
                let _ = engine.handle_response(outgoing.id, Ok(response), START);
                engine
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
