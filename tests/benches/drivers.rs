#![allow(missing_docs)] // criterion_group! generates an undocumented function

//! Each driver over loopback beside plain HTTP clients of the same library sending the
//! same requests (method, URL, headers) to the same local Frontend API, in the same run:
//! five `GET /v1/client` per iteration, at least 30 samples. The baselines use the same
//! client settings as the drivers (redirects off, statuses as data, the same timeouts).
//! Two baselines per driver: one that reads each answer's bytes and drops them, and one
//! that also decodes each answer into `clerk-core`'s wire types, the least a program using
//! Clerk's answers does: the ratio against it is the driver's own cost (decision 0013).
//! Both ratios are printed; the issue's ≤ 1.05× target is stated against the first.
//! Run with `cargo bench -p clerk-tests --bench drivers`.
//!
//! After criterion's figures the bench prints the ratios measured in alternating blocks
//! (8 plain samples, 8 driver samples, …; 64 of each, medians), which a shared machine
//! whose speed drifts during the run does not skew the way two back-to-back criterion
//! groups can.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/loopback.rs"]
mod loopback;
use loopback::Loopback;

const REQUESTS: usize = 5;

/// Median time of `plain` and of `driver` over 64 samples of each, taken in alternating
/// blocks of 8 (the first sample of each block, which pays for the other side having
/// evicted this side's code and data from the caches, is not counted). Alternating cancels
/// a drift of the machine's speed during the run; blocks keep what is measured the steady
/// state criterion also measures.
fn interleaved(mut plain: impl FnMut(), mut driver: impl FnMut()) -> (Duration, Duration) {
    fn block(work: &mut dyn FnMut(), into: &mut Vec<Duration>) {
        work();
        for _ in 0..8 {
            let start = Instant::now();
            work();
            into.push(start.elapsed());
        }
    }
    let (mut plains, mut drivers) = (Vec::new(), Vec::new());
    for _ in 0..8 {
        block(&mut plain, &mut plains);
        block(&mut driver, &mut drivers);
    }
    plains.sort();
    drivers.sort();
    (plains[plains.len() / 2], drivers[drivers.len() / 2])
}

fn report(what: &str, (plain, driver): (Duration, Duration)) {
    println!(
        "{what}: plain {:.0} µs, driver {:.0} µs: {:.3}× (alternating blocks, medians of 64)",
        plain.as_secs_f64() * 1e6,
        driver.as_secs_f64() * 1e6,
        driver.as_secs_f64() / plain.as_secs_f64()
    );
}

fn bench(c: &mut Criterion) {
    let mut loopback = Loopback::start();

    // Blocking: clerk-ureq beside a plain ureq agent.
    let mut group = c.benchmark_group("blocking_5_client_gets");
    group.sample_size(30);
    group.bench_function("baseline: plain ureq", |b| b.iter(|| loopback.plain_ureq(REQUESTS)));
    group
        .bench_function("baseline: plain ureq, answers decoded", |b| b.iter(|| loopback.plain_ureq_decoding(REQUESTS)));
    group.bench_function("clerk-ureq driver", |b| b.iter(|| loopback.driver_ureq(REQUESTS)));
    group.finish();
    let loopback = std::cell::RefCell::new(loopback);
    let blocking =
        interleaved(|| loopback.borrow().plain_ureq(REQUESTS), || loopback.borrow_mut().driver_ureq(REQUESTS));
    let blocking_decoding =
        interleaved(|| loopback.borrow().plain_ureq_decoding(REQUESTS), || loopback.borrow_mut().driver_ureq(REQUESTS));
    let loopback = loopback.into_inner();

    // Async: clerk-reqwest beside a plain reqwest client.
    let mut group = c.benchmark_group("async_5_client_gets");
    group.sample_size(30);
    group.bench_function("baseline: plain reqwest", |b| b.iter(|| loopback.plain_reqwest(REQUESTS)));
    group.bench_function("baseline: plain reqwest, answers decoded", |b| {
        b.iter(|| loopback.plain_reqwest_decoding(REQUESTS))
    });
    group.bench_function("clerk-reqwest driver", |b| b.iter(|| loopback.driver_reqwest(REQUESTS)));
    group.finish();
    let asynchronous = interleaved(|| loopback.plain_reqwest(REQUESTS), || loopback.driver_reqwest(REQUESTS));
    let asynchronous_decoding =
        interleaved(|| loopback.plain_reqwest_decoding(REQUESTS), || loopback.driver_reqwest(REQUESTS));

    println!();
    println!("Against the plain client that decodes its answers (the driver's own cost, decision 0013):");
    report("clerk-ureq, 5 × GET /v1/client", blocking_decoding);
    report("clerk-reqwest, 5 × GET /v1/client", asynchronous_decoding);
    println!("Against the plain client that drops its answers unread (the issue's target: ≤ 1.05×):");
    report("clerk-ureq, 5 × GET /v1/client", blocking);
    report("clerk-reqwest, 5 × GET /v1/client", asynchronous);
}

criterion_group!(benches, bench);
criterion_main!(benches);
