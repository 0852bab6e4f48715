//! The driver benchmark's setup, shared by `benches/drivers.rs` and
//! `examples/profile_drivers.rs`: the in-process mock, both drivers with a client created,
//! and plain clients of the same HTTP libraries with the drivers' settings, sending the same
//! `GET /v1/client` (method, URL, headers, User-Agent included) and reading the body.

use std::sync::Arc;

use clerk_core::ClientCommand;
use clerk_mock::MockServer;
use clerk_store::MemoryStore;

/// Everything both sides of the comparison need, started.
pub(crate) struct Loopback {
    /// The local Frontend API (stops on drop).
    _mock: MockServer,
    /// `GET /v1/client` with the query the drivers send.
    url: String,
    /// The blocking driver, its client created.
    blocking: clerk_ureq::Clerk,
    /// The blocking driver's client token, for the plain ureq requests.
    blocking_token: String,
    /// A plain ureq agent with the blocking driver's settings.
    agent: ureq::Agent,
    /// The runtime the async sides run on (one worker).
    runtime: tokio::runtime::Runtime,
    /// The async driver, its client created.
    asynchronous: clerk_reqwest::Clerk,
    /// The async driver's client token, for the plain reqwest requests.
    async_token: String,
    /// A plain reqwest client with the async driver's settings.
    http: reqwest::Client,
    /// The task that sends for [`plain_reqwest_handed_off`](Self::plain_reqwest_handed_off)
    /// with the plain client, as long-lived as the driver's task: each message asks for one
    /// `GET /v1/client`, decoded, and is answered with the body's length.
    to_sender: tokio::sync::mpsc::Sender<tokio::sync::oneshot::Sender<usize>>,
}

