//! Profiling aid (not run in CI): `GET /v1/client` against the in-process mock, through a
//! driver or through a plain client of the same HTTP library, for
//! `valgrind --tool=callgrind` (instructions per request: run `setup` too and subtract).
//!
//! ```text
//! profile_drivers MODE [REQUESTS]
//! ```
//!
//! * `MODE`: `plain-ureq`, `ureq` (clerk-ureq's `reload`), `plain-reqwest`, `reqwest`
//!   (clerk-reqwest's `reload`, called from a task on the runtime) or `setup` (start the
//!   mock and both drivers, send nothing more).
//! * `REQUESTS`: how many (default 500).

use std::sync::Arc;

use clerk_core::ClientCommand;
use clerk_mock::MockServer;
use clerk_store::MemoryStore;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let requests: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(500);
    let mock = MockServer::start();
    let url = format!("{}/v1/client?__clerk_api_version=2026-05-12&_is_native=true", mock.base_url());

    let mut blocking = clerk_ureq::Clerk::builder_for_base_url(&mock.base_url())
        .unwrap_or_else(|e| panic!("{e}"))
        .store(Arc::new(MemoryStore::new()))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    blocking.run(ClientCommand::Create).unwrap_or_else(|e| panic!("{e}"));
    let token = blocking.engine().client_token().map(|t| t.expose().to_owned()).unwrap_or_default();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(clerk_ureq::DEFAULT_CONNECT_TIMEOUT))
        .timeout_global(Some(clerk_ureq::DEFAULT_REQUEST_TIMEOUT))
        .build()
        .into();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let asynchronous = runtime.block_on(async {
        let clerk = clerk_reqwest::Clerk::builder_for_base_url(&mock.base_url())
            .unwrap_or_else(|e| panic!("{e}"))
            .store(Arc::new(MemoryStore::new()))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        clerk.run(ClientCommand::Create).await.unwrap_or_else(|e| panic!("{e}"));
        clerk
    });
    let async_token = runtime
        .block_on(asynchronous.view(|engine| engine.client_token().map(|t| t.expose().to_owned())))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(clerk_reqwest::DEFAULT_CONNECT_TIMEOUT)
        .timeout(clerk_reqwest::DEFAULT_REQUEST_TIMEOUT)
        .build()
        .unwrap_or_else(|e| panic!("{e}"));

    match mode.as_str() {
        "plain-ureq" => {
            for _ in 0..requests {
                let mut response = agent
                    .get(&url)
                    .header("authorization", &token)
                    .header("x-mobile", "1")
                    .call()
                    .unwrap_or_else(|e| panic!("{e}"));
                let _ = response.body_mut().read_to_vec();
            }
        }
        "ureq" => {
            for _ in 0..requests {
                blocking.reload().unwrap_or_else(|e| panic!("{e}"));
            }
        }
        "plain-reqwest" => runtime.block_on(async move {
            tokio::spawn(async move {
                for _ in 0..requests {
                    let response = http
                        .get(&url)
                        .header("authorization", &async_token)
                        .header("x-mobile", "1")
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("{e}"));
                    let _ = response.bytes().await;
                }
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        }),
        "reqwest" => runtime.block_on(async move {
            tokio::spawn(async move {
                for _ in 0..requests {
                    asynchronous.reload().await.unwrap_or_else(|e| panic!("{e}"));
                }
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        }),
        _ => {}
    }
}
