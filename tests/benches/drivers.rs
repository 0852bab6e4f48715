#![allow(missing_docs)] // criterion_group! generates an undocumented function

//! Each driver over loopback beside a plain HTTP client of the same library sending the
//! same requests (method, URL, headers) to the same local Frontend API, in the same run:
//! five `GET /v1/client` per iteration, at least 30 samples. The baselines use the same
//! client settings as the drivers (redirects off, statuses as data, the same timeouts). The
//! ratio driver / plain is the driver's overhead (engine, bookkeeping, persistence hooks).
//! Run with `cargo bench -p clerk-tests --bench drivers`.
//!
//! After criterion's figures the bench prints the ratio measured in alternating blocks
//! (8 plain samples, 8 driver samples, …; 64 of each, medians), which a shared machine
//! whose speed drifts during the run does not skew the way two back-to-back criterion
//! groups can.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clerk_core::ClientCommand;
use clerk_mock::MockServer;
use clerk_store::MemoryStore;
use criterion::{Criterion, criterion_group, criterion_main};

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
    let mock = MockServer::start();
    let url = format!("{}/v1/client?__clerk_api_version=2026-05-12&_is_native=true", mock.base_url());

    // Blocking: clerk-ureq beside a plain ureq agent.
    let mut clerk = clerk_ureq::Clerk::builder_for_base_url(&mock.base_url())
        .unwrap_or_else(|e| panic!("{e}"))
        .store(Arc::new(MemoryStore::new()))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    clerk.run(ClientCommand::Create).unwrap_or_else(|e| panic!("{e}"));
    let token = clerk.engine().client_token().map(|t| t.expose().to_owned()).unwrap_or_default();
    // The same client settings the driver uses (redirects off, statuses as data, timeouts).
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(clerk_ureq::DEFAULT_CONNECT_TIMEOUT))
        .timeout_global(Some(clerk_ureq::DEFAULT_REQUEST_TIMEOUT))
        .build()
        .into();
    let plain_ureq = || {
        for _ in 0..REQUESTS {
            let mut response = agent
                .get(&url)
                .header("authorization", &token)
                .header("x-mobile", "1")
                .call()
                .unwrap_or_else(|e| panic!("{e}"));
            let _ = response.body_mut().read_to_vec();
        }
    };
    let mut group = c.benchmark_group("blocking_5_client_gets");
    group.sample_size(30);
    group.bench_function("baseline: plain ureq", |b| b.iter(plain_ureq));
    group.bench_function("clerk-ureq driver", |b| {
        b.iter(|| {
            for _ in 0..REQUESTS {
                clerk.reload().unwrap_or_else(|e| panic!("{e}"));
            }
        })
    });
    group.finish();
    let blocking = interleaved(plain_ureq, || {
        for _ in 0..REQUESTS {
            clerk.reload().unwrap_or_else(|e| panic!("{e}"));
        }
    });

    // Async: clerk-reqwest beside a plain reqwest client.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let clerk = runtime.block_on(async {
        let clerk = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url())
            .unwrap_or_else(|e| panic!("{e}"))
            .store(Arc::new(MemoryStore::new()))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        clerk.run(ClientCommand::Create).await.unwrap_or_else(|e| panic!("{e}"));
        clerk
    });
    let token = runtime
        .block_on(clerk.view(|engine| engine.client_token().map(|t| t.expose().to_owned())))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_default();
    // The same client settings the driver uses (redirects off, the same timeouts).
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(clerk_reqwest::DEFAULT_CONNECT_TIMEOUT)
        .timeout(clerk_reqwest::DEFAULT_REQUEST_TIMEOUT)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    // Each sample runs as a task on the runtime, as an application's code does (not on a
    // thread outside it, which would add a hand-off between threads to every call).
    let plain_reqwest = || {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        runtime.block_on(async move {
            tokio::spawn(async move {
                for _ in 0..REQUESTS {
                    let response = http
                        .get(&url)
                        .header("authorization", &token)
                        .header("x-mobile", "1")
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    let _ = response.bytes().await;
                }
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        });
    };
    let driver_reqwest = || {
        let clerk = clerk.clone();
        runtime.block_on(async move {
            tokio::spawn(async move {
                for _ in 0..REQUESTS {
                    clerk.reload().await.unwrap_or_else(|e| panic!("{e}"));
                }
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        });
    };
    let mut group = c.benchmark_group("async_5_client_gets");
    group.sample_size(30);
    group.bench_function("baseline: plain reqwest", |b| b.iter(plain_reqwest));
    group.bench_function("clerk-reqwest driver", |b| b.iter(driver_reqwest));
    group.finish();
    let asynchronous = interleaved(plain_reqwest, driver_reqwest);

    println!();
    report("clerk-ureq, 5 × GET /v1/client", blocking);
    report("clerk-reqwest, 5 × GET /v1/client", asynchronous);
}

criterion_group!(benches, bench);
criterion_main!(benches);