impl Loopback {
    /// Starts the mock and both drivers, each with a client created.
    pub(crate) fn start() -> Self {
        let mock = MockServer::start();
        let url = format!("{}/v1/client?__clerk_api_version=2026-05-12&_is_native=true", mock.base_url());
        let mut blocking = clerk_ureq::Clerk::builder_for_base_url(&mock.base_url())
            .unwrap_or_else(|e| panic!("{e}"))
            .store(Arc::new(MemoryStore::new()))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        blocking.run(ClientCommand::Create).unwrap_or_else(|e| panic!("{e}"));
        let blocking_token = blocking.engine().client_token().map(|t| t.expose().to_owned()).unwrap_or_default();
        // The same client settings the driver uses (redirects off, statuses as data, timeouts),
        // and the same User-Agent: the mock reads it on every request (the session's device
        // activity), so a different one would be different work for the server.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .user_agent(clerk_ureq::USER_AGENT)
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
        // The same client settings the driver uses (redirects off, the same timeouts, the
        // same User-Agent: reqwest sends none of its own, the driver names itself).
        let http = reqwest::Client::builder()
            .user_agent(clerk_reqwest::USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(clerk_reqwest::DEFAULT_CONNECT_TIMEOUT)
            .timeout(clerk_reqwest::DEFAULT_REQUEST_TIMEOUT)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let to_sender = spawn_sender(&runtime, http.clone(), url.clone(), async_token.clone());
        Loopback {
            _mock: mock,
            url,
            blocking,
            blocking_token,
            agent,
            runtime,
            asynchronous,
            async_token,
            http,
            to_sender,
        }
    }

    /// `requests` × `GET /v1/client` through the plain ureq agent.
    pub(crate) fn plain_ureq(&self, requests: usize) {
        self.plain_ureq_reading(requests, |body| {
            std::hint::black_box(body);
        });
    }

    /// As [`plain_ureq`](Self::plain_ureq), each answer then decoded into `clerk-core`'s
    /// own wire types, as [`plain_reqwest_decoding`](Self::plain_reqwest_decoding) does: the
    /// driver's own cost is read against this (decision 0013).
    pub(crate) fn plain_ureq_decoding(&self, requests: usize) {
        self.plain_ureq_reading(requests, decode_client_answer);
    }

    /// `requests` × `GET /v1/client` through the plain ureq agent, each answer's body handed
    /// to `read`.
    fn plain_ureq_reading(&self, requests: usize, read: fn(&[u8])) {
        for _ in 0..requests {
            let mut response = self
                .agent
                .get(&self.url)
                .header("authorization", &self.blocking_token)
                .header("x-mobile", "1")
                .call()
                .unwrap_or_else(|e| panic!("{e}"));
            read(&response.body_mut().read_to_vec().unwrap_or_else(|e| panic!("{e}")));
        }
    }

    /// `requests` × `reload` through the blocking driver.
    pub(crate) fn driver_ureq(&mut self, requests: usize) {
        for _ in 0..requests {
            self.blocking.reload().unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// `requests` × `GET /v1/client` through the plain reqwest client, as one task on the
    /// runtime (as application code runs, not on a thread outside it, which would add a
    /// hand-off between threads to every call).
    pub(crate) fn plain_reqwest(&self, requests: usize) {
        self.plain_reqwest_reading(requests, |body| {
            std::hint::black_box(body);
        });
    }

    /// As [`plain_reqwest`](Self::plain_reqwest), each answer then decoded into
    /// `clerk-core`'s own wire types (a hand-written client using the same types, without
    /// the engine): the share of the driver's overhead that is decoding the answer at all.
    pub(crate) fn plain_reqwest_decoding(&self, requests: usize) {
        self.plain_reqwest_reading(requests, decode_client_answer);
    }

    /// `requests` × `GET /v1/client` through the plain reqwest client as one task on the
    /// runtime, each answer's body handed to `read`.
    fn plain_reqwest_reading(&self, requests: usize, read: fn(&[u8])) {
        let (http, url, token) = (self.http.clone(), self.url.clone(), self.async_token.clone());
        self.runtime.block_on(async move {
            tokio::spawn(async move {
                for _ in 0..requests {
                    read(&get_client(&http, &url, &token).await);
                }
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        });
    }

    /// As [`plain_reqwest_decoding`](Self::plain_reqwest_decoding), each request handed
    /// to another task that sends it and decodes the answer, through the channels the
    /// async driver uses (an `mpsc` message there, a `oneshot` reply back): what the
    /// design's one task owning the engine costs by itself, without the engine.
    pub(crate) fn plain_reqwest_handed_off(&self, requests: usize) {
        let to_sender = self.to_sender.clone();
        self.runtime.block_on(async move {
            tokio::spawn(async move {
                for _ in 0..requests {
                    let (reply, answer) = tokio::sync::oneshot::channel();
                    to_sender.try_send(reply).unwrap_or_else(|e| panic!("{e}"));
                    std::hint::black_box(answer.await.unwrap_or_else(|e| panic!("{e}")));
                }
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        });
    }

    /// `requests` × `reload` through the async driver, as one task on the runtime.
    pub(crate) fn driver_reqwest(&self, requests: usize) {
        let clerk = self.asynchronous.clone();
        self.runtime.block_on(async move {
            tokio::spawn(async move {
                for _ in 0..requests {
                    clerk.reload().await.unwrap_or_else(|e| panic!("{e}"));
                }
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        });
    }
}

/// One `GET /v1/client` through the plain reqwest client, with the headers the driver
/// sends; the answer's body as reqwest gives it (not copied: the baselines do no more than
/// a plain program).
async fn get_client(http: &reqwest::Client, url: &str, token: &str) -> impl std::ops::Deref<Target = [u8]> {
    let response = http
        .get(url)
        .header("authorization", token)
        .header("x-mobile", "1")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    response.bytes().await.unwrap_or_else(|e| panic!("{e}"))
}

/// Spawns the task behind [`Loopback::plain_reqwest_handed_off`]; it ends when the sender
/// returned is dropped.
fn spawn_sender(
    runtime: &tokio::runtime::Runtime,
    http: reqwest::Client,
    url: String,
    token: String,
) -> tokio::sync::mpsc::Sender<tokio::sync::oneshot::Sender<usize>> {
    let (to_sender, mut requests) = tokio::sync::mpsc::channel::<tokio::sync::oneshot::Sender<usize>>(64);
    runtime.spawn(async move {
        while let Some(reply) = requests.recv().await {
            let body = get_client(&http, &url, &token).await;
            decode_client_answer(&body);
            let _ = reply.send(body.len());
        }
    });
    to_sender
}

/// Decodes a `GET /v1/client` answer into `clerk-core`'s wire types, as a hand-written
/// client using those types would: the least a program that uses the answer does.
fn decode_client_answer(body: &[u8]) {
    /// The envelope of a client answer, as far as this needs it.
    #[derive(serde::Deserialize)]
    struct ClientAnswer {
        #[allow(dead_code)] // decoded to measure decoding; never read
        response: Option<clerk_core::wire::ClientResource>,
    }
    let answer: ClientAnswer = serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}"));
    std::hint::black_box(answer);
}
