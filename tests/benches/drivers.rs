#![allow(missing_docs)] // criterion_group! generates an undocumented function

//! Each driver over loopback beside a plain HTTP client of the same library sending the
//! same requests (method, URL, headers) to the same local Frontend API, in the same run:
//! five `GET /v1/client` per iteration, at least 30 samples. The baselines use the same
//! client settings as the drivers (redirects off, statuses as data, the same timeouts). The ratio driver / plain is
//! the driver's overhead (engine, bookkeeping, persistence hooks). Run with
//! `cargo bench -p clerk-tests --bench drivers`.

use std::sync::Arc;

use clerk_core::ClientCommand;
use clerk_mock::MockServer;
use clerk_store::MemoryStore;
use criterion::{Criterion, criterion_group, criterion_main};

const REQUESTS: usize = 5;

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
    let mut group = c.benchmark_group("blocking_5_client_gets");
    group.sample_size(30);
    group.bench_function("baseline: plain ureq", |b| {
        b.iter(|| {
            for _ in 0..REQUESTS {
                let mut response = agent
                    .get(&url)
                    .header("authorization", &token)
                    .header("x-mobile", "1")
                    .call()
                    .unwrap_or_else(|e| panic!("{e}"));
                let _ = response.body_mut().read_to_vec();
            }
        })
    });
    group.bench_function("clerk-ureq driver", |b| {
        b.iter(|| {
            for _ in 0..REQUESTS {
                clerk.reload().unwrap_or_else(|e| panic!("{e}"));
            }
        })
    });
    group.finish();

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
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("async_5_client_gets");
    group.sample_size(30);
    group.bench_function("baseline: plain reqwest", |b| {
        b.iter(|| {
            runtime.block_on(async {
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
        })
    });
    group.bench_function("clerk-reqwest driver", |b| {
        b.iter(|| {
            runtime.block_on(async {
                for _ in 0..REQUESTS {
                    clerk.reload().await.unwrap_or_else(|e| panic!("{e}"));
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
